// Hero365 Voice dashboard: the analytics API drawn as inline SVG charts and tables (no library, no CDN), and
// the conversation list with each conversation's transcript, tool calls and turn timings.
// Signs in like the voice page: a bearer token from ?token= (then removed from the address) or the box.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const API = "/api/v1/voice-agents";
const COLORS = ["#0f6fde", "#1f9d55", "#e08a00", "#8e44ad", "#d62f4b", "#16a3b8", "#7a869a"];
const state = { token: "", selected: null, timezone: undefined };

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function api(path) {
  const r = await fetch(API + path, { headers: { "Authorization": `Bearer ${state.token}` } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.message || `${r.status} ${r.statusText}`);
  return body;
}

const pct = (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 1000) / 10}%`);
const secs = (x) => (x === null || x === undefined ? "–" : x < 90 ? `${Math.round(x)} s` : `${Math.round(x / 6) / 10} min`);
const ms = (x) => (x === null || x === undefined ? "–" : `${Math.round(x)} ms`);

// ---------------------------------------------------------------- the window the filters describe

function iso(d) { return d.toISOString().slice(0, 10); }

function windowQuery() {
  const period = $("period").value;
  const params = new URLSearchParams({ period });
  if ($("day").value) {
    const day = new Date(`${$("day").value}T00:00:00Z`);
    let start = new Date(day), end = new Date(day);
    if (period === "week") {
      start.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
      end = new Date(start); end.setUTCDate(start.getUTCDate() + 6);
    } else if (period === "month") {
      start = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1));
      end = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0));
    }
    params.set("start", iso(start));
    params.set("end", iso(end));
  }
  return params;
}

// ---------------------------------------------------------------- charts

function emptyChart(box, message) {
  const s = svg("svg", { viewBox: "0 0 480 200" });
  s.appendChild(svg("text", { x: 240, y: 100, "text-anchor": "middle", class: "empty" }, message));
  box.replaceChildren(s);
}

// A round top for the axis: four gridlines at whole steps (1, 2, 5 x 10^n).
function niceMax(max, whole = false) {
  const raw = Math.max(max, 1) / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  return (whole ? Math.max(1, step) : step) * 4;  // counts: whole steps only
}

function axis(s, x0, y0, w, h, max) {
  for (let i = 0; i <= 4; i++) {
    const y = y0 - (h * i) / 4;
    s.appendChild(svg("line", { x1: x0, x2: x0 + w, y1: y, y2: y, stroke: "#eef0f5" }));
    s.appendChild(svg("text", { x: x0 - 6, y: y + 4, "text-anchor": "end" }, Math.round((max * i) / 4)));
  }
}

function legend(box, entries) {
  box.replaceChildren(...entries.map(([label, color]) => {
    const item = el("span");
    const swatch = el("i");
    swatch.style.background = color;
    item.append(swatch, document.createTextNode(label));
    return item;
  }));
}

function callsChart(points) {
  const box = $("chart-calls");
  const total = points.reduce((a, p) => a + p.conversations, 0);
  if (!total) { emptyChart(box, "No conversations in this window"); legend($("legend-calls"), []); return; }
  const counts = {};
  for (const p of points) for (const [k, v] of Object.entries(p.outcomes)) counts[k] = (counts[k] || 0) + v;
  const top = Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k]) => k);
  const keys = Object.keys(counts).length > top.length ? [...top, "other"] : top;
  const color = Object.fromEntries(keys.map((k, i) => [k, COLORS[i % COLORS.length]]));
  const W = 480, H = 200, x0 = 34, y0 = 176, w = W - x0 - 8, h = 160;
  const max = niceMax(Math.max(...points.map((p) => p.conversations)), true);
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}` });
  axis(s, x0, y0, w, h, max);
  const bw = w / points.length;
  points.forEach((p, i) => {
    let y = y0;
    for (const k of keys) {
      const v = k === "other" ? Object.entries(p.outcomes).filter(([o]) => !top.includes(o)).reduce((a, [, n]) => a + n, 0)
                              : p.outcomes[k] || 0;
      if (!v) continue;
      const bh = (h * v) / max;
      const rect = svg("rect", { x: x0 + i * bw + bw * 0.15, y: y - bh, width: bw * 0.7, height: bh, fill: color[k],
                                 class: "bar", "data-outcome": k });
      rect.appendChild(svg("title", {}, `${p.start}: ${v} ${k}`));
      s.appendChild(rect);
      y -= bh;
    }
    if (points.length <= 16 || i % Math.ceil(points.length / 12) === 0) {
      s.appendChild(svg("text", { x: x0 + i * bw + bw / 2, y: H - 6, "text-anchor": "middle" }, p.start.slice(5)));
    }
  });
  box.replaceChildren(s);
  legend($("legend-calls"), keys.map((k) => [k, color[k]]));
}

