"""The admin API under ``/__admin/`` (WireMock's convention): see and steer the gateway
from a test in any language. Described by :data:`~seeme_mock.server.openapi.OPENAPI`."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web

from ..core.config import GATEWAY_SETTINGS, config_from
from ..core.errors import ConfigError, ScenarioError
from ..core.export import (
    inbound_record,
    iso_time,
    journal_chunks,
    message_record,
    rejection_record,
)
from ..core.gateway import Gateway
from ..core.protocol import Rejection, parse_callback_codes
from ..core.records import Message
from ..core.scenario import Scenario
from ..core.scenario_files import parse_scenarios
from ..core.settings import LONGEST_DELAY, Kind, seconds, value_at, whole
from ..core.waits import explain_inbound_wait, explain_wait
from .openapi import OPENAPI
from .pausing import pausing
from .runtime import Runtime

__all__ = ["add_admin_routes", "json_errors"]

Handler = Callable[[web.Request], Any]
T = TypeVar("T")


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, ensure_ascii=False), status=status, content_type="application/json"
    )


_STATUS = whole(1, 10)
_LIMIT = whole(1, 1_000_000)
_OFFSET = whole(0, 10**9)
_SCAN = 5000
"""Messages looked at between two turns of the loop."""
_RECORDS = 100
"""Records built between two turns of the loop."""
_ADVANCE = seconds(0.0, high=LONGEST_DELAY)
_WAIT = seconds(0.0, high=3600.0)


def _query(request: web.Request, name: str, kind: Kind[T], default: T | None) -> T | None:
    """A query parameter read and checked like a setting (finite, in range), else a 400."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind.parse(raw)
    except ValueError as exc:
        raise _BadRequest(f"{name}: {exc}") from None


def _time(request: web.Request, name: str) -> float | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        when = float(raw)
    except ValueError:
        pass
    else:
        if math.isfinite(when):
            return when
    try:
        return datetime.fromisoformat(raw).timestamp()
    except ValueError:
        raise _BadRequest(
            f"{name} must be Unix seconds or ISO 8601 like 2026-01-31T12:00:00+01:00, got {raw!r}"
        ) from None


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The admin API answers JSON, even for a path or a method it does not have."""
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as exc:
        if exc.status not in (404, 405) or not request.path.startswith("/__admin/"):
            raise
        return _json(
            {"error": f"no {request.method} {request.path}; see /__admin/openapi.json"},
            status=exc.status,
        )
    return response


def _searched(message: Message) -> str:
    """What a page's filter looks in."""
    return (
        f"{message.number} {message.reference} {message.text} {message.sender} "
        f"{message.scenario.name}"
    ).lower()


