"""The durable journal: the gateway's state in SQLite (standard library), so a server
killed with SIGKILL and started again on the same file resumes every pending callback.

Changes are gathered for one turn of the event loop and written together in one
transaction (group commit, in WAL mode: in the OS's hands, without an fsync per event); a
message changed twice in that time is written once. A server has a child process run the
transactions (:mod:`.journal_writer`). A send is answered only once its message is
committed (:meth:`SqliteJournal.written`), so no accepted send is lost at a kill. A
callback on the wire at the kill, or answered just before it, was not yet recorded as
delivered, so it is sent again after the restart: delivery is at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import pickle
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..core.errors import ConfigError
from ..core.journal_state import inbound_state, message_row, rejection_state, state_of_row
from ..core.records import Attempt, Callback, Inbound, Message, Rejected
from .journal_writer import ATTEMPT_ROWS, Statements, Sweep, WriterProcess, commit, connect
from .shared_future import SharedFuture

__all__ = ["Saved", "SqliteJournal"]

log = logging.getLogger("seeme_mock")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, state TEXT NOT NULL,
  attempts_after INTEGER);
CREATE TABLE IF NOT EXISTS rejections (id INTEGER PRIMARY KEY AUTOINCREMENT, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbound (id INTEGER PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (seq INTEGER PRIMARY KEY, message INTEGER NOT NULL,
  callback INTEGER NOT NULL, at REAL, status INTEGER, error TEXT, latency REAL,
  state TEXT NOT NULL, failure TEXT);
"""
"""A message's row in ``messages`` is its whole state as of some moment, a tuple of plain
values pickled (JSON cost six times more: its floats; a dict with names twice a tuple); its
attempts since are rows of ``attempts``, cheap to write (:meth:`SqliteJournal.load` puts
them together): those numbered after the message's ``attempts_after``, the last row's
number when its state was written. Older rows are left for :class:`.journal_writer.Sweep`:
the table has no index to delete them by message, which cost a commit half its pages.
Older journals hold JSON or pickled dicts, which still load, and are brought to this shape
when opened (:func:`_upgrade`). Statuses reached as planned are not written at all: they
follow from the plan and the clock, and a restored message reaches them again at once."""


@dataclass(frozen=True)
class Saved:
    messages: list[dict[str, Any]]
    rejections: list[dict[str, Any]]
    clock: float | None
    """The manual clock's virtual time at the last advance, if it ever moved."""
    inbound: list[dict[str, Any]]


