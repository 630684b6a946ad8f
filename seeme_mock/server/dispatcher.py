"""Runs the engine's timeline on an asyncio loop and sends what falls due.

Real clock: one loop timer armed for the engine's next due time, rounded up to the next
millisecond (re-armed whenever the engine says something sooner is due), moves due
callbacks into lanes, one per receiver (scheme, host and port), each with at most
``per_receiver`` attempts on the wire: a receiver that hangs can only slow its own
callbacks, never another's. No task runs an attempt: the timer puts what is due on the
wire, and an answer's I/O callback records it and puts the lane's next one on the wire,
in the same turn of the loop. Manual clock: nothing fires by itself;
:meth:`Dispatcher.advance` walks virtual time event by event and returns once every
callback in the window has been answered.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from functools import lru_cache, partial
from typing import TypeVar

from ..core.errors import ClockError, UsageError
from ..core.gateway import Dispatch, Gateway
from ..core.records import Attempt, Callback, Forward
from ..core.waits import all_delivered, settled
from .pacing import Pace
from .sender import CallbackSender, Outcome, origin

__all__ = ["LANE_BACKLOG", "Dispatcher"]

TICK = 0.001
"""Callbacks fall due on a grid of this many seconds: under a steady stream the timer wakes
once per tick for all that fell due in it, not once per callback."""

LANE_BACKLOG = 32
"""Due callbacks one receiver may have waiting before sends to it are answered later."""

PACES = 1024
"""Receivers' paces kept before those that know nothing (idle, never paced) are dropped:
a send's callback URL names its receiver before the send is checked, so sends naming a
new host each must not grow them without end."""

D = TypeVar("D", Callback, Forward)

log = logging.getLogger("seeme_mock")


class Dispatcher:
    def __init__(
        self,
        gateway: Gateway,
        sender: CallbackSender,
        *,
        per_receiver: int = 64,
        max_backlog: int = 10_000,
        on_error: Callable[[BaseException], None] = lambda exc: None,
        after_tick: Callable[[], None] = lambda: None,
    ) -> None:
        """``after_tick`` runs once the callbacks that fell due went out: a tick's are most
        of a turn's work under load, and what waits for the loop's next poll meanwhile can
        be looked at here (the journal's commits)."""
        self.gateway = gateway
        self.sender = self._network_sender = sender
        self._per_receiver = per_receiver
        self._max_backlog = max_backlog
        self._on_error = on_error
        self._after_tick = after_tick
        self._lanes: dict[str, _Lane] = {}
        self._paces: dict[str, Pace] = {}
        """How fast sends to each receiver are taken, kept when its lane empties."""
        self._sweep_paces_at = PACES
        self._answering: dict[str, bool] = {}
        """Whether each receiver answered its last attempt, kept when its lane empties."""
        self._queued = 0
        self._on_wire: set[_Attempt] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due: float | None = None
        self._progress = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = False
        self._started = False
        gateway.listen(self._wake)

    @property
    def manual(self) -> bool:
        return self.gateway.clock.manual

    async def room_for(self, url: str | None) -> None:
        """Wait while the lane of the receiver at ``url`` has more than LANE_BACKLOG due
        callbacks waiting, then for the send's turn at the receiver's pace: a send whose
        callbacks would only queue, or go out late, is answered later, so callbacks stay
        on time under any load (back-pressure). Sends to other receivers, and sends that
        ask for no callback, do not wait."""
        if not url:
            return
        key = _receiver(url)
        while (lane := self._full_lane(key)) is not None:
            await lane.room.wait()
        if turn := self._turn(key):
            await asyncio.sleep(turn)

    def admission(self, url: str | None) -> float | None:
        """Take a send with callbacks to ``url``: the seconds until its turn at the
        receiver's pace (0: at once), or None while the receiver's lane is full (wait
        with room_for; nothing was taken)."""
        if not url:
            return 0.0
        key = _receiver(url)  # once a send: the lane and the pace share it
        return None if self._full_lane(key) is not None else self._turn(key)

    def paced(self) -> dict[str, float]:
        """The receivers whose sends are taken at a steady rate now, and that rate."""
        return {key: pace.rate for key, pace in self._paces.items() if pace.rate is not None}

    def _turn(self, key: str) -> float:
        if self._closing:
            return 0.0
        pace = self._pace(key)
        was = pace.rate
        turn = pace.admit(self.gateway.clock.now())
        if was is None and pace.rate is not None:
            log.warning(
                "sends naming %s come again after a rest: taken at %.0f a second from the "
                "start, the rate its callbacks last held (back-pressure)", key, pace.rate,
            )  # fmt: skip
        return turn

    def _pace(self, key: str) -> Pace:
        """The receiver's pace, from its first send on: what is taken before its first
        callback falls due is what the pace first knows of the demand."""
        pace = self._paces.get(key)
        if pace is None:
            if len(self._paces) >= self._sweep_paces_at:
                now = self.gateway.clock.now()
                self._paces = {k: p for k, p in self._paces.items() if not p.idle(now)}
                self._sweep_paces_at = max(PACES, 2 * len(self._paces))
            pace = self._paces[key] = Pace()
        return pace

    def _full_lane(self, key: str) -> _Lane | None:
        lane = self._lanes.get(key)
        if lane is None or lane.room.is_set() or self._closing:
            return None
        return lane

    @property
    def overloaded(self) -> bool:
        """True when due callbacks pile up faster than they are sent."""
        return self._queued >= self._max_backlog

    def start(self) -> None:
        self._started = True
        self._wake()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop sending; attempts already on the wire get ``grace`` seconds to finish."""
        self._closing = True
        self._disarm()
        for lane in self._lanes.values():
            lane.room.set()  # no send waits for room any more
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except asyncio.TimeoutError:
            log.warning("stopped with %d callback attempts still unanswered", len(self._on_wire))
        await self._cut()

    async def _cut(self) -> None:
        """Forget the attempts on the wire (their outcomes, when they come, go nowhere)
        and close the connections they are on."""
        for attempt in self._on_wire:
            attempt.cut()
        self._on_wire.clear()
        self._idle.set()
        await self.use_sender(None)
        await self.sender.close()

    async def switch(self, gateway: Gateway) -> None:
        """Serve ``gateway`` from now on, over the network. The old one is cut off: what
        it had queued is dropped and its attempts on the wire are cancelled, so nothing
        of it reaches the SUT once this returns."""
        self._disarm()
        old, self.gateway = self.gateway, gateway
        old.detach()
        gateway.listen(self._wake)
        self._drop_lanes()
        await self._cut()
        if self._started and not self._closing:
            self._wake()

    async def use_sender(self, sender: CallbackSender | None) -> None:
        """Send through ``sender`` from now on; None goes back to the network sender."""
        if self.sender is not self._network_sender:
            await self.sender.close()
        self.sender = sender or self._network_sender

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._timer_due = None

    def _wake(self) -> None:
        """Re-arm the timer if the engine now has something due sooner."""
        due = self.gateway.next_due()
        if self.manual or due is None or self._closing or not self._started:
            return
        if self._timer is not None:
            if self._timer_due is not None and self._timer_due <= due:
                return
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        delay = due - self.gateway.clock.now()
        # What is due already goes at the next turn: rounded up to the grid, it would wait
        # up to a tick while sends to its receiver are still taken (the fast path answers
        # several a tick), past the back-pressure's LANE_BACKLOG.
        when = loop.time() if delay <= 0 else math.ceil((loop.time() + delay) / TICK) * TICK
        self._timer = loop.call_at(when, self._fire)
        self._timer_due = due

    def _fire(self) -> None:
        self._timer = self._timer_due = None
        if self._closing:
            return
        for dispatch in self.gateway.collect_due():
            self._enqueue(dispatch)
        self._after_tick()
        self._wake()

    def _drop_lanes(self) -> None:
        """Forget what waits; a send waiting for room in a lane goes on."""
        for lane in self._lanes.values():
            lane.waiting.clear()
            lane.room.set()
        self._lanes.clear()
        self._paces.clear()
        self._queued = 0

    def _enqueue(self, dispatch: Dispatch) -> None:
        key = _receiver(dispatch.url)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(key, self._answering.get(key, False))
        lane.waiting.append(dispatch)
        self._queued += 1
        if lane.on_wire < self._per_receiver:
            self._send_waiting(lane)
        elif lane.answering and len(lane.waiting) > LANE_BACKLOG:
            # Every connection to it is busy and still more wait: the receiver is slow.
            # (A burst that falls due at once, with connections to spare, is no reason:
            # holding sends then made the next burst, and half the bench's load ran late.)
            lane.room.clear()

    def _send_waiting(self, lane: _Lane) -> None:
        """Put what waits in ``lane`` on the wire, up to ``per_receiver`` at a time."""
        while lane.waiting and lane.on_wire < self._per_receiver and not self._closing:
            dispatch = lane.waiting.popleft()
            self._queued -= 1
            if len(lane.waiting) <= LANE_BACKLOG // 2:
                lane.room.set()
            lane.on_wire += 1
            self._attempt(dispatch, lane)

    def _attempt(
        self, dispatch: Dispatch, lane: _Lane | None, answered: asyncio.Future[None] | None = None
    ) -> None:
        now = self.gateway.clock.now()
        if lane is not None and lane.answering and not dispatch.delivery.attempts:
            self._observe(lane.key, now - dispatch.delivery.due, now)
        attempt = _Attempt(dispatch, now, lane, answered)
        if not self._on_wire:
            self._idle.clear()
        self._on_wire.add(attempt)
        self.sender.start(dispatch.url, dispatch.headers, partial(self._finished, attempt))

    def _observe(self, key: str, late: float, now: float) -> None:
        """A first attempt to a receiver that answers went out ``late``: its pace learns."""
        pace = self._pace(key)
        was = pace.rate
        pace.observe(late, now)
        if (was is None) != (pace.rate is None):
            if pace.rate is not None:
                log.warning(
                    "callbacks to %s go out late: sends naming it are now taken at %.0f a "
                    "second (back-pressure)", key, pace.rate,
                )  # fmt: skip
            else:
                log.info("callbacks to %s are on time again: sends to it are not paced", key)

    def _finished(self, attempt: _Attempt, outcome: Outcome) -> None:
        """An attempt's outcome: recorded, then its lane's next callback goes out."""
        if not attempt.live:
            return  # cut off: a reset or a stop came first
        self._on_wire.remove(attempt)
        if not self._on_wire:
            self._idle.set()
        answered = attempt.answered
        if answered is not None and answered.done():
            answered = None  # advance() was cancelled meanwhile: nobody waits
        try:
            self._record(attempt, outcome)
        except Exception as exc:  # a bug of ours: keep sending, surface it in check()
            if answered is not None:
                answered.set_exception(exc)  # advance() raises it
            else:
                log.exception("callback delivery failed inside seeme-mock")
                self._on_error(exc)
        else:
            if answered is not None:
                answered.set_result(None)
        lane = attempt.lane
        if lane is None:
            return
        lane.on_wire -= 1
        answering = outcome.status is not None
        if answering is not lane.answering:
            lane.answering = self._answering[lane.key] = answering
        if not answering:
            lane.room.set()
        self._send_waiting(lane)
        if not lane.on_wire and not lane.waiting and self._lanes.get(lane.key) is lane:
            del self._lanes[lane.key]

    def _record(self, attempt: _Attempt, outcome: Outcome) -> None:
        gateway = self.gateway
        latency = time.perf_counter() - attempt.started
        delivery = attempt.dispatch.delivery
        if log.isEnabledFor(logging.INFO):
            what = (
                f"callback message={delivery.message.id} code={delivery.code}"
                if isinstance(delivery, Callback)
                else f"inbox forward inbound={delivery.inbound.id}"
            )
            log.info(
                "%s attempt=%d -> %s in %.1f ms",
                what,
                len(delivery.attempts) + 1,
                outcome.status if outcome.error is None else outcome.error,
                latency * 1000,
            )
        gateway.record(delivery, Attempt(attempt.at, outcome.status, outcome.error, latency))
        self._progress.set()

    async def advance(self, seconds: float) -> int:
        """Step the manual clock through every event in the window; returns attempts made."""
        gateway = self.gateway
        if not gateway.clock.manual:
            raise ClockError(
                "advance() needs the manual clock; this gateway runs on real time "
                "(serve --clock manual, or the fixture's default clock)"
            )
        if seconds < 0:
            raise UsageError(f"advance({seconds}): time only moves forward, give seconds >= 0")
        target = gateway.clock.now() + seconds
        attempts = 0
        while (due := gateway.next_due()) is not None and due <= target:
            gateway.move_clock_to(due)
            batch = gateway.collect_due()
            attempts += len(batch)
            loop = asyncio.get_running_loop()
            answered = [loop.create_future() for _ in batch]
            for dispatch, future in zip(batch, answered, strict=True):
                self._attempt(dispatch, None, future)
            for outcome in await asyncio.gather(*answered, return_exceptions=True):
                if isinstance(outcome, Exception):
                    raise outcome
            if self.gateway is not gateway:  # switched meanwhile: that timeline is gone
                return attempts
        gateway.move_clock_to(target)
        return attempts

    async def wait_for(
        self, find: Callable[[], list[D]], codes: frozenset[int] | None, timeout: float
    ) -> tuple[bool, list[D]]:
        """Wait until what ``find()`` returns was delivered (or one of it failed); returns
        (all delivered, what was found). ``codes``: the status codes that must be there."""
        await self.wait_until(lambda: settled(find(), codes), timeout)
        found = find()
        return all_delivered(found, codes), found

    async def wait_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``done()``: in real seconds, or by advancing the manual clock event by
        event, ``timeout`` virtual seconds at the most. Returns ``done()``."""
        if self.manual:
            clock = self.gateway.clock
            limit = clock.now() + timeout
            while not done() and (due := self.gateway.next_due()) is not None and due <= limit:
                await self.advance(due - clock.now())
            return done()
        deadline = asyncio.get_running_loop().time() + timeout
        while not done():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), remaining)
            except asyncio.TimeoutError:
                return done()
        return True


