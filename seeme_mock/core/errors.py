"""Every error seeme-mock raises on purpose, under one base::

    SeemeMockError               catch this to catch them all
     ├── ConfigError             a setting that cannot work (also a ValueError)
     ├── ScenarioError           scenario files with problems, one file:line:col each (ValueError)
     ├── UsageError              a call whose argument cannot work (also a ValueError)
     ├── ClockError              asked the real clock to move (also a RuntimeError)
     ├── ExpectationError        a test's expectation did not hold (also an AssertionError)
     └── InternalError           seeme-mock itself failed inside the server: a bug, please report

Each text says what was wrong and how to put it right.
"""

from __future__ import annotations

__all__ = [
    "ClockError",
    "ConfigError",
    "ExpectationError",
    "InternalError",
    "ScenarioError",
    "SeemeMockError",
    "UsageError",
]


class SeemeMockError(Exception):
    """The base of every error seeme-mock raises on purpose."""


class ConfigError(SeemeMockError, ValueError):
    """A setting that cannot work; ``setting`` names it (the CLI turns it into a flag)."""

    def __init__(self, message: str, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class ScenarioError(SeemeMockError, ValueError):
    """Every problem in a set of scenario files, one ``file:line:col: message`` a line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class UsageError(SeemeMockError, ValueError):
    """A call with an argument that cannot work: a number that cannot send an SMS, a
    status outside SeeMe's table, time asked to go back."""


class ClockError(SeemeMockError, RuntimeError):
    """Only the manual clock moves on request; the real one keeps its own time."""


class ExpectationError(SeemeMockError, AssertionError):
    """A test expectation about the gateway did not hold; the text says what was seen."""


class InternalError(SeemeMockError):
    """Something failed inside seeme-mock's server; the cause is chained."""
