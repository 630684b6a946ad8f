"""Putting one callback on the wire: the narrow seam between engine and transport.

The dispatcher only needs "send this URL, call me with what came back", so the transport
can be swapped (an in-process ASGI/WSGI call for tests, :mod:`.inprocess`) without
touching scheduling or retries. The seam is a callback, not a coroutine: the answer's
I/O callback can put the next request on the same connection at once, where a task would
wait a turn of the loop to be resumed (bench/RESULTS.md, the fifth pass).

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
from collections.abc import Callable, Coroutine
from functools import lru_cache
from typing import Any, NamedTuple, Protocol
from urllib.parse import unquote

import httptools

__all__ = [
    "CallbackSender",
    "Done",
    "Headers",
    "KeepAliveSender",
    "Outcome",
    "origin",
    "outcome_of",
]


class Outcome(NamedTuple):
    """The HTTP status, or None and why there was no answer."""

    status: int | None
    error: str | None


Headers = tuple[tuple[str, str], ...]

Done = Callable[[Outcome], None]
"""Told the outcome of one request, once, and never before ``start`` has returned."""


class CallbackSender(Protocol):
    def start(self, url: str, headers: Headers, done: Done) -> None:
        """Send a GET of ``url``; ``done`` gets its outcome. Closing the sender ends what
        is under way with an outcome that says so."""

    async def close(self) -> None: ...


async def outcome_of(sender: CallbackSender, url: str, headers: Headers = ()) -> Outcome:
    """One request's outcome, awaited: for callers with nothing else to do meanwhile (the
    benches, the tests)."""
    answered: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

    def settle(outcome: Outcome) -> None:
        if not answered.done():  # not cancelled meanwhile
            answered.set_result(outcome)

    sender.start(url, headers, settle)
    return await answered


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

    def start(self, url: str, headers: Headers, done: Done) -> None:
        try:
            where, target = _split(url)
            pool = self._pools.get(where) or self._open(where)
            request = pool.request(target, headers)
        except ValueError as exc:
            asyncio.get_running_loop().call_soon(done, _failed(exc))
            return
        pool.submit(_Exchange(request, pool.loop.time() + self._timeout, done))

    def _open(self, origin: str) -> _Pool:
        scheme, _, netloc = origin.partition("://")
        if scheme not in ("http", "https"):
            raise ValueError(f"not an http:// or https:// URL: {origin}")
        tls = None
        if scheme == "https":
            tls = self._tls = self._tls or ssl.create_default_context()
        pool = _Pool(netloc, tls, self._per_receiver, self._timeout, self.IDLE)
        self._pools[origin] = pool
        return pool

    async def close(self) -> None:
        """Close every connection; what was under way ends, a later request opens anew."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def _failed(exc: BaseException) -> Outcome:
    return Outcome(None, f"{type(exc).__name__}: {exc}")


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


class _Exchange:
    """One request on its way, until its ``done`` has been told."""

    __slots__ = ("deadline", "done", "request", "retried")

    def __init__(self, request: bytes, deadline: float, done: Done) -> None:
        self.request = request
        self.deadline = deadline
        self.done = done
        self.retried = False


