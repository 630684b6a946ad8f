"""Pacing: once a receiver's callbacks go out late, sends naming it are taken at a steady
rate (server/pacing.py); the rule on its own with given times, then over real sockets."""

from __future__ import annotations

import itertools
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from conftest import Serve, send, wait_for
from seeme_mock import GatewayConfig, Step
from seeme_mock.core.clock import ManualClock
from seeme_mock.core.gateway import Gateway
from seeme_mock.server import dispatcher as dispatching
from seeme_mock.server import pacing
from seeme_mock.server.dispatcher import Dispatcher
from seeme_mock.server.journal import SqliteJournal
from seeme_mock.server.pacing import Pace
from seeme_mock.server.sender import KeepAliveSender


class Thread:
    """The server's thread as a pace sees it: the CPU seconds it ran, which window() adds."""

    ran = 0.0

    def __call__(self) -> float:
        return self.ran


THREAD = Thread()


def window(
    pace: Pace,
    start: float,
    sends: int = 20,
    late: int = 0,
    seen: int = 100,
    *,
    late_by: float = 2 * pacing.LATE,
    busy: float = 1.0,
) -> float:
    """One WINDOW from ``start``: ``sends`` taken, ``seen`` first attempts of which ``late``
    went out ``late_by`` late, the server's thread running ``busy`` of the time, then the
    window closed; returns its end."""
    for n in range(sends):
        pace.admit(start + n * pacing.WINDOW / sends)
    for n in range(seen):
        pace.observe(late_by if n < late else 0.0, start + n * pacing.WINDOW / seen)
    end = start + pacing.WINDOW
    THREAD.ran += busy * pacing.WINDOW
    pace.observe(0.0, end)
    return end


def late_windows(
    pace: Pace, start: float, sends: int = 20, late_by: float = 2 * pacing.LATE
) -> float:
    """LATE_WINDOWS windows in a row with every callback late; returns the last's end."""
    for _ in range(pacing.LATE_WINDOWS):
        start = window(pace, start, sends, late=100, late_by=late_by)
    return start


def paced_at_850() -> tuple[Pace, float]:
    """Ten windows on time at 1,000 sends a second, then late ones: paced at 850."""
    pace, t = Pace(THREAD), 100.0
    for _ in range(10):
        t = window(pace, t)
    assert pace.rate is None  # on time: nothing to pace
    t = late_windows(pace, t)
    assert pace.rate == pytest.approx(1000 * pacing.CUT)
    return pace, t


def test_late_windows_pace_the_sends_below_what_was_taken() -> None:
    pace, t = paced_at_850()
    waits = [pace.admit(t) for _ in range(12)]
    at_once = int(pacing.BURST * 1000 * pacing.CUT) + 1  # BURST's worth: at once
    assert waits[:at_once] == [0.0] * at_once and waits[at_once] > 0
    steps = [b - a for a, b in itertools.pairwise(waits[at_once:])]
    assert steps == pytest.approx([1 / (1000 * pacing.CUT)] * len(steps))


def test_a_few_late_callbacks_a_short_stall_or_a_light_load_are_no_reason() -> None:
    pace, t = Pace(THREAD), 100.0
    for _ in range(10):
        t = window(pace, t, late=1)  # 1 in 100 late
    for _ in range(10):
        for _ in range(2):  # all late for 40 ms: a stall (a checkpoint of the journal)
            t = window(pace, t, late=100)
        t = window(pace, t)
    for _ in range(10):
        t = window(pace, t, late=3, seen=3)  # 3 of 4 late, but 200 callbacks a second
    assert pace.rate is None
    for _ in range(pacing.LATE_WINDOWS):
        t = window(pace, t, late=3)  # 3 in 100, for long enough
    assert pace.rate is not None


def test_one_cut_per_hold_then_growth_while_on_time() -> None:
    pace, t = paced_at_850()
    cut_at = t
    t = window(pace, t, late=100)
    assert pace.rate == pytest.approx(850), "cut again before the first cut could show"
    while t + pacing.WINDOW - cut_at < pacing.HOLD:
        t = window(pace, t)
        assert pace.rate == pytest.approx(850), "grown before the cut could show"
    t = late_windows(pace, t)
    rate, cut_at = 850 * pacing.CUT, t  # the rate, not the 1,000 taken: the lower of the two
    assert pace.rate == pytest.approx(rate)
    while t + pacing.WINDOW - cut_at < pacing.HOLD:
        t = window(pace, t)
    t = window(pace, t)
    assert pace.rate == pytest.approx(rate * pacing.GROW)


