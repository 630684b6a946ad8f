"""The callback client against receivers that misbehave in the ways real servers do, over
real sockets: each receiver here is a raw socket server that answers exactly these bytes."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conftest import SEND, START, wait_for
from seeme_mock.core.clock import ManualClock
from seeme_mock.core.records import Attempt
from seeme_mock.server.runtime import Runtime
from seeme_mock.server.sender import KeepAliveSender, Outcome, outcome_of

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"


class RawReceiver:
    """Accepts connections and keeps each request; answers each with ``answer()`` (none
    when it gives b""), then closes the connection unless ``keep``."""

    def __init__(self, answer: Callable[[], bytes], keep: bool) -> None:
        self.answer, self.keep = answer, keep
        self.requests: list[bytes] = []
        self.served_on: list[int] = []
        """Each request's connection, counted from 1 in the order they were accepted."""
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn, self.connections), daemon=True).start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        with contextlib.suppress(OSError):  # the client dropped a connection it found too talkative
            self._answer_each(conn, number)

    def _answer_each(self, conn: socket.socket, number: int) -> None:
        with conn:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                request, _, buffer = buffer.partition(b"\r\n\r\n")
                self.requests.append(request)
                self.served_on.append(number)
                answer = self.answer()
                conn.sendall(answer)
                if not self.keep or b"Connection: close" in answer:
                    return

    def close(self) -> None:
        self._server.close()


Receivers = Callable[..., RawReceiver]


@pytest.fixture
def receiver() -> Iterator[Receivers]:
    made: list[RawReceiver] = []

    def make(answer: bytes | Callable[[], bytes], keep: bool = True) -> RawReceiver:
        made.append(RawReceiver(answer if callable(answer) else lambda: answer, keep))
        return made[-1]

    yield make
    for one in made:
        one.close()


async def until(what: str, probe: Callable[[], object]) -> None:
    """conftest's wait_for, off the loop, which meanwhile goes on serving."""
    await asyncio.to_thread(wait_for, what, probe)


def send_all(urls: list[str], timeout: float = 5.0) -> list[Outcome]:
    """Each URL in turn on one sender, as the dispatcher does for one lane."""

    async def run() -> list[Outcome]:
        sender = KeepAliveSender(per_receiver=4, timeout=timeout)
        try:
            return [await outcome_of(sender, url) for url in urls]
        finally:
            await sender.close()

    return asyncio.run(run())


def test_one_connection_carries_every_request_with_one_write_each(receiver: Receivers) -> None:
    got = receiver(OK)
    outcomes = send_all([f"{got.url}/dlr?code={code}" for code in (3, 4, 6)])
    assert outcomes == [Outcome(200, None)] * 3
    assert got.connections == 1
    first = got.requests[0].decode().split("\r\n")
    assert first[0] == "GET /dlr?code=3 HTTP/1.1"
    assert f"Host: {got.url.removeprefix('http://')}" in first


def test_headers_of_the_account_go_out_and_may_replace_the_user_agent(
    receiver: Receivers,
) -> None:
    got = receiver(OK)

    async def run() -> None:
        sender = KeepAliveSender()
        await outcome_of(sender, f"{got.url}/a", (("X-Token", "t1"),))
        await outcome_of(sender, f"{got.url}/b", (("user-agent", "SeeMe/1.0"),))
        await sender.close()

    asyncio.run(run())
    first, second = ([line.lower() for line in r.decode().split("\r\n")] for r in got.requests)
    assert "x-token: t1" in first and "user-agent: seeme-mock" in first
    assert [line for line in second if line.startswith("user-agent")] == ["user-agent: seeme/1.0"]


def test_a_kept_alive_connection_the_receiver_dropped_is_retried_once(receiver: Receivers) -> None:
    """A server that closes each connection after answering, without saying so (no
    ``Connection: close``): the next request finds the connection dead before a byte of
    answer, and goes again on a new one instead of failing."""
    got = receiver(OK, keep=False)
    assert send_all([f"{got.url}/a", f"{got.url}/b"]) == [Outcome(200, None)] * 2
    assert got.connections == 2 and len(got.requests) == 2


