"""Who may use the admin API and the page: everything but ``/gateway`` (SeeMe
authenticates sends by key, so the send endpoint stays open as SeeMe's is).

- A token, when set: ``Authorization: Bearer TOKEN``, or a cookie the page gets once from
  ``/?token=TOKEN``; else 401. ``/__admin/health`` needs none (it tells counts only), so a
  container's health check works without the token.
- Bound to loopback: the Host must be a loopback name or address (or one allowed by
  name), else 403; a web page cannot reach the admin API through DNS rebinding.
- A request that changes state and carries an Origin must come from this server's own
  origin, else 403: another web page cannot reset the mock or load scenarios.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

__all__ = ["HEALTH", "TOKEN_COOKIE", "AdminAccess", "admin_guard", "is_loopback"]

TOKEN_COOKIE = "seeme_mock_token"
HEALTH = "/__admin/health"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    """localhost, *.localhost, 127.0.0.0/8 or ::1 (a name is taken as written)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class AdminAccess:
    token: str | None = None
    """Needed by every admin request and the page; None: no token."""
    loopback: bool = True
    """The server is bound to loopback: only loopback Host names are served."""
    allowed_hosts: frozenset[str] = frozenset()
    """Other Host names to serve (without the port), e.g. seeme for a compose service."""

    def host_allowed(self, host: str) -> bool:
        name = urlsplit(f"//{host}").hostname or ""
        return not self.loopback or is_loopback(name) or name in self.allowed_hosts


def _deny(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def admin_guard(access: AdminAccess) -> Middleware:
    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)
        if not access.host_allowed(request.host):
            return _deny(
                403,
                f"Host {request.host!r} is not served: use 127.0.0.1 or localhost, or start "
                "serve with --allowed-host NAME",
            )
        origin = request.headers.get("Origin")
        foreign = origin is not None and urlsplit(origin).netloc.lower() != request.host.lower()
        if foreign and request.method not in _SAFE_METHODS:
            return _deny(403, f"a request from {origin!r} may not change this server")
        if access.token is None or request.path == HEALTH:
            return await handler(request)
        given = request.query.get("token") if request.path == "/" else None
        presented = given or _bearer(request) or request.cookies.get(TOKEN_COOKIE, "")
        if not hmac.compare_digest(presented.encode(), access.token.encode()):
            return _deny(
                401,
                "give the admin token: Authorization: Bearer TOKEN (the page: /?token=TOKEN)",
            )
        response = await handler(request)
        if given:
            response.set_cookie(TOKEN_COOKIE, access.token, httponly=True, samesite="Strict")
        return response

    return guard


def _bearer(request: web.Request) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""
