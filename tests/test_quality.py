"""The code stays typed, lint-clean and formatted: part of the one test command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import seeme_mock
from seeme_mock import parse_scenarios

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        ["mypy", "tests", "conftest.py", "--exclude", "tests/examples"],
    ],
    ids=" ".join,
)
def test_tool_is_happy(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_public_api_is_sorted_and_complete() -> None:
    assert seeme_mock.__all__ == sorted(seeme_mock.__all__)
    for name in seeme_mock.__all__:
        assert hasattr(seeme_mock, name), name


def test_readme_shows_the_quickstart_test_verbatim() -> None:
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / "tests" / "examples" / "test_readme_quickstart.py").read_text()
    assert f"```python\n{example}```" in readme


def test_every_scenario_example_in_the_readme_is_valid() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S)
    full = [block for block in blocks if "[[scenario]]" in block]
    assert len(full) >= 6
    for block in full:
        parse_scenarios(block, "README.md")


def test_py_typed_ships() -> None:
    assert (Path(seeme_mock.__file__).parent / "py.typed").exists()
