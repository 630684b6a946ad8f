"""The ``seeme_mock`` fixture against a server that runs elsewhere: a container in
docker-compose, a CI service. ``seeme_url = http://seeme:8080`` (ini), ``--seeme-url`` or
``SEEME_MOCK_URL`` make the fixture drive that server through its admin API: a reset per
test (with the marker's settings), manual-clock advance, long-poll waits, and the same
assertion messages as in-process. Start the server with ``--clock manual`` for advance();
``SEEME_MOCK_ADMIN_TOKEN`` is sent as the admin token when set.

Records come back as the admin API's JSON (dicts), not as Python objects.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from .core.errors import ConfigError, ExpectationError
from .core.scenario_files import load_scenario_files

__all__ = ["RemoteSeemeMock", "as_text"]

if TYPE_CHECKING:
    from faker import Faker


def as_text(value: Any) -> str:
    """A marker value as the ini file would write it, for the remote server to read."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (frozenset, set)):
        return ",".join(as_text(v) for v in sorted(value, key=str))
    if isinstance(value, (tuple, list)):
        return ",".join(as_text(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal, str, Path)):
        return str(value)
    raise ConfigError(
        f"{value!r} cannot go to a remote seeme-mock; give the setting as the ini file's text"
    )


class RemoteSeemeMock:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        token = os.environ.get("SEEME_MOCK_ADMIN_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)
        self._fake: Faker | None = None
        self._seed = 0

    def close(self) -> None:
        self._http.close()

    def _admin(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self._http.request(method, "/__admin" + path, **kwargs)
        if answer.status_code == 408:
            return answer.json()
        if answer.status_code >= 400:
            raise ConfigError(
                f"seeme-mock at {self.url} answered {answer.status_code} to {method} "
                f"/__admin{path}: {answer.text}"
            )
        return answer.json()

    # -- life cycle ---------------------------------------------------------------

    def reset(self, settings: Mapping[str, Any] | None = None) -> None:
        """A fresh gateway: serve's settings, changed by ``settings`` (marker keywords)."""
        given = {name: as_text(value) for name, value in (settings or {}).items()}
        if "seed" in given:
            self._seed = int(given["seed"])
        self._admin("POST", "/reset", json={"settings": given})
        self._fake = None

    def use_scenario(self, source: str | Path | Iterable[Path]) -> None:
        """Add scenarios on the server: TOML text, or files and folders read here."""
        if isinstance(source, str) and source.lstrip().startswith(("[", "#", "seed")):
            texts = [source]
        else:
            paths = [Path(source)] if isinstance(source, (str, Path)) else list(source)
            load_scenario_files(paths)  # file:line:col problems are raised here, locally
            files = [f for p in paths for f in (sorted(p.rglob("*.toml")) if p.is_dir() else [p])]
            texts = [f.read_text(encoding="utf-8") for f in files]
        for text in texts:
            self._admin("POST", "/scenarios", content=text.encode())

    def deliver_to(self, app: Any, path: str = "/", kind: Any = None) -> None:
        raise ConfigError(
            "deliver_to(app) needs the in-process server; this fixture drives a seeme-mock "
            f"running at {self.url}, which cannot call into your app: give the SUT's address "
            "as callbackurl (or serve --callback-url, --inbox-url) instead"
        )

    def check(self) -> None:
        """Raise if the remote server does not answer its health check."""
        self._admin("GET", "/health")

    # -- what a test reads --------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self._admin("GET", "/journal")["messages"])

    @property
    def rejections(self) -> list[dict[str, Any]]:
        return list(self._admin("GET", "/journal")["rejections"])

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        return [c for m in self.messages for c in m["callbacks"]]

    @property
    def inbound(self) -> list[dict[str, Any]]:
        return list(self._admin("GET", "/inbox")["inbound"])

    @property
    def config(self) -> dict[str, Any]:
        return dict(self._admin("GET", "/config"))

    @property
    def fake(self) -> Faker:
        if self._fake is None:
            from .fake import seeded_faker

            self._fake = seeded_faker(self._seed)
        return self._fake

    # -- time, waits, the inbox -----------------------------------------------------

    def advance(self, seconds: float) -> int:
        return int(self._admin("POST", "/clock/advance", params={"seconds": seconds})["attempts"])

    def wait_for_callbacks(
        self,
        reference: str | None = None,
        codes: Iterable[int] | None = None,
        timeout: float = 10.0,
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"timeout": timeout}
        if reference is not None:
            params["reference"] = reference
        if codes is not None:
            params["code"] = ",".join(str(c) for c in sorted(codes))
        body = self._admin("GET", "/wait", params=params)
        if not body["delivered"]:
            raise ExpectationError(body["explanation"])
        return [c for m in body["messages"] for c in m["callbacks"]]

    def receive_sms(
        self, number: str, message: str, destination: str | None = None
    ) -> dict[str, Any]:
        sms = {"number": number, "message": message}
        if destination is not None:
            sms["destination"] = destination
        return dict(self._admin("POST", "/inbox", json=sms))

    def wait_for_inbound(self, number: str | None = None, timeout: float = 10.0) -> list[Any]:
        body = self._admin("GET", "/wait", params={"inbound": number or "*", "timeout": timeout})
        if not body["delivered"]:
            raise ExpectationError(body["explanation"])
        return [f for i in body["inbound"] for f in i["forwards"]]

    def assert_sent(
        self, number: str | None = None, text: str | None = None, count: int | None = None
    ) -> list[dict[str, Any]]:
        from .core.waits import explain_missing_send

        journal = self._admin("GET", "/journal")
        messages = journal["messages"]
        found = [
            m
            for m in messages
            if (number is None or m["number"] == number) and (text is None or text in m["text"])
        ]
        if (count is None and found) or len(found) == count:
            return found
        others = [(m["number"], m["text"]) for m in messages if m not in found]
        refused = [(r["code"], r["message"], r["params"]) for r in journal["rejections"]]
        raise ExpectationError(
            explain_missing_send(number, text, count, len(found), others, refused)
        )
