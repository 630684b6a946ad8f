"""The send endpoint's fast path (seeme_mock/server/fast_path.py): plain sends are answered
byte for byte as aiohttp answers them, in order, and everything else is aiohttp's.

Raw sockets on loopback: what is under test is the bytes on the wire."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest

from conftest import SEND, START
from seeme_mock import ManualClock, MockServer
from seeme_mock.server import mock_server
from seeme_mock.server.journal import SqliteJournal

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def plain(path: str = "/gateway", version: str = "1.1", headers: str = "", **params: str) -> bytes:
    query = urlencode({**SEND, **params})
    return f"GET {path}?{query} HTTP/{version}\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode()


async def answers(reader: asyncio.StreamReader, count: int) -> list[bytes]:
    """``count`` whole answers, each its head and body, with the Date made constant."""
    got = []
    for _ in range(count):
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        length = int(re.search(rb"Content-Length: (\d+)", head)[1])  # type: ignore[index]
        body = await asyncio.wait_for(reader.readexactly(length), 10)
        got.append(re.sub(rb"Date: [^\r]*", b"Date: -", head) + body)
    return got


def run(test: Callable[[MockServer, Callable[[], Awaitable[Stream]]], Awaitable[None]],
        **options: object) -> None:  # fmt: skip
    """``test(server, connect)`` on a started server (manual clock); stopped after."""

    async def main() -> None:
        server = MockServer(clock=ManualClock(START), **options)  # type: ignore[arg-type]
        await server.start()
        opened: list[asyncio.StreamWriter] = []

        async def connect() -> Stream:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            opened.append(writer)
            return reader, writer

        try:
            await test(server, connect)
        finally:
            for writer in opened:
                writer.close()
            await server.stop()

    asyncio.run(main())


@pytest.mark.parametrize(
    "params",
    [{"format": "json"}, {"format": "xml"}, {"format": "string"}, {"key": "wrong"}],
    ids=["json", "xml", "string", "error"],
)
def test_a_plain_send_is_answered_byte_for_byte_as_aiohttp_answers_it(
    params: dict[str, str],
) -> None:
    async def test(server: MockServer, connect: Callable[[], Awaitable[Stream]]) -> None:
        fast_reader, fast = await connect()
        fast.write(plain(**params))
        [fast_answer] = await answers(fast_reader, 1)
        assert server.connections_on_fast_path == 1
        aiohttp_reader, handed_over = await connect()
        handed_over.write(plain(headers="Content-Length: 0\r\n", **params))  # not plain
        [aiohttp_answer] = await answers(aiohttp_reader, 1)
        assert server.connections_on_fast_path == 1  # the second one is aiohttp's
        assert fast_answer == aiohttp_answer
        assert fast_answer.startswith(b"HTTP/1.1 200 OK\r\n")

    run(test)


def test_pipelined_sends_are_answered_in_order_and_another_request_hands_over() -> None:
    async def test(server: MockServer, connect: Callable[[], Awaitable[Stream]]) -> None:
        reader, writer = await connect()
        health = b"GET /__admin/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        writer.write(plain(format="json") + plain(format="xml") + health + plain(format="string"))
        got = await answers(reader, 4)
        kinds = [re.search(rb"Content-Type: ([a-z/]+)", answer)[1] for answer in got]  # type: ignore[index]
        assert kinds == [b"application/json", b"application/xml", b"application/json",
                         b"text/plain"]  # fmt: skip
        assert b'"messages": 2' in got[2]  # the two sends before it were taken first
        assert len(server.gateway.messages) == 3
        assert server.connections_on_fast_path == 0

    run(test)


def test_sends_that_wait_for_the_journal_are_answered_in_order(tmp_path: Path) -> None:
    async def test(server: MockServer, connect: Callable[[], Awaitable[Stream]]) -> None:
        reader, writer = await connect()
        writer.write(b"".join(plain(format=fmt) for fmt in ("xml", "json", "string", "xml")))
        got = await answers(reader, 4)
        assert [answer.count(b"<result>OK</result>") for answer in got] == [1, 0, 0, 1]
        assert b'"result":"OK"' in got[1] and b"result=OK" in got[2]
        assert len(server.gateway.messages) == 4
        assert server.connections_on_fast_path == 1

    run(test, journal=SqliteJournal(tmp_path / "journal.db"))


def test_a_client_that_pipelines_behind_a_commit_is_paused_and_resumed(tmp_path: Path) -> None:
    """400 sends in one write (60 KB) to a server whose answers wait for the journal: what
    waits behind an answer stops being read past HEAD_LIMIT, and reading goes on once the
    answer is written; every send is answered, in order, and the connection still works."""

    async def test(server: MockServer, connect: Callable[[], Awaitable[Stream]]) -> None:
        reader, writer = await connect()
        writer.write(b"".join(plain(reference=f"r{n}") for n in range(400)))
        assert len(await answers(reader, 400)) == 400
        writer.write(plain(reference="after"))
        await answers(reader, 1)
        references = [message.reference for message in server.gateway.messages]
        assert references == [f"r{n}" for n in range(400)] + ["after"]
        assert server.connections_on_fast_path == 1

    run(test, journal=SqliteJournal(tmp_path / "journal.db"))


@pytest.mark.parametrize(
    ("request_bytes", "answer_starts"),
    [
        (plain(version="1.0"), b"HTTP/1.0 200 OK"),
        (plain(headers="Bad Header: x\r\n"), b"HTTP/1.0 400 Bad Request"),  # aiohttp says 1.0
        (plain(message="x" * 20_000), b"HTTP/1.1 414 Request-URI Too Long"),
        (plain(path="/gateway/"), b"HTTP/1.1 404 Not Found"),
        (plain(headers="Connection: close\r\n"), b"HTTP/1.1 200 OK"),
    ],
    ids=["http-1.0", "bad-header", "long-query", "other-path", "connection-close"],
)
def test_what_is_not_plain_gets_aiohttps_answer(request_bytes: bytes, answer_starts: bytes) -> None:
    async def test(server: MockServer, connect: Callable[[], Awaitable[Stream]]) -> None:
        reader, writer = await connect()
        writer.write(request_bytes)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(answer_starts)
        assert server.connections_on_fast_path == 0

    run(test)


def test_a_stopping_server_closes_connections_still_on_the_fast_path() -> None:
    async def main() -> None:
        server = MockServer(clock=ManualClock(START))
        await server.start()
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(plain())
        await answers(reader, 1)
        await server.stop()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
        writer.close()

    asyncio.run(main())


def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mock_server, "KEEPALIVE", 0.2)

    async def test(server: MockServer, connect: Callable[[], Awaitable[Stream]]) -> None:
        reader, writer = await connect()
        writer.write(plain())
        await answers(reader, 1)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # 0.2 s idle, then closed

    run(test)


def test_an_unfinished_head_that_cannot_be_plain_gets_aiohttps_answer_at_once() -> None:
    """Bare LF line ends: aiohttp answers 400 at once; the fast path must not sit waiting
    for a CRLF CRLF that never comes (it did, until the header timeout)."""

    async def test(server: MockServer, connect: Callable[[], Awaitable[Stream]]) -> None:
        reader, writer = await connect()
        writer.write(plain().replace(b"\r\n", b"\n"))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.0 400 Bad Request")
        assert server.connections_on_fast_path == 0

    run(test)


def test_a_plain_send_in_pieces_of_any_size_is_answered_on_the_fast_path() -> None:
    async def test(server: MockServer, connect: Callable[[], Awaitable[Stream]]) -> None:
        request = plain(format="xml")
        for size in (1, 2, 3, 7):
            reader, writer = await connect()
            for start in range(0, len(request), size):
                writer.write(request[start : start + size])
                await writer.drain()
                await asyncio.sleep(0)  # each piece read on its own
            [answer] = await answers(reader, 1)
            assert answer.startswith(b"HTTP/1.1 200 OK") and b"<result>OK" in answer, size
        assert server.connections_on_fast_path == 4

    run(test)


def test_a_client_that_stops_reading_is_answered_once_it_reads_again() -> None:
    """Thousands of pipelined sends, and a request of another kind, while the client reads
    nothing: once the socket's buffers are full the fast path stops answering (and
    reading). When the client reads, everything is answered in order, the connection
    goes to aiohttp, and aiohttp reads it (it knows nothing of the fast path's pause)."""

    async def test(server: MockServer, connect: Callable[[], Awaitable[Stream]]) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # no room to speak of
        sock.connect(("127.0.0.1", server.port))
        reader, writer = await asyncio.open_connection(sock=sock)
        health = b"GET /__admin/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        writer.write(plain() * 20_000 + health)  # ~5 MB of answers: more than fits
        await asyncio.sleep(1)  # nobody reads: the server's buffers fill up
        got = await answers(reader, 20_001)
        assert b'"messages": 20000' in got[-1]
        writer.write(health)  # on the connection aiohttp has now
        [again] = await answers(reader, 1)
        assert b'"messages": 20000' in again
        writer.close()
        assert server.connections_on_fast_path == 0

    run(test)
