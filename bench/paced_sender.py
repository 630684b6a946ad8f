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

from senders import loop_runner

from seeme_mock.server.sender import Done, KeepAliveSender, Outcome

QUERY = (
    "/gateway?key=c2415537c8fca33feab37f0017faddf1fe5a&number=3630{n:07d}&message=Hello%20world"
    "&sender=Bench&reference={run}r{n}&callback=3%2C4%2C6"
    "&callbackurl=http%3A%2F%2F127.0.0.1%3A19090%2Fcb&format=json"
)
TICK = 0.001
"""Seconds at least between two batches of sends."""


async def main(url: str, rate: float, seconds: float, connections: int) -> None:
    run = os.environ.get("RUN") or str(int(time.time()))
    sender = KeepAliveSender(per_receiver=connections, timeout=30)
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    total = int(rate * seconds)
    answered = {"ok": 0, "failed": 0, "behind": 0}
    all_answered = loop.create_future()

    def settle(due: float) -> Done:
        def done(outcome: Outcome) -> None:
            answered["ok" if outcome.status == 200 else "failed"] += 1
            if loop.time() - due > 0.1:
                answered["behind"] += 1
            if answered["ok"] + answered["failed"] == total:
                all_answered.set_result(None)

        return done

    # Every send due by now goes out in this turn, then a sleep of at least TICK: a sleep
    # until the next send (0.2 ms away at 4,000 a second) spun the core that nginx shares.
    # A callback per send rather than a task, and uvloop when installed: at 4,000 sends a
    # second, a task each and asyncio's own loop fell behind the rate.
    n = 1
    while n <= total:
        now = loop.time()
        while n <= total and (due := start + n / rate) <= now:
            sender.start(url + QUERY.format(n=n % 10_000_000, run=run), (), settle(due))
            n += 1
        if n <= total:
            await asyncio.sleep(max(TICK, start + n / rate - now))
    if answered["ok"] + answered["failed"] < total:  # else it was settled (or total is 0)
        await all_answered
    await sender.close()
    took = loop.time() - start
    print(f"paced: {total} sends at {rate:g}/s over {took:.1f} s; ok={answered['ok']} "
          f"failed={answered['failed']} answered over 100 ms late={answered['behind']}",
          file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    url, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    loop_runner()(main(url, rate, seconds, int(sys.argv[4]) if len(sys.argv) > 4 else 64))
