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

__all__ = ["ENCODINGS", "PARAMETERS", "CallbackParams", "callback_url", "encode_callback_query"]

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
    forms = _FORMS.get(encoding)
    if forms is None:
        forms = _FORMS[encoding] = ShortValueCache(
            lambda value: quote_plus(_encode_text(value, encoding)), 1 << 16
        )
    if include is not None:
        return "&".join([
            f"{name}={forms[value]}"
            for name, value in zip(PARAMETERS, _texts(params), strict=True)
            if name in include
        ])  # fmt: skip
    # the example's shape, spelled out: three callbacks a send go this way, and a join over
    # the nine parameters took three times as long
    query = f"reference={forms[params.reference]}&number={forms[params.number]}"
    if params.sender:
        query += f"&sender={forms[params.sender]}"
    query += (
        f"&code={params.code}&message={forms[params.message]}&price={_money(params.price)}"
        f"&timestamp={forms[_stamp(params.timestamp)]}"
    )
    if params.mccmnc is not None:
        query += f"&mccmnc={params.mccmnc}"
    return f"{query}&split={params.split}"


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


# A message's reference and number go out once per callback, status texts and prices over
# and over, a timestamp for every callback of that second: encoding each once is most of
# what building a report costs.
_FORMS: dict[str, ShortValueCache] = {}
"""Values form-encoded, per charset."""


@lru_cache(maxsize=256)
def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


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
    return _query_prefix(base) + query


@lru_cache(maxsize=1024)
def _query_prefix(base: str) -> str:
    """``base`` as it goes on the wire, up to where the report's query starts."""
    base = quote(base, safe=_URL_SAFE)
    if not urlsplit(base).query:
        return f"{base.rstrip('?')}?"
    return f"{base}&"
