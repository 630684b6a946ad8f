"""Bad input never breaks the server: a clear 4xx (admin), a file:line:col (scenarios) or
SeeMe's own error (sends), one escaped log line, and the server answers on."""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conftest import SEND, Serve, ServeProcess, send, wait_for
from seeme_mock import ScenarioError, parse_scenarios
from seeme_mock.server.logs import OneLineFormatter


def healthy(url: str) -> bool:
    return httpx.get(url + "/__admin/health").status_code == 200


def test_an_oversized_body_gets_413_and_a_long_query_414(serve: Serve) -> None:
    server = serve()
    body = httpx.post(server.url + "/gateway", content=b"x" * (2 * 1024 * 1024))
    assert body.status_code == 413  # was HTTP 200 with code 8 and a traceback
    query = httpx.get(server.url + "/gateway?" + "a" * 20_000)
    assert query.status_code == 414
    assert send(server.url)["result"] == "OK"  # and it answers on


@pytest.mark.parametrize(
    ("path", "params", "error"),
    [
        ("/__admin/clock/advance", {"seconds": "5e16"}, "seconds: give seconds from 0 to"),
        ("/__admin/clock/advance", {"seconds": "inf"}, "seconds: give seconds from 0 to"),
        ("/__admin/clock/advance", {"seconds": "nan"}, "seconds: give seconds from 0 to"),
        ("/__admin/clock/advance", {"seconds": "-1"}, "seconds: give seconds from 0 to"),
        ("/__admin/wait", {"timeout": "nan"}, "timeout: give seconds from 0 to 3600, got nan"),
        ("/__admin/messages", {"limit": "-1"}, "limit: give a whole number from 1 to 1000000"),
        ("/__admin/messages", {"status": "x"}, "status: 'x' is not a whole number"),
    ],
)
def test_admin_values_are_bounded(
    serve: Serve, path: str, params: dict[str, str], error: str
) -> None:
    server = serve()
    method = "POST" if path.endswith("advance") else "GET"
    answer = httpx.request(method, server.url + path, params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith(error)
    assert healthy(server.url)  # health once stayed at 500 until a restart


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ("[[scenario]]\nsteps = [{ code = 6, after = 1e308 }]\n",
         "x.toml:2:22: after: 1e+308 is longer than a year"),
        ("[[scenario]]\nsteps = [{ code = 6, after = nan }]\n", "x.toml:2:22: after: nan is not"),
        ("[[scenario]]\nfaults = { late = { 6 = 1e308 } }\n", "x.toml:2:21: 6: 1e+308 is longer"),
        ("[[scenario]]\nsend = { price = nan }\n", "x.toml:2:10: price must be from 0 to 1e+09"),
        ("[[scenario]]\nsend = { price = inf }\n", "x.toml:2:10: price must be from 0 to 1e+09"),
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "x.toml:1:1: arrays or tables nested too deep"),
    ],
)  # fmt: skip
def test_scenario_values_are_bounded(toml: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as error:
        parse_scenarios(toml, "x.toml")
    assert error.value.problems[0].startswith(problem), error.value.problems


def test_scenario_bodies_that_are_not_toml_get_400(serve: Serve) -> None:
    server = serve()
    url = server.url + "/__admin/scenarios"
    not_utf8 = httpx.post(url, content=b'[[scenario]]\nname = "\xff"\n')
    assert not_utf8.status_code == 400
    assert not_utf8.json()["error"] == "the body must be TOML in UTF-8; byte 21 is not"
    nested = httpx.post(url, content="a = " + "[" * 5000 + "]" * 5000)
    assert nested.status_code == 400
    assert healthy(server.url)


def test_a_catastrophic_regex_cannot_freeze_the_server(serve: Serve) -> None:
    server = serve()
    scenario = '[[scenario]]\nmatch = { text = { regex = "(a+)+$" } }\nprogression = "stopped"\n'
    assert httpx.post(server.url + "/__admin/scenarios", content=scenario).status_code == 200
    # With Python's re this takes 2**40 steps; RE2 is linear in the text.
    assert send(server.url, message="a" * 40 + "!")["result"] == "OK"
    assert send(server.url, message="aaa")["result"] == "OK"
    assert [m.scenario.name for m in server.messages] == ["default", "request body#1"]


def test_log_lines_cannot_be_forged_and_keys_are_masked() -> None:
    record = logging.LogRecord(
        "seeme_mock", logging.INFO, __file__, 1,
        "send number=%s reference=%s", ("36301234567", "x\n2026-01-01 forged line"), None,
    )  # fmt: skip
    line = OneLineFormatter().format(record)
    assert "\n" not in line and line.endswith("reference=x\\n2026-01-01 forged line")
    try:
        raise ValueError(f"bad request line: GET /gateway?key={SEND['key']}&x=1\r\nHost: y")
    except ValueError:
        refused = logging.LogRecord(
            "aiohttp.server", logging.ERROR, __file__, 1, "Error handling request", (),
            sys.exc_info(),
        )  # fmt: skip
    line = OneLineFormatter().format(refused)
    assert "\n" not in line and "Traceback" not in line
    assert "key=c241…fe5a&x=1\\r\\nHost: y" in line and SEND["key"] not in line


def test_malformed_http_is_one_line_each_even_for_a_real_process(
    serve_process: Callable[..., ServeProcess],
) -> None:
    server = serve_process("--quiet")
    port = int(server.url.rsplit(":", 1)[1])
    for garbage in (b"GARBAGE\r\n\r\n", b"GET /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n") * 5:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(garbage)
            raw.recv(4096)
    assert send(server.url)["result"] == "OK"
    out = server.stop()
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) <= 11, lines  # at most one per bad request, and the "stopped" line


