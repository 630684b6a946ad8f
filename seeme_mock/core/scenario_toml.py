"""Reading scenario files: TOML in, frozen :class:`Scenario` objects out, or every
problem found as ``file:line:col: what is wrong, and how to fix it``.

The format, in brief (the README has the full reference and scenarios/ has
commented examples)::

    seed = 7                              # optional: reproducible branches and jitter

    [[scenario]]
    name = "Vodafone numbers are undeliverable"
    priority = 0                          # higher first, then file order
    match = { number = { prefix = "3670" } }
    progression = "undeliverable"         # or steps = [...], or [[scenario.branch]]
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from .callback import ENCODINGS, PARAMETERS
from .errors import ScenarioError
from .protocol import ERROR_TEXTS, SENDER_ID
from .scenario import (
    FINAL_CODES,
    PROGRESSIONS,
    Branch,
    CallbackOverrides,
    Faults,
    Match,
    Pattern,
    PatternKind,
    Scenario,
    SendOverrides,
    Step,
)
from .sms import Charset
from .status import LANGUAGES
from .tomlpos import KeyPath, locate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["load_scenario_files", "parse_delay", "parse_scenarios"]

T = TypeVar("T")

_DELAY = re.compile(
    r"\s*(?P<number>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)?\s*"
)
_UNITS = {
    **dict.fromkeys(("ms",), 0.001),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hour", "hours"), 3600.0),
}
_PATTERN_KINDS: tuple[PatternKind, ...] = (
    "exact", "prefix", "suffix", "glob", "regex", "contains",
)  # fmt: skip
_SENDER_PART = re.compile(r"[A-Za-z0-9]{0,15}")
_STATUS_KEYS = tuple(str(code) for code in range(1, 11))


def parse_delay(value: object) -> float:
    """Seconds from 5, 2.5, "150ms", "2s", "5 min" or "1h"; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a delay")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return float(value)
    if isinstance(value, str):
        found = _DELAY.fullmatch(value)
        if found:
            return float(found["number"]) * _UNITS[found["unit"] or "s"]
        if value.strip().startswith("-"):
            raise ValueError(f"{value!r} is negative")
    raise ValueError(f"{value!r} is not a delay")


@dataclass
class _Problem:
    path: KeyPath
    message: str


