"""The timeline: when each message reaches its next status, when its recipient replies,
and when each callback or inbound forward is due.

One timeline holds them all. A message's callbacks (an inbound SMS's forwards) wait
in its outbox and only the head is ever handed out, so they reach the SUT in order even
across retries, while other messages' go on independently.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

from .config import RetryPolicy
from .records import (
    Attempt,
    Callback,
    CallbackState,
    Delivery,
    Forward,
    Inbound,
    Message,
    StatusChange,
)

__all__ = ["Due", "Scheduler"]

Owner = Message | Inbound


@dataclass(frozen=True)
class _Reply:
    """A timer for the moment a message's recipient answers."""

    message: Message


_Timer = Message | Delivery | _Reply
"""A message reaches its next status, a recipient replies, a delivery is due."""


@dataclass
class Due:
    """What fell due: deliveries to put on the wire, messages whose recipient answers now."""

    deliveries: list[Delivery]
    replies: list[Message]


_PENDING = CallbackState.PENDING  # a module global is read faster than an Enum member
_DELIVERED = CallbackState.DELIVERED


Changed = Callable[[Owner, Delivery | None, Attempt | None], None]
"""Told of every change worth keeping: ``(owner, None, None)`` when anything of the owner
may have changed; ``(owner, delivery, attempt)`` when only that delivery did (``attempt``
added to it, if not None, and its state moved or not)."""


def _ignore(owner: Owner, delivery: Delivery | None, attempt: Attempt | None) -> None:
    pass


class Scheduler:
    def __init__(
        self,
        retry: RetryPolicy,
        inbox_attempts: int = 1,
        changed: Changed = _ignore,
    ) -> None:
        self.retry = retry
        self.inbox_attempts = inbox_attempts
        self._changed = changed
        self.on_sooner: Callable[[], None] | None = None
        """Called whenever something new becomes the earliest thing due."""
        self._times: list[float] = []
        """A heap of the times something is due."""
        self._due_at: dict[float, list[_Timer]] = {}
        """What is due at each of those times, in the order it was scheduled."""

    def next_due(self) -> float | None:
        """When something next needs doing, or None when all is quiet."""
        return self._times[0] if self._times else None

    def track(self, owner: Owner) -> None:
        """Schedule what a message or an inbound SMS still has to do (new, or restored)."""
        pending = owner.callbacks if isinstance(owner, Message) else owner.forwards
        owner.outbox.extend([d for d in pending if d.state is _PENDING])  # type: ignore[misc]
        if isinstance(owner, Message):
            if owner.next_step < len(owner.plan):
                self._push(owner.plan[owner.next_step][1], owner)
            if owner.reply is not None and not owner.replied:
                self._push(owner.reply[0], _Reply(owner))
        if owner.outbox:
            head = owner.outbox[0]
            due = head.due
            if head.attempts:
                due = head.attempts[-1].at + self.retry.delay_after(len(head.attempts))
            self._push(due, head)

    def pop_due(self, now: float) -> Due:
        """Reach every status due by ``now``; what is due, in order."""
        due = Due([], [])
        times = self._times
        while times and times[0] <= now:
            # What this takes may schedule more for the same time (a plan's next status,
            # with no delay between): it joins this list, whose iterator goes on to what
            # was appended meanwhile, in order.
            when = heapq.heappop(times)
            try:
                for item in self._due_at[when]:
                    if isinstance(item, Message):
                        self._reach_next_status(item)
                    elif isinstance(item, _Reply):
                        item.message.replied = True
                        self._changed(item.message, None, None)
                        due.replies.append(item.message)
                    else:
                        due.deliveries.append(item)
            finally:  # even if a bug of ours raised: no list kept whose time left the heap
                del self._due_at[when]
        return due

    def add_status(self, message: Message, code: int, now: float) -> None:
        """A status reached now, outside the plan; reported if the send asked for it."""
        message.statuses.append(StatusChange(code, now))
        if code in message.callback_codes:
            self._enqueue(message, Callback(message, code, now, now), now)
        self._changed(message, None, None)

    def resend(self, callback: Callback, now: float) -> Callback:
        again = Callback(callback.message, callback.code, now, callback.status_at)
        self._enqueue(callback.message, again, now)
        self._changed(callback.message, None, None)
        return again

    def forward(self, inbound: Inbound, now: float) -> None:
        """Forward an inbound SMS now (behind any earlier forward of it)."""
        self._enqueue(inbound, Forward(inbound, now), now)

    def _enqueue(self, owner: Owner, delivery: Delivery, now: float) -> None:
        if isinstance(owner, Message) and isinstance(delivery, Callback):
            owner.callbacks.append(delivery)
            owner.outbox.append(delivery)
        elif isinstance(owner, Inbound) and isinstance(delivery, Forward):
            owner.forwards.append(delivery)
            owner.outbox.append(delivery)
        if len(owner.outbox) == 1:
            self._push(now, delivery)

    def record(self, delivery: Delivery, attempt: Attempt, now: float) -> None:
        """Take the outcome of an attempt: done, retry later, or give up."""
        delivery.attempts.append(attempt)
        owner = delivery.owner
        if attempt.ok:
            delivery.state = _DELIVERED
            self._next_in_outbox(owner, now)
        elif len(delivery.attempts) >= (
            self.retry.attempts if isinstance(delivery, Callback) else self.inbox_attempts
        ):
            self._fail(delivery, f"no 2xx answer after {len(delivery.attempts)} attempts", now)
        else:
            self._push(now + self.retry.delay_after(len(delivery.attempts)), delivery)
        self._changed(owner, delivery, attempt)

    def give_up(self, delivery: Delivery, why: str, now: float) -> None:
        """Without an attempt (nowhere to send it)."""
        self._fail(delivery, why, now)
        self._changed(delivery.owner, delivery, None)

    def _fail(self, delivery: Delivery, why: str, now: float) -> None:
        delivery.state = CallbackState.FAILED
        delivery.failure = why
        self._next_in_outbox(delivery.owner, now)

    def _push(self, when: float, item: _Timer) -> None:
        """A heap of times and a list a time, not a heap of (time, order, item): most are
        due at a time of their own, and a heap compares floats several times faster than
        tuples (it compares a few dozen a callback)."""
        items = self._due_at.get(when)
        if items is not None:  # not the first thing due: something is due as soon
            items.append(item)
            return
        self._due_at[when] = [item]
        heapq.heappush(self._times, when)
        if self.on_sooner is not None and self._times[0] == when:
            self.on_sooner()

    def _reach_next_status(self, message: Message) -> None:
        code, at = message.plan[message.next_step]
        message.next_step += 1
        message.statuses.append(StatusChange(code, at))
        if message.next_step < len(message.plan):
            self._push(message.plan[message.next_step][1], message)
        # not a change to keep: it follows from the plan and the clock (a restored message
        # reaches it again), and the journal would do work for nothing 3 times per send

    def _next_in_outbox(self, owner: Owner, now: float) -> None:
        del owner.outbox[0]
        if owner.outbox:
            head = owner.outbox[0]
            self._push(max(head.due, now), head)
