"""Fuzzing over real sockets: whatever reaches /gateway gets SeeMe's kind of answer, and
whatever reaches the admin API gets an answer its OpenAPI document describes; the server
never answers 500 and never records an internal error.

Callbacks may only go to the discard port on loopback (``callback_allow``), so no fuzzed
send makes the mock reach any other address.
"""

from __future__ import annotations

import json
import re
import socket
import string
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import START, VALID_KEY
from seeme_mock import GatewayConfig, ManualClock, MockServer, SeemeMock
from seeme_mock.server.openapi import OPENAPI

FUZZ = settings(
    max_examples=300, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip

NAMES = ["key", "number", "message", "sender", "reference", "callback", "callbackurl",
         "format", "method", "ip"]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from([VALID_KEY, "36301234567", "json", "xml", "string", "text", "all", "4,6",
                     "balance", "setip", "127.0.0.1", "http://127.0.0.1:9/dlr", ""]),
    st.text(max_size=40),
    st.binary(max_size=40).map(lambda raw: raw.decode("latin-1")),
)  # fmt: skip


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[SeemeMock]:
    config = GatewayConfig(callback_allow=frozenset({"127.0.0.1:9"}))
    mock = SeemeMock.over(MockServer(config, clock=ManualClock(START))).start()
    yield mock
    mock.stop()
    mock.check()


def _query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(
        f"{quote_from_bytes(n.encode('latin-1', 'replace'))}="
        f"{quote_from_bytes(v.encode('latin-1', 'replace'))}"
        for n, v in pairs
    )


@FUZZ
@given(
    pairs=st.lists(st.tuples(st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), VALUES),
                   max_size=8),
    post=st.booleans(),
)  # fmt: skip
def test_every_send_gets_seemes_kind_of_answer(
    fuzzed: SeemeMock, client: httpx.Client, pairs: list[tuple[str, str]], post: bool
) -> None:
    query = _query(pairs)
    if post:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        answer = client.post(fuzzed.url + "/gateway", content=query.encode(), headers=form)
    else:
        answer = client.get(fuzzed.url + "/gateway?" + query)
    assert answer.status_code == 200, answer.text
    kind = answer.headers["content-type"]
    if kind.startswith("application/json"):
        fields = json.loads(answer.text)
    elif kind.startswith("application/xml"):
        fields = {child.tag: child.text for child in ET.fromstring(answer.content)}
    else:
        fields = dict(httpx.QueryParams(answer.text))
    assert fields["result"] in ("OK", "ERR"), fields
    fuzzed.check()


OPERATIONS = [
    (path, method, operation)
    for path, item in OPENAPI["paths"].items()
    for method, operation in item.items()
    if "{id}" not in path and path != "/__admin/reset"
]
NUMBERS = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "nan", "inf", "-inf", "1e308", "5e16", "0", "-1", "x"]),
)


@st.composite
def admin_calls(draw: st.DrawFn) -> tuple[str, str, dict[str, str], Any]:
    path, method, operation = draw(st.sampled_from(OPERATIONS))
    params = {}
    for parameter in operation.get("parameters", []):
        if draw(st.booleans()):
            schema = parameter["schema"]
            numeric = schema.get("type") in ("integer", "number")
            params[parameter["name"]] = draw(
                NUMBERS if numeric else st.text(string.printable, max_size=20)
            )
    return path, method, params, operation


@FUZZ
@given(call=admin_calls(), body=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_every_admin_answer_is_one_the_document_describes(
    fuzzed: SeemeMock,
    client: httpx.Client,
    call: tuple[str, str, dict[str, str], Any],
    body: str | bytes,
) -> None:
    path, method, params, operation = call
    content = body if method in ("post", "put") else None
    answer = client.request(method.upper(), fuzzed.url + path, params=params, content=content)
    assert str(answer.status_code) in operation["responses"], (answer.status_code, answer.text)
    described = operation["responses"][str(answer.status_code)]
    if "content" in described:
        schema = {**described["content"]["application/json"]["schema"], **OPENAPI}
        jsonschema.validate(answer.json(), schema, cls=jsonschema.Draft202012Validator)
    assert client.get(fuzzed.url + "/__admin/health").status_code == 200
    fuzzed.check()


@pytest.fixture(scope="module")
def twins() -> Iterator[tuple[SeemeMock, SeemeMock]]:
    """Two servers that see the same sends: one by the fast path, one by aiohttp."""
    config = GatewayConfig(callback_allow=frozenset({"127.0.0.1:9"}))
    pair = [SeemeMock.over(MockServer(config, clock=ManualClock(START))).start() for _ in "ab"]
    yield pair[0], pair[1]
    for mock in pair:
        mock.stop()
        mock.check()


def _exchange(url: str, request: bytes) -> bytes:
    """One request on a connection of its own; the answer's head (Date made constant) and
    body."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = raw.recv(65536)
            assert chunk, answer
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head)[1])  # type: ignore[index]
        while len(body) < length:
            body += raw.recv(65536)
    return re.sub(rb"Date: [^\r]*", b"Date: -", head) + b"\r\n\r\n" + body


HEADERS = st.lists(
    st.sampled_from(["Host: 127.0.0.1", "Connection: keep-alive", "Connection: Keep-Alive ",
                     "X-A:", "X-A:\tb c", "Accept: */*", "Bad Header: x", "X-A: \x7f",
                     "X-A: caf\xe9", "User-Agent: fuzz/1.0 (x; y)"]),
    max_size=4,
)  # fmt: skip


RAW_TAILS = st.one_of(
    st.just(""),
    st.text(string.ascii_letters + string.digits + string.punctuation, max_size=20),
    st.binary(max_size=20).map(lambda raw: raw.decode("latin-1")),
)
"""Appended to a query as they are: quotes, '#', spaces, control bytes, bytes over 127."""
SENDS = st.sampled_from(
    [[], [("key", VALID_KEY), ("number", "36301234567"), ("message", "Hi")]]
).flatmap(
    lambda base: st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=4).map(
        lambda more: base + more
    )
)
"""Parameters, half of them after a send SeeMe would take."""


@FUZZ
@given(
    target=RAW_TAILS,
    pairs=SENDS,
    headers=HEADERS,
    host=st.sampled_from([True, True, True, False]),
)
def test_the_fast_path_answers_whatever_it_takes_as_aiohttp_does(
    twins: tuple[SeemeMock, SeemeMock], target: str, pairs: list[tuple[str, str]],
    headers: list[str], host: bool,
) -> None:  # fmt: skip
    """The same request to both: as it is (the fast path takes it if it is plain) and with
    ``Content-Length: 0`` (never plain: aiohttp's). A 200 must be the same bytes; anything
    else the same status."""
    fast, aiohttp = twins
    query = _query(pairs) + target
    headers = ["Host: 127.0.0.1", *headers] if host else headers
    head = f"GET /gateway?{query} HTTP/1.1\r\n" + "".join(f"{h}\r\n" for h in headers)
    request = head.encode("latin-1") + b"\r\n"
    forced = head.encode("latin-1") + b"Content-Length: 0\r\n\r\n"
    mine, theirs = _exchange(fast.url, request), _exchange(aiohttp.url, forced)
    if theirs.startswith(b"HTTP/1.1 200") or mine.startswith(b"HTTP/1.1 200"):
        assert mine == theirs
    else:
        assert mine.split(b"\r\n", 1)[0] == theirs.split(b"\r\n", 1)[0]
