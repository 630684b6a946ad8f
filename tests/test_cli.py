"""The command line refuses bad settings with one line that names the flag and says what
would do; in-process (``main(argv)``), and once as a real process."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from seeme_mock.cli import main


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run ``seeme-mock serve ARGV``; it must exit 2 with no traceback: the error line."""
    with pytest.raises(SystemExit) as exit_:
        main(["serve", *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "99999"], "--port: give a whole number from 0 to 65535, got 99999"),
        (["--connections", "many"], "--connections: 'many' is not a whole number"),
        (["--retry-attempts", "0"], "--retry-attempts: give a whole number from 1 to 100, got 0"),
        (["--retry-factor", "0.5"], "--retry-factor: give a number from 1 to 100, got 0.5"),
        (
            ["--callback-timeout", "inf"],
            "--callback-timeout: give seconds above 0 to 3600, got inf",
        ),
        (["--retry-delay", "nan"], "--retry-delay: give seconds from 0 to 3.16224e+07, got nan"),
        (["--unit-price", "cheap"], "--unit-price: 'cheap' is not an amount, e.g. 13.90"),
        (["--balance", "-1"], "--balance: give a non-negative amount as a Decimal, e.g. 13.90"),
        (["--language", "de"], "--language: 'de' is not one of en, hu, ro, sk, cs"),
        (["--clock", "sundial"], "--clock: 'sundial' is not one of real, manual"),
        (["--callback-url", "ftp://x"], "--callback-url: 'ftp://x' is not an http:// or https://"),
        (
            ["--callback-codes", "0,4"],
            "--callback-codes: '0,4' is not a list of status codes 1..10",
        ),
        (["--delays", "1,2"], "--delays: '1,2': give three delays in seconds after the send"),
        (["--delays", "3,2,1"], "--delays: delays must be 0 to 3.16224e+07 s and increasing"),
        (
            ["--timezone", "Mars/Olympus"],
            "--timezone: unknown time zone 'Mars/Olympus'; use an IANA",
        ),
        (["--encoding", "koi8-r"], "--encoding: 'koi8-r' is not one of iso-8859-2"),
        (
            ["--allow-ip", "192.0.2.1", "--allow-ip", "local"],
            "--allow-ip: 'local' is not an address, CIDR range or FIRST-LAST",
        ),
        (["--sender", "Far-too-long-ID"], "--sender: 'Far-too-long-ID' is not a sender ID"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_a_bad_value_is_refused_naming_the_flag(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert refused(capsys, *args).startswith(f"seeme-mock serve: error: argument {message}")


def test_a_file_that_is_no_journal_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    not_a_db = tmp_path / "notdb.db"
    not_a_db.write_text("hello, I am a text file\n" * 100)
    line = refused(capsys, "--journal", str(not_a_db))
    assert line.startswith(f"seeme-mock serve: error: argument --journal: {not_a_db} cannot be")
    assert "give a new file's name or one that serve --journal wrote" in line


def test_every_option_has_help_and_shows_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for shown in ("--port N port to listen on; 0 picks a free one (default: 8080)",
                  "--retry-factor N each further retry waits this many times longer (default: 2.0)",
                  "--delays S3,S4,S6", "(default: 1,2,3)", "--tls serve HTTPS", "(default: off)",
                  "--no-mccmnc switch off: send mccmnc", "(default: on)",
                  "such a send gets no callbacks (default: none)"):  # fmt: skip
        assert shown in text


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("seeme-mock 0.")


def test_a_busy_port_is_reported_without_a_traceback_by_a_real_process() -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "seeme_mock", "serve", "--port", str(port)],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    assert result.returncode == 2
    assert f"seeme-mock cannot listen on 127.0.0.1:{port}:" in result.stderr
    assert "choose another --port (0 picks a free one)" in result.stderr
    assert "Traceback" not in result.stderr
