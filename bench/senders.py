"""The callback client candidates side by side: CPU time per callback in the sending
process (the server is CPU-bound under load, so this is what a client costs it), each
sending the same GETs from 32 concurrent tasks to one receiver, a small raw keep-alive
HTTP server in another process.

- keepalive: seeme-mock's KeepAliveSender (asyncio protocols, httptools)
- aiohttp: a ClientSession as seeme-mock used it before (keep-alive, limit per host)
- minimal: the bench's reference client (reference_mock.py): headers scanned by hand,
  no timeout, no answer-size cap; the floor for a Python client
- pyreqwest: a Rust client (reqwest on tokio) driven from asyncio, if installed

usage: python bench/senders.py [REQUESTS=20000]
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp

from seeme_mock.server.sender import KeepAliveSender, outcome_of

SINK = """
import asyncio, sys
ANSWER = b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nOK"
class Sink(asyncio.Protocol):
    def connection_made(self, transport): self.transport = transport
    def data_received(self, data): self.transport.write(ANSWER * data.count(b"\\r\\n\\r\\n"))
async def main():
    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""

TASKS = 32
Send = Callable[[str], Awaitable[int | None]]
Client = tuple[Send, Callable[[], Awaitable[None]]]


async def keepalive() -> Client:
    sender = KeepAliveSender(per_receiver=TASKS)

    async def send(url: str) -> int | None:
        return (await outcome_of(sender, url)).status

    return send, sender.close


async def with_aiohttp() -> Client:
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit_per_host=TASKS))

    async def send(url: str) -> int | None:
        async with session.get(url, allow_redirects=False) as reply:
            await reply.read()
            return reply.status

    return send, session.close


async def minimal() -> Client:
    """reference_mock.py's client, one connection per task."""
    loop = asyncio.get_running_loop()
    idle: list[tuple[asyncio.Transport, _Minimal]] = []

    async def send(url: str) -> int | None:
        host, _, rest = url.removeprefix("http://").partition("/")
        if idle:
            transport, protocol = idle.pop()
        else:
            name, _, port = host.partition(":")
            transport, protocol = await loop.create_connection(_Minimal, name, int(port))
        protocol.answered = loop.create_future()
        transport.write(b"GET /" + rest.encode() + b" HTTP/1.1\r\nHost: sink\r\n\r\n")
        status = await protocol.answered
        idle.append((transport, protocol))
        return status

    async def close() -> None:
        for transport, _ in idle:
            transport.close()

    return send, close


class _Minimal(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = b""
        self.answered: asyncio.Future[int] | None = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end]
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if len(self.buffer) >= end + 4 + length and self.answered is not None:
            self.buffer = self.buffer[end + 4 + length :]
            self.answered.set_result(int(head[9:12]))


async def with_pyreqwest() -> Client:
    from pyreqwest.client import ClientBuilder

    client = ClientBuilder().max_connections(TASKS).build()

    async def send(url: str) -> int | None:
        return (await client.get(url).build().send()).status

    return send, client.close


async def measure(
    name: str, make: Callable[[], Awaitable[Client]], base: str, requests: int
) -> None:
    send, close = await make()
    await asyncio.gather(*(send(f"{base}/warm?{n}") for n in range(TASKS)))
    queue = iter(range(requests))
    statuses: list[int | None] = []

    async def worker() -> None:
        for n in queue:
            statuses.append(await send(f"{base}/cb?reference=r{n}&code=6&message=Delivered"))

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(TASKS)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await close()
    ok = statuses.count(200)
    print(f"{name:>10}: {cpu / requests * 1e6:6.1f} us CPU per callback, "
          f"{requests / wall:7.0f}/s, {ok} of {requests} answered 200")  # fmt: skip


T = TypeVar("T")


def loop_runner() -> Callable[[Awaitable[T]], T]:
    """uvloop's run, as the server uses it, when installed."""
    try:
        import uvloop

        return uvloop.run  # type: ignore[no-any-return]
    except ImportError:
        return asyncio.run


def main(requests: int) -> None:
    sink = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None
        base = f"http://127.0.0.1:{sink.stdout.readline().strip()}"
        candidates = [("keepalive", keepalive), ("aiohttp", with_aiohttp), ("minimal", minimal)]
        try:
            import pyreqwest  # noqa: F401

            candidates.append(("pyreqwest", with_pyreqwest))
        except ImportError:
            print("pyreqwest is not installed: pip install pyreqwest to compare it too")
        for name, make in candidates:
            loop_runner()(measure(name, make, base, requests))
    finally:
        sink.terminate()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