def test_a_connection_the_receiver_retires_is_succeeded_before_a_callback_needs_one(
    receiver: Receivers,
) -> None:
    """nginx ends a kept-alive connection after its 1,000th answer, saying so: under load,
    every connection within a few milliseconds. Its successor is opened at once, not by
    the next callback; a receiver that ends every connection after one answer gets none."""
    closing = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"
    answers = iter([OK, closing, OK])
    retiring = receiver(lambda: next(answers))
    once_each = receiver(closing)

    async def run() -> None:
        sender = KeepAliveSender(per_receiver=4, timeout=5.0)
        for n in range(2):
            assert await outcome_of(sender, f"{retiring.url}/{n}") == Outcome(200, None)
        await until("the successor of the retired connection", lambda: retiring.connections == 2)
        assert await outcome_of(sender, f"{retiring.url}/2") == Outcome(200, None)
        for n in range(2):
            assert await outcome_of(sender, f"{once_each.url}/{n}") == Outcome(200, None)
            # a successor's connecting starts before the answer is told
            assert not sender._pools[once_each.url]._connecting
        await sender.close()

    asyncio.run(run())
    assert retiring.served_on == [1, 1, 2]  # the third went on the successor, opened before
    assert once_each.served_on == [1, 2]


def test_answers_read_until_close_or_chunked_count(receiver: Receivers) -> None:
    answers = iter([
        b"HTTP/1.0 204 No Content\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nread until the end",
        b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK\r\n0\r\n\r\n",
    ])  # fmt: skip

    got = receiver(lambda: next(answers), keep=False)
    outcomes = send_all([f"{got.url}/{n}" for n in range(3)])
    assert [o.status for o in outcomes] == [204, 200, 202]


def test_what_is_no_answer_is_said_in_words(receiver: Receivers) -> None:
    garbage = receiver(b"SMTP ready\r\n\r\n", keep=False)
    silent = receiver(b"")
    with socket.create_server(("127.0.0.1", 0)) as closed:
        refused = f"http://127.0.0.1:{closed.getsockname()[1]}/"
    outcomes = send_all(
        [f"{garbage.url}/", refused, "ftp://127.0.0.1/", f"{silent.url}/"], timeout=0.3
    )
    assert outcomes[0].status is None and "not an HTTP answer" in (outcomes[0].error or "")
    assert (outcomes[1].error or "").startswith("ConnectionRefusedError")
    assert outcomes[2] == Outcome(
        None, "ValueError: not an http:// or https:// URL: ftp://127.0.0.1"
    )
    assert outcomes[3] == Outcome(None, "no answer within 0.3 s")


def test_each_request_on_a_kept_alive_connection_gets_its_whole_timeout(
    receiver: Receivers,
) -> None:
    """One timer a connection: set for the first request's deadline, it must move on to the
    second's, which started later on the same connection (a real-time test: 0.5 s)."""
    answers = iter([OK])
    first_only = receiver(lambda: next(answers, b""))

    async def run() -> tuple[list[Outcome], float]:
        sender = KeepAliveSender(per_receiver=1, timeout=0.3)
        loop = asyncio.get_running_loop()
        try:
            first = await outcome_of(sender, f"{first_only.url}/a")
            await asyncio.sleep(0.2)  # the timer set for /a fires while /b waits
            started = loop.time()
            second = await asyncio.wait_for(outcome_of(sender, f"{first_only.url}/b"), 5)
            return [first, second], loop.time() - started
        finally:
            await sender.close()

    outcomes, waited = asyncio.run(run())
    assert outcomes == [Outcome(200, None), Outcome(None, "no answer within 0.3 s")]
    assert first_only.connections == 1
    assert waited >= 0.29


def test_credentials_in_the_url_go_as_basic_authorization(receiver: Receivers) -> None:
    got = receiver(OK)
    port = got.url.rsplit(":", 1)[1]
    send_all([f"HTTP://Shop:S%3Acret@127.0.0.1:{port}/dlr"])
    lines = got.requests[0].decode().split("\r\n")
    assert "Authorization: Basic U2hvcDpTOmNyZXQ=" in lines  # Shop:S:cret, case kept
    assert f"Host: 127.0.0.1:{port}" in lines