class _Reader:
    """Walks one file's parsed data, collecting problems with their key paths."""

    def __init__(self) -> None:
        self.problems: list[_Problem] = []

    def fail(self, path: KeyPath, message: str) -> None:
        self.problems.append(_Problem(path, message))

    def table(self, data: object, path: KeyPath, known: Iterable[str]) -> dict[str, Any] | None:
        if not isinstance(data, dict):
            self.fail(path, f"{_name(path)} must be a table, got {_type(data)}")
            return None
        known = tuple(known)
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
                self.fail((*path, key), f"unknown key {key!r} in {_name(path)}; {hint}")
        return cast(dict[str, Any], data)

    def typed(self, data: Mapping[str, Any], key: str, path: KeyPath, kind: type[T]) -> T | None:
        if key not in data:
            return None
        value = data[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            self.fail((*path, key), f"{key} must be {_article(kind)}, got {_type(value)}")
            return None
        return cast(T, value)

    def delay(self, data: Mapping[str, Any], key: str, path: KeyPath) -> float | None:
        if key not in data:
            return None
        try:
            return parse_delay(data[key])
        except ValueError as exc:
            self.fail(
                (*path, key),
                f"{key}: {exc}; write seconds as a number or a string like "
                '"150ms", "2s" or "5 min", not negative',
            )
            return None

    def code(self, value: object, path: KeyPath, what: str, valid: Iterable[int]) -> int | None:
        valid = sorted(valid)
        if isinstance(value, bool) or not isinstance(value, int) or value not in valid:
            span = (
                f"{valid[0]}..{valid[-1]}"
                if valid == list(range(valid[0], valid[-1] + 1))
                else (", ".join(map(str, valid)))
            )
            self.fail(path, f"{what} must be one of {span}, got {value!r}")
            return None
        return value

    def codes(self, data: Mapping[str, Any], key: str, path: KeyPath) -> frozenset[int]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.fail((*path, key), f"{key} must be a list of status codes like [4, 6]")
            return frozenset()
        found = (
            self.code(c, (*path, key, i), "a status code", range(1, 11))
            for i, c in enumerate(value)
        )
        return frozenset(c for c in found if c is not None)


def _type(value: object) -> str:
    return {
        bool: "a boolean", int: "an integer", float: "a number", str: "a string",
        list: "an array", dict: "a table",
    }.get(type(value), type(value).__name__)  # fmt: skip


def _article(kind: type) -> str:
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(
        kind, kind.__name__
    )


def _name(path: KeyPath) -> str:
    names = [str(p) for p in path if isinstance(p, str)]
    return "[" + ".".join(names) + "]" if names else "the file"


class _FileParser(_Reader):
    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def document(self, data: dict[str, Any]) -> tuple[int | None, list[tuple[KeyPath, Scenario]]]:
        self.table(data, (), ("seed", "scenario"))
        seed = self.typed(data, "seed", (), int)
        raw = data.get("scenario", [])
        if not isinstance(raw, list):
            self.fail(("scenario",), "write scenarios as [[scenario]] tables")
            return seed, []
        scenarios = []
        for index, item in enumerate(raw):
            path: KeyPath = ("scenario", index)
            scenario = self.scenario(item, path, index, seed)
            if scenario is not None:
                scenarios.append((path, scenario))
        return seed, scenarios

    def scenario(
        self, data: object, path: KeyPath, index: int, seed: int | None
    ) -> Scenario | None:
        known = ("name", "priority", "match", "progression", "steps", "branch", "send",
                 "callback", "faults")  # fmt: skip
        table = self.table(data, path, known)
        if table is None:
            return None
        name = self.typed(table, "name", path, str) or f"{self.label}#{index + 1}"
        priority = self.typed(table, "priority", path, int) or 0
        before = len(self.problems)
        match = self.match(table.get("match", {}), (*path, "match"))
        branches = self.branches(table, path)
        send = self.send(table.get("send", {}), (*path, "send"))
        callback = self.callback(table.get("callback", {}), (*path, "callback"))
        faults = self.faults(table.get("faults", {}), (*path, "faults"))
        if len(self.problems) > before or match is None:
            return None
        return Scenario(
            name=name,
            branches=branches,
            match=match,
            priority=priority,
            send=send or SendOverrides(),
            callback=callback or CallbackOverrides(),
            faults=faults or Faults(),
            seed=seed,
        )

    def match(self, data: object, path: KeyPath) -> Match | None:
        table = self.table(data, path, ("number", "sender", "text", "reference"))
        if table is None:
            return None
        patterns: dict[str, Pattern] = {}
        for key, value in table.items():
            pattern = self.pattern(value, (*path, key), key)
            if pattern is not None:
                patterns[key] = pattern
        return Match(**patterns)

    def pattern(self, value: object, path: KeyPath, field: str) -> Pattern | None:
        if isinstance(value, str):
            kind: PatternKind = "exact"
            text = value
        elif isinstance(value, dict) and len(value) == 1:
            key, text = next(iter(value.items()))
            if key not in _PATTERN_KINDS:
                self.table(value, path, _PATTERN_KINDS)
                return None
            if not isinstance(text, str):
                self.fail((*path, key), f"{key} must be a string, got {_type(text)}")
                return None
            kind = cast(PatternKind, key)
            path = (*path, key)
        else:
            self.fail(
                path,
                f"{field} must be a string (exact match) or a table with one of "
                f'{", ".join(_PATTERN_KINDS)}, e.g. {{ prefix = "3670" }}',
            )
            return None
        try:
            pattern = Pattern.of(kind, text)
        except re.error as exc:
            self.fail(path, f"{field}: bad regular expression: {exc}")
            return None
        never = self._never(field, kind, text)
        if never:
            self.fail(path, f"this scenario can never match: {never}")
            return None
        return pattern

    def _never(self, field: str, kind: PatternKind, text: str) -> str | None:
        literal = kind in ("exact", "prefix", "suffix", "contains")
        if field == "number" and literal and not text.isdigit():
            return f"numbers are digits only, so no number is {kind} {text!r}"
        sender_rule = SENDER_ID if kind == "exact" else _SENDER_PART
        if field == "sender" and literal and not sender_rule.fullmatch(text):
            return (
                "sender IDs are letters and digits, 11 at most (or 15 digits), "
                f"so none is {kind} {text!r}"
            )
        if field == "text" and kind == "exact" and not text:
            return "a message is never empty"
        return None

    def branches(self, table: Mapping[str, Any], path: KeyPath) -> tuple[Branch, ...]:
        given = [key for key in ("progression", "steps", "branch") if key in table]
        if len(given) > 1:
            self.fail((*path, given[1]), f"give one of progression, steps or branch, not {given}")
            return ()
        if "branch" in table:
            raw = table["branch"]
            if not isinstance(raw, list) or not raw:
                self.fail((*path, "branch"), "write branches as [[scenario.branch]] tables")
                return ()
            branches = []
            for index, item in enumerate(raw):
                branch_path = (*path, "branch", index)
                branch_table = self.table(item, branch_path, ("weight", "progression", "steps"))
                if branch_table is None:
                    continue
                weight = self.typed(branch_table, "weight", branch_path, float)
                if weight is None and "weight" not in branch_table:
                    self.fail(branch_path, "a branch needs a weight, e.g. weight = 90")
                elif weight is not None and weight <= 0:
                    self.fail((*branch_path, "weight"), f"weight must be positive, got {weight}")
                steps = self.steps(branch_table, branch_path)
                if weight is not None and weight > 0 and steps:
                    branches.append(Branch(weight, steps))
            return tuple(branches)
        steps = self.steps(table, path)
        return (Branch(1.0, steps),) if steps else ()

    def steps(self, table: Mapping[str, Any], path: KeyPath) -> tuple[Step, ...]:
        if "progression" in table:
            name = table["progression"]
            if name in PROGRESSIONS:
                return PROGRESSIONS[name]
            close = difflib.get_close_matches(str(name), PROGRESSIONS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            self.fail(
                (*path, "progression"),
                f"unknown progression {name!r}; {hint}known: {', '.join(PROGRESSIONS)} "
                "(or write steps = [...])",
            )
            return ()
        if "steps" not in table:
            return ()
        raw = table["steps"]
        if not isinstance(raw, list) or not raw:
            self.fail((*path, "steps"), 'steps must be a list like [{ code = 3, after = "1s" }]')
            return ()
        steps: list[Step] = []
        for index, item in enumerate(raw):
            step_path = (*path, "steps", index)
            step = self.table(item, step_path, ("code", "after", "at", "jitter"))
            if step is None:
                continue
            if "code" not in step:
                self.fail(step_path, 'a step needs a status code, e.g. { code = 6, after = "2s" }')
                continue
            code = self.code(step["code"], (*step_path, "code"), "a status code", range(1, 11))
            if "after" in step and "at" in step:
                self.fail(
                    (*step_path, "at"), "give after (the previous step) or at (the send), not both"
                )
            after = self.delay(step, "after", step_path)
            at = self.delay(step, "at", step_path)
            jitter = self.delay(step, "jitter", step_path) or 0.0
            if code is None:
                continue
            if code in FINAL_CODES and index < len(raw) - 1:
                self.fail(
                    (*step_path, "code"),
                    f"status {code} is final, yet steps follow it; make it the last step",
                )
            since_send = at is not None
            delay = at if at is not None else (after if after is not None else 1.0)
            steps.append(Step(code, delay, since_send, jitter))
        return tuple(steps)

    def send(self, data: object, path: KeyPath) -> SendOverrides | None:
        table = self.table(data, path, ("error", "delay", "price", "parts", "charset"))
        if table is None:
            return None
        error = None
        if "error" in table:
            error = self.code(table["error"], (*path, "error"), "error", ERROR_TEXTS)
        price = self.money(table, "price", path)
        parts = self.typed(table, "parts", path, int)
        if parts is not None and parts < 1:
            self.fail((*path, "parts"), f"parts must be at least 1, got {parts}")
        charset = None
        if "charset" in table:
            names = [c.value for c in Charset]
            if table["charset"] in names:
                charset = Charset(table["charset"])
            else:
                self.fail((*path, "charset"), f"charset must be one of {', '.join(names)}")
        return SendOverrides(
            error=error,
            delay=self.delay(table, "delay", path) or 0.0,
            price=price,
            parts=parts,
            charset=charset,
        )

    def money(self, table: Mapping[str, Any], key: str, path: KeyPath) -> Decimal | None:
        value = self.typed(table, key, path, float)
        if value is None:
            return None
        if value < 0:
            self.fail((*path, key), f"{key} must not be negative, got {value}")
            return None
        return Decimal(str(value))

    def callback(self, data: object, path: KeyPath) -> CallbackOverrides | None:
        known = ("language", "encoding", "mccmnc", "price", "texts", "params")
        table = self.table(data, path, known)
        if table is None:
            return None
        language = self.choice(table, "language", path, LANGUAGES)
        encoding = self.choice(table, "encoding", path, ENCODINGS)
        mccmnc: int | Literal[False] | None = None
        if "mccmnc" in table:
            raw_mccmnc = table["mccmnc"]
            if raw_mccmnc is False:
                mccmnc = False
            elif isinstance(raw_mccmnc, int) and not isinstance(raw_mccmnc, bool):
                mccmnc = raw_mccmnc
            else:
                self.fail((*path, "mccmnc"), "mccmnc must be a network code like 21670, or false")
        texts: dict[int, str] = {}
        raw_texts = self.table(table.get("texts", {}), (*path, "texts"), _STATUS_KEYS)
        for key, text in (raw_texts or {}).items():
            if key not in _STATUS_KEYS:
                continue  # reported as an unknown key
            if isinstance(text, str):
                texts[int(key)] = text
            else:
                self.fail((*path, "texts", key), f"the text for status {key} must be a string")
        params = None
        if "params" in table:
            raw = table["params"]
            if not isinstance(raw, list) or any(p not in PARAMETERS for p in raw):
                self.fail(
                    (*path, "params"),
                    f"params must be a list of parameter names from {', '.join(PARAMETERS)}",
                )
            else:
                params = tuple(raw)
        return CallbackOverrides(
            language=language,
            encoding=encoding,
            mccmnc=mccmnc,
            price=self.money(table, "price", path),
            texts=texts,
            params=params,
        )

    def choice(
        self, table: Mapping[str, Any], key: str, path: KeyPath, valid: Iterable[str]
    ) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        valid = tuple(valid)
        if value not in valid:
            self.fail((*path, key), f"{key} must be one of {', '.join(valid)}, got {value!r}")
            return None
        return cast(str, value)

    def faults(self, data: object, path: KeyPath) -> Faults | None:
        table = self.table(data, path, ("duplicate", "drop", "swap", "late"))
        if table is None:
            return None
        swap = None
        if "swap" in table:
            pair = sorted(self.codes(table, "swap", path))
            if len(pair) == 2:
                swap = (pair[0], pair[1])
            else:
                self.fail((*path, "swap"), "swap takes two different status codes, e.g. [4, 6]")
        late: dict[int, float] = {}
        raw_late = self.table(table.get("late", {}), (*path, "late"), _STATUS_KEYS) or {}
        for key in raw_late:
            delay = self.delay(raw_late, key, (*path, "late"))
            if delay is not None and key in _STATUS_KEYS:
                late[int(key)] = delay
        return Faults(
            duplicate=self.codes(table, "duplicate", path),
            drop=self.codes(table, "drop", path),
            swap=swap,
            late=late,
        )


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
        parser = _FileParser(Path(label).stem)
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
