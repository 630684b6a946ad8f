"""Delivery scenarios: which sends they apply to and what the gateway then does.

The parsed, frozen form of a scenario file (see ``scenario_toml`` for the
format). A scenario turns into a :class:`Plan` for each message: the statuses
with their times and the callbacks in the order they go out, faults applied.
Randomness (branches, jitter) comes from a seeded generator, so a seed gives
the same outcomes on every run.
"""

from __future__ import annotations

import fnmatch
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal, NamedTuple

import re2

from .sms import Charset

__all__ = [
    "FINAL_CODES",
    "PROGRESSIONS",
    "Branch",
    "CallbackOverrides",
    "Faults",
    "Match",
    "Pattern",
    "Plan",
    "PlannedCallback",
    "RegexError",
    "ReplyOption",
    "Scenario",
    "SendOverrides",
    "Step",
]

FINAL_CODES = frozenset({1, 2, 5, 6, 7, 9})
"""Statuses after which nothing follows: SeeMe's final ones and the "not in use" ends."""

PatternKind = Literal["exact", "prefix", "suffix", "glob", "regex", "contains"]


class RegexError(ValueError):
    """A pattern that is not a regular expression RE2 takes."""


def _re2(value: str) -> Any:
    """RE2 matches in time linear in the text, so no pattern a scenario file holds can
    freeze the server (``(a+)+$`` on a long text would, with Python's ``re``)."""
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(value, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise RegexError(f"{reason} (RE2 syntax: no backreferences or lookarounds)") from None


@dataclass(frozen=True)
class Pattern:
    kind: PatternKind
    value: str
    _regex: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, kind: PatternKind, value: str) -> Pattern:
        """Raises RegexError for a bad regex."""
        compiled: Any = None
        if kind == "regex":
            compiled = _re2(value)
        elif kind == "glob":
            compiled = re.compile(fnmatch.translate(value))
        return cls(kind, value, compiled)

    def matches(self, text: str) -> bool:
        if self._regex is not None:
            match = self._regex.search if self.kind == "regex" else self._regex.match
            return match(text) is not None
        if self.kind == "prefix":
            return text.startswith(self.value)
        if self.kind == "suffix":
            return text.endswith(self.value)
        if self.kind == "contains":
            return self.value in text
        return text == self.value


@dataclass(frozen=True)
class Match:
    """All given patterns must match; an empty Match matches every send."""

    number: Pattern | None = None
    sender: Pattern | None = None
    text: Pattern | None = None
    reference: Pattern | None = None

    def matches(self, number: str, sender: str, text: str, reference: str) -> bool:
        return (
            (self.number is None or self.number.matches(number))
            and (self.sender is None or self.sender.matches(sender))
            and (self.text is None or self.text.matches(text))
            and (self.reference is None or self.reference.matches(reference))
        )


@dataclass(frozen=True)
class Step:
    """Status ``code`` ``delay`` seconds after the previous step (or the send), +- ``jitter``."""

    code: int
    delay: float
    since_send: bool = False
    jitter: float = 0.0


def _steps(*codes_and_delays: tuple[int, float]) -> tuple[Step, ...]:
    return tuple(Step(code, delay) for code, delay in codes_and_delays)


PROGRESSIONS: Mapping[str, tuple[Step, ...]] = {
    "delivered": _steps((3, 1), (4, 1), (6, 1)),
    "undeliverable": _steps((3, 1), (4, 1), (7, 1)),
    "stopped": _steps((2, 1)),
    "error": _steps((1, 1)),
    "rejected": _steps((3, 1), (5, 1)),
    "waiting": _steps((3, 1), (4, 1), (8, 1)),
    "expired": _steps((3, 1), (4, 1), (9, 1)),
    "missing": _steps((3, 1), (10, 1)),
    "slow": _steps((3, 1), (4, 1), (6, 300)),
}
"""The usual progressions by name, one second a step (``slow``: delivered after 5 min)."""


@dataclass(frozen=True)
class Branch:
    weight: float
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class SendOverrides:
    """How the send endpoint answers; None keeps the gateway's own answer."""

    error: int | None = None
    delay: float = 0.0
    price: Decimal | None = None
    parts: int | None = None
    charset: Charset | None = None


