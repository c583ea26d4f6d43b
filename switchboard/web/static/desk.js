// The agent desktop: the worker's own websocket channel (docs/reference/worker-protocol.md).
// No inline script (the page's CSP forbids it); everything the page shows comes from the
// channel's snapshot and events. window.sbDesk.shown records, for each offer, the routing
// decision's instant (event date) and the instant it was on screen: the browser test reads it.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const state = { socket: null, seq: 0, waiting: new Map(), reservations: new Map(), retry: 500, historyOf: null };
  window.sbDesk = { shown: [] };

  function say(text) { $("connection").textContent = text; }
  function complain(text) { $("desk-message").textContent = text || ""; }

  async function connect() {
    let info;
    try {
      const answer = await fetch("/desk/token", { method: "POST", headers: { "X-CSRF-Token": csrf } });
      if (answer.status === 401) { location.assign("/login"); return; }
      info = await answer.json();
      if (!answer.ok) throw new Error(info.message || answer.statusText);
    } catch (error) {
      say("Cannot reach the server — retrying");
      setTimeout(connect, state.retry = Math.min(state.retry * 2, 10000));
      return;
    }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}${info.channel_path}?token=${encodeURIComponent(info.token)}`;
    const socket = new WebSocket(url);
    state.socket = socket;
    socket.onopen = () => { state.retry = 500; say("Connected"); };
    socket.onmessage = (message) => handle(JSON.parse(message.data));
    socket.onclose = () => {
      if (state.socket !== socket) return;
      say("Disconnected — reconnecting");
      setTimeout(connect, state.retry = Math.min(state.retry * 2, 10000));
    };
  }

  function send(type, fields) {
    const request_id = String(++state.seq);
    state.socket.send(JSON.stringify({ type, request_id, ...fields }));
    return new Promise((resolve, reject) => state.waiting.set(request_id, { resolve, reject }));
  }

  function handle(message) {
    const waiting = state.waiting.get(String(message.request_id));
    switch (message.type) {
      case "snapshot": return applySnapshot(message);
      case "event": return applyEvent(message);
      case "ack": state.waiting.delete(String(message.request_id)); return waiting && waiting.resolve(message.result);
      case "error": state.waiting.delete(String(message.request_id)); return waiting && waiting.reject(new Error(message.message));
      case "ping": return state.socket.send(JSON.stringify({ type: "pong" }));
      default: return undefined;
    }
  }

  function applySnapshot(snapshot) {
    $("activity").value = snapshot.worker.activity_sid;
    state.reservations.clear();
    for (const r of snapshot.reservations) {
      state.reservations.set(r.sid, {
        sid: r.sid, status: r.reservation_status, task_sid: r.task_sid,
        attributes: r.task.attributes, timeout: r.timeout_date ? Date.parse(r.timeout_date) : null,
      });
    }
    render();
  }

  const GONE = ["reservation.completed", "reservation.rejected", "reservation.timeout",
    "reservation.canceled", "reservation.rescinded"];

  function applyEvent(message) {
    const data = message.data || {};
    const kind = message.event_type;
    if (kind === "reservation.created") return offered(message, data);
    const reservation = state.reservations.get(data.reservation_sid);
    if (kind === "worker.activity.update") $("activity").value = data.worker_activity_sid;
    else if (GONE.includes(kind)) state.reservations.delete(data.reservation_sid);
    else if (kind === "reservation.accepted" && reservation) reservation.status = "accepted";
    else if (kind === "reservation.wrapup" && reservation) reservation.status = "wrapping";
    else if (kind === "task.completed" || kind === "task.canceled") {
      for (const [sid, r] of state.reservations) if (r.task_sid === data.task_sid) state.reservations.delete(sid);
    }
    return render();
  }

  function offered(message, data) {
    if (!state.reservations.has(data.reservation_sid)) {
      state.reservations.set(data.reservation_sid, {
        sid: data.reservation_sid, status: "pending", task_sid: data.task_sid,
        attributes: data.task_attributes, timeout: null,
      });
    }
    render();
    window.sbDesk.shown.push({ reservation_sid: data.reservation_sid, decided_ms: message.date_ms, shown_ms: Date.now() });
    chime(data);
    // the event has no deadline: the snapshot carries each pending offer's timeout_date
    state.socket.send(JSON.stringify({ type: "snapshot" }));
  }

  function byStatus(status) {
    for (const r of state.reservations.values()) if (r.status === status) return r;
    return null;
  }

  function render() {
    const offer = byStatus("pending");
    $("offer").hidden = !offer;
    if (offer) {
      $("offer").dataset.reservation = offer.sid;
      $("offer-summary").textContent = summary(offer.attributes);
      tick();
    }
    const task = byStatus("accepted") || byStatus("wrapping");
    $("canvas-empty").hidden = Boolean(task);
    $("canvas-task").hidden = !task;
    if (task) {
      $("canvas-task").dataset.reservation = task.sid;
      $("canvas-sid").textContent = task.task_sid;
      $("canvas-status").textContent = task.status === "wrapping" ? "Wrapping up" : "Accepted";
      $("wrapup").hidden = task.status !== "accepted";
      showAttributes(task.attributes);
      if (state.historyOf !== task.sid) { state.historyOf = task.sid; showHistory(task.sid); }
      const attributes = parse(task.attributes);
      const thread = attributes.conversations && attributes.conversations.interaction_sid;
      $("canvas-conversation").hidden = typeof thread !== "string";
      if (typeof thread === "string") $("canvas-conversation-link").href = `/desk/conversations/${encodeURIComponent(thread)}`;
      $("call").hidden = !isCall(attributes);
    }
  }

  function isCall(attributes) { return typeof attributes.call_sid === "string" && attributes.call_sid !== ""; }

  // the pages' JSON calls: the session's CSRF token in the header
  async function post(path, body) {
    complain("");
    const answer = await fetch(path, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const result = await answer.json().catch(() => ({}));
    if (!answer.ok) { complain(result.message || answer.statusText); return null; }
    return result;
  }

  async function callControl(action, reservation_sid) {
    const body = { action, reservation_sid };
    if (action === "transfer") body.colleague = $("call-colleague").value;
    const result = await post("/desk/call", body);
    if (result) $("call-status").textContent = `${action}: ${result.outcome}`;
    return result;
  }

  function parse(text) { try { return JSON.parse(text || "{}"); } catch (_) { return {}; } }

  function summary(text) {
    const attributes = parse(text);
    const parts = ["name", "customer", "type", "channel", "subject", "language"]
      .filter((key) => typeof attributes[key] === "string").map((key) => attributes[key]);
    return parts.length ? parts.join(" · ") : "A new task";
  }

  function flatten(value, prefix, out) {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
    } else out.push([prefix, Array.isArray(value) ? value.join(", ") : String(value)]);
    return out;
  }

  function describe(list, pairs) {
    list.replaceChildren();
    for (const [key, value] of pairs) {
      const term = document.createElement("dt");
      term.textContent = key;
      const detail = document.createElement("dd");
      detail.textContent = value;
      list.append(term, detail);
    }
  }

  // the attribution pillar puts the ad a contact came from in `marketing`
  const MARKETING = [
    ["Campaign", (m) => m.campaign], ["Publisher", (m) => m.publisher],
    ["Keyword", (m) => m.keyword],
    ["Source / medium", (m) => [m.attribution?.utm_source, m.attribution?.utm_medium]
      .filter(Boolean).join(" / ")],
    ["Landing page", (m) => m.attribution?.landing_page], ["Match", (m) => m.match],
  ];

  function showAttributes(text) {
    const attributes = parse(text);
    const marketing = attributes.marketing;
    const attributed = marketing && typeof marketing === "object" && !Array.isArray(marketing);
    $("canvas-marketing").hidden = !attributed;
    if (attributed) {
      const pairs = MARKETING.map(([label, read]) => [label, read(marketing)])
        .filter(([, value]) => typeof value === "string" && value !== "");
      describe($("canvas-marketing-list"), pairs);
    }
    const rest = Object.fromEntries(Object.entries(attributes).filter(([key]) => key !== "marketing"));
    describe($("canvas-attributes"), flatten(rest, "", []));
  }

  // the customer's earlier requests, as the agent's point of view shows them
  async function showHistory(reservation) {
    const answer = await fetch(`/desk/history?reservation=${encodeURIComponent(reservation)}`);
    const result = await answer.json().catch(() => ({}));
    if (state.historyOf !== reservation) return;  // another task since
    const rows = answer.ok && Array.isArray(result.requests) ? result.requests : [];
    $("canvas-history-empty").hidden = rows.length > 0;
    $("canvas-history-table").hidden = rows.length === 0;
    $("canvas-history-rows").replaceChildren(...rows.map(historyRow));
  }

  function historyRow(r) {
    const row = document.createElement("tr");
    const cells = [
      r.case_number === null ? "" : `#${r.case_number}`, r.category || "", null, r.status,
      r.opened ? new Date(r.opened).toLocaleString() : "", r.member || "",
      r.rating === null ? "" : `${r.rating} / 5`,
    ];
    for (const text of cells) {
      const cell = document.createElement("td");
      if (text !== null) cell.textContent = text;
      else if (r.conversation_url) {
        const link = document.createElement("a");
        link.href = r.conversation_url;
        link.textContent = r.subject || "Open";
        cell.append(link);
      } else cell.textContent = r.subject || "(not yours to read)";
      row.append(cell);
    }
    return row;
  }

  function tick() {
    const offer = byStatus("pending");
    if (!offer) return;
    $("offer-countdown").textContent = offer.timeout === null ? "…"
      : `${Math.max(0, Math.ceil((offer.timeout - Date.now()) / 1000))} s`;
  }

  function chime(data) {
    if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
      new Notification("Incoming task", { body: summary(data.task_attributes) });
    }
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      tone.connect(audio.destination);
      tone.frequency.value = 880;
      tone.start();
      tone.stop(audio.currentTime + 0.15);
      tone.onended = () => audio.close();
    } catch (_) { /* no sound available: the pop-up is enough */ }
  }

  async function command(type, fields) {
    complain("");
    try { return await send(type, fields); } catch (error) { complain(error.message); return null; }
  }

  $("accept").addEventListener("click", () => {
    const sid = $("offer").dataset.reservation;
    const offer = state.reservations.get(sid);
    // a call is accepted by bridging it to the agent (the media adapter's dequeue)
    if (offer && isCall(parse(offer.attributes))) return callControl("accept", sid);
    return command("accept", { reservation_sid: sid });
  });
  for (const action of ["hold", "resume", "transfer", "hangup"]) {
    $(`call-${action}`).addEventListener("click", () => callControl(action, $("canvas-task").dataset.reservation));
  }
  $("wrapup-outcome").addEventListener("change", (e) => { $("wrapup-money").hidden = e.target.value !== "sale"; });
  $("wrapup-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target;
    const outcome = form.outcome.value;
    const body = { reservation_sid: $("canvas-task").dataset.reservation, outcome, notes: form.notes.value };
    if (outcome === "sale") { body.revenue = form.revenue.value; body.currency = form.currency.value; }
    const result = await post("/desk/wrapup", body);
    if (result) { form.reset(); $("wrapup-money").hidden = true; $("call-status").textContent = ""; }
  });
  $("reject").addEventListener("click", () => command("reject", { reservation_sid: $("offer").dataset.reservation }));
  $("wrapup").addEventListener("click", () => command("wrap_up", { reservation_sid: $("canvas-task").dataset.reservation }));
  $("complete").addEventListener("click", () => command("complete", { reservation_sid: $("canvas-task").dataset.reservation }));
  $("activity").addEventListener("change", async (e) => {
    const result = await command("set_activity", { activity_sid: e.target.value, reject_pending_reservations: true });
    if (!result) state.socket.send(JSON.stringify({ type: "snapshot" }));
  });
  $("notify").addEventListener("click", () => { if ("Notification" in window) Notification.requestPermission(); });
  setInterval(tick, 250);
  connect();
})();
