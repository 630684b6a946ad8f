"""The page at ``/``: what the gateway saw, for a person who keeps it open. A static shell
and a small script (``static/inspector.js``, no build step) that reads the admin API once a
second and redraws only what changed: the messages (paged, filtered on the server, fast at
100k), refused sends, inbound SMS, one message's detail with each attempt's exact URL, and
a tester's actions (push a status, resend a callback, reset, receive an SMS)."""

from __future__ import annotations

from importlib.resources import files

from aiohttp import web

from .runtime import Runtime

__all__ = ["PAGE_HEADERS", "add_inspector_route"]

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; connect-src 'self'; "
    "style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would make its own form post Origin: null
}
"""What the SUT sent is shown on the page: no script but the page's own runs there, and no
site frames it."""

_SCRIPT = (files("seeme_mock") / "server" / "static" / "inspector.js").read_text("utf-8")

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.2em 1.5em; color: #1d2330; }
h1 { font-size: 20px; margin: 0; } h2 { font-size: 16px; margin: .6em 0 .2em; }
h3 { font-size: 14px; margin: .8em 0 .3em; }
header { display: flex; gap: 1em; align-items: baseline; flex-wrap: wrap; }
.sub, .muted { color: #5b6475; } .bar { display: flex; gap: .6em; align-items: center;
  flex-wrap: wrap; margin: .8em 0; }
input, select, button { font: inherit; padding: .2em .5em; }
nav button.on { background: #1d2330; color: #fff; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { text-align: left; padding: .4em .5em; border-bottom: 1px solid #e3e6ec;
  vertical-align: top; overflow: hidden; }
th { background: #f3f5f9; font-weight: 600; }
th:nth-child(1) { width: 4em; } th:nth-child(2) { width: 7.5em; }
.messages th:nth-child(3) { width: 9em; } .messages th:nth-child(4) { width: 10em; }
.messages th:nth-child(6) { width: 8em; } .messages th:nth-child(7) { width: 15em; }
.cut { white-space: nowrap; text-overflow: ellipsis; } .wide { width: auto; }
tbody tr { cursor: pointer; } tbody tr:hover, tr.selected { background: #f6f8fc; }
.chip { display: inline-block; border-radius: 3px; padding: 0 .4em; margin: 0 .3em .2em 0;
  background: #eef1f6; white-space: nowrap; }
.ok { background: #dcf5e3; } .fail { background: #fde0df; color: #8c1d18; font-weight: 600; }
.pending { background: #fff3cd; } .s6 { color: #14692d; font-weight: 600; }
.s1, .s2, .s5, .s7, .s9 { color: #8c1d18; font-weight: 600; }
.empty { padding: 2em; text-align: center; color: #5b6475; }
#detail { margin-top: 1em; } .callback { margin: .5em 0; } .attempt { margin: .2em 0 0 1em; }
code { font-size: 12px; word-break: break-all; }
"""

_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>seeme-mock</title>
<style>{_STYLE}</style><script src="/static/inspector.js"></script></head><body>
<header><h1>seeme-mock</h1><span class="sub" id="summary">loading…</span></header>
<div class="bar">
 <nav><button data-tab="messages" class="on">Messages</button>
 <button data-tab="refused">Refused sends</button>
 <button data-tab="inbox">Inbox</button></nav>
 <input id="filter" placeholder="filter: number, reference, text, scenario" size="34">
 <button id="newer">Newer</button><span id="page" class="muted"></span>
 <button id="older">Older</button>
 <label><input type="checkbox" id="pause"> pause</label>
 <button id="reset">Reset…</button>
</div>
<form class="bar" method="post" action="/inbox">Receive an SMS from
 <input name="number" placeholder="36301234567" size="13" required> to
 <input name="destination" placeholder="first inbox number" size="15">
 <input name="message" placeholder="YES" size="24" required> <button>Receive</button></form>
<table id="list"><thead id="head"></thead><tbody id="rows"></tbody></table>
<div id="detail"></div>
</body></html>"""


def add_inspector_route(app: web.Application, runtime: Runtime) -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=_PAGE, content_type="text/html", headers=PAGE_HEADERS)

    async def script(request: web.Request) -> web.Response:
        return web.Response(
            text=_SCRIPT, content_type="application/javascript", headers=PAGE_HEADERS
        )

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
    app.router.add_get("/static/inspector.js", script)
    app.router.add_post("/inbox", receive)
