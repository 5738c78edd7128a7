// smtp-tutor serve --web: the classroom view, live from /events (server-sent events), read-only.
// Everything that came from a student or the server is put on the page with textContent, never as HTML.
"use strict";

const state = { rows: new Map(), columns: [], headings: {}, selected: null, keep: 200 };
const $ = (id) => document.getElementById(id);

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value == null ? "" : String(value);
  if (cls) el.className = cls;
  return el;
}

function showTotals(totals) {
  const box = $("totals");
  box.replaceChildren(...totals.lines.map((line) => text("p", line)));
}

function rowElement(row) {
  const tr = document.createElement("tr");
  tr.dataset.id = row.id;
  tr.className = row.state + (row.id === state.selected ? " selected" : "");
  for (const column of state.columns) {
    let cls = column;
    if (column === "tls") cls += row.tls === "TLS" ? " tls-on" : " clear";
    tr.appendChild(text("td", row[column], cls));
  }
  tr.addEventListener("click", () => openDetail(row.id));
  return tr;
}

function studentKey(row) {
  return row.user === "?" ? "\uffff" : row.user.toLowerCase();   // sessions with no user name go last
}

function render() {
  const body = $("rows");
  const ordered = [...state.rows.values()].sort((a, b) => Number(b.id) - Number(a.id));
  if (!$("group").checked) {
    body.replaceChildren(...ordered.map(rowElement));
  } else {                                       // each student's sessions under their account
    ordered.sort((a, b) => studentKey(a).localeCompare(studentKey(b)));   // stable: newest first within
    const out = [];
    let current = null;
    for (const row of ordered) {
      if (row.user !== current) {
        current = row.user;
        const head = document.createElement("tr");
        head.className = "student";
        const cell = text("td", current === "?" ? "(no user name)" : current);
        cell.colSpan = state.columns.length;
        head.appendChild(cell);
        out.push(head);
      }
      out.push(rowElement(row));
    }
    body.replaceChildren(...out);
  }
  $("empty").hidden = ordered.length > 0;
}

function snapshot(data) {
  state.columns = data.columns;
  state.headings = data.headings;
  $("title").textContent = data.title;
  document.title = data.title;
  $("headings").replaceChildren(...data.columns.map((c) => text("th", data.headings[c] || c)));
  state.keep = data.keep || state.keep;
  state.rows = new Map(data.rows.map((row) => [row.id, row]));
  showTotals(data.totals);
  render();
}

function update(data) {
  for (const row of data.rows) state.rows.set(row.id, row);
  if (state.rows.size > state.keep) {            // the server sends the newest sessions only: keep as many
    const ids = [...state.rows.keys()].sort((a, b) => Number(b) - Number(a));
    for (const id of ids.slice(state.keep)) state.rows.delete(id);
  }
  showTotals(data.totals);
  render();
}

async function openDetail(id) {
  state.selected = id;
  render();
  const panel = $("detail");
  const row = state.rows.get(id);
  $("detail-title").textContent = ["session " + id, ...(row ? [row.user, row.client, row.mechanism, row.tls,
    row.result, row.mistake] : [])].filter(Boolean).join(" · ");
  $("listing").replaceChildren(text("span", "…"));
  panel.hidden = false;
  try {
    const reply = await fetch("/session/" + encodeURIComponent(id), { cache: "no-store" });
    if (!reply.ok) throw new Error(reply.status + " " + reply.statusText);
    const data = await reply.json();
    const pre = $("listing");
    pre.replaceChildren();
    for (const line of data.lines) {
      for (const [kind, value] of line) pre.appendChild(text("span", value, "k-" + kind));
      pre.appendChild(document.createTextNode("\n"));
    }
  } catch (err) {
    $("listing").replaceChildren(text("span", "cannot load the session: " + err.message, "k-problem"));
  }
}

function closeDetail() {
  $("detail").hidden = true;
  state.selected = null;
  render();
}

function setStatus(kind, words) {
  const el = $("status");
  el.className = "status " + kind;
  el.textContent = words;
}

function connect() {
  const source = new EventSource("/events");   // reconnects by itself (retry: from the server)
  source.addEventListener("snapshot", (ev) => { snapshot(JSON.parse(ev.data)); setStatus("live", "live"); });
  source.addEventListener("rows", (ev) => update(JSON.parse(ev.data)));
  source.addEventListener("open", () => setStatus("live", "live"));
  source.addEventListener("error", () => {
    setStatus("lost", "server unreachable, reconnecting…");
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);   // gave up: start a new one
  });
}

document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closeDetail(); });
$("close").addEventListener("click", closeDetail);
$("group").addEventListener("change", render);
connect();
