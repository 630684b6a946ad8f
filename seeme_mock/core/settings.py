"""One description per setting: name, type, default, help and validation, written once on
the dataclass field it fills. Every face derives its options from it: ``seeme-mock serve``
flags, the pytest plugin's ini and command-line options, the marker's keywords and the
admin API's view of the config.

A setting is read from text (``parse``: flags, ini lines, query strings), checked as a
value (``check``: a config built in Python), and shown as JSON (``show``). Both reading
and checking raise ValueError with a message that says what would be right; the faces
prefix it with the setting's name in their own spelling (``--retry-factor``,
``seeme_retry_factor``...).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Generic, TypeVar, cast

from .errors import ConfigError

__all__ = [
    "LONGEST_DELAY",
    "Kind",
    "Setting",
    "build",
    "check_fields",
    "choice",
    "flag",
    "many",
    "money",
    "nested",
    "number",
    "seconds",
    "setting",
    "settings_of",
    "text",
    "value_at",
    "whole",
]

T = TypeVar("T")

_SPEC = "seeme_mock.setting"
_NESTED = "seeme_mock.nested"

LONGEST_DELAY = 366 * 86400.0
"""A year: any wait or delay beyond it is a typo, and would overflow datetime arithmetic."""


@dataclass(frozen=True)
class Kind(Generic[T]):
    """How values of one type are read from text, checked and shown."""

    read: Callable[[str], T]
    check: Callable[[T], None] = lambda value: None
    show: Callable[[T], Any] = lambda value: None if value is None else str(value)
    metavar: str = "VALUE"
    choices: tuple[str, ...] | None = None

    def parse(self, raw: str) -> T:
        value = self.read(raw.strip())
        self.check(value)
        return value


@dataclass(frozen=True)
class Setting:
    name: str
    """Its one name: the marker keyword, the admin view's key, ``seeme_<name>`` in ini."""
    kind: Kind[Any]
    default: Any
    help: str
    group: str
    path: tuple[str, ...]
    """Where it lives in the config, e.g. ("retry", "attempts")."""
    flag: str
    """The ``serve`` option; ``--no-...`` for a switch that is on by default."""
    repeatable: bool = False
    """The flag may be given several times; in ini and marker text, comma-separated."""

    def parse(self, raw: str) -> Any:
        """Text to value; ConfigError that names the setting when it cannot be one."""
        try:
            return self.kind.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{self.name}: {exc}", setting=self.name) from None

    def show_default(self) -> str:
        shown = self.kind.show(self.default)
        if shown in (None, "", []):
            return "none"
        if isinstance(shown, list):
            return ",".join(str(item) for item in shown)
        return str(shown).lower() if isinstance(shown, bool) else str(shown)


def setting(
    default: Any,
    kind: Kind[Any],
    help: str,
    *,
    group: str,
    name: str = "",
    flag: str = "",
    repeatable: bool = False,
) -> Any:
    """A dataclass field that describes itself; see :func:`settings_of`."""
    spec = {"kind": kind, "help": help, "group": group, "name": name, "flag": flag}
    return field(default=default, metadata={_SPEC: {**spec, "repeatable": repeatable}})


def nested(cls: type[Any]) -> Any:
    """A dataclass field holding another described dataclass (its settings are flattened)."""
    return field(default_factory=cls, metadata={_NESTED: cls})


def settings_of(cls: type[Any], path: tuple[str, ...] = ()) -> Iterator[Setting]:
    for item in dataclasses.fields(cls):
        if _NESTED in item.metadata:
            yield from settings_of(item.metadata[_NESTED], (*path, item.name))
            continue
        spec = item.metadata.get(_SPEC)
        if spec is None:
            continue
        name = spec["name"] or item.name
        yield Setting(
            name=name,
            kind=spec["kind"],
            default=item.default,
            help=spec["help"],
            group=spec["group"],
            path=(*path, item.name),
            flag=spec["flag"] or "--" + name.replace("_", "-"),
            repeatable=spec["repeatable"],
        )


def value_at(instance: Any, setting: Setting) -> Any:
    """The value ``setting`` has in ``instance`` (following nested dataclasses)."""
    value = instance
    for name in setting.path:
        value = getattr(value, name)
    return value


def check_fields(instance: Any) -> None:
    """Check each described field of ``instance`` (a dataclass, in ``__post_init__``)."""
    for item in dataclasses.fields(instance):
        spec = item.metadata.get(_SPEC)
        if spec is None:
            continue
        name = spec["name"] or item.name
        try:
            spec["kind"].check(getattr(instance, item.name))
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}", setting=name) from None


