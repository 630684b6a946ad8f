"""The URLs the gateway puts on the wire: a delivery report's for one callback (the
message's facts, its scenario's overrides and the account's settings, encoded as SeeMe
encodes them, :mod:`.callback`), and an inbound SMS's forward (:mod:`.inbox`)."""

from __future__ import annotations

import math
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from .callback import CallbackParams, callback_url, encode_callback_query
from .config import GatewayConfig
from .inbox import forward_query
from .records import Callback, Inbound
from .status import status_text

__all__ = ["forward_url", "report_url"]


def report_url(callback: Callback, config: GatewayConfig, zone: ZoneInfo, now: float) -> str:
    message = callback.message
    assert message.callback_url is not None
    when = callback.status_at if config.timestamp == "status" else now
    custom = message.scenario.callback
    text = custom.texts.get(callback.code) or status_text(
        callback.code, custom.language or config.language
    )
    mccmnc = message.mccmnc if config.send_mccmnc else None
    if custom.mccmnc is not None:
        mccmnc = custom.mccmnc or None
    params = CallbackParams(
        reference=message.reference,
        number=message.number,
        sender=message.sender,
        code=callback.code,
        message=text,
        price=message.price if custom.price is None else custom.price,
        timestamp=_local_time(math.floor(when), zone),
        mccmnc=mccmnc,
        split=message.parts,
    )
    query = encode_callback_query(params, custom.encoding or config.encoding, custom.params)
    return callback_url(message.callback_url, query)


@lru_cache(maxsize=256)
def _local_time(second: int, zone: ZoneInfo) -> datetime:
    """The wall-clock time a report states, to the second (the callbacks of one second
    share it)."""
    return datetime.fromtimestamp(second, zone).replace(tzinfo=None)


def forward_url(inbound: Inbound, config: GatewayConfig, zone: ZoneInfo) -> str | None:
    """The forward of ``inbound`` to the account's inbox URL, or None when none is set."""
    if config.inbox_url is None:
        return None
    when = datetime.fromtimestamp(inbound.received_at, zone)
    query = forward_query(
        inbound.text, inbound.number, inbound.destination, when, config.inbox_encoding
    )
    return callback_url(config.inbox_url, query)
