"""The OpenAPI 3.1 description of the admin API, served at ``/__admin/openapi.json``.

A test validates every real response against these schemas, so they cannot drift.
"""

from __future__ import annotations

from typing import Any

from ..core.config import GATEWAY_SETTINGS

__all__ = ["OPENAPI"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_STR = {"type": ["string", "null"]}
_CODE = {"type": "integer", "minimum": 1, "maximum": 10}


def _answer(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_ERRORS = {
    "400": _answer("Error", "A parameter is missing or malformed; the text says which."),
}

_SCHEMAS: dict[str, Any] = {
    "Error": _object(
        {"error": {"type": "string"}},
        {"problems": {"type": "array", "items": {"type": "string"}}},
    ),
    "Health": _object(
        {
            "status": {"const": "ok"},
            "clock": {"enum": ["real", "manual"]},
            "now": _TIME,
            "messages": {"type": "integer"},
            "pending_callbacks": {"type": "integer"},
            "dropped_messages": {
                "type": "integer",
                "description": "finished messages forgotten to stay under --max-messages",
            },
            "rejections": {"type": "integer", "description": "refused sends kept"},
            "dropped_rejections": {
                "type": "integer",
                "description": "refused sends forgotten to stay under --max-rejections",
            },
            "paced": {
                "type": "object",
                "additionalProperties": {"type": "integer"},
                "description": (
                    "receivers (scheme://host:port) whose callbacks ran late, and the sends "
                    "a second naming them that are taken now (back-pressure)"
                ),
            },
        }
    ),
    "Attempt": _object(
        {
            "at": _TIME,
            "ok": {"type": "boolean"},
            "http_status": {"type": ["integer", "null"]},
            "error": _NULLABLE_STR,
            "latency_ms": {"type": "number"},
        },
        {"url": {"type": "string", "description": "the exact URL sent (one message's view)"}},
    ),
    "Callback": _object(
        {
            "code": _CODE,
            "state": {"enum": ["pending", "delivered", "failed"]},
            "due": _TIME,
            "status_at": _TIME,
            "failure": _NULLABLE_STR,
            "attempts": {"type": "array", "items": _ref("Attempt")},
        }
    ),
    "Status": _object({"code": _CODE, "at": _TIME, "text": {"type": "string"}}),
    "Message": _object(
        {
            "id": {"type": "integer"},
            "received_at": _TIME,
            "number": {"type": "string"},
            "sender": {"type": "string"},
            "reference": {"type": "string"},
            "text": {"type": "string"},
            "charset": {"enum": ["GSM-7", "UTF-8"]},
            "parts": {"type": "integer"},
            "price": {"type": "number"},
            "mccmnc": {"type": ["integer", "null"]},
            "scenario": {"type": "string"},
            "scenario_origin": {"type": "string", "description": "file:line it was written at"},
            "callback_url": _NULLABLE_STR,
            "callback_codes": {"type": "array", "items": _CODE},
            "status": {"type": ["integer", "null"]},
            "status_text": _NULLABLE_STR,
            "statuses": {"type": "array", "items": _ref("Status")},
            "callbacks": {"type": "array", "items": _ref("Callback")},
        }
    ),
    "MessageList": _object(
        {"messages": {"type": "array", "items": _ref("Message")}, "total": {"type": "integer"}}
    ),
    "Rejection": _object(
        {
            "at": _TIME,
            "code": {"type": "integer"},
            "message": {"type": "string"},
            "params": {"type": "object", "additionalProperties": {"type": "string"}},
        }
    ),
    "Inbound": _object(
        {
            "id": {"type": "integer"},
            "received_at": _TIME,
            "number": {"type": "string"},
            "destination": {"type": "string"},
            "message": {"type": "string"},
            "answers": {"type": ["integer", "null"], "description": "the message it replies to"},
            "forwarded": {"type": "boolean"},
            "why_not": {**_NULLABLE_STR, "description": "why it was not forwarded"},
            "forwards": {
                "type": "array",
                "items": _object(
                    {
                        "state": {"enum": ["pending", "delivered", "failed"]},
                        "due": _TIME,
                        "failure": _NULLABLE_STR,
                        "attempts": {"type": "array", "items": _ref("Attempt")},
                    }
                ),
            },
        }
    ),
    "RejectionList": _object(
        {"rejections": {"type": "array", "items": _ref("Rejection")}, "total": {"type": "integer"}}
    ),
    "InboundList": _object({"inbound": {"type": "array", "items": _ref("Inbound")}}),
    "InboundSms": {
        "type": "object",
        "properties": {
            "number": {"type": "string", "description": "who sends it, e.g. 36301234567"},
            "message": {"type": "string"},
            "destination": {"type": "string", "description": "default: the first inbox number"},
        },
        "required": ["number", "message"],
        "additionalProperties": False,
    },
    "Journal": _object(
        {
            "generated_at": _TIME,
            "messages": {"type": "array", "items": _ref("Message")},
            "inbound": {"type": "array", "items": _ref("Inbound")},
            "rejections": {"type": "array", "items": _ref("Rejection")},
        }
    ),
    "Scenarios": _object(
        {
            "scenarios": {
                "type": "array",
                "items": _object(
                    {
                        "name": {"type": "string"},
                        "priority": {"type": "integer"},
                        "origin": {"type": "string"},
                    }
                ),
            },
            "magic_numbers": {"type": "boolean"},
        }
    ),
    "Advanced": _object({"attempts": {"type": "integer"}, "now": _TIME}),
    "Waited": _object(
        {"delivered": {"type": "boolean"}},
        {
            "messages": {"type": "array", "items": _ref("Message")},
            "inbound": {"type": "array", "items": _ref("Inbound")},
            "explanation": {"type": "string"},
        },
    ),
    "Reset": _object({"reset": {"const": True}}),
    "Config": {
        "type": "object",
        "description": "Every setting of the gateway by its one name (as in the ini file and "
        "the marker), shown as JSON: amounts and URLs as strings, sets as sorted lists.",
        "properties": {setting.name: {} for setting in GATEWAY_SETTINGS},
        "required": [setting.name for setting in GATEWAY_SETTINGS],
        "additionalProperties": False,
    },
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
_TOML_BODY = {
    "required": True,
    "content": {"application/toml": {"schema": {"type": "string"}}},
    "description": "A scenario file, as `seeme-mock check` accepts it.",
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "seeme-mock admin API",
        "version": "1",
        "description": "See and steer the SeeMe gateway stand-in. The send endpoint itself is "
        "SeeMe's GET /gateway.",
    },
    "paths": {
        "/__admin/health": {
            "get": {"summary": "Is it up", "responses": {"200": _answer("Health", "Up.")}}
        },
        "/__admin/messages": {
            "get": {
                "summary": "Accepted messages, oldest first (the newest `limit`)",
                "parameters": [
                    _query("number", {"type": "string"}, "exact recipient number"),
                    _query("reference", {"type": "string"}, "exact reference"),
                    _query("status", _CODE, "current status code"),
                    _query("since", {"type": "string"}, "Unix seconds or ISO 8601"),
                    _query("until", {"type": "string"}, "Unix seconds or ISO 8601"),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 100},
                        "at most this many, the newest",
                    ),
                    _query("q", {"type": "string"}, "in number, reference, text, sender, scenario"),
                    _query(
                        "offset",
                        {"type": "integer", "minimum": 0, "default": 0},
                        "skip this many of the newest first (the next page back)",
                    ),
                ],
                "responses": {"200": _answer("MessageList", "The messages."), **_ERRORS},
            }
        },
        "/__admin/messages/{id}": {
            "get": {
                "summary": "One message's timeline: statuses, callbacks, attempts",
                "parameters": [_ID],
                "responses": {
                    "200": _answer("Message", "The message."),
                    "404": _answer("Error", "No such message."),
                },
            }
        },
        "/__admin/messages/{id}/callbacks/{index}/resend": {
            "post": {
                "summary": "Send a callback of the message once more (index: its place in "
                "the message's callbacks, from 0), queued behind the others",
                "parameters": [
                    _ID,
                    {
                        "name": "index",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                ],
                "responses": {
                    "200": _answer("Message", "The message, with the new callback."),
                    "404": _answer("Error", "No such message or callback."),
                },
            }
        },
        "/__admin/rejections": {
            "get": {
                "summary": "Refused sends, newest last, with the code and text they got",
                "parameters": [
                    _query("limit", {"type": "integer", "minimum": 1, "default": 100}, "newest"),
                    _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "skip"),
                ],
                "responses": {"200": _answer("RejectionList", "The refused sends."), **_ERRORS},
            }
        },
        "/__admin/messages/{id}/status": {
            "post": {
                "summary": "Push a status by hand, now; reported if the send asked for it",
                "parameters": [_ID, {**_query("code", _CODE, "the status"), "required": True}],
                "responses": {
                    "200": _answer("Message", "The message afterwards."),
                    "404": _answer("Error", "No such message."),
                    **_ERRORS,
                },
            }
        },
        "/__admin/reset": {
            "post": {
                "summary": "Forget every message and callback; the balance starts over. With "
                '{"settings": {...}}, start over from serve\'s settings changed by these (by '
                "the names of GET /__admin/config, as the ini file's text)",
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": _object(
                                {
                                    "settings": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string"},
                                    }
                                }
                            )
                        }
                    },
                },
                "responses": {"200": _answer("Reset", "Done."), **_ERRORS},
            }
        },
        "/__admin/inbox": {
            "get": {
                "summary": "Inbound SMS (replies), oldest first, with their forwards",
                "responses": {"200": _answer("InboundList", "The inbound SMS.")},
            },
            "post": {
                "summary": "An SMS arrives on the account's inbox and is forwarded to the "
                "inbox URL (manual clock: answered once the SUT has answered the forward)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("InboundSms")}},
                },
                "responses": {"200": _answer("Inbound", "Received."), **_ERRORS},
            },
        },
        "/__admin/config": {
            "get": {
                "summary": "The settings in use, by the names of serve's flags and the ini file",
                "responses": {"200": _answer("Config", "The settings.")},
            }
        },
        "/__admin/scenarios": {
            "get": {
                "summary": "Scenarios in the order they are tried",
                "responses": {"200": _answer("Scenarios", "The scenarios.")},
            },
            "post": {
                "summary": "Add scenarios, tried before those of equal priority",
                "requestBody": _TOML_BODY,
                "responses": {"200": _answer("Scenarios", "Now in use."), **_ERRORS},
            },
            "put": {
                "summary": "Replace all scenarios",
                "requestBody": _TOML_BODY,
                "responses": {"200": _answer("Scenarios", "Now in use."), **_ERRORS},
            },
        },
        "/__admin/clock/advance": {
            "post": {
                "summary": "Manual clock: fire everything due; answers once each was attempted",
                "parameters": [
                    {**_query("seconds", {"type": "number", "minimum": 0}, ""), "required": True}
                ],
                "responses": {
                    "200": _answer("Advanced", "Advanced."),
                    "409": _answer("Error", "The server runs on the real clock."),
                    **_ERRORS,
                },
            }
        },
        "/__admin/wait": {
            "get": {
                "summary": "Long poll until callbacks were delivered (manual clock: advances)",
                "parameters": [
                    _query("reference", {"type": "string"}, "messages with this reference"),
                    _query("code", {"type": "string"}, "codes like 6 or 4,6 (default: all)"),
                    _query("timeout", {"type": "number", "default": 10}, "seconds"),
                    _query(
                        "inbound",
                        {"type": "string"},
                        "wait for the forwards of SMS from this number instead (* for anyone)",
                    ),
                ],
                "responses": {
                    "200": _answer("Waited", "Delivered."),
                    "408": _answer("Waited", "Not delivered in time, or one failed."),
                    **_ERRORS,
                },
            }
        },
        "/__admin/journal": {
            "get": {
                "summary": "Everything, for CI artifacts",
                "responses": {"200": _answer("Journal", "The journal.")},
            }
        },
        "/__admin/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1"}},
            }
        },
    },
    "components": {"schemas": _SCHEMAS},
}