class _Pool:
    """The connections to one receiver: idle ones newest first, and the requests waiting
    for one when ``limit`` are open (FIFO, so the first waiting has the first deadline)."""

    def __init__(
        self, netloc: str, tls: ssl.SSLContext | None, limit: int, timeout: float, idle: float
    ) -> None:
        userinfo, _, hostport = netloc.rpartition("@")
        host, port = _host_port(hostport, 443 if tls else 80)
        self._host, self._port, self._tls = host, port, tls
        self._limit, self._idle_for, self._timeout = limit, idle, timeout
        self.timed_out = Outcome(None, f"no answer within {timeout:g} s")
        head = f"Host: {hostport}\r\nAccept: */*\r\n"
        if userinfo:  # http://user:pass@host/ as any client sends it: Basic authorization
            token = base64.b64encode(unquote(userinfo).encode()).decode()
            head += f"Authorization: Basic {token}\r\n"
        self._head = head.encode("latin-1")
        self.loop = asyncio.get_running_loop()
        self._idle: list[_Connection] = []
        self._connections: set[_Connection] = set()
        self._connecting: set[asyncio.Task[None]] = set()
        self._open = 0
        """Connections open or being opened."""
        self._waiting: deque[_Exchange] = deque()
        self._wait_timer: asyncio.TimerHandle | None = None
        self._closed = False

    def request(self, target: str, headers: Headers) -> bytes:
        extra = _header_lines(headers)
        return b"GET %s HTTP/1.1\r\n%s%s\r\n" % (target.encode("ascii"), self._head, extra)

    def submit(self, exchange: _Exchange) -> None:
        """On a kept-alive connection at once if one is free, else on a new one, else
        after the requests already waiting."""
        if self._closed:
            self.loop.call_soon(exchange.done, _CLOSED)
            return
        connection = self._take_idle()
        if connection is not None:
            connection.begin(exchange)
        elif self._open < self._limit:
            self._start_connecting(self._connect(exchange))
        else:
            self._waiting.append(exchange)
            if self._wait_timer is None:
                self._wait_timer = self.loop.call_at(exchange.deadline, self._expire_waiting)

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if connection.usable and self.loop.time() - connection.idle_since < self._idle_for:
                return connection
            self._discard(connection)
        return None

    def _start_connecting(self, connecting: Coroutine[Any, Any, None]) -> None:
        """Count a connection as open while ``connecting`` opens it (it calls
        :meth:`_connection`), and keep the task, for close() to cancel."""
        self._open += 1
        task = self.loop.create_task(connecting)
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    async def _connection(self, timeout: float) -> _Connection | None:
        """A new connection of the pool's, or None when the pool closed meanwhile; what
        failed is raised. Either way the count :meth:`_start_connecting` took is settled."""
        try:
            _, connection = await asyncio.wait_for(
                self.loop.create_connection(
                    lambda: _Connection(self), self._host, self._port, ssl=self._tls,
                    server_hostname=self._host if self._tls else None,
                ),
                timeout,
            )  # fmt: skip
        except BaseException:
            self._open -= 1
            raise
        if self._closed:
            self._open -= 1
            connection.close()
            return None
        self._connections.add(connection)
        return connection

    async def _connect(self, exchange: _Exchange) -> None:
        try:
            connection = await self._connection(exchange.deadline - self.loop.time())
        except asyncio.TimeoutError:
            self._end(exchange, self.timed_out)
        except (OSError, ValueError) as exc:
            self._end(exchange, _failed(exc))
        except BaseException:  # cancelled: the pool closed
            self._end(exchange, _CLOSED)
            raise
        else:
            if connection is None:
                self._end(exchange, _CLOSED)
            else:
                connection.begin(exchange)

    def finished(self, connection: _Connection, exchange: _Exchange, outcome: Outcome) -> None:
        """From ``connection``: its exchange ended with ``outcome`` (an answer, or a
        timeout). The connection goes back first, so that a request ``done`` starts at
        once can go out on it."""
        self._release(connection)
        self._end(exchange, outcome)

    def unanswered(
        self, connection: _Connection, exchange: _Exchange, why: str, stale: bool
    ) -> None:
        """From ``connection``: it ended without an answer; ``stale``: not one byte came
        back on a connection that had answered before, so the receiver closed it while
        idle and the request is worth one more try on another."""
        self._release(connection)
        if stale and not self._closed:
            if not exchange.retried:
                exchange.retried = True
                self.submit(exchange)
                return
            why = "the connection was closed before an answer, twice"
        self._end(exchange, Outcome(None, why))

    def _end(self, exchange: _Exchange, outcome: Outcome) -> None:
        if self._waiting:
            self._serve_waiting()
        exchange.done(outcome)

    def _release(self, connection: _Connection) -> None:
        if connection.usable and not self._closed:
            connection.idle_since = self.loop.time()
            self._idle.append(connection)
            return
        self._discard(connection)
        if connection.retired and not self._closed and self._open < self._limit:
            self._open_successor()

    def _open_successor(self) -> None:
        """Open the successor of a connection the receiver ended on purpose, now rather
        than when a callback finds no idle one. A receiver ends them at a count of
        requests (nginx: 1,000), so under a steady load it ends every one within a few
        milliseconds, and the callbacks of those milliseconds each waited for a connection
        of their own: in some runs of the load bench, a burst of late callbacks every
        2.5 s (bench/RESULTS.md, the eleventh pass)."""
        self._start_connecting(self._successor())

    async def _successor(self) -> None:
        try:
            connection = await self._connection(self._timeout)
        except (OSError, ValueError, asyncio.TimeoutError):
            return  # the next callback tries again, and says what is wrong
        if connection is not None:
            self._release(connection)
            self._serve_waiting()

    def _discard(self, connection: _Connection) -> None:
        connection.close()
        if connection in self._connections:
            self._connections.remove(connection)
            self._open -= 1

    def _serve_waiting(self) -> None:
        while self._waiting and (self._idle or self._open < self._limit):
            self.submit(self._waiting.popleft())

    def _expire_waiting(self) -> None:
        self._wait_timer = None
        now = self.loop.time()
        while self._waiting and self._waiting[0].deadline <= now:
            self._waiting.popleft().done(self.timed_out)
        if self._waiting:
            self._wait_timer = self.loop.call_at(self._waiting[0].deadline, self._expire_waiting)

    def close(self) -> None:
        self._closed = True
        if self._wait_timer is not None:
            self._wait_timer.cancel()
        for task in self._connecting:
            task.cancel()
        for connection in list(self._connections):
            connection.close()  # an exchange under way ends in connection_lost
        self._idle.clear()
        while self._waiting:
            self.loop.call_soon(self._waiting.popleft().done, _CLOSED)