class _Attempt:
    """One attempt on the wire, until its outcome is recorded or it is cut off."""

    __slots__ = ("answered", "at", "dispatch", "lane", "live", "started")

    def __init__(
        self,
        dispatch: Dispatch,
        at: float,
        lane: _Lane | None,
        answered: asyncio.Future[None] | None,
    ) -> None:
        self.dispatch = dispatch
        self.at = at
        self.started = time.perf_counter()
        self.lane = lane
        self.answered = answered
        """advance()'s: done once the outcome was recorded."""
        self.live = True

    def cut(self) -> None:
        self.live = False
        if self.answered is not None:
            self.answered.cancel()


class _Lane:
    """The callbacks waiting for one receiver, how many of its are on the wire, and
    whether it has room for more sends (``room`` is set while few enough callbacks wait)."""

    __slots__ = ("answering", "key", "on_wire", "room", "waiting")

    def __init__(self, key: str, answering: bool) -> None:
        self.key = key
        self.waiting: deque[Dispatch] = deque()
        self.on_wire = 0
        self.room = asyncio.Event()
        self.room.set()
        self.answering = answering
        """The receiver answered its last attempt: it is slow, not dead, so sends to it
        wait for room. A dead one (no answer) never holds sends up: only its own
        callbacks wait."""


def _receiver(url: str) -> str:
    """scheme://host:port: callbacks to one receiver share its lane."""
    return _receiver_of(url.partition("?")[0])


@lru_cache(maxsize=1024)
def _receiver_of(base: str) -> str:
    """:func:`_receiver` of a URL's part before its query, kept: a message's callbacks,
    and most sends, name the same few."""
    try:
        return origin(base)
    except ValueError:  # a URL the sender cannot take: a lane of its own, where it fails
        return base
