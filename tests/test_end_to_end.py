"""Real sockets both ways: a SUT sends to the gateway, pytest-httpserver takes the callbacks."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from urllib.parse import parse_qsl

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from conftest import HeldReceiver, Serve, ServeProcess, send, wait_for
from seeme_mock import CallbackState, GatewayConfig, SeemeMock, Step


def received(httpserver: HTTPServer) -> list[dict[str, str]]:
    return [
        dict(parse_qsl(req.query_string.decode(), encoding="iso-8859-2"))
        for req, _ in httpserver.log
    ]


def test_three_callbacks_arrive_in_order_with_the_exact_bytes(
    serve: Serve, client: httpx.Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/dlr").respond_with_data("")
    server = serve(GatewayConfig(language="hu"))
    send(
        server.url,
        reference="sms43",
        callback="3,4,6",
        callbackurl=httpserver.url_for("/dlr"),
    )
    assert httpserver.log == []
    server.advance(3)
    queries = [req.query_string for req, _ in httpserver.log]
    assert queries == [
        b"reference=sms43&number=36301234567&code=3&message=Tov%E1bb%EDtva+a+t%E1voli+SMSC-nek"
        b"&price=13.90&timestamp=2013-09-01+09%3A12%3A30&mccmnc=21630&split=1",
        b"reference=sms43&number=36301234567&code=4&message=T%E1voli+SMSC+fogadta"
        b"&price=13.90&timestamp=2013-09-01+09%3A12%3A31&mccmnc=21630&split=1",
        b"reference=sms43&number=36301234567&code=6&message=K%E9zbes%EDtve"
        b"&price=13.90&timestamp=2013-09-01+09%3A12%3A32&mccmnc=21630&split=1",
    ]
    assert all(req.method == "GET" for req, _ in httpserver.log)


def test_a_receiver_that_fails_at_first_still_gets_every_callback_in_order(
    serve: Serve, client: httpx.Client, httpserver: HTTPServer
) -> None:
    answers = iter([500, 503, 500])

    def flaky(request: Request) -> Response:
        return Response("", status=next(answers, 200))

    httpserver.expect_request("/dlr").respond_with_handler(flaky)
    server = serve()
    send(
        server.url,
        reference="r1",
        callback="3,4,6",
        callbackurl=httpserver.url_for("/dlr"),
    )
    server.advance(60)
    assert [q["code"] for q in received(httpserver)] == ["3", "3", "3", "3", "4", "6"]
    [message] = server.messages
    first = message.callbacks[0]
    assert [a.status for a in first.attempts] == [500, 503, 500, 200]
    assert [a.error for a in first.attempts] == ["HTTP 500", "HTTP 503", "HTTP 500", None]
    assert all(a.latency > 0 for a in first.attempts)
    assert [c.state for c in message.callbacks] == [CallbackState.DELIVERED] * 3


def test_a_refused_connection_is_retried_and_recorded(
    serve: Serve, client: httpx.Client, httpserver: HTTPServer
) -> None:
    server = serve()
    httpserver.expect_request("/dlr").respond_with_data("")
    dead = "http://127.0.0.1:9/dlr"  # the discard port: nothing listens there
    send(server.url, reference="dead", callback="6", callbackurl=dead)
    send(
        server.url,
        reference="alive",
        callback="6",
        callbackurl=httpserver.url_for("/dlr"),
    )
    server.advance(300)
    assert [q["reference"] for q in received(httpserver)] == ["alive"]
    dead_message = server.messages[0]
    [callback] = dead_message.callbacks
    assert callback.state is CallbackState.FAILED
    assert len(callback.attempts) == 6
    assert all(
        a.status is None and "ConnectionRefusedError" in (a.error or "") for a in callback.attempts
    )


@pytest.fixture
def cli_server(serve_process: Callable[..., ServeProcess]) -> ServeProcess:
    """`seeme-mock serve --port 0` as a user runs it, real clock, short delays."""
    return serve_process("--delays", "0.05,0.1,0.15", "--retry-delay", "0.05", "--language", "hu")


def test_the_cli_server_sends_and_stops_cleanly(
    cli_server: ServeProcess, httpserver: HTTPServer
) -> None:
    answers = iter([500])
    httpserver.expect_request("/dlr").respond_with_handler(
        lambda request: Response("", status=next(answers, 200))
    )
    dlr = httpserver.url_for("/dlr")
    assert (
        send(cli_server.url, reference="cli", callback="3,4,6", callbackurl=dlr)["result"] == "OK"
    )
    wait_for("4 callbacks", lambda: len(httpserver.log) >= 4)
    assert [q["code"] for q in received(httpserver)] == ["3", "3", "4", "6"]
    assert received(httpserver)[-1]["message"] == "K\xe9zbes\xedtve"
    out = cli_server.stop()
    assert cli_server.process.returncode == 0
    assert "send number=36301234567 reference=cli -> OK 1 parts, GSM-7" in out
    assert "callback message=1 code=3 attempt=1 -> HTTP 500" in out
    assert out.rstrip().endswith("seeme-mock stopped; 0 callbacks were still pending")


def test_the_cli_reports_pending_callbacks_on_sigint(cli_server: ServeProcess) -> None:
    send(cli_server.url, callback="3,4,6", callbackurl="http://127.0.0.1:9/dlr")
    out = cli_server.stop(signal.SIGINT)
    assert "seeme-mock stopped; 3 callbacks were still pending" in out


def test_stopping_lets_a_callback_on_the_wire_finish(
    client: httpx.Client, httpserver: HTTPServer
) -> None:
    receiver = HeldReceiver(httpserver)
    config = GatewayConfig(progression=(Step(6, 0.0),))
    server = SeemeMock(config, clock="real").start()
    send(server.url, callback="6", callbackurl=receiver.url)
    assert receiver.entered.wait(10)
    stopped: list[int] = []
    stopper = threading.Thread(target=lambda: stopped.append(server.stop()))
    stopper.start()
    receiver.release.set()
    stopper.join(20)
    assert stopped == [0]
    [callback] = server.messages[0].callbacks
    assert callback.state is CallbackState.DELIVERED


def test_callback_headers_go_with_callbacks_and_forwards(
    serve: Serve, httpserver: HTTPServer
) -> None:
    """A SUT that allow-lists SeeMe's callback address behind a proxy sees it forwarded."""
    httpserver.expect_request("/dlr").respond_with_data("")
    httpserver.expect_request("/inbox").respond_with_data("")
    config = GatewayConfig(
        callback_headers=("X-Forwarded-For: 80.249.169.123", "X-Test: yes"),
        inbox_url=httpserver.url_for("/inbox"),
        inbox_numbers=("36201234567",),
    )
    server = serve(config)
    send(server.url, callback="6", callbackurl=httpserver.url_for("/dlr"))
    server.advance(5)
    server.receive_sms("36301234567", "YES")
    assert [r.path for r, _ in httpserver.log] == ["/dlr", "/inbox"]
    for request, _ in httpserver.log:
        assert request.headers["X-Forwarded-For"] == "80.249.169.123"
        assert request.headers["X-Test"] == "yes"
