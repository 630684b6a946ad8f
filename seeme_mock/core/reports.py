"""The URLs the gateway puts on the wire: a delivery report's for one callback (the
message's facts, its scenario's overrides and the account's settings, encoded as SeeMe
encodes them, :mod:`.callback`), and an inbound SMS's forward (:mod:`.inbox`)."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from .callback import (
    CallbackParams,
    QueryFrame,
    callback_url,
    encode_callback_query,
    query_prefix,
    stamp,
)
from .config import GatewayConfig
from .inbox import forward_query
from .records import Callback, Inbound, Message
from .status import status_text

__all__ = ["forward_url", "report_url"]


def report_url(callback: Callback, config: GatewayConfig, zone: ZoneInfo, now: float) -> str:
    message = callback.message
    assert message.callback_url is not None
    custom = message.scenario.callback
    code = callback.code
    text = custom.texts.get(code) or status_text(code, custom.language or config.language)
    second = math.floor(callback.status_at if config.timestamp == "status" else now)
    frame = message.report_frame
    if frame is None:
        encoding = custom.encoding or config.encoding
        price, mccmnc = _price_and_mccmnc(message, config)
        if custom.params is not None:  # no frame: the shape is the scenario's
            params = CallbackParams(
                message.reference, message.number, message.sender, code, text, price,
                _local_time(second, zone), mccmnc, message.parts,
            )  # fmt: skip
            query = encode_callback_query(params, encoding, custom.params)
            return callback_url(message.callback_url, query)
        frame = message.report_frame = QueryFrame.of(
            encoding, query_prefix(message.callback_url), message.reference, message.number,
            message.sender, price, mccmnc, message.parts,
        )  # fmt: skip
    return frame.fill(code, text, _stamp_at(second, zone))


def _price_and_mccmnc(message: Message, config: GatewayConfig) -> tuple[Decimal, int | None]:
    """What a report of ``message`` states for these: its own, its scenario's overrides,
    the account's settings."""
    custom = message.scenario.callback
    mccmnc = message.mccmnc if config.send_mccmnc else None
    if custom.mccmnc is not None:
        mccmnc = custom.mccmnc or None
    return message.price if custom.price is None else custom.price, mccmnc


@lru_cache(maxsize=256)
def _local_time(second: int, zone: ZoneInfo) -> datetime:
    """The wall-clock time a report states, to the second (the callbacks of one second
    share it)."""
    return datetime.fromtimestamp(second, zone).replace(tzinfo=None)


@lru_cache(maxsize=256)
def _stamp_at(second: int, zone: ZoneInfo) -> str:
    """:func:`_local_time`, form-encoded."""
    return stamp(_local_time(second, zone))


def forward_url(inbound: Inbound, config: GatewayConfig, zone: ZoneInfo) -> str | None:
    """The forward of ``inbound`` to the account's inbox URL, or None when none is set."""
    if config.inbox_url is None:
        return None
    when = datetime.fromtimestamp(inbound.received_at, zone)
    query = forward_query(
        inbound.text, inbound.number, inbound.destination, when, config.inbox_encoding
    )
    return callback_url(config.inbox_url, query)