def build(cls: type[T], values: Mapping[str, Any], settings: tuple[Setting, ...]) -> T:
    """``cls`` from values by setting name (the rest default); nested dataclasses too."""
    by_path: dict[tuple[str, ...], Any] = {
        s.path: values[s.name] for s in settings if s.name in values
    }
    return _build(cls, by_path, ())


def _build(cls: type[T], by_path: Mapping[tuple[str, ...], Any], path: tuple[str, ...]) -> T:
    arguments: dict[str, Any] = {}
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        here = (*path, item.name)
        if _NESTED in item.metadata:
            if any(p[: len(here)] == here for p in by_path):
                arguments[item.name] = _build(item.metadata[_NESTED], by_path, here)
        elif here in by_path:
            arguments[item.name] = by_path[here]
    return cls(**arguments)


# -- kinds ----------------------------------------------------------------------


def _same(value: T) -> T:
    return value


def text() -> Kind[str]:
    return Kind(str, metavar="TEXT")


def _read_int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a whole number") from None


def whole(low: int, high: int) -> Kind[int]:
    def check(value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"give a whole number from {low} to {high}, got {value!r}")

    return Kind(_read_int, check, _same, metavar="N")


def _read_float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a number") from None


def number(low: float, high: float, *, above: bool = False, unit: str = "a number") -> Kind[float]:
    """From ``low`` (or just above it) up to ``high``; never nan or infinite."""
    bound = f"above {low:g}" if above else f"from {low:g}"

    def check(value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"give {unit} {bound} to {high:g}, got {value!r}")
        too_low = value <= low if above else value < low
        if not math.isfinite(value) or too_low or value > high:
            raise ValueError(f"give {unit} {bound} to {high:g}, got {value!r}")

    return Kind(_read_float, check, _same, metavar="N" if unit == "a number" else unit.upper())


def seconds(low: float = 0.0, *, above: bool = False, high: float = LONGEST_DELAY) -> Kind[float]:
    return number(low, high, above=above, unit="seconds")


def _read_money(raw: str) -> Decimal:
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not an amount, e.g. 13.90") from None


def _check_money(value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"give a non-negative amount as a Decimal, e.g. 13.90, got {value!r}")


def money() -> Kind[Decimal]:
    return Kind(_read_money, _check_money, metavar="AMOUNT")


def choice(values: tuple[str, ...], enum: type[Enum] | None = None) -> Kind[Any]:
    """One of ``values``; with ``enum``, that enum's member of the same value."""

    def read(raw: str) -> Any:
        if raw not in values:
            raise ValueError(f"{raw!r} is not one of {', '.join(values)}")
        return raw if enum is None else enum(raw)

    def check(value: Any) -> None:
        plain = value.value if isinstance(value, Enum) else value
        if plain not in values:
            raise ValueError(f"{value!r} is not one of {', '.join(values)}")

    def show(value: Any) -> str:
        return str(value.value if isinstance(value, Enum) else value)

    return Kind(read, check, show, metavar="{" + ",".join(values) + "}", choices=values)


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def _read_flag(raw: str) -> bool:
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not true or false")


def _check_flag(value: bool) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"give true or false, got {value!r}")


def flag() -> Kind[bool]:
    return Kind(_read_flag, _check_flag, _same, metavar="BOOL")


def many(item: Kind[str], *, none_when_empty: bool = False, ordered: bool = False) -> Kind[Any]:
    """A set of items, comma-separated in text; ``none_when_empty``: no items means None
    (no restriction), as for approved sender IDs; ``ordered``: a tuple in the order given
    (the first counts), not a frozenset."""
    collection: type[tuple[Any, ...]] | type[frozenset[Any]] = tuple if ordered else frozenset

    def read(raw: str) -> Any:
        parts = [item.parse(part) for part in raw.split(",") if part.strip()]
        items = tuple(dict.fromkeys(parts)) if ordered else frozenset(parts)
        return None if none_when_empty and not items else items

    def check(value: Any) -> None:
        if value is None and none_when_empty:
            return
        if not isinstance(value, collection):
            raise ValueError(f"give a {collection.__name__}, got {value!r}")
        for one in cast(Iterable[str], value):
            item.check(one)

    def show(value: Any) -> list[str] | None:
        if value is None:
            return None
        return list(value) if ordered else sorted(value)

    return Kind(read, check, show, metavar=item.metavar)
