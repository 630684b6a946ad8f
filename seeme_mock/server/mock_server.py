"""The runtime served over HTTP: SeeMe's send endpoint, the admin API and the page."""

from __future__ import annotations

import socket
import ssl

from aiohttp import web

from ..core.clock import Clock
from ..core.config import GatewayConfig
from .app import MAX_LINE, build_app
from .fast_path import FastPathSite
from .guard import AdminAccess, is_loopback
from .journal import SqliteJournal
from .runtime import Runtime
from .send_endpoint import SendEndpoint
from .sender import CallbackSender
from .slow_clients import HEADER_TIMEOUT

__all__ = ["KEEPALIVE", "MockServer"]

KEEPALIVE = 15.0
"""Seconds an idle keep-alive connection stays open: idle sockets must not pile up."""


class MockServer(Runtime):
    """Serve ``config`` on host:port (port 0 picks a free one; read it back from ``.port``)."""

    def __init__(
        self,
        config: GatewayConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        clock: Clock | None = None,
        connections: int = 64,
        max_backlog: int = 10_000,
        sender: CallbackSender | None = None,
        journal: SqliteJournal | None = None,
        admin: AdminAccess | None = None,
        header_timeout: float = HEADER_TIMEOUT,
    ) -> None:
        super().__init__(
            config,
            clock=clock,
            connections=connections,
            max_backlog=max_backlog,
            sender=sender,
            journal=journal,
        )
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.admin = admin or AdminAccess(loopback=is_loopback(host))
        self.header_timeout = header_timeout
        self._runner: web.AppRunner | None = None
        self._site: FastPathSite | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{host}:{self.port}"

    @property
    def connections_on_fast_path(self) -> int:
        """Open connections whose sends are answered on the fast path (:mod:`.fast_path`);
        aiohttp serves the others."""
        return len(self._site.connections) if self._site is not None else 0

    async def start(self) -> None:
        """Listen and start sending; OSError when the address cannot be bound."""
        endpoint = SendEndpoint(self)
        app = build_app(self, endpoint, self.admin)
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            max_line_size=MAX_LINE,
            max_field_size=MAX_LINE,
            keepalive_timeout=KEEPALIVE,
        )
        await self._runner.setup()
        sock = socket.create_server((self.host, self.port), family=_family(self.host))
        self.port = sock.getsockname()[1]
        site = FastPathSite(
            self._runner,
            sock,
            endpoint,
            keepalive=KEEPALIVE,
            header_timeout=self.header_timeout,
            ssl_context=self.ssl_context,
        )
        await site.start()
        self._site = site
        if self.journal is not None:
            self.journal.start_writer()
        self.start_sending()

    async def stop(self) -> int:
        """Stop serving and sending; returns how many callbacks were still pending."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = self._site = None
        return await super().stop()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
