"""The HTTP face of the gateway: SeeMe's send endpoint on aiohttp.web."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from ..core.protocol import Format, Rejection, Reply, parse_params, render
from .admin import add_admin_routes
from .inspector import add_inspector_route
from .runtime import Runtime

__all__ = ["build_app"]

log = logging.getLogger("seeme_mock")


def build_app(runtime: Runtime) -> web.Application:
    """Serve whichever gateway the runtime runs (a reset replaces it)."""

    async def send_endpoint(request: web.Request) -> web.Response:
        gateway = runtime.gateway
        params = parse_params(request.rel_url.raw_query_string)
        fmt = Format.from_param(params.get("format"), gateway.config.default_format)
        delay = 0.0
        try:
            if request.method == "POST":
                params.update(parse_params(await request.read()))
            reply, fmt, delay = gateway.handle(
                params, request.remote or "", overloaded=runtime.overloaded
            )
        except Exception as exc:  # a bug of ours must not become a 500 for the SUT
            log.exception("seeme-mock failed on %s", request.rel_url)
            runtime.errors.append(exc)
            reply = Reply.error(Rejection(8))
        if log.isEnabledFor(logging.INFO):
            _log_send(params, reply)
        if delay:
            await asyncio.sleep(delay)  # real seconds: it is the SUT's timeout under test
        body, content_type = render(reply, fmt)
        return web.Response(body=body, content_type=content_type, charset="utf-8")

    app = web.Application()
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
