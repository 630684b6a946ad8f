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

__all__ = ["AiohttpSender", "CallbackSender", "Outcome"]


class Outcome(NamedTuple):
    """The HTTP status, or None and why there was no answer."""

    status: int | None
    error: str | None


class CallbackSender(Protocol):
    async def send(self, url: str) -> Outcome: ...

    async def close(self) -> None: ...


class AiohttpSender:
    """A bounded pool of keep-alive connections; the URL's bytes go out untouched."""

    def __init__(self, connections: int = 64, timeout: float = 5.0) -> None:
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, auto_decompress=False
            )
        return self._session

    async def send(self, url: str) -> Outcome:
        try:
            async with self._open().get(URL(url, encoded=True), allow_redirects=False) as reply:
                await reply.read()
                error = None if 200 <= reply.status < 300 else f"HTTP {reply.status}"
                return Outcome(reply.status, error)
        except asyncio.TimeoutError:
            return Outcome(None, f"no answer within {self._timeout.total:g} s")
        except (aiohttp.ClientError, ValueError, OSError) as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
