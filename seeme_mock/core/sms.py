"""SMS arithmetic: which alphabet a text needs and how it splits into parts.

GSM 03.38 packs 160 septets into one SMS, 153 per part once a concatenation
header is needed; characters of the extension table take two septets (an
escape and the character) and an escape pair never straddles two parts. Any
other character forces UCS-2: 70 UTF-16 code units, 67 per part, and a
surrogate pair (an emoji) is never cut in half either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

__all__ = ["Charset", "SmsParts", "split_sms"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_NOT_GSM7 = re.compile(f"[^{re.escape(''.join(sorted(GSM7_BASIC | GSM7_EXTENSION)))}]")


class Charset(Enum):
    """Values as SeeMe names them in its send response."""

    GSM7 = "GSM-7"
    UCS2 = "UTF-8"

    @property
    def single_part(self) -> int:
        return 160 if self is Charset.GSM7 else 70

    @property
    def multi_part(self) -> int:
        return 153 if self is Charset.GSM7 else 67


_TWO_UNITS = {  # the characters that take two units: an escape pair, a surrogate pair
    Charset.GSM7: re.compile(f"[{re.escape(''.join(sorted(GSM7_EXTENSION)))}]"),
    Charset.UCS2: re.compile("[\U00010000-\U0010ffff]"),
}


@dataclass(frozen=True)
class SmsParts:
    charset: Charset
    parts: tuple[str, ...]
    length: int
    """Characters (code points) in the text, as the send response reports it."""
    units: int
    """Septets for GSM-7, UTF-16 code units for UCS-2."""

    @property
    def count(self) -> int:
        return len(self.parts)


def _unit_cost(char: str, charset: Charset) -> int:
    if charset is Charset.GSM7:
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


@lru_cache(maxsize=1024)  # messages with the same text share their parts
def split_sms(text: str) -> SmsParts:
    """Split ``text`` into the parts a handset would receive."""
    charset = Charset.UCS2 if _NOT_GSM7.search(text) else Charset.GSM7
    units = len(text) + len(_TWO_UNITS[charset].findall(text))
    if units <= charset.single_part:  # most texts: no walk character by character
        return SmsParts(charset, (text,), len(text), units)
    costs = [_unit_cost(c, charset) for c in text]
    parts: list[str] = []
    start, used = 0, 0
    for index, cost in enumerate(costs):
        if used + cost > charset.multi_part:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return SmsParts(charset, tuple(parts), len(text), units)