function latencyChart(points) {
  const box = $("chart-latency");
  const lines = [["response_ms", "p50", "response p50", COLORS[0], "4 3"], ["response_ms", "p95", "response p95", COLORS[0], ""],
                 ["v2v_ms", "p50", "voice-to-voice p50", COLORS[3], "4 3"], ["v2v_ms", "p95", "voice-to-voice p95", COLORS[3], ""]];
  const values = points.flatMap((p) => lines.map(([m, q]) => (p.latency_ms[m] || {})[q]).filter((v) => v != null));
  if (!values.length) { emptyChart(box, "No timed turns in this window"); legend($("legend-latency"), []); return; }
  const W = 480, H = 200, x0 = 46, y0 = 176, w = W - x0 - 26, h = 160;
  const max = niceMax(Math.max(...values));
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}` });
  axis(s, x0, y0, w, h, max);
  const step = points.length > 1 ? w / (points.length - 1) : 0;
  const xAt = (i) => (points.length > 1 ? x0 + i * step : x0 + w / 2);
  for (const [m, q, label, color, dash] of lines) {
    const pts = points.map((p, i) => [(p.latency_ms[m] || {})[q], i]).filter(([v]) => v != null)
      .map(([v, i]) => [xAt(i), y0 - (h * v) / max, v, points[i].start]);
    if (!pts.length) continue;
    s.appendChild(svg("polyline", { points: pts.map(([x, y]) => `${x},${y}`).join(" "), fill: "none", stroke: color,
                                    "stroke-width": 2, "stroke-dasharray": dash, class: "latency-line" }));
    for (const [x, y, v, day] of pts) {
      const dot = svg("circle", { cx: x, cy: y, r: 3, fill: color });
      dot.appendChild(svg("title", {}, `${day} ${label}: ${Math.round(v)} ms`));
      s.appendChild(dot);
    }
  }
  points.forEach((p, i) => {
    if (points.length <= 16 || i % Math.ceil(points.length / 12) === 0) {
      s.appendChild(svg("text", { x: xAt(i), y: H - 6, "text-anchor": "middle" }, p.start.slice(5)));
    }
  });
  box.replaceChildren(s);
  legend($("legend-latency"), lines.map(([, , label, color]) => [label, color]));
}

function intentsChart(intents) {
  const box = $("chart-intents");
  if (!intents.length) { emptyChart(box, "No intents recorded in this window"); return; }
  const W = 480, rowH = 22, H = intents.length * rowH + 8, x0 = 170, w = W - x0 - 40;
  const max = Math.max(...intents.map((i) => i.count));
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}` });
  intents.forEach((item, i) => {
    const y = 4 + i * rowH;
    s.appendChild(svg("text", { x: x0 - 8, y: y + 14, "text-anchor": "end", class: "intent-label" }, item.intent));
    s.appendChild(svg("rect", { x: x0, y: y + 3, width: Math.max(2, (w * item.count) / max), height: rowH - 8,
                                fill: COLORS[0], rx: 2 }));
    s.appendChild(svg("text", { x: x0 + (w * item.count) / max + 6, y: y + 14 }, item.count));
  });
  box.replaceChildren(s);
}

// ---------------------------------------------------------------- figures and tables