def add_admin_routes(app: web.Application, runtime: Runtime) -> None:
    def gateway() -> Gateway:
        return runtime.gateway

    def record(message: Message) -> dict[str, Any]:
        gw = gateway()
        return message_record(message, gw.zone, gw.config.language)

    def message_of(request: web.Request) -> Message:
        try:
            message = gateway().find(int(request.match_info["id"]))
        except ValueError:
            message = None
        if message is None:
            raise _BadRequest(f"no message {request.match_info['id']!r}", status=404)
        return message

    async def health(request: web.Request) -> web.Response:
        gw = gateway()
        return _json(
            {
                "status": "ok",
                "clock": "manual" if gw.clock.manual else "real",
                "now": iso_time(gw.clock.now(), gw.zone),
                "messages": len(gw.messages),
                "pending_callbacks": gw.count_pending_callbacks(),
                "dropped_messages": gw.dropped,
                "rejections": len(gw.rejections),
                "dropped_rejections": gw.dropped_rejections,
                "paced": {key: round(rate) for key, rate in runtime.paced().items()},
            }
        )

    async def messages(request: web.Request) -> web.Response:
        number, reference = request.query.get("number"), request.query.get("reference")
        needle = request.query.get("q", "").strip().lower()
        status = _query(request, "status", _STATUS, None)
        since, until = _time(request, "since"), _time(request, "until")
        limit = _query(request, "limit", _LIMIT, 100) or 100
        offset = _query(request, "offset", _OFFSET, 0) or 0
        found = [
            m
            async for m in pausing(list(gateway().messages), _SCAN)  # it changes meanwhile
            if number in (None, m.number)
            and reference in (None, m.reference)
            and status in (None, m.status)
            and (since is None or m.received_at >= since)
            and (until is None or m.received_at <= until)
            and (not needle or needle in _searched(m))
        ]
        end = len(found) - offset
        page = found[max(0, end - limit) : max(0, end)]
        records = [record(m) async for m in pausing(page, _RECORDS)]
        return _json({"messages": records, "total": len(found)})

    async def one_message(request: web.Request) -> web.Response:
        gw = gateway()
        return _json(message_record(message_of(request), gw.zone, gw.config.language, gw.url_at))

    async def resend(request: web.Request) -> web.Response:
        message = message_of(request)
        try:
            callback = message.callbacks[int(request.match_info["index"])]
        except (ValueError, IndexError):
            raise _BadRequest(
                f"message {message.id} has no callback {request.match_info['index']!r}",
                status=404,
            ) from None
        gateway().resend(callback)
        return _json(record(message))

    async def rejections(request: web.Request) -> web.Response:
        gw = gateway()
        limit = _query(request, "limit", _LIMIT, 100) or 100
        offset = _query(request, "offset", _OFFSET, 0) or 0
        end = len(gw.rejections) - offset
        page = gw.rejections[max(0, end - limit) : max(0, end)]
        return _json(
            {
                "rejections": [rejection_record(r, gw.zone) for r in page],
                "total": len(gw.rejections),
            }
        )

    async def push_status(request: web.Request) -> web.Response:
        message = message_of(request)
        code = _query(request, "code", _STATUS, None)
        if code is None:
            raise _BadRequest("give code=1..10 in the query, e.g. ?code=6")
        gateway().push_status(message, code)
        return _json(record(message))

    async def reset(request: web.Request) -> web.Response:
        raw = await request.read()
        if not raw.strip():
            await runtime.reset()
            return _json({"reset": True})
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        settings = body.get("settings") if isinstance(body, dict) else None
        if not isinstance(settings, dict) or not all(isinstance(v, str) for v in settings.values()):
            raise _BadRequest('give no body, or JSON like {"settings": {"language": "hu"}}')
        try:
            await runtime.reset(config_from(settings, base=runtime.base_config))
        except ConfigError as exc:
            raise _BadRequest(str(exc)) from None
        return _json({"reset": True})

    async def config(request: web.Request) -> web.Response:
        current = gateway().config
        return _json({s.name: s.kind.show(value_at(current, s)) for s in GATEWAY_SETTINGS})

    def scenario_list() -> dict[str, Any]:
        gw = gateway()
        return {
            "scenarios": [
                {"name": s.name, "priority": s.priority, "origin": s.origin} for s in gw.scenarios
            ],
            "magic_numbers": gw.config.magic_numbers,
        }

    async def list_scenarios(request: web.Request) -> web.Response:
        return _json(scenario_list())

    async def load_scenarios(request: web.Request) -> web.Response:
        try:
            text = (await request.read()).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _BadRequest(f"the body must be TOML in UTF-8; byte {exc.start} is not") from None
        try:
            scenarios: tuple[Scenario, ...] = parse_scenarios(text, "request body")
        except ScenarioError as exc:
            raise _BadRequest("the scenarios are invalid", problems=exc.problems) from None
        if request.method == "PUT":
            gateway().replace_scenarios(scenarios)
        else:
            gateway().add_scenarios(scenarios)
        return _json(scenario_list())

    async def advance(request: web.Request) -> web.Response:
        seconds = _query(request, "seconds", _ADVANCE, None)
        if seconds is None:
            raise _BadRequest("give seconds >= 0 in the query, e.g. ?seconds=5")
        if not gateway().clock.manual:
            raise _BadRequest(
                "the clock is real; start with `seeme-mock serve --clock manual`", status=409
            )
        attempts = await runtime.advance(seconds)
        gw = gateway()
        return _json({"attempts": attempts, "now": iso_time(gw.clock.now(), gw.zone)})

    async def wait(request: web.Request) -> web.Response:
        if "inbound" in request.query:
            return await wait_inbound(request)
        reference = request.query.get("reference")
        raw_codes = ",".join(request.query.getall("code", []))
        try:
            codes = parse_callback_codes(raw_codes) if raw_codes else None
        except Rejection:
            raise _BadRequest(f"code must be status codes 1..10, got {raw_codes!r}") from None
        timeout = _query(request, "timeout", _WAIT, 10.0) or 0.0
        delivered, found = await runtime.wait_for_callbacks(reference, codes, timeout)
        gw = gateway()
        body: dict[str, Any] = {
            "delivered": delivered,
            "messages": [record(m) for m in {c.message.id: c.message for c in found}.values()],
        }
        if not delivered:
            body["explanation"] = explain_wait(reference, codes, found, timeout, gw.clock.manual)
        return _json(body, status=200 if delivered else 408)

    async def wait_inbound(request: web.Request) -> web.Response:
        number = request.query["inbound"]
        sender = None if number in ("", "*") else number
        timeout = _query(request, "timeout", _WAIT, 10.0) or 0.0
        delivered, found = await runtime.wait_for_inbound(sender, timeout)
        gw = gateway()
        received = {f.inbound.id: f.inbound for f in found}.values()
        body: dict[str, Any] = {
            "delivered": delivered,
            "inbound": [inbound_record(i, gw.zone) for i in received],
        }
        if not delivered:
            body["explanation"] = explain_inbound_wait(sender, found, timeout, gw.clock.manual)
        return _json(body, status=200 if delivered else 408)

    async def list_inbound(request: web.Request) -> web.Response:
        gw = gateway()
        records = [inbound_record(i, gw.zone) async for i in pausing(gw.inbound, _RECORDS)]
        return _json({"inbound": records})

    async def receive(request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.read())
        except ValueError:
            raise _BadRequest(
                'give JSON like {"number": "36301234567", "message": "YES"}'
            ) from None
        fields = ("number", "message", "destination")
        if (
            not isinstance(body, dict)
            or set(body) - set(fields)
            or not all(isinstance(body.get(f), str) for f in fields[:2])
            or not isinstance(body.get("destination", ""), str)
        ):
            raise _BadRequest(
                'give JSON like {"number": "36301234567", "message": "YES"} (and optionally '
                '"destination"), all strings'
            )
        try:
            inbound = await runtime.receive_sms(
                body["number"], body["message"], body.get("destination")
            )
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None
        return _json(inbound_record(inbound, gateway().zone))

    async def export(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json; charset=utf-8"})
        await response.prepare(request)
        for chunk in journal_chunks(gateway()):
            await response.write(chunk.encode())
            await asyncio.sleep(0)  # sends go on between the pieces
        await response.write_eof()
        return response

    async def openapi(request: web.Request) -> web.Response:
        return _json(OPENAPI)

    def guarded(handler: Handler) -> Handler:
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                response: web.StreamResponse = await handler(request)
                if request.method != "GET":
                    await runtime.written()  # what the answer says happened is kept
                return response
            except _BadRequest as exc:
                return _json({"error": str(exc), **exc.extra}, status=exc.status)

        return run

    routes = [
        ("GET", "/__admin/health", health),
        ("GET", "/__admin/messages", messages),
        ("GET", "/__admin/messages/{id}", one_message),
        ("POST", "/__admin/messages/{id}/status", push_status),
        ("POST", "/__admin/messages/{id}/callbacks/{index}/resend", resend),
        ("GET", "/__admin/rejections", rejections),
        ("POST", "/__admin/reset", reset),
        ("GET", "/__admin/config", config),
        ("GET", "/__admin/inbox", list_inbound),
        ("POST", "/__admin/inbox", receive),
        ("GET", "/__admin/scenarios", list_scenarios),
        ("POST", "/__admin/scenarios", load_scenarios),
        ("PUT", "/__admin/scenarios", load_scenarios),
        ("POST", "/__admin/clock/advance", advance),
        ("GET", "/__admin/wait", wait),
        ("GET", "/__admin/journal", export),
        ("GET", "/__admin/openapi.json", openapi),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, guarded(handler))
