"""Microseconds per send and per callback URL in the engine alone (no sockets): where the
send path's cost is, without the HTTP layers around it. Then the whole life of a send
(accepted, three callbacks answered) in a steady stream, without and with the journal,
alternating in one process: what the journal costs the server's thread, free of the
machine's moods that move the load bench by 20%. The journal is committed by its writer
process, as in the server; that child's CPU (another core) is not counted.

usage: python bench/send_path.py [SENDS=20000] [ROUNDS=3]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from seeme_mock.core.clock import ManualClock
from seeme_mock.core.config import GatewayConfig
from seeme_mock.core.gateway import Gateway
from seeme_mock.core.protocol import parse_params
from seeme_mock.core.records import Attempt
from seeme_mock.core.scenario import Step
from seeme_mock.server.journal import SqliteJournal

KEY = "c2415537c8fca33feab37f0017faddf1fe5a"  # SeeMe's documented example key
SEND_TO = (
    f"key={KEY}&number=36301234567&message=Hello+world&reference=r{{0}}&callback=3,4,6"
    "&callbackurl={1}&format=json"
)
"""A send with reference r{0} whose callbacks go to {1} (form-encoded)."""
QUERY = SEND_TO.replace("{1}", "http%3A%2F%2F127.0.0.1%3A19090%2Fcb").replace("{0}", "{}")
START = 1_700_000_000.0


def parts(sends: int) -> None:
    clock = ManualClock(START)
    gateway = Gateway(GatewayConfig(max_messages=sends * 2), clock)
    started = time.perf_counter()
    for n in range(sends):
        gateway.handle(parse_params(QUERY.format(n)), "127.0.0.1")
    per_send = (time.perf_counter() - started) / sends
    started = time.perf_counter()
    urls = 0
    while (due := gateway.next_due()) is not None:
        gateway.move_clock_to(due)
        urls += answer_due(gateway, due)
    per_url = (time.perf_counter() - started) / urls
    print(
        f"{sends} sends: {per_send * 1e6:.1f} us per send (parse and handle); {urls} "
        f"callbacks: {per_url * 1e6:.1f} us each (fall due, URL, answer recorded)"
    )


def answer_due(gateway: Gateway, now: float) -> int:
    dispatches = gateway.collect_due()
    for dispatch in dispatches:
        gateway.record(dispatch.delivery, Attempt(now, 200, None, 0.001))
    return len(dispatches)


async def steady(
    sends: int, journal: SqliteJournal | None, max_messages: int | None = None
) -> float:
    """Microseconds of this thread's CPU per send, callbacks included: 3 sends per 1 ms
    turn of the loop (3,000/s, the load bench's pace), statuses at +0.1, +0.2 and +0.3 s;
    the journal is written at the end of every turn, as in the server. The clock moves as
    real time does in ``serve``: ``Gateway.move_clock_to`` would have the journal write the
    manual clock's time every turn (until the sixteenth pass it did: 2 of a commit's 7.8
    pages, bench/RESULTS.md). Past ``max_messages`` (the server's own cap unless given)
    the oldest are dropped, as in a server that has run a while."""
    clock = ManualClock(START)
    config = GatewayConfig(progression=(Step(3, 0.1), Step(4, 0.1), Step(6, 0.1)))
    if max_messages is not None:
        config = replace(config, max_messages=max_messages)
    gateway = Gateway(config, clock, journal)
    started = time.thread_time()
    for n in range(0, sends, 3):
        for k in range(n, n + 3):
            gateway.handle(parse_params(QUERY.format(k)), "127.0.0.1")
        now = START + n / 3000
        clock.move_to(now)  # as real time moves in serve: the journal is not told
        answer_due(gateway, now)
        await asyncio.sleep(0)  # the turn ends
    if journal is not None:
        await journal.written()
    return (time.thread_time() - started) / sends * 1e6


async def steady_journaled(sends: int, path: Path) -> float:
    """:func:`steady` with a journal at ``path``, committed by its writer process as the
    server has it."""
    journal = SqliteJournal(path)
    journal.start_writer()
    try:
        return await steady(sends, journal)
    finally:
        journal.close()


async def main(sends: int, rounds: int) -> None:
    """On a running loop: the journal's writer process answers through it."""
    parts(sends)
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(1, rounds + 1):
            plain = await steady(sends, None)
            written = await steady_journaled(sends, Path(folder) / f"{round_}.db")
            print(
                f"round {round_}: {plain:.1f} us per send without the journal, "
                f"{written:.1f} with it ({written / plain - 1:+.0%})"
            )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000,
                     int(sys.argv[2]) if len(sys.argv) > 2 else 3))  # fmt: skip
