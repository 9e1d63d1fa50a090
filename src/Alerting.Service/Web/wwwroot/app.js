// Akka.Alerting web view: plain JavaScript, no framework, no network access but this node's admin endpoint.
"use strict";

const COLORS = ["#0b5cad", "#a4161a", "#1b6e2d", "#6b3fa0", "#8a5a00", "#00707a", "#b3367a", "#3d4a5c"];
const SVGNS = "http://www.w3.org/2000/svg";

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c === null || c === undefined ? "" : String(c)));
  return e;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function clock(ms) {
  if (ms === null || ms === undefined) return "";
  return new Date(ms).toISOString().substring(11, 23);
}

function duration(ms) {
  if (!ms) return "0";
  if (ms % 60000 === 0) return (ms / 60000) + "m";
  if (ms % 1000 === 0) return (ms / 1000) + "s";
  return ms + "ms";
}

async function getJson(url, options) {
  const response = await fetch(url, Object.assign({ credentials: "same-origin", headers: { "Accept": "application/json" } }, options || {}));
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok) {
    const message = body && (body.error || (body.errors && body.errors.join("\n"))) || response.statusText;
    const error = new Error(message);
    error.status = response.status;
    error.body = body;
    throw error;
  }
  return body;
}

function kindCell(kind) {
  return el("td", { class: "kind kind-" + kind }, kind);
}

function table(headers, rows, caption) {
  const t = el("table");
  if (caption) t.append(el("caption", { class: "status" }, caption));
  const head = el("tr");
  for (const h of headers) head.append(el("th", { scope: "col" }, h));
  t.append(el("thead", {}, head));
  const body = el("tbody");
  for (const r of rows) {
    const tr = el("tr");
    for (const c of r) tr.append(c instanceof Node ? c : el("td", {}, c));
    body.append(tr);
  }
  t.append(body);
  return t;
}

function markNav() {
  const page = document.body.dataset.page;
  for (const a of document.querySelectorAll("header nav a")) {
    if (a.getAttribute("href") === "/ui/" + page) a.setAttribute("aria-current", "page");
  }
}

// ---- Alerts: the live feed (Server-Sent Events) and the rate chart --------------------------------------------

function alertsPage() {
  const form = document.getElementById("feed-filter");
  const status = document.getElementById("feed-status");
  const body = document.querySelector("#feed tbody");
  const pause = document.getElementById("f-pause");
  const q = new URLSearchParams(location.search);
  for (const name of ["rule", "device", "kind"]) if (q.get(name)) form.elements[name].value = q.get(name);
  let source = null;
  let paused = false;
  let received = 0;

  function connect() {
    if (source) source.close();
    const params = new URLSearchParams();
    for (const name of ["rule", "device", "kind"]) {
      const v = form.elements[name].value.trim();
      if (v) params.set(name, v);
    }
    history.replaceState(null, "", "/ui/alerts" + (params.toString() ? "?" + params : ""));
    body.replaceChildren();
    received = 0;
    source = new EventSource("/api/feed/stream?" + params);
    source.onopen = () => { status.textContent = "live"; };
    source.onerror = () => { status.textContent = "disconnected, retrying…"; };
    source.onmessage = (message) => {
      const batch = JSON.parse(message.data);
      showCounts(batch.perRule);
      if (paused) return;
      for (const item of batch.items) {
        body.prepend(el("tr", { "data-kind": item.kind, "data-device": item.deviceId },
          el("td", { class: "mono time" }, clock(item.time)),
          kindCell(item.kind),
          el("td", {}, el("a", { href: "/ui/device?id=" + encodeURIComponent(item.deviceId) }, item.deviceId)),
          el("td", {}, item.ruleId || ""),
          el("td", {}, item.alertType || ""),
          el("td", {}, item.detail || ""),
          el("td", { class: "mono", title: item.alertId || null }, item.alertId ? item.alertId.substring(0, 12) + "…" : "")));
        received++;
      }
      while (body.rows.length > 200) body.deleteRow(body.rows.length - 1);
      const left = batch.matched - batch.items.length;
      status.textContent = "live: " + received + " shown" + (left > 0 ? ", " + left + " more in the last 250 ms not shown (sampled)" : "")
        + (batch.missed > 0 ? ", " + batch.missed + " missed" : "") + (batch.dropped > 0 ? ", " + batch.dropped + " dropped by the node's feed" : "");
    };
  }

  function showCounts(perRule) {
    const rows = Object.entries(perRule || {}).sort((a, b) => a[0].localeCompare(b[0]));
    const tbody = document.querySelector("#rule-counts tbody");
    tbody.replaceChildren(...rows.map(([rule, n]) => el("tr", {},
      el("td", {}, el("a", { href: "/ui/alerts?rule=" + encodeURIComponent(rule) }, rule)), el("td", {}, n))));
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); connect(); });
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume" : "Pause";
  });
  connect();
  rateChart();
  setInterval(rateChart, 5000);
}

