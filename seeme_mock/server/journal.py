"""The durable journal: the gateway's state in SQLite (standard library), so a server
killed with SIGKILL and started again on the same file resumes every pending callback.

Changes are gathered for a few ms and written together in one transaction (group commit,
in WAL mode: in the OS's hands, without an fsync per event); a message changed twice in
that time is written once, and what never changes of it is encoded once. A send is
answered only once its message is written (:meth:`SqliteJournal.written`), so no
accepted send is lost at a kill. A callback on the wire at the kill, or answered in the
last few ms before it, was not yet recorded as delivered, so it is sent again after the
restart: delivery is at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError
from ..core.journal_state import (
    inbound_state,
    message_fixed_state,
    message_progress,
    rejection_state,
)
from ..core.records import Inbound, Message, Rejected

__all__ = ["Saved", "SqliteJournal"]

log = logging.getLogger("seeme_mock")

WRITE_EVERY = 0.005
"""Seconds changes are gathered before they are written (and sends wait for the write):
a message's status and the answer to its callback a few ms later go in one write."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rejections (id INTEGER PRIMARY KEY AUTOINCREMENT, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbound (id INTEGER PRIMARY KEY, state TEXT NOT NULL);
"""


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
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.DatabaseError as exc:
            raise self._refused(exc) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise self._refused(exc) from None
        self._messages: dict[int, Message] = {}
        self._fixed: dict[int, str] = {}
        self._inbound: dict[int, Inbound] = {}
        self._rejections: list[str] = []
        self._dropped: list[int] = []
        self._dropped_rejections = 0
        self._clock: float | None = None
        self._flush: asyncio.Handle | None = None
        self._waiting: list[asyncio.Future[None]] = []

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
            self._states("messages"),
            self._states("rejections"),
            None if clock is None else float(clock[0]),
            self._states("inbound"),
        )

    def _states(self, table: str) -> list[dict[str, Any]]:
        rows = self._db.execute(f"SELECT state FROM {table} ORDER BY id")
        return [json.loads(row[0]) for row in rows]

    def message_changed(self, message: Message) -> None:
        self._messages[message.id] = message
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
            self._fixed.pop(message_id, None)
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
        self._fixed.clear()
        self._inbound.clear()
        self._rejections.clear()
        self._dropped.clear()
        self._dropped_rejections = 0
        self.flush()
        for table in ("messages", "rejections", "inbound"):
            self._db.execute(f"DELETE FROM {table}")

    async def written(self) -> None:
        """Return once every change so far is written (within WRITE_EVERY)."""
        if self._flush is not None:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            await waiter

    def _soon(self) -> None:
        """Write WRITE_EVERY from now; without a running loop (a gateway
        driven by hand), at the next load(), flush() or close()."""
        if self._flush is None:
            with contextlib.suppress(RuntimeError):
                self._flush = asyncio.get_running_loop().call_later(WRITE_EVERY, self.flush)

    def flush(self) -> None:
        """Write what changed, in one transaction."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        messages, self._messages = self._messages, {}
        inbound, self._inbound = self._inbound, {}
        rejections, self._rejections = self._rejections, []
        dropped, self._dropped = self._dropped, []
        dropped_rejections, self._dropped_rejections = self._dropped_rejections, 0
        try:
            self._write(messages, inbound, rejections, dropped, dropped_rejections)
        except sqlite3.Error as exc:  # a full disk must not stop the server answering
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            log.error("the journal %s could not be written (%s): these changes are "
                      "not in it", self.path, exc)  # fmt: skip
        waiting, self._waiting = self._waiting, []
        for waiter in waiting:
            if not waiter.done():
                waiter.set_result(None)

    def _write(
        self,
        messages: dict[int, Message],
        inbound: dict[int, Inbound],
        rejections: list[str],
        dropped: list[int],
        dropped_rejections: int,
    ) -> None:
        db = self._db
        db.execute("BEGIN")
        db.executemany(
            "INSERT OR REPLACE INTO messages (id, state) VALUES (?, ?)",
            [(m.id, self._message_row(m)) for m in messages.values()],
        )
        db.executemany(
            "INSERT OR REPLACE INTO inbound (id, state) VALUES (?, ?)",
            [(i.id, _json(inbound_state(i))) for i in inbound.values()],
        )
        db.executemany("INSERT INTO rejections (state) VALUES (?)", [(r,) for r in rejections])
        db.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in dropped])
        if dropped_rejections:
            db.execute(
                "DELETE FROM rejections WHERE id IN "
                "(SELECT id FROM rejections ORDER BY id LIMIT ?)",
                (dropped_rejections,),
            )
        if self._clock is not None:
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('clock', ?)",
                (repr(self._clock),),
            )
            self._clock = None
        db.execute("COMMIT")

    def _message_row(self, message: Message) -> str:
        """message_state's JSON; the part that never changes is encoded once (kept until
        the message is finished), not on every status and attempt."""
        fixed = self._fixed.get(message.id)
        if fixed is None:
            fixed = self._fixed[message.id] = _json(message_fixed_state(message))[:-1]
        if message.finished:
            del self._fixed[message.id]
        return f"{fixed},{_json(message_progress(message))[1:]}"

    def close(self) -> None:
        self.flush()
        self._db.close()


def _json(state: dict[str, Any]) -> str:
    return json.dumps(state, separators=(",", ":"))
