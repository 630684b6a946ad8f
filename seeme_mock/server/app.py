"""The HTTP face of the gateway: SeeMe's send endpoint on aiohttp.web."""

from __future__ import annotations

from aiohttp import web

from ..core.protocol import parse_params
from .admin import add_admin_routes, json_errors
from .guard import AdminAccess, admin_guard
from .inspector import add_inspector_route
from .runtime import Runtime
from .send_endpoint import SendEndpoint

__all__ = ["MAX_BODY", "MAX_LINE", "MAX_QUERY", "build_app"]

MAX_QUERY = 16 * 1024
"""A send's query, percent-encoded, is a few kB at most (3 parts of UCS-2): more is a 414."""
MAX_LINE = 64 * 1024
"""What the HTTP parser reads of a request line or header, so MAX_QUERY gets its 414."""
MAX_BODY = 1024 * 1024
"""A POSTed send's body; more is a 413."""


def build_app(
    runtime: Runtime, endpoint: SendEndpoint, access: AdminAccess | None = None
) -> web.Application:
    """Serve whichever gateway the runtime runs (a reset replaces it): the send endpoint
    (the requests the fast path hands over, :mod:`.fast_path`), the admin API and the page
    as ``access`` allows (see :mod:`.guard`)."""

    async def send_endpoint(request: web.Request) -> web.Response:
        query = request.rel_url.raw_query_string
        if len(query) > MAX_QUERY:
            raise web.HTTPRequestURITooLong(
                text=f"the query is over {MAX_QUERY} bytes; a send fits in far less (or POST it)"
            )
        params = parse_params(query)
        if request.method == "POST":
            params.update(parse_params(await request.read()))  # over MAX_BODY: a 413
        body, content_type = await endpoint.answer(params, request.remote or "")
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
