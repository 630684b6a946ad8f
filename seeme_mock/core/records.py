"""What the gateway keeps of each send: messages, their statuses and callbacks, every
attempt, and the sends it refused. Plain data; the scheduler fills it in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

from .scenario import Scenario
from .sms import SmsParts

if TYPE_CHECKING:
    from .callback import QueryFrame

__all__ = [
    "Attempt",
    "Callback",
    "CallbackState",
    "Delivery",
    "Forward",
    "Inbound",
    "Message",
    "Rejected",
    "StatusChange",
]


class Attempt(NamedTuple):
    """One try at delivering a callback; ``status`` is None when no answer came. A named
    tuple, not a frozen dataclass: one is built for every callback sent, and a frozen
    dataclass is built through ``object.__setattr__`` field by field, twice as long."""

    at: float
    status: int | None
    error: str | None
    latency: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class CallbackState(Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(slots=True, eq=False)
class Callback:
    """One status's delivery: the same only as itself (two alike are still two), which
    lets a message's list find it at C speed (``callbacks.index``)."""

    message: Message = field(repr=False)
    code: int
    due: float
    """When the first attempt is due (the status time, unless a fault makes it late)."""
    status_at: float
    attempts: list[Attempt] = field(default_factory=list)
    state: CallbackState = CallbackState.PENDING
    failure: str | None = None
    """Why the callback was given up, in words, once it is FAILED."""

    @property
    def owner(self) -> Message:
        return self.message


class StatusChange(NamedTuple):
    """A named tuple for the reason :class:`Attempt` is: one is built a status reached."""

    code: int
    at: float


@dataclass(slots=True)
class Message:
    id: int
    received_at: float
    number: str
    text: str
    sms: SmsParts
    parts: int
    """As billed and reported: the text's own parts unless a scenario says otherwise."""
    price: Decimal
    sender: str
    reference: str
    callback_url: str | None
    callback_codes: frozenset[int]
    mccmnc: int | None
    scenario: Scenario = field(repr=False)
    statuses: list[StatusChange] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    plan: tuple[tuple[int, float], ...] = field(default=(), repr=False)
    """Every status it will reach, with its time: (code, at)."""
    next_step: int = field(default=0, repr=False)
    """How many statuses of the plan it has reached."""
    outbox: list[Callback] = field(default_factory=list, repr=False)
    """Its callbacks still to deliver, in order; only the head is ever on the wire. A
    list, not a deque: it holds a few at most, and an empty deque alone is 760 bytes."""
    reply: tuple[float, str] | None = field(default=None, repr=False)
    """When the recipient answers, and with what text (a scenario's reply), if ever."""
    replied: bool = field(default=False, repr=False)
    report_frame: QueryFrame | None = field(default=None, repr=False, compare=False)
    """The part its reports share, encoded by the first (:mod:`.reports`) under its
    gateway's settings (a gateway's are fixed: new settings make a new gateway); dropped
    once its outbox is empty."""

    @property
    def status(self) -> int | None:
        return self.statuses[-1].code if self.statuses else None

    @property
    def finished(self) -> bool:
        """Every status reached, every callback settled, the reply (if any) received."""
        return (
            not self.outbox
            and self.next_step >= len(self.plan)
            and (self.reply is None or self.replied)
        )


@dataclass(frozen=True, slots=True)
class Rejected:
    """A request the gateway answered with an error, kept so tests can see why."""

    at: float
    params: Mapping[str, str]
    code: int
    message: str


@dataclass(slots=True)
class Forward:
    """An inbound SMS on its way to the account's inbox URL, with every attempt."""

    inbound: Inbound = field(repr=False)
    due: float
    attempts: list[Attempt] = field(default_factory=list)
    state: CallbackState = CallbackState.PENDING
    failure: str | None = None

    @property
    def owner(self) -> Inbound:
        return self.inbound


@dataclass(slots=True)
class Inbound:
    """An SMS someone sent to the account's inbox number (a reply, a STOP...)."""

    id: int
    received_at: float
    number: str
    """Who sent it."""
    destination: str
    """The inbox number it was sent to."""
    text: str
    answers: int | None = None
    """The message it replies to, when a scenario scripted it."""
    unrouted: str | None = None
    """Why it was not forwarded (SeeMe would not know whose it is), or None."""
    forwards: list[Forward] = field(default_factory=list)
    outbox: list[Forward] = field(default_factory=list, repr=False)

    @property
    def finished(self) -> bool:
        return not self.outbox


Delivery = Callback | Forward
"""What the dispatcher puts on the wire: a status callback or an inbound SMS's forward."""
