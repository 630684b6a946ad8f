"""SeeMe's delivery status codes and their texts in each language of the service.

English is SeeMe's documented table. Hungarian 6, 4 and 7 are texts SeeMe is
known to send; every other non-English text is our own careful translation
(marked ``# translated``), which users can override per scenario. Romanian
uses the cedilla letters (ş, ţ) that ISO-8859-2 and windows-1250 can carry.
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "STATUS_CODES", "status_text"]

STATUS_CODES = range(1, 11)

_TEXTS: dict[str, dict[int, str]] = {
    "en": {
        1: "Undeliverable due other error",
        2: "The sending is stopped",
        3: "Transmitted to remote SMSC",
        4: "Accepted by remote SMSC",
        5: "Rejected by the remote SMS",
        6: "Delivered",
        7: "Undeliverable",
        8: "Waiting for the target device",
        9: "Period of validity has expired",
        10: "Status is missing",
    },
    "hu": {
        1: "Egyéb hiba miatt kézbesíthetetlen",  # translated
        2: "A küldés leállítva",  # translated
        3: "Továbbítva a távoli SMSC-nek",  # translated
        4: "Távoli SMSC fogadta",
        5: "A távoli SMSC elutasította",  # translated
        6: "Kézbesítve",
        7: "Kézbesíthetetlen",
        8: "Várakozás a céleszközre",  # translated
        9: "Az érvényességi idő lejárt",  # translated
        10: "Hiányzó státusz",  # translated
    },
    "ro": {  # translated
        1: "Nelivrabil din altă eroare",
        2: "Trimiterea este oprită",
        3: "Transmis către SMSC-ul destinatar",
        4: "Acceptat de SMSC-ul destinatar",
        5: "Respins de SMSC-ul destinatar",
        6: "Livrat",
        7: "Nelivrabil",
        8: "Se aşteaptă dispozitivul destinatar",
        9: "Perioada de valabilitate a expirat",
        10: "Starea lipseşte",
    },
    "sk": {  # translated
        1: "Nedoručiteľné z iného dôvodu",
        2: "Odosielanie je zastavené",
        3: "Odoslané do vzdialeného SMSC",
        4: "Prijaté vzdialeným SMSC",
        5: "Odmietnuté vzdialeným SMSC",
        6: "Doručené",
        7: "Nedoručiteľné",
        8: "Čaká sa na cieľové zariadenie",
        9: "Platnosť vypršala",
        10: "Stav chýba",
    },
    "cs": {  # translated
        1: "Nedoručitelné z jiného důvodu",
        2: "Odesílání je zastaveno",
        3: "Předáno vzdálenému SMSC",
        4: "Přijato vzdáleným SMSC",
        5: "Odmítnuto vzdáleným SMSC",
        6: "Doručeno",
        7: "Nedoručitelné",
        8: "Čeká se na cílové zařízení",
        9: "Doba platnosti vypršela",
        10: "Stav chybí",
    },
}

LANGUAGES = tuple(_TEXTS)


def status_text(code: int, language: str = "en") -> str:
    try:
        return _TEXTS[language][code]
    except KeyError:
        if language not in _TEXTS:
            raise ValueError(
                f"unknown language {language!r}; choose one of {', '.join(LANGUAGES)}"
            ) from None
        raise ValueError(f"status code {code} is outside SeeMe's table (1..10)") from None
