"""Scenario files: every validation error with its exact text and position, and `check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from seeme_mock import ScenarioError, load_scenario_files, parse_scenarios
from seeme_mock.cli import main
from seeme_mock.core.errors import InternalError
from seeme_mock.core.magic import MAGIC_NUMBERS, magic_by_tail
from seeme_mock.core.toml_reader import parse_delay
from seeme_mock.core.tomlpos import locate

ROOT = Path(__file__).resolve().parent.parent
FIX = 'write seconds as a number or a string like "150ms", "2s" or "5 min", not negative'


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(5, 5.0), (2.5, 2.5), ("150ms", 0.15), ("2s", 2.0), ("5 min", 300.0), ("1h", 3600.0),
     ("3 seconds", 3.0), ("1.5 minutes", 90.0), ("0", 0.0)],
)  # fmt: skip
def test_delays(value: object, seconds: float) -> None:
    assert parse_delay(value) == seconds


@pytest.mark.parametrize("value", [-1, "-5 min", "soon", "5 parsecs", True, "", None])
def test_bad_delays(value: object) -> None:
    with pytest.raises(ValueError):
        parse_delay(value)


INVALID = [
    (
        '[[scenario]]\nname = "a"\nprogresion = "delivered"\n',
        "f.toml:3:1: unknown key 'progresion' in [scenario]; did you mean 'progression'?",
    ),
    ("sed = 1\n", "f.toml:1:1: unknown key 'sed' in the file; did you mean 'seed'?"),
    (
        '[[scenario]]\n[[scenario.reply]]\nweight = 0\ntext = "YES"\n',
        "f.toml:3:1: weight must be positive, got 0",
    ),
    (
        '[[scenario]]\nreply = { text = "  " }\n',
        "f.toml:2:11: text must say something; leave it out for silence",
    ),
    (
        '[[scenario]]\nreply = { text = "YES", after = "soon" }\n',
        f"f.toml:2:25: after: 'soon' is not a delay; {FIX}",
    ),
    (
        '[[scenario]]\nreply = "YES"\n',
        "f.toml:2:1: reply must be a table or [[scenario.reply]] tables, got a string",
    ),
    (
        '[[scenario]]\nmatch = { nubmer = "3630" }\n',
        "f.toml:2:11: unknown key 'nubmer' in [scenario.match]; did you mean 'number'?",
    ),
    (
        '[[scenario]]\nmatch = { colour = "red" }\n',
        "f.toml:2:11: unknown key 'colour' in [scenario.match]; known: number, sender, text, "
        "reference",
    ),
    ('[[scenario]]\npriority = "high"\n', "f.toml:2:1: priority must be an integer, got a string"),
    (
        '[[scenario]]\nsteps = [\n  { code = 3 },\n  { code = 11, after = "1s" },\n]\n',
        "f.toml:4:5: a status code must be one of 1..10, got 11",
    ),
    (
        "[[scenario]]\nsteps = [{ code = 6, after = -2 }]\n",
        f"f.toml:2:22: after: -2 is negative; {FIX}",
    ),
    (
        '[[scenario]]\nsteps = [{ code = 6, after = "soon" }]\n',
        f"f.toml:2:22: after: 'soon' is not a delay; {FIX}",
    ),
    (
        '[[scenario]]\n[[scenario.branch]]\nweight = 0\nprogression = "delivered"\n',
        "f.toml:3:1: weight must be positive, got 0",
    ),
    (
        '[[scenario]]\n[[scenario.branch]]\nweight = -3\nprogression = "delivered"\n',
        "f.toml:3:1: weight must be positive, got -3",
    ),
    (
        '[[scenario]]\n[[scenario.branch]]\nprogression = "delivered"\n',
        "f.toml:2:12: a branch needs a weight, e.g. weight = 90",
    ),
    (
        "[[scenario]]\nsteps = [{ code = 6 }, { code = 4 }]\n",
        "f.toml:2:12: status 6 is final, yet steps follow it; make it the last step",
    ),
    (
        '[[scenario]]\nmatch = { number = { prefix = "+36" } }\n',
        "f.toml:2:22: this scenario can never match: numbers are digits only, "
        "so no number is prefix '+36'",
    ),
    (
        '[[scenario]]\nmatch = { sender = "My-Shop" }\n',
        "f.toml:2:11: this scenario can never match: sender IDs are letters and digits, "
        "11 at most (or 15 digits), so none is exact 'My-Shop'",
    ),
    (
        '[[scenario]]\nmatch = { sender = "ABCDEFGHIJKL" }\n',
        "f.toml:2:11: this scenario can never match: sender IDs are letters and digits, "
        "11 at most (or 15 digits), so none is exact 'ABCDEFGHIJKL'",
    ),
    (
        '[[scenario]]\nname = "all"\n[[scenario]]\nname = "later"\n'
        'match = { number = "36301234567" }\n',
        "f.toml:3:3: scenario 'later' can never match: 'all' (f.toml:1) matches every send "
        "and comes first; give this one a higher priority or narrow the other's match",
    ),
    (
        '[[scenario]]\nname="a"\nmatch = { sender = "X" }\n'
        '[[scenario]]\nname = "b"\nmatch = { sender = "X" }\n',
        "f.toml:4:3: scenario 'b' can never match: 'a' (f.toml:1) has the same match and "
        "comes first; give this one a higher priority or narrow the other's match",
    ),
    (
        '[[scenario]]\nmatch = { text = { regex = "(" } }\n',
        "f.toml:2:20: text: bad regular expression: missing ): ( (RE2 syntax: no "
        "backreferences or lookarounds)",
    ),
    (
        '[[scenario]]\nmatch = { text = { regex = "(a)\\\\1" } }\n',
        "f.toml:2:20: text: bad regular expression: invalid escape sequence: \\1 (RE2 syntax: "
        "no backreferences or lookarounds)",
    ),
    (
        '[[scenario]]\nmatch = { number = { prefx = "36" } }\n',
        "f.toml:2:22: unknown key 'prefx' in [scenario.match.number]; did you mean 'prefix'?",
    ),
    (
        "[[scenario]]\nname = delivered\n",
        "f.toml:2:8: Invalid value (not valid TOML; strings need quotes, tables [brackets])",
    ),
    (
        '[[scenario]]\nprogression = "delivred"\n',
        "f.toml:2:1: unknown progression 'delivred'; did you mean 'delivered'? known: "
        "delivered, undeliverable, stopped, error, rejected, waiting, expired, missing, slow "
        "(or write steps = [...])",
    ),
    (
        '[[scenario]]\nprogression = "delivered"\nsteps = [{ code = 6 }]\n',
        "f.toml:3:1: give one of progression, steps or branch, not ['progression', 'steps']",
    ),
    (
        "[[scenario]]\nsend = { error = 10 }\n",
        "f.toml:2:10: error must be one of 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, "
        "17, 18, got 10",
    ),
    (
        '[[scenario]]\nsteps = [{ code = 6, after = "1s", at = "2s" }]\n',
        "f.toml:2:36: give after (the previous step) or at (the send), not both",
    ),
    (
        "[[scenario]]\nfaults = { swap = [4] }\n",
        "f.toml:2:12: swap takes two different status codes, e.g. [4, 6]",
    ),
    (
        '[[scenario]]\ncallback = { language = "de" }\n',
        "f.toml:2:14: language must be one of en, hu, ro, sk, cs, got 'de'",
    ),
    (
        '[[scenario]]\ncallback = { params = ["code", "status"] }\n',
        "f.toml:2:14: params must be a list of parameter names from reference, number, sender, "
        "code, message, price, timestamp, mccmnc, split",
    ),
    (
        '[[scenario]]\nname="a"\nmatch = { sender = "X" }\n'
        '[[scenario]]\nname = "a"\nmatch = { sender = "Y" }\n',
        "f.toml:4:3: a scenario named 'a' already stands at f.toml:1; give each scenario its "
        "own name",
    ),
    ("scenario = 5\n", "f.toml:1:1: write scenarios as [[scenario]] tables"),
    (
        '[[scenario]]\ncallback = { mccmnc = "21670" }\n',
        "f.toml:2:14: mccmnc must be a network code like 21670, or false",
    ),
    (
        '[[scenario]]\nsend = { charset = "UCS-2" }\n',
        "f.toml:2:10: charset must be one of GSM-7, UTF-8",
    ),
]


@pytest.mark.parametrize(("text", "problem"), INVALID)
def test_each_problem_with_its_position(text: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as error:
        parse_scenarios(text, "f.toml")
    assert error.value.problems == [problem]


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    text = '[[scenario]]\npriority = "x"\nsteps = [{ code = 0 }]\nfoo = 1\n'
    with pytest.raises(ScenarioError) as error:
        parse_scenarios(text, "f.toml")
    assert [p.split(": ")[0] for p in error.value.problems] == [
        "f.toml:4:1", "f.toml:2:1", "f.toml:3:12",
    ]  # fmt: skip


def test_parsed_scenarios_are_frozen() -> None:
    [scenario] = parse_scenarios('[[scenario]]\nname = "x"\nprogression = "stopped"\n', "f.toml")
    with pytest.raises(AttributeError):
        scenario.name = "y"  # type: ignore[misc]
    assert scenario.origin == "f.toml:1"
    assert [step.code for step in scenario.branches[0].steps] == [2]


def test_locator_follows_nested_tables_and_arrays() -> None:
    text = (
        "[[scenario]]\n[[scenario.branch]]\nweight = 1\n"
        "[[scenario]]\n[[scenario.branch]]\nweight = 2\n[[scenario.branch]]\n"
        "steps = [\n  { code = 3 },\n  { code = 6 }\n]\n"
    )
    positions = locate(text)
    assert positions["scenario", 1, "branch", 0, "weight"] == (6, 1)
    assert positions["scenario", 1, "branch", 1, "steps", 1, "code"] == (10, 5)


def test_check_prints_only_a_count_for_good_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # `seeme-mock check` reads scenarios/ by default
    assert main(["check"]) == 0
    assert capsys.readouterr() == ("17 scenarios OK\n", "")


def test_check_prints_each_problem_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "a.toml").write_text('[[scenario]]\nsteps = [{ code = 6, after = "soon" }]\n')
    (tmp_path / "b.toml").write_text("[[scenario]]\nsend = { eror = 8 }\n")
    assert main(["check", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{tmp_path / 'a.toml'}:2:22: after: 'soon' is not a delay; {FIX}",
        f"{tmp_path / 'b.toml'}:2:10: unknown key 'eror' in [scenario.send]; did you mean 'error'?",
    ]


def test_serve_refuses_to_start_on_an_invalid_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[scenario]]\nprogression = "delivred"\n')
    assert main(["serve", "--port", "0", "--scenarios", str(bad)]) == 1
    assert f"{bad}:2:1: unknown progression 'delivred'" in capsys.readouterr().err


def test_a_missing_path_is_a_problem_too(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as error:
        load_scenario_files([tmp_path / "nope.toml", tmp_path])
    assert error.value.problems[0].startswith(f"{tmp_path / 'nope.toml'}:1:1: cannot read the file")
    assert error.value.problems[1] == f"{tmp_path}: no *.toml scenario files in this folder"


def test_check_warns_when_a_scenario_takes_the_magic_numbers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "texts.toml").write_text(
        '[[scenario]]\nname = "Hungarian texts"\ncallback = { language = "hu" }\n'
    )
    assert main(["check", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "1 scenarios OK"
    assert out[1].startswith(
        f"{tmp_path / 'texts.toml'}:1: warning: scenario 'Hungarian texts' is tried before 24 "
        "magic numbers and takes their sends"
    )
    assert out[1].endswith(
        "give it priority = -1 to let the magic numbers win, or narrow its match"
    )
    (tmp_path / "texts.toml").write_text(
        '[[scenario]]\nname = "Hungarian texts"\npriority = -1\ncallback = { language = "hu" }\n'
    )
    assert main(["check", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "1 scenarios OK\n"


def test_the_magic_numbers_index_refuses_a_scenario_it_cannot_look_up() -> None:
    """Sends find their magic scenario by the number's last 7 digits; a shipped magic
    scenario matching anything else would never be found, so it fails loudly instead."""
    assert len(magic_by_tail(MAGIC_NUMBERS)) == len(MAGIC_NUMBERS)
    [loose] = parse_scenarios(
        '[[scenario]]\nname = "x"\nmatch = { text = { contains = "x" } }\n', "x.toml"
    )
    with pytest.raises(InternalError, match="'x' must match a number suffix of 7 digits"):
        magic_by_tail([loose])
