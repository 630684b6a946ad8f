"""The fixture against a running server (seeme_url): a real `seeme-mock serve` process and
a sample project that only knows its URL, as a team whose SUT runs in docker-compose has."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from test_plugin import SEND_HELPERS

from conftest import ServeProcess

SAMPLE = """
import pytest
from conftest import send


def test_send_advance_wait_and_assert(seeme_mock, httpserver):
    assert seeme_mock.messages == []  # a reset per test
    httpserver.expect_request("/dlr").respond_with_data("")
    assert send(seeme_mock, reference="r1", callback="3,4,6",
                callbackurl=httpserver.url_for("/dlr"))["result"] == "OK"
    assert seeme_mock.advance(5) == 3
    assert [c["code"] for c in seeme_mock.wait_for_callbacks("r1")] == [3, 4, 6]
    assert len(httpserver.log) == 3
    seeme_mock.assert_sent(number="36301234567", count=1)


@pytest.mark.seeme(language="hu", callback_codes=frozenset({7}), scenario='''
[[scenario]]
match = { number = { suffix = "0007" } }
progression = "undeliverable"
''')
def test_marker_settings_and_scenarios(seeme_mock, httpserver):
    httpserver.expect_request("/dlr").respond_with_data("")
    send(seeme_mock, number="36305550007", callbackurl=httpserver.url_for("/dlr"))
    seeme_mock.advance(5)
    [(request, _)] = httpserver.log
    assert request.args["code"] == "7"
    assert b"message=K%E9zbes%EDthetetlen" in request.query_string  # Hungarian, ISO-8859-2
    assert seeme_mock.config["language"] == "hu"


def test_the_same_failure_messages(seeme_mock):
    send(seeme_mock, number="36201234567", message="Your code: 1234")
    seeme_mock.assert_sent(number="36301234567", text="1234")


def test_a_failed_wait_explains(seeme_mock):
    send(seeme_mock, reference="dead", callback="6", callbackurl="http://127.0.0.1:9/dlr")
    seeme_mock.wait_for_callbacks("dead", timeout=600)


def test_deliver_to_says_why_not(seeme_mock):
    with pytest.raises(ValueError, match="needs the in-process server"):
        seeme_mock.deliver_to(object())


def test_the_inbox(seeme_mock, httpserver):
    httpserver.expect_request("/inbox").respond_with_data("")
    seeme_mock.reset({"inbox_url": httpserver.url_for("/inbox"), "inbox_numbers": "36201234567"})
    seeme_mock.receive_sms("36301234567", "YES")
    [forward] = seeme_mock.wait_for_inbound("36301234567")
    assert forward["state"] == "delivered" and httpserver.log[0][0].args["message"] == "YES"
"""


def test_the_fixture_drives_a_running_server(
    pytester: pytest.Pytester, serve_process: Callable[..., ServeProcess]
) -> None:
    server = serve_process("--clock", "manual", "--quiet")
    pytester.makeconftest(SEND_HELPERS)
    pytester.makeini(f"[pytest]\nseeme_url = {server.url}\n")
    pytester.makepyfile(SAMPLE)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=4, failed=2)
    result.stdout.fnmatch_lines([
        "*ExpectationError: expected a send with number='36301234567', text='1234' at least "
        "once, found 0",
        "*other sends:",
        "*number='36201234567' text='Your code: 1234'",
    ])  # fmt: skip
    result.stdout.fnmatch_lines([
        "*ExpectationError: waited 600 virtual s for callbacks (all) of reference 'dead'",
        "*code=6: failed (no 2xx answer after 6 attempts); attempts: ConnectionRefusedError*",
    ])  # fmt: skip


def test_a_wrong_url_stops_the_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(seeme_mock): pass")
    result = pytester.runpytest("--seeme-url", "http://127.0.0.1:9")
    result.stdout.fnmatch_lines(["*seeme_url: no seeme-mock answers at http://127.0.0.1:9*"])