async function rateChart() {
  const target = document.getElementById("rate-chart");
  let data;
  try { data = await getJson("/api/feed/rates"); } catch (e) { target.replaceChildren(el("p", { class: "error" }, e.message)); return; }
  const bucket = 30; // seconds per point: 30 points over 15 minutes
  const rules = Object.keys(data.perRule).sort();
  const series = rules.map((r) => {
    const s = data.perRule[r];
    const points = [];
    for (let i = 0; i < s.length; i += bucket) points.push(s.slice(i, i + bucket).reduce((a, b) => a + b, 0));
    return points;
  });
  const w = 640, h = 220, left = 44, bottom = 24, top = 10, right = 10;
  const n = series.length ? series[0].length : 30;
  const max = Math.max(1, ...series.flat());
  const x = (i) => left + (i * (w - left - right)) / Math.max(1, n - 1);
  const y = (v) => top + (h - top - bottom) * (1 - v / max);
  const total = series.flat().reduce((a, b) => a + b, 0);
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": `Alerts per rule per 30 seconds over the last 15 minutes: ${total} in all` });
  chart.append(svg("title", {}, "Alerts per rule per 30 seconds, last 15 minutes"));
  chart.append(svg("line", { x1: left, y1: h - bottom, x2: w - right, y2: h - bottom, stroke: "#4a5260" }));
  chart.append(svg("line", { x1: left, y1: top, x2: left, y2: h - bottom, stroke: "#4a5260" }));
  chart.append(svg("text", { x: 4, y: top + 10 }, String(max)));
  chart.append(svg("text", { x: 4, y: h - bottom }, "0"));
  chart.append(svg("text", { x: left, y: h - 6 }, "-15 min"));
  chart.append(svg("text", { x: w - right - 30, y: h - 6 }, "now"));
  series.forEach((points, k) => {
    chart.append(svg("polyline", { fill: "none", stroke: COLORS[k % COLORS.length], "stroke-width": 2,
      points: points.map((v, i) => `${x(i)},${y(v)}`).join(" ") }));
  });
  const legend = el("ul", { class: "legend", "aria-label": "Rules" });
  rules.forEach((r, k) => legend.append(el("li", {}, el("span", { class: "sw", style: "background:" + COLORS[k % COLORS.length], "aria-hidden": "true" }), r)));
  target.replaceChildren(chart, legend);
}

// ---- Device: history, time line with the watermark, the dispatcher's view, why -----------------------------

function devicePage() {
  const form = document.getElementById("device-search");
  const input = document.getElementById("device-id");
  let timer = null;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    history.replaceState(null, "", "/ui/device?id=" + encodeURIComponent(input.value.trim()));
    showDevice(input.value.trim());
    if (timer) clearInterval(timer);
    timer = setInterval(() => showDevice(input.value.trim(), true), 3000);
  });
  const id = new URLSearchParams(location.search).get("id");
  if (id) { input.value = id; form.requestSubmit(); }
}

