"""The command line refuses bad settings with a message that says how to fix them."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seeme_mock", "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'; use an IANA name"),
        (["--language", "de"], "argument --language: invalid choice: 'de'"),
        (["--delays", "1,2"], "give three delays in seconds after the send for statuses 3, 4"),
        (["--callback-codes", "0,4"], "'0,4' is not a list of status codes 1..10 like 4,6,7"),
        (["--unit-price", "cheap"], "'cheap' is not an amount, e.g. 13.90"),
        (["--connections", "0"], "'0' must be a whole number of at least 1"),
        (["--retry-attempts", "0"], "retry attempts must be at least 1, got 0"),
        (["--delays", "3,2,1"], "progression delays must be >= 0 and increasing"),
    ],
)
def test_bad_settings_are_refused(args: list[str], message: str) -> None:
    result = serve(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_a_busy_port_is_reported_without_a_traceback() -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = serve("--port", str(port))
    assert result.returncode == 2
    assert f"seeme-mock cannot listen on 127.0.0.1:{port}:" in result.stderr
    assert "choose another --port (0 picks a free one)" in result.stderr
    assert "Traceback" not in result.stderr
