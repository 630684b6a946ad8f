"""Putting one callback on the wire: the narrow seam between engine and transport.

The dispatcher only needs "send this URL, tell me what came back", so the
transport can be swapped (a leaner keep-alive client for load, an in-process
ASGI/WSGI call for tests) without touching scheduling or retries.
"""

from __future__ import annotations

import asyncio
from typing import NamedTuple, Protocol

import aiohttp
from yarl import URL

__all__ = ["AiohttpSender", "CallbackSender", "Headers", "Outcome"]


class Outcome(NamedTuple):
    """The HTTP status, or None and why there was no answer."""

    status: int | None
    error: str | None


Headers = tuple[tuple[str, str], ...]


class CallbackSender(Protocol):
    async def send(self, url: str, headers: Headers = ()) -> Outcome: ...

    async def close(self) -> None: ...


class AiohttpSender:
    """Keep-alive connections, at most ``per_receiver`` to each receiver; the URL's bytes go
    out untouched. The timeout is exact (aiohttp's own rounds up to the next second), and
    at most ``MAX_ANSWER`` bytes of an answer are read: the rest is not our business."""

    MAX_ANSWER = 64 * 1024

    def __init__(self, per_receiver: int = 64, timeout: float = 5.0) -> None:
        self._per_receiver = per_receiver
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=0, limit_per_host=self._per_receiver, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),
                auto_decompress=False,
            )
        return self._session

    async def send(self, url: str, headers: Headers = ()) -> Outcome:
        try:
            return await asyncio.wait_for(self._get(url, headers), self._timeout)
        except asyncio.TimeoutError:
            return Outcome(None, f"no answer within {self._timeout:g} s")
        except (aiohttp.ClientError, ValueError, OSError) as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}")

    async def _get(self, url: str, headers: Headers) -> Outcome:
        target = URL(url, encoded=True)
        async with self._open().get(target, headers=headers, allow_redirects=False) as reply:
            read = 0
            while read <= self.MAX_ANSWER and (chunk := await reply.content.readany()):
                read += len(chunk)
            if read > self.MAX_ANSWER:
                reply.close()  # drop the connection rather than read a huge answer
            error = None if 200 <= reply.status < 300 else f"HTTP {reply.status}"
            return Outcome(reply.status, error)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