async function showDevice(id, quiet) {
  const status = document.getElementById("device-status");
  if (!quiet) status.textContent = "loading " + id + "…";
  let feed;
  try {
    feed = await getJson("/api/feed/devices/" + encodeURIComponent(id));
  } catch (e) {
    status.replaceChildren(el("span", { class: "error" }, e.message));
    document.getElementById("device-view").hidden = true;
    return;
  }
  let state = null, stateError = null;
  try { state = (await getJson("/api/devices/" + encodeURIComponent(id))).state; } catch (e) { stateError = e.message; }
  document.getElementById("device-view").hidden = false;
  const history = feed.history;
  status.textContent = `device ${id}: ${history.length} recent entries` + (feed.partition !== null && feed.partition !== undefined ? `, partition ${feed.partition}` : "")
    + (feed.watermark ? `, watermark ${clock(feed.watermark)}` : "");
  timeline(history, feed.watermark);
  matcherView(feed.matcher);
  why(history, state);
  dispatcherView(state, stateError, history);
  const rows = history.slice().reverse().map((i) => [
    el("td", { class: "mono" }, clock(i.time)), kindCell(i.kind), i.ruleId || "", i.alertType || "",
    el("td", { class: "mono" }, clock(i.eventTime)), i.detail || "", el("td", { class: "mono" }, i.alertId || "")]);
  const tbody = document.querySelector("#history tbody");
  tbody.replaceChildren(...rows.map((r) => el("tr", {}, ...r.map((c) => c instanceof Node ? c : el("td", {}, c)))));
}

