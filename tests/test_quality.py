"""The code stays typed, lint-clean and formatted: part of the one test command."""

from __future__ import annotations

import re
import subprocess
import sys
import types
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


def test_all_public_names_are_exported() -> None:
    """``__all__`` is exactly the package's public names (its submodules aside), sorted."""
    public = sorted(
        name
        for name, value in vars(seeme_mock).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    )
    assert seeme_mock.__all__ == public


def test_every_error_is_a_seeme_mock_error_and_drawn_in_its_tree() -> None:
    tree = seeme_mock.SeemeMockError.__module__
    errors = [
        value
        for value in vars(seeme_mock).values()
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert len(errors) >= 6
    doc = sys.modules[tree].__doc__ or ""
    for error in errors:
        assert issubclass(error, seeme_mock.SeemeMockError), error
        assert error.__name__ in doc, f"{error.__name__} is missing from the tree in {tree}"


def test_every_python_block_in_the_readme_runs_in_a_test_or_says_why_not() -> None:
    """A block is a file of tests/examples, verbatim, which test_plugin runs in an empty
    project; or it says it is a fragment, and why."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(
        r"(<!-- (example|fragment): ([^>]*) -->\n)?```python\n(.*?)```", readme, re.S
    )
    assert len(blocks) >= 7
    for _, kind, said, code in blocks:
        assert kind, f"a README block says neither example nor fragment:\n{code[:200]}"
        if kind == "example":
            assert (ROOT / said.strip()).read_text() == code, said
        else:
            assert said.strip(), "a fragment says why it is one"


def test_every_scenario_example_in_the_readme_is_valid() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S)
    full = [block for block in blocks if "[[scenario]]" in block]
    assert len(full) >= 6
    for block in full:
        parse_scenarios(block, "README.md")


def test_py_typed_ships() -> None:
    assert (Path(seeme_mock.__file__).parent / "py.typed").exists()
