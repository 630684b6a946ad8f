"""pytest plugin: the ``seeme_mock`` fixture, the ``seeme`` marker and their options.

Registered through the ``pytest11`` entry point, so installing seeme-mock is all
a project needs. One server per session (per xdist worker), a fresh gateway per test.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterator
from typing import Any

import pytest

from .core.callback import ENCODINGS
from .core.config import ConfigError, GatewayConfig
from .core.status import LANGUAGES
from .testing import CLOCKS, ClockKind, SeemeMock

__all__ = ["seeme_mock", "seeme_mock_server"]

_OPTIONS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "clock": ("manual (default) or real", CLOCKS),
    "language": ("status text language", LANGUAGES),
    "encoding": ("charset of callback texts (default iso-8859-2)", ENCODINGS),
    "callback_url": ("default callback URL when a send names none", None),
}
_CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(GatewayConfig))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seeme", "seeme-mock SMS gateway")
    for name, (help_text, _) in _OPTIONS.items():
        flag = "--seeme-" + name.replace("_", "-")
        group.addoption(flag, dest="seeme_" + name, default=None, help=help_text)
        parser.addini("seeme_" + name, help_text, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "seeme(clock='manual', language=..., encoding=..., callback_url=..., **settings): "
        "configure the seeme_mock fixture for this test; settings are GatewayConfig fields",
    )
    for name, (_, valid) in _OPTIONS.items():
        value = _option(config, name)
        if valid is not None and value is not None and value not in valid:
            raise pytest.UsageError(
                f"{value!r} is not a valid seeme_{name}. Valid values: {', '.join(valid)}"
            )


def _option(config: pytest.Config, name: str) -> str | None:
    """The command line wins over the ini file."""
    value = config.getoption("seeme_" + name) or config.getini("seeme_" + name)
    return str(value) if value else None


@pytest.fixture(scope="session")
def seeme_mock_server() -> Iterator[SeemeMock]:
    """The session's server on 127.0.0.1 and a free port; tests use ``seeme_mock``."""
    with SeemeMock() as mock:
        yield mock


@pytest.fixture
def seeme_mock(request: pytest.FixtureRequest, seeme_mock_server: SeemeMock) -> SeemeMock:
    """A SeeMe gateway with fresh state for this test; point the SUT at ``.url + "/gateway"``."""
    settings: dict[str, Any] = {
        name: value for name in _OPTIONS if (value := _option(request.config, name)) is not None
    }
    marker = request.node.get_closest_marker("seeme")
    if marker is not None:
        if marker.args:
            pytest.fail("@pytest.mark.seeme takes keyword arguments only", pytrace=False)
        settings.update(marker.kwargs)
    clock: ClockKind = settings.pop("clock", "manual")
    for name in settings:
        if name not in _CONFIG_FIELDS:
            close = difflib.get_close_matches(name, ("clock", *_CONFIG_FIELDS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            pytest.fail(
                f"@pytest.mark.seeme got an unknown setting {name!r}{hint}; "
                f"valid: clock, {', '.join(_CONFIG_FIELDS)}",
                pytrace=False,
            )
    try:
        config = GatewayConfig(**settings)
        seeme_mock_server.reset(config, clock=clock)
    except (ConfigError, ValueError) as exc:
        pytest.fail(f"seeme-mock settings: {exc}", pytrace=False)
    return seeme_mock_server