_CLOSED = Outcome(None, "seeme-mock closed the connection before an answer (it stopped or reset)")


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
    """One kept-alive connection; httptools calls the ``on_*`` methods as it parses. What
    it learns goes to its pool once ``data_received`` is done with the parser, never from
    inside it: the pool may put the next request on this connection at once."""

    def __init__(self, pool: _Pool) -> None:
        self._pool = pool
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._exchange: _Exchange | None = None
        self._status: int | None = None
        self._read = 0
        """Bytes of the answer come so far."""
        self._keep = False
        self._complete = False
        self.usable = True
        """Open, with no answer half read: fit to carry the next request."""
        self._answered = 0
        """Requests answered on it: a used connection the receiver closed meanwhile is
        worth one retry, a new one is not."""
        self._reused = False
        self.idle_since = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def begin(self, exchange: _Exchange) -> None:
        assert self._transport is not None
        self._exchange = exchange
        self._status, self._read, self._keep, self._complete = None, 0, False, False
        self._reused = self._answered > 0
        self.usable = False  # until the answer has been read whole
        if self._timer is None:
            self._timer = self._pool.loop.call_at(exchange.deadline, self._check_deadline)
        self._transport.write(exchange.request)

    def _check_deadline(self) -> None:
        """One timer a connection, moved on lazily, not one an exchange: it fires at the
        deadline of the exchange it was set for; by then a later exchange may be under way,
        whose deadline it moves to."""
        self._timer = None
        exchange = self._exchange
        if exchange is None:
            return  # answered: the next exchange sets it again
        if self._pool.loop.time() < exchange.deadline:
            self._timer = self._pool.loop.call_at(exchange.deadline, self._check_deadline)
            return
        self._exchange = None
        self.close()
        self._pool.finished(self, exchange, self._pool.timed_out)

    def data_received(self, data: bytes) -> None:
        exchange = self._exchange
        if exchange is None:
            self.close()  # an answer nobody asked for: this connection is out of step
            return
        self._read += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._give_up(f"not an HTTP answer: {exc}")
            return
        if self._complete:
            self._answered += 1
            self.usable = self._keep and not self._transport.is_closing()  # type: ignore[union-attr]
            self._exchange = None
            self._pool.finished(self, exchange, _status_outcome(self._status))
        elif self._read > KeepAliveSender.MAX_ANSWER:  # rather than read a huge answer
            if self._status is None:
                self._give_up("an answer's head over 64 KiB")
            else:
                self._exchange = None
                self.close()
                self._pool.finished(self, exchange, _status_outcome(self._status))

    @property
    def retired(self) -> bool:
        """Its last answer came whole and ended a connection that had carried others
        (``Connection: close``, as nginx says on a connection's 1,000th answer): the
        receiver keeps connections alive, and ends them at a count. One that ends each
        connection after one answer is not (HTTP/1.0, pytest-httpserver)."""
        return self._complete and not self._keep and self._answered > 1

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()
        self._keep = self._parser.should_keep_alive()

    def on_message_complete(self) -> None:
        if self._status is not None and 100 <= self._status < 200:
            return  # 100 Continue and the like: the answer is still to come
        if self._complete:
            self._keep = False  # a second answer to one request: out of step
        self._complete = True

    def eof_received(self) -> bool | None:
        self.usable = False  # the receiver closed its end; the transport closes itself
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.usable = False
        exchange, self._exchange = self._exchange, None
        if exchange is None:
            return
        if self._status is not None:  # an answer read until the connection closed
            self._pool.finished(self, exchange, _status_outcome(self._status))
        else:
            why = f"connection closed without an answer{f': {exc}' if exc else ''}"
            stale = not self._read and self._reused
            self._pool.unanswered(self, exchange, why, stale)

    def _give_up(self, why: str) -> None:
        exchange, self._exchange = self._exchange, None
        self.close()
        if exchange is not None:
            self._pool.unanswered(self, exchange, why, stale=False)

    def close(self) -> None:
        self.usable = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._transport is not None:
            self._transport.close()


def _status_outcome(status: int | None) -> Outcome:
    assert status is not None
    outcome = _OUTCOMES.get(status)
    if outcome is None:
        outcome = Outcome(status, None if 200 <= status < 300 else f"HTTP {status}")
        if 100 <= status < 600:  # a handful, the same over and over: kept, not rebuilt
            _OUTCOMES[status] = outcome
    return outcome


_OUTCOMES: dict[int, Outcome] = {}
