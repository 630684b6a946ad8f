"""Delivering callbacks straight into a WSGI or ASGI app, with no socket in between.

A Django, Flask or FastAPI SUT tested through its test client has no live server
for callbacks to reach; httpx's transports call the app directly instead.
"""

from __future__ import annotations

import asyncio
import inspect
from functools import partial
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from .sender import Done, Headers, Outcome

__all__ = ["InProcessSender", "app_kind"]

_CLOSED = Outcome(None, "seeme-mock stopped calling the app before it answered (a reset or a stop)")

AppKind = Literal["wsgi", "asgi"]


def app_kind(app: Any) -> AppKind:
    """ASGI apps are coroutine functions or objects with an async ``__call__``."""
    call = app if inspect.isfunction(app) else getattr(app, "__call__", None)  # noqa: B004
    return "asgi" if inspect.iscoroutinefunction(call) else "wsgi"


class InProcessSender:
    """Sends every callback's path and query to ``app``, whatever host its URL names."""

    def __init__(self, app: Any, kind: AppKind | None = None) -> None:
        self.kind = kind or app_kind(app)
        self._app = app
        self._async: httpx.AsyncClient | None = None
        self._sync: httpx.Client | None = None
        self._calls: set[asyncio.Task[Outcome]] = set()

    def start(self, url: str, headers: Headers, done: Done) -> None:
        call = asyncio.create_task(self._call(url, headers))
        self._calls.add(call)
        call.add_done_callback(partial(self._called, done))

    def _called(self, done: Done, call: asyncio.Task[Outcome]) -> None:
        self._calls.discard(call)
        done(_CLOSED if call.cancelled() else call.result())

    async def _call(self, url: str, headers: Headers) -> Outcome:
        parts = urlsplit(url)
        target = f"http://testserver{parts.path or '/'}?{parts.query}"
        try:
            if self.kind == "asgi":
                reply = await self._async_client().get(target, headers=headers)
            else:
                get = self._sync_client().get
                reply = await asyncio.to_thread(get, target, headers=headers)
        except Exception as exc:  # the SUT's handler crashed: that is the SUT's answer
            return Outcome(None, f"the app raised {type(exc).__name__}: {exc}")
        error = None if reply.is_success else f"HTTP {reply.status_code}"
        return Outcome(reply.status_code, error)

    def _async_client(self) -> httpx.AsyncClient:
        if self._async is None:
            self._async = httpx.AsyncClient(transport=httpx.ASGITransport(app=self._app))
        return self._async

    def _sync_client(self) -> httpx.Client:
        if self._sync is None:
            self._sync = httpx.Client(transport=httpx.WSGITransport(app=self._app))
        return self._sync

    async def close(self) -> None:
        for call in self._calls:
            call.cancel()
        if self._async is not None:
            await self._async.aclose()
        if self._sync is not None:
            self._sync.close()