def on_time_for_calm(pace: Pace, t: float) -> float:
    for _ in range(int(pacing.CALM / pacing.WINDOW) + 1):
        t = window(pace, t)  # 1,000 sends a second
    return t


def test_callbacks_catching_up_after_a_stall_are_no_reason_to_cut() -> None:
    """After a stall the latest callbacks are less late window by window while the server
    works off what fell due meanwhile; a cut then held a load offered at a fixed rate far
    back. It comes once they stop catching up."""
    pace, t = Pace(THREAD), 100.0
    t = on_time_for_calm(pace, t)
    for ms in range(80, 20, -5):
        t = window(pace, t, late=100, late_by=ms / 1000)
    assert pace.rate is None
    window(pace, t, late=100, late_by=0.025)  # no less late than the window before
    assert pace.rate == pytest.approx(1000 * pacing.CUT)


@pytest.mark.parametrize("calm", [True, False], ids=["calm-before", "late-before"])
def test_late_windows_that_are_no_stall_s_catching_up_cut_as_ever(calm: bool) -> None:
    """A stall's catching-up is told by a calm before it and a first window very late; a
    load the server cannot follow makes late windows every few tenths of a second, and
    by a few milliseconds first."""
    pace, t = Pace(THREAD), 100.0
    t = on_time_for_calm(pace, t)
    if not calm:
        t = window(pace, t, late=100)
        t = window(pace, t)
    first = 2 * pacing.LATE if calm else 0.08
    for ms in range(pacing.LATE_WINDOWS):
        t = window(pace, t, late=100, late_by=first - ms / 1000)
    assert pace.rate is not None


def cut_in_late_windows(late_by: float) -> tuple[Pace, float]:
    """On time for CALM at 1,000 sends a second, then LATE_WINDOWS late windows taking 100
    a second, the latest first attempt of each ``late_by`` late: no catching up."""
    pace, t = Pace(THREAD), 100.0
    t = on_time_for_calm(pace, t)
    t = late_windows(pace, t, sends=2, late_by=late_by)
    return pace, t


def test_a_cut_after_a_stall_goes_by_what_was_taken_before_it() -> None:
    """A stall takes few sends while it lasts: the demand it leaves is no measure. Late
    windows a load the server cannot follow makes are what it takes (as ever)."""
    pace, _ = cut_in_late_windows(late_by=0.08)
    assert pace.rate == pytest.approx(1000 * pacing.CUT)
    pace, _ = cut_in_late_windows(late_by=2 * pacing.LATE)
    assert pace.demand is not None and pace.demand < 800
    assert pace.rate == pytest.approx(pace.demand * pacing.CUT)


@pytest.mark.parametrize("stall", [True, False], ids=["after-a-stall", "overload"])
def test_a_cut_after_a_stall_that_leaves_the_server_idle_grows_back_fast(stall: bool) -> None:
    """Sends held back while the server's thread idles: the stall's cut outlived it. A cut
    a load the server cannot follow called for grows 1% a window, idle or not."""
    pace, t = cut_in_late_windows(late_by=0.08 if stall else 2 * pacing.LATE)
    cut_at, rate = t, pace.rate
    assert rate is not None
    while t + pacing.WINDOW - cut_at < pacing.HOLD:
        t = window(pace, t, busy=pacing.IDLE / 2)
    assert pace.rate == pytest.approx(rate), "grown before the cut could show"
    t = window(pace, t, busy=pacing.IDLE / 2)
    grown = rate * (pacing.GROW_IDLE if stall else pacing.GROW)
    assert pace.rate == pytest.approx(grown)
    window(pace, t, busy=pacing.IDLE + 0.1)  # busy enough: a little more only
    assert pace.rate == pytest.approx(grown * pacing.GROW)


