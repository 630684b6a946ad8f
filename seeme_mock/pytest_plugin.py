"""pytest plugin: the ``seeme_mock`` fixture, the ``seeme`` marker and their options.

Registered through the ``pytest11`` entry point, so installing seeme-mock is all
a project needs. One server per session (per xdist worker), a fresh gateway per test.
Settings come from the ini file, then the command line, then the test's marker; every
one of them is a setting of :data:`~seeme_mock.core.config.GATEWAY_SETTINGS` (plus the
clock and TLS), so its name, help, default and checks are the same as ``serve``'s.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .core.config import GATEWAY_SETTINGS, config_from
from .core.errors import ConfigError, ScenarioError
from .core.scenario import Scenario
from .core.scenario_files import load_scenario_files, parse_scenarios
from .core.settings import Setting
from .remote import RemoteSeemeMock
from .server.options import SERVE_SETTINGS
from .testing import SeemeMock

__all__ = ["seeme_mock", "seeme_mock_server"]

_SERVE = {s.name: s for s in SERVE_SETTINGS}
_CLOCK = dataclasses.replace(_SERVE["clock"], default="manual")
SETTINGS: tuple[Setting, ...] = (_CLOCK, _SERVE["tls"], *GATEWAY_SETTINGS)
"""What the ini file and the command line may set, as ``seeme_<name>`` and ``--seeme-<name>``."""
_MARKER_ONLY = ("scenario",)
"""Inline scenario TOML: a marker keyword, no ini option."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seeme", "seeme-mock SMS gateway")
    remote = (
        "drive a seeme-mock running there (e.g. http://seeme:8080, started with --clock "
        "manual) instead of one in this process; also SEEME_MOCK_URL"
    )
    group.addoption("--seeme-url", dest="seeme_url", default=None, metavar="URL", help=remote)
    parser.addini("seeme_url", remote, default=None)
    for setting in SETTINGS:
        help_text = f"{setting.help} (default: {setting.show_default()})"
        if setting.repeatable:
            help_text += "; comma-separated"
        group.addoption(
            "--seeme-" + setting.name.replace("_", "-"),
            dest="seeme_" + setting.name,
            default=None,
            metavar=setting.kind.metavar,
            help=help_text,
        )
        parser.addini("seeme_" + setting.name, help_text, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "seeme(clock='manual', scenarios=PATHS, scenario=TOML, seed=0, language=..., "
        "**settings): configure the seeme_mock fixture for this test; each keyword is a "
        "setting (see `pytest --help`, group seeme), as a value or as the ini file's text",
    )
    for setting in SETTINGS:
        value = _option(config, setting.name)
        if value is None:
            continue
        try:
            if setting.name == "scenarios":
                load_scenario_files(_scenario_paths(config, value))
            else:
                setting.parse(value)
        except ScenarioError as exc:
            raise pytest.UsageError(f"seeme_scenarios are invalid:\n{exc}") from None
        except ConfigError as exc:
            raise pytest.UsageError(f"seeme_{exc}") from None


def _option(config: pytest.Config, name: str) -> str | None:
    """The command line wins over the ini file."""
    value = config.getoption("seeme_" + name) or config.getini("seeme_" + name)
    return str(value) if value else None


def _scenario_paths(config: pytest.Config, given: Any) -> list[Path]:
    """Scenario files from the ini file's comma-separated text or the marker's path or
    paths, relative to the rootdir as the ini file means them."""
    if given is None:
        return []
    parts = (
        given.split(",")
        if isinstance(given, str)
        else [given]
        if isinstance(given, Path)
        else given
    )
    return [config.rootpath / str(p).strip() for p in parts if str(p).strip()]


def _remote_url(config: pytest.Config) -> str | None:
    return _option(config, "url") or os.environ.get("SEEME_MOCK_URL") or None


@pytest.fixture(scope="session")
def seeme_mock_server(pytestconfig: pytest.Config) -> Iterator[SeemeMock | RemoteSeemeMock]:
    """The session's server on 127.0.0.1 and a free port (or the remote one of
    ``seeme_url``); tests use ``seeme_mock``."""
    url = _remote_url(pytestconfig)
    if url is not None:
        remote = RemoteSeemeMock(url)
        try:
            remote.check()
        except (httpx.HTTPError, ConfigError) as exc:
            raise pytest.UsageError(f"seeme_url: no seeme-mock answers at {url}: {exc}") from None
        yield remote
        remote.close()
        return
    tls = _SERVE["tls"].parse(_option(pytestconfig, "tls") or "false")
    with SeemeMock(tls=tls) as mock:
        yield mock


def _reset_remote(
    request: pytest.FixtureRequest, remote: RemoteSeemeMock, settings: dict[str, Any]
) -> RemoteSeemeMock:
    """The same settings, sent to the remote server; its clock is the one it started with."""
    settings.pop("clock", None)
    inline = settings.pop("scenario", None)
    paths = _scenario_paths(request.config, settings.pop("scenarios", None))
    try:
        remote.reset(settings)
        if inline is not None:
            remote.use_scenario(inline)
        if paths:
            remote.use_scenario(paths)
    except (ConfigError, ScenarioError) as exc:
        pytest.fail(f"seeme-mock settings:\n{exc}", pytrace=False)
    return remote


def _settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """ini, then command line, then marker: by setting name, as text or as values."""
    config = request.config
    settings: dict[str, Any] = {}
    for setting in SETTINGS:
        value = _option(config, setting.name)
        if value is not None and setting.name != "tls":
            settings[setting.name] = value
    marker = request.node.get_closest_marker("seeme")
    if marker is not None:
        if marker.args:
            pytest.fail("@pytest.mark.seeme takes keyword arguments only", pytrace=False)
        valid = [s.name for s in SETTINGS if s.name != "tls"] + list(_MARKER_ONLY)
        for name in marker.kwargs:
            if name not in valid:
                close = difflib.get_close_matches(name, valid, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                pytest.fail(
                    f"@pytest.mark.seeme got an unknown setting {name!r}{hint}; "
                    f"valid: {', '.join(valid)}",
                    pytrace=False,
                )
        settings.update(marker.kwargs)
    return settings


@pytest.fixture
def seeme_mock(
    request: pytest.FixtureRequest, seeme_mock_server: SeemeMock | RemoteSeemeMock
) -> Any:
    """A SeeMe gateway with fresh state for this test; point the SUT at ``.url + "/gateway"``."""
    settings = _settings(request)
    if isinstance(seeme_mock_server, RemoteSeemeMock):
        return _reset_remote(request, seeme_mock_server, settings)
    try:
        clock = _CLOCK.parse(settings.pop("clock", "manual"))
        scenarios: tuple[Scenario, ...] = ()
        inline = settings.pop("scenario", None)
        if inline is not None:
            scenarios += parse_scenarios(inline, f"{request.node.name} scenario")
        paths = _scenario_paths(request.config, settings.pop("scenarios", None))
        if paths:
            scenarios += load_scenario_files(paths)
        seeme_mock_server.reset(config_from({**settings, "scenarios": scenarios}), clock=clock)
    except (ConfigError, ScenarioError) as exc:
        pytest.fail(f"seeme-mock settings:\n{exc}", pytrace=False)
    return seeme_mock_server
