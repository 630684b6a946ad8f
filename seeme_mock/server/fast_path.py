"""Plain sends answered straight from the connection: a load test's every request is a
``GET /gateway?…`` over a kept-alive connection, and aiohttp's request machinery (its
protocol, request and response objects, writer) costs more than the gateway's own work on a
send (bench/RESULTS.md, "The fourth pass").

Every connection starts here. The first request that is anything else (another path or
method, HTTP/1.0, a body, ``Expect``, ``Upgrade``, ``Connection`` other than keep-alive,
no Host, a header name twice, a byte outside printable ASCII, a head over HEAD_LIMIT, a
query over MAX_QUERY) hands the connection to aiohttp, from that request on and for good:
whatever is not plain keeps aiohttp's behaviour exactly (its limits, its errors,
100-continue, HTTP/1.0). The answers are byte for byte aiohttp's (tests/test_fast_path.py
compares them; tests/test_fuzz.py compares the two on random requests).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from email.utils import formatdate
from functools import lru_cache
from typing import Any, cast

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE

from ..core.protocol import CONTENT_TYPES, parse_params
from .app import MAX_QUERY
from .send_endpoint import Later, Rendered, SendEndpoint
from .slow_clients import HEADER_TIMEOUT, HeaderDeadline

__all__ = ["HEAD_LIMIT", "FastPath", "FastPathSite"]

HEAD_LIMIT = 8 * 1024
"""A plain send's request line and headers; a longer head goes to aiohttp (MAX_LINE)."""

_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]"
_PLAIN = re.compile(
    rb"GET /gateway(?:\?([!$-~]*))? HTTP/1\.1"  # printable, no space, no '"', no '#'
    rb"((?:\r\n" + _TOKEN + rb"+:[\t -~]*)*)"  # header lines llhttp takes as they are
)


def _any_start_of(literal: bytes, then: bytes) -> bytes:
    """A pattern for any start of ``literal``, and once it is whole, ``then``."""
    pattern = then
    for byte in reversed(literal):
        pattern = b"(?:" + re.escape(bytes([byte])) + pattern + b")?"
    return pattern


_PLAIN_SO_FAR = re.compile(
    rb"GET /gateway(?:\?[!$-~]*)?"
    + _any_start_of(
        b" HTTP/1.1",
        rb"(?:\r\n" + _TOKEN + rb"+:[\t -~]*)*(?:\r(?:\n(?:" + _TOKEN + rb"*|\r))?)?",
    )
)
"""What an unfinished head of a plain send can look like so far."""


def _may_become_plain(head: bytes) -> bool:
    return (
        _PLAIN_SO_FAR.fullmatch(head) is not None
        if head.startswith(b"GET /gateway")
        else b"GET /gateway".startswith(head)
    )


_NOT_PLAIN = re.compile(
    rb"\r\n(?:content-length|transfer-encoding|expect|upgrade"
    rb"|connection(?!:[ \t]*keep-alive[ \t]*(?:\r\n|$))):"
)
"""Headers (lower-cased) that make a request something else than a plain send: a body, a
wait, a close."""
_NAME = re.compile(rb"\r\n([^:]*):")
MAX_HEADERS = 64
"""More headers than a plain send has; aiohttp judges a request with more."""


def _plain_headers(headers: bytes) -> bool:
    """Nothing of :data:`_NOT_PLAIN`, a Host, and each name once: aiohttp refuses a request
    without a Host, or with some names twice (Host, User-Agent, Content-Type...)."""
    headers = headers.lower()
    if _NOT_PLAIN.search(headers) is not None:
        return False
    names = _NAME.findall(headers)
    return len(names) <= MAX_HEADERS and b"host" in names and len(set(names)) == len(names)


log = logging.getLogger("seeme_mock")


