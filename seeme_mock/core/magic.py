"""The built-in magic test numbers: a scenario file shipped inside the package."""

from __future__ import annotations

from importlib.resources import files

from .scenario_files import parse_scenarios

__all__ = ["MAGIC_NUMBERS"]

_SOURCE = files("seeme_mock") / "builtin" / "magic_numbers.toml"

MAGIC_NUMBERS = parse_scenarios(_SOURCE.read_text(encoding="utf-8"), "magic_numbers.toml")
