"""Reading parsed TOML with every problem kept, each with the key path where it stands
(:mod:`.tomlpos` turns paths into line:col), so a file is reported whole, not one error
at a time; and delays written as people write them ("150ms", "2s", "5 min")."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from .settings import LONGEST_DELAY
from .tomlpos import KeyPath

__all__ = ["Problem", "TomlReader", "describe_type", "parse_delay"]

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


def parse_delay(value: object) -> float:
    """Seconds from 5, 2.5, "150ms", "2s", "5 min" or "1h", a year at most; ValueError
    otherwise."""
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        found = _DELAY.fullmatch(value)
        if found:
            seconds = float(found["number"]) * _UNITS[found["unit"] or "s"]
        elif value.strip().startswith("-"):
            raise ValueError(f"{value!r} is negative")
    if seconds is None or math.isnan(seconds):
        raise ValueError(f"{value!r} is not a delay")
    if seconds < 0:
        raise ValueError(f"{value!r} is negative")
    if seconds > LONGEST_DELAY:
        raise ValueError(f"{value!r} is longer than a year")
    return seconds


@dataclass
class Problem:
    path: KeyPath
    message: str


class TomlReader:
    """Walks one file's parsed data, collecting problems with their key paths."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(path, message))

    def table(self, data: object, path: KeyPath, known: Iterable[str]) -> dict[str, Any] | None:
        if not isinstance(data, dict):
            self.fail(path, f"{_name(path)} must be a table, got {describe_type(data)}")
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
            self.fail((*path, key), f"{key} must be {_article(kind)}, got {describe_type(value)}")
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


def describe_type(value: object) -> str:
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