def test_a_client_whose_headers_never_end_is_let_go(serve: Serve) -> None:
    server = serve(header_timeout=0.3, manual=False)
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as slowloris:
        slowloris.sendall(b"GET /gateway HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: b\r\n")
        assert slowloris.recv(1024) == b""  # closed by the server, not by our timeout
    silent = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(20)]
    for idle in silent:  # connected and never said a word: let go too
        assert idle.recv(1024) == b""
        idle.close()
    slow_answer = httpx.get(server.url + "/__admin/wait", params={"timeout": 0.6})
    assert slow_answer.status_code == 408  # 0.6 s of real waiting: a long poll is no slow client
    assert send(server.url)["result"] == "OK"


def test_idle_sockets_at_the_file_limit_do_not_lock_sends_out(
    serve_process: Callable[..., ServeProcess],
) -> None:
    """More idle connections than the process may hold files: they are let go after the
    header timeout (0.5 s here), and sends are answered again. Before, they were held until
    aiohttp's keep-alive timeout (15 s here; the issue saw sends locked out)."""
    server = serve_process("--quiet", "--header-timeout", "0.5", files=128)
    port = int(server.url.rsplit(":", 1)[1])
    idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(200)]
    try:
        answered = wait_for("a send answered beside 200 idle sockets",
                            lambda: _send_or_none(server.url), timeout=10)  # fmt: skip
        assert answered is not None and answered["result"] == "OK"
    finally:
        for sock in idle:
            sock.close()
    assert "Traceback" not in server.stop()


def _send_or_none(url: str) -> dict[str, Any] | None:
    try:
        return send(url)
    except httpx.HTTPError:
        return None


def test_headers_in_many_small_pieces_are_no_slow_client(serve: Serve) -> None:
    """The end of the headers found across pieces of any size: the request is answered."""
    server = serve(header_timeout=5)
    port = int(server.url.rsplit(":", 1)[1])
    request = f"GET /__admin/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    for size in (1, 2, 3):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for start in range(0, len(request), size):
                raw.sendall(request[start : start + size])
            assert raw.recv(1024).startswith(b"HTTP/1.1 200"), size
