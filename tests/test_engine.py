"""The gateway state machine on its own: no sockets, a manual clock, a scripted receiver."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import START, VALID_KEY
from seeme_mock import (
    Attempt,
    Callback,
    CallbackState,
    Gateway,
    GatewayConfig,
    ManualClock,
    RetryPolicy,
)
from seeme_mock.core.scenario import Step
from seeme_mock.core.scheduler import Scheduler
from seeme_mock.core.status import status_text

OK = Attempt(0, 200, None, 0.001)
DOWN = Attempt(0, None, "ConnectionRefused", 0.001)


def gateway(**config: object) -> tuple[Gateway, ManualClock]:
    clock = ManualClock(START)
    return Gateway(GatewayConfig(**config), clock), clock  # type: ignore[arg-type]


def send(gw: Gateway, **params: str) -> None:
    reply, _, _ = gw.handle({"key": VALID_KEY, "number": "36301234567", "message": "Hi", **params})
    assert reply.ok, reply


def run(
    gw: Gateway, clock: ManualClock, until: float, answer: Callable[[str], Attempt]
) -> list[str]:
    """Play the timeline like the dispatcher does; returns every URL attempted, in order."""
    urls: list[str] = []
    while (due := gw.next_due()) is not None and due <= START + until:
        clock.move_to(due)
        for dispatch in gw.collect_due():
            urls.append(dispatch.url)
            gw.record(dispatch.delivery, answer(dispatch.url))
    return urls


def codes(urls: list[str]) -> list[str]:
    return [parse_qs(urlsplit(u).query)["code"][0] for u in urls]


def test_default_progression_reports_only_the_listed_codes() -> None:
    gw, clock = gateway()
    send(gw, callback="4,6", callbackurl="http://sut/dlr")
    assert codes(run(gw, clock, 10, lambda url: OK)) == ["4", "6"]
    [message] = gw.messages
    assert [s.code for s in message.statuses] == [3, 4, 6]
    assert [s.at - START for s in message.statuses] == [1.0, 2.0, 3.0]
    assert message.status == 6


def test_nothing_happens_before_its_time() -> None:
    gw, clock = gateway()
    send(gw, callback="all", callbackurl="http://sut/dlr")
    assert codes(run(gw, clock, 1.999, lambda url: OK)) == ["3"]
    assert codes(run(gw, clock, 2.0, lambda url: OK)) == ["4"]


def test_account_defaults_apply_when_the_send_names_nothing() -> None:
    gw, clock = gateway(callback_url="http://default/dlr", callback_codes=frozenset({6}))
    send(gw)
    assert run(gw, clock, 10, lambda url: OK)[0].startswith("http://default/dlr?reference=")
    gw, clock = gateway(callback_url="http://default/dlr")
    send(gw)
    assert run(gw, clock, 10, lambda url: OK) == []


def test_what_was_recorded_cannot_be_changed_and_can_be_counted() -> None:
    """Attempts and status changes are public records of the past: immutable, and
    hashable, so a test can put them in a set (a plain dataclass, tried for speed, was
    neither)."""
    gw, clock = gateway()
    send(gw, callback="3,4,6", callbackurl="http://sut/dlr")
    run(gw, clock, 60, lambda url: OK)
    message = gw.messages[0]
    attempts = [a for callback in message.callbacks for a in callback.attempts]
    assert len(attempts) == 3 and len(set(attempts)) == 1  # the same outcome, three times
    assert len(set(message.statuses)) == len(message.statuses) == 3
    with pytest.raises(AttributeError):
        attempts[0].status = 500  # type: ignore[misc]
    with pytest.raises(AttributeError):
        message.statuses[0].code = 7  # type: ignore[misc]


def test_retries_back_off_and_keep_the_order() -> None:
    gw, clock = gateway(retry=RetryPolicy(attempts=6, first_delay=4, factor=2))
    send(gw, callback="3,4,6", callbackurl="http://sut/dlr")
    failures = iter([DOWN, DOWN])
    attempt_times: list[float] = []

    def answer(url: str) -> Attempt:
        attempt_times.append(clock.now() - START)
        return next(failures, OK)

    urls = run(gw, clock, 60, answer)
    assert codes(urls) == ["3", "3", "3", "4", "6"]
    assert attempt_times == [1, 5, 13, 13, 13]  # 4 s, then 8 s; 4 and 6 waited their turn
    first = gw.messages[0].callbacks[0]
    assert first.state is CallbackState.DELIVERED and len(first.attempts) == 3


def test_a_dead_receiver_is_given_up_after_the_last_attempt_and_recorded() -> None:
    gw, clock = gateway(retry=RetryPolicy(attempts=3, first_delay=1, factor=2))
    send(gw, callback="3,6", callbackurl="http://sut/dlr")
    urls = run(gw, clock, 100, lambda url: DOWN)
    assert codes(urls) == ["3", "3", "3", "6", "6", "6"]
    for callback in gw.messages[0].callbacks:
        assert callback.state is CallbackState.FAILED
        assert callback.failure == "no 2xx answer after 3 attempts"
    assert gw.count_pending_callbacks() == 0


def test_one_dead_receiver_does_not_hold_up_another() -> None:
    gw, clock = gateway()
    send(gw, callback="6", callbackurl="http://dead/dlr")
    send(gw, callback="6", callbackurl="http://alive/dlr")
    urls = run(gw, clock, 3, lambda url: DOWN if "dead" in url else OK)
    assert [urlsplit(u).netloc for u in urls] == ["dead", "alive"]
    assert gw.messages[1].callbacks[0].state is CallbackState.DELIVERED
    assert gw.messages[0].callbacks[0].state is CallbackState.PENDING


def test_callbacks_without_any_url_are_recorded_as_failed_not_dropped() -> None:
    gw, clock = gateway()
    send(gw, callback="6")
    assert run(gw, clock, 10, lambda url: OK) == []
    [callback] = gw.messages[0].callbacks
    assert callback.state is CallbackState.FAILED
    assert callback.failure == "no callbackurl in the send and no default callback URL set"


def test_timestamp_is_the_status_time_in_budapest_by_default() -> None:
    gw, clock = gateway()
    send(gw, callback="3", callbackurl="http://sut/dlr")
    [url] = run(gw, clock, 10, lambda url: OK)
    assert "&timestamp=2013-09-01+09%3A12%3A30&" in url


def test_timestamp_of_each_attempt_when_asked() -> None:
    gw, clock = gateway(timestamp="attempt", timezone="UTC", retry=RetryPolicy(first_delay=60))
    send(gw, callback="3", callbackurl="http://sut/dlr")
    failures = iter([DOWN])
    urls = run(gw, clock, 100, lambda url: next(failures, OK))
    assert ["07%3A12%3A30" in urls[0], "07%3A13%3A30" in urls[1]] == [True, True]


def test_price_and_split_follow_the_parts() -> None:
    gw, clock = gateway()
    send(gw, message="x" * 200, callback="6", callbackurl="http://sut/dlr", sender="Shop")
    [url] = run(gw, clock, 10, lambda url: OK)
    query = parse_qs(urlsplit(url).query)
    assert query["price"] == ["27.80"] and query["split"] == ["2"] and query["sender"] == ["Shop"]
    assert query["mccmnc"] == ["21630"]


def test_a_messages_reports_share_its_facts_and_each_states_its_own_status() -> None:
    """The part a message's reports share is encoded once and kept until its last report
    is done; a report resent after that is encoded again, the same."""
    gw, clock = gateway(timestamp="attempt", timezone="UTC")
    send(gw, callback="3,4,6", callbackurl="http://sut/dlr?x=1", sender="Shop", reference="r 1")
    urls = run(gw, clock, 10, lambda url: OK)
    [message] = gw.messages
    assert message.report_frame is None  # every report done: nothing of them kept
    shared = "http://sut/dlr?x=1&reference=r+1&number=36301234567&sender=Shop&code="
    assert [url.partition("&message=")[0] for url in urls] == [f"{shared}{c}" for c in (3, 4, 6)]
    texts = [parse_qs(urlsplit(url).query)["message"] for url in urls]
    assert texts == [[status_text(code)] for code in (3, 4, 6)]
    assert [url.partition("&timestamp=")[2] for url in urls] == [
        f"2013-09-01+07%3A12%3A{second}&mccmnc=21630&split=1" for second in (30, 31, 32)
    ]
    clock.move_to(START + 20)
    gw.resend(message.callbacks[2])
    [again] = run(gw, clock, 30, lambda url: OK)
    assert again == urls[2].replace("07%3A12%3A32", "07%3A12%3A49")


def test_what_falls_due_at_one_time_goes_out_in_the_order_it_was_scheduled() -> None:
    """Statuses a scenario puts at the same instant are reached in the plan's order, and
    each message's callbacks come in turn, messages in the order they were sent."""
    gw, clock = gateway(progression=(Step(3, 1.0), Step(4, 0.0), Step(6, 0.0)))
    for reference in ("a", "b", "c"):
        send(gw, callback="3,4,6", callbackurl="http://sut/dlr", reference=reference)
    clock.move_to(START + 1)
    rounds = []
    while batch := gw.collect_due():
        callbacks = [d.delivery for d in batch if isinstance(d.delivery, Callback)]
        rounds.append([(c.message.reference, c.code) for c in callbacks])
        for dispatch in batch:
            gw.record(dispatch.delivery, OK)
    assert rounds == [[(r, code) for r in "abc"] for code in (3, 4, 6)]
    assert all([s.code for s in m.statuses] == [3, 4, 6] for m in gw.messages)
    assert gw.next_due() is None


