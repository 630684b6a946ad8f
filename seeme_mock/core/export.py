"""Messages and callbacks as plain JSON-ready data: for the admin API, the journal
export and the inspector page. Times are ISO 8601 in the gateway's time zone."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .gateway import Gateway
from .records import Attempt, Callback, Inbound, Message, Rejected
from .status import status_text

__all__ = ["inbound_record", "iso_time", "journal_chunks", "message_record", "rejection_record"]


def iso_time(at: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(at, zone).isoformat(timespec="milliseconds")


UrlOf = Callable[[Callback, float], "str | None"]
"""The URL an attempt at a time put on the wire (the detail view shows it)."""


def _attempt(attempt: Attempt, zone: ZoneInfo, url: str | None = None) -> dict[str, Any]:
    shown = {"url": url} if url is not None else {}
    return {
        **shown,
        "at": iso_time(attempt.at, zone),
        "ok": attempt.ok,
        "http_status": attempt.status,
        "error": attempt.error,
        "latency_ms": round(attempt.latency * 1000, 3),
    }


def _callback(callback: Callback, zone: ZoneInfo, url_of: UrlOf | None) -> dict[str, Any]:
    return {
        "code": callback.code,
        "state": callback.state.value,
        "due": iso_time(callback.due, zone),
        "status_at": iso_time(callback.status_at, zone),
        "failure": callback.failure,
        "attempts": [
            _attempt(a, zone, None if url_of is None else url_of(callback, a.at))
            for a in callback.attempts
        ],
    }


def message_record(
    message: Message, zone: ZoneInfo, language: str = "en", url_of: UrlOf | None = None
) -> dict[str, Any]:
    """One message with its whole timeline: statuses, callbacks and every attempt (with
    ``url_of``, each attempt's exact URL)."""
    return {
        "id": message.id,
        "received_at": iso_time(message.received_at, zone),
        "number": message.number,
        "sender": message.sender,
        "reference": message.reference,
        "text": message.text,
        "charset": message.sms.charset.value,
        "parts": message.parts,
        "price": float(message.price),
        "mccmnc": message.mccmnc,
        "scenario": message.scenario.name,
        "scenario_origin": message.scenario.origin,
        "callback_url": message.callback_url,
        "callback_codes": sorted(message.callback_codes),
        "status": message.status,
        "status_text": None if message.status is None else status_text(message.status, language),
        "statuses": [
            {"code": s.code, "at": iso_time(s.at, zone), "text": status_text(s.code, language)}
            for s in message.statuses
        ],
        "callbacks": [_callback(c, zone, url_of) for c in message.callbacks],
    }


def inbound_record(inbound: Inbound, zone: ZoneInfo) -> dict[str, Any]:
    """One inbound SMS and how its forward went."""
    return {
        "id": inbound.id,
        "received_at": iso_time(inbound.received_at, zone),
        "number": inbound.number,
        "destination": inbound.destination,
        "message": inbound.text,
        "answers": inbound.answers,
        "forwarded": inbound.unrouted is None,
        "why_not": inbound.unrouted,
        "forwards": [
            {
                "state": f.state.value,
                "due": iso_time(f.due, zone),
                "failure": f.failure,
                "attempts": [_attempt(a, zone) for a in f.attempts],
            }
            for f in inbound.forwards
        ],
    }


def rejection_record(rejected: Rejected, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "at": iso_time(rejected.at, zone),
        "code": rejected.code,
        "message": rejected.message,
        "params": dict(rejected.params),
    }


def journal_chunks(gateway: Gateway, batch: int = 500) -> Iterator[str]:
    """Everything the gateway saw, for CI artifacts: one JSON document in pieces of
    ``batch`` records, so a server can send it without stalling at 100k messages. The lists
    are taken as they stand when it starts."""
    zone, language = gateway.zone, gateway.config.language
    messages, rejections = list(gateway.messages), list(gateway.rejections)
    inbound = list(gateway.inbound)
    yield f'{{"generated_at":{json.dumps(iso_time(gateway.clock.now(), zone))},"messages":['
    for start in range(0, len(messages), batch):
        records = (message_record(m, zone, language) for m in messages[start : start + batch])
        yield ("," if start else "") + ",".join(_dump(r) for r in records)
    yield '],"inbound":['
    for start in range(0, len(inbound), batch):
        received = (inbound_record(i, zone) for i in inbound[start : start + batch])
        yield ("," if start else "") + ",".join(_dump(r) for r in received)
    yield '],"rejections":['
    for start in range(0, len(rejections), batch):
        records = (rejection_record(r, zone) for r in rejections[start : start + batch])
        yield ("," if start else "") + ",".join(_dump(r) for r in records)
    yield "]}"


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
