"""Scenario files and folders to scenarios, or every problem in them as
``file:line:col: what is wrong, and how to fix it``: TOML syntax, each file's own
problems (:class:`~.scenario_toml.ScenarioParser`), and what only shows across files
(two scenarios of one name, a scenario that can never match)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from .errors import ScenarioError
from .scenario import Match, Scenario
from .scenario_toml import ScenarioParser
from .tomlpos import KeyPath, locate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["load_scenario_files", "parse_scenarios"]


def _shadowed_by(scenario: Scenario, ordered: Iterable[Scenario]) -> Scenario | None:
    """An earlier scenario in precedence order that takes every send this one could."""
    for earlier in ordered:
        if earlier is scenario:
            return None
        if earlier.match == Match() or earlier.match == scenario.match:
            return earlier
    return None


def parse_scenarios(text: str, label: str) -> tuple[Scenario, ...]:
    """Parse one file's text; ``label`` names it in messages. Raises ScenarioError."""
    return _load([(label, text)])


def load_scenario_files(paths: Iterable[Path | str]) -> tuple[Scenario, ...]:
    """Files, or folders of ``*.toml`` (sorted), in precedence order. Raises ScenarioError."""
    sources: list[tuple[str, str]] = []
    problems: list[str] = []
    for given in paths:
        path = Path(given)
        files = sorted(path.rglob("*.toml")) if path.is_dir() else [path]
        if path.is_dir() and not files:
            problems.append(f"{path}: no *.toml scenario files in this folder")
        for file in files:
            try:
                sources.append((str(file), file.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(f"{file}:1:1: cannot read the file: {exc}")
    try:
        scenarios = _load(sources)
    except ScenarioError as exc:
        problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    return scenarios


_TOML_POSITION = re.compile(r"(?P<what>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)")


def _load(sources: list[tuple[str, str]]) -> tuple[Scenario, ...]:
    problems: list[str] = []
    found: list[tuple[str, dict[KeyPath, tuple[int, int]], KeyPath, Scenario]] = []
    for label, text in sources:
        try:
            data = tomllib.loads(text)
        except RecursionError:
            problems.append(f"{label}:1:1: arrays or tables nested too deeply to be a scenario")
            continue
        except tomllib.TOMLDecodeError as exc:
            where = _TOML_POSITION.fullmatch(str(exc))
            if where:
                problems.append(
                    f"{label}:{where['line']}:{where['col']}: {where['what']} "
                    "(not valid TOML; strings need quotes, tables [brackets])"
                )
            else:
                problems.append(f"{label}:1:1: {exc} (not valid TOML)")
            continue
        positions = locate(text)
        parser = ScenarioParser(Path(label).stem)
        _, scenarios = parser.document(data)
        for problem in parser.problems:
            problems.append(f"{label}:{_where(positions, problem.path)}: {problem.message}")
        for path, scenario in scenarios:
            line, _ = _position(positions, path)
            scenario = replace(scenario, origin=f"{label}:{line}")
            found.append((label, positions, path, scenario))
    ordered = sorted((s for _, _, _, s in found), key=lambda s: -s.priority)
    names: dict[str, Scenario] = {}
    for label, positions, path, scenario in found:
        twin = names.setdefault(scenario.name, scenario)
        if twin is not scenario:
            problems.append(
                f"{label}:{_where(positions, path)}: a scenario named {scenario.name!r} already "
                f"stands at {twin.origin}; give each scenario its own name"
            )
        earlier = _shadowed_by(scenario, ordered)
        if earlier is not None:
            reason = "matches every send" if earlier.match == Match() else "has the same match"
            problems.append(
                f"{label}:{_where(positions, path)}: scenario {scenario.name!r} can never match: "
                f"{earlier.name!r} ({earlier.origin}) {reason} and comes first; give this one "
                "a higher priority or narrow the other's match"
            )
    if problems:
        raise ScenarioError(problems)
    return tuple(scenario for _, _, _, scenario in found)


def _position(positions: Mapping[KeyPath, tuple[int, int]], path: KeyPath) -> tuple[int, int]:
    """The key's own position, else its nearest written parent's, else the file's start."""
    while path:
        if path in positions:
            return positions[path]
        path = path[:-1]
    return 1, 1


def _where(positions: Mapping[KeyPath, tuple[int, int]], path: KeyPath) -> str:
    line, column = _position(positions, path)
    return f"{line}:{column}"
