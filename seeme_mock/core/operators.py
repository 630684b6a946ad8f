"""Mobile operators by number prefix, for the ``mccmnc`` callback parameter.

Prefixes are the operators' original number ranges (ITU E.212 network codes);
after number portability a number may live elsewhere, which is exactly what a
scenario's mccmnc override is for.
"""

from __future__ import annotations

__all__ = ["OPERATORS", "mccmnc_for"]

OPERATORS: dict[str, tuple[int, str]] = {
    # Hungary, MCC 216
    "3620": (21601, "Yettel Hungary"),
    "3630": (21630, "Magyar Telekom"),
    "3650": (21603, "DIGI Mobil"),
    "3670": (21670, "Vodafone Hungary (One)"),
    # Romania, MCC 226
    "4072": (22601, "Vodafone Romania"),
    "4073": (22601, "Vodafone Romania"),
    "4074": (22610, "Orange Romania"),
    "4075": (22610, "Orange Romania"),
    "4076": (22603, "Telekom Romania Mobile"),
    "4077": (22605, "Digi.Mobil"),
    # Slovakia, MCC 231
    **dict.fromkeys(
        ("421905", "421906", "421907", "421908", "421915", "421916", "421917", "421918", "421919"),
        (23101, "Orange Slovensko"),
    ),
    **dict.fromkeys(
        ("421901", "421902", "421903", "421904", "421910", "421911", "421912", "421914"),
        (23102, "Slovak Telekom"),
    ),
    **dict.fromkeys(("421940", "421944", "421948", "421949"), (23106, "O2 Slovakia")),
    "421950": (23103, "4ka (SWAN)"),
    # Czech Republic, MCC 230
    **dict.fromkeys(
        ("420603", "420604", "420605", *(f"42073{d}" for d in range(1, 10))),
        (23001, "T-Mobile Czech Republic"),
    ),
    **dict.fromkeys(
        ("420601", "420602", "420606", "420607", *(f"42072{d}" for d in range(10))),
        (23002, "O2 Czech Republic"),
    ),
    **dict.fromkeys(
        ("420608", *(f"42077{d}" for d in range(3, 8))), (23003, "Vodafone Czech Republic")
    ),
    # Austria, MCC 232
    "43664": (23201, "A1 Telekom Austria"),
    "43676": (23203, "Magenta Telekom"),
    "43660": (23210, "Drei (Hutchison)"),
    "43699": (23210, "Drei (Hutchison)"),
    # Germany, MCC 262
    **dict.fromkeys(("49151", "49160", "49170", "49171", "49175"), (26201, "Telekom Deutschland")),
    **dict.fromkeys(("49152", "49162", "49172", "49173", "49174"), (26202, "Vodafone Germany")),
    **dict.fromkeys(
        ("49157", "49159", "49163", "49176", "49177", "49178", "49179"),
        (26203, "Telefónica Germany (O2)"),
    ),
}

_LONGEST = max(map(len, OPERATORS))


def mccmnc_for(number: str) -> int | None:
    """The network code of ``number``'s original operator, or None if unknown."""
    for size in range(min(_LONGEST, len(number)), 1, -1):
        found = OPERATORS.get(number[:size])
        if found is not None:
            return found[0]
    return None
