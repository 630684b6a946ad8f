"""The gateway: SeeMe's account, sends in, status progressions, callbacks out.

No sockets and no threads here. A transport feeds requests to :meth:`Gateway.handle`,
asks :meth:`Gateway.next_due` when to wake up (and hears from the listener it gave to
:meth:`Gateway.listen` when that moves sooner), takes the callbacks that are due from
:meth:`Gateway.collect_due`, sends them however it likes, and reports each attempt back
through :meth:`Gateway.record`. Time comes from the injected clock.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from .allow import check_ip_range, ip_allowed
from .clock import Clock, ManualClock
from .config import GatewayConfig
from .errors import ClockError, UsageError
from .inbox import check_number, first_inbox_number, reply_route, unroutable
from .journal_state import (
    Journal,
    MemoryOnly,
    inbound_from_state,
    message_from_state,
    rejection_from_state,
)
from .magic import MAGIC_NUMBERS, MAGIC_TAIL, magic_by_tail
from .protocol import Format, Rejection, Reply, as_received
from .records import Attempt, Callback, Delivery, Forward, Inbound, Message, Rejected
from .reports import forward_url, report_url
from .scenario import Branch, Scenario
from .scheduler import Scheduler
from .send_rules import accept_send, accepted_reply, authenticate, balance_reply, required

__all__ = ["Answer", "Dispatch", "Gateway"]


class Answer(NamedTuple):
    """The reply, its format, and how long to wait before giving it."""

    reply: Reply
    format: Format
    delay: float = 0.0


class Dispatch(NamedTuple):
    """A callback or an inbound forward to send now, to this exact URL, with these extra
    headers (``callback_headers``)."""

    delivery: Delivery
    url: str
    headers: tuple[tuple[str, str], ...] = ()


class Gateway:
    def __init__(self, config: GatewayConfig, clock: Clock, journal: Journal | None = None) -> None:
        self.clock = clock
        self.journal: Journal = journal or MemoryOnly()
        self.messages: list[Message] = []
        self.dropped = 0
        """Finished messages forgotten to keep memory bounded (``max_messages``)."""
        self.inbound: list[Inbound] = []
        """Every SMS received on the account's inbox numbers (replies), oldest first."""
        self.rejections: list[Rejected] = []
        self.dropped_rejections = 0
        """Refused sends forgotten to keep memory bounded (``max_rejections``)."""
        self._ids = itertools.count(1)
        self._inbound_ids = itertools.count(1)
        self._matched: dict[str, int] = {}
        self._next_forget = 0
        self._mine: tuple[Scenario, ...] = ()
        self._before_magic: tuple[Scenario, ...] = ()
        self._after_magic: tuple[Scenario, ...] = ()
        self._scheduler = Scheduler(config.retry, config.inbox_attempts, self._changed)
        self._configure(config)
        self.balance = config.balance
        self.spent = Decimal(0)
        self.allowed_ips = set(config.allowed_ips)
        self.add_scenarios(config.scenarios)

    def _configure(self, config: GatewayConfig) -> None:
        self.config = config
        self.zone = ZoneInfo(config.timezone)
        self._scheduler.retry = config.retry
        self._scheduler.inbox_attempts = config.inbox_attempts
        self._headers = tuple(
            (name.strip(), value.strip())
            for name, _, value in (h.partition(":") for h in config.callback_headers)
        )
        self._default = Scenario("default", (Branch(1.0, config.progression),))
        self._magic = magic_by_tail(self._completed(MAGIC_NUMBERS if config.magic_numbers else ()))

    def reconfigure(self, **changes: Any) -> None:
        """Change settings of a running gateway (validated like any GatewayConfig); what
        was sent keeps the plan it got."""
        self._configure(replace(self.config, **changes))

    def listen(self, on_sooner: Callable[[], None] | None) -> None:
        """``on_sooner()`` is called whenever something new becomes the earliest thing due:
        how a transport on the real clock knows to re-arm its timer, whatever the change."""
        self._scheduler.on_sooner = on_sooner

    def detach(self) -> None:
        """Cut this gateway off: nothing it does from now on reaches the journal or the
        listener (it was replaced by a fresh one)."""
        self.journal = MemoryOnly()
        self.listen(None)

    # -- requests ---------------------------------------------------------------

    def handle(
        self, params: Mapping[str, str], client_ip: str = "", *, overloaded: bool = False
    ) -> Answer:
        """Answer one call to the send endpoint. ``overloaded`` means the transport is behind."""
        fmt = Format.from_param(params.get("format"), self.config.default_format)
        try:
            reply, delay = self._route(params, client_ip, overloaded)
        except Rejection as rejection:
            rejected = Rejected(
                self.clock.now(), as_received(params), rejection.code, rejection.message
            )
            self._keep_rejection(rejected)
            return Answer(Reply.error(rejection), fmt, rejection.delay)
        return Answer(reply, fmt, delay)

    def _route(
        self, params: Mapping[str, str], client_ip: str, overloaded: bool
    ) -> tuple[Reply, float]:
        authenticate(required(params, "key"), self.config)
        method = params.get("method") or "sms"
        if method == "balance":
            return balance_reply(self.balance, self.spent, self.config.currency), 0.0
        if method == "setip":
            return self._set_ip(required(params, "ip")), 0.0
        if method != "sms":
            raise Rejection(1, parameter="method")
        if self.allowed_ips and not ip_allowed(client_ip, self.allowed_ips):
            raise Rejection(13, ip=client_ip)
        if overloaded:
            raise Rejection(8)
        message = accept_send(
            params,
            self.config,
            balance=self.balance,
            client_ip=client_ip,
            choose=self._choose,
            now=self.clock.now(),
        )
        self._bill(message)
        return accepted_reply(message), message.scenario.send.delay

    def _set_ip(self, ip: str) -> Reply:
        """An address, a CIDR range or FIRST-LAST, as SeeMe's panel takes them."""
        try:
            check_ip_range(ip)
        except ValueError:
            raise Rejection(13, ip=ip) from None
        if ip in self.allowed_ips:
            raise Rejection(14, ip=ip)
        self.allowed_ips.add(ip)
        return Reply({"result": "OK", "code": 0, "message": f"Your {ip} IP address is allowed"})

    def _bill(self, message: Message) -> None:
        """Number, charge and plan an accepted message, and start keeping it."""
        message.id = next(self._ids)
        self.balance -= message.price
        self.spent += message.price
        plan = message.scenario.plan(
            self._random(message.scenario), message.received_at, message.callback_codes
        )
        message.plan = plan.statuses
        message.reply = plan.reply
        message.callbacks = [
            Callback(message, planned.code, planned.due, planned.status_at)
            for planned in plan.callbacks
        ]
        self._track(message)
        self.journal.message_changed(message)

    # -- scenarios --------------------------------------------------------------

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        """Your scenarios in the order they are tried (the magic numbers come after those
        of priority 0 and up, before those below 0)."""
        return self._mine

    def replace_scenarios(self, scenarios: Iterable[Scenario]) -> None:
        self._mine = ()
        self.add_scenarios(scenarios)

    def add_scenarios(self, scenarios: Iterable[Scenario]) -> None:
        """Try ``scenarios`` before those of equal priority already in use; nothing that
        was sent changes."""
        mine = (*self._completed(scenarios), *self._mine)
        self._mine = tuple(sorted(mine, key=lambda s: -s.priority))
        self._before_magic = tuple(s for s in self._mine if s.priority >= 0)
        self._after_magic = self._mine[len(self._before_magic) :]

    def _completed(self, scenarios: Iterable[Scenario]) -> tuple[Scenario, ...]:
        """A scenario that says nothing of its progression gets the default one."""
        default = self._default.branches
        return tuple(s if s.branches else replace(s, branches=default) for s in scenarios)

    def _choose(self, number: str, sender: str, text: str, reference: str) -> Scenario:
        """Yours by priority, the magic numbers after those of priority 0 and up."""
        for scenario in self._before_magic:
            if scenario.match.matches(number, sender, text, reference):
                return scenario
        magic = self._magic.get(number[-MAGIC_TAIL:])
        if magic is not None:
            return magic
        for scenario in self._after_magic:
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

    # -- keeping messages -------------------------------------------------------

    def _track(self, message: Message) -> None:
        """Keep ``message`` and schedule what it still has to do."""
        self.messages.append(message)
        self._scheduler.track(message)
        if len(self.messages) > max(self.config.max_messages, self._next_forget):
            self._forget_finished()

    def _forget_finished(self) -> None:
        """Drop the oldest finished messages, a thousandth of the cap at a time (freeing
        them is work too: 10,000 at once stalled the loop for 30 ms); one that is not
        finished stays, wherever it stands, and the rest are dropped around it. Only as
        far back as needed is looked at, and the list is cut in place (a copy of 100k
        entries took 1.6 ms): whoever walks it slowly walks a copy."""
        cap = self.config.max_messages
        excess = len(self.messages) - (cap - max(1, cap // 1000))
        dropped: list[Message] = []
        kept: list[Message] = []
        messages, looked = self.messages, 0
        while looked < len(messages) and len(dropped) < excess:  # the oldest, no further
            message = messages[looked]
            (dropped if message.finished else kept).append(message)
            looked += 1
        if dropped:
            messages[:looked] = kept
            self.dropped += len(dropped)
            self.journal.messages_dropped([message.id for message in dropped])
            for message in dropped:
                _cut(message)
        # Too few finished to get under the cap: look again a tenth of the cap later, not
        # on every send (such a look reads every message).
        self._next_forget = len(self.messages) + cap // 10 if len(dropped) < excess else 0

    def _keep_rejection(self, rejected: Rejected) -> None:
        self.rejections.append(rejected)
        self.journal.rejection_added(rejected)
        if len(self.rejections) > self.config.max_rejections:
            count = len(self.rejections) - self.config.max_rejections * 9 // 10
            del self.rejections[:count]
            self.dropped_rejections += count
            self.journal.rejections_dropped(count)

    def _changed(
        self, owner: Message | Inbound, delivery: Delivery | None, attempt: Attempt | None
    ) -> None:
        """The scheduler's word passed on: a callback alone is cheap to journal (a row),
        a whole message or inbound SMS is written whole."""
        if isinstance(delivery, Callback):
            self.journal.callback_changed(delivery, attempt)
        elif isinstance(owner, Message):
            self.journal.message_changed(owner)
        else:
            self.journal.inbound_changed(owner)

    # -- the inbox --------------------------------------------------------------

    def receive(
        self, number: str, text: str, destination: str | None = None, answers: int | None = None
    ) -> Inbound:
        """An SMS from ``number`` to the account's inbox (``destination``: the first inbox
        number unless given): kept, and forwarded to the inbox URL if it reaches the account.
        ValueError for a number that cannot send an SMS."""
        check_number(number)
        config = self.config
        destination = destination or first_inbox_number(config.inbox_numbers, config.inbox_prefixes)
        inbound = Inbound(
            id=next(self._inbound_ids),
            received_at=self.clock.now(),
            number=number,
            destination=destination,
            text=text,
            answers=answers,
            unrouted=unroutable(text, destination, config.inbox_numbers, config.inbox_prefixes),
        )
        self.inbound.append(inbound)
        if len(self.inbound) > config.max_messages:
            count = len(self.inbound) - config.max_messages * 9 // 10
            for dropped in self.inbound[:count]:
                _cut(dropped)
            del self.inbound[:count]
        if inbound.unrouted is None:
            self._scheduler.forward(inbound, inbound.received_at)
        self.journal.inbound_changed(inbound)
        return inbound

    def _answer(self, message: Message) -> None:
        """The recipient of ``message`` replies (see :func:`.inbox.reply_route`)."""
        assert message.reply is not None
        config = self.config
        route = reply_route(
            message.sender, message.reply[1], config.inbox_numbers, config.inbox_prefixes
        )
        if route is not None:
            self.receive(message.number, route[1], route[0], answers=message.id)

    def restore(
        self,
        messages: Iterable[Mapping[str, Any]],
        rejections: Iterable[Mapping[str, Any]],
        inbound: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Take back what a journal kept: pending statuses and callbacks resume at their
        due times (a callback that was on the wire when the process died is sent again)."""
        scenarios = {s.name: s for s in (*self._mine, *self._magic.values(), self._default)}
        for state in messages:
            message = message_from_state(state, lambda name: scenarios.get(name, self._default))
            self.balance -= message.price
            self.spent += message.price
            self._track(message)
        self.rejections.extend(rejection_from_state(r) for r in rejections)
        self._ids = itertools.count(max((m.id for m in self.messages), default=0) + 1)
        for state in inbound:
            received = inbound_from_state(state)
            self.inbound.append(received)
            self._scheduler.track(received)
        self._inbound_ids = itertools.count(max((i.id for i in self.inbound), default=0) + 1)

    def find(self, message_id: int) -> Message | None:
        for message in self.messages:
            if message.id == message_id:
                return message
        return None

    def callbacks_for(self, reference: str | None, codes: frozenset[int] | None) -> list[Callback]:
        """The callbacks with ``codes`` (None: all) of messages with ``reference`` (None: all)."""
        return [
            c
            for m in self.messages
            if reference in (None, m.reference)
            for c in m.callbacks
            if codes is None or c.code in codes
        ]

    def forwards_for(self, number: str | None) -> list[Forward]:
        """The forwards of inbound SMS from ``number`` (None: from anyone)."""
        return [f for i in self.inbound if number in (None, i.number) for f in i.forwards]

    def count_pending_callbacks(self) -> int:
        """Callbacks not yet delivered or given up, counting statuses still to come."""
        return sum(len(m.outbox) for m in self.messages)

    # -- time -------------------------------------------------------------------

    def next_due(self) -> float | None:
        """When something next needs doing, or None when all is quiet."""
        return self._scheduler.next_due()

    def push_status(self, message: Message, code: int) -> None:
        """A status by hand, now, reported like any other if the send asked for its code."""
        if code not in range(1, 11):
            raise UsageError(f"status code {code} is outside SeeMe's table (1..10)")
        self._scheduler.add_status(message, code, self.clock.now())

    def resend(self, callback: Callback) -> Callback:
        """The callback once more, as a new one queued now behind the message's others
        (a tester's retry of a failed one)."""
        return self._scheduler.resend(callback, self.clock.now())

    def url_at(self, callback: Callback, at: float) -> str | None:
        """The URL an attempt at ``at`` put (or puts) on the wire, byte for byte."""
        return self._url(callback, at)

    def move_clock_to(self, when: float) -> None:
        """The manual clock's only mover: the journal keeps the virtual time."""
        clock = self.clock
        if not isinstance(clock, ManualClock):
            raise ClockError(
                "only the manual clock can be moved; this gateway runs on real time "
                "(start it with the manual clock: serve --clock manual, or clock='manual')"
            )
        clock.move_to(when)
        self.journal.clock_moved(clock.now())

    def collect_due(self) -> list[Dispatch]:
        """Advance every progression to the clock's now; return what to send."""
        now = self.clock.now()
        due = self._scheduler.pop_due(now)
        for message in due.replies:
            self._answer(message)
        if due.replies:  # their forwards fell due now: one more look takes them all
            due.deliveries += self._scheduler.pop_due(now).deliveries
        dispatches: list[Dispatch] = []
        for delivery in due.deliveries:
            url = self._url(delivery, now)
            if url is None:
                why = (
                    "no callbackurl in the send and no default callback URL set"
                    if isinstance(delivery, Callback)
                    else "no inbox URL set (inbox_url)"
                )
                self._scheduler.give_up(delivery, why, now)
            else:
                dispatches.append(Dispatch(delivery, url, self._headers))
        return dispatches

    def record(self, delivery: Delivery, attempt: Attempt) -> None:
        """Take the outcome of an attempt: done, retry later, or give up."""
        self._scheduler.record(delivery, attempt, self.clock.now())
        if isinstance(delivery, Callback) and not delivery.message.outbox:
            delivery.message.report_frame = None  # its reports are done: the memory is not

    def _url(self, delivery: Delivery, now: float) -> str | None:
        """Where an attempt at ``now`` goes, byte for byte; None when nowhere is set."""
        if isinstance(delivery, Forward):
            return forward_url(delivery.inbound, self.config, self.zone)
        if delivery.message.callback_url is None:
            return None
        return report_url(delivery, self.config, self.zone, now)


def _cut(owner: Message | Inbound) -> None:
    """Let a dropped record's callbacks (forwards) go: they point back at it, and that
    cycle would wait for a full pass of Python's collector, which the server runs only
    when idle (:mod:`seeme_mock.server.collector`). Whoever still holds the dropped
    record sees its other fields, and no callbacks."""
    if isinstance(owner, Message):
        owner.callbacks = []
    else:
        owner.forwards = []
