"""The one engine's life-cycle on an asyncio loop: which gateway runs, its time, its waits
and where its callbacks go. Every face (the HTTP endpoints, the pytest handle, the CLI)
drives the engine through this, never around it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from ..core.clock import Clock, ManualClock, RealClock
from ..core.config import GatewayConfig
from ..core.gateway import Gateway
from ..core.records import Callback, Forward, Inbound
from .dispatcher import Dispatcher
from .inprocess import AppKind, InProcessSender
from .journal import SqliteJournal
from .sender import CallbackSender, KeepAliveSender
from .shared_future import SharedFuture

__all__ = ["Runtime"]


class Runtime:
    def __init__(
        self,
        config: GatewayConfig | None = None,
        *,
        clock: Clock | None = None,
        connections: int = 64,
        max_backlog: int = 10_000,
        sender: CallbackSender | None = None,
        journal: SqliteJournal | None = None,
    ) -> None:
        config = config or GatewayConfig()
        self.base_config = config
        """The settings it started with: a reset with settings changes these."""
        self.sends_answered = 0
        """Calls to the send endpoint answered: how the idle collector sees sends stop."""
        self.errors: list[BaseException] = []
        """What went wrong inside the server, for a test to raise."""
        self.journal = journal
        self._turn_end: asyncio.Future[None] | None = None
        """Done at the end of this turn of the loop: when its sends are answered."""
        clock = clock or RealClock()
        saved = journal.load() if journal is not None else None
        if saved is not None and saved.clock is not None and clock.manual:
            clock = ManualClock(saved.clock)  # virtual time goes on where it stood
        gateway = Gateway(config, clock, journal)
        if saved is not None:
            gateway.restore(saved.messages, saved.rejections, saved.inbound)
        self._dispatcher = Dispatcher(
            gateway,
            sender or KeepAliveSender(connections, config.retry.timeout),
            per_receiver=connections,
            max_backlog=max_backlog,
            on_error=self.errors.append,
            after_tick=journal.settle_committed if journal is not None else lambda: None,
        )

    @property
    def gateway(self) -> Gateway:
        """The gateway serving now; a reset replaces it, so ask again after one."""
        return self._dispatcher.gateway

    async def room_for(self, url: str | None) -> None:
        """Back-pressure: wait while callbacks to ``url``'s receiver pile up."""
        await self._dispatcher.room_for(url)

    def admission(self, url: str | None) -> float | None:
        """Take a send with callbacks to ``url``: seconds until its turn (0: now), or None
        while callbacks to its receiver pile up (then wait with room_for)."""
        return self._dispatcher.admission(url)

    def paced(self) -> dict[str, float]:
        """Receivers (scheme://host:port) whose sends are taken at a steady rate because
        their callbacks ran late, and that rate in sends a second."""
        return self._dispatcher.paced()

    async def written(self) -> None:
        """Return once what changed so far is in the journal (at once without one)."""
        if self.journal is not None:
            await self.journal.written()

    def when_answered(self) -> asyncio.Future[None]:
        """When a send taken now is answered: at the end of this turn of the loop, with
        every send taken in it, and once the journal committed what changed (a send
        survives a kill -9 once answered). Answers written together cost less than each
        written as its send is taken: under load the server holds more sends
        (bench/RESULTS.md, the seventh pass)."""
        written = self.journal.when_written() if self.journal is not None else None
        if written is not None:
            return written
        turn = self._turn_end
        if turn is None or turn.done():
            loop = asyncio.get_running_loop()
            turn = self._turn_end = SharedFuture(loop=loop)
            loop.call_soon(_settle, turn)
        return turn

    @property
    def overloaded(self) -> bool:
        """Due callbacks pile up faster than they are sent: new sends get code 8."""
        return self._dispatcher.overloaded

    def start_sending(self) -> None:
        """Start sending callbacks (on the running loop)."""
        self._dispatcher.start()

    async def stop(self) -> int:
        """Stop sending; returns how many callbacks were still pending."""
        await self._dispatcher.stop(grace=self.gateway.config.retry.timeout)
        if self.journal is not None:
            self.journal.close()
        return self.gateway.count_pending_callbacks()

    async def reset(
        self, config: GatewayConfig | None = None, *, clock: Clock | None = None
    ) -> None:
        """Start over with a fresh gateway: no messages, full balance. ``config`` None keeps
        the settings and the scenarios in use; ``clock`` None keeps the clock. Once this
        returns, nothing of the old gateway reaches the SUT or the journal."""
        old = self.gateway
        if config is None:
            config = replace(old.config, scenarios=old.scenarios)
        gateway = Gateway(config, clock or old.clock, self.journal)
        if self.journal is not None:
            self.journal.cleared()
        await self.switch(gateway)
        self.errors.clear()

    async def switch(self, gateway: Gateway) -> None:
        """Serve ``gateway`` from now on; the old one is cut off (see :meth:`reset`)."""
        await self._dispatcher.switch(gateway)

    async def advance(self, seconds: float) -> int:
        """Move the manual clock, firing everything due on the way; returns the attempts
        made, once the SUT answered each. ClockError on the real clock."""
        return await self._dispatcher.advance(seconds)

    async def wait_for_callbacks(
        self, reference: str | None, codes: frozenset[int] | None, timeout: float
    ) -> tuple[bool, list[Callback]]:
        """Until those callbacks were delivered or one failed: (all delivered, callbacks)."""
        return await self._dispatcher.wait_for(
            lambda: self.gateway.callbacks_for(reference, codes), codes, timeout
        )

    async def receive_sms(
        self, number: str, message: str, destination: str | None = None
    ) -> Inbound:
        """An SMS from ``number`` to the account's inbox, forwarded to the inbox URL. Under
        the manual clock this returns once the SUT has answered the forward."""
        inbound = self.gateway.receive(number, message, destination)
        if self.gateway.clock.manual:
            await self._dispatcher.advance(0)
        return inbound

    async def wait_for_inbound(
        self, number: str | None, timeout: float
    ) -> tuple[bool, list[Forward]]:
        """Until the forwards of SMS from ``number`` (None: anyone) were delivered or one
        failed: (all delivered, the forwards)."""
        return await self._dispatcher.wait_for(
            lambda: self.gateway.forwards_for(number), None, timeout
        )

    async def deliver_to(self, app: Any, path: str = "/", kind: AppKind | None = None) -> None:
        """Callbacks go straight into a WSGI or ASGI ``app`` until the next reset; sends
        naming no callbackurl get ``path`` on it."""
        if self.gateway.config.callback_url is None:
            self.gateway.reconfigure(callback_url=f"http://testserver{path}")
        await self._dispatcher.use_sender(InProcessSender(app, kind))


def _settle(turn: asyncio.Future[None]) -> None:
    if not turn.done():
        turn.set_result(None)
