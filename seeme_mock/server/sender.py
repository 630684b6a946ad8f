"""Putting one callback on the wire: the narrow seam between engine and transport.

The dispatcher only needs "send this URL, tell me what came back", so the transport can
be swapped (an in-process ASGI/WSGI call for tests, :mod:`.inprocess`) without touching
scheduling or retries.

:class:`KeepAliveSender` is the network one: a small HTTP/1.1 client on asyncio's
protocols with httptools (llhttp, the parser of Node and uvicorn) reading the answers.
A callback is one GET whose answer matters only for its status, so the client does
exactly that: one ``write`` per request on a kept-alive connection, no URL object, no
header dictionaries. Under the load bench it costs a fraction of aiohttp's client
(bench/RESULTS.md); aiohttp stays the server.
"""

from __future__ import annotations

import asyncio
import base64
import re
import ssl
from collections import deque
from functools import lru_cache
from typing import NamedTuple, Protocol
from urllib.parse import unquote

import httptools

__all__ = ["CallbackSender", "Headers", "KeepAliveSender", "Outcome", "origin"]


class Outcome(NamedTuple):
    """The HTTP status, or None and why there was no answer."""

    status: int | None
    error: str | None


Headers = tuple[tuple[str, str], ...]


class CallbackSender(Protocol):
    async def send(self, url: str, headers: Headers = ()) -> Outcome: ...

    async def close(self) -> None: ...


class _NoAnswer(Exception):
    """The connection ended before an answer; ``stale``: not one byte came back."""

    def __init__(self, why: str, stale: bool) -> None:
        super().__init__(why)
        self.stale = stale


class KeepAliveSender:
    """Keep-alive connections, at most ``per_receiver`` to each receiver (scheme, host,
    port); the URL's bytes go out untouched. The timeout is exact and covers connecting,
    waiting for a free connection and the answer; at most ``MAX_ANSWER`` bytes of an
    answer are read (the rest is not our business: the connection is dropped instead).
    A kept-alive connection the receiver closed meanwhile is retried once on a new one,
    as browsers and aiohttp do; nothing is retried once the receiver said a word."""

    MAX_ANSWER = 64 * 1024
    IDLE = 15.0
    """Seconds an unused connection is kept; most servers close theirs after 5 to 75."""

    def __init__(self, per_receiver: int = 64, timeout: float = 5.0) -> None:
        self._per_receiver = per_receiver
        self._timeout = timeout
        self._pools: dict[str, _Pool] = {}
        self._tls: ssl.SSLContext | None = None

    async def send(self, url: str, headers: Headers = ()) -> Outcome:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        try:
            where, target = _split(url)
            pool = self._pools.get(where) or self._open(where)
            request = pool.request(target, headers)
            for _ in range(2):
                connection = pool.idle(loop) or await pool.connect(deadline)
                reused = connection.answered > 0
                try:
                    status = await connection.exchange(request, deadline)
                except _NoAnswer as no_answer:
                    if no_answer.stale and reused:
                        continue
                    return Outcome(None, str(no_answer))
                finally:
                    pool.release(connection)
                return Outcome(status, None if 200 <= status < 300 else f"HTTP {status}")
            return Outcome(None, "the connection was closed before an answer, twice")
        except asyncio.TimeoutError:
            return Outcome(None, f"no answer within {self._timeout:g} s")
        except (OSError, ValueError) as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}")

    def _open(self, origin: str) -> _Pool:
        scheme, _, netloc = origin.partition("://")
        if scheme not in ("http", "https"):
            raise ValueError(f"not an http:// or https:// URL: {origin}")
        tls = None
        if scheme == "https":
            tls = self._tls = self._tls or ssl.create_default_context()
        pool = self._pools[origin] = _Pool(netloc, tls, self._per_receiver, self.IDLE)
        return pool

    async def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()


def origin(url: str) -> str:
    """scheme://netloc of ``url``: the receiver whose connections a request shares."""
    return _split_base(url.partition("?")[0])[0]


def _split(url: str) -> tuple[str, str]:
    """scheme://netloc and the request target (path and query, without the fragment);
    urllib's urlsplit, without its cost for what a request needs. The part before the
    query is split once: callbacks differ only in their queries."""
    base, mark, query = url.partition("?")
    where, path = _split_base(base)
    if not mark or "#" in base:
        return where, path
    return where, f"{path}?{query.partition('#')[0]}"


@lru_cache(maxsize=1024)
def _split_base(base: str) -> tuple[str, str]:
    parts = _URL.match(base)
    if parts is None:
        raise ValueError(f"not an absolute URL: {base!r}")
    scheme, userinfo, hostport, path = parts.groups()
    return f"{scheme.lower()}://{userinfo or ''}{hostport.lower()}", path or "/"


_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#@]*@)?([^/?#]*)([^?#]*)")
"""scheme, user:password@, host:port, path; names are not case-sensitive, credentials
are."""


