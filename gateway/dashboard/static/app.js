// memgrid dashboard: plain JS over the REST API. Everything shown is set with textContent (never innerHTML):
// memories are user text.
"use strict";

const KEY_STORAGE = "memgrid.apiKey";
const POLL_MS = 2000;
const FEED_SIZE = 50;
const CHART_MINUTES = 15;
const SVG_NS = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function svg(tag, attributes) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

// --- REST ---------------------------------------------------------------------------------------

class ApiError extends Error {}

async function api(path, body) {
  const init = { headers: { Authorization: `Token ${sessionStorage.getItem(KEY_STORAGE) || ""}` } };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = data && (data.detail || data.message || data.error);
    throw new ApiError(`${response.status}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  }
  return data;
}

// --- login --------------------------------------------------------------------------------------

async function openWithStoredKey() {
  try {
    const me = await api("/v1/ping/");
    $("whoami").textContent = `${me.org_id} / ${me.project_id}`;
  } catch (error) {
    sessionStorage.removeItem(KEY_STORAGE);
    $("login-error").textContent = error.message;
    return;
  }
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  loadMemories(1);
  loadEntities();
  startFeed();
}

function setUpLogin() {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    sessionStorage.setItem(KEY_STORAGE, $("api-key").value.trim());
    $("api-key").value = "";
    openWithStoredKey();
  });
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_STORAGE);
    location.reload();
  });
}

function setUpTabs() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".tab")) {
        other.setAttribute("aria-selected", String(other === tab));
        $(`view-${other.dataset.view}`).hidden = other !== tab;
      }
      if (tab.dataset.view === "entities") loadEntities();
    });
  }
}

// --- memories -----------------------------------------------------------------------------------

const memoryState = { page: 1, pageSize: 25 };

// The v2 `filters` of the form: entity ids, categories (any of), created_at range.
function buildFilters() {
  const clauses = [];
  for (const [field, input] of [["user_id", "f-user"], ["agent_id", "f-agent"], ["app_id", "f-app"], ["run_id", "f-run"]]) {
    const value = $(input).value.trim();
    if (value) clauses.push({ [field]: value });
  }
  const categories = $("f-categories").value.split(",").map((c) => c.trim()).filter(Boolean);
  if (categories.length) clauses.push({ categories: { in: categories } });
  if ($("f-from").value) clauses.push({ created_at: { gte: `${$("f-from").value}T00:00:00Z` } });
  if ($("f-to").value) clauses.push({ created_at: { lte: `${$("f-to").value}T23:59:59Z` } });
  return clauses;
}

function hasEntity(clauses) {
  return clauses.some((c) => ["user_id", "agent_id", "app_id", "run_id"].some((f) => f in c));
}

function memoryCard(memory) {
  const item = el("li", null, "card memory");
  item.dataset.id = memory.id;
  item.append(el("p", memory.memory, "memory-text"));
  const meta = el("p", null, "muted small");
  const ids = ["user_id", "agent_id", "app_id", "run_id"].filter((f) => memory[f]).map((f) => `${f}=${memory[f]}`);
  meta.append(el("span", ids.join("  ")));
  if (memory.categories && memory.categories.length) meta.append(el("span", ` · ${memory.categories.join(", ")}`));
  if (typeof memory.score === "number") meta.append(el("span", ` · score ${memory.score.toFixed(3)}`));
  meta.append(el("span", ` · ${when(memory.created_at)}`));
  item.append(meta);
  const button = el("button", "History", "history-button");
  button.type = "button";
  button.addEventListener("click", () => loadHistory(memory.id));
  item.append(button);
  return item;
}

function showMemories(memories, summary) {
  $("memory-list").replaceChildren(...memories.map(memoryCard));
  $("memory-summary").textContent = summary;
}

async function runMemoryCall(call) {
  $("memory-error").textContent = "";
  try {
    await call();
  } catch (error) {
    $("memory-error").textContent = error.message;
  }
}

function loadMemories(page) {
  memoryState.page = page;
  memoryState.pageSize = Number($("page-size").value);
  return runMemoryCall(async () => {
    const clauses = buildFilters();
    const body = clauses.length ? { filters: { AND: clauses } } : {};
    const size = memoryState.pageSize;
    const data = await api(`/v3/memories/?page=${page}&page_size=${size}`, body);
    const pages = Math.max(1, Math.ceil(data.count / size));
    showMemories(data.results, `${data.count} ${data.count === 1 ? "memory" : "memories"}`);
    $("page-label").textContent = `page ${page} of ${pages}`;
    $("prev-page").disabled = !data.previous;
    $("next-page").disabled = !data.next;
  });
}

function searchMemories() {
  const query = $("query").value.trim();
  if (!query) return loadMemories(1);
  return runMemoryCall(async () => {
    const clauses = buildFilters();
    // v3 search needs an entity filter: without one, any entity at all ("*" matches every value).
    if (!hasEntity(clauses)) clauses.push({ OR: ["user_id", "agent_id", "app_id", "run_id"].map((f) => ({ [f]: "*" })) });
    const data = await api("/v3/memories/search/", { query, filters: { AND: clauses }, top_k: memoryState.pageSize });
    showMemories(data.results, `${data.results.length} results for “${query}”`);
    $("page-label").textContent = "";
    $("prev-page").disabled = true;
    $("next-page").disabled = true;
  });
}

async function loadHistory(memoryId) {
  $("history-panel").hidden = false;
  $("history-id").textContent = memoryId;
  const list = $("history-list");
  list.replaceChildren(el("li", "loading…", "muted"));
  try {
    const entries = await api(`/v1/memories/${encodeURIComponent(memoryId)}/history/`);
    list.replaceChildren(
      ...entries.map((entry) => {
        const item = el("li", null, `history-entry event-${String(entry.event).toLowerCase()}`);
        item.append(el("strong", entry.event), el("span", ` ${when(entry.created_at)}`, "muted small"));
        if (entry.old_memory) item.append(el("p", entry.old_memory, "old"));
        if (entry.new_memory) item.append(el("p", entry.new_memory, "new"));
        return item;
      }),
    );
    if (!entries.length) list.replaceChildren(el("li", "no history", "muted"));
  } catch (error) {
    list.replaceChildren(el("li", error.message, "error"));
  }
}

function setUpMemories() {
  $("memory-form").addEventListener("submit", (event) => {
    event.preventDefault();
    searchMemories();
  });
  $("list-button").addEventListener("click", () => {
    $("query").value = "";
    loadMemories(1);
  });
  $("prev-page").addEventListener("click", () => loadMemories(memoryState.page - 1));
  $("next-page").addEventListener("click", () => loadMemories(memoryState.page + 1));
}

// --- entities -----------------------------------------------------------------------------------

async function loadEntities() {
  $("entity-error").textContent = "";
  try {
    const data = await api("/v1/entities/?page=1&page_size=100");
    $("entity-totals").textContent =
      `${data.total_users ?? 0} users · ${data.total_agents ?? 0} agents · ${data.total_apps ?? 0} apps · ${data.total_runs ?? 0} runs`;
    $("entity-rows").replaceChildren(
      ...data.results.map((entity) => {
        const row = el("tr");
        const name = el("button", entity.name, "link");
        name.type = "button";
        name.title = "Show this entity's memories";
        name.addEventListener("click", () => showEntityMemories(entity));
        const nameCell = el("td");
        nameCell.append(name);
        row.append(el("td", entity.type), nameCell, el("td", entity.total_memories), el("td", when(entity.created_at)));
        return row;
      }),
    );
  } catch (error) {
    $("entity-error").textContent = error.message;
  }
}

function showEntityMemories(entity) {
  for (const input of ["f-user", "f-agent", "f-app", "f-run", "f-categories", "f-from", "f-to", "query"]) $(input).value = "";
  $({ user: "f-user", agent: "f-agent", app: "f-app", run: "f-run" }[entity.type]).value = entity.name;
  document.querySelector('.tab[data-view="memories"]').click();
  loadMemories(1);
}

// --- activity -----------------------------------------------------------------------------------

const seenEvents = new Set();
let feedTimer = null;

function eventItem(event, fresh) {
  const item = el("li", null, `card event status-${String(event.status).toLowerCase()}${fresh ? " fresh" : ""}`);
  item.dataset.id = event.id;
  const head = el("p", null, "small");
  head.append(
    el("strong", event.event_type),
    el("span", ` ${event.status}`),
    el("span", ` · ${when(event.created_at)}`, "muted"),
  );
  if (typeof event.latency === "number") head.append(el("span", ` · ${event.latency.toFixed(1)} ms`, "muted"));
  item.append(head);
  for (const change of event.results || []) {
    const line = el("p", null, "change");
    line.append(el("span", change.event, `badge event-${String(change.event).toLowerCase()}`), el("span", ` ${change.memory ?? ""}`));
    item.append(line);
  }
  if (event.error) item.append(el("p", event.error, "error"));
  return item;
}

function barChart(counts, labels) {
  const width = 360, height = 120, gap = 2, top = Math.max(1, ...counts);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height + 16}`, width, height: height + 16, role: "img" });
  const bar = width / counts.length;
  counts.forEach((count, i) => {
    const h = (count / top) * height;
    const rect = svg("rect", { x: i * bar + gap / 2, y: height - h, width: bar - gap, height: h, fill: "#3b6fd8" });
    rect.append(svg("title", {}));
    rect.firstChild.textContent = `${labels[i]}: ${count}`;
    chart.append(rect);
  });
  const axis = svg("text", { x: 0, y: height + 13, "font-size": 10, fill: "#666" });
  axis.textContent = `${labels[0]} … ${labels[labels.length - 1]}  (max ${top}/min)`;
  chart.append(axis);
  return chart;
}

