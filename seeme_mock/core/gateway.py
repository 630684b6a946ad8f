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
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .callback import CallbackParams, callback_url, encode_callback_query
from .clock import Clock
from .config import GatewayConfig
from .operators import mccmnc_for
from .protocol import (
    SUCCESS_TEXT,
    Format,
    Rejection,
    Reply,
    format_money,
    has_undecodable_bytes,
    key_passes_checksum,
    parse_callback_codes,
)
from .sms import Charset, SmsParts, split_sms
from .status import status_text

__all__ = [
    "Attempt",
    "Callback",
    "CallbackState",
    "Dispatch",
    "Gateway",
    "Message",
    "Rejected",
    "StatusChange",
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
    """When the status happened, and so when the first attempt is due."""
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
    price: Decimal
    sender: str
    reference: str
    callback_url: str | None
    callback_codes: frozenset[int]
    mccmnc: int | None
    statuses: list[StatusChange] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
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


class Dispatch(NamedTuple):
    """A callback to send now, to this exact URL."""

    callback: Callback
    url: str


_SENDER = re.compile(r"[A-Za-z0-9]{1,11}|[0-9]{1,15}")
_NUMBER_LENGTH = range(8, 16)


class Gateway:
    def __init__(self, config: GatewayConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._zone = ZoneInfo(config.timezone)
        self._ids = itertools.count(1)
        self._order = itertools.count()
        self._timers: list[tuple[float, int, Message | Callback]] = []
        self.reset()

    def reset(self) -> None:
        """Forget every message and callback; the balance starts over."""
        self.messages: list[Message] = []
        self.rejections: list[Rejected] = []
        self.balance = self.config.balance
        self.spent = Decimal(0)
        self.allowed_ips = set(self.config.allowed_ips)
        self._timers.clear()

    # -- requests ---------------------------------------------------------------

    def handle(
        self, params: Mapping[str, str], client_ip: str = "", *, overloaded: bool = False
    ) -> tuple[Reply, Format]:
        """Answer one call to the send endpoint. ``overloaded`` means the transport is behind."""
        fmt = Format.from_param(params.get("format"), self.config.default_format)
        try:
            reply = self._route(params, client_ip, overloaded)
        except Rejection as rejection:
            self.rejections.append(
                Rejected(self.clock.now(), dict(params), rejection.code, rejection.message)
            )
            reply = Reply.error(rejection)
        return reply, fmt

    def _route(self, params: Mapping[str, str], client_ip: str, overloaded: bool) -> Reply:
        self._authenticate(_required(params, "key"))
        method = params.get("method") or "sms"
        if method == "balance":
            return self._balance_reply()
        if method == "setip":
            return self._set_ip(_required(params, "ip"))
        if method != "sms":
            raise Rejection(1, parameter="method")
        if self.allowed_ips and client_ip not in self.allowed_ips:
            raise Rejection(13, ip=client_ip)
        if overloaded:
            raise Rejection(8)
        return self._send(params)

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

    def _send(self, params: Mapping[str, str]) -> Reply:
        number = _required(params, "number")
        if not number.isascii() or not number.isdigit():
            raise Rejection(2, parameter="number")
        if number.startswith("0") or len(number) not in _NUMBER_LENGTH:
            raise Rejection(3)
        text = _required(params, "message")
        if has_undecodable_bytes(text):
            raise Rejection(12)
        sms = split_sms(text)
        if sms.count > self.config.max_parts:
            limit = self.config.max_parts * sms.charset.multi_part
            raise Rejection(6 if sms.charset is Charset.GSM7 else 16, limit=limit)
        sender = params.get("sender", "")
        if sender and (
            not _SENDER.fullmatch(sender)
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
        price = self.config.unit_price * sms.count
        if price > self.balance:
            raise Rejection(7, balance=format_money(self.balance, 3))
        self.balance -= price
        self.spent += price
        message = Message(
            id=next(self._ids),
            received_at=self.clock.now(),
            number=number,
            text=text,
            sms=sms,
            price=price,
            sender=sender,
            reference=params.get("reference", ""),
            callback_url=url,
            callback_codes=codes,
            mccmnc=mccmnc_for(number),
        )
        self.messages.append(message)
        self._schedule_step(message)
        return Reply(
            {
                "result": "OK",
                "price": float(price),
                "code": 0,
                "message": SUCCESS_TEXT,
                "charset": sms.charset.value,
                "split": sms.count,
                "length": sms.length,
            }
        )

    # -- time -------------------------------------------------------------------

    def next_due(self) -> float | None:
        """When something next needs doing, or None when all is quiet."""
        return self._timers[0][0] if self._timers else None

    def count_pending_callbacks(self, messages: Iterable[Message] | None = None) -> int:
        """Callbacks not yet delivered or given up, counting statuses still to come."""
        steps = self.config.progression
        return sum(
            len(m._outbox) + sum(step.code in m.callback_codes for step in steps[m._next_step :])
            for m in (self.messages if messages is None else messages)
        )

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
            return
        self._next_in_outbox(callback.message)

    def _push(self, when: float, item: Message | Callback) -> None:
        heapq.heappush(self._timers, (when, next(self._order), item))

    def _schedule_step(self, message: Message) -> None:
        if message._next_step < len(self.config.progression):
            step = self.config.progression[message._next_step]
            self._push(message.received_at + step.delay, message)

    def _reach_next_status(self, message: Message) -> None:
        step = self.config.progression[message._next_step]
        message._next_step += 1
        at = message.received_at + step.delay
        message.statuses.append(StatusChange(step.code, at))
        if step.code in message.callback_codes:
            callback = Callback(message, step.code, at)
            message.callbacks.append(callback)
            message._outbox.append(callback)
            if len(message._outbox) == 1:
                self._push(at, callback)
        self._schedule_step(message)

    def _dispatch(self, callback: Callback, now: float) -> Dispatch | None:
        message = callback.message
        if message.callback_url is None:
            self._give_up(callback, "no callbackurl in the send and no default callback URL set")
            self._next_in_outbox(message)
            return None
        when = callback.due if self.config.timestamp == "status" else now
        params = CallbackParams(
            reference=message.reference,
            number=message.number,
            sender=message.sender,
            code=callback.code,
            message=status_text(callback.code, self.config.language),
            price=message.price,
            timestamp=datetime.fromtimestamp(when, self._zone).replace(tzinfo=None),
            mccmnc=message.mccmnc if self.config.send_mccmnc else None,
            split=message.sms.count,
        )
        query = encode_callback_query(params, self.config.encoding)
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
