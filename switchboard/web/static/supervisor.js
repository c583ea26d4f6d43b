// The supervisor page: the floor pushed over /supervisor/live after every change; the clocks
// (longest wait, time in activity) tick here between pushes. window.sbFloor.received records
// when each push arrived (the browser test reads it). With the floor come the service levels,
// abandons and waiting tasks ("supervision"); charts arrive as server-drawn SVG figures.
(() => {
  "use strict";
  const root = document.getElementById("floor");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const workspace = root.dataset.workspace;
  const status = document.getElementById("live");
  let skew = Number(root.dataset.now) - Date.now();  // server clock minus ours
  let activities = [];
  let retry = 500;
  window.sbFloor = { received: [], charts: [] };

  function seconds(since) {
    if (!since) return "–";
    const total = Math.max(0, Math.floor((Date.now() + skew - Number(since)) / 1000));
    const m = Math.floor(total / 60), s = total % 60;
    return m ? `${m} min ${s} s` : `${s} s`;
  }

  function tick() {
    for (const cell of document.querySelectorAll("[data-since]")) cell.textContent = seconds(cell.dataset.since);
  }

  function cell(row, name, tag = "td") {
    let found = row.querySelector(`.${name}`);
    if (!found) { found = document.createElement(tag); found.className = name; row.append(found); }
    return found;
  }

  function rows(tbody, items, build, update) {
    const seen = new Set();
    for (const item of items) {
      seen.add(item.sid);
      let row = tbody.querySelector(`tr[data-sid="${item.sid}"]`);
      if (!row) { row = build(item); tbody.append(row); }
      update(row, item);
    }
    for (const row of [...tbody.rows]) if (!seen.has(row.dataset.sid)) row.remove();
  }

  function newRow(item) {
    const row = document.createElement("tr");
    row.dataset.sid = item.sid;
    const head = document.createElement("th");
    head.scope = "row";
    head.textContent = item.friendly_name;
    row.append(head);
    return row;
  }

  function updateQueue(row, q) {
    cell(row, "waiting").textContent = q.waiting;
    const longest = cell(row, "longest");
    if (q.oldest_entered_ms) longest.dataset.since = q.oldest_entered_ms; else delete longest.dataset.since;
    longest.textContent = seconds(q.oldest_entered_ms);
    cell(row, "reserved").textContent = q.reserved;
    cell(row, "assigned").textContent = q.assigned;
  }

  function changeForm(w) {
    const form = document.createElement("form");
    form.method = "post";
    form.action = `/supervisor/workers/${w.sid}/activity`;
    form.className = "inline change";
    const label = document.createElement("label");
    label.htmlFor = `act-${w.sid}`;
    label.className = "visually-hidden";
    label.textContent = `Activity of ${w.friendly_name}`;
    const select = document.createElement("select");
    select.id = `act-${w.sid}`;
    select.name = "activity_sid";
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = "Set";
    form.append(label, select, button);
    const td = document.createElement("td");
    td.className = "change-cell";
    td.append(form);
    return td;
  }

  function updateWorker(row, w) {
    cell(row, "activity").textContent = w.activity_name;
    const since = cell(row, "since");
    since.dataset.since = w.since_ms;
    since.textContent = seconds(w.since_ms);
    cell(row, "tasks").textContent = w.tasks;
    if (!row.querySelector("form.change")) row.append(changeForm(w));
    const select = row.querySelector("select");
    if (select.options.length !== activities.length) {
      select.replaceChildren(...activities.map((a) => new Option(a.friendly_name, a.sid)));
    }
    if (document.activeElement !== select) select.value = w.activity_sid;
  }

  function percent(value) {
    if (value === null || value === undefined) return null;
    return Math.round(value * 100);
  }

  function level(td, value, target) {
    const shown = percent(value);
    if (shown === null) { td.textContent = "–"; return; }
    const span = document.createElement("span");
    span.className = value >= target ? "met" : "missed";
    span.textContent = `${shown} %`;
    td.replaceChildren(span);
  }

  function updateFigures(supervision) {
    const target = supervision.target.share;
    for (const f of supervision.queues) {
      const row = document.querySelector(`#queues tr[data-sid="${f.sid}"]`);
      if (!row) continue;
      level(cell(row, "sl-today"), f.service_level_today, target);
      level(cell(row, "sl-recent"), f.service_level_30_min, target);
      cell(row, "abandoned").textContent = f.abandoned_today;
    }
  }

  function moveForm(t) {
    const form = document.createElement("form");
    form.method = "post";
    form.action = `/supervisor/tasks/${t.sid}/move`;
    form.className = "inline move";
    const label = document.createElement("label");
    label.htmlFor = `move-${t.sid}`;
    label.className = "visually-hidden";
    label.textContent = `Move ${t.label} to`;
    const select = document.createElement("select");
    select.id = `move-${t.sid}`;
    select.name = "destination";
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = "Move";
    form.append(label, select, button);
    const td = document.createElement("td");
    td.append(form);
    return td;
  }

  function destinations(select, queues, workflows, current) {
    const key = queues.map((q) => q.sid).concat(workflows.map((w) => w.sid)).join();
    if (select.dataset.key !== key) {
      const byQueue = document.createElement("optgroup");
      byQueue.label = "Queues";
      byQueue.append(...queues.map((q) => new Option(q.friendly_name, q.sid)));
      const byFlow = document.createElement("optgroup");
      byFlow.label = "Route again by workflow";
      byFlow.append(...workflows.map((w) => new Option(w.friendly_name, w.sid)));
      select.replaceChildren(byQueue, byFlow);
      select.dataset.key = key;
      select.dataset.current = "";
    }
    if (document.activeElement !== select && select.dataset.current !== (current || "")) {
      select.value = current || "";
      select.dataset.current = current || "";
    }
  }

  function updateWaiting(floor, supervision) {
    const table = document.getElementById("waiting");
    if (!table) return;
    const build = (t) => {
      const row = document.createElement("tr");
      row.dataset.sid = t.sid;
      const head = document.createElement("th");
      head.scope = "row";
      head.textContent = t.label;
      row.append(head);
      for (const name of ["queue", "state", "age"]) cell(row, name);
      row.append(moveForm(t));
      return row;
    };
    const update = (row, t) => {
      cell(row, "queue").textContent = t.queue_name;
      cell(row, "state").textContent = t.status;
      const age = cell(row, "age");
      age.dataset.since = t.created_ms;
      age.textContent = seconds(t.created_ms);
      destinations(row.querySelector("select"), floor.queues, supervision.workflows, t.queue_sid);
    };
    rows(table.tBodies[0], supervision.waiting, build, update);
    table.hidden = supervision.waiting.length === 0;
    document.getElementById("no-waiting").hidden = supervision.waiting.length !== 0;
  }

  function applyCharts(charts) {
    const box = document.getElementById("charts");
    if (!box) return;
    for (const [key, html] of Object.entries(charts)) {
      const fresh = document.createRange().createContextualFragment(html).firstElementChild;
      const old = document.getElementById(`chart-${key}`);
      if (old) {
        const details = old.querySelector("details");
        if (details && details.open) fresh.querySelector("details").open = true;
        old.replaceWith(fresh);
      } else {
        box.append(fresh);
      }
    }
    window.sbFloor.charts.push({ at: Date.now(), keys: Object.keys(charts) });
  }

  function apply(floor) {
    skew = floor.now_ms - Date.now();
    activities = floor.activities;
    rows(document.querySelector("#queues tbody"), floor.queues, newRow, updateQueue);
    rows(document.querySelector("#workers tbody"), floor.workers, newRow, updateWorker);
    for (const pill of document.querySelectorAll("#by-activity [data-activity]")) {
      const count = floor.workers.filter((w) => w.activity_sid === pill.dataset.activity).length;
      pill.querySelector("strong").textContent = count;
    }
    if (floor.supervision) {
      updateFigures(floor.supervision);
      updateWaiting(floor, floor.supervision);
    }
    window.sbFloor.received.push({ at: Date.now(), floor });
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/supervisor/live?workspace=${encodeURIComponent(workspace)}`);
    socket.onopen = () => { retry = 500; };
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      status.textContent = "Live updates: on";  // once the first floor has arrived
      if (data.type === "floor") apply(data);
      else if (data.type === "charts") applyCharts(data.charts);
    };
    socket.onclose = (event) => {
      status.textContent = "Live updates: reconnecting…";
      if (event.code === 4401) { location.reload(); return; }
      setTimeout(connect, retry = Math.min(retry * 2, 10000));
    };
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    const moving = form.classList.contains("move");
    if (!form.classList.contains("change") && !moving) return;
    event.preventDefault();
    const body = moving
      ? new URLSearchParams({ workspace_sid: workspace, destination: form.destination.value })
      : new URLSearchParams({ workspace_sid: workspace, activity_sid: form.activity_sid.value });
    const answer = await fetch(form.action, { method: "POST", body, headers: { "X-CSRF-Token": csrf } });
    const message = document.getElementById("floor-message");
    message.textContent = answer.ok ? "" : ((await answer.json()).message || answer.statusText);
  });
  setInterval(tick, 1000);
  connect();
})();
