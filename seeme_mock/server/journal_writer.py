"""The journal's writer: a child process that runs the journal's transactions, so SQLite's
work (most of what ``--journal`` cost the server) runs on another core.

A thread would not do: SQLite lets go of Python's lock only while it steps, and a writer
thread taking it back for every row left the server slower than writing in its own turn
(bench/RESULTS.md, the eighth pass). The server sends each turn's statements down a pipe
(:meth:`WriterProcess.send`); the child commits every transaction it finds waiting in one,
and answers one byte per transaction once committed. A send is answered only after that
byte, so the kill -9 promise holds as before. The child writes nothing for a server that
is gone: what it reads after a kill was never answered, and a server started again on the
file at once would be writing the same messages.

The child runs this file alone (standard library only, nothing of the package imported):
it starts in a few tens of milliseconds and holds little memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import select
import signal
import sqlite3
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["ATTEMPT_ROWS", "Statements", "Sweep", "WriterProcess", "commit", "connect"]

log = logging.getLogger("seeme_mock")

Statements = list[tuple[str, list[tuple[Any, ...]]]]
"""One transaction: SQL and its rows, in the order to run."""

ATTEMPT_ROWS = (
    "INSERT INTO attempts (message, callback, at, status, error, latency, state, failure) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
"""A callback's change as a row of ``attempts``: three a send under load."""

_LENGTH = 4
"""Bytes of a transaction's length before it on the pipe (little-endian)."""
_PIPE_SIZE = 1 << 20
"""The pipe's buffer: room for the server's transactions while the child checkpoints."""


