"""Running a :class:`MockServer` on its own loop in a background thread.

This is how a synchronous test (or any program without an event loop) hosts
the gateway: every touch of the engine is marshalled onto the server's loop,
so the engine itself stays single-threaded.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from .mock_server import MockServer

__all__ = ["ServerThread"]

T = TypeVar("T")


class ServerThread:
    def __init__(self, server: MockServer, *, timeout: float = 30.0) -> None:
        self.server = server
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="seeme-mock", daemon=True
        )

    def start(self) -> ServerThread:
        self._thread.start()
        self.run(self.server.start())
        return self

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coroutine`` on the server's loop and return its result here."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(self.timeout if timeout is None else timeout)

    def call(self, function: Callable[[], T]) -> T:
        """Call ``function`` on the server's loop, so it sees a consistent engine (once
        the server stopped, nothing changes it any more: call it here)."""
        if self._loop.is_closed():
            return function()

        async def call() -> T:
            return function()

        return self.run(call())

    def stop(self) -> int:
        """Stop the server and the thread; returns the callbacks still pending. Stopping
        again only counts them."""
        if self._loop.is_closed():
            return self.server.gateway.count_pending_callbacks()
        pending = self.run(self.server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(self.timeout)
        self._loop.close()
        return pending
