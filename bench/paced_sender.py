"""An open-loop sender for the load bench: sends at a fixed rate whatever the answers
(wrk sends as fast as answers come back; wrk2, which paces, is not in Debian).

Each send is the bench's own (send.lua): a unique reference, callbacks 3, 4 and 6 to the
nginx sink. Over up to CONNECTIONS keep-alive connections; a send that finds them all busy
waits, and is counted as behind schedule.

usage: python bench/paced_sender.py URL RATE SECONDS [CONNECTIONS=64]
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from seeme_mock.server.sender import KeepAliveSender, outcome_of

QUERY = (
    "/gateway?key=c2415537c8fca33feab37f0017faddf1fe5a&number=3630{n:07d}&message=Hello%20world"
    "&sender=Bench&reference={run}r{n}&callback=3%2C4%2C6"
    "&callbackurl=http%3A%2F%2F127.0.0.1%3A19090%2Fcb&format=json"
)


async def main(url: str, rate: float, seconds: float, connections: int) -> None:
    run = os.environ.get("RUN") or str(int(time.time()))
    sender = KeepAliveSender(per_receiver=connections, timeout=30)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    total = int(rate * seconds)
    answered = {"ok": 0, "failed": 0, "behind": 0}
    in_flight: set[asyncio.Task[None]] = set()

    async def one(n: int, due: float) -> None:
        outcome = await outcome_of(sender, url + QUERY.format(n=n % 10_000_000, run=run))
        answered["ok" if outcome.status == 200 else "failed"] += 1
        if loop.time() - due > 0.1:
            answered["behind"] += 1

    for n in range(1, total + 1):
        due = start + n / rate
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        task = asyncio.create_task(one(n, due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)
    await sender.close()
    took = loop.time() - start
    print(f"paced: {total} sends at {rate:g}/s over {took:.1f} s; ok={answered['ok']} "
          f"failed={answered['failed']} answered over 100 ms late={answered['behind']}",
          file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    url, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    asyncio.run(main(url, rate, seconds, int(sys.argv[4]) if len(sys.argv) > 4 else 64))