class WriterProcess:
    """The server's side of the pipe. ``on_lost`` is given the transactions sent but not
    known to be committed, in order, if the child ends early; the journal commits them
    itself then (a resent attempt row may be doubled: nothing is lost)."""

    def __init__(self, path: Path, on_lost: Callable[[list[Statements]], None]) -> None:
        """OSError when no child could be started."""
        self._child = subprocess.Popen(
            # -I: nothing beside it on sys.path
            [sys.executable, "-I", __file__, str(path), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._child.stdin is not None and self._child.stdout is not None
        self._to, self._acks = self._child.stdin.fileno(), self._child.stdout.fileno()
        with contextlib.suppress(ImportError, AttributeError, OSError):  # Linux's only
            import fcntl

            fcntl.fcntl(self._to, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
        self._on_lost = on_lost
        self._sent: deque[tuple[Statements, asyncio.Future[None]]] = deque()
        """Transactions not yet known to be committed, oldest first."""
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._acks, self._read_acks)
        self._answered = select.poll()
        self._answered.register(self._acks, select.POLLIN)

    def send(self, statements: Statements, committed: asyncio.Future[None]) -> None:
        """Have ``statements`` committed; ``committed`` is done once they are."""
        self._sent.append((statements, committed))
        data = memoryview(_frame(statements))
        try:
            while data:
                data = data[os.write(self._to, data) :]
        except OSError as exc:  # the child ended: the pipe is closed at its end
            self._lost(f"its pipe: {exc}")

    def last(self) -> asyncio.Future[None] | None:
        """Done once everything sent so far is committed; None when it is."""
        return self._sent[-1][1] if self._sent else None

    def poll(self) -> None:
        """Settle what the child committed meanwhile, without waiting. The loop's reader
        does it too, but only at the loop's next poll: under load a turn takes about a
        millisecond, which every send with the journal waited on top of its commit
        (bench/RESULTS.md, the eleventh pass)."""
        if self._sent and self._answered.poll(0):
            self._read_acks()

    def wait(self) -> None:
        """Block until everything sent so far is committed."""
        while self._sent and self._read_acks():
            pass

    def close(self) -> None:
        """Wait for what was sent, then end the child."""
        self.wait()
        self._loop.remove_reader(self._acks)
        assert self._child.stdin is not None and self._child.stdout is not None
        self._child.stdin.close()
        self._child.stdout.close()
        self._child.wait()

    def _read_acks(self) -> bool:
        """Settle the transactions the child says are committed; False once it ended."""
        try:
            acks = os.read(self._acks, 4096)
        except OSError as exc:
            acks, why = b"", f"its pipe: {exc}"
        else:
            why = "it ended"
        for _ in range(len(acks)):
            _, committed = self._sent.popleft()
            if not committed.done():
                committed.set_result(None)
        if not acks:
            self._lost(why)
        return bool(acks)

    def _lost(self, why: str) -> None:
        self._loop.remove_reader(self._acks)
        log.error("the journal's writer process stopped (%s, exit code %s): the server "
                  "writes the journal itself from now on", why, self._child.poll())  # fmt: skip
        unsure, self._sent = list(self._sent), deque()
        try:
            self._on_lost([statements for statements, _ in unsure])
        finally:
            for _, committed in unsure:
                if not committed.done():
                    committed.set_result(None)


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection to the journal at ``path``, in WAL mode; sqlite3.DatabaseError when the
    file cannot be one."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: no fsync a commit, only a checkpoint
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def commit(db: sqlite3.Connection, statements: Statements) -> None:
    """Run ``statements`` in one transaction; a failure is logged, never raised (a full disk
    must not stop the server answering)."""
    try:
        db.execute("BEGIN")
        for sql, rows in statements:
            if rows:
                db.executemany(sql, rows)
        db.execute("COMMIT")
    except sqlite3.Error as exc:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        log.error("the journal could not be written (%s): these changes are not in it", exc)


class Sweep:
    """Deletes, a few at a time, the rows of ``attempts`` that no load applies: those of
    dropped messages, and those older than their message's whole state. The table has no
    index by message, so a commit writes its attempts at one place, the table's end,
    rather than also at three places of an index (a turn's attempts belong to messages
    sent 0.1, 0.2 and 0.3 s before): 3 pages of the write-ahead log a commit fewer, of 5.8
    (``bench/writer_cost.py``). Deleting by message needed that index, so rows are left
    behind and swept here instead, in their order, twice as many examined as were
    written: the table holds about twice the rows that count, at most."""

    SWEEP_AT = 256
    """Attempt rows written between two sweeps..."""
    MOST = 4096
    """...and the most rows one sweep examines (a few milliseconds): a burst's rows are
    examined over the sweeps after it."""

    def __init__(self) -> None:
        self._after = 0
        """Rows up to this ``seq`` were examined this time round."""
        self._owed = 0

    def after(self, db: sqlite3.Connection, statements: Statements) -> None:
        """Once ``statements`` are committed: sweep, in a transaction of its own (a failure
        here must not undo them), once enough attempts were written since the last."""
        self._owed += sum(len(rows) for sql, rows in statements if sql == ATTEMPT_ROWS)
        if self._owed < self.SWEEP_AT:
            return
        examine = min(2 * self._owed, self.MOST)
        self._owed -= examine // 2
        try:
            db.execute("BEGIN")
            examined, last = db.execute(_NEXT_ROWS, (self._after, examine)).fetchone()
            if examined:
                db.execute(_SWEEP, (self._after, last))
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            log.error("the journal's old attempt rows could not be swept (%s)", exc)
            return
        # At the end, from the start again: what was young when examined may be old now.
        self._after = last if examined == examine else 0


_NEXT_ROWS = """SELECT count(*), max(seq) FROM
  (SELECT seq FROM attempts WHERE seq > ? ORDER BY seq LIMIT ?)"""
_SWEEP = """DELETE FROM attempts WHERE seq > ? AND seq <= ?
  AND seq < (SELECT max(seq) FROM attempts)
  AND NOT EXISTS (SELECT 1 FROM messages WHERE messages.id = attempts.message
                  AND attempts.seq > ifnull(messages.attempts_after, 0))"""
"""The last row stays, whatever it is: SQLite numbers a new row one past the last, and a
number used again could be one a message's ``attempts_after`` already counts as old."""


def _run_child(path: str, server: int) -> None:
    """Commit what comes down stdin, answer on stdout, end at end-of-file or once the
    ``server`` process is gone."""
    # Ctrl-C reaches the whole process group: the server's end-of-file ends this, after
    # the server's last transaction.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(format="%(asctime)s %(message)s", stream=sys.stderr)
    db = connect(path)
    sweep = Sweep()
    waiting = b""
    while chunk := os.read(0, _PIPE_SIZE):
        waiting += chunk
        frames, waiting = _frames(waiting)
        if os.getppid() != server:  # killed: an orphan is handed to another parent
            break
        if frames:
            statements = [step for frame in frames for step in pickle.loads(frame)]
            commit(db, statements)
            with contextlib.suppress(BrokenPipeError):  # the server died meanwhile
                os.write(1, b"\1" * len(frames))
            sweep.after(db, statements)  # once the sends waiting for the commit may go
    db.close()


def _frame(statements: Statements) -> bytes:
    """One transaction as it goes down the pipe: its length, then its pickle."""
    pickled = pickle.dumps(statements, pickle.HIGHEST_PROTOCOL)
    return len(pickled).to_bytes(_LENGTH, "little") + pickled


def _frames(data: bytes) -> tuple[list[bytes], bytes]:
    """The whole transactions at the start of ``data``, and what is left of it."""
    frames, at = [], 0
    while len(data) - at >= _LENGTH:
        end = at + _LENGTH + int.from_bytes(data[at : at + _LENGTH], "little")
        if end > len(data):
            break
        frames.append(data[at + _LENGTH : end])
        at = end
    return frames, data[at:]


if __name__ == "__main__":
    _run_child(sys.argv[1], int(sys.argv[2]))