class _Pool:
    """The connections to one receiver: idle ones newest first, and the sends waiting
    for one when ``limit`` are open."""

    def __init__(self, netloc: str, tls: ssl.SSLContext | None, limit: int, idle: float) -> None:
        userinfo, _, hostport = netloc.rpartition("@")
        host, port = _host_port(hostport, 443 if tls else 80)
        self._host, self._port, self._tls = host, port, tls
        self._limit, self._idle_for = limit, idle
        head = f"Host: {hostport}\r\nAccept: */*\r\n"
        if userinfo:  # http://user:pass@host/ as any client sends it: Basic authorization
            token = base64.b64encode(unquote(userinfo).encode()).decode()
            head += f"Authorization: Basic {token}\r\n"
        self._head = head.encode("latin-1")
        self._idle: list[_Connection] = []
        self._open = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    def request(self, target: str, headers: Headers) -> bytes:
        extra = _header_lines(headers)
        return b"GET %s HTTP/1.1\r\n%s%s\r\n" % (target.encode("ascii"), self._head, extra)

    def idle(self, loop: asyncio.AbstractEventLoop) -> _Connection | None:
        """A kept-alive connection to send on at once, if one is free."""
        while self._idle:
            connection = self._idle.pop()
            if connection.usable and loop.time() - connection.idle_since < self._idle_for:
                return connection
            self._discard(connection)
        return None

    async def connect(self, deadline: float) -> _Connection:
        """A new connection, or the first to come free when ``limit`` are open."""
        loop = asyncio.get_running_loop()
        while True:
            if self._open < self._limit:
                self._open += 1
                try:
                    return await self._connect(loop, deadline)
                except BaseException:
                    self._open -= 1
                    self._wake_one()
                    raise
            waiter = loop.create_future()
            self._waiting.append(waiter)
            try:
                await asyncio.wait_for(waiter, deadline - loop.time())
            finally:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
            connection = self.idle(loop)
            if connection is not None:
                return connection

    async def _connect(self, loop: asyncio.AbstractEventLoop, deadline: float) -> _Connection:
        _, connection = await asyncio.wait_for(
            loop.create_connection(
                _Connection, self._host, self._port, ssl=self._tls,
                server_hostname=self._host if self._tls else None,
            ),
            deadline - loop.time(),
        )  # fmt: skip
        return connection

    def release(self, connection: _Connection) -> None:
        if connection.usable:
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.append(connection)
        else:
            self._discard(connection)
        self._wake_one()

    def _discard(self, connection: _Connection) -> None:
        connection.close()
        self._open -= 1

    def _wake_one(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


@lru_cache(maxsize=16)
def _header_lines(headers: Headers) -> bytes:
    """``--callback-header`` lines, and our User-Agent unless they give one."""
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers)
    if not any(name.lower() == "user-agent" for name, _ in headers):
        lines = "User-Agent: seeme-mock\r\n" + lines
    return lines.encode("latin-1")


def _host_port(hostport: str, default: int) -> tuple[str, int]:
    if hostport.startswith("["):  # [::1]:8080
        host, _, rest = hostport[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = hostport.partition(":")
    if not host:
        raise ValueError(f"no host in {hostport!r}")
    if not port:
        return host, default
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad port in {hostport!r}")
    return host, int(port)


class _Connection(asyncio.Protocol):
    """One kept-alive connection; httptools calls the ``on_*`` methods as it parses."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[int] | None = None
        self._status: int | None = None
        self._read = 0
        """Bytes of the answer come so far."""
        self._keep = False
        self.usable = True
        """Open, with no answer half read: fit to carry the next request."""
        self.answered = 0
        """Requests answered on it: a used connection the receiver closed meanwhile is
        worth one retry, a new one is not."""
        self.idle_since = 0.0
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    async def exchange(self, request: bytes, deadline: float) -> int:
        """Send ``request``; the answer's status once it has been read."""
        assert self._transport is not None
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[int] = loop.create_future()
        self._answer = answer
        self._status, self._read, self._keep = None, 0, False
        self.usable = False  # until the answer has been read whole
        self._deadline = deadline
        if self._timer is None:
            self._timer = loop.call_at(deadline, self._check_deadline)
        self._transport.write(request)
        return await answer

    def _check_deadline(self) -> None:
        """One timer a connection, moved on lazily, not one an exchange: it fires at the
        deadline of the exchange it was set for; by then a later exchange may be under way,
        whose deadline it moves to."""
        self._timer = None
        if self._answer is None:
            return  # answered: the next exchange sets it again
        loop = asyncio.get_running_loop()
        if loop.time() < self._deadline:
            self._timer = loop.call_at(self._deadline, self._check_deadline)
            return
        self._settle(error=asyncio.TimeoutError())
        self.close()

    def data_received(self, data: bytes) -> None:
        if self._answer is None:
            self.close()  # an answer nobody asked for: this connection is out of step
            return
        self._read += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._settle(error=_NoAnswer(f"not an HTTP answer: {exc}", stale=False))
            self.close()
            return
        if self._read > KeepAliveSender.MAX_ANSWER and self._answer is not None:
            if self._status is None:
                self._settle(error=_NoAnswer("an answer's head over 64 KiB", stale=False))
            else:
                self._settle(status=self._status)
            self.close()  # rather than read a huge answer

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()
        self._keep = self._parser.should_keep_alive()

    def on_message_complete(self) -> None:
        if self._status is not None and 100 <= self._status < 200:
            return  # 100 Continue and the like: the answer is still to come
        keep = self._keep
        self.answered += 1
        self._settle(status=self._status)
        self.usable = keep and self._transport is not None and not self._transport.is_closing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.usable = False
        if self._status is not None:  # an answer read until the connection closed
            self._settle(status=self._status)
        else:
            why = f": {exc}" if exc else ""
            self._settle(error=_NoAnswer(f"connection closed without an answer{why}",
                                         stale=not self._read))  # fmt: skip

    def _settle(self, status: int | None = None, error: BaseException | None = None) -> None:
        answer, self._answer = self._answer, None
        if answer is None or answer.done():
            return
        if error is not None:
            answer.set_exception(error)
        else:
            assert status is not None
            answer.set_result(status)

    def close(self) -> None:
        self.usable = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._transport is not None:
            self._transport.close()
