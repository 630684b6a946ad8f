"""Realistic test data for SMS tests, as a Faker provider.

Numbers belong to real operators of the countries SeeMe serves (the ones the
mccmnc table knows), in the international format the send endpoint wants, and
never end like a magic test number::

    from faker import Faker
    from seeme_mock.fake import SeemeProvider

    fake = Faker()
    fake.add_provider(SeemeProvider)
    fake.seeme_number("HU")   # '36301234567'
"""

from __future__ import annotations

import string

from faker import Faker
from faker.providers import BaseProvider

from .core.operators import OPERATORS

__all__ = ["COUNTRIES", "SeemeProvider", "seeded_faker"]

COUNTRIES = {"HU": "36", "RO": "40", "SK": "421", "CZ": "420", "AT": "43", "DE": "49"}
_LENGTH = {"HU": 11, "RO": 11, "SK": 12, "CZ": 12, "AT": 12, "DE": 13}
_MAGIC = "999"
"""Magic numbers' last seven digits start with this; generated numbers avoid it."""


class SeemeProvider(BaseProvider):
    def seeme_number(self, country: str | None = None) -> str:
        """A mobile number of a real operator of ``country`` (HU, RO, SK, CZ, AT, DE)."""
        country = country or self.random_element(tuple(COUNTRIES))
        if country not in COUNTRIES:
            raise ValueError(f"unknown country {country!r}; choose one of {', '.join(COUNTRIES)}")
        prefixes = sorted(p for p in OPERATORS if p.startswith(COUNTRIES[country]))
        prefix = self.random_element(prefixes)
        while True:
            rest = "".join(self.random_choices(string.digits, _LENGTH[country] - len(prefix)))
            number = prefix + rest
            if not number[-7:].startswith(_MAGIC):
                return number

    def seeme_sender(self) -> str:
        """A sender ID SeeMe accepts: letters and digits, at most 11."""
        word = "".join(c for c in self.generator.company() if c.isascii() and c.isalnum())
        return (word or "Sender")[:11]

    def seeme_reference(self) -> str:
        """A message reference like an application would make one."""
        return f"msg-{self.generator.uuid4()[:12]}"


def seeded_faker(seed: int) -> Faker:
    """Faker with the SeeMe provider, seeded: the same data on every run."""
    fake = Faker()
    fake.add_provider(SeemeProvider)
    fake.seed_instance(seed)
    return fake
