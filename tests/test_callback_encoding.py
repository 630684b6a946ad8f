"""The callback on the wire: the seed's example rebuilt byte for byte, and its variants."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest

from seeme_mock.core.callback import (
    PARAMETERS,
    CallbackParams,
    callback_url,
    encode_callback_query,
)
from seeme_mock.core.operators import mccmnc_for
from seeme_mock.core.status import LANGUAGES, status_text

SEED_EXAMPLE = (
    "http://yourdomain.com/seeme-callback.php?reference=sms43&number=36301234567&code=6"
    "&message=K%E9zbes%EDtve&price=13.90&timestamp=2013-09-01+09%3A12%3A29&split=2"
)


def params(**changes: object) -> CallbackParams:
    fields: dict[str, object] = {
        "reference": "sms43",
        "number": "36301234567",
        "sender": "",
        "code": 6,
        "message": status_text(6, "hu"),
        "price": Decimal("13.90"),
        "timestamp": datetime(2013, 9, 1, 9, 12, 29),
        "mccmnc": None,
        "split": 2,
    }
    fields.update(changes)
    return CallbackParams(**fields)  # type: ignore[arg-type]


def test_the_seed_example_byte_for_byte() -> None:
    query = encode_callback_query(params())
    assert callback_url("http://yourdomain.com/seeme-callback.php", query) == SEED_EXAMPLE


def test_sender_and_mccmnc_take_their_documented_places() -> None:
    query = encode_callback_query(params(sender="Shop", mccmnc=21630))
    assert [name for name, _ in parse_qsl(query)] == [
        "reference",
        "number",
        "sender",
        "code",
        "message",
        "price",
        "timestamp",
        "mccmnc",
        "split",
    ]


@pytest.mark.parametrize("encoding", ["iso-8859-2", "utf-8", "iso-8859-1"])
@pytest.mark.parametrize(
    "changes",
    [
        {"sender": "Bolt Kft", "mccmnc": 21630},
        {"reference": "a b&c=d/é", "sender": "Ő&Ű", "mccmnc": 0, "price": Decimal("0")},
        {"reference": "", "number": "", "message": "", "sender": "x", "mccmnc": 1},
    ],
)
def test_the_default_shape_is_every_set_parameter_in_the_example_order(
    encoding: str, changes: dict[str, object]
) -> None:
    """The usual query is spelled out for speed: it must say what naming every parameter
    that is set says, value for value."""
    given = params(**changes)
    every = encode_callback_query(given, encoding, include=PARAMETERS)
    assert encode_callback_query(given, encoding) == every
    bare = params(**{**changes, "sender": "", "mccmnc": None})
    named = [name for name in PARAMETERS if name not in ("sender", "mccmnc")]
    assert encode_callback_query(bare, encoding) == encode_callback_query(bare, encoding, named)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("iso-8859-2", "K%E9zbes%EDtve"),
        ("windows-1250", "K%E9zbes%EDtve"),
        ("iso-8859-1", "K%E9zbes%EDtve"),
        ("utf-8", "K%C3%A9zbes%C3%ADtve"),
    ],
)
def test_message_encodings(encoding: str, expected: str) -> None:
    assert f"&message={expected}&" in encode_callback_query(params(), encoding)


def test_a_letter_the_charset_lacks_loses_its_accent() -> None:
    query = encode_callback_query(params(message="Kő"), "iso-8859-1")
    assert "&message=Ko&" in query
    assert "&message=K%F5&" in encode_callback_query(params(message="Kő"), "iso-8859-2")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("encoding", ["iso-8859-2", "windows-1250"])
def test_every_status_text_survives_the_central_european_charsets(
    language: str, encoding: str
) -> None:
    for code in range(1, 11):
        text = status_text(code, language)
        assert text.encode(encoding).decode(encoding) == text


def test_known_hungarian_texts() -> None:
    assert [status_text(c, "hu") for c in (4, 6, 7)] == [
        "Távoli SMSC fogadta",
        "Kézbesítve",
        "Kézbesíthetetlen",
    ]


def test_an_unknown_language_says_which_exist() -> None:
    with pytest.raises(ValueError, match="choose one of en, hu, ro, sk, cs"):
        status_text(6, "de")


def test_a_query_in_the_callback_url_is_kept() -> None:
    assert callback_url("http://sut/dlr?token=abc", "code=6") == "http://sut/dlr?token=abc&code=6"


@pytest.mark.parametrize(
    ("number", "mccmnc"),
    [
        ("36301234567", 21630),
        ("36201234567", 21601),
        ("36701234567", 21670),
        ("40721234567", 22601),
        ("421905123456", 23101),
        ("420731123456", 23001),
        ("436641234567", 23201),
        ("4915112345678", 26201),
        ("15551234567", None),
    ],
)
def test_mccmnc_from_the_prefix(number: str, mccmnc: int | None) -> None:
    assert mccmnc_for(number) == mccmnc
