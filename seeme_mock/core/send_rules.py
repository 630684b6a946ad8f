"""SeeMe's rules for one send and its billing, as a pure function: the parameters, the
account and the chosen scenario in, an accepted message or a :class:`Rejection` out.

The order of the checks is SeeMe's (see docs/seeme-protocol.md): the first rule a
send breaks decides its error code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache

from .allow import permits
from .config import GatewayConfig
from .operators import mccmnc_for
from .protocol import (
    SENDER_ID,
    SUCCESS_TEXT,
    Rejection,
    Reply,
    format_money,
    has_undecodable_bytes,
    is_http_url,
    key_passes_checksum,
    parse_callback_codes,
)
from .records import Message
from .scenario import Scenario
from .sms import Charset, split_sms

__all__ = [
    "Chooser",
    "accept_send",
    "accepted_reply",
    "authenticate",
    "balance_reply",
    "required",
]

Chooser = Callable[[str, str, str, str], Scenario]
"""Picks the scenario for (number, sender, text, reference)."""

_NUMBER_LENGTH = range(8, 16)


def accepted_reply(message: Message) -> Reply:
    """SeeMe's OK answer to a send, with its price, charset and parts."""
    return Reply(
        {
            "result": "OK",
            "price": int(message.price)
            if message.price == int(message.price)
            else float(message.price),
            "code": 0,
            "message": SUCCESS_TEXT,
            "charset": (message.scenario.send.charset or message.sms.charset).value,
            "split": message.parts,
            "length": message.sms.length,
        }
    )


def required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise Rejection(1, parameter=name)
    return value


def authenticate(key: str, config: GatewayConfig) -> None:
    """The account's own keys when it lists any, else the official client's checksum."""
    if config.keys:
        if key not in config.keys:
            raise Rejection(4)
    elif not key_passes_checksum(key):
        raise Rejection(18)


def balance_reply(balance: Decimal, spent: Decimal, currency: str) -> Reply:
    shown = format_money(balance, 3)
    return Reply(
        {
            "result": "OK",
            "code": "0",
            "message": shown,
            "balance": shown,
            "currency": currency,
            "balance-currency": f"{shown} {currency}",
            "custom-services": "0.000",
            "monthlySpentBalance": format_money(spent, 3),
        }
    )


@lru_cache(maxsize=64)  # one Decimal per price, shared by the messages that cost it
def _price(unit: Decimal, parts: int) -> Decimal:
    return unit * parts


def accept_send(
    params: Mapping[str, str],
    config: GatewayConfig,
    *,
    balance: Decimal,
    client_ip: str,
    choose: Chooser,
    now: float,
) -> Message:
    """Check one ``method=sms`` call (key and IP already checked) and price it: the
    message as it is received, before the gateway numbers, bills and plans it."""
    number = required(params, "number")
    if not number.isascii() or not number.isdigit():
        raise Rejection(2, parameter="number")
    if number.startswith("0") or len(number) not in _NUMBER_LENGTH:
        raise Rejection(3)
    text = required(params, "message")
    if has_undecodable_bytes(text):
        raise Rejection(12)
    sms = split_sms(text)
    limit = config.max_parts * sms.charset.multi_part
    if sms.count > config.max_parts:
        raise Rejection(6 if sms.charset is Charset.GSM7 else 16, limit=limit)
    sender = params.get("sender", "")
    if sender and (
        not SENDER_ID.fullmatch(sender)
        or (config.allowed_senders is not None and sender not in config.allowed_senders)
    ):
        raise Rejection(9, sender=sender)
    codes = config.callback_codes
    if "callback" in params:
        codes = parse_callback_codes(params["callback"])
    url = params.get("callbackurl") or config.callback_url
    if url and (not is_http_url(url) or not permits(url, config.callback_allow)):
        raise Rejection(17)
    reference = params.get("reference", "")
    scenario = choose(number, sender, text, reference)
    answer = scenario.send
    if answer.error is not None:
        raise Rejection(
            answer.error,
            delay=answer.delay,
            parameter="number",
            balance=format_money(balance, 3),
            spendable=format_money(balance, 3),
            sender=sender,
            ip=client_ip,
            callback=params.get("callback", ""),
            limit=limit,
        )
    parts = answer.parts or sms.count
    price = answer.price if answer.price is not None else _price(config.unit_price, parts)
    if price > balance:
        raise Rejection(7, delay=answer.delay, balance=format_money(balance, 3))
    return Message(
        id=0,
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
