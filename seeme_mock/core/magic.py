"""The built-in magic test numbers: a scenario file shipped inside the package."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import files

from .errors import InternalError
from .scenario import Scenario
from .scenario_files import parse_scenarios

__all__ = ["MAGIC_NUMBERS", "MAGIC_TAIL", "magic_by_tail", "shadowed_magic"]

_SOURCE = files("seeme_mock") / "builtin" / "magic_numbers.toml"

MAGIC_NUMBERS = parse_scenarios(_SOURCE.read_text(encoding="utf-8"), "magic_numbers.toml")

MAGIC_TAIL = 7
"""Digits of the number suffix that picks a magic scenario."""


def magic_by_tail(scenarios: Iterable[Scenario]) -> dict[str, Scenario]:
    """The magic scenarios by the number tail each matches: a send looks its tail up
    instead of trying all of them in turn. Each must match on a MAGIC_TAIL-digit number
    suffix and nothing else; every gateway builds this index, so a shipped file that
    breaks the rule fails at once."""
    index = {}
    for scenario in scenarios:
        match = scenario.match
        pattern = match.number
        if (
            pattern is None
            or pattern.kind != "suffix"
            or len(pattern.value) != MAGIC_TAIL
            or (match.sender, match.text, match.reference) != (None, None, None)
        ):
            raise InternalError(f"magic scenario {scenario.name!r} must match a number suffix "
                             f"of {MAGIC_TAIL} digits and nothing else")  # fmt: skip
        index[pattern.value] = scenario
    return index


def shadowed_magic(scenarios: Iterable[Scenario]) -> list[str]:
    """A warning for each scenario that would take sends of magic numbers from them (it
    is tried first): a magic undeliverable number would then end as that scenario says."""
    warnings = []
    for scenario in scenarios:
        if scenario.priority < 0:
            continue  # tried after the magic numbers
        taken = [m for m in MAGIC_NUMBERS if _takes(scenario, m)]
        if taken:
            warnings.append(
                f"{scenario.origin}: warning: scenario {scenario.name!r} is tried before "
                f"{len(taken)} magic numbers and takes their sends (e.g. {taken[0].name!r}); "
                "give it priority = -1 to let the magic numbers win, or narrow its match"
            )
    return warnings


def _takes(scenario: Scenario, magic: Scenario) -> bool:
    """Whether ``scenario`` matches a send to ``magic``'s number with no sender, text or
    reference constraint of its own that would tell them apart."""
    pattern = magic.match.number
    if pattern is None or pattern.kind != "suffix":
        return False
    sample = "3630" + pattern.value
    match = scenario.match
    if match.sender is not None or match.text is not None or match.reference is not None:
        return False
    return match.number is None or match.number.matches(sample)
