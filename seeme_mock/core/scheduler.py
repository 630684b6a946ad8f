"""The timeline: when each message reaches its next status and each callback is due.

One heap of timers holds both. A message's callbacks wait in its outbox and only the
head is ever handed out, so they reach the SUT in status order even across retries,
while other messages' callbacks go on independently.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

from .config import RetryPolicy
from .records import Attempt, Callback, CallbackState, Message, StatusChange

__all__ = ["Scheduler"]


def _ignore(message: Message) -> None:
    pass


class Scheduler:
    def __init__(self, retry: RetryPolicy, changed: Callable[[Message], None] = _ignore) -> None:
        self.retry = retry
        self._changed = changed
        self.on_sooner: Callable[[], None] | None = None
        """Called whenever something new becomes the earliest thing due."""
        self._timers: list[tuple[float, int, Message | Callback]] = []
        self._order = itertools.count()

    def clear(self) -> None:
        self._timers.clear()

    def next_due(self) -> float | None:
        """When something next needs doing, or None when all is quiet."""
        return self._timers[0][0] if self._timers else None

    def track(self, message: Message) -> None:
        """Schedule what ``message`` still has to do (a new one, or one restored)."""
        message.outbox.extend(c for c in message.callbacks if c.state is CallbackState.PENDING)
        if message.next_step < len(message.plan):
            self._push(message.plan[message.next_step][1], message)
        if message.outbox:
            head = message.outbox[0]
            due = head.due
            if head.attempts:
                due = head.attempts[-1].at + self.retry.delay_after(len(head.attempts))
            self._push(due, head)

    def pop_due(self, now: float) -> list[Callback]:
        """Reach every status due by ``now``; return the callbacks due, in order."""
        due: list[Callback] = []
        while self._timers and self._timers[0][0] <= now:
            _, _, item = heapq.heappop(self._timers)
            if isinstance(item, Message):
                self._reach_next_status(item)
            else:
                due.append(item)
        return due

    def add_status(self, message: Message, code: int, now: float) -> None:
        """A status reached now, outside the plan; reported if the send asked for it."""
        message.statuses.append(StatusChange(code, now))
        if code in message.callback_codes:
            callback = Callback(message, code, now, now)
            message.callbacks.append(callback)
            message.outbox.append(callback)
            if len(message.outbox) == 1:
                self._push(now, callback)
        self._changed(message)

    def record(self, callback: Callback, attempt: Attempt, now: float) -> None:
        """Take the outcome of an attempt: done, retry later, or give up."""
        callback.attempts.append(attempt)
        if attempt.ok:
            callback.state = CallbackState.DELIVERED
            self._next_in_outbox(callback.message, now)
        elif len(callback.attempts) >= self.retry.attempts:
            self.give_up(callback, f"no 2xx answer after {len(callback.attempts)} attempts", now)
            return
        else:
            self._push(now + self.retry.delay_after(len(callback.attempts)), callback)
        self._changed(callback.message)

    def give_up(self, callback: Callback, why: str, now: float) -> None:
        callback.state = CallbackState.FAILED
        callback.failure = why
        self._next_in_outbox(callback.message, now)
        self._changed(callback.message)

    def _push(self, when: float, item: Message | Callback) -> None:
        heapq.heappush(self._timers, (when, next(self._order), item))
        if self.on_sooner is not None and self._timers[0][2] is item:
            self.on_sooner()

    def _reach_next_status(self, message: Message) -> None:
        code, at = message.plan[message.next_step]
        message.next_step += 1
        message.statuses.append(StatusChange(code, at))
        if message.next_step < len(message.plan):
            self._push(message.plan[message.next_step][1], message)
        self._changed(message)

    def _next_in_outbox(self, message: Message, now: float) -> None:
        message.outbox.popleft()
        if message.outbox:
            head = message.outbox[0]
            self._push(max(head.due, now), head)
