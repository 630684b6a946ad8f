"""The page at / as a person sees it: in headless Chromium, and as HTML over HTTP."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import aiohttp
import httpx
import pytest
from pytest_httpserver import HTTPServer

from conftest import Serve, send
from seeme_mock import GatewayConfig, SeemeMock

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
]  # fmt: skip


@pytest.fixture
def busy_gateway(serve: Serve, httpserver: HTTPServer) -> SeemeMock:
    """A gateway with one delivered message, one whose receiver is dead, one refused send."""
    httpserver.expect_request("/dlr").respond_with_data("")
    server = serve()
    alive, dead = httpserver.url_for("/dlr"), "http://127.0.0.1:9/dlr"
    sends = [
        {"number": "36301234567", "reference": "order-1", "callbackurl": alive},
        {"number": "36701234567", "reference": "order-2", "callbackurl": dead},
        {"number": "06301234567", "reference": "order-3"},
    ]
    for params in sends:
        send(server.url, message="Your code: 1234", callback="4,6", **params)
    server.advance(300)
    return server


def test_the_page_lists_messages_and_highlights_failures(busy_gateway: SeemeMock) -> None:
    html = httpx.get(busy_gateway.url + "/?refresh=0").text
    assert "2 messages · 1 refused sends · 12 failed callback attempts" in html
    assert html.count('class="chip fail"') == 14  # 12 attempts and 2 failed callbacks
    assert "order-1" in html and "Delivered" in html
    filtered = httpx.get(busy_gateway.url + "/", params={"q": "order-2"}).text
    assert "order-2" in filtered and "order-1" not in filtered
    assert '<meta http-equiv="refresh" content="2">' in filtered


def test_what_the_sut_sent_is_escaped(serve: Serve) -> None:
    server = serve()
    send(server.url, message="<script>x()</script>")
    html = httpx.get(server.url + "/").text
    assert "<script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="Debian's chromium is not installed"
)
def test_in_headless_chromium(busy_gateway: SeemeMock, tmp_path: Path) -> None:
    assert CHROMIUM, ".ci/run installs chromium; without it this test cannot run"
    url = busy_gateway.url + "/?refresh=0"
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, *profile, "--dump-dom", url],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert "order-1" in dom and "order-2" in dom
    assert "code 6: failed" in dom and "ClientConnectorError" in dom
    shot = tmp_path / "inspector.png"
    subprocess.run(
        [CHROMIUM, *FLAGS, *profile, f"--screenshot={shot}", "--window-size=1400,900", url],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    if os.environ.get("SEEME_DOCS_SCREENSHOT"):
        shutil.copy(shot, Path(__file__).resolve().parent.parent / "docs" / "inspector.png")


class Chromium:
    """Headless Chromium driven over the DevTools protocol (a websocket, no extra package):
    enough to fill a form and press its button as a tester would."""

    def __init__(self, executable: str, profile: Path) -> None:
        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "about:blank"],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if line.startswith("DevTools listening on "):
                self.browser = line.split()[-1]
                break
        port = self.browser.split(":")[2].split("/")[0]
        [page] = [t for t in httpx.get(f"http://127.0.0.1:{port}/json").json()
                  if t["type"] == "page"]  # fmt: skip
        self.endpoint = page["webSocketDebuggerUrl"]
        self._ids = 0

    async def run(self, *steps: tuple[str, dict[str, object]]) -> list[dict[str, object]]:
        results = []
        async with aiohttp.ClientSession() as session, session.ws_connect(self.endpoint) as ws:
            for method, params in steps:
                self._ids += 1
                await ws.send_json({"id": self._ids, "method": method, "params": params})
                while (answer := await ws.receive_json(timeout=30)).get("id") != self._ids:
                    pass
                results.append(answer.get("result", {}))
                await asyncio.sleep(0.5)  # let a navigation or a form post land
        return results

    def close(self) -> None:
        self.process.kill()
        self.process.communicate()


def _evaluate(expression: str) -> tuple[str, dict[str, object]]:
    return "Runtime.evaluate", {"expression": expression, "returnByValue": True}


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="Debian's chromium is not installed"
)
def test_the_inbox_form_in_headless_chromium(
    serve: Serve, httpserver: HTTPServer, tmp_path: Path
) -> None:
    assert CHROMIUM, ".ci/run installs chromium; without it this test cannot run"
    httpserver.expect_request("/sms/inbox").respond_with_data("")
    config = GatewayConfig(inbox_url=httpserver.url_for("/sms/inbox"),
                           inbox_numbers=("36201234567",))  # fmt: skip
    server = serve(config)
    browser = Chromium(CHROMIUM, tmp_path / "profile")
    try:
        fill = (
            "document.querySelector('input[name=number]').value = '36301234567';"
            "document.querySelector('input[name=message]').value = 'STOP please';"
            "document.querySelector('form[action=\"/inbox\"] button').click(); 'sent'"
        )
        results = asyncio.run(
            browser.run(
                ("Page.navigate", {"url": server.url + "/?refresh=0"}),
                _evaluate(fill),
                ("Page.navigate", {"url": server.url + "/?refresh=0"}),
                _evaluate("document.body.innerText"),
            )
        )
    finally:
        browser.close()
    page_text = results[-1]["result"]["value"]  # type: ignore[index]
    assert "36301234567" in page_text and "STOP please" in page_text
    [(request, _)] = httpserver.log
    assert request.args["message"] == "STOP please"
