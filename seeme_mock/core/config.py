"""Everything about the emulated SeeMe account that a user may want to change.

Defaults follow SeeMe's documentation; where the documentation is silent the
default is our guess, and the option to change it is the escape hatch. Each field
describes itself once (:mod:`.settings`): ``seeme-mock serve --help``, the pytest
options, the marker and ``GET /__admin/config`` are all derived from it.
"""

from __future__ import annotations

import codecs
import difflib
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .allow import check_ip_range, check_pattern
from .callback import ENCODINGS
from .errors import ConfigError
from .inbox import check_number, check_prefix
from .protocol import SENDER_ID, Format, Rejection, is_http_url, parse_callback_codes
from .scenario import PROGRESSIONS, Scenario, Step
from .scenario_files import load_scenario_files
from .settings import (
    LONGEST_DELAY,
    Kind,
    Setting,
    build,
    check_fields,
    choice,
    flag,
    many,
    money,
    nested,
    number,
    seconds,
    setting,
    settings_of,
    text,
    value_at,
    whole,
)
from .status import LANGUAGES, STATUS_CODES

__all__ = [
    "DEFAULT_BALANCE",
    "DEFAULT_PROGRESSION",
    "GATEWAY_SETTINGS",
    "ConfigError",
    "GatewayConfig",
    "RetryPolicy",
    "config_from",
]

DEFAULT_BALANCE = Decimal("1000000000")
"""Enough that a long load run never hits code 7; set a small one to test it."""
DEFAULT_PROGRESSION = PROGRESSIONS["delivered"]
"""3, 4 and 6, a second apart: what every send does that no scenario claims."""


# -- the kinds of this account's settings ------------------------------------------


def _read_url(raw: str) -> str | None:
    return raw or None


def _check_url(value: str | None) -> None:
    if value is not None and not is_http_url(value):
        raise ValueError(f"{value!r} is not an http:// or https:// URL with a host")


def _read_codes(raw: str) -> frozenset[int]:
    if raw in ("", "none"):
        return frozenset()
    try:
        return parse_callback_codes(raw)
    except Rejection:
        raise ValueError(
            f"{raw!r} is not a list of status codes 1..10 like 4,6,7 (or 'all')"
        ) from None


def _check_codes(value: frozenset[int]) -> None:
    bad = sorted(code for code in value if code not in STATUS_CODES)
    if not isinstance(value, frozenset) or bad:
        raise ValueError(f"give a frozenset of status codes 1..10, got {value!r}")


def _show_codes(value: frozenset[int]) -> list[int]:
    return sorted(value)


def _read_delays(raw: str) -> tuple[Step, ...]:
    try:
        delays = [float(part) for part in raw.split(",")]
    except ValueError:
        delays = []
    if len(delays) != len(DEFAULT_PROGRESSION):
        raise ValueError(
            f"{raw!r}: give three delays in seconds after the send for statuses 3, 4 and 6, "
            "e.g. 1,2,3"
        )
    return tuple(
        Step(step.code, delay, since_send=True)
        for step, delay in zip(DEFAULT_PROGRESSION, delays, strict=True)
    )


def _check_delays(value: tuple[Step, ...]) -> None:
    bad = [step.code for step in value if step.code not in STATUS_CODES]
    if bad:
        raise ValueError(f"status codes must be 1..10, got {bad}")
    delays = [step.delay for step in value]
    since_send = [step.delay for step in value if step.since_send]
    if not all(0 <= d <= LONGEST_DELAY for d in delays) or since_send != sorted(since_send):
        raise ValueError(f"delays must be 0 to {LONGEST_DELAY:g} s and increasing, got {delays}")


def _show_delays(value: tuple[Step, ...]) -> str:
    """As --delays takes them (1,2,3) when the codes are 3, 4, 6; else code@seconds."""
    at, times = 0.0, []
    for step in value:
        at = step.delay if step.since_send else at + step.delay
        times.append(at)
    if [step.code for step in value] == [step.code for step in DEFAULT_PROGRESSION]:
        return ",".join(f"{t:g}" for t in times)
    return ",".join(f"{step.code}@{t:g}" for step, t in zip(value, times, strict=True))


def _check_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name like Europe/Budapest"
        ) from None


def _check_encoding(value: str) -> None:
    try:
        name = codecs.lookup(value).name
    except LookupError:
        name = ""
    if name not in {codecs.lookup(known).name for known in ENCODINGS}:
        raise ValueError(f"{value!r} is not one of {', '.join(ENCODINGS)}")


def _check_header(value: str) -> None:
    name, sep, text = value.partition(":")
    if not sep or not _TOKEN.fullmatch(name.strip()) or not text.strip().isprintable():
        raise ValueError(f"{value!r} is not a header like 'X-Forwarded-For: 80.249.169.123'")


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _check_sender(value: str) -> None:
    if not SENDER_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a sender ID (letters and digits, 11 at most)")