function lineChart(points) {
  const width = 360, height = 120;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height + 16}`, width, height: height + 16, role: "img" });
  if (points.length) {
    const top = Math.max(1, ...points.map((p) => p.y));
    const pad = 4, step = points.length > 1 ? (width - 2 * pad) / (points.length - 1) : 0;
    const y = (value) => (pad + (1 - value / top) * (height - pad)).toFixed(1);
    const coords = points.map((p, i) => `${(pad + i * step).toFixed(1)},${y(p.y)}`);
    chart.append(svg("polyline", { points: coords.join(" "), fill: "none", stroke: "#d8663b", "stroke-width": 2 }));
    for (const c of coords) {
      const [x, y] = c.split(",");
      chart.append(svg("circle", { cx: x, cy: y, r: 2.5, fill: "#d8663b" }));
    }
    const axis = svg("text", { x: 0, y: height + 13, "font-size": 10, fill: "#666" });
    axis.textContent = `${points.length} events, max ${top.toFixed(1)} ms`;
    chart.append(axis);
  }
  return chart;
}

function drawCharts(events) {
  const now = Date.now();
  const counts = new Array(CHART_MINUTES).fill(0);
  const labels = [];
  for (let i = 0; i < CHART_MINUTES; i++) {
    const minute = new Date(now - (CHART_MINUTES - 1 - i) * 60000);
    labels.push(minute.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
  }
  for (const event of events) {
    const ago = Math.floor((now - new Date(event.created_at).getTime()) / 60000);
    // An event counts its memory operations (an add that writes three memories is three operations).
    if (ago >= 0 && ago < CHART_MINUTES) counts[CHART_MINUTES - 1 - ago] += Math.max(1, (event.results || []).length);
  }
  $("ops-chart").replaceChildren(barChart(counts, labels));
  const latencies = events
    .filter((e) => typeof e.latency === "number")
    .map((e) => ({ t: new Date(e.created_at).getTime(), y: e.latency }))
    .sort((a, b) => a.t - b.t);
  $("latency-chart").replaceChildren(lineChart(latencies));
}

async function pollFeed() {
  try {
    const data = await api(`/v1/events/?page=1&page_size=${FEED_SIZE}`);
    const firstLoad = seenEvents.size === 0;
    const items = data.results.map((event) => {
      const fresh = !firstLoad && !seenEvents.has(event.id);
      seenEvents.add(event.id);
      return eventItem(event, fresh);
    });
    $("activity-feed").replaceChildren(...items);
    $("activity-status").textContent = `${data.count} events · updated ${new Date().toLocaleTimeString()}`;
    drawCharts(data.results);
  } catch (error) {
    $("activity-status").textContent = `feed paused: ${error.message}`;
  }
}

// Poll, then wait POLL_MS after each answer (a slow answer never stacks requests up).
async function feedLoop() {
  await pollFeed();
  feedTimer = setTimeout(feedLoop, POLL_MS);
}

function startFeed() {
  if (feedTimer === null) feedLoop();
}

// --- start --------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  setUpLogin();
  setUpTabs();
  setUpMemories();
  if (sessionStorage.getItem(KEY_STORAGE)) openWithStoredKey();
});