def test_past_64_kib_the_connection_is_dropped_and_an_endless_head_fails(
    receiver: Receivers,
) -> None:
    """A huge body's status counts once 64 KiB have come, and the connection is not kept
    (end to end: tests/test_receiver_faults.py); a head that never ends fails there."""
    body = b"x" * (200 * 1024)
    huge = receiver(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n" + body)
    head = receiver(b"HTTP/1.1 200 OK\r\nX-Pad: " + body)
    outcomes = send_all([f"{huge.url}/a", f"{huge.url}/b", f"{head.url}/"], timeout=2)
    assert outcomes[:2] == [Outcome(200, None)] * 2
    assert huge.connections == 2
    assert outcomes[2] == Outcome(None, "an answer's head over 64 KiB")


def test_a_fragment_is_not_sent(receiver: Receivers) -> None:
    got = receiver(OK)
    send_all([f"{got.url}/dlr?a=1#top", f"{got.url}/dlr#top?a=1", f"{got.url}?b=2"])
    assert [r.decode().split("\r\n")[0] for r in got.requests] == [
        "GET /dlr?a=1 HTTP/1.1", "GET /dlr HTTP/1.1", "GET /?b=2 HTTP/1.1",
    ]  # fmt: skip


def test_requests_beyond_the_connections_wait_for_one_and_time_out_waiting(
    receiver: Receivers,
) -> None:
    """Six at once on two connections: they go out in turn as answers free a connection.
    A request that waits longer than the timeout for a free connection fails with it."""
    got = receiver(OK)
    silent = receiver(b"")

    async def run() -> tuple[list[Outcome], list[Outcome]]:
        sender = KeepAliveSender(per_receiver=2, timeout=0.3)
        try:
            served = [outcome_of(sender, f"{got.url}/{n}") for n in range(6)]
            stuck = [outcome_of(sender, f"{silent.url}/{n}") for n in range(3)]
            return list(await asyncio.gather(*served)), list(await asyncio.gather(*stuck))
        finally:
            await sender.close()

    served, stuck = asyncio.run(run())
    assert served == [Outcome(200, None)] * 6
    assert got.connections <= 2 and len(got.requests) == 6
    assert stuck == [Outcome(None, "no answer within 0.3 s")] * 3
    assert silent.connections == 2  # the third never had a connection


def test_closing_ends_what_is_under_way(receiver: Receivers) -> None:
    """A request on the wire and one waiting for a connection both get an outcome when the
    sender closes (a stop or a reset), instead of waiting for ever."""
    silent = receiver(b"")

    async def run() -> list[Outcome]:
        sender = KeepAliveSender(per_receiver=1, timeout=30)
        pending = [asyncio.ensure_future(outcome_of(sender, f"{silent.url}/{n}")) for n in (1, 2)]
        await until("the first request", lambda: silent.requests)
        await sender.close()
        return list(await asyncio.wait_for(asyncio.gather(*pending), 5))

    on_wire, waiting = asyncio.run(run())
    assert on_wire.status is None and "closed without an answer" in (on_wire.error or "")
    assert waiting.status is None and "seeme-mock closed the connection" in (waiting.error or "")


def test_an_advance_given_up_on_still_records_its_answer_and_raises_nothing(
    receiver: Receivers,
) -> None:
    """A test that stops waiting for advance() (a timeout, a cancel) while the SUT is still
    answering: the answer, when it comes, is recorded, and nothing else goes wrong."""
    gate = threading.Event()
    slow = receiver(lambda: (gate.wait(5), OK)[1])

    async def run() -> tuple[list[dict[str, Any]], list[Attempt]]:
        loop = asyncio.get_running_loop()
        errors: list[dict[str, Any]] = []
        loop.set_exception_handler(lambda _, context: errors.append(context))
        runtime = Runtime(clock=ManualClock(START))
        runtime.start_sending()
        runtime.gateway.handle({**SEND, "callback": "6", "callbackurl": f"{slow.url}/dlr"})
        advancing = asyncio.ensure_future(runtime.advance(60))
        await until("the callback", lambda: slow.requests)
        advancing.cancel()
        gate.set()
        callback = runtime.gateway.messages[0].callbacks[0]
        await until("its attempt recorded", lambda: callback.attempts)
        await runtime.stop()
        return errors, callback.attempts

    errors, attempts = asyncio.run(run())
    assert [attempt.status for attempt in attempts] == [200]
    assert errors == []
