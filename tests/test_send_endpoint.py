"""The send endpoint over real HTTP: every documented answer, in every format."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from conftest import VALID_KEY, Serve
from seeme_mock import GatewayConfig
from seeme_mock.cli import main
from seeme_mock.core.protocol import Format, Reply, parse_params, render
from seeme_mock.server.journal import SqliteJournal
from seeme_mock.server.runtime import Runtime
from seeme_mock.server.send_endpoint import SendEndpoint

FORMATS = ["json", "xml", "string"]
SEND = {"key": VALID_KEY, "number": "36301234567", "message": "Hello"}


def parse(response: httpx.Response, fmt: str) -> dict[str, str]:
    """Any format to strings, so one assertion serves all three."""
    assert response.status_code == 200
    if fmt == "json":
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        return {k: str(v) for k, v in response.json().items()}
    if fmt == "xml":
        assert response.headers["content-type"] == "application/xml; charset=utf-8"
        root = ET.fromstring(response.content)
        assert root.tag == "response"
        return {child.tag: child.text or "" for child in root}
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    return dict(parse_qsl(response.text, keep_blank_values=True))


ERRORS = [
    ({"key": ""}, 1, "Missing parameter: key"),
    ({"number": ""}, 1, "Missing parameter: number"),
    ({"message": ""}, 1, "Missing parameter: message"),
    ({"number": "+36301234567"}, 2, "Only numbers are allowed in number parameter"),
    ({"number": "36-30-1234567"}, 2, "Only numbers are allowed in number parameter"),
    ({"number": "06301234567"}, 3, "The number must be in international format"),
    ({"number": "0036301234567"}, 3, "The number must be in international format"),
    ({"number": "3630123"}, 3, "The number must be in international format"),
    ({"key": VALID_KEY[:-1] + "0"}, 18, "Invalid API key"),
    ({"message": "a" * 460}, 6, "The maximum message length is 459 characters"),
    ({"message": "€" * 230}, 6, "The maximum message length is 459 characters"),
    ({"message": "ő" * 202}, 16, "Possible length of the message is 201 characters"),
    (
        {"sender": "My-Shop"},
        9,
        "The given senderid (My-Shop) is not allowed or contains illegal "
        "characters (only letters and numbers can be transferred)",
    ),
    (
        {"sender": "ABCDEFGHIJKL"},
        9,
        "The given senderid (ABCDEFGHIJKL) is not allowed or "
        "contains illegal characters (only letters and numbers can be transferred)",
    ),
    ({"callback": "0"}, 15, "Callback parameter is misformed: 0"),
    ({"callback": "11"}, 15, "Callback parameter is misformed: 11"),
    ({"callback": "4,,6"}, 15, "Callback parameter is misformed: 4,,6"),
    ({"callback": "4;6"}, 15, "Callback parameter is misformed: 4;6"),
    ({"callback": "100"}, 15, "Callback parameter is misformed: 100"),
    ({"callbackurl": "ftp://sut/dlr"}, 17, "Callback URL unreachable"),
    ({"method": "dance"}, 1, "Missing parameter: method"),
    ({"method": "setip"}, 1, "Missing parameter: ip"),
    ({"method": "setip", "ip": "1.2.3"}, 13, "Your 1.2.3 IP address is not allowed"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("change", "code", "text"), ERRORS)
def test_each_error_code(
    serve: Serve, client: httpx.Client, fmt: str, change: dict[str, str], code: int, text: str
) -> None:
    server = serve()
    response = client.get(server.url + "/gateway", params={**SEND, **change, "format": fmt})
    assert parse(response, fmt) == {"result": "ERR", "code": str(code), "message": text}
    rejected = server.rejections
    assert [r.code for r in rejected] == [code]
    assert server.messages == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_success_answer(serve: Serve, client: httpx.Client, fmt: str) -> None:
    server = serve()
    response = client.get(server.url + "/gateway", params={**SEND, "format": fmt})
    assert parse(response, fmt) == {
        "result": "OK",
        "price": "13.9",
        "code": "0",
        "message": "Your message has been successfully received by the Gateway.",
        "charset": "GSM-7",
        "split": "1",
        "length": "5",
    }


def test_json_numbers_are_numbers(serve: Serve, client: httpx.Client) -> None:
    server = serve()
    body = client.get(
        server.url + "/gateway", params={**SEND, "message": "ő" * 71, "format": "json"}
    ).json()
    assert body["price"] == 27.8 and body["split"] == 2 and body["charset"] == "UTF-8"


def test_text_is_another_name_for_string_and_the_default(
    serve: Serve, client: httpx.Client
) -> None:
    server = serve()
    url = server.url + "/gateway"
    as_text = client.get(url, params={**SEND, "format": "text"}).text
    assert as_text.startswith("result=OK&price=13.9&code=0&")
    assert client.get(url, params=SEND).text == as_text


def test_post_with_a_form_body_is_accepted(serve: Serve, client: httpx.Client) -> None:
    server = serve()
    response = client.post(server.url + "/gateway", data={**SEND, "format": "json"})
    assert response.json()["result"] == "OK"


def test_configured_keys_reject_others_with_code_4(serve: Serve, client: httpx.Client) -> None:
    server = serve(GatewayConfig(keys=frozenset({"secret"})))
    url = server.url + "/gateway"
    assert client.get(url, params={**SEND, "format": "json"}).json()["code"] == 4
    assert client.get(url, params={**SEND, "key": "secret", "format": "json"}).json()["code"] == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_xml_and_friends_carry_what_the_client_sent_safely(
    serve: Serve, client: httpx.Client, fmt: str
) -> None:
    server = serve()
    sender = '<a href="x">&amp;</a>\x01'
    response = client.get(server.url + "/gateway", params={**SEND, "sender": sender, "format": fmt})
    message = parse(response, fmt)["message"]
    assert message.startswith('The given senderid (<a href="x">&amp;</a>')


def test_message_bytes_that_are_not_utf8_get_code_12(
    serve: Serve, client: httpx.Client, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.db"
    server = serve(journal=SqliteJournal(journal))
    url = f"{server.url}/gateway?key={VALID_KEY}&number=36301234567&message=K%E9&format=json"
    assert client.get(url).json() == {
        "result": "ERR",
        "code": 12,
        "message": "The message contains unsupported character(s)",
    }
    kept = client.get(f"{server.url}/__admin/journal")  # once answered 500 from then on
    assert kept.status_code == 200
    [refused] = kept.json()["rejections"]
    assert refused["params"]["message"] == "K\\xe9"
    assert refused["params"]["key"] == "c241…fe5a"  # a key is never kept whole
    server.stop()
    out = tmp_path / "journal.json"
    assert main(["export", "--journal", str(journal), "-o", str(out)]) == 0
    assert json.loads(out.read_text())["rejections"][0]["params"]["message"] == "K\\xe9"


@pytest.mark.parametrize(
    "raw", [b"sender=Shop%FF&message=K%E9&number=1", b"sender=Shop\xff&message=K\xe9&number=1"]
)
def test_bytes_that_are_not_utf8_stay_only_in_the_message(raw: bytes) -> None:
    """So that the send is refused with code 12; in any other parameter they become U+FFFD,
    and the parameters around them are kept as they are."""
    assert parse_params(raw) == {"sender": "Shop\ufffd", "message": "K\udce9", "number": "1"}
    assert parse_params(raw.replace(b"%FF", b"").replace(b"\xff", b"")) == {
        "sender": "Shop",
        "message": "K\udce9",
        "number": "1",
    }


def test_garbage_never_gets_a_500(serve: Serve, client: httpx.Client) -> None:
    server = serve()
    base = server.url + "/gateway"
    for query in [
        "%",
        "&&&=",
        "key=%ff%fe&number=%00",
        "format=json&format=xml",
        "a" * 6000,
        "key=" + VALID_KEY + "&number=36301234567&message=%F0%9F%98&format=json",
    ]:
        response = client.get(f"{base}?{query}")
        assert response.status_code == 200, query
        assert (
            "result=ERR" in response.text
            or '"ERR"' in response.text
            or "<result>ERR" in response.text
        )
    response = client.post(base, content=b"\xff\xfe\x00garbage", headers={"content-type": "x/y"})
    assert response.status_code == 200 and "result=ERR" in response.text


def test_the_last_value_of_a_repeated_parameter_wins(serve: Serve, client: httpx.Client) -> None:
    server = serve()
    query = f"key={VALID_KEY}&number=1&number=36301234567&message=x&format=json"
    url = f"{server.url}/gateway?{query}"
    assert client.get(url).json()["result"] == "OK"


def test_balance_is_reduced_by_each_send_and_runs_out_with_code_7(
    serve: Serve, client: httpx.Client
) -> None:
    server = serve(GatewayConfig(balance=Decimal("30")))
    url = server.url + "/gateway"
    balance = {"key": VALID_KEY, "method": "balance", "format": "json"}
    assert client.get(url, params=balance).json() == {
        "result": "OK",
        "code": "0",
        "message": "30.000",
        "balance": "30.000",
        "currency": "HUF",
        "balance-currency": "30.000 HUF",
        "custom-services": "0.000",
        "monthlySpentBalance": "0.000",
    }
    assert client.get(url, params={**SEND, "format": "json"}).json()["price"] == 13.9
    assert client.get(url, params=balance).json()["balance"] == "16.100"
    assert client.get(url, params=balance).json()["monthlySpentBalance"] == "13.900"
    too_long = {**SEND, "message": "a" * 161, "format": "json"}
    assert client.get(url, params=too_long).json() == {
        "result": "ERR",
        "code": 7,
        "message": "Your current balance is 16.100, which is not sufficient for the sending of "
        "this message.",
    }


def test_setip_allows_an_address_once(serve: Serve, client: httpx.Client) -> None:
    server = serve(GatewayConfig(allowed_ips=frozenset({"10.0.0.1"})))
    url = server.url + "/gateway"
    assert client.get(url, params={**SEND, "format": "json"}).json()["code"] == 13
    setip = {"key": VALID_KEY, "method": "setip", "ip": "127.0.0.1", "format": "json"}
    assert client.get(url, params=setip).json()["result"] == "OK"
    assert client.get(url, params=setip).json() == {
        "result": "ERR",
        "code": 14,
        "message": "Your 127.0.0.1 IP address is already allowed",
    }
    assert client.get(url, params={**SEND, "format": "json"}).json()["result"] == "OK"


@pytest.mark.parametrize(
    "allowed", ["127.0.0.0/8", "127.0.0.1-127.0.0.9", "0.0.0.0-255.255.255.255"]
)
def test_allowed_addresses_take_ranges(serve: Serve, client: httpx.Client, allowed: str) -> None:
    server = serve(GatewayConfig(allowed_ips=frozenset({allowed})))
    assert client.get(server.url + "/gateway", params={**SEND, "format": "json"}).json()[
        "result"] == "OK"  # fmt: skip


def test_setip_takes_a_range_as_seemes_panel_does(serve: Serve, client: httpx.Client) -> None:
    server = serve(GatewayConfig(allowed_ips=frozenset({"10.0.0.1"})))
    url = server.url + "/gateway"
    setip = {"key": VALID_KEY, "method": "setip", "ip": "127.0.0.0-127.255.255.255",
             "format": "json"}  # fmt: skip
    assert client.get(url, params=setip).json()["result"] == "OK"
    assert client.get(url, params={**SEND, "format": "json"}).json()["result"] == "OK"
    reversed_range = {**setip, "ip": "127.0.0.9-127.0.0.1"}
    assert client.get(url, params=reversed_range).json()["code"] == 13


def test_approved_senders(serve: Serve, client: httpx.Client) -> None:
    server = serve(GatewayConfig(allowed_senders=frozenset({"Shop"})))
    url = server.url + "/gateway"
    assert client.get(url, params={**SEND, "sender": "Shop", "format": "json"}).json()["code"] == 0
    assert client.get(url, params={**SEND, "sender": "Other", "format": "json"}).json()["code"] == 9


def test_a_full_dispatch_queue_answers_code_8(serve: Serve, client: httpx.Client) -> None:
    server = serve(manual=False, max_backlog=0)
    response = client.get(server.url + "/gateway", params={**SEND, "format": "json"})
    assert response.json() == {
        "result": "ERR",
        "code": 8,
        "message": "The Gateway is temporarily unavailable",
    }


def test_a_whole_price_prints_as_seemes_own_example(serve: Serve, client: httpx.Client) -> None:
    server = serve(GatewayConfig(unit_price=Decimal("14")))
    body = client.get(server.url + "/gateway", params={**SEND, "format": "json"}).text
    assert '"price":14,' in body  # as in SeeMe's JSON example, not 14.0


def test_answers_are_rendered_once_but_never_mixed_up() -> None:
    """Rendered answers are cached: 14 and 14.0 are equal keys in Python, but a whole
    price must stay ``14`` and a float ``14.0``, in whichever order they come."""
    for first, second in ((14, 14.0), (14.0, 14)):
        bodies = [render(Reply({"price": price}), Format.JSON)[0] for price in (first, second)]
        assert bodies == [f'{{"price":{first}}}'.encode(), f'{{"price":{second}}}'.encode()]


@pytest.mark.parametrize("journal", [False, True], ids=["memory", "journal"])
def test_sends_taken_in_one_turn_are_answered_together_at_its_end(
    journal: bool, tmp_path: Path
) -> None:
    """Answers written together cost less than each written as its send is taken: a send
    is taken at once (its message kept, its callbacks planned) and answered at the end of
    the loop's turn, with the others taken in it (after the journal's commit, if any)."""

    async def run() -> tuple[int, bool, bool, list[str]]:
        runtime = Runtime(journal=SqliteJournal(tmp_path / "j.db") if journal else None)
        endpoint = SendEndpoint(runtime)
        taken = [
            endpoint.take({**SEND, "format": "json", "reference": f"r{n}"}, "127.0.0.1")
            for n in range(3)
        ]
        kept = len(runtime.gateway.messages)
        shared = all(later.ready is taken[0].ready for later in taken)
        answered_at_once = any(later.ready.done() for later in taken)
        answers = [json.loads((await later.wait())[0])["result"] for later in taken]
        await runtime.stop()
        return kept, shared, answered_at_once, answers

    kept, shared, answered_at_once, answers = asyncio.run(run())
    assert kept == 3
    assert shared and not answered_at_once
    assert answers == ["OK", "OK", "OK"]
