"""Shared helpers for seeme-mock's own tests: start a server, send to it, wait for things.

Every test talks to a real server on loopback through the public handle a user has
(:class:`~seeme_mock.SeemeMock`); nothing reaches inside it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from seeme_mock import GatewayConfig, ManualClock, MockServer, SeemeMock

VALID_KEY = "c2415537c8fca33feab37f0017faddf1fe5a"
"""The API key from SeeMe's documentation; it passes the official checksum."""

START = 1_378_019_549.0
"""2013-09-01 09:12:29 in Budapest, the seed example's timestamp."""

SEND = {"key": VALID_KEY, "number": "36301234567", "message": "Hello", "format": "json"}
"""A send SeeMe accepts; tests change what they are about."""

T = TypeVar("T")

Serve = Callable[..., SeemeMock]

_client = httpx.Client(timeout=30)
"""One keep-alive client for every helper call: a new one per call costs milliseconds."""


def send(base_url: str, **params: str) -> dict[str, Any]:
    """One send to the gateway at ``base_url`` (``mock.url``), answered as JSON."""
    reply: dict[str, Any] = _client.get(base_url + "/gateway", params={**SEND, **params}).json()
    return reply


def wait_for(what: str, probe: Callable[[], T], timeout: float = 10.0) -> T:
    """Poll ``probe`` until it returns something truthy, for real-time tests only (the
    manual clock needs no waiting); fails with ``what`` and the last value on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:g} s for {what}; last saw {value!r}")
        time.sleep(0.01)


class HeldReceiver:
    """A callback receiver that holds each request until released: a callback on the wire.
    ``answer_first``: the first request is answered at once (a slow receiver, not a dead
    one)."""

    def __init__(
        self, httpserver: HTTPServer, path: str = "/dlr", *, answer_first: bool = False
    ) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.url = httpserver.url_for(path)
        self._free = 1 if answer_first else 0
        httpserver.expect_request(path).respond_with_handler(self._hold)

    def _hold(self, request: Request) -> Response:
        self.entered.set()
        if self._free:  # pytest-httpserver serves one request at a time: no race here
            self._free -= 1
        else:
            self.release.wait(20)
        return Response("")


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start a gateway on 127.0.0.1: a manual clock at START (or ``clock_at``) unless
    ``manual=False``; other keywords go to MockServer (sender, journal, connections...)."""
    started: list[SeemeMock] = []

    def start(
        config: GatewayConfig | None = None,
        *,
        manual: bool = True,
        clock_at: float = START,
        **options: Any,
    ) -> SeemeMock:
        clock = ManualClock(clock_at) if manual else None
        mock = SeemeMock.over(MockServer(config, clock=clock, **options)).start()
        started.append(mock)
        return mock

    yield start
    for mock in started:
        mock.stop()
        mock.check()


class ServeProcess:
    """``seeme-mock serve --port 0 ARGS`` in a process of its own: for what needs one
    (signals, kill -9, its log). ``url`` is read from its first line."""

    def __init__(
        self, *args: str, files: int | None = None, program: tuple[str, ...] = ("-m", "seeme_mock")
    ) -> None:
        """``files``: the process's hard limit of open files (its soft one follows);
        ``program``: what Python runs, given ``serve`` and the arguments."""

        def limit() -> None:
            if files is not None:
                import resource

                resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

        self.process = subprocess.Popen(
            [sys.executable, *program, "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            preexec_fn=limit,
        )
        assert self.process.stdout is not None
        self.preamble: list[str] = []
        """What it printed before it listened (the CA file, the admin token)."""
        line = self.process.stdout.readline()
        while line.startswith("seeme-mock ") and "listening on" not in line:
            self.preamble.append(line.rstrip("\n"))
            line = self.process.stdout.readline()
        assert line.startswith("seeme-mock listening on "), line
        self.url = line.split()[-1].removesuffix("/gateway").replace("0.0.0.0", "127.0.0.1")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.communicate(timeout=10)

    def stop(self, signum: int = signal.SIGTERM) -> str:
        """Stop it with ``signum``; its output after the first line."""
        self.process.send_signal(signum)
        out, _ = self.process.communicate(timeout=20)
        return out


@pytest.fixture
def serve_process() -> Iterator[Callable[..., ServeProcess]]:
    started: list[ServeProcess] = []

    def start(*args: str, files: int | None = None) -> ServeProcess:
        started.append(ServeProcess(*args, files=files))
        return started[-1]

    yield start
    for server in started:
        if server.process.poll() is None:
            server.kill()


@pytest.fixture(scope="session")
def client() -> httpx.Client:
    """The shared keep-alive client, for tests that make their own requests."""
    return _client


pytest_plugins = ["pytester"]


def pytest_unconfigure(config: pytest.Config) -> None:
    _client.close()


@pytest.fixture(autouse=True)
def _sample_projects_without_asyncio(request: pytest.FixtureRequest) -> None:
    """Sample projects run by pytester load no pytest-asyncio unless a test asks for it:
    its configuration warning would fail them under our filterwarnings = error."""
    if "pytester" in request.fixturenames and not request.node.get_closest_marker(
        "asyncio_project"
    ):
        request.getfixturevalue("pytester")  # it clears PYTEST_ADDOPTS when it starts
        request.getfixturevalue("monkeypatch").setenv("PYTEST_ADDOPTS", "-p no:asyncio")
