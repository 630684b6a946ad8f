"""SeeMe's inbox over real sockets: inbound SMS forwarded with the exact bytes SeeMe
sends, routed by number and keyword, retried when asked, kept across a kill -9, and the
replies scenarios script, under the manual clock and the real one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from conftest import Serve, ServeProcess, send
from seeme_mock import CallbackState, ExpectationError, GatewayConfig, parse_scenarios

BUDAPEST = ZoneInfo("Europe/Budapest")


def at(year: int, month: int, day: int, hour: int, minute: int, second: int) -> float:
    """Unix seconds of a wall-clock time in Budapest."""
    return datetime(year, month, day, hour, minute, second, tzinfo=BUDAPEST).timestamp()


def inbox(httpserver: HTTPServer, *answers: int) -> str:
    statuses = iter(answers)

    def answer(request: Request) -> Response:
        return Response("", status=next(statuses, 200))

    httpserver.expect_request("/sms/inbox").respond_with_handler(answer)
    return httpserver.url_for("/sms/inbox")


def forwarded(httpserver: HTTPServer) -> list[dict[str, str]]:
    return [dict(parse_qsl(r.query_string.decode())) for r, _ in httpserver.log]


def test_the_forward_captured_in_production_byte_for_byte(
    serve: Serve, httpserver: HTTPServer
) -> None:
    config = GatewayConfig(inbox_url=inbox(httpserver), inbox_prefixes=("WAT@36303444293",))
    server = serve(config, clock_at=at(2020, 11, 26, 15, 36, 18))
    server.receive_sms("36209213679", "WAT 1003", "36303444293")
    [(request, _)] = httpserver.log
    assert request.method == "GET"
    assert request.query_string == (
        b"message=WAT+1003&number=36209213679&destination=36303444293&timestamp=20201126153618"
    )


def test_seemes_documented_example_up_to_the_space(serve: Serve, httpserver: HTTPServer) -> None:
    """The documentation writes the space as %20 (and has a typo, %reply); the production
    capture writes +, which is what we send. Both decode the same, in the same order."""
    config = GatewayConfig(inbox_url=inbox(httpserver), inbox_prefixes=("PREFIX@36207654321",))
    server = serve(config, clock_at=at(2016, 3, 1, 12, 23, 41))
    server.receive_sms("36301234567", "PREFIX This is a reply", "36207654321")
    [(request, _)] = httpserver.log
    documented = "message=PREFIX%20This%20is%20a%20reply&number=36301234567&destination=36207654321&timestamp=20160301122341"  # noqa: E501
    assert parse_qsl(request.query_string.decode()) == parse_qsl(documented)


def test_accented_text_in_the_configured_charset(serve: Serve, httpserver: HTTPServer) -> None:
    url = inbox(httpserver)
    server = serve(GatewayConfig(inbox_url=url, inbox_numbers=("36201234567",)))
    server.receive_sms("36301234567", "Igen, köszönöm")
    server.reset(GatewayConfig(inbox_url=url, inbox_numbers=("36201234567",),
                               inbox_encoding="iso-8859-2"))  # fmt: skip
    server.receive_sms("36301234567", "Igen, köszönöm")
    first, second = (r.query_string for r, _ in httpserver.log)
    assert first.startswith(b"message=Igen%2C+k%C3%B6sz%C3%B6n%C3%B6m&")
    assert second.startswith(b"message=Igen%2C+k%F6sz%F6n%F6m&")


def test_routing_by_number_and_keyword(serve: Serve, httpserver: HTTPServer) -> None:
    config = GatewayConfig(
        inbox_url=inbox(httpserver),
        inbox_numbers=("36201234567",),
        inbox_prefixes=("SHOP@36303444293",),
    )
    server = serve(config)
    default = server.receive_sms("36301111111", "YES")
    assert default.destination == "36201234567" and default.unrouted is None
    assert server.receive_sms("36301111111", "shop 42", "36303444293").unrouted is None
    other = server.receive_sms("36301111111", "PIZZA 42", "36303444293")
    assert other.unrouted == (
        "36303444293 is a shared number: the text must start with a keyword of this account (SHOP)"
    )
    stranger = server.receive_sms("36301111111", "hi", "36209999999")
    assert stranger.unrouted == "36209999999 is none of the account's inbox numbers"
    assert [f["message"] for f in forwarded(httpserver)] == ["YES", "shop 42"]
    with pytest.raises(ValueError, match="international format"):
        server.receive_sms("06301111111", "YES")


def test_forwards_are_retried_when_asked(serve: Serve, httpserver: HTTPServer) -> None:
    url = inbox(httpserver, 500, 503, 500, 500, 500)
    server = serve(GatewayConfig(inbox_url=url, inbox_numbers=("36201234567",)))
    once = server.receive_sms("36301234567", "STOP")  # SeeMe's retries are not documented:
    assert [f.state for f in server.inbound[0].forwards] == [CallbackState.FAILED]  # 1 try
    assert once.id == 1
    server.reset(GatewayConfig(inbox_url=url, inbox_numbers=("36201234567",), inbox_attempts=6))
    server.receive_sms("36301234567", "STOP")
    server.advance(300)
    [forward] = server.inbound[0].forwards
    assert [a.status for a in forward.attempts] == [503, 500, 500, 500, 200]
    assert forward.state is CallbackState.DELIVERED


def test_a_forward_pending_at_kill_9_goes_out_after_the_restart(
    tmp_path: Path, httpserver: HTTPServer, serve_process: Callable[..., ServeProcess]
) -> None:
    url = inbox(httpserver, 500)
    args = ("--quiet", "--clock", "manual", "--journal", str(tmp_path / "j.db"), "--inbox-url",
            url, "--inbox-number", "36201234567", "--inbox-attempts", "3")  # fmt: skip
    first = serve_process(*args)
    answer = httpx.post(first.url + "/__admin/inbox", json={"number": "36301234567",
                                                            "message": "YES"})  # fmt: skip
    assert answer.json()["forwards"][0]["state"] == "pending"  # 500, a retry in 4 s
    first.kill()
    second = serve_process(*args)
    httpx.post(second.url + "/__admin/clock/advance", params={"seconds": 5})
    assert [f["message"] for f in forwarded(httpserver)] == ["YES", "YES"]
    [kept] = httpx.get(second.url + "/__admin/inbox").json()["inbound"]
    assert [a["http_status"] for a in kept["forwards"][0]["attempts"]] == [500, 200]


CONFIRM = """
[[scenario]]
name = "customers confirm"
match = { text = { contains = "Reply YES" } }
progression = "delivered"
reply = { after = "30s", text = "YES" }
"""


def test_a_scripted_reply_under_the_manual_clock(serve: Serve, httpserver: HTTPServer) -> None:
    config = GatewayConfig(
        inbox_url=inbox(httpserver),
        inbox_numbers=("36201234567",),
        scenarios=parse_scenarios(CONFIRM, "confirm.toml"),
    )
    server = serve(config)
    send(server.url, number="36301234567", sender="36201234567",
         message="Order 7: Reply YES to confirm")  # fmt: skip
    server.advance(30)
    assert httpserver.log == []  # delivered at 3 s, the answer comes 30 s after that
    [forward] = server.wait_for_inbound("36301234567")
    assert forward.inbound.answers == server.messages[0].id
    assert forwarded(httpserver) == [{"message": "YES", "number": "36301234567",
                                      "destination": "36201234567",
                                      "timestamp": "20130901091302"}]  # fmt: skip


def test_weighted_replies_follow_the_seed(serve: Serve, httpserver: HTTPServer) -> None:
    scenario = """
