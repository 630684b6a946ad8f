"""The durable journal: kill -9 and restart lose no callback; the memory cap holds."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import pickle
import select
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer

from conftest import START, VALID_KEY, Serve, ServeProcess, send, wait_for
from seeme_mock import (
    Attempt,
    CallbackState,
    Gateway,
    GatewayConfig,
    ManualClock,
    Message,
    RetryPolicy,
)
from seeme_mock.cli import main
from seeme_mock.core.errors import ConfigError
from seeme_mock.core.journal_state import state_of_row
from seeme_mock.server import journal_writer
from seeme_mock.server.collector import IdleCollection, collect_by_the_clock
from seeme_mock.server.journal import SqliteJournal
from seeme_mock.server.journal_writer import ATTEMPT_ROWS, Statements, _frame, _frames
from seeme_mock.server.shared_future import SharedFuture


def send_many(url: str, callbackurl: str, count: int) -> None:
    for n in range(count):
        reply = send(url, reference=f"m{n}", callback="3,4,6", callbackurl=callbackurl)
        assert reply["result"] == "OK"


def arrived(httpserver: HTTPServer) -> Counter[tuple[str, str]]:
    return Counter((r.args["reference"], r.args["code"]) for r, _ in httpserver.log)


KILLS = 5


def test_kill_9_again_and_again_loses_no_callback(
    tmp_path: Path, httpserver: HTTPServer, serve_process: Callable[..., ServeProcess]
) -> None:
    """Five kill -9s while callbacks are due, on wire and waiting; at least once each."""
    httpserver.expect_request("/dlr").respond_with_data("")
    serve = ("--quiet", "--journal", str(tmp_path / "journal.db"), "--delays", "0.3,0.9,1.5")
    server = serve_process(*serve)
    send_many(server.url, httpserver.url_for("/dlr"), 100)
    seen: list[int] = []
    for _ in range(KILLS):
        count = len(httpserver.log)

        def more(count: int = count) -> bool:
            return len(httpserver.log) > count

        wait_for("more callbacks", more)
        server.kill()
        seen.append(len(httpserver.log))
        server = serve_process(*serve)
    wait_for("300 callbacks", lambda: len(arrived(httpserver)) >= 300)
    got = arrived(httpserver)
    expected = {(f"m{n}", code) for n in range(100) for code in ("3", "4", "6")}
    assert set(got) == expected, f"missing: {sorted(expected - set(got))[:10]}"
    assert seen[0] < 300  # the kills really cut progressions short
    assert "0 callbacks were still pending" in server.stop()
    print(f"{KILLS} kills, {sum(got.values()) - 300} callbacks sent twice (at least once)")


def test_manual_clock_restart_keeps_virtual_time(
    tmp_path: Path, httpserver: HTTPServer, serve_process: Callable[..., ServeProcess]
) -> None:
    httpserver.expect_request("/dlr").respond_with_data("")
    journal = str(tmp_path / "journal.db")
    first = serve_process("--quiet", "--journal", journal, "--clock", "manual")
    send_many(first.url, httpserver.url_for("/dlr"), 10)
    httpx.post(f"{first.url}/__admin/clock/advance", params={"seconds": 1.5})
    virtual = httpx.get(f"{first.url}/__admin/health").json()["now"]
    first.kill()
    assert sorted(code for _, code in arrived(httpserver)) == ["3"] * 10
    second = serve_process("--quiet", "--journal", journal, "--clock", "manual")
    health = httpx.get(f"{second.url}/__admin/health").json()
    assert (health["now"], health["messages"], health["pending_callbacks"]) == (virtual, 10, 20)
    httpx.post(f"{second.url}/__admin/clock/advance", params={"seconds": 5}, timeout=30)
    assert Counter(code for _, code in arrived(httpserver)) == {"3": 10, "4": 10, "6": 10}


def test_retries_resume_where_they_stood(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.db")
    config = GatewayConfig(retry=RetryPolicy(first_delay=4, factor=2))
    gateway = Gateway(config, ManualClock(START), journal)
    gateway.handle({"key": VALID_KEY, "number": "36301234567", "message": "x", "callback": "6",
                    "callbackurl": "http://sut/dlr"})  # fmt: skip
    for at in (3, 7):  # the status at 3 s, the first retry 4 s later
        gateway.move_clock_to(START + at)
        [dispatch] = gateway.collect_due()
        gateway.record(dispatch.delivery, Attempt(START + at, 500, "HTTP 500", 0.01))
    journal.close()

    reopened = SqliteJournal(tmp_path / "j.db")
    saved = reopened.load()
    again = Gateway(config, ManualClock(saved.clock or START), reopened)
    again.restore(saved.messages, saved.rejections)
    assert again.next_due() == START + 7 + 8  # the second retry waits 8 s
    [callback] = again.messages[0].callbacks
    assert [a.status for a in callback.attempts] == [500, 500]
    assert callback.state is CallbackState.PENDING
    assert again.balance == config.balance - again.messages[0].price
    reopened.close()


def test_attempts_written_as_rows_and_states_rewritten_by_hand_load_back_alike(
    tmp_path: Path,
) -> None:
    """The journal writes a message whole, then its attempts as rows; a resend or a
    status pushed by hand rewrites it whole. Whatever the mix, what loads back is what
    the gateway had."""
    journal = SqliteJournal(tmp_path / "j.db")
    config = GatewayConfig(retry=RetryPolicy(attempts=3, first_delay=1, factor=1))
    gateway = Gateway(config, ManualClock(START), journal)
    gateway.handle({"key": VALID_KEY, "number": "36301234567", "message": "x",
                    "callback": "3,4,6", "callbackurl": "http://sut/dlr"})  # fmt: skip
    [message] = gateway.messages
    answers = iter([500, 200, 500, 500, 500, 200, 200])

    def step(at: float) -> None:
        gateway.move_clock_to(START + at)
        for dispatch in gateway.collect_due():
            gateway.record(dispatch.delivery, Attempt(START + at, next(answers), None, 0.01))
        journal.flush()

    for at in (1, 2, 3, 4):  # code 3: 500 then 200; code 4: 500, 500...
        step(at)
    gateway.resend(message.callbacks[0])  # rewritten whole
    gateway.push_status(message, 8)
    journal.flush()
    for at in (5, 6, 7):
        step(at)
    journal.close()

    def summary(m: Message) -> list[tuple[int, str, list[int | None]]]:
        return [(c.code, c.state.value, [a.status for a in c.attempts]) for c in m.callbacks]

    reopened = SqliteJournal(tmp_path / "j.db")
    saved = reopened.load()
    again = Gateway(config, ManualClock(START + 7), reopened)
    again.restore(saved.messages, saved.rejections)
    assert summary(again.messages[0]) == summary(message)
    assert [s.code for s in again.messages[0].statuses] == [s.code for s in message.statuses]
    reopened.close()


def test_changes_of_one_turn_in_any_order_load_back_as_they_were(tmp_path: Path) -> None:
    """In one turn of the loop (one flush): an attempt, then a resend that rewrites the
    message whole, then another attempt; and a callback given up with nowhere to go. The
    whole state already holds the first attempt, so its row must not count it twice."""
    journal = SqliteJournal(tmp_path / "j.db")
    config = GatewayConfig(retry=RetryPolicy(attempts=3, first_delay=1, factor=1))
    gateway = Gateway(config, ManualClock(START), journal)
    for url in ("http://sut/dlr", ""):
        gateway.handle({"key": VALID_KEY, "number": "36301234567", "message": "x",
                        "callback": "3,4", "callbackurl": url})  # fmt: skip
    journal.flush()
    sent, nowhere = gateway.messages

    def attempt(at: float, status: int) -> None:
        gateway.move_clock_to(START + at)
        for dispatch in gateway.collect_due():
            gateway.record(dispatch.delivery, Attempt(START + at, status, None, 0.01))

    attempt(1, 500)
    gateway.resend(sent.callbacks[0])
    attempt(2, 200)
    journal.close()

    reopened = SqliteJournal(tmp_path / "j.db")
    saved = reopened.load()
    again = Gateway(config, ManualClock(START + 2), reopened)
    again.restore(saved.messages, saved.rejections)
    for before, after in zip((sent, nowhere), again.messages, strict=True):
        assert [(c.code, c.state, c.failure, c.attempts) for c in after.callbacks] == [
            (c.code, c.state, c.failure, c.attempts) for c in before.callbacks
        ]
    assert [c.state for c in nowhere.callbacks] == [CallbackState.FAILED] * 2
    assert [len(c.attempts) for c in sent.callbacks] == [2, 0, 0]
    reopened.close()


def test_the_sweep_deletes_the_rows_no_load_applies_but_never_the_last(tmp_path: Path) -> None:
    """Rows older than their message's whole state, and rows of dropped messages, go; the
    others stay, and so does the last row whatever it is: SQLite numbers a new row one past
    the last, so the next one cannot take a number a message already counts as old."""
    SqliteJournal(tmp_path / "j.db").close()
    db = journal_writer.connect(tmp_path / "j.db")
    db.executemany(
        "INSERT INTO messages (id, state, attempts_after) VALUES (?, 'x', ?)", [(1, 0), (2, 3)]
    )
    rows = [(1, 0), (2, 0), (9, 0), (2, 0), (9, 0)]  # 1 and 4 count; 9 was dropped
    db.executemany(
        ATTEMPT_ROWS, [(m, c, START, 200, None, 0.01, "delivered", None) for m, c in rows]
    )
    sweep = journal_writer.Sweep()
    sweep.after(db, [(ATTEMPT_ROWS, [()] * (sweep.SWEEP_AT - 1))])
    assert [seq for (seq,) in db.execute("SELECT seq FROM attempts")] == [1, 2, 3, 4, 5]  # not yet
    sweep.after(db, [(ATTEMPT_ROWS, [()])])
    assert [seq for (seq,) in db.execute("SELECT seq FROM attempts")] == [1, 4, 5]
    db.execute(ATTEMPT_ROWS, (1, 0, START, 200, None, 0.01, "delivered", None))
    assert db.execute("SELECT max(seq) FROM attempts").fetchone() == (6,)
    db.close()


def test_a_burst_of_attempt_rows_is_swept_a_bounded_piece_at_a_time(tmp_path: Path) -> None:
    """Whoever sweeps (the server itself, without a writer process) stops for a few
    milliseconds at most, however many rows one commit wrote."""
    SqliteJournal(tmp_path / "j.db").close()
    db = journal_writer.connect(tmp_path / "j.db")
    sweep = journal_writer.Sweep()
    burst = 3 * sweep.MOST
    db.executemany(ATTEMPT_ROWS, [(9, 0, START, 200, None, 0.01, "delivered", None)] * burst)
    left: list[int] = []
    for _ in range(3):
        sweep.after(db, [(ATTEMPT_ROWS, [()] * (burst if not left else 0))])
        left.append(db.execute("SELECT count(*) FROM attempts").fetchone()[0])
    # message 9 is gone: each sweep deletes what it examines, MOST rows, and no more
    assert left == [burst - sweep.MOST, burst - 2 * sweep.MOST, burst - 3 * sweep.MOST + 1]
    db.close()


def test_a_long_run_with_resends_and_drops_loads_back_and_keeps_its_table_small(
    tmp_path: Path,
) -> None:
    """Messages dropped by the cap and callbacks resent (a message written whole again)
    leave rows no load applies; swept as the run goes, they neither grow the table without
    end nor come back at a load."""
    journal = SqliteJournal(tmp_path / "j.db")
    gateway = Gateway(GatewayConfig(max_messages=20), ManualClock(START), journal)
    for n in range(1, 1200):
        gateway.handle({"key": VALID_KEY, "number": "36301234567", "message": str(n),
                        "callback": "3,6", "callbackurl": "http://sut/dlr"})  # fmt: skip
        gateway.move_clock_to(START + 10 * n)
        for dispatch in gateway.collect_due():
            gateway.record(dispatch.delivery, Attempt(START + 10 * n, 200, None, 0.01))
        if n % 7 == 0:
            gateway.resend(gateway.messages[-1].callbacks[0])  # rewritten whole
        journal.flush()
    journal.close()
    db = sqlite3.connect(tmp_path / "j.db")
    held, written = db.execute("SELECT count(*), max(seq) FROM attempts").fetchone()
    db.close()
    bound = 2 * journal_writer.Sweep.SWEEP_AT + 2 * 2 * 20  # two sweeps' worth, twice the kept
    assert held <= bound < written / 2

    def summary(m: Message) -> tuple[str, list[tuple[int, str, int]]]:
        return m.text, [(c.code, c.state.value, len(c.attempts)) for c in m.callbacks]

    reopened = SqliteJournal(tmp_path / "j.db")
    saved = reopened.load()
    again = Gateway(GatewayConfig(max_messages=20), ManualClock(START + 4000), reopened)
    again.restore(saved.messages, saved.rejections)
    assert [summary(m) for m in again.messages] == [summary(m) for m in gateway.messages]
    reopened.close()


def test_an_older_journal_is_brought_to_this_shape_and_loads_alike(tmp_path: Path) -> None:
    """Before the sixteenth pass's sweep, messages had no attempts_after, attempts had no
    seq of their own and an index by message; their rows all counted."""
    journal = SqliteJournal(tmp_path / "j.db")
    config = GatewayConfig(retry=RetryPolicy(attempts=3, first_delay=1, factor=1))
    gateway = Gateway(config, ManualClock(START), journal)
    gateway.handle({"key": VALID_KEY, "number": "36301234567", "message": "x",
                    "callback": "3,4", "callbackurl": "http://sut/dlr"})  # fmt: skip
    journal.flush()
    for at, status in ((1, 500), (2, 200), (3, 200)):
        gateway.move_clock_to(START + at)
        for dispatch in gateway.collect_due():
            gateway.record(dispatch.delivery, Attempt(START + at, status, None, 0.01))
    journal.close()
    db = sqlite3.connect(tmp_path / "j.db")
    db.executescript("""
        ALTER TABLE messages DROP COLUMN attempts_after;
        CREATE TABLE old (message INTEGER NOT NULL, callback INTEGER NOT NULL, at REAL,
          status INTEGER, error TEXT, latency REAL, state TEXT NOT NULL, failure TEXT);
        INSERT INTO old SELECT message, callback, at, status, error, latency, state, failure
          FROM attempts ORDER BY seq;
        DROP TABLE attempts;
        ALTER TABLE old RENAME TO attempts;
        CREATE INDEX attempts_of ON attempts (message);
    """)  # fmt: skip
    db.close()

    reopened = SqliteJournal(tmp_path / "j.db")
    saved = reopened.load()
    reopened.close()
    [message] = saved.messages
    statuses = [[a.status for a in c.attempts] for c in gateway.messages[0].callbacks]
    assert statuses == [[500, 200], [200]]
    assert [[a[1] for a in c["attempts"]] for c in message["callbacks"]] == statuses
    db = sqlite3.connect(tmp_path / "j.db")
    assert "attempts_after" in {row[1] for row in db.execute("PRAGMA table_info(messages)")}
    assert "seq" in {row[1] for row in db.execute("PRAGMA table_info(attempts)")}
    indexes = db.execute(
        "SELECT name FROM sqlite_master WHERE tbl_name = 'attempts' AND type = 'index'"
    )
    assert indexes.fetchall() == []
    db.close()


def test_the_memory_cap_drops_the_oldest_finished_messages() -> None:
    gateway = Gateway(GatewayConfig(max_messages=10), ManualClock(START))
    for n in range(25):
        gateway.handle({"key": VALID_KEY, "number": "36301234567", "message": str(n)})
        gateway.move_clock_to(START + 10 * (n + 1))
        gateway.collect_due()
    assert len(gateway.messages) <= 10
    assert gateway.dropped + len(gateway.messages) == 25
    assert gateway.messages[-1].text == "24"


def test_dropped_messages_are_freed_without_the_cycle_collector() -> None:
    """The server runs Python's full collection only when idle, so a dropped message must
    not wait for it: its cycle with its callbacks is cut when it is dropped."""
    gateway = Gateway(GatewayConfig(max_messages=10), ManualClock(START))
    gc.collect()
    gc.disable()
    try:
        for n in range(50):
            gateway.handle({"key": VALID_KEY, "number": "36301234567", "message": str(n),
                            "callback": "6", "callbackurl": "http://sut/dlr"})  # fmt: skip
            gateway.move_clock_to(START + 10 * (n + 1))
            for dispatch in gateway.collect_due():
                gateway.record(dispatch.delivery, Attempt(START + 10 * (n + 1), 200, None, 0))
        assert gateway.dropped >= 40
        assert gc.collect() == 0  # nothing was left for the collector to find
    finally:
        gc.enable()


def test_the_full_collection_waits_for_sends_to_stop() -> None:
    sends = 0
    idle = IdleCollection(lambda: sends)
    ticks = []
    for busy in (True, True, True, False, False, False, True, False):
        sends += busy
        ticks.append(idle.tick())
    # busy periods never collect; the first quiet one does, once; again after new sends
    assert ticks == [False, False, False, True, False, False, False, True]


def test_the_server_runs_the_collector_itself_and_gives_it_back() -> None:
    async def scenario() -> bool:
        collector = asyncio.create_task(collect_by_the_clock(lambda: 0))
        await asyncio.sleep(0)  # it has started
        taken = not gc.isenabled()
        collector.cancel()
        await asyncio.gather(collector, return_exceptions=True)
        return taken

    assert asyncio.run(scenario()) and gc.isenabled()


def test_one_unfinished_old_message_does_not_stop_the_dropping(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.db")
    gateway = Gateway(GatewayConfig(max_messages=10), ManualClock(START), journal)
    slow = {"key": VALID_KEY, "number": "36301234567", "message": "slow", "callback": "6",
            "callbackurl": "http://127.0.0.1:9/dlr"}  # fmt: skip
    gateway.handle(slow)  # its callback is never answered below: it stays unfinished
    for n in range(40):
        gateway.handle({"key": VALID_KEY, "number": "36301234567", "message": str(n)})
        gateway.move_clock_to(START + 10 * (n + 1))
        gateway.collect_due()  # the slow one's callback is handed out, never recorded
    assert len(gateway.messages) <= 10
    assert gateway.messages[0].text == "slow"
    assert gateway.dropped + len(gateway.messages) == 41
    kept = [state["id"] for state in journal.load().messages]
    assert kept == [m.id for m in gateway.messages]  # the journal is pruned alike
    journal.close()


def test_refused_sends_are_capped_counted_and_cut_short(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.db")
    gateway = Gateway(GatewayConfig(max_rejections=10), ManualClock(START), journal)
    for n in range(25):
        gateway.handle({"key": VALID_KEY, "number": "0630", "message": "x" * 500_000,
                        "reference": str(n)})  # fmt: skip
    assert len(gateway.rejections) <= 10
    assert gateway.dropped_rejections + len(gateway.rejections) == 25
    assert gateway.rejections[-1].params["reference"] == "24"
    message = gateway.rejections[-1].params["message"]
    assert len(message) < 1100 and message.endswith("… (499000 more characters)")
    assert len(journal.load().rejections) == len(gateway.rejections)
    journal.close()


def test_export_a_journal_file(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.db")
    gateway = Gateway(GatewayConfig(), ManualClock(START), journal)
    gateway.handle({"key": VALID_KEY, "number": "36301234567", "message": "x", "reference": "e"})
    gateway.handle({"key": VALID_KEY, "number": "0630", "message": "x"})
    journal.close()
    out = tmp_path / "journal.json"
    assert main(["export", "--journal", str(tmp_path / "j.db"), "-o", str(out)]) == 0
    exported = json.loads(out.read_text())
    assert [m["reference"] for m in exported["messages"]] == ["e"]
    assert exported["rejections"][0]["code"] == 3


@pytest.mark.parametrize("older", [json.dumps, pickle.dumps], ids=["JSON", "pickled dict"])
def test_a_journal_of_named_states_still_loads(
    tmp_path: Path, older: Callable[[dict[str, object]], str | bytes]
) -> None:
    """Journals written before message rows were tuples hold named states: as JSON text,
    then pickled dicts."""
    journal = SqliteJournal(tmp_path / "j.db")
    gateway = Gateway(GatewayConfig(), ManualClock(START), journal)
    gateway.handle({"key": VALID_KEY, "number": "36301234567", "message": "x",
                    "reference": "old", "callback": "3,4,6",
                    "callbackurl": "http://sut/dlr"})  # fmt: skip
    journal.close()
    db = sqlite3.connect(tmp_path / "j.db")
    [(value,)] = db.execute("SELECT state FROM messages").fetchall()
    assert isinstance(pickle.loads(value), tuple)
    db.execute("UPDATE messages SET state = ?", (older(state_of_row(pickle.loads(value))),))
    db.commit()
    db.close()
    saved = SqliteJournal(tmp_path / "j.db").load()
    again = Gateway(GatewayConfig(), ManualClock(START), None)
    again.restore(saved.messages, saved.rejections)
    [message] = again.messages
    assert message.reference == "old"
    assert [c.code for c in message.callbacks] == [3, 4, 6]
    assert message.plan == gateway.messages[0].plan


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ((1, 2.0, "36301234567"), r"a message row of 3 fields, not 18"),
        ((0,) * 15 + (7, None, False), r"'int' object is not iterable"),  # its callbacks
    ],
    ids=["too short", "callbacks not a list"],
)
def test_a_message_row_of_the_wrong_shape_is_refused(
    tmp_path: Path, row: tuple[object, ...], why: str
) -> None:
    SqliteJournal(tmp_path / "j.db").close()
    db = sqlite3.connect(tmp_path / "j.db")
    db.execute("INSERT INTO messages (id, state) VALUES (1, ?)", (pickle.dumps(row),))
    db.commit()
    db.close()
    with pytest.raises(ConfigError, match=rf"not seeme-mock's \({why}"):
        SqliteJournal(tmp_path / "j.db").load()


def test_a_journal_naming_code_to_run_is_refused_not_run(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j.db")
    journal.close()
    db = sqlite3.connect(tmp_path / "j.db")
    db.execute("INSERT INTO messages (id, state) VALUES (1, ?)", (pickle.dumps(Path("/x")),))
    db.commit()
    db.close()
    with pytest.raises(ConfigError, match=r"not seeme-mock's \(it names pathlib"):
        SqliteJournal(tmp_path / "j.db").load()


def test_a_send_whose_client_left_does_not_end_the_others_wait_for_the_commit(
    tmp_path: Path,
) -> None:
    """Every send of one commit waits on the same future: one waiter cancelled (its client
    hung up) must leave it to the others, who are answered once it is committed."""
    journal = SqliteJournal(tmp_path / "j.db")
    gateway = Gateway(GatewayConfig(), ManualClock(START), journal)

    gateway.handle({"key": VALID_KEY, "number": "36301234567", "message": "a"})

    async def scenario() -> list[bool]:
        left = asyncio.create_task(journal.written())
        stays = asyncio.create_task(journal.written())
        await asyncio.sleep(0)  # both wait now; the first asked for the commit, after this
        left.cancel()
        await asyncio.gather(left, stays, return_exceptions=True)
        return [left.cancelled(), stays.done() and not stays.cancelled()]

    assert asyncio.run(scenario()) == [True, True]
    assert [state["text"] for state in journal.load().messages] == ["a"]
    journal.close()


def writer_of(server: ServeProcess) -> int:
    """The pid of the server's journal writer process."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    [writer] = [c for c in children if b"journal_writer" in Path(f"/proc/{c}/cmdline").read_bytes()]
    return int(writer)


