"""The admin API over real sockets, every response checked against its OpenAPI schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from pytest_httpserver import HTTPServer

from conftest import SEND, START, HeldReceiver, Serve, wait_for
from seeme_mock import GatewayConfig, SeemeMock, Step
from seeme_mock.server.journal import SqliteJournal
from seeme_mock.server.openapi import OPENAPI


class Admin:
    def __init__(self, server: SeemeMock) -> None:
        self.url = server.url
        self.http = httpx.Client(base_url=self.url, timeout=30)

    def send(self, **params: str) -> dict[str, Any]:
        reply: dict[str, Any] = self.http.get("/gateway", params={**SEND, **params}).json()
        return reply

    def call(
        self, method: str, template: str, status: int = 200, *, path: str | None = None,
        **kwargs: Any,
    ) -> Any:  # fmt: skip
        """Call an admin endpoint and validate the answer against the OpenAPI document."""
        response = self.http.request(method, path or template, **kwargs)
        assert response.status_code == status, response.text
        operation = OPENAPI["paths"][template][method.lower()]
        answer = operation["responses"][str(status)]
        body = response.json()
        if "content" in answer:
            schema = {**answer["content"]["application/json"]["schema"], **OPENAPI}
            jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
        return body


@pytest.fixture
def admin(serve: Serve, httpserver: HTTPServer) -> Iterator[Admin]:
    httpserver.expect_request("/dlr").respond_with_data("")
    admin = Admin(serve())
    yield admin
    admin.http.close()


def dlr(httpserver: HTTPServer) -> str:
    return httpserver.url_for("/dlr")


def test_health(admin: Admin) -> None:
    body = admin.call("GET", "/__admin/health")
    assert body == {
        "status": "ok", "clock": "manual", "now": "2013-09-01T09:12:29.000+02:00",
        "messages": 0, "pending_callbacks": 0, "dropped_messages": 0, "rejections": 0,
        "dropped_rejections": 0, "paced": {},
    }  # fmt: skip


def test_messages_and_filters(admin: Admin, httpserver: HTTPServer) -> None:
    admin.send(number="36301111111", reference="a", callback="6", callbackurl=dlr(httpserver))
    admin.call("POST", "/__admin/clock/advance", params={"seconds": 10})
    admin.send(number="36302222222", reference="b")
    listed = admin.call("GET", "/__admin/messages")
    assert [m["reference"] for m in listed["messages"]] == ["a", "b"] and listed["total"] == 2
    by = {
        "number": admin.call("GET", "/__admin/messages", params={"number": "36302222222"}),
        "reference": admin.call("GET", "/__admin/messages", params={"reference": "a"}),
        "status": admin.call("GET", "/__admin/messages", params={"status": 6}),
        "since": admin.call("GET", "/__admin/messages", params={"since": START + 5}),
        "until": admin.call(
            "GET", "/__admin/messages", params={"until": "2013-09-01T09:12:30+02:00"}
        ),
        "limit": admin.call("GET", "/__admin/messages", params={"limit": 1}),
        "offset": admin.call("GET", "/__admin/messages", params={"limit": 1, "offset": 1}),
        "past": admin.call("GET", "/__admin/messages", params={"offset": 5}),
    }
    assert {k: [m["reference"] for m in v["messages"]] for k, v in by.items()} == {
        "number": ["b"], "reference": ["a"], "status": ["a"], "since": ["b"], "until": ["a"],
        "limit": ["b"], "offset": ["a"], "past": [],
    }  # fmt: skip
    error = admin.call("GET", "/__admin/messages", 400, params={"since": "yesterday"})
    assert error["error"].startswith("since must be Unix seconds or ISO 8601")


def test_one_message_timeline(admin: Admin, httpserver: HTTPServer) -> None:
    admin.send(reference="t", callback="3,4,6", callbackurl=dlr(httpserver), sender="Shop")
    admin.call("POST", "/__admin/clock/advance", params={"seconds": 5})
    body = admin.call("GET", "/__admin/messages/{id}", path="/__admin/messages/1")
    assert [s["code"] for s in body["statuses"]] == [3, 4, 6]
    assert body["status_text"] == "Delivered" and body["scenario"] == "default"
    assert [c["attempts"][0]["http_status"] for c in body["callbacks"]] == [200, 200, 200]
    missing = admin.call("GET", "/__admin/messages/{id}", 404, path="/__admin/messages/99")
    assert missing == {"error": "no message '99'"}


def test_push_a_status_by_hand(admin: Admin, httpserver: HTTPServer) -> None:
    admin.send(reference="p", callback="2", callbackurl=dlr(httpserver))
    path = "/__admin/messages/1/status"
    body = admin.call("POST", "/__admin/messages/{id}/status", path=path, params={"code": 2})
    assert body["statuses"][-1]["code"] == 2
    admin.call("POST", "/__admin/clock/advance", params={"seconds": 0})
    assert [r.args["code"] for r, _ in httpserver.log] == ["2"]
    admin.call("POST", "/__admin/messages/{id}/status", 400, path=path, params={"code": 11})
    admin.call(
        "POST", "/__admin/messages/{id}/status", 404, path="/__admin/messages/7/status",
        params={"code": 2},
    )  # fmt: skip


def test_reset(admin: Admin) -> None:
    admin.send()
    assert admin.call("POST", "/__admin/reset") == {"reset": True}
    assert admin.call("GET", "/__admin/messages")["messages"] == []


def test_a_reset_stops_what_the_old_gateway_queued_and_had_on_the_wire(
    serve: Serve, httpserver: HTTPServer, tmp_path: Path
) -> None:
    receiver = HeldReceiver(httpserver)
    journal = SqliteJournal(tmp_path / "journal.db")
    config = GatewayConfig(progression=(Step(6, 0.0),))
    admin = Admin(serve(config, manual=False, connections=1, journal=journal))
    for n in range(5):  # one on the wire, four queued behind it
        admin.send(reference=f"old-{n}", callback="6", callbackurl=receiver.url)
    assert receiver.entered.wait(10)
    admin.call("POST", "/__admin/reset")
    receiver.release.set()
    admin.send(reference="new", callback="6", callbackurl=receiver.url)
    wait_for("the new message's callback", lambda: admin.call("GET", "/__admin/messages")[
        "messages"][0]["callbacks"][0]["state"] == "delivered")  # fmt: skip
    admin.http.close()
    assert [r.args["reference"] for r, _ in httpserver.log] == ["old-0", "new"]
    # what a restart would read: the server's writer process committed it
    assert [m["reference"] for m in SqliteJournal(journal.path).load().messages] == ["new"]


def test_the_inbox(serve: Serve, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/inbox").respond_with_data("")
    config = GatewayConfig(inbox_url=httpserver.url_for("/inbox"), inbox_numbers=("36201234567",))
    admin = Admin(serve(config))
    body = admin.call("POST", "/__admin/inbox", json={"number": "36301234567", "message": "YES"})
    assert (body["destination"], body["forwarded"], body["forwards"][0]["state"]) == (
        "36201234567", True, "delivered")  # fmt: skip
    shared = admin.call(
        "POST",
        "/__admin/inbox",
        json={"number": "36301234567", "message": "YES", "destination": "3620"},
    )
    assert shared["forwarded"] is False and "none of the account's" in shared["why_not"]
    admin.call("POST", "/__admin/inbox", 400, json={"number": "36301234567"})
    admin.call("POST", "/__admin/inbox", 400, json={"number": "0630", "message": "x"})
    admin.call("POST", "/__admin/inbox", 400, content=b"not json")
    listed = admin.call("GET", "/__admin/inbox")["inbound"]
    assert [i["message"] for i in listed] == ["YES", "YES"]
    waited = admin.call("GET", "/__admin/wait", params={"inbound": "36301234567"})
    assert waited["delivered"] is True and len(waited["inbound"]) == 1
    none = admin.call("GET", "/__admin/wait", 408, params={"inbound": "36309999999"})
    assert "no such SMS was forwarded" in none["explanation"]
    admin.http.close()


def test_resend_and_the_refused_list(admin: Admin, httpserver: HTTPServer) -> None:
    admin.send(reference="again", callback="6", callbackurl=dlr(httpserver))
    admin.send(number="0630")
    admin.call("POST", "/__admin/clock/advance", params={"seconds": 5})
    path = "/__admin/messages/1/callbacks/0/resend"
    body = admin.call("POST", "/__admin/messages/{id}/callbacks/{index}/resend", path=path)
    assert [c["code"] for c in body["callbacks"]] == [6, 6]
    admin.call("POST", "/__admin/clock/advance", params={"seconds": 0})
    assert [r.args["code"] for r, _ in httpserver.log] == ["6", "6"]
    admin.call("POST", "/__admin/messages/{id}/callbacks/{index}/resend", 404,
               path="/__admin/messages/1/callbacks/5/resend")  # fmt: skip
    refused = admin.call("GET", "/__admin/rejections")
    assert refused["total"] == 1 and refused["rejections"][0]["code"] == 3


def test_unknown_paths_and_methods_answer_json_too(serve: Serve) -> None:
    server = serve()
    missing = httpx.get(server.url + "/__admin/nope")
    assert missing.status_code == 404
    assert missing.json() == {"error": "no GET /__admin/nope; see /__admin/openapi.json"}
    wrong = httpx.delete(server.url + "/__admin/messages")
    assert wrong.status_code == 405 and wrong.json()["error"].startswith("no DELETE")


def test_the_config_in_use(serve: Serve) -> None:
    admin = Admin(serve(GatewayConfig(language="hu", callback_codes=frozenset({4, 6}))))
    body = admin.call("GET", "/__admin/config")
    admin.http.close()
    assert body["language"] == "hu" and body["callback_codes"] == [4, 6]
    assert body["retry_attempts"] == 6 and body["progression"] == "1,2,3"
    assert body["balance"] == "1000000000" and body["callback_url"] is None


def test_scenarios_at_runtime(admin: Admin, httpserver: HTTPServer) -> None:
    assert admin.call("GET", "/__admin/scenarios") == {"scenarios": [], "magic_numbers": True}
    stopped = '[[scenario]]\nname = "stop all"\nprogression = "stopped"\n'
    body = admin.call("POST", "/__admin/scenarios", content=stopped)
    assert body["scenarios"] == [{"name": "stop all", "priority": 0, "origin": "request body:1"}]
    admin.send(callback="all", callbackurl=dlr(httpserver))
    admin.call("POST", "/__admin/clock/advance", params={"seconds": 5})
    assert [r.args["code"] for r, _ in httpserver.log] == ["2"]
    error = admin.call("PUT", "/__admin/scenarios", 400, content="[[scenario]]\ncode = 3\n")
    assert error == {
        "error": "the scenarios are invalid",
        "problems": [
            "request body:2:1: unknown key 'code' in [scenario]; known: name, priority, match, "
            "progression, steps, branch, send, callback, faults, reply"
        ],
    }
    body = admin.call("PUT", "/__admin/scenarios", content='[[scenario]]\nname = "x"\n')
    assert [s["name"] for s in body["scenarios"]] == ["x"]


def test_clock_advance_needs_seconds(admin: Admin) -> None:
    error = admin.call("POST", "/__admin/clock/advance", 400)
    assert error == {"error": "give seconds >= 0 in the query, e.g. ?seconds=5"}
    error = admin.call("POST", "/__admin/clock/advance", 400, params={"seconds": "-1"})
    assert error == {"error": "seconds: give seconds from 0 to 3.16224e+07, got -1.0"}


def test_clock_advance_on_a_real_clock_is_refused(serve: Serve) -> None:
    admin = Admin(serve(manual=False))
    error = admin.call("POST", "/__admin/clock/advance", 409, params={"seconds": 1})
    admin.http.close()
    assert error == {"error": "the clock is real; start with `seeme-mock serve --clock manual`"}


def test_long_poll_wait(admin: Admin, httpserver: HTTPServer) -> None:
    admin.send(reference="w", callback="4,6", callbackurl=dlr(httpserver))
    body = admin.call("GET", "/__admin/wait", params={"reference": "w", "code": "6"})
    assert body["delivered"] is True
    assert [c["code"] for c in body["messages"][0]["callbacks"]] == [4, 6]
    admin.send(reference="dead", callback="6", callbackurl="http://127.0.0.1:9/dlr")
    failed = admin.call("GET", "/__admin/wait", 408, params={"reference": "dead", "timeout": 600})
    assert failed["delivered"] is False
    assert "code=6: failed (no 2xx answer after 6 attempts)" in failed["explanation"]
    admin.call("GET", "/__admin/wait", 400, params={"code": "0"})


def test_journal(admin: Admin, httpserver: HTTPServer) -> None:
    admin.send(reference="j", callback="6", callbackurl=dlr(httpserver))
    admin.send(number="06301234567")
    admin.call("POST", "/__admin/clock/advance", params={"seconds": 5})
    body = admin.call("GET", "/__admin/journal")
    assert [m["reference"] for m in body["messages"]] == ["j"]
    assert body["rejections"][0]["code"] == 3


def test_the_document_is_served_and_every_operation_is_tested_here(admin: Admin) -> None:
    assert admin.call("GET", "/__admin/openapi.json") == OPENAPI
    source = Path(__file__).read_text()
    for path, item in OPENAPI["paths"].items():
        for method in item:
            assert f'admin.call("{method.upper()}", "{path}"' in source, (method, path)
