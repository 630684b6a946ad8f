"""The HTTP face of the gateway: SeeMe's send endpoint on aiohttp.web."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from ..core.protocol import Format, Rejection, Reply, parse_params, render
from .admin import add_admin_routes, json_errors
from .guard import AdminAccess, admin_guard
from .inspector import add_inspector_route
from .runtime import Runtime

__all__ = ["MAX_BODY", "MAX_LINE", "MAX_QUERY", "build_app"]

MAX_QUERY = 16 * 1024
"""A send's query, percent-encoded, is a few kB at most (3 parts of UCS-2): more is a 414."""
MAX_LINE = 64 * 1024
"""What the HTTP parser reads of a request line or header, so MAX_QUERY gets its 414."""
MAX_BODY = 1024 * 1024
"""A POSTed send's body; more is a 413."""

log = logging.getLogger("seeme_mock")


def build_app(runtime: Runtime, access: AdminAccess | None = None) -> web.Application:
    """Serve whichever gateway the runtime runs (a reset replaces it); the admin API and
    the page as ``access`` allows (see :mod:`.guard`)."""

    async def send_endpoint(request: web.Request) -> web.Response:
        gateway = runtime.gateway
        if len(request.rel_url.raw_query_string) > MAX_QUERY:
            raise web.HTTPRequestURITooLong(
                text=f"the query is over {MAX_QUERY} bytes; a send fits in far less (or POST it)"
            )
        params = parse_params(request.rel_url.raw_query_string)
        fmt = Format.from_param(params.get("format"), gateway.config.default_format)
        delay = 0.0
        try:
            if request.method == "POST":
                params.update(parse_params(await request.read()))
            await runtime.room_for(params.get("callbackurl") or gateway.config.callback_url)
            gateway = runtime.gateway  # a reset may have come while it waited
            reply, fmt, delay = gateway.handle(
                params, request.remote or "", overloaded=runtime.overloaded
            )
            await runtime.written()  # an accepted send survives a kill -9 once answered
        except web.HTTPException:  # 413: the body is over MAX_BODY
            raise
        except Exception as exc:  # a bug of ours must not become a 500 for the SUT
            log.exception("seeme-mock failed on %s %s", request.method, request.path)
            runtime.errors.append(exc)
            reply = Reply.error(Rejection(8))
        if log.isEnabledFor(logging.INFO):
            _log_send(params, reply)
        if delay:
            await asyncio.sleep(delay)  # real seconds: it is the SUT's timeout under test
        body, content_type = render(reply, fmt)
        runtime.sends_answered += 1
        return web.Response(body=body, content_type=content_type, charset="utf-8")

    app = web.Application(
        client_max_size=MAX_BODY,
        middlewares=[admin_guard(access or AdminAccess()), json_errors],
    )
    app.router.add_route("GET", "/gateway", send_endpoint)
    app.router.add_route("POST", "/gateway", send_endpoint)
    add_admin_routes(app, runtime)
    add_inspector_route(app, runtime)
    return app


def _log_send(params: dict[str, str], reply: Reply) -> None:
    fields = reply.fields
    if reply.ok and "split" in fields:
        log.info(
            "send number=%s reference=%s -> OK %s parts, %s",
            params.get("number"),
            params.get("reference", ""),
            fields["split"],
            fields["charset"],
        )
    else:
        log.info(
            "%s -> %s %s %s",
            params.get("method") or "send",
            fields["result"],
            fields["code"],
            fields["message"],
        )
