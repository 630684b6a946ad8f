"""Python's cycle collector, tuned for a server that keeps many long-lived records.

A message is a dozen small objects that live for minutes (up to ``max_messages`` of them
are kept), and the default collector walks them again and again: under the load bench
that was a 1-second pause every few rounds (a gen-1 pass over a million survivors) and a
5-12 ms pause every 50,000 allocations (bench/RESULTS.md). Here the young generations are
collected often and cheaply, and a full pass over the old ones runs only when sends have
stopped for a while. Nothing piles up meanwhile: a dropped message's cycle (it and its
callbacks point at each other) is cut when it is dropped, so plain reference counting
frees it.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

__all__ = ["IdleCollection", "collect_when_idle", "young_generations_only"]

IDLE = 30.0
"""Seconds without a new send after which the old generation is collected (a full pass
over 100k messages takes about half a second: not while a test is sending)."""


def young_generations_only() -> None:
    """What is loaded by now is never garbage (``freeze``); objects are looked at young,
    every 5,000 allocations, and again after four such passes (a few ms each); never old,
    automatically."""
    gc.freeze()
    gc.set_threshold(5_000, 4, 1_000_000_000)


class IdleCollection:
    """Decides, once a period, whether to run a full collection: when ``activity()`` (a
    count of sends) has not moved for a whole period, and moved since the last one."""

    def __init__(self, activity: Callable[[], int]) -> None:
        self._activity = activity
        self._seen = self._collected_at = activity()

    def tick(self) -> bool:
        """End of a period; True when it collected."""
        now, seen, self._seen = self._activity(), self._seen, self._activity()
        if now == seen and now != self._collected_at:
            gc.collect()
            self._collected_at = now
            return True
        return False


async def collect_when_idle(activity: Callable[[], int], every: float = IDLE) -> None:
    idle = IdleCollection(activity)
    while True:
        await asyncio.sleep(every)
        idle.tick()
