"""Every example in scenarios/ and every magic number, end to end under the manual clock."""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from conftest import START, VALID_KEY, Serve
from conftest import send as send_to
from seeme_mock import (
    Gateway,
    GatewayConfig,
    ManualClock,
    Message,
    SeemeMock,
    load_scenario_files,
    parse_scenarios,
)

EXAMPLES = load_scenario_files([Path(__file__).resolve().parent.parent / "scenarios"])


@pytest.fixture
def gateway(serve: Serve, httpserver: HTTPServer) -> SeemeMock:
    httpserver.expect_request("/dlr").respond_with_data("")
    return serve(GatewayConfig(scenarios=EXAMPLES))


def send(server: SeemeMock, httpserver: HTTPServer, **params: str) -> dict[str, Any]:
    """Every callback asked for, to the test's receiver."""
    return send_to(server.url, **{"callback": "all", "callbackurl": httpserver.url_for("/dlr"),
                                  **params})  # fmt: skip


def callbacks(httpserver: HTTPServer, encoding: str = "iso-8859-2") -> list[dict[str, str]]:
    return [
        dict(parse_qsl(request.query_string.decode(), encoding=encoding))
        for request, _ in httpserver.log
    ]


def codes(httpserver: HTTPServer) -> list[str]:
    return [c["code"] for c in callbacks(httpserver)]


def statuses(server: SeemeMock) -> list[tuple[int, float]]:
    [message] = server.messages
    return [(s.code, round(s.at - START, 3)) for s in message.statuses]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"number": "36305550007"}, [(3, 1.0), (4, 2.0), (7, 3.0)]),
        ({"sender": "Ops"}, [(2, 1.0)]),
        ({"message": "Your code: 123456"}, [(3, 0.1), (4, 0.2), (6, 0.5)]),
        ({"reference": "nightly-42"}, [(3, 1.0), (4, 2.0), (6, 302.0)]),
        ({"reference": "anything-else"}, [(3, 1.0), (4, 2.0), (6, 3.0)]),
    ],
)
def test_progressions(
    gateway: SeemeMock, httpserver: HTTPServer, params: dict[str, str],
    expected: list[tuple[int, float]],
) -> None:  # fmt: skip
    send(gateway, httpserver, **params)
    gateway.advance(400)
    assert statuses(gateway) == expected
    assert codes(httpserver) == [str(code) for code, _ in expected]


def test_steps_after_at_and_jitter(gateway: SeemeMock, httpserver: HTTPServer) -> None:
    send(gateway, httpserver, number="36301110000")
    gateway.advance(400)
    [(c3, t3), (c4, t4), (c8, t8), (c6, t6)] = statuses(gateway)
    assert (c3, t3, c4, t4, c8, t8, c6) == (3, 1.0, 4, 1.5, 8, 11.5, 6)
    assert 270 <= t6 <= 330
    assert codes(httpserver) == ["3", "4", "8", "6"]


def test_weighted_branches_follow_the_seed(gateway: SeemeMock, httpserver: HTTPServer) -> None:
    for n in range(300):
        send(gateway, httpserver, reference=f"load-{n}", callback="1,6,7")
    gateway.advance(10)
    outcomes = [c["code"] for c in callbacks(httpserver)]
    counts = Counter(outcomes)
    assert counts["6"] > 240 and 10 < counts["7"] < 45 and counts["1"] < 15
    assert sum(counts.values()) == 300
    again = [m.status for m in _fresh_run(300)]
    assert [int(code) for code in _by_reference(httpserver)] == again


def _by_reference(httpserver: HTTPServer) -> list[str]:
    found = {c["reference"]: c["code"] for c in callbacks(httpserver)}
    return [found[f"load-{n}"] for n in range(300)]


def _fresh_run(count: int) -> list[Message]:
    """The same sends through a new engine: the seed makes the same picks."""
    engine = Gateway(GatewayConfig(scenarios=EXAMPLES), ManualClock(START))
    for n in range(count):
        engine.handle({"key": VALID_KEY, "number": "36301234567", "message": "Hello",
                       "reference": f"load-{n}"})  # fmt: skip
    engine.clock.advance(10)  # type: ignore[attr-defined]
    engine.collect_due()
    return list(engine.messages)


def test_send_errors(gateway: SeemeMock, httpserver: HTTPServer) -> None:
    assert send(gateway, httpserver, sender="Promo")["code"] == 7
    message = send(gateway, httpserver, sender="Promo")["message"]
    assert message == (
        "Your current balance is 1000000000.000, which is not sufficient for the sending of "
        "this message."
    )
    assert gateway.messages == []
    engine = Gateway(GatewayConfig(scenarios=EXAMPLES), ManualClock(START))
    answer = engine.handle({"key": VALID_KEY, "number": "40751234567", "message": "x"})
    assert (answer.reply.fields["code"], answer.delay) == (8, 2.0)  # no real 2 s wait here


def test_a_slow_send_answer_really_waits(gateway: SeemeMock, httpserver: HTTPServer) -> None:
    started = time.monotonic()
    assert send(gateway, httpserver, reference="slow-send-1")["result"] == "OK"
    assert time.monotonic() - started >= 1.5


def test_price_parts_and_charset_overrides(gateway: SeemeMock, httpserver: HTTPServer) -> None:
    reply = send(gateway, httpserver, number="36701112222", callback="6")
    assert (reply["price"], reply["split"], reply["charset"]) == (25.5, 2, "UTF-8")
    gateway.advance(5)
    [report] = callbacks(httpserver)
    assert (report["price"], report["split"]) == ("25.50", "2")


