"""Bad receivers over real sockets: a receiver that never answers slows only itself, the
timeout is the one configured, and a huge answer is not read into memory."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from conftest import HeldReceiver, Serve, send, wait_for
from seeme_mock import CallbackState, GatewayConfig, RetryPolicy, SeemeMock, Step
from seeme_mock.server.dispatcher import LANE_BACKLOG


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A receiver that accepts connections and never answers (the kernel accepts them)."""
    with socket.create_server(("127.0.0.1", 0), backlog=1024) as hole:
        yield f"http://127.0.0.1:{hole.getsockname()[1]}/dlr"


def test_a_black_hole_does_not_hold_up_a_healthy_receiver(
    serve: Serve, httpserver: HTTPServer, black_hole: str
) -> None:
    httpserver.expect_request("/dlr").respond_with_data("")
    config = GatewayConfig(progression=(Step(6, 0.0),), retry=RetryPolicy(attempts=1))
    server = serve(config, manual=False, connections=4)
    for n in range(200):  # 4 on the wire for 5 s each, 196 waiting in the black hole's lane
        send(server.url, reference=f"hole-{n}", callback="6", callbackurl=black_hole)
    for n in range(20):
        send(server.url, reference=f"ok-{n}", callback="6", callbackurl=httpserver.url_for("/dlr"))
    wait_for("20 healthy callbacks", lambda: len(httpserver.log) == 20)
    holes = [m for m in server.messages if m.reference.startswith("hole-")]
    assert all(c.state is CallbackState.PENDING for m in holes for c in m.callbacks), (
        "the healthy callbacks waited for a black-hole attempt to time out"
    )


def test_the_timeout_is_the_one_configured(serve: Serve, black_hole: str) -> None:
    config = GatewayConfig(progression=(Step(6, 0.0),), retry=RetryPolicy(attempts=1, timeout=0.3))
    server = serve(config, manual=False)
    send(server.url, callback="6", callbackurl=black_hole)
    [message] = wait_for(
        "the attempt to give up",
        lambda: [m for m in server.messages if m.callbacks[0].state is CallbackState.FAILED],
    )
    [attempt] = message.callbacks[0].attempts
    assert attempt.error == "no answer within 0.3 s"
    assert 0.3 <= attempt.latency < 0.9  # aiohttp's client rounded 5 s up to about 6


def test_a_huge_answer_is_not_read_whole(serve: Serve, httpserver: HTTPServer) -> None:
    written: list[int] = []

    def endless(request: object) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(16 * 1024):  # 1 GiB if anyone read it all
                written.append(1)
                yield b"x" * 65536

        return Response(body(), status=200)

    httpserver.expect_request("/dlr").respond_with_handler(endless)
    server = serve()
    send(server.url, callback="6", callbackurl=httpserver.url_for("/dlr"))
    server.advance(5)
    [callback] = server.messages[0].callbacks
    assert callback.state is CallbackState.DELIVERED
    assert len(written) < 100  # 64 KiB read, then the connection was dropped


def _flood(
    serve: Serve, httpserver: HTTPServer, count: int
) -> tuple[SeemeMock, HeldReceiver, threading.Thread]:
    """A real-clock server with one connection per receiver, a receiver that answered once
    (slow, not dead) and now holds every request, and ``count`` sends to it from a thread
    that has started."""
    receiver = HeldReceiver(httpserver, "/slow", answer_first=True)
    server = serve(GatewayConfig(progression=(Step(6, 0.0),)), manual=False, connections=1)
    send(server.url, callback="6", callbackurl=receiver.url)
    wait_for("the receiver's first answer", receiver.entered.is_set)
    flood = threading.Thread(
        target=lambda: [send(server.url, callback="6", callbackurl=receiver.url)
                        for _ in range(count)]
    )  # fmt: skip
    flood.start()
    return server, receiver, flood


def test_a_slow_receiver_slows_the_sends_to_it_not_their_callbacks(
    serve: Serve, httpserver: HTTPServer
) -> None:
    """Back-pressure: when callbacks to a receiver that answers (slowly) pile up past
    LANE_BACKLOG, sends naming it are answered later instead of their callbacks going out
    ever later; sends to anyone else go on."""
    server, receiver, flood = _flood(serve, httpserver, 200)
    wait_for("the flood to wait for room", lambda: _stalled(server))
    held = len(server.messages)  # the first, the one on the wire, LANE_BACKLOG waiting, +1
    assert flood.is_alive() and held <= LANE_BACKLOG + 4, held
    assert send(server.url, number="36309876543")["result"] == "OK"  # no callback: no wait
    receiver.release.set()
    flood.join(60)
    assert not flood.is_alive() and len(server.messages) == 202


def test_a_reset_lets_sends_waiting_for_room_go_on(serve: Serve, httpserver: HTTPServer) -> None:
    server, receiver, flood = _flood(serve, httpserver, 60)
    wait_for("the flood to wait for room", lambda: _stalled(server))
    server.reset(GatewayConfig(progression=(Step(6, 0.0),)), clock="real")
    flood.join(30)  # the waiting send went on into the fresh gateway
    assert not flood.is_alive()
    receiver.release.set()


def _stalled(server: SeemeMock) -> bool:
    """No send accepted for a while: the sender waits for room."""
    before = len(server.messages)
    time.sleep(0.3)
    return before > LANE_BACKLOG and len(server.messages) == before