function kpis(f) {
  const tiles = [["Conversations", f.conversations], ["Avg duration", secs(f.avg_duration_s)],
                 ["Resolved", pct(f.resolution_rate)], ["Tool error rate", pct(f.tool_error_rate)],
                 ["Bookings", f.conversions.booking], ["Reschedules", f.conversions.reschedule],
                 ["Payment promises", f.conversions.payment_promise],
                 ["p95 response", ms((f.latency_ms.response_ms || {}).p95)]];
  $("kpis").replaceChildren(...tiles.map(([label, value]) => {
    const tile = el("div", { class: "kpi" });
    tile.append(el("div", { class: "value" }, value), el("div", { class: "label" }, label));
    return tile;
  }));
}

const STAGES = [["response_ms", "Reply (user message to answer)"], ["v2v_ms", "Voice to voice"], ["stt_ms", "Speech recognition"],
                ["brain_ms", "Brain"], ["tool_ms", "Tools"], ["tts_ms", "Speech synthesis (first audio)"]];

function stagesTable(f) {
  const present = STAGES.filter(([key]) => f.latency_ms[key]);
  rows($("stages").querySelector("tbody"), present, ([key, label]) => {
    const l = f.latency_ms[key];
    return [label, l.n, ms(l.p50), ms(l.p95)];
  });
  if (!present.length) {
    const tr = el("tr");
    tr.appendChild(el("td", { colspan: 4, class: "muted" }, "No timed turns in this window."));
    $("stages").querySelector("tbody").replaceChildren(tr);
  }
}

function rows(tbody, data, cells) {
  tbody.replaceChildren(...data.map((d) => {
    const tr = el("tr");
    for (const c of cells(d)) tr.appendChild(el("td", {}, c));
    return tr;
  }));
}

function agentsTable(data) {
  rows($("agents").querySelector("tbody"), [...data.agents, data.all], (f) => [
    f.agent, f.conversations, secs(f.avg_duration_s), pct(f.resolution_rate), pct(f.tool_error_rate),
    f.conversions.booking, f.conversions.reschedule, f.conversions.payment_promise,
    ms((f.latency_ms.response_ms || {}).p95)]);
}

function funnelsTable(data) {
  $("funnel-note").textContent = data.note;
  const table = $("funnels");
  const cols = data.funnel_source === "call_attempts"
    ? ["name", "contacts", "attempts", "blocked", "dialed", "answered", "voicemail", "no_answer", "contacts_converted", "conversion_rate"]
    : ["purpose", "calls", "reached", "resolved", "converted", "opted_out", "conversion_rate"];
  const head = el("tr");
  for (const c of cols) head.appendChild(el("th", {}, c.replace(/_/g, " ")));
  table.querySelector("thead").replaceChildren(head);
  if (!data.funnels.length) {
    const tr = el("tr");
    tr.appendChild(el("td", { colspan: cols.length, class: "muted" }, "No outbound calls in this window."));
    table.querySelector("tbody").replaceChildren(tr);
    return;
  }
  rows(table.querySelector("tbody"), data.funnels, (f) => cols.map((c) => (c === "conversion_rate" ? pct(f[c]) : f[c] ?? "–")));
}

function failedList(summary) {
  const items = [
    ...summary.figures.failed_intents.map((i) => `${i.intent}: ${i.count} failed turn${i.count === 1 ? "" : "s"}`),
    ...summary.failed_utterances.map((u) => `“${u.text}” (${u.agent}, ${u.intent || "not understood"})`)];
  $("failed").replaceChildren(...(items.length ? items : ["Nothing failed in this window."]).map((t) => el("li", {}, t)));
}

async function conversations() {
  const data = await api("/sessions?limit=50");
  const tbody = $("conversations").querySelector("tbody");
  tbody.replaceChildren(...data.sessions.map((s) => {
    const tr = el("tr", { "data-session": s.session_id });
    const started = new Date(s.started_at).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit",
                                                                minute: "2-digit", timeZone: state.timezone });
    for (const c of [started, s.agent, s.channel, s.live ? "live" : s.outcome || "–", s.turns, secs(s.duration_s)]) {
      tr.appendChild(el("td", {}, c));
    }
    tr.addEventListener("click", () => transcript(s.session_id, tr));
    return tr;
  }));
  if (!data.sessions.length) {
    const tr = el("tr");
    tr.appendChild(el("td", { colspan: 6, class: "muted" }, "No conversations yet."));
    tbody.replaceChildren(tr);
  }
}

