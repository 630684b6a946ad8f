"""One running gateway: engine, dispatcher and HTTP server on one asyncio loop."""

from __future__ import annotations

import socket
import ssl

from aiohttp import web

from ..core.clock import Clock, ManualClock, RealClock
from ..core.config import GatewayConfig
from ..core.gateway import Gateway
from .app import build_app
from .dispatcher import Dispatcher
from .journal import SqliteJournal
from .sender import AiohttpSender, CallbackSender

__all__ = ["MockServer"]


class MockServer:
    """Serve ``config`` on host:port (port 0 picks a free one; read it back from ``.port``)."""

    def __init__(
        self,
        config: GatewayConfig | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        connections: int = 64,
        max_backlog: int = 10_000,
        sender: CallbackSender | None = None,
        ssl_context: ssl.SSLContext | None = None,
        journal: SqliteJournal | None = None,
    ) -> None:
        config = config or GatewayConfig()
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.errors: list[BaseException] = []
        """What went wrong inside the server, for a test to raise."""
        clock = clock or RealClock()
        saved = journal.load() if journal is not None else None
        if saved is not None and saved.clock is not None and isinstance(clock, ManualClock):
            clock = ManualClock(saved.clock)  # virtual time goes on where it stood
        gateway = Gateway(config, clock, journal)
        if saved is not None:
            gateway.restore(saved.messages, saved.rejections)
        self.journal = journal
        self.dispatcher = Dispatcher(
            gateway,
            sender or AiohttpSender(connections, config.retry.timeout),
            workers=connections,
            max_backlog=max_backlog,
            on_error=self.errors.append,
        )
        self._runner: web.AppRunner | None = None

    @property
    def gateway(self) -> Gateway:
        return self.dispatcher.gateway

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{host}:{self.port}"

    async def start(self) -> None:
        app = build_app(self.dispatcher, self.errors.append)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = socket.create_server((self.host, self.port), family=_family(self.host))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, ssl_context=self.ssl_context).start()
        self.dispatcher.start()

    async def stop(self) -> int:
        """Stop serving and sending; returns how many callbacks were still pending."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.dispatcher.stop(grace=self.gateway.config.retry.timeout)
        if self.journal is not None:
            self.journal.close()
        return self.gateway.count_pending_callbacks()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