[[scenario]]
[[scenario.reply]]
weight = 70
text = "YES"
[[scenario.reply]]
weight = 20
text = "STOP"
[[scenario.reply]]
weight = 10
"""
    config = GatewayConfig(inbox_url=inbox(httpserver), inbox_numbers=("36201234567",),
                           scenarios=parse_scenarios(scenario, "w.toml"), seed=7)  # fmt: skip

    def run() -> list[str]:
        server.reset(config)
        for n in range(200):
            send(server.url, number=f"3630{n:07d}")
        server.advance(10)
        return [i.text for i in sorted(server.inbound, key=lambda i: i.number)]

    server = serve(config)
    first = run()
    assert run() == first
    assert 120 < first.count("YES") < 160 and 25 < first.count("STOP") < 55
    assert len(first) < 195  # some stay silent


def test_a_scripted_reply_under_the_real_clock(serve: Serve, httpserver: HTTPServer) -> None:
    scenario = '[[scenario]]\nsteps = [{ code = 6 }]\nreply = { after = "200ms", text = "OK" }\n'
    config = GatewayConfig(inbox_url=inbox(httpserver), inbox_numbers=("36201234567",),
                           scenarios=parse_scenarios(scenario, "r.toml"))  # fmt: skip
    server = serve(config, manual=False)
    send(server.url, number="36301234567")
    [forward] = server.wait_for_inbound("36301234567", timeout=10)
    assert forward.state is CallbackState.DELIVERED
    with pytest.raises(ExpectationError, match="from 36309999999"):
        server.wait_for_inbound("36309999999", timeout=0.2)


@pytest.mark.parametrize(("suffix", "reply"), [("9990301", "STOP"), ("9990302", "YES")])
def test_magic_numbers_reply(serve: Serve, httpserver: HTTPServer, suffix: str, reply: str) -> None:
    server = serve(GatewayConfig(inbox_url=inbox(httpserver), inbox_numbers=("36201234567",)))
    send(server.url, number=f"3630{suffix}")
    server.advance(10)
    assert [f["message"] for f in forwarded(httpserver)] == [reply]


def test_the_page_form_receives_an_sms(serve: Serve, httpserver: HTTPServer) -> None:
    server = serve(GatewayConfig(inbox_url=inbox(httpserver), inbox_numbers=("36201234567",)))
    with httpx.Client(base_url=server.url) as browser:
        assert 'action="/inbox"' in browser.get("/").text
        posted = browser.post("/inbox", data={"number": "36301234567", "message": "HELP"},
                              headers={"Origin": server.url}, follow_redirects=False)  # fmt: skip
        assert posted.status_code == 303
        [listed] = browser.get("/__admin/inbox").json()["inbound"]  # what the page's Inbox shows
        assert listed["message"] == "HELP"
        bad = browser.post("/inbox", data={"number": "0630", "message": "x"})
        assert bad.status_code == 400 and "international format" in bad.text
    assert [f["message"] for f in forwarded(httpserver)] == ["HELP"]


def test_serve_takes_the_inbox_settings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from seeme_mock.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--inbox-prefix", "WAT"])
    assert "--inbox-prefix: 'WAT' is not KEYWORD@NUMBER" in capsys.readouterr().err