function timeline(history, watermark) {
  const target = document.getElementById("timeline");
  const note = document.getElementById("tl-note");
  const timed = history.filter((i) => i.eventTime);
  if (!timed.length) {
    target.replaceChildren();
    note.textContent = "No events of this device seen since it was first looked at; source events are kept from now on while this page is open.";
    return;
  }
  note.textContent = "Event time: source events (grey dots), generates (red triangles), revokes (green), dispatcher decisions (blue squares); the dashed line is the partition's watermark.";
  const times = timed.map((i) => i.eventTime).concat(watermark ? [watermark] : []);
  let lo = Math.min(...times), hi = Math.max(...times);
  if (hi - lo < 1000) { lo -= 500; hi += 500; }
  const w = 900, h = 130, left = 20, right = 20;
  const x = (t) => left + ((t - lo) * (w - left - right)) / (hi - lo);
  const rowOf = { "event": 30, "generate": 60, "revoke": 60, "held": 95, "dispatch": 95, "cancel": 95, "drop": 95, "revoke-sent": 95 };
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${w} ${h}`, role: "img",
    "aria-label": `Time line of ${timed.length} entries from ${clock(lo)} to ${clock(hi)}` + (watermark ? `, watermark at ${clock(watermark)}` : "") });
  chart.append(svg("title", {}, "Device time line"));
  chart.append(svg("text", { x: 2, y: 14 }, "events"));
  chart.append(svg("text", { x: 2, y: 50 }, "alerts"));
  chart.append(svg("text", { x: 2, y: 84 }, "dispatcher"));
  chart.append(svg("text", { x: left, y: h - 4 }, clock(lo)));
  chart.append(svg("text", { x: w - right - 80, y: h - 4 }, clock(hi)));
  for (const i of timed) {
    const cx = x(i.eventTime), cy = rowOf[i.kind] || 95;
    let mark;
    if (i.kind === "event") mark = svg("circle", { cx, cy, r: 4, fill: "#4a5260" });
    else if (i.kind === "generate" || i.kind === "revoke") mark = svg("path", { d: `M${cx},${cy - 7} L${cx + 6},${cy + 5} L${cx - 6},${cy + 5} Z`, fill: i.kind === "generate" ? "#a4161a" : "#1b6e2d" });
    else mark = svg("rect", { x: cx - 4, y: cy - 4, width: 8, height: 8, fill: "#0b5cad" });
    mark.append(svg("title", {}, `${i.kind} ${i.alertType || ""} ${clock(i.eventTime)} ${i.detail || ""}`));
    chart.append(mark);
  }
  if (watermark) {
    chart.append(svg("line", { x1: x(watermark), y1: 4, x2: x(watermark), y2: h - 16, stroke: "#8a5a00", "stroke-width": 2, "stroke-dasharray": "5 4" }));
    chart.append(svg("text", { x: Math.min(x(watermark) + 4, w - 80), y: 12 }, "watermark"));
  }
  target.replaceChildren(chart);
}

/** Per alert, what happened to it, from the feed's history, and for a covered alert which open alert covers it. */
function why(history, state) {
  const alerts = new Map();
  for (const i of history) {
    if (!i.alertId) continue;
    const a = alerts.get(i.alertId) || { id: i.alertId, type: null, rule: null, steps: [] };
    if (i.alertType) a.type = i.alertType;
    if (i.ruleId) a.rule = i.ruleId;
    a.steps.push(i);
    alerts.set(i.alertId, a);
  }
  const open = state && state.open ? state.open : [];
  const rows = [];
  for (const a of alerts.values()) {
    const kinds = a.steps.map((s) => s.kind);
    const last = a.steps[a.steps.length - 1];
    let outcome, reason;
    if (kinds.includes("dispatch")) {
      outcome = kinds.includes("revoke-sent") ? "dispatched, then revoked" : "dispatched";
      reason = (a.steps.find((s) => s.kind === "dispatch").detail) || "dispatched";
      if (kinds.includes("revoke-sent")) reason += "; later its revoke was sent: its work order was not closed";
    }
    else if (kinds.includes("revoke-sent")) { outcome = "revoked"; reason = "its revoke was sent: it was dispatched and its work order not closed"; }
    else if (kinds.includes("cancel")) { outcome = "not dispatched"; reason = "cancelled by its revoke while held for its delay"; }
    else if (kinds.includes("drop")) {
      outcome = "not dispatched";
      reason = a.steps.find((s) => s.kind === "drop").detail;
      if (reason && reason.startsWith("covered")) {
        const cover = open.find((o) => o.alert && (o.alert.overrides || []).includes(a.type));
        if (cover) reason += ": by " + cover.alert.alertId + " (" + cover.alert.alertType + ", priority " + cover.alert.priority + ")";
      }
    }
    else if (kinds.includes("held")) { outcome = "delayed"; reason = (a.steps.find((s) => s.kind === "held").detail) + ": a revoke before then cancels it"; }
    else { outcome = "not yet at the dispatcher"; reason = last.kind === "revoke" ? "revoke produced" : "generate produced; the dispatcher has not taken it yet"; }
    rows.push(el("tr", { "data-alert": a.id, "data-outcome": outcome },
      el("td", { class: "mono" }, a.id), el("td", {}, a.type || ""), el("td", { class: "kind" }, outcome), el("td", {}, reason)));
  }
  const tbody = document.querySelector("#why tbody");
  tbody.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "4" }, "No alert of this device seen since this node started."))]));
}

function dispatcherView(state, error, history) {
  const target = document.getElementById("dispatcher");
  if (error) { target.replaceChildren(el("p", { class: "error" }, "The dispatcher did not answer: " + error)); return; }
  const pending = (state.pending || []).map((p) => [el("td", { class: "mono" }, p.alert.alertId), p.alert.alertType, p.alert.priority, el("td", { class: "mono" }, clock(Date.parse(p.dueAt)))]);
  const open = (state.open || []).map((o) => [el("td", { class: "mono" }, o.alert.alertId), o.alert.alertType, o.alert.priority, o.workOrderOpened ? "work order open" : "no work order yet"]);
  const last = history.filter((i) => i.kind === "dispatch" || i.kind === "revoke-sent").slice(-10).reverse()
    .map((i) => [el("td", { class: "mono" }, clock(i.time)), kindCell(i.kind), el("td", { class: "mono" }, i.alertId), i.alertType || ""]);
  target.replaceChildren(
    el("h3", {}, "Pending delays"), pending.length ? table(["alert", "type", "priority", "due"], pending) : el("p", {}, "none"),
    el("h3", {}, "Open alerts and work orders"), open.length ? table(["alert", "type", "priority", "work order"], open) : el("p", {}, "none"),
    el("h3", {}, "Last dispatches"), last.length ? table(["time", "kind", "alert", "type"], last) : el("p", {}, "none seen since this node started"));
}

/** What the match stages of this node hold for the device: partial matches, absence timers, open alerts. */
function matcherView(m) {
  const note = document.getElementById("matcher-note");
  const target = document.getElementById("matcher");
  if (!m) { note.textContent = "This node runs no alert graph."; target.replaceChildren(); return; }
  const parts = m.partitions || [];
  const silent = m.nodesUnanswered || [];
  note.textContent = `Asked the match stages of ${m.asked} partition(s) on ${m.nodes} node(s)` + (m.unanswered ? `, ${m.unanswered} did not answer in time` : "")
    + (silent.length ? `; no answer from ${silent.map((n) => n.address + " (" + n.error + ")").join(", ")}` : "")
    + (parts.length ? ": " + parts.map((p) => `partition ${p.partition}` + (m.nodes > 1 ? ` on ${p.node}` : "") + ` (rules version ${p.rulesVersion}, watermark ${clock(p.watermark)}, ${p.awaitingWatermark} event(s) awaiting the watermark, ~${p.stateBytes} B of state)`).join("; ")
      : "; none holds anything for this device.");
  const partial = [], timers = [], open = [];
  for (const p of parts) {
    for (const pm of p.partialMatches) {
      partial.push(el("tr", { "data-rule": pm.ruleId },
        el("td", {}, pm.ruleId + "/" + pm.ruleVersion), el("td", {}, pm.operator),
        el("td", {}, pm.events.map((e) => `${e.eventId} at ${clock(e.eventTime)} (step ${e.steps.map((s) => s + 1).join(" or ")})`).join("; ")),
        el("td", {}, `${pm.events.length} of ${pm.stepCount}`), el("td", { class: "mono" }, clock(pm.expiresAt))));
    }
    for (const t of p.absenceTimers) {
      timers.push(el("tr", { "data-rule": t.ruleId }, el("td", {}, t.ruleId + "/" + t.ruleVersion), el("td", { class: "mono" }, t.triggerId),
        el("td", { class: "mono" }, clock(t.triggerTime)), el("td", { class: "mono" }, clock(t.deadline))));
    }
    for (const o of p.openAlerts) {
      open.push(el("tr", { "data-alert": o.alertId }, el("td", { class: "mono" }, o.alertId), el("td", {}, o.ruleId + "/" + o.ruleVersion),
        el("td", { class: "mono" }, clock(o.faultTime)), el("td", { class: "mono" }, clock(o.alertTime))));
    }
  }
  const section = (title, id, headers, rows, none) => {
    if (!rows.length) return [el("h3", {}, title), el("p", {}, none)];
    const t = table(headers, []);
    t.id = id;
    t.querySelector("tbody").replaceChildren(...rows);
    return [el("h3", {}, title), t];
  };
  target.replaceChildren(
    ...section("Partial matches", "partial-matches", ["rule", "pattern", "events so far", "buffered", "must complete by"], partial, "none"),
    ...section("Absence timers", "absence-timers", ["rule", "trigger", "trigger time", "fires at"], timers, "none"),
    ...section("Open alerts of the matcher (a revoke may follow)", "matcher-open", ["alert", "rule", "fault time", "alert time"], open, "none"));
}

// ---- Rules: the set in force and the trial form ---------------------------------------------------------------

const EXAMPLE_EVENTS = [
  '{"Message":"Fault","Param":{"ErrCode":101,"Timestamp":"2026-11-22T08:00:00.000Z","ID":"e1"},"DeviceNumber":42}',
  '{"Message":"Fault","Param":{"ErrCode":102,"Timestamp":"2026-11-22T08:00:02.000Z","ID":"e2"},"DeviceNumber":42}',
  '{"Message":"Fault","Param":{"ErrCode":103,"Timestamp":"2026-11-22T08:00:05.000Z","ID":"e3"},"DeviceNumber":7}',
  '{"Message":"Alarm","Param":{"Timestamp":"2026-11-22T08:00:30.000Z","ID":"e4"},"DeviceNumber":7}',
].join("\n");

/** Every member's rule set and the live version each of its partitions matches under (GET /api/cluster/rules). */
async function nodesRules() {
  const status = document.getElementById("nodes-status");
  try {
    const answer = await getJson("/api/cluster/rules");
    const answered = answer.members.filter((m) => m.view);
    status.textContent = `${answer.members.length} member(s), ${answered.length} answered`;
    document.getElementById("rules-nodes").replaceChildren(table(["node", "status", "set version", "rules", "partitions: live version (effective from)"],
      answer.members.map((m) => [el("td", { class: "mono" }, m.address), m.status,
        m.view ? (m.view.version ?? "none loaded") : el("td", { class: "error" }, m.error),
        m.view ? m.view.rules.map((r) => r.id + "/" + r.version).join(", ") : "",
        m.view ? (m.view.partitions.length ? m.view.partitions.map((p) => `${p.partition}: ${p.version}` + (p.effectiveAt ? ` (${new Date(p.effectiveAt).toISOString()})` : "")).join("; ") : "runs no partition") : ""]),
      "what each member of the cluster matches under"));
  } catch (e) {
    status.replaceChildren(el("span", { class: "error" }, e.message));
  }
}

async function rulesPage() {
  const status = document.getElementById("rules-status");
  try {
    const set = await getJson("/api/rules");
    status.textContent = `version ${set.version} from ${set.file}: ${set.rules.length} rule(s) enabled`;
    if (set.partitions && set.partitions.length) {
      document.getElementById("rules-partitions").replaceChildren(
        table(["partition", "live version"], set.partitions.map((p) => [p.partition, p.version]), "the live rule-set version each partition of this node matches under"));
    }
    const tbody = document.querySelector("#rules tbody");
    tbody.replaceChildren(...set.rules.map((r) => el("tr", {},
      el("td", {}, el("a", { href: "/ui/alerts?rule=" + encodeURIComponent(r.id) }, r.id)), el("td", {}, r.version), el("td", {}, r.template || ""),
      el("td", {}, r.operator), el("td", {}, r.alertType), el("td", {}, r.priority), el("td", {}, duration(r.windowMs)), el("td", {}, duration(r.delayMs)),
      el("td", { class: "mono" }, r.parameters ? Object.entries(r.parameters).map(([k, v]) => k + "=" + JSON.stringify(v)).join(", ") : ""),
      el("td", {}, r.alerts15m))));
  } catch (e) {
    status.replaceChildren(el("span", { class: "error" }, e.message));
  }
  nodesRules();
  document.getElementById("trial-example").addEventListener("click", () => { document.getElementById("trial-events").value = EXAMPLE_EVENTS; });
  document.getElementById("trial").addEventListener("submit", async (e) => {
    e.preventDefault();
    const result = document.getElementById("trial-result");
    result.replaceChildren(el("p", { class: "status" }, "trying…"));
    try {
      const answer = await getJson("/api/rules/test", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ events: document.getElementById("trial-events").value, rules: document.getElementById("trial-rules").value }),
      });
      const parts = [el("p", { id: "trial-summary" }, `${answer.alerts.length} alert(s) from ${answer.rules} rule(s)` + (answer.skipped.length ? `, ${answer.skipped.length} line(s) skipped` : ""))];
      if (answer.alerts.length) {
        parts.push(table(["kind", "rule", "type", "device", "priority", "alert time", "fault time", "events", "alert"],
          answer.alerts.map((a) => [kindCell(a.kind), a.ruleId + "/" + a.ruleVersion, a.alertType, a.deviceId, a.priority, a.alertTime, a.faultTime, a.eventIds.join(", "), el("td", { class: "mono" }, a.alertId)]),
          "alerts the rules give for these events"));
      }
      if (answer.skipped.length) parts.push(table(["line", "why skipped"], answer.skipped.map((s) => [s.line, s.why]), "lines not taken"));
      result.replaceChildren(...parts);
    } catch (err) {
      result.replaceChildren(el("pre", { class: "error" }, err.message));
    }
  });
}

// ---- Cluster: members, shards, lag, dead letters ----------------------------------------------------------------

async function section(id, load) {
  const target = document.getElementById(id);
  try { target.replaceChildren(...await load()); }
  catch (e) { target.replaceChildren(el("p", { class: e.status === 409 ? "status" : "error" }, e.message)); }
}

function clusterPage() {
  const refresh = () => {
    section("members", async () => {
      const c = await getJson("/api/cluster");
      return [table(["address", "status", "reachable", "roles", ""], c.members.map((m) => [el("td", { class: "mono" }, m.address), m.status, m.reachable ? "yes" : "no",
        m.roles.join(", "), (m.leader ? "leader " : "") + (m.self ? "(this node)" : "")]))];
    });
    section("shards", async () => {
      const s = await getJson("/api/sharding/stats");
      return [table(["node", "shards", "entities", "failed"], s.regions.map((r) => [el("td", { class: "mono" }, r.address), Object.keys(r.shards).length,
        Object.values(r.shards).reduce((a, b) => a + b, 0), r.failed.join(", ")]))];
    });
    section("lag", async () => {
      const l = await getJson("/api/lag");
      return [lagChart(l.partitions, l.total)];
    });
    section("dlq", async () => {
      const d = await getJson("/api/dlq?n=500");
      const byReason = new Map();
      for (const r of d.records) {
        const e = byReason.get(r.reason) || { n: 0, sample: r };
        e.n++; e.sample = r;
        byReason.set(r.reason, e);
      }
      if (!byReason.size) return [el("p", {}, "No dead letters in " + d.topic + ".")];
      return [table(["reason", "records (of the last 500)", "sample: message", "sample: source", "sample: value"], [...byReason.entries()].map(([reason, e]) => [reason, e.n,
        e.sample.message || "", el("td", { class: "mono" }, `${e.sample.sourceTopic || "?"}/${e.sample.sourcePartition ?? "?"}@${e.sample.sourceOffset ?? "?"}`),
        el("td", { class: "mono" }, (e.sample.value || "").substring(0, 200))]))];
    });
  };
  refresh();
  setInterval(refresh, 5000);
}

function lagChart(partitions, total) {
  const rows = partitions.slice().sort((a, b) => (a.group + a.topic).localeCompare(b.group + b.topic) || a.partition - b.partition);
  const max = Math.max(1, ...rows.map((p) => p.lag));
  const barH = 16, w = 700, left = 260, h = rows.length * (barH + 4) + 10;
  const chart = svg("svg", { class: "chart fixed", width: w, height: Math.max(h, 30), viewBox: `0 0 ${w} ${Math.max(h, 30)}`, role: "img", "aria-label": `Consumer lag of ${rows.length} partitions, ${total} records in all` });
  chart.append(svg("title", {}, "Consumer lag per partition"));
  rows.forEach((p, i) => {
    const y = 5 + i * (barH + 4);
    chart.append(svg("text", { x: 4, y: y + 12 }, `${p.group} ${p.topic}/${p.partition}`));
    chart.append(svg("rect", { x: left, y, width: Math.max(1, (p.lag / max) * (w - left - 60)), height: barH, fill: "#0b5cad" }));
    chart.append(svg("text", { x: left + Math.max(1, (p.lag / max) * (w - left - 60)) + 4, y: y + 12 }, String(p.lag)));
  });
  const wrap = el("div");
  wrap.append(el("p", {}, `${total} records behind in all`), chart);
  return wrap;
}

markNav();
({ alerts: alertsPage, device: devicePage, rules: rulesPage, cluster: clusterPage })[document.body.dataset.page]?.();
