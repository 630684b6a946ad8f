// The inspector page: polls the admin API once a second and redraws only what changed,
// so a filter being typed, a hovered row or an open message stay as they are. No build
// step, no library: the page's Content-Security-Policy allows this file and nothing else.
"use strict";

const PAGE = 50;
const state = { tab: "messages", offset: 0, paused: false, selected: null, seen: {} };
const $ = (selector) => document.querySelector(selector);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  }
  return node;
}

const time = (iso) => (iso ? iso.slice(11, 23) : "");
const chip = (text, kind = "", title = "") => el("span", { class: `chip ${kind}`, title }, text);
const stateKind = { delivered: "ok", failed: "fail", pending: "pending" };

async function api(path, method = "GET") {
  const answer = await fetch(path, { method, credentials: "same-origin" });
  const body = await answer.json();
  if (!answer.ok && answer.status !== 408) throw new Error(body.error || answer.status);
  return body;
}

function replace(id, key, data, draw) {
  // Redraw a part only when its data changed: nothing flickers, nothing is lost.
  const text = JSON.stringify(data);
  if (state.seen[key] === text) return;
  state.seen[key] = text;
  $(id).replaceChildren(...[draw(data)].flat());
}

function callbackChips(callbacks) {
  if (!callbacks.length) return [el("span", { class: "muted" }, "none asked")];
  return callbacks.map((c) => chip(`${c.code} ${c.state}`, stateKind[c.state], c.failure || ""));
}

function messageRows(list) {
  if (!list.messages.length) {
    const why = $("#filter").value ? "No message matches the filter." : "No messages yet.";
    return [el("tr", {}, el("td", { colspan: 7, class: "empty" }, why))];
  }
  return [...list.messages].reverse().map((m) =>
    el("tr", { class: m.id === state.selected ? "selected" : "", onclick: () => select(m.id) },
      el("td", {}, m.id), el("td", {}, time(m.received_at)), el("td", {}, m.number),
      el("td", { class: "cut" }, m.reference), el("td", { class: "cut wide" }, m.text),
      el("td", { class: `status s${m.status ?? 0}` }, m.status_text || "accepted"),
      el("td", {}, callbackChips(m.callbacks))));
}

function refusedRows(list) {
  if (!list.rejections.length) return [el("tr", {}, el("td", { colspan: 4, class: "empty" }, "No refused sends."))];
  return [...list.rejections].reverse().map((r) =>
    el("tr", {}, el("td", {}, time(r.at)), el("td", {}, chip(r.code, "fail")),
      el("td", { class: "cut wide" }, r.message),
      el("td", { class: "cut wide" }, Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(" "))));
}

function inboxRows(list) {
  if (!list.inbound.length) return [el("tr", {}, el("td", { colspan: 5, class: "empty" }, "No inbound SMS yet."))];
  return [...list.inbound].reverse().slice(0, PAGE).map((i) =>
    el("tr", {}, el("td", {}, time(i.received_at)), el("td", {}, i.number), el("td", {}, i.destination),
      el("td", { class: "cut wide" }, i.message),
      el("td", {}, i.forwarded
        ? i.forwards.map((f) => chip(f.state, stateKind[f.state], f.failure || ""))
        : chip("not forwarded", "fail", i.why_not))));
}

