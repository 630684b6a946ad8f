"""The durable journal's side of the gateway: what it is told (:class:`Journal`), and
messages as rows of plain values, inbound SMS and refused sends as JSON-ready state, and
back.

Unlike :mod:`.export` (records for people and CI artifacts), this keeps what is needed to
resume: the plan, how far it got, and every attempt, in raw Unix seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from .records import (
    Attempt,
    Callback,
    CallbackState,
    Forward,
    Inbound,
    Message,
    Rejected,
    StatusChange,
)
from .scenario import Scenario
from .sms import split_sms

__all__ = [
    "Journal",
    "MemoryOnly",
    "inbound_from_state",
    "inbound_state",
    "message_from_state",
    "message_row",
    "rejection_from_state",
    "rejection_state",
    "state_of_row",
]


class Journal(Protocol):
    """Where the gateway's state is kept beyond memory. The gateway calls it on every
    change but a status reached as planned (that follows from the plan and the clock: a
    restored message reaches it again); :meth:`Gateway.restore` takes back what it kept."""

    def message_changed(self, message: Message) -> None:
        """Anything of ``message`` may have changed (it is new, a status was pushed by
        hand, a callback resent, its reply came)."""

    def callback_changed(self, callback: Callback, attempt: Attempt | None) -> None:
        """Only ``callback`` changed: ``attempt`` was added to it (if not None) and its
        state may have moved (given up without an attempt: nowhere to send it)."""

    def rejection_added(self, rejected: Rejected) -> None: ...

    def inbound_changed(self, inbound: Inbound) -> None: ...

    def messages_dropped(self, ids: list[int]) -> None: ...

    def rejections_dropped(self, count: int) -> None: ...

    def clock_moved(self, now: float) -> None: ...

    def cleared(self) -> None: ...


class MemoryOnly:
    """No journal: what is in memory is all there is (and nothing is serialised)."""

    def message_changed(self, message: Message) -> None:
        pass

    def callback_changed(self, callback: Callback, attempt: Attempt | None) -> None:
        pass

    def rejection_added(self, rejected: Rejected) -> None:
        pass

    def inbound_changed(self, inbound: Inbound) -> None:
        pass

    def messages_dropped(self, ids: list[int]) -> None:
        pass

    def rejections_dropped(self, count: int) -> None:
        pass

    def clock_moved(self, now: float) -> None:
        pass

    def cleared(self) -> None:
        pass


_MESSAGE_FIELDS = (
    "id", "received_at", "number", "text", "parts", "price", "sender", "reference",
    "callback_url", "callback_codes", "mccmnc", "scenario", "plan", "next_step", "statuses",
    "callbacks", "reply", "replied",
)  # fmt: skip
"""What a message's row holds, in order (:func:`message_row`)."""
_CALLBACK_FIELDS = ("code", "status_at", "due", "state", "failure", "attempts")


def message_row(message: Message) -> tuple[Any, ...]:
    """Everything needed to rebuild ``message``, in ``_MESSAGE_FIELDS``' order: a tuple
    without names, half the bytes and half the time of a dict, since the journal writes one
    for every accepted send (bench/RESULTS.md, the ninth pass; ``_value_``: an enum's
    ``.value`` is a property in Python, four times the cost)."""
    return (
        message.id,
        message.received_at,
        message.number,
        message.text,
        message.parts,
        str(message.price),
        message.sender,
        message.reference,
        message.callback_url,
        sorted(message.callback_codes),
        message.mccmnc,
        message.scenario.name,
        message.plan,
        message.next_step,
        [(s.code, s.at) for s in message.statuses],
        [
            (c.code, c.status_at, c.due, c.state._value_, c.failure, _attempt_rows(c))
            for c in message.callbacks
        ],
        message.reply,
        message.replied,
    )


def state_of_row(row: Sequence[Any]) -> dict[str, Any]:
    """A row of :func:`message_row` as the named state :func:`message_from_state` takes;
    ValueError or TypeError when it is not one."""
    if len(row) != len(_MESSAGE_FIELDS):
        raise ValueError(f"a message row of {len(row)} fields, not {len(_MESSAGE_FIELDS)}")
    state = dict(zip(_MESSAGE_FIELDS, row, strict=True))
    state["callbacks"] = [dict(zip(_CALLBACK_FIELDS, c, strict=True)) for c in state["callbacks"]]
    return state


def _delivery_state(delivery: Callback | Forward) -> dict[str, Any]:
    return {
        "due": delivery.due,
        "state": delivery.state.value,
        "failure": delivery.failure,
        "attempts": _attempt_rows(delivery),
    }


def _attempt_rows(delivery: Callback | Forward) -> list[tuple[Any, ...]]:
    """Plain tuples (an Attempt pickled would name its class, which no journal loads)."""
    return [tuple(a) for a in delivery.attempts]


def _attempts(state: Mapping[str, Any]) -> list[Attempt]:
    return [Attempt(*attempt) for attempt in state["attempts"]]


def message_from_state(
    state: Mapping[str, Any], scenario_named: Callable[[str], Scenario]
) -> Message:
    message = Message(
        id=state["id"],
        received_at=state["received_at"],
        number=state["number"],
        text=state["text"],
        sms=split_sms(state["text"]),
        parts=state["parts"],
        price=Decimal(state["price"]),
        sender=state["sender"],
        reference=state["reference"],
        callback_url=state["callback_url"],
        callback_codes=frozenset(state["callback_codes"]),
        mccmnc=state["mccmnc"],
        scenario=scenario_named(state["scenario"]),
        statuses=[StatusChange(code, at) for code, at in state["statuses"]],
        plan=tuple((code, at) for code, at in state["plan"]),
        next_step=state["next_step"],
        reply=None if state.get("reply") is None else (state["reply"][0], state["reply"][1]),
        replied=state.get("replied", False),
    )
    message.callbacks = [
        Callback(
            message,
            c["code"],
            c["due"],
            c["status_at"],
            _attempts(c),
            CallbackState(c["state"]),
            c["failure"],
        )
        for c in state["callbacks"]
    ]
    return message


def inbound_state(inbound: Inbound) -> dict[str, Any]:
    return {
        "id": inbound.id,
        "received_at": inbound.received_at,
        "number": inbound.number,
        "destination": inbound.destination,
        "text": inbound.text,
        "answers": inbound.answers,
        "unrouted": inbound.unrouted,
        "forwards": [_delivery_state(f) for f in inbound.forwards],
    }


def inbound_from_state(state: Mapping[str, Any]) -> Inbound:
    inbound = Inbound(
        id=state["id"],
        received_at=state["received_at"],
        number=state["number"],
        destination=state["destination"],
        text=state["text"],
        answers=state["answers"],
        unrouted=state["unrouted"],
    )
    inbound.forwards = [
        Forward(inbound, f["due"], _attempts(f), CallbackState(f["state"]), f["failure"])
        for f in state["forwards"]
    ]
    return inbound


def rejection_state(rejected: Rejected) -> dict[str, Any]:
    return {
        "at": rejected.at,
        "params": dict(rejected.params),
        "code": rejected.code,
        "message": rejected.message,
    }


def rejection_from_state(state: Mapping[str, Any]) -> Rejected:
    return Rejected(state["at"], state["params"], state["code"], state["message"])