async function transcript(sessionId, row) {
  document.querySelectorAll("#conversations tr.selected").forEach((r) => r.classList.remove("selected"));
  if (row) row.classList.add("selected");
  state.selected = sessionId;
  $("transcript-id").textContent = sessionId;
  try {
    const data = await api(`/sessions/${encodeURIComponent(sessionId)}/transcript`);
    const turns = Object.fromEntries(data.turns.map((t) => [t.seq, t]));
    let turnNo = 0;
    $("transcript-meta").textContent = data.recording_ref ? `Recording: ${data.recording_ref}` : `${data.turns.length} turn(s)`;
    $("transcript").replaceChildren(...data.events.map((e) => {
      const li = el("li", { class: e.kind + (e.error ? " error" : "") });
      if (e.kind === "tool") {
        li.textContent = `${e.tool}(${e.arguments || ""}) → ${e.error ? "error " + e.error + ": " : ""}${e.text || ""} [${ms(e.duration_ms)}]`;
      } else {
        li.textContent = e.text || "";
      }
      if (e.kind === "user") {
        const t = turns[++turnNo];
        if (t) {
          const parts = [t.intent && `intent ${t.intent}`, t.action && `did ${t.action}`, t.failed && "failed",
                         t.response_ms != null && `reply ${ms(t.response_ms)}`, t.v2v_ms != null && `voice-to-voice ${ms(t.v2v_ms)}`,
                         t.stt_ms != null && `STT ${ms(t.stt_ms)}`, t.brain_ms != null && `brain ${ms(t.brain_ms)}`,
                         t.tool_ms != null && `tools ${ms(t.tool_ms)}`, t.tts_ms != null && `TTS ${ms(t.tts_ms)}`].filter(Boolean);
          li.appendChild(el("span", { class: "timing" }, parts.join(" · ")));
        }
      }
      return li;
    }));
  } catch (err) {
    $("transcript-meta").textContent = err.message;
    $("transcript").replaceChildren();
  }
}

// ---------------------------------------------------------------- loading

async function load() {
  showError("");
  const params = windowQuery();
  const agent = $("agent").value;
  const withAgent = new URLSearchParams(params);
  if (agent) withAgent.set("agent", agent);
  const series = new URLSearchParams(withAgent);
  series.set("bucket", "day");
  try {
    const [summary, agents, calls, points] = await Promise.all([
      api(`/analytics/summary?${withAgent}`), api(`/analytics/agents?${params}`),
      api(`/analytics/calls?${params}`), api(`/analytics/series?${series}`)]);
    const w = summary.window;
    $("window").textContent = `${w.start} – ${w.end} (${w.timezone})`;
    state.timezone = w.timezone;  // times shown in the business's zone
    kpis(summary.figures);
    callsChart(points.points);
    latencyChart(points.points);
    intentsChart(summary.figures.top_intents);
    failedList(summary);
    stagesTable(summary.figures);
    agentsTable(agents);
    funnelsTable(calls);
    await conversations();
    document.body.dataset.loaded = "yes";
  } catch (err) {
    showError(err.message);
    document.body.dataset.loaded = "error";
  }
}

function signIn(token) {
  state.token = token.trim();
  if (!state.token) return;
  sessionStorage.setItem("hero365.token", state.token);
  try {
    const claims = JSON.parse(atob(state.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    const bid = claims.business_id ?? claims.bid;
    $("who").textContent = `signed in${bid ? ` (business ${bid})` : ""}`;
  } catch (_) {
    $("who").textContent = "signed in";
  }
  load();
}

window.addEventListener("DOMContentLoaded", () => {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get("token");
  if (fromUrl) history.replaceState(null, "", location.pathname);  // keep the token out of history and referrers
  const token = fromUrl || sessionStorage.getItem("hero365.token") || "";
  $("token").value = token;
  $("signin-form").addEventListener("submit", (ev) => { ev.preventDefault(); signIn($("token").value); });
  $("filters").addEventListener("submit", (ev) => { ev.preventDefault(); if (state.token) load(); });
  if (token) signIn(token);
});