@dataclass(frozen=True)
class CallbackOverrides:
    language: str | None = None
    encoding: str | None = None
    mccmnc: int | Literal[False] | None = None
    """A network code, False to leave it out, None for the number's own."""
    price: Decimal | None = None
    """The final price when it differs from the estimate (number portability)."""
    texts: Mapping[int, str] = field(default_factory=dict)
    params: tuple[str, ...] | None = None
    """Which parameters are sent; None for SeeMe's usual set."""


@dataclass(frozen=True)
class Faults:
    duplicate: frozenset[int] = frozenset()
    drop: frozenset[int] = frozenset()
    swap: tuple[int, int] | None = None
    late: Mapping[int, float] = field(default_factory=dict)


class PlannedCallback(NamedTuple):
    """A plan's parts are tuples, built for every send and read once (a frozen dataclass
    is built field by field through ``object.__setattr__``, twice as long)."""

    code: int
    status_at: float
    due: float


@dataclass(frozen=True)
class ReplyOption:
    """What the recipient answers, ``after`` seconds after the SMS was delivered; a ``text``
    of None is an option to stay silent."""

    weight: float
    text: str | None
    after: float = 0.0


class Plan(NamedTuple):
    statuses: tuple[tuple[int, float], ...]
    callbacks: tuple[PlannedCallback, ...]
    reply: tuple[float, str] | None = None
    """When the recipient answers and with what, if they do (only after a delivery)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    branches: tuple[Branch, ...]
    match: Match = Match()
    priority: int = 0
    send: SendOverrides = SendOverrides()
    callback: CallbackOverrides = CallbackOverrides()
    faults: Faults = Faults()
    replies: tuple[ReplyOption, ...] = ()
    seed: int | None = None
    origin: str = ""
    """Where it was written, ``file:line``, for messages and the inspector."""

    @cached_property
    def draws_random(self) -> bool:
        """Whether planning draws random numbers (branches or jitter)."""
        return (
            len(self.branches) > 1
            or len(self.replies) > 1
            or any(step.jitter for branch in self.branches for step in branch.steps)
        )

    def plan(
        self, rng: random.Random | None, received_at: float, callback_codes: frozenset[int]
    ) -> Plan:
        """``rng`` may be None when the scenario is not :attr:`draws_random`."""
        branch = self._pick(rng)
        statuses: list[tuple[int, float]] = []
        at = received_at
        for step in branch.steps:
            base = received_at if step.since_send else at
            jitter = rng.uniform(-step.jitter, step.jitter) if rng and step.jitter else 0.0
            at = max(at, base + step.delay + jitter)
            statuses.append((step.code, at))
        return Plan(
            tuple(statuses), self._callbacks(statuses, callback_codes), self._reply(rng, statuses)
        )

    def _reply(
        self, rng: random.Random | None, statuses: list[tuple[int, float]]
    ) -> tuple[float, str] | None:
        """A recipient answers only an SMS that reached them: after status 6."""
        delivered = next((at for code, at in statuses if code == 6), None)
        if delivered is None or not self.replies:
            return None
        option = self.replies[0]
        if rng is not None and len(self.replies) > 1:
            option = rng.choices(self.replies, [o.weight for o in self.replies])[0]
        return None if option.text is None else (delivered + option.after, option.text)

    def _pick(self, rng: random.Random | None) -> Branch:
        if rng is None or len(self.branches) == 1:
            return self.branches[0]
        weights = [branch.weight for branch in self.branches]
        return rng.choices(self.branches, weights)[0]

    def _callbacks(
        self, statuses: list[tuple[int, float]], codes: frozenset[int]
    ) -> tuple[PlannedCallback, ...]:
        faults = self.faults
        planned: list[PlannedCallback] = []
        for code, at in statuses:
            if code not in codes or code in faults.drop:
                continue
            callback = PlannedCallback(code, at, at + faults.late.get(code, 0.0))
            planned += [callback] * (2 if code in faults.duplicate else 1)
        if faults.swap is not None:
            first, second = (
                next((i for i, c in enumerate(planned) if c.code == code), None)
                for code in faults.swap
            )
            if first is not None and second is not None:
                later = max(planned[first].due, planned[second].due)
                a, b = planned[first], planned[second]
                planned[first] = PlannedCallback(b.code, b.status_at, later)
                planned[second] = PlannedCallback(a.code, a.status_at, later)
        return tuple(planned)
