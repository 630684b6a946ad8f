"""Where the gateway gets its time from.

The engine never reads the system time itself: it asks a clock. Tests use a
:class:`ManualClock` and step it, so a five-minute progression runs in
microseconds; the standalone server uses the :class:`RealClock`.
"""

from __future__ import annotations

import time
from typing import Protocol

from .errors import UsageError

__all__ = ["Clock", "ManualClock", "RealClock"]


class Clock(Protocol):
    """Seconds since the Unix epoch, as a float."""

    @property
    def manual(self) -> bool:
        """True when time moves only on request (advance), never by itself."""
        ...

    def now(self) -> float: ...


class RealClock:
    manual = False

    now = staticmethod(time.time)
    """The system's time, called as is: a callback reads the clock twice, a method around
    it cost a Python call each time."""


class ManualClock:
    """A clock that moves only when told to; it never goes backwards."""

    manual = True

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise UsageError(f"a clock cannot go back: advance({seconds}) needs seconds >= 0")
        self._now += seconds

    def move_to(self, when: float) -> None:
        """Jump to ``when``; a time in the past leaves the clock where it is."""
        self._now = max(self._now, when)