def test_language_and_encoding(gateway: SeemeMock, httpserver: HTTPServer) -> None:
    send(gateway, httpserver, number="421905123456", callback="6")
    gateway.advance(5)
    [request] = [r for r, _ in httpserver.log]
    assert b"&message=Doru%C4%8Den%C3%A9&" in request.query_string
    assert callbacks(httpserver, "utf-8")[0]["mccmnc"] == "23101"


def test_ported_number(gateway: SeemeMock, httpserver: HTTPServer) -> None:
    send(gateway, httpserver, number="36209998888", callback="6")
    gateway.advance(5)
    [report] = callbacks(httpserver)
    assert (report["mccmnc"], report["price"]) == ("21670", "15.50")


def test_texts_and_parameters(gateway: SeemeMock, httpserver: HTTPServer) -> None:
    send(gateway, httpserver, reference="lean-1", callback="6", sender="Shop")
    gateway.advance(5)
    [request] = [r for r, _ in httpserver.log]
    assert request.query_string.decode().startswith(
        "reference=lean-1&code=6&message=Delivered+to+handset&timestamp=2013-09-01+09%3A12%3A32"
    )
    assert list(callbacks(httpserver)[0]) == ["reference", "code", "message", "timestamp"]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [("dup-1", ["3", "4", "6", "6"]), ("swap-1", ["3", "6", "4"]), ("drop-1", ["3", "6"])],
)
def test_faults(
    gateway: SeemeMock, httpserver: HTTPServer, reference: str, expected: list[str]
) -> None:
    send(gateway, httpserver, reference=reference, callback="3,4,6")
    gateway.advance(10)
    assert codes(httpserver) == expected


def test_a_late_callback(gateway: SeemeMock, httpserver: HTTPServer) -> None:
    send(gateway, httpserver, reference="late-1", callback="3,4,6")
    gateway.advance(599)
    assert codes(httpserver) == ["3", "4"]
    gateway.advance(5)
    assert codes(httpserver) == ["3", "4", "6"]
    assert callbacks(httpserver)[-1]["timestamp"] == "2013-09-01 09:12:32"  # the status's time


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("36309990007", ["3", "4", "7"]),
        ("40729990007", ["3", "4", "7"]),
        ("36309990002", ["2"]),
        ("36309990001", ["1"]),
        ("36309990006", ["3", "4", "6"]),
        ("36309990202", ["3", "4", "6", "6"]),
        ("36309990203", ["3", "6", "4"]),
        ("36309990204", ["3", "6"]),
        ("36309990201", ["3", "4"]),  # 6 only after five minutes
    ],
)
def test_magic_numbers(
    serve: Serve, httpserver: HTTPServer, number: str, expected: list[str]
) -> None:
    httpserver.expect_request("/dlr").respond_with_data("")
    server = serve()
    send(server, httpserver, number=number)
    server.advance(120)
    assert codes(httpserver) == expected


@pytest.mark.parametrize(
    ("number", "code"), [("36309990107", 7), ("36309990108", 8), ("4915199990112", 12)]
)
def test_magic_numbers_that_fail_the_send(
    serve: Serve, httpserver: HTTPServer, number: str, code: int
) -> None:
    server = serve()
    assert send(server, httpserver, number=number)["code"] == code


def test_magic_numbers_can_be_switched_off(serve: Serve, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/dlr").respond_with_data("")
    server = serve(GatewayConfig(magic_numbers=False))
    assert send(server, httpserver, number="36309990108")["result"] == "OK"
    server.advance(5)
    assert codes(httpserver) == ["3", "4", "6"]


def test_your_scenarios_come_before_the_magic_numbers(serve: Serve, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/dlr").respond_with_data("")
    mine = parse_scenarios(
        '[[scenario]]\nmatch = { number = { prefix = "3630" } }\nprogression = "stopped"\n',
        "mine.toml",
    )
    server = serve(GatewayConfig(scenarios=mine))
    send(server, httpserver, number="36309990007")
    server.advance(5)
    assert codes(httpserver) == ["2"]


BRANCHES = """
[[scenario]]
name = "mix"
[[scenario.branch]]
weight = {a}
progression = "delivered"
[[scenario.branch]]
weight = {b}
progression = "undeliverable"
"""


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    a=st.integers(min_value=1, max_value=20),
    b=st.integers(min_value=1, max_value=20),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_seeded_branches_repeat_and_follow_the_weights(a: int, b: int, seed: int) -> None:
    scenarios = parse_scenarios(BRANCHES.format(a=a, b=b), "mix.toml")

    def outcomes() -> list[int | None]:
        engine = Gateway(GatewayConfig(scenarios=scenarios, seed=seed), ManualClock(START))
        for _ in range(2000):
            engine.handle({"key": VALID_KEY, "number": "36301234567", "message": "x"})
        engine.clock.advance(10)  # type: ignore[attr-defined]
        engine.collect_due()
        return [m.status for m in engine.messages]

    first = outcomes()
    assert outcomes() == first
    share = first.count(6) / len(first)
    expected = a / (a + b)
    assert abs(share - expected) < 0.05, (share, expected)


def test_final_price_override_does_not_change_the_balance_taken() -> None:
    engine = Gateway(GatewayConfig(scenarios=EXAMPLES), ManualClock(START))
    engine.handle({"key": VALID_KEY, "number": "36209998888", "message": "x"})
    assert engine.balance == GatewayConfig().balance - Decimal("13.90")


def test_below_priority_0_the_magic_numbers_win(serve: Serve, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/dlr").respond_with_data("")
    everyone = '[[scenario]]\npriority = {p}\ncallback = {{ language = "hu" }}\n'
    for priority, ending in ((0, "6"), (-1, "7")):
        server = serve(GatewayConfig(scenarios=parse_scenarios(everyone.format(p=priority), "a")))
        send(server, httpserver, number="36309990007")
        server.advance(10)
        assert str(server.messages[0].status) == ending  # 0: the scenario's default delivers
