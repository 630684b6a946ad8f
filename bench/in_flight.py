"""Memory and per-send cost with many messages in flight: 100,000 sends, each with three
callbacks pending for minutes (statuses at +200, +400 and +600 s), into a real
``seeme-mock serve``. Prints, at 1k, 10k and 100k accepted, the server's resident memory
and the cost per send over that stretch (wall time, and the server's CPU time: the
client here is Python too, on the other core); then the total time to accept them all.

usage: python bench/in_flight.py [SENDS=100000] [CONNECTIONS=16]
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from seeme_mock.server.sender import KeepAliveSender, outcome_of

QUERY = (
    "/gateway?key=c2415537c8fca33feab37f0017faddf1fe5a&number=3630{n:07d}"
    "&message=Hello%20world&reference=f{n}&callback=3%2C4%2C6"
    "&callbackurl=http%3A%2F%2F127.0.0.1%3A9%2Fcb&format=json"
)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def flood(url: str, pid: int, sends: int, connections: int) -> None:
    sender = KeepAliveSender(per_receiver=connections, timeout=60)
    marks = [m for m in (1_000, 10_000, 100_000, 1_000_000) if m < sends] + [sends]
    done = 0
    failed = 0
    started = last_time = time.perf_counter()
    last_count, last_cpu = 0, cpu_seconds(pid)
    print(f"idle server: {rss_mb(pid):.0f} MB RSS")

    async def worker(first: int) -> None:
        nonlocal done, failed
        for n in range(first, sends, connections):
            outcome = await outcome_of(sender, url + QUERY.format(n=n % 10_000_000))
            failed += outcome.status != 200
            done += 1

    workers = [asyncio.create_task(worker(i)) for i in range(connections)]
    for mark in marks:
        while done < mark:
            await asyncio.sleep(0.005)
        now, cpu = time.perf_counter(), cpu_seconds(pid)
        per_send = (now - last_time) / (done - last_count) * 1e6
        cpu_per_send = (cpu - last_cpu) / (done - last_count) * 1e6
        print(f"{done:>7} accepted: {rss_mb(pid):6.0f} MB RSS, {per_send:5.0f} us per send "
              f"({cpu_per_send:4.0f} us of server CPU) since {last_count}")  # fmt: skip
        last_time, last_count, last_cpu = now, done, cpu
    await asyncio.gather(*workers)
    took = time.perf_counter() - started
    await sender.close()
    print(f"{sends} sends accepted in {took:.1f} s ({sends / took:.0f}/s), {failed} refused")


def main(sends: int, connections: int) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "seeme_mock", "serve", "--port", str(port), "--quiet",
         "--delays", "200,400,600", "--max-messages", str(max(sends, 100_000))],
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/__admin/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        asyncio.run(flood(base, server.pid, sends, connections))
        health = json.load(urllib.request.urlopen(base + "/__admin/health", timeout=30))
        print(f"health: {health['messages']} messages, "
              f"{health['pending_callbacks']} callbacks pending")  # fmt: skip
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
         int(sys.argv[2]) if len(sys.argv) > 2 else 16)  # fmt: skip
