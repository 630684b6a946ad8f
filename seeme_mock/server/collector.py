"""Python's cycle collector, run by the clock for a server that keeps many long-lived
records.

A message is a dozen small objects that live for minutes (up to ``max_messages`` of them
are kept). Left to itself, the collector counts allocations minus deallocations, so once
the cap is reached and old messages are freed as fast as new ones come, its young
generation grows unseen until one pass walks tens of thousands of objects: 100-300 ms
pauses under the load bench, and a 1-second one with the thresholds serve used to set
(bench/RESULTS.md). Here it runs every ``YOUNG_EVERY`` seconds over what was allocated
since (a few ms at most), survivors go straight to the old generation, and the old
generation is walked only when sends have stopped for ``IDLE`` seconds. Nothing piles up
meanwhile: a dropped message's cycle with its callbacks is cut when it is dropped, so
plain reference counting frees it.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
from collections.abc import Callable

__all__ = ["IDLE", "YOUNG_EVERY", "IdleCollection", "collect_by_the_clock"]

YOUNG_EVERY = 0.02
"""Seconds between passes over the young objects."""
IDLE = 30.0
"""Seconds without a new send after which the old generation is collected (a full pass
over 100k messages takes about half a second: not while a test is sending)."""


class IdleCollection:
    """Decides, once a period, whether to run a full collection: when ``activity()`` (a
    count of sends) has not moved for a whole period, and moved since the last one."""

    def __init__(self, activity: Callable[[], int]) -> None:
        self._activity = activity
        self._seen = self._collected_at = activity()

    def tick(self) -> bool:
        """End of a period; True when it collected."""
        now, seen = self._activity(), self._seen
        self._seen = now
        if now == seen and now != self._collected_at:
            gc.collect()
            self._collected_at = now
            return True
        return False


async def collect_by_the_clock(activity: Callable[[], int]) -> None:
    """Take the collector over until cancelled: what is loaded by now is never garbage
    (``freeze``); the young generations every YOUNG_EVERY, the old one when idle."""
    gc.freeze()
    gc.disable()
    idle = IdleCollection(activity)
    periods = round(IDLE / YOUNG_EVERY)
    try:
        for tick in itertools.count(1):
            await asyncio.sleep(YOUNG_EVERY)
            gc.collect(1)
            if tick % periods == 0:
                idle.tick()
    finally:
        gc.enable()
