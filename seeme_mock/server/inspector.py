"""The page at ``/``: what the gateway saw, for a person. Server-rendered, no build step."""

from __future__ import annotations

import asyncio
from html import escape
from typing import Any

from aiohttp import web

from ..core.export import inbound_record, message_record
from ..core.gateway import Gateway
from ..core.scenario import FINAL_CODES
from .pausing import pausing
from .runtime import Runtime

__all__ = ["PAGE_HEADERS", "add_inspector_route"]

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would make its own form post Origin: null
}
"""What the SUT sent is shown on the page: no script runs there and no site frames it."""

_FAILED_FINAL = FINAL_CODES - {6}

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2330; }
h1 { font-size: 20px; margin: 0 0 .2em; } h2 { font-size: 16px; margin: 1.5em 0 .2em; }
.sub { color: #5b6475; margin-bottom: 1em; }
form { margin: 0 0 1em; } input, select, button { font: inherit; padding: .25em .5em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .45em .6em; border-bottom: 1px solid #e3e6ec;
         vertical-align: top; }
th { background: #f3f5f9; font-weight: 600; }
.chip { display: inline-block; border-radius: 3px; padding: 0 .4em; margin: 0 .3em .2em 0;
        background: #eef1f6; white-space: nowrap; }
.ok { background: #dcf5e3; } .fail { background: #fde0df; color: #8c1d18; font-weight: 600; }
.pending { background: #fff3cd; } .final-6 { color: #14692d; font-weight: 600; }
.final-bad { color: #8c1d18; font-weight: 600; } .muted { color: #5b6475; }
.empty { padding: 2em; text-align: center; color: #5b6475; }
"""


def _chip(text: str, kind: str = "", title: str = "") -> str:
    hint = f' title="{escape(title)}"' if title else ""
    return f'<span class="chip {kind}"{hint}>{escape(text)}</span>'


def _time(iso: str) -> str:
    return iso[11:23]  # HH:MM:SS.mmm


def _row(record: dict[str, Any]) -> str:
    status = record["status"]
    status_class = "final-6" if status == 6 else "final-bad" if status in _FAILED_FINAL else ""
    statuses = "".join(
        _chip(f"{s['code']} {s['text']} · {_time(s['at'])}") for s in record["statuses"]
    )
    callbacks = []
    for callback in record["callbacks"]:
        attempts = "".join(
            _chip(
                f"{a['http_status'] or a['error'].split(':')[0]} "
                f"{a['latency_ms']:.0f} ms · {_time(a['at'])}",
                "ok" if a["ok"] else "fail",
                a["error"] or "",
            )
            for a in callback["attempts"]
        )
        state = callback["state"]
        label = _chip(f"code {callback['code']}: {state}", {"delivered": "ok", "failed": "fail"}
                      .get(state, "pending"))  # fmt: skip
        why = (
            f' <span class="muted">{escape(callback["failure"])}</span>'
            if callback["failure"]
            else ""
        )
        callbacks.append(f"<div>{label}{attempts}{why}</div>")
    status_text = escape(record["status_text"] or "accepted")
    return (
        f"<tr><td>{record['id']}</td><td>{_time(record['received_at'])}</td>"
        f"<td>{escape(record['number'])}</td><td>{escape(record['reference'])}</td>"
        f"<td>{escape(record['text'][:60])}</td><td>{escape(record['scenario'])}</td>"
        f'<td class="{status_class}">{status_text}</td><td>{statuses}</td>'
        f"<td>{''.join(callbacks) or '<span class=muted>none asked</span>'}</td></tr>"
    )


ROWS = 500
"""Messages the page lists, newest first: rendering stays fast at 100k messages."""


async def render_page(gateway: Gateway, query: str, refresh: bool) -> str:
    """The page; it lets sends go on every few hundred messages it looks at."""
    needle = query.strip().lower()
    shown: list[str] = []
    matched = failed = pending = 0
    async for m in pausing(reversed(gateway.messages), 2000):
        pending += len(m.outbox)
        failed += sum(1 for c in m.callbacks for a in c.attempts if not a.ok)
        if needle and needle not in (
            f"{m.number} {m.reference} {m.text} {m.sender} {m.scenario.name}".lower()
        ):
            continue
        matched += 1
        if len(shown) < ROWS:
            shown.append(_row(message_record(m, gateway.zone, gateway.config.language)))
            if len(shown) % 50 == 0:
                await asyncio.sleep(0)
    if shown:
        rows = "".join(shown)
    elif gateway.messages:
        rows = '<tr><td colspan="9" class="empty">No message matches the filter.</td></tr>'
    else:
        rows = (
            '<tr><td colspan="9" class="empty">No messages yet. Send one to '
            "<code>/gateway</code>.</td></tr>"
        )
    more = f" · showing the newest {ROWS} of {matched} that match" if matched > ROWS else ""
    summary = (
        f"{len(gateway.messages)} messages · {len(gateway.rejections)} refused sends · "
        f"{failed} failed callback attempts · {pending} "
        f"callback{'' if pending == 1 else 's'} pending"
        + (f" · {gateway.dropped} old messages dropped" if gateway.dropped else "")
        + (
            f" · {gateway.dropped_rejections} old refused sends dropped"
            if gateway.dropped_rejections
            else ""
        )
        + more
    )
    meta = '<meta http-equiv="refresh" content="2">' if refresh else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">{meta}<title>seeme-mock</title>
<style>{_STYLE}</style></head><body>
<h1>seeme-mock</h1>
<div class="sub">{summary}</div>
<form method="get"><input name="q" value="{escape(query)}" placeholder="number, reference, text"
 size="32"> <button>Filter</button>
<label><input type="checkbox" name="refresh" value="0"{"" if refresh else " checked"}>
 pause refresh</label></form>
<table><thead><tr><th>#</th><th>Received</th><th>Number</th><th>Reference</th><th>Text</th>
<th>Scenario</th><th>Status</th><th>Statuses</th><th>Callbacks and attempts</th></tr></thead>
<tbody>{rows}</tbody></table>
{_inbox(gateway)}</body></html>"""


INBOX_ROWS = 100
"""Inbound SMS the page lists, newest first."""


def _inbox(gateway: Gateway) -> str:
    """The inbound SMS (replies) and a form to send one to the account's inbox."""
    rows = []
    for inbound in gateway.inbound[: -INBOX_ROWS - 1 : -1]:
        record = inbound_record(inbound, gateway.zone)
        forwards = "".join(
            _chip(
                f"{a['http_status'] or (a['error'] or '').split(':')[0]} · {_time(a['at'])}",
                "ok" if a["ok"] else "fail",
                a["error"] or "",
            )
            for f in record["forwards"]
            for a in f["attempts"]
        )
        if record["why_not"]:
            forwards = _chip("not forwarded", "fail", record["why_not"])
        elif not forwards:
            forwards = _chip("pending", "pending")
        rows.append(
            f"<tr><td>{record['id']}</td><td>{_time(record['received_at'])}</td>"
            f"<td>{escape(record['number'])}</td><td>{escape(record['destination'])}</td>"
            f"<td>{escape(record['message'][:60])}</td><td>{forwards}</td></tr>"
        )
    inbox = gateway.config.inbox_url or "no inbox URL set: --inbox-url"
    empty = '<tr><td colspan="6" class="empty">No inbound SMS yet.</td></tr>'
    return f"""<h2>Inbox</h2>
<div class="sub">Forwarded to {escape(inbox)}</div>
<form method="post" action="/inbox">From <input name="number" placeholder="36301234567"
 size="14" required> to <input name="destination" placeholder="first inbox number" size="16">
 <input name="message" placeholder="YES" size="32" required> <button>Receive SMS</button></form>
<table><thead><tr><th>#</th><th>Received</th><th>From</th><th>To</th><th>Text</th>
<th>Forward</th></tr></thead><tbody>{"".join(rows) or empty}</tbody></table>"""


def add_inspector_route(app: web.Application, runtime: Runtime) -> None:
    async def page(request: web.Request) -> web.Response:
        html = await render_page(
            runtime.gateway, request.query.get("q", ""), request.query.get("refresh") != "0"
        )
        return web.Response(text=html, content_type="text/html", headers=PAGE_HEADERS)

    async def receive(request: web.Request) -> web.Response:
        form = await request.post()
        number, text = str(form.get("number", "")).strip(), str(form.get("message", ""))
        destination = str(form.get("destination", "")).strip() or None
        try:
            await runtime.receive_sms(number, text, destination)
        except ValueError as exc:
            return web.Response(text=f"{exc}\n", status=400, headers=PAGE_HEADERS)
        raise web.HTTPSeeOther("/")

    app.router.add_get("/", page)
    app.router.add_post("/inbox", receive)
