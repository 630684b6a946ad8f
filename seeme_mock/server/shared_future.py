"""A future that many answers wait for at once: the end of a turn of the loop, or the
journal's commit of the sends taken in it.

A future's done callbacks run in the loop's next turn, not in the one that settles it,
and under load a turn takes about a millisecond. With the journal, a send's commit was
known 1.0 ms (p50) after its turn ended, and its answer written 2.0 ms after (bench/
RESULTS.md, the eleventh pass). What waits with :meth:`SharedFuture.then` runs as the
future is settled instead, which lets the journal answer its sends between two pieces of a
turn's work (:meth:`.journal.SqliteJournal.settle_committed`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

__all__ = ["SharedFuture", "when_done"]

log = logging.getLogger("seeme_mock")

Waiter = Callable[[asyncio.Future[Any]], None]


class SharedFuture(asyncio.Future[None]):
    def __init__(self, *, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self._waiters: list[Waiter] = []

    def then(self, waiter: Waiter) -> None:
        """Call ``waiter(self)`` as this is settled (in a later turn if it already is, as
        ``add_done_callback`` would: never from inside the caller)."""
        if self.done():
            self.add_done_callback(waiter)
        else:
            self._waiters.append(waiter)

    def set_result(self, result: None) -> None:
        super().set_result(result)
        self._settled()

    def set_exception(self, exception: type | BaseException) -> None:
        super().set_exception(exception)
        self._settled()

    def cancel(self, msg: Any = None) -> bool:
        cancelled = super().cancel(msg)
        if cancelled:
            self._settled()
        return cancelled

    def _settled(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            try:
                waiter(self)
            except Exception:  # a bug of the waiter's: the others are still answered
                log.exception("seeme-mock failed to answer a send")


def when_done(future: asyncio.Future[Any], waiter: Waiter) -> None:
    """Call ``waiter(future)`` once ``future`` is done: at once when a shared one is
    settled, else as its done callback."""
    if isinstance(future, SharedFuture):
        future.then(waiter)
    else:
        future.add_done_callback(waiter)
