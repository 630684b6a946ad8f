"""Everything about the emulated SeeMe account that a user may want to change.

Defaults follow SeeMe's documentation; where the documentation is silent the
default is our guess, and the option to change it is the escape hatch.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .callback import ENCODINGS
from .protocol import Format
from .scenario import PROGRESSIONS, Scenario, Step
from .status import LANGUAGES, STATUS_CODES

__all__ = [
    "DEFAULT_BALANCE",
    "DEFAULT_PROGRESSION",
    "ConfigError",
    "GatewayConfig",
    "RetryPolicy",
]


class ConfigError(ValueError):
    """A setting that cannot work; the text says which and what would."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: by default 6 attempts spread over about two minutes."""

    attempts: int = 6
    first_delay: float = 4.0
    factor: float = 2.0
    timeout: float = 5.0

    def delay_after(self, failed_attempts: int) -> float:
        return self.first_delay * self.factor ** (failed_attempts - 1)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigError(f"retry attempts must be at least 1, got {self.attempts}")
        if self.first_delay < 0 or self.factor < 1 or self.timeout <= 0:
            raise ConfigError(
                "retry delays need first_delay >= 0, factor >= 1 and timeout > 0, got "
                f"{self.first_delay}, {self.factor}, {self.timeout}"
            )


DEFAULT_BALANCE = Decimal("1000000000")
"""Enough that a long load run never hits code 7; set a small one to test it."""
DEFAULT_PROGRESSION = PROGRESSIONS["delivered"]
"""3, 4 and 6, a second apart: what every send does that no scenario claims."""


@dataclass(frozen=True)
class GatewayConfig:
    keys: frozenset[str] = frozenset()
    """Accepted API keys; empty means any key that passes the official checksum."""
    allowed_senders: frozenset[str] | None = None
    """Sender IDs approved in the account; None approves every well-formed one."""
    allowed_ips: frozenset[str] = frozenset()
    """Client addresses that may send; empty allows all (``method=setip`` adds)."""
    balance: Decimal = DEFAULT_BALANCE
    currency: str = "HUF"
    unit_price: Decimal = Decimal("13.90")
    default_format: Format = Format.STRING
    callback_url: str | None = None
    callback_codes: frozenset[int] = frozenset()
    language: str = "en"
    encoding: str = "iso-8859-2"
    timezone: str = "Europe/Budapest"
    send_mccmnc: bool = True
    progression: tuple[Step, ...] = DEFAULT_PROGRESSION
    """What happens to a send no scenario matches."""
    scenarios: tuple[Scenario, ...] = ()
    """Tried in order of priority (higher first), then as given."""
    magic_numbers: bool = True
    """Built-in test numbers (``...99900CC`` and friends) after your own scenarios."""
    seed: int = 0
    """For branches and jitter, unless a scenario file sets its own."""
    max_messages: int = 100_000
    """Messages kept in memory; beyond it the oldest finished ones are dropped (counted)."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_parts: int = 3
    timestamp: Literal["status", "attempt"] = "status"
    """Whether a callback's timestamp is when the status happened or when it was sent."""

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ConfigError(
                f"unknown language {self.language!r}; choose one of {', '.join(LANGUAGES)}"
            )
        try:
            encoding = codecs.lookup(self.encoding).name
        except LookupError:
            encoding = ""
        if encoding not in {codecs.lookup(name).name for name in ENCODINGS}:
            raise ConfigError(
                f"unknown encoding {self.encoding!r}; choose one of {', '.join(ENCODINGS)}"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"unknown time zone {self.timezone!r}; use an IANA name like Europe/Budapest"
            ) from None
        bad = sorted(c for c in self.callback_codes if c not in STATUS_CODES)
        bad += [step.code for step in self.progression if step.code not in STATUS_CODES]
        if bad:
            raise ConfigError(f"status codes must be 1..10, got {bad}")
        delays = [step.delay for step in self.progression]
        since_send = [step.delay for step in self.progression if step.since_send]
        if any(d < 0 for d in delays) or since_send != sorted(since_send):
            raise ConfigError(f"progression delays must be >= 0 and increasing, got {delays}")
        if self.unit_price < 0:
            raise ConfigError(f"unit price must be >= 0, got {self.unit_price}")
        if self.max_parts < 1:
            raise ConfigError(f"max_parts must be at least 1, got {self.max_parts}")
