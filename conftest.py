"""Fixtures for seeme-mock's own tests: a real server on loopback, on a manual clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from seeme_mock import GatewayConfig, ManualClock, MockServer
from seeme_mock.server.thread import ServerThread

VALID_KEY = "c2415537c8fca33feab37f0017faddf1fe5a"
"""The API key from SeeMe's documentation; it passes the official checksum."""

START = 1_378_019_549.0
"""2013-09-01 09:12:29 in Budapest, the seed example's timestamp."""

Serve = Callable[..., ServerThread]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start a gateway on 127.0.0.1 with a manual clock at START (or the real clock)."""
    started: list[ServerThread] = []

    def start(
        config: GatewayConfig | None = None, *, manual: bool = True, **options: Any
    ) -> ServerThread:
        clock = ManualClock(START) if manual else None
        thread = ServerThread(MockServer(config, clock=clock, **options)).start()
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.stop()
        assert not thread.server.errors, thread.server.errors


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http


pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _sample_projects_without_asyncio(request: pytest.FixtureRequest) -> None:
    """Sample projects run by pytester load no pytest-asyncio unless a test asks for it:
    its configuration warning would fail them under our filterwarnings = error."""
    if "pytester" in request.fixturenames and not request.node.get_closest_marker(
        "asyncio_project"
    ):
        request.getfixturevalue("pytester")  # it clears PYTEST_ADDOPTS when it starts
        request.getfixturevalue("monkeypatch").setenv("PYTEST_ADDOPTS", "-p no:asyncio")
