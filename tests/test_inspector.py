"""The page at / as a person sees it: in headless Chromium at 1,280 and 1,920 px, driven
over the DevTools protocol (a websocket, no extra package), and its data over HTTP."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

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
DOCS = Path(__file__).resolve().parent.parent / "docs"
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="Debian's chromium is not installed"
)


@pytest.fixture
def busy_gateway(serve: Serve, httpserver: HTTPServer) -> SeemeMock:
    """One delivered message, one whose receiver is dead, one refused send, one reply."""
    httpserver.expect_request("/dlr").respond_with_data("")
    httpserver.expect_request("/inbox").respond_with_data("")
    config = GatewayConfig(inbox_url=httpserver.url_for("/inbox"), inbox_numbers=("36201234567",))
    server = serve(config)
    alive, dead = httpserver.url_for("/dlr"), "http://127.0.0.1:9/dlr"
    sends = [
        {"number": "36301234567", "reference": "order-1", "callbackurl": alive},
        {"number": "36701234567", "reference": "order-2", "callbackurl": dead},
        {"number": "06301234567", "reference": "order-3"},
    ]
    for params in sends:
        send(server.url, message="Your code: 1234 <script>alert(1)</script>", callback="4,6",
             **params)  # fmt: skip
    server.advance(300)
    server.receive_sms("36301234567", "STOP")
    return server


class Chromium:
    """Headless Chromium, one tab, driven over the DevTools protocol."""

    def __init__(self, executable: str, profile: Path) -> None:
        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "about:blank"],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if line.startswith("DevTools listening on "):
                port = line.split()[-1].split(":")[2].split("/")[0]
                break
        [page] = [t for t in httpx.get(f"http://127.0.0.1:{port}/json").json()
                  if t["type"] == "page"]  # fmt: skip
        self.endpoint = page["webSocketDebuggerUrl"]

    def run(self, *steps: tuple[str, dict[str, Any]]) -> list[Any]:
        """Each step a DevTools call; a pause after each, for the page to poll and draw."""

        async def drive() -> list[Any]:
            results = []
            async with aiohttp.ClientSession() as session, session.ws_connect(self.endpoint) as ws:
                for n, (method, params) in enumerate(steps, 1):
                    await ws.send_json({"id": n, "method": method, "params": params})
                    while (answer := await ws.receive_json(timeout=30)).get("id") != n:
                        pass
                    result = answer.get("result", {})
                    results.append(result.get("result", {}).get("value", result))
                    await asyncio.sleep(PAUSES.get(method, 0.0))
            return results

        return asyncio.run(drive())

    def close(self) -> None:
        self.process.kill()
        self.process.communicate()


def js(expression: str) -> tuple[str, dict[str, Any]]:
    return "Runtime.evaluate", {"expression": expression, "returnByValue": True}


def width(pixels: int) -> tuple[str, dict[str, Any]]:
    return "Emulation.setDeviceMetricsOverride", {
        "width": pixels, "height": 900, "deviceScaleFactor": 1, "mobile": False}  # fmt: skip


PAUSES = {"Page.navigate": 1.0, "Runtime.evaluate": 0.5}
"""Seconds for the page to load, or to redraw after a click (it polls once a second)."""
FITS = "document.documentElement.scrollWidth <= window.innerWidth"
ROWS = "[...document.querySelectorAll('#rows tr')].map(r => r.innerText.replace(/\\s+/g, ' '))"


@pytest.fixture
def chromium(tmp_path: Path) -> Any:
    assert CHROMIUM, ".ci/run installs chromium; without it this test cannot run"
    browser = Chromium(CHROMIUM, tmp_path / "profile")
    yield browser
    browser.close()


@needs_chromium
@pytest.mark.parametrize("pixels", [1280, 1920])
def test_the_page_at_two_widths(busy_gateway: SeemeMock, chromium: Chromium, pixels: int) -> None:
    url = busy_gateway.url + "/"
    summary, rows, fits, scripts, _, shot = chromium.run(
        width(pixels),
        ("Page.navigate", {"url": url}),
        js("document.querySelector('#summary').innerText"),
        js(ROWS),
        js(FITS),
        js("document.scripts.length"),
        js("document.querySelector('#rows tr').click(); 'opened'"),  # the failing one
        ("Page.captureScreenshot", {"format": "png"}),
    )[2:]
    assert summary.startswith("2 messages · 1 refused sends · 0 callbacks pending")
    assert [r.split(" ")[:3] for r in rows] == [["2", "09:12:29.000", "36701234567"],
                                                ["1", "09:12:29.000", "36301234567"]]  # fmt: skip
    assert "4 failed" in rows[0] and "6 delivered" in rows[1]
    assert "<script>alert(1)</script>" in rows[0] and scripts == 1  # shown, never run
    assert fits, f"a horizontal scrollbar at {pixels} px"
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    if os.environ.get("SEEME_DOCS_SCREENSHOT"):
        (DOCS / f"inspector-{pixels}.png").write_bytes(png)


@needs_chromium
def test_a_tester_filters_opens_a_message_and_acts(
    busy_gateway: SeemeMock, chromium: Chromium
) -> None:
    url = busy_gateway.url + "/"
    type_filter = ("const f = document.querySelector('#filter'); f.value = 'order-1';"
                   "f.dispatchEvent(new Event('input')); 'typed'")  # fmt: skip
    click_row = "document.querySelector('#rows tr').click(); 'clicked'"
    detail = "document.querySelector('#detail').innerText"
    resend = "[...document.querySelectorAll('#detail button')].find(b => b.innerText == 'Resend').click(); 1"  # noqa: E501
    results = chromium.run(
        width(1280),
        ("Page.navigate", {"url": url}),
        js(type_filter),
        js(ROWS),
        js("document.querySelector('#filter').value"),  # a poll later: still typed
        js(click_row),
        js(detail),
        js(resend),
        js("document.querySelector('#pause').click(); 'paused'"),
        js("document.querySelector('[data-tab=refused]').click(); 'refused'"),
        js("document.querySelector('#pause').click(); 'live'"),
        js(ROWS),
        js("document.querySelector('[data-tab=inbox]').click(); 'inbox'"),
        js(ROWS),
    )
    rows, typed, text = results[3], results[4], results[6]
    assert len(rows) == 1 and "order-1" in rows[0] and typed == "order-1"
    assert "Message 1 to 36301234567" in text and "scenario default" in text
    assert "/dlr?reference=order-1&number=36301234567&code=4&message=Accepted" in text
    refused, inbox = results[11], results[13]
    assert len(refused) == 1 and "The number must be in international format" in refused[0]
    assert len(inbox) == 1 and "STOP" in inbox[0] and "delivered" in inbox[0]
    [first] = [m for m in busy_gateway.messages if m.reference == "order-1"]
    assert [c.code for c in first.callbacks] == [4, 6, 4]  # resent: queued behind the others


def test_the_page_and_its_script_are_served_with_their_policy(serve: Serve) -> None:
    server = serve()
    page = httpx.get(server.url + "/")
    assert '<script src="/static/inspector.js">' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = httpx.get(server.url + "/static/inspector.js")
    assert script.headers["content-type"].startswith("application/javascript")
    assert "innerHTML" not in script.text  # everything the SUT sent goes in as text


def test_what_the_page_reads_is_paged_and_filtered_on_the_server(busy_gateway: SeemeMock) -> None:
    url = busy_gateway.url
    found = httpx.get(url + "/__admin/messages", params={"q": "ORDER-2", "limit": 1}).json()
    assert [m["reference"] for m in found["messages"]] == ["order-2"] and found["total"] == 1
    one = httpx.get(url + "/__admin/messages/1").json()
    assert one["callbacks"][0]["attempts"][0]["url"].endswith(
        "/dlr?reference=order-1&number=36301234567&code=4&message=Accepted+by+remote+SMSC"
        "&price=13.90&timestamp=2013-09-01+09%3A12%3A31&mccmnc=21630&split=1"
    )
    assert json.loads(httpx.get(url + "/__admin/rejections").text)["total"] == 1