def references_in(path: Path) -> list[str]:
    """What a restart on the journal at ``path`` would read (a connection of its own)."""
    journal = SqliteJournal(path)
    references = [state["reference"] for state in journal.load().messages]
    journal.close()
    return references


def test_a_server_commits_in_its_writer_process_before_it_answers(
    tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    path = tmp_path / "journal.db"
    server = serve_process("--quiet", "--journal", str(path))
    assert writer_of(server)
    for n in range(3):
        assert send(server.url, reference=f"r{n}")["result"] == "OK"
        assert references_in(path)[-1] == f"r{n}"  # committed by the time it was answered
    assert server.stop() == "seeme-mock stopped; 0 callbacks were still pending\n"


def test_a_writer_process_that_dies_leaves_the_server_writing_the_journal_itself(
    tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    path = tmp_path / "journal.db"
    server = serve_process("--quiet", "--journal", str(path))
    assert send(server.url, reference="before")["result"] == "OK"
    os.kill(writer_of(server), signal.SIGKILL)
    for n in range(3):  # the first finds the pipe closed, or the end-of-file came first
        assert send(server.url, reference=f"after-{n}")["result"] == "OK"
        assert references_in(path)[-1] == f"after-{n}"
    out = server.stop()
    assert "the journal's writer process stopped" in out
    assert "the server writes the journal itself from now on" in out
    assert references_in(path) == ["before", "after-0", "after-1", "after-2"]


def test_a_server_whose_writer_process_cannot_start_writes_the_journal_itself(
    serve: Serve,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python-here"))
    path = tmp_path / "journal.db"
    server = serve(journal=SqliteJournal(path))
    assert send(server.url, reference="r")["result"] == "OK"
    assert references_in(path) == ["r"]
    [warned] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned.startswith("the journal's writer process could not start (")


def test_ctrl_c_stops_the_server_before_its_writer_and_loses_nothing(
    tmp_path: Path, serve_process: Callable[..., ServeProcess]
) -> None:
    """A terminal's Ctrl-C signals the whole process group: the writer must outlive the
    server's last transaction, not die with the signal."""
    path = tmp_path / "journal.db"
    server = serve_process("--quiet", "--journal", str(path), "--delays", "0.1,0.2,0.3")
    for n in range(20):
        assert send(server.url, reference=f"r{n}")["result"] == "OK"
    os.kill(writer_of(server), signal.SIGINT)
    out = server.stop(signal.SIGINT)
    assert out == "seeme-mock stopped; 0 callbacks were still pending\n"
    assert references_in(path) == [f"r{n}" for n in range(20)]


def test_transactions_are_read_whole_however_the_pipe_cuts_them() -> None:
    sent: list[Statements] = [[("INSERT", [(n, b"x" * n)])] for n in range(5)]
    stream = b"".join(map(_frame, sent))
    for cut in (1, 3, 7, 50, len(stream)):
        got: list[object] = []
        waiting = b""
        for at in range(0, len(stream), cut):
            frames, waiting = _frames(waiting + stream[at : at + cut])
            got += map(pickle.loads, frames)
        assert (got, waiting) == (sent, b"")


def writer_behind_a_stand_in(path: Path, then: str) -> tuple[subprocess.Popen[str], int, int]:
    """A journal writer on the journal at ``path``, started by a stand-in server (a Python
    process that, once the writer runs as ``w``, runs ``then``): the stand-in, the pipe to
    the writer and the pipe of its answers."""
    SqliteJournal(path).close()
    to_writer, to_be_written = os.pipe()
    answers, answered = os.pipe()
    stand_in = (
        "import os, subprocess, sys; w = subprocess.Popen([sys.executable, '-I', sys.argv[1], "
        "sys.argv[2], str(os.getpid())], stdin=int(sys.argv[3]), stdout=int(sys.argv[4]), "
        f"stderr=subprocess.PIPE, text=True); {then}"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", stand_in, journal_writer.__file__, str(path),
         str(to_writer), str(answered)],
        pass_fds=(to_writer, answered), stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    os.close(to_writer)
    os.close(answered)
    return server, to_be_written, answers


def send_one_transaction(to_writer: int) -> None:
    """Write a value under the key "k" of ``meta``, then close the pipe."""
    os.write(to_writer, _frame([("INSERT INTO meta (key, value) VALUES (?, ?)", [("k", "v")])]))
    os.close(to_writer)


def written_under_k(path: Path) -> list[tuple[str]]:
    db = sqlite3.connect(path)
    rows: list[tuple[str]] = db.execute("SELECT value FROM meta WHERE key = 'k'").fetchall()
    db.close()
    return rows


def test_the_writer_process_commits_nothing_for_a_server_that_is_gone(tmp_path: Path) -> None:
    """A killed server's last transactions were never answered, and a server started again
    at once would write the same messages: the orphaned writer must not commit them."""
    path = tmp_path / "journal.db"
    server, to_writer, answers = writer_behind_a_stand_in(path, "print(w.pid)")  # and ends
    assert int(server.communicate(timeout=30)[0])  # the writer runs, its server is gone
    send_one_transaction(to_writer)
    assert os.read(answers, 10) == b""  # it ended without answering
    os.close(answers)
    assert written_under_k(path) == []


def test_a_writer_whose_answers_find_no_reader_commits_and_ends_quietly(tmp_path: Path) -> None:
    """A server that dies during the writer's commit leaves its answer nowhere to go."""
    path = tmp_path / "journal.db"
    server, to_writer, answers = writer_behind_a_stand_in(
        path,
        "print(repr(w.communicate()[1]), w.returncode)",  # lives on, says how w ended
    )
    os.close(answers)  # nobody reads the writer's answers
    send_one_transaction(to_writer)
    assert server.communicate(timeout=30)[0] == "'' 0\n"  # no traceback, exit code 0
    assert written_under_k(path) == [("v",)]


def test_a_commit_is_answered_between_two_pieces_of_a_turn(tmp_path: Path) -> None:
    """Under load a turn of the loop takes about a millisecond: the sends of a commit the
    writer already reported must not wait for the loop's next poll, nor a turn more for
    their future's callbacks (the dispatcher asks after each tick's callbacks)."""
    journal = SqliteJournal(tmp_path / "j.db")
    gateway = Gateway(GatewayConfig(), ManualClock(START), journal)

    async def scenario() -> list[str]:
        journal.start_writer()
        seen: list[str] = []
        gateway.handle({"key": VALID_KEY, "number": "36301234567", "message": "a"})
        committed = journal.when_written()
        assert isinstance(committed, SharedFuture)
        committed.then(lambda _: seen.append("answered"))
        await asyncio.sleep(0)  # the turn ends: its transaction goes to the writer
        writer = journal._writer
        assert writer is not None
        assert select.select([writer._acks], [], [], 30)[0]  # reported, not yet read
        seen.append("reported")
        journal.settle_committed()  # no turn of the loop in between
        seen.append("settled")
        return seen

    assert asyncio.run(scenario()) == ["reported", "answered", "settled"]
    assert [state["text"] for state in journal.load().messages] == ["a"]
    journal.close()


def test_a_shared_future_runs_its_waiters_as_it_is_settled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> list[str]:
        seen: list[str] = []
        shared = SharedFuture(loop=asyncio.get_running_loop())
        shared.add_done_callback(lambda _: seen.append("done callback"))  # a turn later
        shared.then(lambda _: seen.append("first"))
        shared.then(lambda _: seen.append(str(1 / 0)))  # a bug: logged, the others run
        shared.then(lambda _: seen.append("third"))
        shared.set_result(None)
        seen.append("settled")
        shared.then(lambda _: seen.append("late"))  # already done: a turn later, not inline
        seen.append("asked late")
        await asyncio.sleep(0)
        cancelled = SharedFuture(loop=asyncio.get_running_loop())
        cancelled.then(lambda f: seen.append(f"cancelled {f.cancelled()}"))
        cancelled.cancel()
        failed = SharedFuture(loop=asyncio.get_running_loop())
        failed.then(lambda f: seen.append(f"failed {f.exception()!r}"))
        failed.set_exception(OSError("gone"))
        return seen

    assert asyncio.run(scenario()) == [
        "first", "third", "settled", "asked late", "done callback", "late", "cancelled True",
        "failed OSError('gone')",
    ]  # fmt: skip
    [failed] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failed.getMessage() == "seeme-mock failed to answer a send"
    assert failed.exc_info is not None and failed.exc_info[0] is ZeroDivisionError
