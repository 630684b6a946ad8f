"""The test-facing handle on a running gateway: what the pytest fixture returns.

Usable without pytest too::

    with SeemeMock() as mock:
        ...  # point the SUT at mock.url + "/gateway"
        mock.advance(5)
        assert mock.callbacks[0].state is CallbackState.DELIVERED

Everything here runs in the caller's thread and reaches the engine on the
server's loop, so the engine never sees two threads.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from .core.clock import Clock, ManualClock, RealClock
from .core.config import GatewayConfig
from .core.errors import ConfigError, ExpectationError, InternalError
from .core.gateway import Gateway
from .core.records import Callback, Forward, Inbound, Message, Rejected
from .core.scenario_files import load_scenario_files, parse_scenarios
from .core.waits import explain_inbound_wait, explain_missing_send, explain_wait
from .server.inprocess import AppKind
from .server.mock_server import MockServer
from .server.options import ClockKind
from .server.thread import ServerThread
from .server.tls import test_certificate

__all__ = ["SeemeMock"]

if TYPE_CHECKING:
    from faker import Faker


class SeemeMock:
    """A handle on a running :class:`MockServer`, usable from synchronous code."""

    def __init__(
        self,
        config: GatewayConfig | None = None,
        *,
        clock: ClockKind | Clock = "manual",
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
    ) -> None:
        self.ca_path: Path | None = None
        """With ``tls=True``: the test CA's certificate, for the SUT to trust."""
        self._ca_folder: tempfile.TemporaryDirectory[str] | None = None
        context = None
        if tls:
            self._ca_folder = tempfile.TemporaryDirectory(prefix="seeme-mock-")
            self.ca_path = Path(self._ca_folder.name) / "ca.pem"
            context = test_certificate(host, self.ca_path)
        server = MockServer(config, clock=_clock(clock), host=host, port=port, ssl_context=context)
        self._thread = ServerThread(server)
        self._server = server
        self._fake: Faker | None = None

    @classmethod
    def over(cls, server: MockServer) -> SeemeMock:
        """A handle on a server built by hand (its own sender, journal, pool size...)."""
        mock = cls.__new__(cls)
        mock.ca_path = mock._ca_folder = mock._fake = None
        mock._server = server
        mock._thread = ServerThread(server)
        return mock

    # -- life cycle ---------------------------------------------------------------

    def start(self) -> SeemeMock:
        self._thread.start()
        return self

    def stop(self) -> int:
        """Stop the server; returns how many callbacks were still pending."""
        pending = self._thread.stop()
        if self._ca_folder is not None:
            self._ca_folder.cleanup()
        return pending

    def __enter__(self) -> SeemeMock:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(
        self, config: GatewayConfig | None = None, *, clock: ClockKind | Clock = "manual"
    ) -> None:
        """A fresh gateway (no messages, full balance) with ``config`` (None: the defaults)
        on the same server and port; nothing of the old one reaches the SUT afterwards."""
        self._thread.run(self._server.reset(config or GatewayConfig(), clock=_clock(clock)))
        self._fake = None

    def deliver_to(self, app: Any, path: str = "/", kind: AppKind | None = None) -> None:
        """Deliver callbacks straight into a WSGI or ASGI ``app`` (Flask, Django, FastAPI...)
        instead of over the network; sends naming no callbackurl get ``path`` on it."""
        self._thread.run(self._server.deliver_to(app, path, kind))

    def use_scenario(self, source: str | Path) -> None:
        """Add scenarios for this test, before any others: a path to a TOML file or
        folder, or the TOML text itself. Raises ScenarioError with file:line:col."""
        if isinstance(source, Path) or not source.lstrip().startswith(("[", "#", "seed")):
            scenarios = load_scenario_files([source])
        else:
            scenarios = parse_scenarios(source, "inline scenario")
        self._thread.call(lambda: self._gateway.add_scenarios(scenarios))

    # -- what a test reads --------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's base URL; the send endpoint is ``url + "/gateway"``."""
        return self._server.url

    @property
    def config(self) -> GatewayConfig:
        return self._gateway.config

    @property
    def clock(self) -> Clock:
        return self._gateway.clock

    @property
    def messages(self) -> list[Message]:
        """Every accepted send, oldest first, with parts, price and status history."""
        return self._thread.call(lambda: list(self._gateway.messages))

    @property
    def rejections(self) -> list[Rejected]:
        """Every send the gateway refused, with the code and text it answered."""
        return self._thread.call(lambda: list(self._gateway.rejections))

    @property
    def callbacks(self) -> list[Callback]:
        """Every callback of every message, each with its attempts and outcome."""
        return self._thread.call(lambda: [c for m in self._gateway.messages for c in m.callbacks])

    @property
    def inbound(self) -> list[Inbound]:
        """Every SMS received on the account's inbox numbers, with its forwards."""
        return self._thread.call(lambda: list(self._gateway.inbound))

    def receive_sms(self, number: str, message: str, destination: str | None = None) -> Inbound:
        """An SMS from ``number`` to the account's inbox (``destination``: the first inbox
        number), forwarded to ``inbox_url``. Under the manual clock this returns once the
        SUT has answered the forward."""
        return self._thread.run(self._server.receive_sms(number, message, destination))

    def wait_for_inbound(self, number: str | None = None, timeout: float = 10.0) -> list[Forward]:
        """Wait until the SMS from ``number`` (default: anyone) were forwarded and the SUT
        answered 2xx (a scripted reply under the manual clock: advances virtual time)."""
        delivered, found = self._thread.run(
            self._server.wait_for_inbound(number, timeout), timeout + 30.0
        )
        if delivered:
            return found
        raise ExpectationError(explain_inbound_wait(number, found, timeout, self.clock.manual))

    async def wait_for_inbound_async(
        self, number: str | None = None, timeout: float = 10.0
    ) -> list[Forward]:
        """:meth:`wait_for_inbound` for async tests."""
        return await anyio.to_thread.run_sync(
            functools.partial(self.wait_for_inbound, number, timeout)
        )

    @property
    def fake(self) -> Faker:
        """Faker with :class:`~seeme_mock.fake.SeemeProvider` (``seeme_number("HU")``,
        ``seeme_sender()``, ``seeme_reference()``), seeded from the gateway's seed so a
        test gets the same data on every run."""
        if self._fake is None:
            from .fake import seeded_faker  # Faker takes a while to import: only when used

            self._fake = seeded_faker(self.config.seed)
        return self._fake

    @property
    def _gateway(self) -> Gateway:
        return self._server.gateway

    # -- driving time and waiting -------------------------------------------------

    def advance(self, seconds: float) -> int:
        """Move the manual clock forward, firing everything due on the way, retries included.

        Returns once the SUT has answered each callback in the window (the number
        of attempts made is returned)."""
        return self._thread.run(self._server.advance(seconds))

    def wait_for_callbacks(
        self,
        reference: str | None = None,
        codes: Iterable[int] | None = None,
        timeout: float = 10.0,
    ) -> list[Callback]:
        """Wait until the callbacks with ``codes`` (default: all of them) of the messages
        with ``reference`` (default: all) were delivered. Under the manual clock this
        advances virtual time, at most ``timeout`` virtual seconds."""
        wanted = None if codes is None else frozenset(codes)
        delivered, found = self._thread.run(
            self._server.wait_for_callbacks(reference, wanted, timeout), timeout + 30.0
        )
        if delivered:
            return found
        raise ExpectationError(explain_wait(reference, wanted, found, timeout, self.clock.manual))

    async def advance_async(self, seconds: float) -> int:
        """:meth:`advance` for async tests: the test's event loop keeps running meanwhile,
        so a SUT served on that loop can answer the callbacks (asyncio or trio, via anyio)."""
        return await anyio.to_thread.run_sync(self.advance, seconds)

    async def wait_for_callbacks_async(
        self,
        reference: str | None = None,
        codes: Iterable[int] | None = None,
        timeout: float = 10.0,
    ) -> list[Callback]:
        """:meth:`wait_for_callbacks` for async tests, without blocking the test's loop."""
        return await anyio.to_thread.run_sync(
            functools.partial(self.wait_for_callbacks, reference, codes, timeout)
        )

    def check(self) -> None:
        """Raise here whatever went wrong inside the server's thread."""
        errors = list(self._server.errors)
        if errors:
            raise InternalError(f"seeme-mock failed internally: {errors[0]!r}") from errors[0]

    # -- assertions ---------------------------------------------------------------

    def assert_sent(
        self, number: str | None = None, text: str | None = None, count: int | None = None
    ) -> list[Message]:
        """Assert that messages matching ``number`` and ``text`` (substring) were accepted,
        exactly ``count`` times when given, at least once otherwise."""
        messages = self.messages
        found = [
            m
            for m in messages
            if (number is None or m.number == number) and (text is None or text in m.text)
        ]
        if (count is None and found) or len(found) == count:
            return found
        others = [(m.number, m.text) for m in messages if m not in found]
        refused = [(r.code, r.message, r.params) for r in self.rejections]
        raise ExpectationError(
            explain_missing_send(number, text, count, len(found), others, refused)
        )


def _clock(kind: ClockKind | Clock) -> Clock:
    if not isinstance(kind, str):
        return kind
    if kind == "manual":
        return ManualClock()
    if kind == "real":
        return RealClock()
    raise ConfigError(f"clock: {kind!r} is not one of manual, real", setting="clock")
