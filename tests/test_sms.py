"""GSM-7 / UCS-2 arithmetic at every boundary."""

from __future__ import annotations

import pytest

from seeme_mock.core.sms import Charset, split_sms


@pytest.mark.parametrize(
    ("text", "charset", "parts"),
    [
        ("a" * 160, Charset.GSM7, 1),
        ("a" * 161, Charset.GSM7, 2),
        ("a" * 306, Charset.GSM7, 2),
        ("a" * 307, Charset.GSM7, 3),
        ("a" * 459, Charset.GSM7, 3),
        ("a" * 460, Charset.GSM7, 4),
        ("ő" * 70, Charset.UCS2, 1),
        ("ő" * 71, Charset.UCS2, 2),
        ("ő" * 134, Charset.UCS2, 2),
        ("ő" * 135, Charset.UCS2, 3),
        ("ő" * 201, Charset.UCS2, 3),
        ("ő" * 202, Charset.UCS2, 4),
    ],
)
def test_parts_at_the_boundaries(text: str, charset: Charset, parts: int) -> None:
    sms = split_sms(text)
    assert (sms.charset, sms.count, sms.length) == (charset, parts, len(text))
    assert "".join(sms.parts) == text


def test_every_part_of_a_long_gsm_message_holds_153_septets() -> None:
    assert [len(p) for p in split_sms("x" * 459).parts] == [153, 153, 153]


def test_extension_characters_count_two() -> None:
    assert split_sms("€" * 80).units == 160
    assert split_sms("€" * 80).count == 1
    assert split_sms("€" * 80 + "a").count == 2
    assert split_sms("a" * 159 + "[").count == 2


def test_an_escape_pair_never_straddles_two_parts() -> None:
    sms = split_sms("a" * 152 + "€" + "a" * 10)
    assert sms.parts[0] == "a" * 152
    assert sms.parts[1].startswith("€")


def test_accented_hungarian_needs_ucs2_but_gsm_accents_do_not() -> None:
    assert split_sms("Kézbesítve").charset is Charset.UCS2  # í is not in GSM 03.38
    assert split_sms("Ça, déjà, Ñoño, ü, å, ø").charset is Charset.GSM7


def test_emoji_take_two_ucs2_units_and_are_never_cut() -> None:
    sms = split_sms("a" * 66 + "😀" + "b")
    assert sms.units == 69 and sms.count == 1
    sms = split_sms("a" * 66 + "😀" + "b" * 10)
    assert sms.count == 2
    assert sms.parts[0] == "a" * 66
    assert sms.parts[1].startswith("😀")


def test_gsm_reports_the_name_seeme_uses() -> None:
    assert split_sms("hi").charset.value == "GSM-7"
    assert split_sms("hő").charset.value == "UTF-8"