def test_demand_far_below_the_rate_ends_the_pacing() -> None:
    pace, t = paced_at_850()
    for _ in range(100):
        t = window(pace, t, sends=1)
        if pace.rate is None:
            break
    assert pace.rate is None
    assert pace.admit(t) == pace.admit(t) == 0.0


def test_the_rate_has_a_floor() -> None:
    pace, t = Pace(THREAD), 100.0
    t = window(pace, t, sends=0)
    late_windows(pace, t, sends=0)
    assert pace.rate == pacing.FLOOR


def test_after_an_idle_second_the_pace_starts_over_from_its_last_rate() -> None:
    pace, t = paced_at_850()
    t += pacing.FORGET + 0.1
    assert pace.admit(t) == 0.0
    assert pace.rate is None and pace.demand is None
    for _ in range(10):  # a new run comes in a rush, at twice what was taken before
        t = window(pace, t, sends=40)
    t = late_windows(pace, t, sends=40)
    assert pace.rate == pytest.approx(850 * pacing.CUT)  # not 2,000 * CUT


def test_after_a_rest_a_fast_pace_takes_the_new_run_at_its_last_rate_from_the_start() -> None:
    pace, t = Pace(THREAD), 100.0
    for _ in range(10):
        t = window(pace, t, sends=60)  # 3,000 sends a second, on time
    t = late_windows(pace, t, sends=60)
    rate = 3000 * pacing.CUT
    assert rate >= pacing.RESUME and pace.rate == pytest.approx(rate)
    t += pacing.FORGET + 0.1
    waits = [pace.admit(t) for _ in range(40)]  # the new run's rush, in one instant
    assert pace.rate == pytest.approx(rate)
    at_once = int(pacing.BURST * rate) + 1
    assert waits[:at_once] == [0.0] * at_once
    assert waits[-1] == pytest.approx((40 - at_once) / rate, rel=0.05)
    for _ in range(10):  # on time at that rate: it grows, as any pacing does
        t = window(pace, t, sends=50)
    assert pace.rate is not None and pace.rate > rate


def test_a_run_s_first_window_spans_the_sends_taken_before_its_first_callback() -> None:
    """1,200 sends in 0.1 s, then their callbacks, late, while the lane's backlog holds
    every new send: the demand is 12,000 a second, counted over the 0.1 s they came in."""
    pace, t = Pace(THREAD), 100.0
    for n in range(1200):
        assert pace.admit(t + n / 12_000) == 0.0
    t = late_windows(pace, t + 0.1, sends=0)
    decayed = 12_000 * 0.9**pacing.LATE_WINDOWS  # the late windows took nothing
    assert pace.rate == pytest.approx(decayed * pacing.CUT, rel=0.05)


def test_a_pace_knows_nothing_once_idle_unless_it_paced() -> None:
    pace, t = Pace(THREAD), 100.0
    t = window(pace, t)
    assert not pace.idle(t) and pace.idle(t + pacing.FORGET + 0.1)
    paced, t = paced_at_850()
    assert not paced.idle(t + 3600)  # its last rate is where a new run starts


