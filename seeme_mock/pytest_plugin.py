"""pytest plugin: the ``seeme_mock`` fixture, the ``seeme`` marker and their options.

Registered through the ``pytest11`` entry point, so installing seeme-mock is all
a project needs. One server per session (per xdist worker), a fresh gateway per test.
Settings come from the ini file, then the command line, then the test's marker.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .core.callback import ENCODINGS
from .core.config import ConfigError, GatewayConfig
from .core.scenario_toml import ScenarioError, load_scenario_files, parse_scenarios
from .core.status import LANGUAGES
from .testing import CLOCKS, ClockKind, SeemeMock

__all__ = ["seeme_mock", "seeme_mock_server"]

_OPTIONS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "clock": ("manual (default) or real", CLOCKS),
    "language": ("status text language (default en)", LANGUAGES),
    "encoding": ("charset of callback texts (default iso-8859-2)", ENCODINGS),
    "callback_url": ("default callback URL when a send names none", None),
    "scenarios": ("scenario files or folders, comma-separated, from the rootdir", None),
    "seed": ("seed for scenario branches and jitter (default 0)", None),
    "tls": (
        "true: the session's server speaks HTTPS (CA file: seeme_mock.ca_path)",
        ("true", "false"),
    ),
}
_CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(GatewayConfig) if f.name != "scenarios")
_MARKER_ONLY = ("clock", "scenarios", "scenario")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seeme", "seeme-mock SMS gateway")
    for name, (help_text, _) in _OPTIONS.items():
        flag = "--seeme-" + name.replace("_", "-")
        group.addoption(flag, dest="seeme_" + name, default=None, help=help_text)
        parser.addini("seeme_" + name, help_text, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "seeme(clock='manual', scenarios=PATHS, scenario=TOML, seed=0, language=..., "
        "**settings): configure the seeme_mock fixture for this test; settings are "
        "GatewayConfig fields (see seeme-mock's README)",
    )
    for name, (_, valid) in _OPTIONS.items():
        value = _option(config, name)
        if valid is not None and value is not None and value not in valid:
            raise pytest.UsageError(
                f"{value!r} is not a valid seeme_{name}. Valid values: {', '.join(valid)}"
            )
    seed = _option(config, "seed")
    if seed is not None and not seed.lstrip("-").isdigit():
        raise pytest.UsageError(f"{seed!r} is not a valid seeme_seed. Valid values: integers")
    paths = _option(config, "scenarios")
    if paths is not None:
        try:
            load_scenario_files(_paths(config, paths))
        except ScenarioError as exc:
            raise pytest.UsageError(f"seeme_scenarios are invalid:\n{exc}") from None


def _option(config: pytest.Config, name: str) -> str | None:
    """The command line wins over the ini file."""
    value = config.getoption("seeme_" + name) or config.getini("seeme_" + name)
    return str(value) if value else None


def _paths(config: pytest.Config, value: str) -> list[Path]:
    return [config.rootpath / part.strip() for part in value.split(",") if part.strip()]


@pytest.fixture(scope="session")
def seeme_mock_server(pytestconfig: pytest.Config) -> Iterator[SeemeMock]:
    """The session's server on 127.0.0.1 and a free port; tests use ``seeme_mock``."""
    with SeemeMock(tls=_option(pytestconfig, "tls") == "true") as mock:
        yield mock


@pytest.fixture
def seeme_mock(request: pytest.FixtureRequest, seeme_mock_server: SeemeMock) -> SeemeMock:
    """A SeeMe gateway with fresh state for this test; point the SUT at ``.url + "/gateway"``."""
    config = request.config
    settings: dict[str, Any] = {}
    for name in _OPTIONS:
        value = _option(config, name)
        if value is not None and name != "tls":
            settings[name] = _paths(config, value) if name == "scenarios" else value
    if "seed" in settings:
        settings["seed"] = int(settings["seed"])
    marker = request.node.get_closest_marker("seeme")
    if marker is not None:
        if marker.args:
            pytest.fail("@pytest.mark.seeme takes keyword arguments only", pytrace=False)
        settings.update(marker.kwargs)
    clock: ClockKind = settings.pop("clock", "manual")
    scenario_paths = settings.pop("scenarios", None)
    inline = settings.pop("scenario", None)
    for name in settings:
        if name not in _CONFIG_FIELDS:
            valid = (*_MARKER_ONLY, *_CONFIG_FIELDS)
            close = difflib.get_close_matches(name, valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            pytest.fail(
                f"@pytest.mark.seeme got an unknown setting {name!r}{hint}; "
                f"valid: {', '.join(valid)}",
                pytrace=False,
            )
    try:
        scenarios: tuple[Any, ...] = ()
        if inline is not None:
            scenarios += parse_scenarios(inline, f"{request.node.name} scenario")
        if scenario_paths is not None:
            if isinstance(scenario_paths, (str, Path)):
                scenario_paths = [scenario_paths]
            scenarios += load_scenario_files(config.rootpath / p for p in scenario_paths)
        seeme_mock_server.reset(GatewayConfig(scenarios=scenarios, **settings), clock=clock)
    except (ConfigError, ScenarioError, ValueError) as exc:
        pytest.fail(f"seeme-mock settings:\n{exc}", pytrace=False)
    return seeme_mock_server
