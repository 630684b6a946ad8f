"""HTTPS for clients that insist on it: Python's urllib and Node's https module."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from conftest import VALID_KEY
from seeme_mock import SeemeMock


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    ca = tmp_path / "ca" / "seeme-ca.pem"
    process = subprocess.Popen(
        [sys.executable, "-m", "seeme_mock", "serve", "--port", "0", "--tls", "--tls-ca-out",
         str(ca), "--delays", "0.05,0.1,0.15", "--quiet"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    ca_line = process.stdout.readline()
    assert ca_line.startswith(f"seeme-mock CA certificate: {ca} (have the SUT trust it:"), ca_line
    url = process.stdout.readline().split()[-1]
    assert url.startswith("https://127.0.0.1:")
    yield url, ca
    process.terminate()
    process.communicate(timeout=10)


def query(reference: str, callbackurl: str) -> str:
    return urllib.parse.urlencode(
        {"key": VALID_KEY, "number": "36301234567", "message": "Hi", "format": "json",
         "reference": reference, "callback": "3,4,6", "callbackurl": callbackurl}
    )  # fmt: skip


def wait_for(httpserver: HTTPServer, count: int) -> list[str]:
    deadline = time.monotonic() + 10
    while len(httpserver.log) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return [request.args["code"] for request, _ in httpserver.log]


def test_python_urllib_with_the_ca_file(
    tls_server: tuple[str, Path], httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/dlr").respond_with_data("")
    url, ca = tls_server
    context = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(
        f"{url}?{query('py', httpserver.url_for('/dlr'))}", context=context
    ) as response:
        assert json.load(response)["result"] == "OK"
    assert wait_for(httpserver, 3) == ["3", "4", "6"]
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(f"{url}?{query('untrusted', 'http://127.0.0.1:9/')}")


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_node_https_with_extra_ca_certs(
    tls_server: tuple[str, Path], httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/dlr").respond_with_data("")
    url, ca = tls_server
    script = (
        "const https = require('https');"
        "https.get(process.argv[1], res => { let b = '';"
        " res.on('data', d => b += d); res.on('end', () => console.log(b)); })"
        ".on('error', e => { console.error(e.message); process.exit(1); });"
    )
    result = subprocess.run(
        ["node", "-e", script, f"{url}?{query('node', httpserver.url_for('/dlr'))}"],
        capture_output=True, text=True, timeout=30, check=False,
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(ca)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["result"] == "OK"
    assert wait_for(httpserver, 3) == ["3", "4", "6"]


def test_the_fixture_class_offers_the_ca_path() -> None:
    with SeemeMock(tls=True) as mock:
        assert mock.url.startswith("https://127.0.0.1:") and mock.ca_path is not None
        context = ssl.create_default_context(cafile=str(mock.ca_path))
        url = f"{mock.url}/gateway?key={VALID_KEY}&method=balance&format=json"
        with urllib.request.urlopen(url, context=context) as response:
            assert json.load(response)["result"] == "OK"
        ca_path = mock.ca_path
    assert not ca_path.exists()


def test_the_plugin_serves_https_when_asked(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nseeme_tls = true\n")
    pytester.makepyfile(
        """
        import ssl, urllib.request

        def test_https(seeme_mock):
            assert seeme_mock.url.startswith("https://")
            context = ssl.create_default_context(cafile=str(seeme_mock.ca_path))
            urllib.request.urlopen(seeme_mock.url + "/__admin/health", context=context).read()
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
