"""SeeMe's inbox: which inbound SMS reach the account, and the forward's exact bytes.

An SMS to a dedicated number is the account's; one to a shared number is the account's
only when it starts with one of the account's keywords for that number. Each is forwarded
as a GET to the inbox URL: ``message``, ``number``, ``destination`` and ``timestamp``
(``YYYYMMDDHHMMSS``), in that order, form-encoded (space as ``+``), as a forward captured
in production was. The charset of accented text is not documented: UTF-8 by default,
``inbox_encoding`` changes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote_plus

from .errors import UsageError

__all__ = [
    "check_number",
    "check_prefix",
    "first_inbox_number",
    "forward_query",
    "parse_prefix",
    "reply_route",
    "unroutable",
]

_NUMBER = re.compile(r"[1-9][0-9]{7,14}")


def check_number(value: str) -> None:
    if not _NUMBER.fullmatch(value):
        raise UsageError(f"{value!r} is not a number in international format like 36201234567")


def parse_prefix(value: str) -> tuple[str, str]:
    """``KEYWORD@NUMBER`` to (keyword, number)."""
    keyword, sep, number = value.partition("@")
    if not sep or not keyword or " " in keyword or not _NUMBER.fullmatch(number):
        raise ValueError(f"{value!r} is not KEYWORD@NUMBER like WAT@36303444293")
    return keyword, number


def check_prefix(value: str) -> None:
    parse_prefix(value)


def first_inbox_number(numbers: Sequence[str], prefixes: Sequence[str]) -> str:
    """Where an SMS goes when no destination is given: the first dedicated number, else
    the first shared one."""
    for number in (*numbers, *(parse_prefix(p)[1] for p in prefixes)):
        return number
    raise UsageError("the account has no inbox number: set inbox_numbers or inbox_prefixes")


def reply_route(
    sender: str, text: str, numbers: Sequence[str], prefixes: Sequence[str]
) -> tuple[str, str] | None:
    """Where a recipient's reply goes, and its text: to the number the SMS came from when
    that is an inbox number, else to the first one; to a shared number with the keyword
    first. None: the account has no inbox, and the reply reaches nobody, as on SeeMe."""
    if sender in numbers:
        return sender, text
    if numbers:
        return numbers[0], text
    if not prefixes:
        return None
    keyword, number = parse_prefix(prefixes[0])
    if text.split(maxsplit=1)[0].upper() != keyword.upper():
        text = f"{keyword} {text}"
    return number, text


def unroutable(
    text: str, destination: str, numbers: Iterable[str], prefixes: Iterable[str]
) -> str | None:
    """Why an SMS to ``destination`` would not reach the account, or None when it would."""
    if destination in numbers:
        return None
    keywords = [k for k, n in map(parse_prefix, prefixes) if n == destination]
    if not keywords:
        return f"{destination} is none of the account's inbox numbers"
    first = text.split(maxsplit=1)[0].upper() if text.strip() else ""
    if first in (k.upper() for k in keywords):
        return None
    return (
        f"{destination} is a shared number: the text must start with a keyword of this "
        f"account ({', '.join(keywords)})"
    )


def forward_query(
    text: str, number: str, destination: str, when: datetime, encoding: str = "utf-8"
) -> str:
    values = (
        ("message", text),
        ("number", number),
        ("destination", destination),
        ("timestamp", when.strftime("%Y%m%d%H%M%S")),
    )
    return "&".join(
        f"{name}={quote_plus(value.encode(encoding, 'replace'))}" for name, value in values
    )
