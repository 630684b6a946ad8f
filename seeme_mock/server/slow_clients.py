"""A client must finish sending a request's headers within ``HEADER_TIMEOUT`` of connecting
(or, on a kept-alive connection, of the first byte of its next request), or its connection
is closed: neither a connection that never says anything nor a slowloris client, one
header line a minute, can hold a connection (and a file descriptor) for ever. Idle
keep-alive connections between requests are aiohttp's ``keepalive_timeout``; a slow
*answer* (a long poll, a scenario's slow send) is not limited here: once its headers are
in, a request takes as long as it takes."""

from __future__ import annotations

import asyncio
from typing import Any, cast

__all__ = ["HEADER_TIMEOUT", "HeaderDeadline"]

HEADER_TIMEOUT = 10.0
_END = b"\r\n\r\n"


class _Watched:
    """The transport as the HTTP handler sees it: writing an answer means the next bytes
    that arrive start a new request."""

    def __init__(self, transport: asyncio.Transport, owner: HeaderDeadline) -> None:
        self._transport = transport
        self._owner = owner

    def write(self, data: Any) -> None:
        self._owner.answered()
        self._transport.write(data)

    def writelines(self, lines: Any) -> None:
        self._owner.answered()
        self._transport.writelines(lines)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HeaderDeadline(asyncio.Protocol):
    def __init__(self, inner: asyncio.Protocol, seconds: float = HEADER_TIMEOUT) -> None:
        self._inner = inner
        self._seconds = seconds
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._waiting = True
        self._tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self._inner.connection_made(_Watched(self._transport, self))  # type: ignore[arg-type]
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._waiting:
            # the end may straddle two chunks: only its last 3 bytes are kept, never a copy
            if _END in data or _END in self._tail + data[:3]:
                self._waiting = False
                self._disarm()
            else:
                self._tail = (self._tail + data)[-3:] if len(data) < 3 else data[-3:]
                if self._timer is None:
                    self._arm()
        self._inner.data_received(data)

    def answered(self) -> None:
        self._waiting, self._tail = True, b""

    def _arm(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self._seconds, self._too_slow)

    def _too_slow(self) -> None:
        self._timer = None
        if self._transport is not None:
            self._transport.close()

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._inner.connection_lost(exc)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()
