"""The durable journal: the gateway's state in SQLite (standard library), so a server
killed with SIGKILL and started again on the same file resumes every pending callback.

Each change is its own transaction in WAL mode: on disk (in the OS's hands) before the
next event, without an fsync per event. A callback on the wire at the kill was not yet
recorded, so it is sent again after the restart: delivery is at least once.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError
from ..core.journal_state import inbound_state, message_state, rejection_state
from ..core.records import Inbound, Message, Rejected

__all__ = ["Saved", "SqliteJournal"]

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

    def _refused(self, exc: sqlite3.DatabaseError) -> ConfigError:
        return ConfigError(
            f"{self.path} cannot be a journal ({exc}); give a new file's name or one "
            "that serve --journal wrote",
            setting="journal",
        )

    def load(self) -> Saved:
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
        self._db.execute(
            "INSERT OR REPLACE INTO messages (id, state) VALUES (?, ?)",
            (message.id, json.dumps(message_state(message), separators=(",", ":"))),
        )

    def rejection_added(self, rejected: Rejected) -> None:
        state = rejection_state(rejected)
        self._db.execute(
            "INSERT INTO rejections (state) VALUES (?)", (json.dumps(state, separators=(",", ":")),)
        )

    def inbound_changed(self, inbound: Inbound) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO inbound (id, state) VALUES (?, ?)",
            (inbound.id, json.dumps(inbound_state(inbound), separators=(",", ":"))),
        )

    def messages_dropped(self, ids: list[int]) -> None:
        self._db.executemany("DELETE FROM messages WHERE id = ?", ((i,) for i in ids))

    def rejections_dropped(self, count: int) -> None:
        self._db.execute(
            "DELETE FROM rejections WHERE id IN (SELECT id FROM rejections ORDER BY id LIMIT ?)",
            (count,),
        )

    def clock_moved(self, now: float) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('clock', ?)", (repr(now),)
        )

    def cleared(self) -> None:
        for table in ("messages", "rejections", "inbound"):
            self._db.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        self._db.close()