class SqliteJournal:
    def __init__(self, path: Path | str) -> None:
        """Open or create the journal; ConfigError when ``path`` cannot be one."""
        self.path = Path(path)
        if not self.path.exists():
            # Its owner's alone: it holds what the SUT sent. SQLite gives its -wal and
            # -shm files the journal's own mode.
            with contextlib.suppress(OSError):  # a bad path is reported by sqlite below
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            self._db = connect(self.path)
        except sqlite3.DatabaseError as exc:
            raise self._refused(exc) from None
        try:
            self._db.executescript(_SCHEMA)
            _upgrade(self._db)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise self._refused(exc) from None
        self._messages: dict[int, Message] = {}
        """To write whole."""
        self._attempts: list[tuple[Any, ...]] = []
        """Rows of ``attempts`` to add: callbacks changed alone."""
        self._inbound: dict[int, Inbound] = {}
        self._rejections: list[str] = []
        self._dropped: list[int] = []
        self._dropped_rejections = 0
        self._clock: float | None = None
        self._pending = False
        """Changes wait to be written."""
        self._scheduled: asyncio.Handle | None = None
        self._written: asyncio.Future[None] | None = None
        """Done once the pending changes are committed; one for everyone who waits."""
        self._writer: WriterProcess | None = None
        self._sweep = Sweep()
        """Sweeps while the server commits itself (no writer process)."""

    def _refused(self, exc: sqlite3.DatabaseError) -> ConfigError:
        return ConfigError(
            f"{self.path} cannot be a journal ({exc}); give a new file's name or one "
            "that serve --journal wrote",
            setting="journal",
        )

    def load(self) -> Saved:
        self.flush()
        clock = self._db.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()
        return Saved(
            self._message_states(),
            self._states("rejections"),
            None if clock is None else float(clock[0]),
            self._states("inbound"),
        )

    def _message_states(self) -> list[dict[str, Any]]:
        """Each message's last whole state, with the attempts since."""
        wholes = self._db.execute("SELECT state, attempts_after FROM messages ORDER BY id")
        states: list[dict[str, Any]] = []
        by_id: dict[int, tuple[dict[str, Any], int]] = {}  # its state, the last row it holds
        for value, attempts_after in wholes:
            whole = self._state(value)
            states.append(whole)
            by_id[whole["id"]] = whole, attempts_after or 0  # NULL: all count (older journals)
        rows = self._db.execute("SELECT * FROM attempts ORDER BY seq")
        for seq, message_id, index, at, status, error, latency, value, failure in rows:
            state, after = by_id.get(message_id, (None, 0))
            if state is None or seq <= after or index >= len(state["callbacks"]):
                continue
            callback = state["callbacks"][index]
            if at is not None:
                callback["attempts"].append((at, status, error, latency))
            callback["state"], callback["failure"] = value, failure
        return states

    def _states(self, table: str) -> list[dict[str, Any]]:
        rows = self._db.execute(f"SELECT state FROM {table} ORDER BY id")
        return [self._state(value) for (value,) in rows]

    def _state(self, value: bytes | str) -> dict[str, Any]:
        """A pickled row (messages), or JSON (the other tables, and older journals' messages);
        older journals pickled a message's named state."""
        if isinstance(value, str):
            return cast(dict[str, Any], json.loads(value))
        try:
            loaded = _PlainUnpickler(io.BytesIO(value)).load()
            return (
                state_of_row(loaded) if isinstance(loaded, tuple) else cast(dict[str, Any], loaded)
            )
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"{self.path} holds a record that is not seeme-mock's ({exc}); give a new "
                "file's name or one that serve --journal wrote",
                setting="journal",
            ) from None

    def message_changed(self, message: Message) -> None:
        self._messages[message.id] = message
        self._soon()

    def callback_changed(self, callback: Callback, attempt: Attempt | None) -> None:
        """A row of ``attempts``, three per send at the load bench: the state's ``_value_``,
        since ``.value`` is a property written in Python and costs four times as much."""
        message = callback.message
        if message.id in self._messages:
            return  # written whole at the end of this turn, this change with it
        index = message.callbacks.index(callback)
        tried = _NO_ATTEMPT if attempt is None else attempt  # its values, in the columns' order
        self._attempts.append((message.id, index, *tried, callback.state._value_, callback.failure))
        self._soon()

    def rejection_added(self, rejected: Rejected) -> None:
        self._rejections.append(_json(rejection_state(rejected)))
        self._soon()

    def inbound_changed(self, inbound: Inbound) -> None:
        self._inbound[inbound.id] = inbound
        self._soon()

    def messages_dropped(self, ids: list[int]) -> None:
        for message_id in ids:
            self._messages.pop(message_id, None)
        self._dropped += ids
        self._soon()

    def rejections_dropped(self, count: int) -> None:
        self._dropped_rejections += count
        self._soon()

    def clock_moved(self, now: float) -> None:
        self._clock = now
        self._soon()

    def cleared(self) -> None:
        self._messages.clear()
        self._attempts.clear()
        self._inbound.clear()
        self._rejections.clear()
        self._dropped.clear()
        self._dropped_rejections = 0
        self.flush()
        for table in ("messages", "rejections", "inbound", "attempts"):
            self._db.execute(f"DELETE FROM {table}")

    def start_writer(self) -> None:
        """Have a child process commit the changes from now on (on a running loop): the
        server's own core is left to serving (bench/RESULTS.md, the eighth pass)."""
        if os.name != "posix":  # pragma: no cover - a loop watches no pipe on Windows
            return
        try:
            self._writer = WriterProcess(self.path, self._writer_lost)
        except OSError as exc:
            log.warning("the journal's writer process could not start (%s): the server "
                        "writes the journal itself", exc)  # fmt: skip

    def settle_committed(self) -> None:
        """Settle the commits the writer process reported since the loop last polled, so
        their sends are answered now rather than after the rest of this turn's work."""
        if self._writer is not None:
            self._writer.poll()

    def _writer_lost(self, unsure: list[Statements]) -> None:
        self._writer = None
        for statements in unsure:
            self._commit(statements)

    def _commit(self, statements: Statements) -> None:
        """Here, in the server's thread: no writer process runs."""
        commit(self._db, statements)
        self._sweep.after(self._db, statements)

    async def written(self) -> None:
        """Return once every change so far is committed."""
        written = self.when_written()
        if written is not None:
            await asyncio.shield(written)  # shared: a cancelled waiter must not cancel it

    def when_written(self) -> asyncio.Future[None] | None:
        """A future done once every change so far is committed, shared by every waiter of
        that commit; None when everything is."""
        if not self._pending:
            return self._writer.last() if self._writer is not None else None
        self._soon()
        if self._written is None:
            self._written = SharedFuture(loop=asyncio.get_running_loop())
        return self._written

    def _soon(self) -> None:
        """Commit at the end of this turn of the loop; without a running loop (a gateway
        driven by hand), at the next load(), flush() or close()."""
        self._pending = True
        if self._scheduled is None:
            with contextlib.suppress(RuntimeError):
                self._scheduled = asyncio.get_running_loop().call_soon(self._end_turn)

    def _end_turn(self) -> None:
        """Commit what changed, in one transaction: group commit, every change of this
        turn of the loop. It goes down the pipe to the writer process if one runs; here,
        a commit of a few hundred rows takes 0.2 ms, a checkpoint of the WAL a few ms."""
        self._scheduled = None
        if not self._pending:
            return
        written, self._written = self._written, None
        try:
            statements = self._take()
            if self._writer is not None:
                loop = asyncio.get_running_loop()
                self._writer.send(statements, written or SharedFuture(loop=loop))
                written = None  # the writer settles it
            else:
                self._commit(statements)
        finally:  # even a bug of ours must not leave sends waiting for ever
            if written is not None and not written.done():
                written.set_result(None)

    def flush(self) -> None:
        """Return once every change so far is committed."""
        if self._scheduled is not None:
            self._scheduled.cancel()
        self._end_turn()
        if self._writer is not None:
            self._writer.wait()

    def _take(self) -> Statements:
        """What changed since the last commit, as SQL and its rows, in the order to run (a
        statement without rows left out: the pipe carries less); nothing is pending after."""
        self._pending = False
        messages = self._messages
        whole: list[tuple[Any, ...]] = [
            (m.id, pickle.dumps(message_row(m), _PICKLE)) for m in messages.values()
        ]
        # A whole state holds every attempt: the rows written before it no longer count
        # (their numbers are below its attempts_after), and those of this turn that came
        # before its change are not written at all.
        attempts = self._attempts
        if messages and attempts:
            attempts = [row for row in attempts if row[0] not in messages]
        gone = [(message_id,) for message_id in self._dropped]
        statements = [
            (_WHOLE, whole),
            (ATTEMPT_ROWS, attempts),
            (
                "INSERT OR REPLACE INTO inbound (id, state) VALUES (?, ?)",
                [(i.id, _json(inbound_state(i))) for i in self._inbound.values()],
            ),
            ("INSERT INTO rejections (state) VALUES (?)", [(r,) for r in self._rejections]),
            ("DELETE FROM messages WHERE id = ?", gone),  # its attempt rows: swept
            (
                "DELETE FROM rejections WHERE id IN "
                "(SELECT id FROM rejections ORDER BY id LIMIT ?)",
                [(self._dropped_rejections,)] if self._dropped_rejections else [],
            ),
            (
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('clock', ?)",
                [] if self._clock is None else [(repr(self._clock),)],
            ),
        ]
        self._messages, self._inbound, self._rejections, self._dropped = {}, {}, [], []
        self._attempts = []
        self._dropped_rejections, self._clock = 0, None
        return [(sql, rows) for sql, rows in statements if rows]

    def close(self) -> None:
        self.flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._db.close()


