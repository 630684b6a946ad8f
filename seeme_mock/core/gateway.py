"""The gateway state machine: sends in, status progressions, callbacks out.

No sockets and no threads here. A transport feeds requests to :meth:`Gateway.handle`,
asks :meth:`Gateway.next_due` when to wake up, takes the callbacks that are due
from :meth:`Gateway.collect_due`, sends them however it likes, and reports each
attempt back through :meth:`Gateway.record`. Time comes from the injected clock.

Ordering: a message's callbacks wait in its outbox and only the head is ever
handed out, so they reach the SUT in status order even across retries, while
other messages' callbacks go on independently.
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import random
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .callback import CallbackParams, callback_url, encode_callback_query
from .clock import Clock, ManualClock
from .config import GatewayConfig
from .magic import MAGIC_NUMBERS
from .operators import mccmnc_for
from .protocol import (
    SENDER_ID,
    SUCCESS_TEXT,
    Format,
    Rejection,
    Reply,
    format_money,
    has_undecodable_bytes,
    key_passes_checksum,
    parse_callback_codes,
)
from .scenario import Branch, Plan, Scenario
from .sms import Charset, SmsParts, split_sms
from .status import status_text

__all__ = [
    "Answer",
    "Attempt",
    "Callback",
    "CallbackState",
    "Dispatch",
    "Gateway",
    "Journal",
    "MemoryOnly",
    "Message",
    "Rejected",
    "StatusChange",
    "explain_wait",
]


@dataclass(frozen=True)
class Attempt:
    """One try at delivering a callback; ``status`` is None when no answer came."""

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


@dataclass
class Callback:
    message: Message = field(repr=False)
    code: int
    due: float
    """When the first attempt is due (the status time, unless a fault makes it late)."""
    status_at: float
    attempts: list[Attempt] = field(default_factory=list)
    state: CallbackState = CallbackState.PENDING
    failure: str | None = None
    """Why the callback was given up, in words, once it is FAILED."""


@dataclass(frozen=True)
class StatusChange:
    code: int
    at: float


@dataclass
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
    _plan: tuple[tuple[int, float], ...] = field(default=(), repr=False)
    _next_step: int = field(default=0, repr=False)
    _outbox: deque[Callback] = field(default_factory=deque, repr=False)

    @property
    def status(self) -> int | None:
        return self.statuses[-1].code if self.statuses else None


@dataclass(frozen=True)
class Rejected:
    """A request the gateway answered with an error, kept so tests can see why."""

    at: float
    params: Mapping[str, str]
    code: int
    message: str


class Answer(NamedTuple):
    """The reply, its format, and how long to wait before giving it."""

    reply: Reply
    format: Format
    delay: float = 0.0


class Dispatch(NamedTuple):
    """A callback to send now, to this exact URL."""

    callback: Callback
    url: str


class Journal(Protocol):
    """Where the gateway's state is kept beyond memory. The gateway calls it on every
    change; :meth:`Gateway.restore` takes back what it kept. States are JSON-ready dicts."""

    def message_changed(self, state: dict[str, Any]) -> None: ...

    def rejection_added(self, state: dict[str, Any]) -> None: ...

    def clock_moved(self, now: float) -> None: ...

    def cleared(self) -> None: ...


class MemoryOnly:
    """No journal: what is in memory is all there is."""

    def message_changed(self, state: dict[str, Any]) -> None:
        pass

    def rejection_added(self, state: dict[str, Any]) -> None:
        pass

    def clock_moved(self, now: float) -> None:
        pass

    def cleared(self) -> None:
        pass


_NUMBER_LENGTH = range(8, 16)


class Gateway:
    def __init__(self, config: GatewayConfig, clock: Clock, journal: Journal | None = None) -> None:
        self.config = config
        self.clock = clock
        self.journal: Journal = journal or MemoryOnly()
        self.zone = ZoneInfo(config.timezone)
        self._ids = itertools.count(1)
        self._order = itertools.count()
        self._timers: list[tuple[float, int, Message | Callback]] = []
        self._default = Scenario("default", (Branch(1.0, config.progression),))
        self._mine: tuple[Scenario, ...] = ()
        self._magic = self._completed(MAGIC_NUMBERS if config.magic_numbers else ())
        self.add_scenarios(config.scenarios)
        self._clear()

    def reset(self) -> None:
        """Forget every message and callback; the balance starts over."""
        self._clear()
        self.journal.cleared()

    def _clear(self) -> None:
        self.messages: list[Message] = []
        self.dropped = 0
        """Finished messages forgotten to keep memory bounded (``max_messages``)."""
        self.rejections: list[Rejected] = []
        self.balance = self.config.balance
        self.spent = Decimal(0)
        self.allowed_ips = set(self.config.allowed_ips)
        self._timers.clear()
        self._matched: dict[str, int] = {}

    # -- requests ---------------------------------------------------------------

    def handle(
        self, params: Mapping[str, str], client_ip: str = "", *, overloaded: bool = False
    ) -> Answer:
        """Answer one call to the send endpoint. ``overloaded`` means the transport is behind."""
        fmt = Format.from_param(params.get("format"), self.config.default_format)
        try:
            reply, delay = self._route(params, client_ip, overloaded)
        except Rejection as rejection:
            rejected = Rejected(self.clock.now(), dict(params), rejection.code, rejection.message)
            self.rejections.append(rejected)
            self.journal.rejection_added(_rejection_state(rejected))
            return Answer(Reply.error(rejection), fmt, rejection.delay)
        return Answer(reply, fmt, delay)

    def _route(
        self, params: Mapping[str, str], client_ip: str, overloaded: bool
    ) -> tuple[Reply, float]:
        self._authenticate(_required(params, "key"))
        method = params.get("method") or "sms"
        if method == "balance":
            return self._balance_reply(), 0.0
        if method == "setip":
            return self._set_ip(_required(params, "ip")), 0.0
        if method != "sms":
            raise Rejection(1, parameter="method")
        if self.allowed_ips and client_ip not in self.allowed_ips:
            raise Rejection(13, ip=client_ip)
        if overloaded:
            raise Rejection(8)
        return self._send(params, client_ip)

    def _authenticate(self, key: str) -> None:
        if self.config.keys:
            if key not in self.config.keys:
                raise Rejection(4)
        elif not key_passes_checksum(key):
            raise Rejection(18)

    def _balance_reply(self) -> Reply:
        balance = format_money(self.balance, 3)
        return Reply(
            {
                "result": "OK",
                "code": "0",
                "message": balance,
                "balance": balance,
                "currency": self.config.currency,
                "balance-currency": f"{balance} {self.config.currency}",
                "custom-services": "0.000",
                "monthlySpentBalance": format_money(self.spent, 3),
            }
        )

    def _set_ip(self, ip: str) -> Reply:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise Rejection(13, ip=ip) from None
        if ip in self.allowed_ips:
            raise Rejection(14, ip=ip)
        self.allowed_ips.add(ip)
        return Reply({"result": "OK", "code": 0, "message": f"Your {ip} IP address is allowed"})

    def _send(self, params: Mapping[str, str], client_ip: str) -> tuple[Reply, float]:
        number = _required(params, "number")
        if not number.isascii() or not number.isdigit():
            raise Rejection(2, parameter="number")
        if number.startswith("0") or len(number) not in _NUMBER_LENGTH:
            raise Rejection(3)
        text = _required(params, "message")
        if has_undecodable_bytes(text):
            raise Rejection(12)
        sms = split_sms(text)
        limit = self.config.max_parts * sms.charset.multi_part
        if sms.count > self.config.max_parts:
            raise Rejection(6 if sms.charset is Charset.GSM7 else 16, limit=limit)
        sender = params.get("sender", "")
        if sender and (
            not SENDER_ID.fullmatch(sender)
            or (
                self.config.allowed_senders is not None
                and sender not in self.config.allowed_senders
            )
        ):
            raise Rejection(9, sender=sender)
        codes = self.config.callback_codes
        if "callback" in params:
            codes = parse_callback_codes(params["callback"])
        url = params.get("callbackurl") or self.config.callback_url
        if url and not _is_http_url(url):
            raise Rejection(17)
        reference = params.get("reference", "")
        scenario = self._choose(number, sender, text, reference)
        answer = scenario.send
        if answer.error is not None:
            raise Rejection(
                answer.error,
                delay=answer.delay,
                parameter="number",
                balance=format_money(self.balance, 3),
                spendable=format_money(self.balance, 3),
                sender=sender,
                ip=client_ip,
                callback=params.get("callback", ""),
                limit=limit,
            )
        parts = answer.parts or sms.count
        price = answer.price if answer.price is not None else self.config.unit_price * parts
        if price > self.balance:
            raise Rejection(7, delay=answer.delay, balance=format_money(self.balance, 3))
        self.balance -= price
        self.spent += price
        now = self.clock.now()
        message = Message(
            id=next(self._ids),
            received_at=now,
            number=number,
            text=text,
            sms=sms,
            parts=parts,
            price=price,
            sender=sender,
            reference=reference,
            callback_url=url,
            callback_codes=codes,
            mccmnc=mccmnc_for(number),
            scenario=scenario,
        )
        self._start(message, scenario.plan(self._random(scenario), now, codes))
        return Reply(
            {
                "result": "OK",
                "price": float(price),
                "code": 0,
                "message": SUCCESS_TEXT,
                "charset": (answer.charset or sms.charset).value,
                "split": parts,
                "length": sms.length,
            }
        ), answer.delay

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        """Your scenarios in the order they are tried (the magic numbers come after)."""
        return self._mine

    def replace_scenarios(self, scenarios: Iterable[Scenario]) -> None:
        self._mine = ()
        self.add_scenarios(scenarios)

    def add_scenarios(self, scenarios: Iterable[Scenario]) -> None:
        """Try ``scenarios`` before those of equal priority already in use; nothing that
        was sent changes."""
        mine = (*self._completed(scenarios), *self._mine)
        self._mine = tuple(sorted(mine, key=lambda s: -s.priority))

    def _completed(self, scenarios: Iterable[Scenario]) -> tuple[Scenario, ...]:
        """A scenario that says nothing of its progression gets the default one."""
        default = self._default.branches
        return tuple(s if s.branches else replace(s, branches=default) for s in scenarios)

    def _choose(self, number: str, sender: str, text: str, reference: str) -> Scenario:
        for scenario in (*self._mine, *self._magic):
            if scenario.match.matches(number, sender, text, reference):
                return scenario
        return self._default

    def _random(self, scenario: Scenario) -> random.Random | None:
        """A generator of its own per message: outcomes depend on the seed, the scenario
        and how many sends it took before, never on other traffic."""
        count = self._matched[scenario.name] = self._matched.get(scenario.name, 0) + 1
        if not scenario.draws_random:
            return None
        seed = self.config.seed if scenario.seed is None else scenario.seed
        return random.Random(f"{seed}/{scenario.name}/{count}")

    def _start(self, message: Message, plan: Plan) -> None:
        message._plan = plan.statuses
        message.callbacks = [
            Callback(message, planned.code, planned.due, planned.status_at)
            for planned in plan.callbacks
        ]
        self._track(message)
        self._changed(message)

    def _track(self, message: Message) -> None:
        """Keep ``message`` and schedule what it still has to do."""
        self.messages.append(message)
        message._outbox.extend(c for c in message.callbacks if c.state is CallbackState.PENDING)
        if message._next_step < len(message._plan):
            self._push(message._plan[message._next_step][1], message)
        if message._outbox:
            head = message._outbox[0]
            due = head.due
            if head.attempts:
                due = head.attempts[-1].at + self.config.retry.delay_after(len(head.attempts))
            self._push(due, head)
        if len(self.messages) > self.config.max_messages:
            self._forget_finished()

    def _forget_finished(self) -> None:
        """Drop the oldest finished messages, a tenth of the cap at a time."""
        keep_from = 0
        excess = len(self.messages) - self.config.max_messages * 9 // 10
        while keep_from < excess and self._finished(self.messages[keep_from]):
            keep_from += 1
        del self.messages[:keep_from]
        self.dropped += keep_from

    @staticmethod
    def _finished(message: Message) -> bool:
        return not message._outbox and message._next_step >= len(message._plan)

    def _changed(self, message: Message) -> None:
        self.journal.message_changed(_message_state(message))

    def restore(
        self, messages: Iterable[Mapping[str, Any]], rejections: Iterable[Mapping[str, Any]]
    ) -> None:
        """Take back what a journal kept: pending statuses and callbacks resume at their
        due times (a callback that was on the wire when the process died is sent again)."""
        scenarios = {s.name: s for s in (*self._mine, *self._magic, self._default)}
        for state in messages:
            message = _message_from_state(state, scenarios.get(state["scenario"], self._default))
            self.balance -= message.price
            self.spent += message.price
            self._track(message)
        self.rejections.extend(_rejection_from_state(r) for r in rejections)
        self._ids = itertools.count(max((m.id for m in self.messages), default=0) + 1)

    # -- time -------------------------------------------------------------------

    def next_due(self) -> float | None:
        """When something next needs doing, or None when all is quiet."""
        return self._timers[0][0] if self._timers else None

    def count_pending_callbacks(self, messages: Iterable[Message] | None = None) -> int:
        """Callbacks not yet delivered or given up, counting statuses still to come."""
        return sum(len(m._outbox) for m in (self.messages if messages is None else messages))

    def find(self, message_id: int) -> Message | None:
        for message in self.messages:
            if message.id == message_id:
                return message
        return None

    def push_status(self, message: Message, code: int) -> None:
        """A status by hand, now, reported like any other if the send asked for its code."""
        if code not in range(1, 11):
            raise ValueError(f"status code {code} is outside SeeMe's table (1..10)")
        now = self.clock.now()
        message.statuses.append(StatusChange(code, now))
        if code in message.callback_codes:
            callback = Callback(message, code, now, now)
            message.callbacks.append(callback)
            message._outbox.append(callback)
            if len(message._outbox) == 1:
                self._push(now, callback)
        self._changed(message)

    def move_clock_to(self, when: float) -> None:
        """The manual clock's only mover: the journal keeps the virtual time."""
        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise RuntimeError("only the manual clock can be moved; this gateway runs on real time")
        clock.move_to(when)
        self.journal.clock_moved(clock.now())

    def callbacks_for(self, reference: str | None, codes: frozenset[int] | None) -> list[Callback]:
        """The callbacks with ``codes`` (None: all) of messages with ``reference`` (None: all)."""
        return [
            c
            for m in self.messages
            if reference in (None, m.reference)
            for c in m.callbacks
            if codes is None or c.code in codes
        ]

    def callbacks_settled(self, reference: str | None, codes: frozenset[int] | None) -> bool:
        """True once those callbacks were all delivered, or once one of them failed."""
        found = self.callbacks_for(reference, codes)
        if any(c.state is CallbackState.FAILED for c in found):
            return True
        settled = bool(found) if codes is None else {c.code for c in found} >= codes
        return settled and all(c.state is CallbackState.DELIVERED for c in found)

    def collect_due(self) -> list[Dispatch]:
        """Advance every progression to the clock's now; return the callbacks to send."""
        now = self.clock.now()
        due: list[Dispatch] = []
        while self._timers and self._timers[0][0] <= now:
            _, _, item = heapq.heappop(self._timers)
            if isinstance(item, Message):
                self._reach_next_status(item)
            else:
                dispatch = self._dispatch(item, now)
                if dispatch is not None:
                    due.append(dispatch)
        return due

    def record(self, callback: Callback, attempt: Attempt) -> None:
        """Take the outcome of an attempt: done, retry later, or give up."""
        callback.attempts.append(attempt)
        if attempt.ok:
            callback.state = CallbackState.DELIVERED
        elif len(callback.attempts) >= self.config.retry.attempts:
            self._give_up(callback, f"no 2xx answer after {len(callback.attempts)} attempts")
        else:
            delay = self.config.retry.delay_after(len(callback.attempts))
            self._push(self.clock.now() + delay, callback)
            self._changed(callback.message)
            return
        self._next_in_outbox(callback.message)
        self._changed(callback.message)

    def _push(self, when: float, item: Message | Callback) -> None:
        heapq.heappush(self._timers, (when, next(self._order), item))

    def _reach_next_status(self, message: Message) -> None:
        code, at = message._plan[message._next_step]
        message._next_step += 1
        message.statuses.append(StatusChange(code, at))
        if message._next_step < len(message._plan):
            self._push(message._plan[message._next_step][1], message)
        self._changed(message)

    def _dispatch(self, callback: Callback, now: float) -> Dispatch | None:
        message = callback.message
        if message.callback_url is None:
            self._give_up(callback, "no callbackurl in the send and no default callback URL set")
            self._next_in_outbox(message)
            self._changed(message)
            return None
        when = callback.status_at if self.config.timestamp == "status" else now
        custom = message.scenario.callback
        text = custom.texts.get(callback.code) or status_text(
            callback.code, custom.language or self.config.language
        )
        mccmnc = message.mccmnc if self.config.send_mccmnc else None
        if custom.mccmnc is not None:
            mccmnc = custom.mccmnc or None
        params = CallbackParams(
            reference=message.reference,
            number=message.number,
            sender=message.sender,
            code=callback.code,
            message=text,
            price=message.price if custom.price is None else custom.price,
            timestamp=datetime.fromtimestamp(when, self.zone).replace(tzinfo=None),
            mccmnc=mccmnc,
            split=message.parts,
        )
        query = encode_callback_query(
            params, custom.encoding or self.config.encoding, custom.params
        )
        return Dispatch(callback, callback_url(message.callback_url, query))

    def _give_up(self, callback: Callback, why: str) -> None:
        callback.state = CallbackState.FAILED
        callback.failure = why

    def _next_in_outbox(self, message: Message) -> None:
        message._outbox.popleft()
        if message._outbox:
            head = message._outbox[0]
            self._push(max(head.due, self.clock.now()), head)


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise Rejection(1, parameter=name)
    return value


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def explain_wait(
    reference: str | None,
    wanted: frozenset[int] | None,
    found: Sequence[Callback],
    timeout: float,
    clock: Clock,
) -> str:
    """Why a wait for callbacks failed: what was expected, what came, what failed and why."""
    virtual = " virtual" if isinstance(clock, ManualClock) else ""
    lines = [
        f"waited {timeout:g}{virtual} s for callbacks"
        f" {sorted(wanted) if wanted is not None else '(all)'}"
        f" of {'reference ' + repr(reference) if reference is not None else 'every message'}",
    ]
    if not found:
        lines.append("no such callback was ever due (did the send list these codes in 'callback'?)")
    for callback in found:
        attempts = ", ".join(
            str(a.status) if a.error is None else a.error for a in callback.attempts
        )
        why = f" ({callback.failure})" if callback.failure else ""
        lines.append(
            f"  reference={callback.message.reference!r} code={callback.code}: "
            f"{callback.state.value}{why}; attempts: {attempts or 'none yet'}"
        )
    return "\n".join(lines)


