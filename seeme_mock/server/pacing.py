"""Sends to one receiver admitted at a steady rate while its callbacks run late.

The lane's backlog (:data:`.dispatcher.LANE_BACKLOG`) holds sends once callbacks pile up,
but a callback falls due 0.1-0.3 s (the scenario's delays) after its send: by the time the
backlog fills, the sends that made it were all answered, and while they are held nothing
new is taken, so the next wave comes in a rush. Under a load that saturates the server
that see-saw made every other tenth of a second late by 30-50 ms (bench/RESULTS.md, the
sixth pass). Here, once callbacks start going out late, sends are taken at a steady rate
instead: cut when they run late (once per HOLD, the feedback's delay; not while the
server catches up on what a stall of the machine left due), grown while they are on time
(after a stall, faster while the server idles), and given up when demand falls far below
it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Pace"]

WINDOW = 0.02
"""Seconds over which lateness and sends taken are counted."""
LATE = 0.006
"""A first attempt put on the wire this long after it fell due is late..."""
LATE_SHARE = 0.02
"""...a window with more than this share of late ones is late, if it had at least
MIN_SEEN first attempts..."""
MIN_SEEN = 5
"""...(fewer, 250 callbacks a second, say nothing of load: one callback late by a switch
of Python's GIL in a test process paced a receiver that kept up)..."""
LATE_WINDOWS = 3
"""...and so many late windows in a row call for a cut. A stall of a few milliseconds (a
checkpoint of the journal) is no reason: cutting on any late callback halved the rate,
with the journal more."""
STALLED = 0.024
"""...unless the first of them, after CALM seconds on time, had a first attempt this late,
as after a stall of the machine, and the latest in each since was at least CATCHING_UP
less late than the window before's: the server is catching up on what the stall left due.
A load the server cannot follow makes windows late every few tenths of a second, and by
a few milliseconds first. Cut after a stall, the sends held back under a load offered at
a fixed rate were answered 100-300 ms late for a second after it, where the reference
mock, which does not cut, answered them on time (bench/RESULTS.md, the eighteenth
pass)."""
CATCHING_UP = 0.001
CALM = 0.5
CUT = 0.85
"""The rate is multiplied by this when callbacks run late..."""
HOLD = 0.3
"""...at most once in this many seconds: a cut shows in the callbacks only once the sends
it slowed fall due."""
GROW = 1.01
"""The rate is multiplied by this after each window on time..."""
IDLE = 0.7
"""...or, after a cut in a stall's late windows, by GROW_IDLE after one in which the
server's thread ran less than this share of the time while the rate held sends back: the
cut outlived its cause, and growing 1% a window took 1-1.5 s to come back to a load
offered at a fixed rate, the sends held back meanwhile answered later and later
(bench/RESULTS.md, the eighteenth pass). A cut a load the server cannot follow called
for grows as it did, lest the pace's own peaks come sooner."""
GROW_IDLE = 1.05
FLOOR = 50.0
"""Sends a second, at least: a receiver that slow is held by its lane's backlog."""
BURST = 0.005
"""Seconds' worth of sends taken at once after a pause."""
FORGET = 1.0
"""Seconds without a callback after which the pace starts over (its last rate is kept as
the most a new pacing starts at)..."""
RESUME = 1000.0
"""...unpaced, unless that last rate was at least this many sends a second: then paced at
it from the first send. A run that starts after a rest comes in a rush (the load bench's
first 0.1-0.3 s at 10,000-15,000 sends a second), and the callbacks of those sends fall
due together 0.1-0.3 s later, before any lateness could cut the rate (bench/RESULTS.md,
the twelfth pass). A receiver last paced lower, one that was slow rather than a server
short of CPU, is not held to it: a test suite's next burst to it goes unpaced."""


class Pace:
    """When each next send to one receiver may be taken; ``rate`` is None while unpaced."""

    __slots__ = (
        "_catching_up", "_cpu", "_cpu_at", "_cut_at", "_cut_by_stall", "_demand_on_time",
        "_late", "_late_at", "_late_windows", "_next_at", "_resume", "_seen", "_stalled",
        "_taken", "_was_worst", "_window_end", "_worst", "demand", "rate",
    )  # fmt: skip

    def __init__(self, cpu: Callable[[], float] = time.thread_time) -> None:
        """``cpu``: the seconds the server's thread has run so far."""
        self._cpu = cpu
        self._cpu_at = 0.0
        """The thread's CPU seconds when the window opened."""
        self._resume: float | None = None
        """The last rate: where a new pacing starts if what is taken now is more (a run
        that starts after a rest comes in a rush, far over what the server can follow)."""
        self._start_over()

    def _start_over(self) -> None:
        self.rate: float | None = None
        self.demand: float | None = None
        """Sends taken a second, averaged over about ten windows."""
        self._demand_on_time: float | None = None
        """The demand as of the last window on time, what a cut in a stall's late windows
        goes by: a stall takes few sends while it lasts, and a cut by the demand then
        held a load offered at a fixed rate far below what it offers (bench/RESULTS.md,
        the eighteenth pass)."""
        self._next_at = 0.0
        self._taken = 0
        self._seen = 0
        self._late = 0
        self._late_windows = 0
        self._worst = 0.0
        """The latest first attempt of this window..."""
        self._was_worst = 0.0
        """...and of the window before."""
        self._stalled = False
        """The late windows began as a stall of the machine makes them begin..."""
        self._catching_up = False
        """...and the server has been catching up since."""
        self._cut_by_stall = False
        """The last cut came in such late windows."""
        self._late_at = float("-inf")
        """When the last late window ended."""
        self._window_end: float | None = None
        self._cut_at = float("-inf")

    def idle(self, now: float) -> bool:
        """Nothing worth keeping: never paced, and no send or callback for FORGET."""
        return (
            self.rate is None
            and self._resume is None
            and (self._window_end is None or now - self._window_end > FORGET)
        )

    def admit(self, now: float) -> float:
        """Take one send: the seconds it waits for its turn (0: at once)."""
        if self._window_end is not None and now - self._window_end > FORGET:
            self._resume = self.rate or self._resume
            self._start_over()  # idle: what was learnt of the demand is stale
            if self._resume is not None and self._resume >= RESUME:
                self.rate = self._resume
        if self._window_end is None:
            # The first window opens with the first send, not the first callback: a run's
            # first 0.1-0.3 s of sends, taken before any callback fell due, are its demand.
            # Counted from the first callback on, while the lane's backlog held every send,
            # the demand was nothing, and the first cut put the pace at FLOOR
            # (bench/RESULTS.md, the thirteenth pass).
            self._open_window(now)
        self._taken += 1
        if self.rate is None:
            return 0.0
        turn = max(self._next_at, now - BURST)
        self._next_at = turn + 1 / self.rate
        return max(0.0, turn - now)

    def _open_window(self, now: float) -> None:
        self._window_end = now + WINDOW
        self._cpu_at = self._cpu()

    def observe(self, late: float, now: float) -> None:
        """A first attempt went on the wire ``late`` seconds after it fell due."""
        self._seen += 1
        if late > LATE:
            self._late += 1
            if late > self._worst:
                self._worst = late
        if self._window_end is None:
            self._open_window(now)
            return
        if now < self._window_end:
            return
        span = now - self._window_end + WINDOW
        cpu, self._cpu_at = self._cpu_at, self._cpu()
        busy = (self._cpu_at - cpu) / span
        taken = self._taken / span
        self.demand = taken if self.demand is None else 0.9 * self.demand + 0.1 * taken
        late_window = self._seen >= MIN_SEEN and self._late > LATE_SHARE * self._seen
        self._late_windows = self._late_windows + 1 if late_window else 0
        if self._late_windows == 1:
            self._stalled = self._worst >= STALLED and now - self._late_at >= CALM
            self._catching_up = self._stalled
        elif late_window:
            self._catching_up &= self._worst <= self._was_worst - CATCHING_UP
        if late_window:
            self._late_at = now
        self._was_worst = self._worst
        if not late_window:
            if self._seen >= MIN_SEEN:
                self._demand_on_time = self.demand
            if self.rate is not None and now - self._cut_at >= HOLD:
                if self.rate > 4 * self.demand + 100:
                    self._resume, self.rate = self.rate, None  # demand fell far below it
                elif self.rate < 1.2 * self.demand:  # it holds sends back: try more
                    self.rate *= GROW_IDLE if self._cut_by_stall and busy < IDLE else GROW
        elif (
            self._late_windows >= LATE_WINDOWS
            and not self._catching_up
            and now - self._cut_at >= HOLD
        ):
            # the lowest of the rate (or the last one) and what was taken (before a stall)
            demand = self.demand
            if self._stalled:
                demand = max(demand, self._demand_on_time or 0.0)
            self.rate = max(FLOOR, min(self.rate or self._resume or demand, demand) * CUT)
            self._cut_at, self._cut_by_stall = now, self._stalled
        self._taken, self._seen, self._late, self._worst = 0, 0, 0, 0.0
        self._window_end = now + WINDOW
