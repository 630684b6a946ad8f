"""Runs the engine's timeline on an asyncio loop and sends what falls due.

Real clock: one loop timer armed for the engine's next due time moves due
callbacks into a queue that a fixed pool of sender tasks serves. Manual clock:
nothing fires by itself; :meth:`Dispatcher.advance` walks virtual time event
by event and returns once every callback in the window has been answered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ..core.clock import ManualClock
from ..core.gateway import Attempt, Callback, CallbackState, Dispatch, Gateway
from .sender import CallbackSender

__all__ = ["Dispatcher"]

log = logging.getLogger("seeme_mock")


class Dispatcher:
    def __init__(
        self,
        gateway: Gateway,
        sender: CallbackSender,
        *,
        workers: int = 64,
        max_backlog: int = 10_000,
        on_error: Callable[[BaseException], None] = lambda exc: None,
    ) -> None:
        self.gateway = gateway
        self.sender = self._network_sender = sender
        self._workers = workers
        self._max_backlog = max_backlog
        self._on_error = on_error
        self._queue: asyncio.Queue[Dispatch] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due: float | None = None
        self._progress = asyncio.Event()
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = False

    @property
    def manual(self) -> bool:
        return isinstance(self.gateway.clock, ManualClock)

    @property
    def overloaded(self) -> bool:
        """True when due callbacks pile up faster than the pool sends them."""
        return self._queue.qsize() >= self._max_backlog

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._serve_queue()) for _ in range(self._workers)]
        self.wake()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop sending; attempts already on the wire get ``grace`` seconds to finish."""
        self._closing = True
        self._disarm()
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except asyncio.TimeoutError:
            log.warning("stopped with %d callback attempts still unanswered", self._busy)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.use_sender(None)
        await self.sender.close()

    async def switch(self, gateway: Gateway) -> None:
        """Serve ``gateway`` from now on, over the network; what the old one still had
        queued is dropped."""
        self._disarm()
        while not self._queue.empty():
            self._queue.get_nowait()
        self.gateway = gateway
        await self.use_sender(None)
        self.wake()

    async def use_sender(self, sender: CallbackSender | None) -> None:
        """Send through ``sender`` from now on; None goes back to the network sender."""
        if self.sender is not self._network_sender:
            await self.sender.close()
        self.sender = sender or self._network_sender

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._timer_due = None

    def wake(self) -> None:
        """Re-arm the timer if the engine now has something due sooner."""
        due = self.gateway.next_due()
        if self.manual or due is None:
            return
        if self._timer is not None:
            if self._timer_due is not None and self._timer_due <= due:
                return
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        delay = max(0.0, due - self.gateway.clock.now())
        self._timer = loop.call_at(loop.time() + delay, self._fire)
        self._timer_due = due

    def _fire(self) -> None:
        self._timer = self._timer_due = None
        if self._closing:
            return
        for dispatch in self.gateway.collect_due():
            self._queue.put_nowait(dispatch)
        self.wake()

    async def _serve_queue(self) -> None:
        while True:
            dispatch = await self._queue.get()
            if self._closing:
                continue
            self._busy += 1
            self._idle.clear()
            try:
                await self._deliver(dispatch)
            except Exception as exc:  # a bug of ours: keep serving, surface it in check()
                log.exception("callback delivery failed inside seeme-mock")
                self._on_error(exc)
            finally:
                self._busy -= 1
                if not self._busy:
                    self._idle.set()
            if not self._closing:
                self.wake()

    async def _deliver(self, dispatch: Dispatch) -> None:
        gateway = self.gateway
        at = gateway.clock.now()
        started = time.perf_counter()
        outcome = await self.sender.send(dispatch.url)
        attempt = Attempt(at, outcome.status, outcome.error, time.perf_counter() - started)
        callback = dispatch.callback
        log.info(
            "callback message=%d code=%d attempt=%d -> %s in %.1f ms",
            callback.message.id,
            callback.code,
            len(callback.attempts) + 1,
            outcome.status if outcome.error is None else outcome.error,
            attempt.latency * 1000,
        )
        gateway.record(callback, attempt)
        self._progress.set()

    async def advance(self, seconds: float) -> int:
        """Step the manual clock through every event in the window; returns attempts made."""
        clock = self.gateway.clock
        if not isinstance(clock, ManualClock):
            raise RuntimeError("advance() needs the manual clock; this gateway runs on real time")
        if seconds < 0:
            raise ValueError(f"advance({seconds}): time only moves forward, give seconds >= 0")
        target = clock.now() + seconds
        attempts = 0
        while (due := self.gateway.next_due()) is not None and due <= target:
            self.gateway.move_clock_to(due)
            batch = self.gateway.collect_due()
            attempts += len(batch)
            await asyncio.gather(*(self._deliver(dispatch) for dispatch in batch))
        self.gateway.move_clock_to(target)
        return attempts

    async def wait_for_callbacks(
        self, reference: str | None, codes: frozenset[int] | None, timeout: float
    ) -> tuple[bool, list[Callback]]:
        """Wait until those callbacks were delivered; returns (all delivered, the callbacks)."""
        gateway = self.gateway
        await self.wait_until(lambda: gateway.callbacks_settled(reference, codes), timeout)
        found = gateway.callbacks_for(reference, codes)
        delivered = bool(found) and all(c.state is CallbackState.DELIVERED for c in found)
        return delivered and gateway.callbacks_settled(reference, codes), found

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
