"""Safe to expose: who may use the admin API and the page, where callbacks may go, and
what the journal and the page give away. Over real sockets."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer

from conftest import Serve, ServeProcess, send
from seeme_mock import GatewayConfig
from seeme_mock.cli import main
from seeme_mock.server.guard import AdminAccess
from seeme_mock.server.journal import SqliteJournal


def test_a_token_guards_the_admin_api_and_the_page_but_never_sends(serve: Serve) -> None:
    server = serve(admin=AdminAccess(token="s3cret"))
    assert httpx.get(server.url + "/__admin/messages").status_code == 401
    assert httpx.post(server.url + "/__admin/reset").status_code == 401
    assert httpx.get(server.url + "/").status_code == 401
    bearer = {"Authorization": "Bearer s3cret"}
    assert httpx.get(server.url + "/__admin/messages", headers=bearer).status_code == 200
    wrong = {"Authorization": "Bearer s3cre"}
    assert httpx.get(server.url + "/__admin/messages", headers=wrong).status_code == 401
    assert httpx.get(server.url + "/__admin/health").status_code == 200  # health checks
    with httpx.Client(base_url=server.url) as browser:  # the page takes it once, then a cookie
        first = browser.get("/", params={"token": "s3cret"})
        assert first.status_code == 200 and "HttpOnly" in first.headers["set-cookie"]
        assert browser.get("/").status_code == 200
        assert browser.get("/__admin/journal").status_code == 200
    assert send(server.url)["result"] == "OK"  # SeeMe authenticates sends by key


def test_bound_to_loopback_a_foreign_host_is_refused(serve: Serve) -> None:
    server = serve()
    rebound = httpx.get(server.url + "/__admin/journal", headers={"Host": "rebind.evil.example"})
    assert rebound.status_code == 403
    assert "--allowed-host" in rebound.json()["error"]
    for host in ("localhost", "127.0.0.1", "app.localhost"):
        answer = httpx.get(server.url + "/__admin/health", headers={"Host": f"{host}:8080"})
        assert answer.status_code == 200, host
    named = serve(admin=AdminAccess(allowed_hosts=frozenset({"seeme"})))
    assert httpx.get(named.url + "/", headers={"Host": "seeme:8080"}).status_code == 200
    sent = httpx.get(server.url + "/gateway", params={"x": "1"}, headers={"Host": "evil"})
    assert sent.status_code == 200  # the send endpoint answers whatever the Host


def test_another_origin_cannot_change_the_server(serve: Serve) -> None:
    server = serve()
    scenario = '[[scenario]]\nprogression = "stopped"\n'
    forged = httpx.post(
        server.url + "/__admin/scenarios",
        content=scenario,
        headers={"Origin": "https://evil.example", "Content-Type": "text/plain"},
    )
    assert forged.status_code == 403
    assert httpx.post(server.url + "/__admin/reset", headers={"Origin": "null"}).status_code == 403
    assert httpx.get(server.url + "/__admin/scenarios").json()["scenarios"] == []
    own = httpx.post(server.url + "/__admin/reset", headers={"Origin": server.url})
    assert own.status_code == 200


def test_serve_bound_beyond_loopback_makes_up_a_token(
    serve_process: Callable[..., ServeProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve_process("--host", "0.0.0.0", "--quiet")
    [said] = [line for line in server.preamble if "admin token" in line]
    token = said.split()[3]
    assert httpx.get(server.url + "/__admin/scenarios").status_code == 401
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(server.url + "/__admin/scenarios", headers=bearer).status_code == 200
    given = serve_process("--host", "0.0.0.0", "--quiet", "--admin-token", "mine")
    assert given.preamble == []
    mine = {"Authorization": "Bearer mine"}
    assert httpx.get(given.url + "/__admin/scenarios", headers=mine).status_code == 200
    monkeypatch.setenv("SEEME_MOCK_ADMIN_TOKEN", "from-env")
    from_env = serve_process("--quiet")  # on loopback too, once a token is given
    env = {"Authorization": "Bearer from-env"}
    assert httpx.get(from_env.url + "/__admin/scenarios").status_code == 401
    assert httpx.get(from_env.url + "/__admin/scenarios", headers=env).status_code == 200
    monkeypatch.delenv("SEEME_MOCK_ADMIN_TOKEN")
    open_ = serve_process("--host", "0.0.0.0", "--admin-open", "--quiet")
    assert open_.preamble == []
    assert httpx.get(open_.url + "/__admin/scenarios").status_code == 200


def test_callbacks_go_only_where_allowed(serve: Serve, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/dlr").respond_with_data("")
    allowed = f"{httpserver.host}:{httpserver.port}"
    server = serve(GatewayConfig(callback_allow=frozenset({allowed, "*.test"})))
    refused = send(server.url, callback="6", callbackurl="http://169.254.169.254/latest")
    assert (refused["result"], refused["code"]) == ("ERR", 17)
    ok = send(server.url, callback="6", callbackurl=httpserver.url_for("/dlr"))
    assert ok["result"] == "OK"
    server.advance(5)
    assert len(httpserver.log) == 1


def test_a_bad_allow_pattern_is_refused_at_start(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--callback-allow", "http://x/"])
    assert (
        "argument --callback-allow: 'http://x/' is not a host, host:port" in capsys.readouterr().err
    )


def test_characters_illegal_in_a_request_line_are_encoded(
    serve: Serve, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/dl r<x>").respond_with_data("")
    server = serve()
    send(server.url, callback="6", callbackurl=httpserver.url_for("/") + 'dl r<x>?a={"b"}|^`')
    server.advance(5)
    [(request, _)] = httpserver.log
    assert request.path == "/dl r<x>"
    assert request.query_string.startswith(b"a=%7B%22b%22%7D%7C%5E%60&reference=")


def test_the_journal_is_its_owners_alone(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "journal.db")
    journal.clock_moved(1.0)
    for name in os.listdir(tmp_path):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    journal.close()


def test_the_page_runs_no_script_and_is_never_framed(serve: Serve) -> None:
    server = serve()
    headers = httpx.get(server.url + "/").headers
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
