"""SeeMe's wire format: error codes, parameter rules and response bodies.

Sources and the confidence of each rule are in docs/seeme-protocol.md;
the README lists which behaviours are guesses and the options that change them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from urllib.parse import unquote_plus, urlencode, urlsplit
from xml.sax.saxutils import escape

__all__ = [
    "ERROR_TEXTS",
    "SENDER_ID",
    "Format",
    "Rejection",
    "Reply",
    "ShortValueCache",
    "as_received",
    "format_money",
    "has_undecodable_bytes",
    "is_http_url",
    "key_passes_checksum",
    "mask_key",
    "parse_callback_codes",
    "parse_params",
    "printable",
    "render",
]

ERROR_TEXTS: dict[int, str] = {
    1: "Missing parameter: {parameter}",
    2: "Only numbers are allowed in {parameter} parameter",
    3: "The number must be in international format",
    4: "Authentication error",
    5: "The profile setting is incomplete",
    6: "The maximum message length is {limit} characters",
    7: (
        "Your current balance is {balance}, "
        "which is not sufficient for the sending of this message."
    ),
    8: "The Gateway is temporarily unavailable",
    9: (
        "The given senderid ({sender}) is not allowed or contains illegal characters "
        "(only letters and numbers can be transferred)"
    ),
    11: (
        "Your credit line is not enough to send the message. Your current balance is "
        "{balance} HUF, without compensation you can spend {spendable} HUF"
    ),
    12: "The message contains unsupported character(s)",
    13: "Your {ip} IP address is not allowed",
    14: "Your {ip} IP address is already allowed",
    15: "Callback parameter is misformed: {callback}",
    16: "Possible length of the message is {limit} characters",
    17: "Callback URL unreachable",
    18: "Invalid API key",
}
SUCCESS_TEXT = "Your message has been successfully received by the Gateway."


class Rejection(Exception):
    """A send SeeMe refuses: answered with HTTP 200, result ERR, code and text."""

    def __init__(self, code: int, *, delay: float = 0.0, **fields: object) -> None:
        self.code = code
        self.delay = delay
        """Seconds to wait before answering: a scenario's slow gateway."""
        self.message = ERROR_TEXTS[code].format(**fields)
        super().__init__(f"{code}: {self.message}")


class Format(Enum):
    JSON = "json"
    XML = "xml"
    STRING = "string"

    @classmethod
    def from_param(cls, value: str | None, default: Format) -> Format:
        """``text`` is SeeMe's other name for ``string``; anything unknown is the default."""
        if value == "text":
            return cls.STRING
        try:
            return cls(value)
        except ValueError:
            return default


Field = str | int | float


@dataclass(frozen=True)
class Reply:
    """What the gateway answers, before it is put into a format."""

    fields: Mapping[str, Field]

    @classmethod
    def error(cls, rejection: Rejection) -> Reply:
        return cls({"result": "ERR", "code": rejection.code, "message": rejection.message})

    @property
    def ok(self) -> bool:
        return self.fields["result"] == "OK"


CONTENT_TYPES = {
    Format.JSON: "application/json",
    Format.XML: "application/xml",
    Format.STRING: "text/plain",
}


def render(reply: Reply, fmt: Format) -> tuple[bytes, str]:
    """The body and its content type (always UTF-8)."""
    # the types are part of the key: 14 and 14.0 are equal, but print differently
    return _rendered(tuple((name, type(v), v) for name, v in reply.fields.items()), fmt)


@lru_cache(maxsize=1024)  # a load test's answers differ in price and parts, if at all
def _rendered(fields: tuple[tuple[str, type, Field], ...], fmt: Format) -> tuple[bytes, str]:
    reply = Reply({name: value for name, _, value in fields})
    if fmt is Format.JSON:
        body = json.dumps(reply.fields, ensure_ascii=False, separators=(",", ":"))
    elif fmt is Format.XML:
        elements = "".join(
            f"<{name}>{_xml_text(value)}</{name}>" for name, value in reply.fields.items()
        )
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<response>{elements}</response>\n'
    else:
        body = urlencode({name: str(value) for name, value in reply.fields.items()})
    return body.encode(), CONTENT_TYPES[fmt]


_NOT_XML_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: Field) -> str:
    """Escaped, with characters XML 1.0 cannot carry replaced by U+FFFD."""
    return escape(_NOT_XML_CHARS.sub("\ufffd", str(value)))