def test_sends_naming_a_new_host_each_leave_no_pace_behind_for_good(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A send names its receiver before it is checked, so each gets a pace; those that
    know nothing are dropped once PACES are kept."""
    monkeypatch.setattr(dispatching, "PACES", 8)
    clock = ManualClock(100.0)
    dispatcher = Dispatcher(Gateway(GatewayConfig(), clock), KeepAliveSender())
    for second in range(5):
        clock.move_to(100.0 + second * (pacing.FORGET + 0.5))
        for n in range(20):
            assert dispatcher.admission(f"http://host{second}-{n}.invalid/dlr") == 0.0
    assert len(dispatcher._paces) <= 2 * 20  # this second's and at most the last's


def burst(server_url: str, url: str, count: int, prefix: str) -> list[dict[str, str]]:
    """``count`` sends naming ``url`` at once, from 20 threads."""
    with ThreadPoolExecutor(20) as pool:
        return list(pool.map(
            lambda n: send(server_url, reference=f"{prefix}{n}", callback="6", callbackurl=url),
            range(count),
        ))  # fmt: skip


@pytest.mark.parametrize("journaled", [False, True], ids=["memory", "journal"])
def test_late_callbacks_pace_the_sends_naming_their_receiver(
    serve: Serve,
    httpserver: HTTPServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    journaled: bool,
) -> None:
    """300 sends at once to a receiver on one connection: their callbacks, all due at
    once, go out one by one, ever later, so sends naming it get paced; a receiver that
    keeps up does not. With a journal, a paced send is answered once its turn came and
    it was committed."""
    monkeypatch.setattr(pacing, "CUT", 0.1)  # a pace slow enough to time below
    httpserver.expect_request("/dlr").respond_with_data("OK")
    other = HTTPServer(host="127.0.0.1")  # another port: another receiver
    other.expect_request("/dlr").respond_with_data("OK")
    other.start()
    journal = SqliteJournal(tmp_path / "j.db") if journaled else None
    config = GatewayConfig(progression=(Step(6, 0.0),))
    server = serve(config, manual=False, connections=1, journal=journal)
    crowded, calm = httpserver.url_for("/dlr"), other.url_for("/dlr")
    try:
        for n in range(10):
            send(server.url, reference=f"calm{n}", callback="6", callbackurl=calm)
        wait_for("the calm receiver's callbacks", lambda: len(other.log) == 10)
    finally:
        other.stop()
    # From here every window counts, however few callbacks it saw: the crowded receiver's
    # queue keeps its windows late until it has caught up, so nothing ends its pace early.
    monkeypatch.setattr(pacing, "MIN_SEEN", 1)
    assert [r["result"] for r in burst(server.url, crowded, 300, "a")] == ["OK"] * 300
    receiver = crowded.removesuffix("/dlr")

    def paced() -> dict[str, int]:
        health: dict[str, dict[str, int]] = httpx.get(server.url + "/__admin/health").json()
        return health["paced"]

    wait_for("the crowded receiver's sends to be paced", lambda: paced().get(receiver))
    assert list(paced()) == [receiver]  # not the calm one
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(receiver in line and "sends naming it" in line for line in warned), warned

    # Once its callbacks caught up (the lane's backlog holds no send back), 20 sends at once:
    # BURST's worth taken at once, the others each at its turn, none lost.
    wait_for("the callbacks to catch up", lambda: len(httpserver.log) == 300, timeout=30)
    pace = paced()[receiver]  # not forgotten yet: that takes FORGET without a callback
    started = time.monotonic()
    replies = burst(server.url, crowded, 20, "b")
    took = time.monotonic() - started
    assert [r["result"] for r in replies] == ["OK"] * 20
    fastest = pace * pacing.GROW**10  # it may grow a little meanwhile (a window: 20 ms)
    assert took >= (20 - 1 - pacing.BURST * fastest) / fastest, (took, pace)
    wait_for("the last callbacks", lambda: len(httpserver.log) == 320, timeout=30)


def test_a_fresh_server_paces_a_rush_from_the_sends_it_took_not_from_the_floor(
    serve: Serve,
    httpserver: HTTPServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """300 sends at once, their callbacks due 0.5 s later, to a receiver that takes 5 ms
    a callback on one connection: the callbacks go out late, and the pace starts from the
    300 taken, not from FLOOR (the lane's first callback came after them, and a pace that
    counted from there saw nothing taken)."""
    monkeypatch.setattr(pacing, "MIN_SEEN", 1)
    caplog.set_level(logging.WARNING, "seeme_mock")

    def slowly(request: Request) -> Response:
        time.sleep(0.005)  # the receiver's own work: it is slow, the test does not wait
        return Response("OK")

    httpserver.expect_request("/dlr").respond_with_handler(slowly)
    server = serve(GatewayConfig(progression=(Step(6, 0.5),)), manual=False, connections=1)
    url = httpserver.url_for("/dlr")
    assert [r["result"] for r in burst(server.url, url, 300, "r")] == ["OK"] * 300
    wait_for("the callbacks", lambda: len(httpserver.log) == 300, timeout=30)
    cuts = [
        float(r.getMessage().split(" taken at ")[1].split()[0])
        for r in caplog.records
        if "go out late" in r.getMessage()
    ]
    assert cuts, "the callbacks were never late: nothing was paced"
    assert cuts[0] > 4 * pacing.FLOOR, cuts