def _check_key(value: str) -> None:
    if not value or not value.isprintable() or " " in value:
        raise ValueError(f"{value!r} is not an API key")


def _read_scenarios(raw: str) -> tuple[Scenario, ...]:
    return load_scenario_files(Path(part.strip()) for part in raw.split(",") if part.strip())


def _check_scenarios(value: tuple[Scenario, ...]) -> None:
    if not isinstance(value, tuple) or not all(isinstance(s, Scenario) for s in value):
        raise ValueError("give a tuple of Scenario (from load_scenario_files or parse_scenarios)")


def _show_scenarios(value: tuple[Scenario, ...]) -> list[str]:
    return [scenario.name for scenario in value]


URL: Kind[str | None] = Kind(_read_url, _check_url, metavar="URL")
CODES: Kind[frozenset[int]] = Kind(_read_codes, _check_codes, _show_codes, metavar="CODES")
DELAYS: Kind[tuple[Step, ...]] = Kind(_read_delays, _check_delays, _show_delays, "S3,S4,S6")
TIMEZONE: Kind[str] = Kind(str, _check_timezone, metavar="ZONE")
ENCODING: Kind[str] = Kind(str, _check_encoding, metavar="{" + ",".join(ENCODINGS) + "}")
SCENARIOS: Kind[tuple[Scenario, ...]] = Kind(
    _read_scenarios, _check_scenarios, _show_scenarios, metavar="PATH"
)
MONEY = money()


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: by default 6 attempts spread over about two minutes."""

    attempts: int = setting(
        6, whole(1, 100), "attempts per callback before it is given up",
        group="callbacks", name="retry_attempts",
    )  # fmt: skip
    first_delay: float = setting(
        4.0, seconds(), "seconds before the first retry",
        group="callbacks", name="retry_delay",
    )  # fmt: skip
    factor: float = setting(
        2.0, number(1.0, 100.0), "each further retry waits this many times longer",
        group="callbacks", name="retry_factor",
    )  # fmt: skip
    timeout: float = setting(
        5.0, seconds(0.0, above=True, high=3600.0),
        "seconds to wait for the SUT's answer to a callback",
        group="callbacks", name="callback_timeout",
    )  # fmt: skip

    def __post_init__(self) -> None:
        check_fields(self)

    def delay_after(self, failed_attempts: int) -> float:
        return self.first_delay * self.factor ** (failed_attempts - 1)


@dataclass(frozen=True)
class GatewayConfig:
    keys: frozenset[str] = setting(
        frozenset(), many(Kind(str, _check_key, metavar="KEY")),
        "accept only these API keys; none: any key that passes the official client's checksum",
        group="account", name="keys", flag="--key", repeatable=True,
    )  # fmt: skip
    allowed_senders: frozenset[str] | None = setting(
        None, many(Kind(str, _check_sender, metavar="ID"), none_when_empty=True),
        "approved sender IDs; none: any well-formed one",
        group="account", flag="--sender", repeatable=True,
    )  # fmt: skip
    allowed_ips: frozenset[str] = setting(
        frozenset(), many(Kind(str, check_ip_range, metavar="IP")),
        "only these client addresses may send: an address, a CIDR range or FIRST-LAST "
        "(method=setip adds more); none: all may",
        group="account", flag="--allow-ip", repeatable=True,
    )  # fmt: skip
    balance: Decimal = setting(
        DEFAULT_BALANCE, MONEY, "starting balance (large, so a load run never runs dry)",
        group="account",
    )  # fmt: skip
    currency: str = setting("HUF", text(), "currency of balance answers", group="account")
    unit_price: Decimal = setting(Decimal("13.90"), MONEY, "price of one SMS part", group="account")
    default_format: Format = setting(
        Format.STRING, choice(tuple(f.value for f in Format), Format),
        "answer format when a send names none", group="account",
    )  # fmt: skip
    max_parts: int = setting(
        3, whole(1, 255), "longest message in parts (3: 459 GSM-7 / 201 UCS-2 characters)",
        group="account",
    )  # fmt: skip
    callback_url: str | None = setting(
        None, URL, "where callbacks go when a send names no callbackurl", group="callbacks"
    )
    callback_allow: frozenset[str] = setting(
        frozenset(), many(Kind(str, check_pattern, metavar="PATTERN")),
        "callbacks may go only to these: host, host:port, *.suffix or CIDR; a send naming "
        "another callbackurl gets code 17; none: anywhere",
        group="callbacks", repeatable=True,
    )  # fmt: skip
    callback_headers: tuple[str, ...] = setting(
        (), many(Kind(str, _check_header, metavar="'NAME: VALUE'"), ordered=True),
        "headers added to every callback and inbox forward, e.g. 'X-Forwarded-For: "
        "80.249.169.123' (SeeMe's address) for a SUT behind a proxy",
        group="callbacks", flag="--callback-header", repeatable=True,
    )  # fmt: skip
    callback_codes: frozenset[int] = setting(
        frozenset(), CODES,
        "status codes reported when a send has no callback= parameter, e.g. 4,6,7 or all; "
        "none: such a send gets no callbacks",
        group="callbacks",
    )  # fmt: skip
    progression: tuple[Step, ...] = setting(
        DEFAULT_PROGRESSION, DELAYS,
        "seconds after the send of statuses 3, 4 and 6 for sends no scenario claims",
        group="callbacks", flag="--delays",
    )  # fmt: skip
    language: str = setting("en", choice(LANGUAGES), "status text language", group="callbacks")
    encoding: str = setting(
        "iso-8859-2", ENCODING, "charset of the percent-encoded callback text", group="callbacks"
    )
    timezone: str = setting(
        "Europe/Budapest", TIMEZONE, "time zone of callback timestamps", group="callbacks"
    )
    timestamp: Literal["status", "attempt"] = setting(
        "status", choice(("status", "attempt")),
        "a callback's timestamp: when the status happened, or when each attempt is sent",
        group="callbacks",
    )  # fmt: skip
    send_mccmnc: bool = setting(
        True, flag(), "send mccmnc (the network code) in callbacks",
        group="callbacks", flag="--no-mccmnc",
    )  # fmt: skip
    retry: RetryPolicy = nested(RetryPolicy)
    inbox_url: str | None = setting(
        None, URL, "where inbound SMS (replies) are forwarded: the account's SMS Inbox URL",
        group="inbox",
    )  # fmt: skip
    inbox_numbers: tuple[str, ...] = setting(
        (), many(Kind(str, check_number, metavar="NUMBER"), ordered=True),
        "the account's dedicated inbox numbers; the first is where injected SMS go",
        group="inbox", flag="--inbox-number", repeatable=True,
    )  # fmt: skip
    inbox_prefixes: tuple[str, ...] = setting(
        (), many(Kind(str, check_prefix, metavar="KEYWORD@NUMBER"), ordered=True),
        "a shared number and this account's keyword on it: SMS to it that start with the "
        "keyword are the account's",
        group="inbox", flag="--inbox-prefix", repeatable=True,
    )  # fmt: skip
    inbox_encoding: str = setting(
        "utf-8", ENCODING, "charset of the percent-encoded text of a forward (a guess)",
        group="inbox",
    )  # fmt: skip
    inbox_attempts: int = setting(
        1, whole(1, 100),
        "attempts per forward, with the callbacks' backoff (1: no retries; SeeMe's are not "
        "documented)",
        group="inbox",
    )  # fmt: skip
    scenarios: tuple[Scenario, ...] = setting(
        (), SCENARIOS, "scenario files or folders, in precedence order",
        group="scenarios", repeatable=True,
    )  # fmt: skip
    magic_numbers: bool = setting(
        True, flag(), "use the built-in magic test numbers, after your own scenarios",
        group="scenarios", flag="--no-magic-numbers",
    )  # fmt: skip
    seed: int = setting(
        0, whole(-(2**63), 2**63 - 1), "seed for scenario branches and jitter",
        group="scenarios",
    )  # fmt: skip
    max_messages: int = setting(
        100_000, whole(1, 10**9), "messages kept in memory; the oldest finished ones go first",
        group="memory",
    )  # fmt: skip
    max_rejections: int = setting(
        10_000, whole(1, 10**9), "refused sends kept; the oldest go first", group="memory"
    )

    def __post_init__(self) -> None:
        check_fields(self)


GATEWAY_SETTINGS: tuple[Setting, ...] = tuple(settings_of(GatewayConfig))
"""Every setting of the emulated account, in the order ``--help`` shows them."""


def config_from(values: dict[str, Any], base: GatewayConfig | None = None) -> GatewayConfig:
    """A config from values by setting name (the rest as in ``base``, else the defaults);
    text values are read as the ini file's are."""
    known = {s.name: s for s in GATEWAY_SETTINGS}
    for name in values:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"unknown setting {name!r}{hint}; valid: {', '.join(known)}", setting=name
            )
    read = {} if base is None else {s.name: value_at(base, s) for s in GATEWAY_SETTINGS}
    read.update(
        (name, known[name].parse(value) if isinstance(value, str) else value)
        for name, value in values.items()
    )
    return build(GatewayConfig, read, GATEWAY_SETTINGS)