def test_a_bug_while_timers_are_taken_leaves_the_timeline_whole() -> None:
    """What is scheduled after it, for the very time that was being taken, still falls due
    (a list kept for a time no longer in the heap would hold it for ever)."""
    gw, _ = gateway()
    send(gw, callback="2", callbackurl="http://sut/dlr")
    [message] = gw.messages
    message.reply = (START + 0.5, "Thanks")

    bugs = [RuntimeError("a bug")]

    def changed(owner: object, delivery: object, attempt: object) -> None:
        if bugs:
            raise bugs.pop()

    scheduler = Scheduler(RetryPolicy(), changed=changed)
    scheduler.track(message)
    with pytest.raises(RuntimeError, match="a bug"):
        scheduler.pop_due(START + 0.5)  # the reply's timer: told to the failing hook
    scheduler.add_status(message, 2, START + 0.5)
    [callback] = scheduler.pop_due(START + 0.5).deliveries
    assert isinstance(callback, Callback) and callback.code == 2


def test_count_pending_includes_statuses_still_to_come() -> None:
    gw, clock = gateway()
    send(gw, callback="3,4,6", callbackurl="http://sut/dlr")
    assert gw.count_pending_callbacks() == 3
    run(gw, clock, 1, lambda url: OK)
    assert gw.count_pending_callbacks() == 2


def test_the_gateway_announces_whenever_something_sooner_is_due() -> None:
    """A transport on the real clock re-arms its timer on this, whatever changed the
    schedule: a send or a status pushed by hand (no caller has to remember to)."""
    gw, clock = gateway()
    heard: list[float | None] = []
    gw.listen(lambda: heard.append(gw.next_due()))
    send(gw, callback="6", callbackurl="http://sut/dlr")
    assert heard == [START + 1]  # status 3 is the first thing due
    send(gw, callback="2", callbackurl="http://sut/dlr")
    assert heard == [START + 1]  # nothing sooner: no news
    clock.move_to(START + 0.5)
    gw.push_status(gw.messages[1], 2)
    assert heard == [START + 1, START + 0.5]  # the pushed status's callback is due now


def test_a_detached_gateway_tells_no_one() -> None:
    gw, _ = gateway()
    heard: list[float | None] = []
    gw.listen(lambda: heard.append(gw.next_due()))
    gw.detach()
    send(gw, callback="6", callbackurl="http://sut/dlr")
    assert heard == []
