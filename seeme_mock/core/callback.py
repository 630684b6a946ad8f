"""Encoding a delivery report the way SeeMe puts it on the wire.

The seed's example is the reference, byte for byte::

    ?reference=sms43&number=36301234567&code=6&message=K%E9zbes%EDtve
     &price=13.90&timestamp=2013-09-01+09%3A12%3A29&split=2

Form encoding (space as ``+``), the text percent-encoded in a single-byte
charset (ISO-8859-2 by default: it covers every language SeeMe speaks).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote, quote_plus, urlsplit

from .protocol import ShortValueCache, format_money

__all__ = [
    "ENCODINGS",
    "PARAMETERS",
    "CallbackParams",
    "QueryFrame",
    "callback_url",
    "encode_callback_query",
    "query_prefix",
    "stamp",
]

ENCODINGS = ("iso-8859-2", "utf-8", "windows-1250", "iso-8859-1")
PARAMETERS = (
    "reference", "number", "sender", "code", "message", "price", "timestamp", "mccmnc", "split",
)  # fmt: skip
"""Every callback parameter, in the order of SeeMe's example."""


class CallbackParams(NamedTuple):
    reference: str
    number: str
    sender: str
    code: int
    message: str
    price: Decimal
    timestamp: datetime
    mccmnc: int | None
    split: int


def _encode_text(text: str, encoding: str) -> bytes:
    """Characters the charset lacks lose their accents (ő -> o in Latin-1), else become '?'."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        pass
    out = bytearray()
    for char in text:
        try:
            out += char.encode(encoding)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char)[0]
            out += base.encode(encoding, errors="replace")
    return bytes(out)


def encode_callback_query(
    params: CallbackParams,
    encoding: str = "iso-8859-2",
    include: Collection[str] | None = None,
) -> str:
    """The query string, parameters in the order of SeeMe's example.

    By default ``sender`` and ``mccmnc`` are left out when empty, as in the
    example; ``include`` names exactly which parameters to send instead."""
    if include is not None:
        forms = _forms(encoding)
        return "&".join([
            f"{name}={forms[value]}"
            for name, value in zip(PARAMETERS, _texts(params), strict=True)
            if name in include
        ])  # fmt: skip
    frame = QueryFrame.of(
        encoding, "", params.reference, params.number, params.sender, params.price,
        params.mccmnc, params.split,
    )  # fmt: skip
    return frame.fill(params.code, params.message, stamp(params.timestamp))


class QueryFrame(NamedTuple):
    """A report's query in SeeMe's usual shape, split where one message's callbacks
    differ: they share its reference, number, sender, price, mccmnc and split, and each
    has its own code, text and timestamp. Built once a message, filled once a callback
    (the shared part encoded once: three callbacks a send go this way)."""

    opening: str
    """Up to the code: ``reference=...&number=...[&sender=...]&code=``, after ``prefix``."""
    price: str
    """``&price=...&timestamp=``"""
    closing: str
    """``[&mccmnc=...]&split=...``"""
    forms: ShortValueCache

    @classmethod
    def of(
        cls,
        encoding: str,
        prefix: str,
        reference: str,
        number: str,
        sender: str,
        price: Decimal,
        mccmnc: int | None,
        split: int,
    ) -> QueryFrame:
        """The frame of a message's reports, to follow ``prefix`` (the callback URL up to
        its query, :func:`query_prefix`; "" for the query alone)."""
        opening = f"{prefix}reference={_form(reference, encoding)}&number={_form(number, encoding)}"
        if sender:
            opening += f"&sender={_form(sender, encoding)}"
        closing = "" if mccmnc is None else f"&mccmnc={mccmnc}"
        return cls(
            f"{opening}&code=",
            f"&price={_money(price)}&timestamp=",
            f"{closing}&split={split}",
            _forms(encoding),
        )

    def fill(self, code: int, message: str, timestamp: str) -> str:
        """``timestamp`` as :func:`stamp` encodes it."""
        return (
            f"{self.opening}{code}&message={self.forms[message]}{self.price}{timestamp}"
            f"{self.closing}"
        )


def _texts(params: CallbackParams) -> tuple[str, ...]:
    """Every parameter's value as text, in PARAMETERS' order ("" for no mccmnc)."""
    return (
        params.reference,
        params.number,
        params.sender,
        str(params.code),
        params.message,
        _money(params.price),
        _stamp(params.timestamp),
        "" if params.mccmnc is None else str(params.mccmnc),
        str(params.split),
    )


# Status texts go out over and over (and, with an include list, a message's reference and
# number with each of its callbacks, a timestamp with every callback of that second):
# encoding each once is most of what building a report costs.
_FORMS: dict[str, ShortValueCache] = {}
"""Values form-encoded, per charset."""


def _form(value: str, encoding: str) -> str:
    """``value`` form-encoded, not kept: a message's own (its reference: one of a kind),
    most often letters and digits alone, which stand as they are in every charset."""
    if value.isalnum() and value.isascii():
        return value
    return quote_plus(_encode_text(value, encoding))


def _forms(encoding: str) -> ShortValueCache:
    forms = _FORMS.get(encoding)
    if forms is None:
        forms = _FORMS[encoding] = ShortValueCache(
            lambda value: quote_plus(_encode_text(value, encoding)), 1 << 16
        )
    return forms


@lru_cache(maxsize=256)
def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


@lru_cache(maxsize=256)
def stamp(when: datetime) -> str:
    """A report's timestamp, form-encoded (digits and signs: the same in every charset)."""
    return quote_plus(_stamp(when))


@lru_cache(maxsize=256)
def _money(price: Decimal) -> str:
    """A price as SeeMe states it (a Decimal's formatting is a third of a plain report's
    cost; a handful of prices recur)."""
    return format_money(price)


_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
"""Characters left as they are in the SUT's URL: the reserved ones, and % (already encoded)."""


def callback_url(base: str, query: str) -> str:
    """Append the report to ``base``, keeping any query the SUT put in its URL. What cannot
    stand in a request line (space, ``<>"{}|\\^``, backtick, non-ASCII) is percent-encoded,
    so the URL goes out as one valid request line whatever the send named."""
    return query_prefix(base) + query


@lru_cache(maxsize=1024)
def query_prefix(base: str) -> str:
    """``base`` as it goes on the wire, up to where the report's query starts."""
    base = quote(base, safe=_URL_SAFE)
    if not urlsplit(base).query:
        return f"{base.rstrip('?')}?"
    return f"{base}&"
