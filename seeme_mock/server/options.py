"""How the server itself runs (where it listens, its clock, its journal, TLS), described
like the account's settings so ``serve --help`` and the pytest options derive from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..core.settings import (
    Kind,
    Setting,
    check_fields,
    choice,
    flag,
    many,
    seconds,
    setting,
    settings_of,
    whole,
)

__all__ = ["SERVE_SETTINGS", "ClockKind", "ServeOptions"]

ClockKind = Literal["real", "manual"]

_PATH: Kind[Path | None] = Kind(lambda raw: Path(raw) if raw else None, metavar="PATH")
_HOST: Kind[str] = Kind(str, metavar="ADDRESS")


@dataclass(frozen=True)
class ServeOptions:
    host: str = setting(
        "127.0.0.1", _HOST, "address to bind; anything but loopback exposes the admin API",
        group="network",
    )  # fmt: skip
    port: int = setting(8080, whole(0, 65535), "port to listen on; 0 picks a free one",
                        group="network")  # fmt: skip
    connections: int = setting(
        64, whole(1, 10_000), "callback connections (and sender tasks) per receiver",
        group="network",
    )  # fmt: skip
    max_backlog: int = setting(
        10_000, whole(1, 10_000_000), "due callbacks waiting to be sent before sends get code 8",
        group="network",
    )  # fmt: skip
    admin_token: str | None = setting(
        None, Kind(lambda raw: raw or None, metavar="TOKEN"),
        "the admin API and the page need Authorization: Bearer TOKEN (also the environment "
        "variable SEEME_MOCK_ADMIN_TOKEN); bound to anything but loopback, serve makes one up",
        group="admin",
    )  # fmt: skip
    admin_open: bool = setting(
        False, flag(), "bound to anything but loopback, serve the admin API without a token",
        group="admin",
    )  # fmt: skip
    allowed_hosts: frozenset[str] = setting(
        frozenset(), many(Kind(str, metavar="NAME")),
        "Host names the admin API answers besides loopback ones (e.g. a compose service)",
        group="admin", flag="--allowed-host", repeatable=True,
    )  # fmt: skip
    header_timeout: float = setting(
        10.0, seconds(0.0, above=True, high=3600.0),
        "seconds a client has to finish a request's headers from connecting (idle or slowloris "
        "connections are let go)",
        group="network",
    )  # fmt: skip
    clock: ClockKind = setting(
        "real", choice(("real", "manual")),
        "manual: time moves only by POST /__admin/clock/advance (the pytest fixture's default)",
        group="time",
    )  # fmt: skip
    journal: Path | None = setting(
        None, _PATH, "keep the journal in this SQLite file; a restart resumes pending callbacks",
        group="journal",
    )  # fmt: skip
    tls: bool = setting(
        False, flag(), "serve HTTPS with a certificate from a throwaway test CA", group="tls"
    )
    tls_ca_out: Path | None = setting(
        Path("seeme-mock-ca.pem"), _PATH, "where --tls writes its CA certificate", group="tls"
    )
    tls_cert: Path | None = setting(None, _PATH, "your own certificate (PEM)", group="tls")
    tls_key: Path | None = setting(None, _PATH, "its private key (PEM)", group="tls")
    quiet: bool = setting(
        False, flag(), "no line per send and callback (for load runs)", group="logging"
    )

    def __post_init__(self) -> None:
        check_fields(self)


SERVE_SETTINGS: tuple[Setting, ...] = tuple(settings_of(ServeOptions))
