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
from decimal import Decimal
from typing import Any, Literal, cast

from .callback import ENCODINGS, PARAMETERS
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
    RegexError,
    ReplyOption,
    Scenario,
    SendOverrides,
    Step,
)
from .sms import Charset
from .status import LANGUAGES
from .toml_reader import TomlReader, describe_type
from .tomlpos import KeyPath

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - exercised on Python 3.10 only
    pass

__all__ = ["ScenarioParser"]

_PATTERN_KINDS: tuple[PatternKind, ...] = (
    "exact", "prefix", "suffix", "glob", "regex", "contains",
)  # fmt: skip
_SENDER_PART = re.compile(r"[A-Za-z0-9]{0,15}")
_STATUS_KEYS = tuple(str(code) for code in range(1, 11))
_MOST_MONEY = 1e9
"""No SMS costs more than this in any currency SeeMe bills in: a larger price is a typo."""


class ScenarioParser(TomlReader):
    """One file's parsed TOML to scenarios, each problem kept with its key path."""

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
                 "callback", "faults", "reply")  # fmt: skip
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
        replies = self.replies(table.get("reply", []), (*path, "reply"))
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
            replies=replies,
            seed=seed,
        )

    def replies(self, data: object, path: KeyPath) -> tuple[ReplyOption, ...]:
        """``reply = { after = "30s", text = "YES" }``, or weighted ``[[scenario.reply]]``
        tables, one of which may leave ``text`` out: the recipient stays silent."""
        items = [(data, path)] if isinstance(data, dict) else None
        if isinstance(data, list):
            items = [(item, (*path, i)) for i, item in enumerate(data)]
        if items is None:
            self.fail(path, f"reply must be a table or [[scenario.reply]] tables, got "
                            f"{describe_type(data)}")  # fmt: skip
            return ()
        options = []
        for item, where in items:
            table = self.table(item, where, ("weight", "text", "after"))
            if table is None:
                continue
            weight = self.typed(table, "weight", where, float)
            if weight is not None and weight <= 0:
                self.fail((*where, "weight"), f"weight must be positive, got {weight}")
            text = self.typed(table, "text", where, str)
            if text is not None and not text.strip():
                self.fail((*where, "text"), "text must say something; leave it out for silence")
            after = self.delay(table, "after", where) or 0.0
            options.append(ReplyOption(1.0 if weight is None else weight, text, after))
        return tuple(options)

    def match(self, data: object, path: KeyPath) -> Match | None:
        fields = ("number", "sender", "text", "reference")
        table = self.table(data, path, fields)
        if table is None:
            return None
        patterns: dict[str, Pattern] = {}
        for key in fields:
            if key not in table:
                continue
            pattern = self.pattern(table[key], (*path, key), key)
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
                self.fail((*path, key), f"{key} must be a string, got {describe_type(text)}")
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
        except RegexError as exc:
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
        if not 0 <= value <= _MOST_MONEY:  # also false for nan
            self.fail((*path, key), f"{key} must be from 0 to {_MOST_MONEY:g}, got {value}")
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