def format_money(amount: Decimal, places: int = 2) -> str:
    return f"{amount:.{places}f}"


@lru_cache(maxsize=64)
def key_passes_checksum(key: str) -> bool:
    """The official PHP class's rule: the last 4 characters are md5(the rest)[:4]."""
    if len(key) <= 4:
        return False
    return hashlib.md5(key[:-4].encode()).hexdigest()[:4] == key[-4:].lower()


SENDER_ID = re.compile(r"[A-Za-z0-9]{1,11}|[0-9]{1,15}")
"""Sender IDs SeeMe accepts: letters and digits, 11 at most, or up to 15 digits."""

_CALLBACK_LIST = re.compile(r"[0-9]{1,2}(,[0-9]{1,2})*")


@lru_cache(maxsize=256)  # one set shared by every message that asked for the same codes
def parse_callback_codes(value: str) -> frozenset[int]:
    """``all`` or a comma-separated list of status codes 1..10; else code 15."""
    if value == "all":
        return frozenset(range(1, 11))
    if not _CALLBACK_LIST.fullmatch(value):
        raise Rejection(15, callback=value)
    codes = frozenset(int(part) for part in value.split(","))
    if not codes <= frozenset(range(1, 11)):
        raise Rejection(15, callback=value)
    return codes


def parse_params(raw: str | bytes) -> dict[str, str]:
    """A query string or form body as SeeMe's PHP sees it: the last value of a name wins.

    Bytes that are not UTF-8 survive as surrogate escapes only in ``message``
    (so the send can be refused with code 12); elsewhere they become U+FFFD.
    """
    text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    params = {}
    for pair in text.split("&"):  # urllib's parse_qsl, without its cost per pair
        if pair:
            name, _, value = pair.partition("=")
            params[_unquote(name)] = _unquote(value)
    if has_undecodable_bytes("".join(params.values())):  # rare: one look for them all
        for name, value in params.items():
            if name != "message" and has_undecodable_bytes(value):
                params[name] = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return params


def _unquote(text: str) -> str:
    if "%" not in text and "+" not in text:
        return text
    return _UNQUOTED[text]


LONGEST_CACHED = 256
"""Longest value whose encoding or decoding is kept: a cache of long texts would pin
megabytes."""


class ShortValueCache(dict[str, str]):
    """``convert(value)``, kept for values of at most LONGEST_CACHED characters, at most
    ``size`` of them (emptied when full: cheaper than an LRU's bookkeeping on every hit,
    and a hit is one dict lookup)."""

    def __init__(self, convert: Callable[[str], str], size: int) -> None:
        super().__init__()
        self._convert = convert
        self._size = size

    def __missing__(self, value: str) -> str:
        converted = self._convert(value)
        if len(value) <= LONGEST_CACHED:
            if len(self) >= self._size:
                self.clear()
            self[value] = converted
        return converted


_UNQUOTED = ShortValueCache(  # keys, callback URLs, texts: the same values over and over
    lambda text: unquote_plus(text, errors="surrogateescape"), 4096
)


def is_http_url(url: str) -> bool:
    """A callback URL SeeMe can call: http or https with a host (else code 17)."""
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


LONGEST_KEPT = 1000
"""Characters kept of one parameter of a refused send: enough to see why it was refused."""


def mask_key(key: str) -> str:
    """An API key as logs and records show it: its first and last 4 characters."""
    return f"{key[:4]}…{key[-4:]}" if len(key) > 12 else "…"


def as_received(params: Mapping[str, str]) -> dict[str, str]:
    """Parameters as a refused send is kept and shown: the key masked, bytes that were
    not UTF-8 written as ``\\xNN`` (so the record always serialises), and characters that
    could forge a log line escaped."""
    kept = {}
    for name, value in params.items():
        if name == "key":
            value = mask_key(value)
        if len(value) > LONGEST_KEPT:
            value = f"{value[:LONGEST_KEPT]}… ({len(value) - LONGEST_KEPT} more characters)"
        kept[printable(name)[:LONGEST_KEPT]] = printable(value)
    return kept


def printable(value: str) -> str:
    """``value`` with undecodable bytes as ``\\xNN`` and control characters escaped."""
    if has_undecodable_bytes(value):
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if value.isprintable():
        return value
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in value)


_UNDECODABLE = re.compile("[\udc80-\udcff]")


def has_undecodable_bytes(value: str) -> bool:
    return _UNDECODABLE.search(value) is not None
