"""What the journal's writer process does per send: the transactions of a steady stream
(bench/send_path.py's, as the server hands them to the writer) committed into a new
journal the way the writer commits and sweeps, in this process, where they can be
measured: the pages each commit adds to SQLite's write-ahead log, which does not move from
run to run, and the CPU each commit and each statement takes, which does. The writer runs
on the server's other core, beside the load bench's nginx and wrk: what it takes, they
lose. Past CAP messages (a third of the stream unless given) the oldest are dropped, as in
a server that has run a while, so the sweep has rows to delete; the last line says how
many rows the attempts table holds against how many a load applies. A server keeps
100,000: `150000 100000` replays one past its cap (about a minute).

usage: python bench/writer_cost.py [SENDS=9000] [CAP]
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import seeme_mock.server.journal as journal_module
from seeme_mock.server.journal import SqliteJournal
from seeme_mock.server.journal_writer import Statements, Sweep, commit, connect

sys.path.insert(0, str(Path(__file__).parent))
from send_path import steady

WARMUP = 0.2
"""The share of the transactions committed before measuring: a new file's first pages."""


def transactions(sends: int, cap: int, folder: Path) -> list[Statements]:
    """A steady stream's transactions, in order. The journal runs without its writer
    process, so it commits each turn itself, through the module's ``commit``: taken here."""
    taken: list[Statements] = []
    journal_module.commit = lambda db, statements: taken.append(statements)  # type: ignore[attr-defined]
    try:
        journal = SqliteJournal(folder / "stream.db")
        asyncio.run(steady(sends, journal, max_messages=cap))
        journal.close()
    finally:
        journal_module.commit = commit  # type: ignore[attr-defined]  # imported there
    return taken


def replay(stream: list[Statements], sends: int, folder: Path) -> None:
    path = folder / "replay.db"
    SqliteJournal(path).close()  # the schema, as the server makes it
    db = connect(path)
    db.execute("PRAGMA wal_autocheckpoint=0")  # so the log's growth is the pages written
    wal = Path(f"{path}-wal")
    first = int(len(stream) * WARMUP)
    spent: defaultdict[str, float] = defaultdict(float)
    """Seconds in each statement."""
    rows: defaultdict[str, int] = defaultdict(int)
    measured = stream[first:]
    sweep = Sweep()
    for statements in stream[:first]:
        commit_timed(db, sweep, statements, defaultdict(float), defaultdict(int))  # not counted
    start_size, started = wal.stat().st_size, time.thread_time()
    for statements in measured:
        commit_timed(db, sweep, statements, spent, rows)
    cpu = time.thread_time() - started
    pages = (wal.stat().st_size - start_size) / (db.execute("PRAGMA page_size").fetchone()[0] + 24)
    (held,) = db.execute("SELECT count(*) FROM attempts").fetchone()
    (counted,) = db.execute(_COUNTED).fetchone()
    db.close()
    measured_sends = sends * len(measured) / len(stream)
    print(
        f"{sends:,} sends in {len(stream):,} transactions, the last {len(measured):,} measured: "
        f"{pages / len(measured):.1f} pages of the write-ahead log a commit, "
        f"{cpu / len(measured) * 1e6:.0f} us of CPU a commit, "
        f"{cpu / measured_sends * 1e6:.1f} us a send"
    )
    for what, seconds in sorted(spent.items(), key=lambda spent: -spent[1]):
        per_send = seconds / measured_sends * 1e6
        print(
            f"  {per_send:5.1f} us a send, {rows[what] / measured_sends:4.2f} rows a send: {what}"
        )
    print(f"at the end: {held:,} rows in attempts, {counted:,} of them applied by a load")


_COUNTED = """SELECT count(*) FROM attempts JOIN messages ON messages.id = attempts.message
  WHERE attempts.seq > ifnull(messages.attempts_after, 0)"""
"""The rows :meth:`seeme_mock.server.journal.SqliteJournal.load` applies."""


def commit_timed(
    db: sqlite3.Connection,
    sweep: Sweep,
    statements: Statements,
    spent: defaultdict[str, float],
    rows: defaultdict[str, int],
) -> None:
    """:func:`seeme_mock.server.journal_writer.commit` and the sweep after it, each step
    timed (wall clock: the thread's CPU clock is a system call, as long as a short
    statement)."""
    steps: list[tuple[str, list[tuple[object, ...]] | None]] = [
        ("BEGIN", None),
        *statements,
        ("COMMIT", None),
    ]
    for sql, values in steps:
        started = time.perf_counter()
        if values is None:
            db.execute(sql)
        else:
            db.executemany(sql, values)
        spent[sql] += time.perf_counter() - started
        rows[sql] += len(values or ())
    started = time.perf_counter()
    sweep.after(db, statements)
    spent["the sweep (journal_writer.Sweep)"] += time.perf_counter() - started


def main(sends: int, cap: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        stream = transactions(sends, cap, Path(folder))
        replay(stream, sends, Path(folder))


if __name__ == "__main__":
    sends = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    main(sends, int(sys.argv[2]) if len(sys.argv) > 2 else max(1, sends // 3))