class FastPath(asyncio.Protocol):
    """One connection: plain sends answered here, in order, one at a time; anything else
    makes it aiohttp's (``fallback()``, its protocol for the connection)."""

    def __init__(
        self,
        endpoint: SendEndpoint,
        fallback: Callable[[], asyncio.Protocol],
        connections: set[FastPath],
        keepalive: float,
    ) -> None:
        self._endpoint = endpoint
        self._fallback = fallback
        self._connections = connections
        self._keepalive = keepalive
        self._transport: asyncio.Transport | None = None
        self._client_ip = ""
        self._inner: asyncio.Protocol | None = None
        """aiohttp's protocol, once the connection is handed over."""
        self._buffer = b""
        self._pending: Later | None = None
        """The answer being waited for (back-pressure, the journal, a scenario's delay)."""
        self._write_paused = False
        self._reading = True
        self._closing = False
        self._loop = asyncio.get_running_loop()
        """Kept: asking for it on every answer is a system call (getpid) in Python 3.11."""
        self._last_answer = 0.0
        self._idle_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self._client_ip = peer[0] if isinstance(peer, tuple) else ""
        self._connections.add(self)
        self._last_answer = self._loop.time()
        self._idle_timer = self._loop.call_at(self._last_answer + self._keepalive, self._idle_check)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)
            return
        self._buffer = self._buffer + data if self._buffer else data
        if self._pending is None:
            self._serve()
        elif len(self._buffer) >= HEAD_LIMIT:
            self._update_reading()  # a client that pipelines: stop reading until answered

    def _serve(self) -> None:
        """Take the plain send at the head of the buffer; its answer, once written, takes
        the next. Nothing is taken while the client does not read its answers (so a
        hand-over to aiohttp never finds reading paused: it knows nothing of our pause)."""
        buffer = self._buffer
        if not buffer or self._closing or self._write_paused:
            return
        end = buffer.find(b"\r\n\r\n", 0, HEAD_LIMIT)
        if end < 0:
            if len(buffer) >= HEAD_LIMIT or not _may_become_plain(buffer):
                self._hand_over(buffer)  # aiohttp may say at once what is wrong
            return  # else the rest of the head is still on its way
        plain = _PLAIN.fullmatch(buffer, 0, end)
        if plain is None or not _plain_headers(plain.group(2)):
            self._hand_over(buffer)
            return
        query = plain.group(1) or b""
        if len(query) > MAX_QUERY:
            self._hand_over(buffer)
            return
        self._buffer = buffer[end + 4 :]
        self._wait_for(self._endpoint.take(parse_params(query.decode()), self._client_ip))

    def _write(self, answer: Rendered) -> None:
        assert self._transport is not None
        body, content_type = answer
        self._transport.write(_head(content_type, len(body)) + body)
        self._last_answer = self._loop.time()

    def _wait_for(self, answer: Later) -> None:
        self._pending = answer
        answer.then(self._answered)
        self._update_reading()

    def _answered(self, ready: asyncio.Future[Any]) -> None:
        answer = self._pending
        if answer is None or answer.ready is not ready:  # the connection was lost meanwhile
            return
        self._pending = None
        assert self._transport is not None
        try:
            rendered = answer.result()
        except asyncio.CancelledError:  # the loop is ending
            self._transport.close()
            return
        except Exception:  # a bug of ours; the send endpoint itself answers code 8 for its own
            log.exception("seeme-mock failed to answer a send")
            self._transport.close()
            return
        self._write(rendered)
        if self._closing:
            self._transport.close()
            return
        self._serve()
        self._update_reading()

    def _update_reading(self) -> None:
        """Read while the client reads what it is sent, and, while an answer is waited for,
        until HEAD_LIMIT bytes wait behind it. A client that sends one request at a time
        (nginx, any connection pool) is not paused for every send that waits for the
        journal: pausing and resuming are two system calls a send."""
        waiting = self._pending is not None and len(self._buffer) >= HEAD_LIMIT
        reading = not waiting and not self._write_paused
        if reading != self._reading and self._transport is not None:
            self._reading = reading
            if self._transport.is_closing():
                return
            if reading:
                self._transport.resume_reading()
            else:
                self._transport.pause_reading()

    def _hand_over(self, data: bytes) -> None:
        """From ``data`` (a request's first byte) on, the connection is aiohttp's."""
        self._buffer = b""
        self._stop_idle_timer()
        self._connections.discard(self)
        inner = self._inner = self._fallback()
        inner.connection_made(self._transport)  # type: ignore[arg-type]
        if self._write_paused:
            inner.pause_writing()
        inner.data_received(data)

    def _idle_check(self) -> None:
        """aiohttp's keep-alive timeout, for the connections still here: closed once idle
        that long. One timer a connection, moved on lazily, not one an answer."""
        loop = self._loop
        close_at = self._last_answer + self._keepalive
        if self._pending is not None or self._buffer:  # a head half in: HeaderDeadline's
            close_at = loop.time() + self._keepalive
        elif loop.time() >= close_at:
            self._idle_timer = None
            assert self._transport is not None
            self._transport.close()
            return
        self._idle_timer = loop.call_at(close_at, self._idle_check)

    def _stop_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def close_when_idle(self) -> None:
        """The server stops: close now, or once the answer being waited for is written."""
        self._closing = True
        if self._pending is None and self._transport is not None:
            self._transport.close()

    def eof_received(self) -> bool | None:
        if self._inner is not None:
            return self._inner.eof_received()
        if self._pending is not None:
            self._closing = True  # answer what was asked, then close
            return True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_idle_timer()
        self._connections.discard(self)
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.cancel()
        if self._inner is not None:
            self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._write_paused = True
        if self._inner is not None:
            self._inner.pause_writing()
        else:
            self._update_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._inner is not None:
            self._inner.resume_writing()
        elif self._pending is None:
            self._serve()  # what was read before the pause
            self._update_reading()


class FastPathSite(web.SockSite):
    """aiohttp's SockSite whose connections start on the fast path, each behind a
    HeaderDeadline (slow clients are let go whichever path serves them)."""

    def __init__(
        self,
        runner: web.BaseRunner,
        sock: Any,
        endpoint: SendEndpoint,
        *,
        keepalive: float,
        header_timeout: float = HEADER_TIMEOUT,
        ssl_context: Any = None,
    ) -> None:
        super().__init__(runner, sock, ssl_context=ssl_context)
        self._endpoint = endpoint
        self._keepalive = keepalive
        self._header_timeout = header_timeout
        self.connections: set[FastPath] = set()
        """The connections still on the fast path (aiohttp knows the others)."""

    async def start(self) -> None:
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None

        def protocol() -> asyncio.Protocol:
            fast = FastPath(self._endpoint, server, self.connections, self._keepalive)
            return HeaderDeadline(fast, self._header_timeout)

        self._server = await loop.create_server(
            protocol, sock=self._sock, ssl=self._ssl_context, backlog=self._backlog
        )

    async def stop(self) -> None:
        await super().stop()
        for connection in list(self.connections):
            connection.close_when_idle()


def _head(content_type: str, length: int) -> bytes:
    return b"%s%d\r\nDate: %s\r\nServer: %s\r\n\r\n" % (
        _CONTENT_TYPE_LINES[content_type],
        length,
        _date(int(time.time())),
        _SERVER,
    )


_CONTENT_TYPE_LINES = {
    content_type: (
        f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}; charset=utf-8\r\nContent-Length: "
    ).encode()
    for content_type in CONTENT_TYPES.values()
}
_SERVER = SERVER_SOFTWARE.encode()


@lru_cache(maxsize=2)
def _date(second: int) -> bytes:
    """The Date header's value, made once a second."""
    return formatdate(second, usegmt=True).encode()
