"""How long the admin side (the page, the list, the export) stalls sends at N messages.

    python bench/admin_stall.py [MESSAGES]

Fills a manual-clock `seeme-mock serve` (its own process) with MESSAGES accepted sends
(default 100000, no callbacks), then measures each send's answer time while nothing else
runs (the peer) and while the page, GET /__admin/messages and GET /__admin/journal are
fetched over and over. Prints the median and worst send latency of both runs, and how long
each admin call took.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time

import aiohttp

KEY = "c2415537c8fca33feab37f0017faddf1fe5a"
SEND = {"key": KEY, "number": "36301234567", "message": "Hi", "format": "json"}


async def fill(url: str, count: int) -> None:
    async with aiohttp.ClientSession() as session:

        async def worker(start: int) -> None:
            for n in range(start, count, 32):
                async with session.get(url + "/gateway", params={**SEND, "reference": f"r{n}"}):
                    pass

        await asyncio.gather(*(worker(i) for i in range(32)))


async def sends(session: aiohttp.ClientSession, url: str, seconds: float) -> list[float]:
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        started = time.perf_counter()
        async with session.get(url + "/gateway", params=SEND) as reply:
            await reply.read()
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)
    return latencies


async def admin_load(session: aiohttp.ClientSession, url: str, seconds: float) -> dict[str, float]:
    worst: dict[str, float] = {}
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        for path in ("/", "/__admin/messages?limit=1000", "/__admin/journal"):
            started = time.perf_counter()
            async with session.get(url + path) as reply:
                await reply.read()
            worst[path] = max(worst.get(path, 0.0), time.perf_counter() - started)
    return worst


def _line(name: str, latencies: list[float]) -> str:
    return (f"{name}: n={len(latencies)} median={statistics.median(latencies) * 1000:.1f} ms "
            f"worst={max(latencies) * 1000:.1f} ms")  # fmt: skip


async def main(url: str, count: int) -> None:
    started = time.perf_counter()
    await fill(url, count)
    print(f"filled {count} messages in {time.perf_counter() - started:.1f} s")
    async with aiohttp.ClientSession() as session:
        alone = await sends(session, url, 5.0)
        beside, worst = await asyncio.gather(
            sends(session, url, 10.0), admin_load(session, url, 10.0)
        )
    print(_line("sends alone", alone))
    print(_line("sends beside the admin side", beside))
    for path, seconds in worst.items():
        print(f"  slowest {path}: {seconds * 1000:.0f} ms")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    server = subprocess.Popen(
        [sys.executable, "-m", "seeme_mock", "serve", "--port", "0", "--clock", "manual",
         "--quiet", "--max-messages", str(count * 2)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    url = server.stdout.readline().split()[-1].removesuffix("/gateway")
    try:
        asyncio.run(main(url, count))
    finally:
        server.terminate()
        server.wait()