_WHOLE = (
    "INSERT OR REPLACE INTO messages (id, state, attempts_after) "
    "VALUES (?, ?, (SELECT ifnull(max(seq), 0) FROM attempts))"
)
"""A message's whole state; the attempt rows written so far are older than it."""


def _upgrade(db: sqlite3.Connection) -> None:
    """A journal of an older seeme-mock in this one's shape: its messages get
    ``attempts_after`` (NULL: their rows all count, as older versions deleted the rest),
    its attempts their ``seq`` (SQLite may renumber an implicit rowid) and lose the index
    by message."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(messages)")}
    if "attempts_after" not in columns:
        db.execute("ALTER TABLE messages ADD COLUMN attempts_after INTEGER")
    columns = {row[1] for row in db.execute("PRAGMA table_info(attempts)")}
    if "seq" in columns:
        return
    db.executescript(
        "BEGIN;"
        "ALTER TABLE attempts RENAME TO attempts_before;"
        f"{_SCHEMA}"
        "INSERT INTO attempts (message, callback, at, status, error, latency, state, failure) "
        "SELECT * FROM attempts_before ORDER BY rowid;"
        "DROP TABLE attempts_before;"
        "COMMIT;"
    )


_NO_ATTEMPT = (None, None, None, None)
"""A row's attempt columns for a callback given up without one."""


_PICKLE = 5
"""Python 3.8 and later read it."""


class _PlainUnpickler(pickle.Unpickler):
    """Dicts, lists, tuples, strings, numbers and None only: a journal file from elsewhere
    can name no class or function to call."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"it names {module}.{name}")


def _json(state: dict[str, Any]) -> str:
    return json.dumps(state, separators=(",", ":"))