def _message_state(message: Message) -> dict[str, Any]:
    """Everything needed to rebuild ``message``, as JSON-ready data."""
    return {
        "id": message.id,
        "received_at": message.received_at,
        "number": message.number,
        "text": message.text,
        "parts": message.parts,
        "price": str(message.price),
        "sender": message.sender,
        "reference": message.reference,
        "callback_url": message.callback_url,
        "callback_codes": sorted(message.callback_codes),
        "mccmnc": message.mccmnc,
        "scenario": message.scenario.name,
        "plan": message._plan,
        "next_step": message._next_step,
        "statuses": [(s.code, s.at) for s in message.statuses],
        "callbacks": [
            {
                "code": c.code,
                "due": c.due,
                "status_at": c.status_at,
                "state": c.state.value,
                "failure": c.failure,
                "attempts": [(a.at, a.status, a.error, a.latency) for a in c.attempts],
            }
            for c in message.callbacks
        ],
    }


def _message_from_state(state: Mapping[str, Any], scenario: Scenario) -> Message:
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
        scenario=scenario,
        statuses=[StatusChange(code, at) for code, at in state["statuses"]],
        _plan=tuple((code, at) for code, at in state["plan"]),
        _next_step=state["next_step"],
    )
    message.callbacks = [
        Callback(
            message,
            c["code"],
            c["due"],
            c["status_at"],
            [Attempt(*attempt) for attempt in c["attempts"]],
            CallbackState(c["state"]),
            c["failure"],
        )
        for c in state["callbacks"]
    ]
    return message


def _rejection_state(rejected: Rejected) -> dict[str, Any]:
    return {
        "at": rejected.at,
        "params": dict(rejected.params),
        "code": rejected.code,
        "message": rejected.message,
    }


def _rejection_from_state(state: Mapping[str, Any]) -> Rejected:
    return Rejected(state["at"], state["params"], state["code"], state["message"])