function detail(m) {
  const statuses = m.statuses.map((s) => chip(`${s.code} ${s.text} · ${time(s.at)}`));
  const push = el("select", { id: "push-code" },
    [...Array(10).keys()].map((n) => el("option", { value: n + 1 }, n + 1)));
  const callbacks = m.callbacks.map((c, index) =>
    el("div", { class: "callback" },
      el("div", {}, chip(`code ${c.code}: ${c.state}`, stateKind[c.state]), " ",
        el("span", { class: "muted" }, c.failure || `due ${time(c.due)}`), " ",
        el("button", { onclick: () => act(`/__admin/messages/${m.id}/callbacks/${index}/resend`) }, "Resend")),
      c.attempts.map((a) => el("div", { class: "attempt" },
        chip(a.ok ? a.http_status : (a.error || a.http_status), a.ok ? "ok" : "fail"),
        ` ${time(a.at)} · ${Math.round(a.latency_ms)} ms `,
        el("code", {}, a.url || "")))));
  return [
    el("h2", {}, `Message ${m.id} to ${m.number}`),
    el("p", {}, `“${m.text}” · ${m.parts} part(s), ${m.charset}, price ${m.price} · reference `,
      el("code", {}, m.reference || "(none)"), " · scenario ",
      el("b", {}, m.scenario), el("span", { class: "muted" }, m.scenario_origin ? ` (${m.scenario_origin})` : "")),
    el("p", {}, "Statuses: ", statuses.length ? statuses : "none yet"),
    el("p", {}, "Push a status now: ", push, " ",
      el("button", { onclick: () => act(`/__admin/messages/${m.id}/status?code=${push.value}`) }, "Push")),
    el("h3", {}, "Callbacks, each attempt with the exact URL sent"),
    ...(callbacks.length ? callbacks : [el("p", { class: "muted" }, "The send asked for no callbacks.")]),
  ];
}

async function act(path) {
  await api(path, "POST");
  await refresh();
}

function select(id) {
  state.selected = state.selected === id ? null : id;
  state.seen = {};
  refresh();
}

async function refresh() {
  const health = await api("/__admin/health");
  const pending = health.pending_callbacks;
  replace("#summary", "summary", health, (h) =>
    `${h.messages} messages · ${h.rejections} refused sends · ${pending} callback${pending === 1 ? "" : "s"} pending` +
    ` · clock ${h.clock}, ${time(h.now)}` + (h.dropped_messages ? ` · ${h.dropped_messages} old messages dropped` : ""));
  const q = encodeURIComponent($("#filter").value.trim());
  const paging = `limit=${PAGE}&offset=${state.offset}`;
  if (state.tab === "messages") {
    const list = await api(`/__admin/messages?${paging}&q=${q}`);
    replace("#rows", "messages", list, messageRows);
    const last = Math.min(state.offset + PAGE, list.total);
    $("#page").textContent = list.total ? `${list.total - last + 1}–${list.total - state.offset} of ${list.total}` : "";
    $("#older").disabled = last >= list.total;
  } else if (state.tab === "refused") {
    replace("#rows", "refused", await api(`/__admin/rejections?${paging}`), refusedRows);
  } else {
    replace("#rows", "inbox", await api("/__admin/inbox"), inboxRows);
  }
  $("#newer").disabled = state.offset === 0;
  if (state.selected !== null && state.tab === "messages") {
    replace("#detail", "detail", await api(`/__admin/messages/${state.selected}`), detail);
  } else {
    replace("#detail", "detail", null, () => []);
  }
}

const heads = {
  messages: ["#", "Received", "Number", "Reference", "Text", "Status", "Callbacks"],
  refused: ["At", "Code", "Answer", "What was sent"],
  inbox: ["Received", "From", "To", "Text", "Forward"],
};

function show(tab) {
  state.tab = tab;
  state.offset = 0;
  state.seen = {};
  document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("on", b.dataset.tab === tab));
  $("#head").replaceChildren(el("tr", {}, heads[tab].map((h) => el("th", {}, h))));
  $("#list").className = tab;
  refresh();
}

function start() {
  document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => show(b.dataset.tab)));
  $("#filter").addEventListener("input", () => { state.offset = 0; state.seen = {}; refresh(); });
  $("#pause").addEventListener("change", (e) => { state.paused = e.target.checked; });
  $("#newer").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); refresh(); });
  $("#older").addEventListener("click", () => { state.offset += PAGE; refresh(); });
  $("#reset").addEventListener("click", async () => {
    if (confirm("Forget every message, refused send and inbound SMS?")) await act("/__admin/reset");
  });
  show("messages");
  setInterval(() => {
    if (!state.paused) refresh().catch((e) => { $("#summary").textContent = `Cannot reach the server: ${e.message}`; });
  }, 1000);
}

document.addEventListener("DOMContentLoaded", start);
