// equos-mock inspector: watches and drives the mock through its control plane (/_mock/), like a user would.
// No framework, no build step. Data is put in the DOM as text only (never as HTML).
// Live updates: a poll of GET /_mock/changes every second (a few bytes); the view reloads only when its
// revision moved, when a shown countdown reaches zero, or every few seconds at most.

const TOKEN_KEY = "equos-mock-token";
// The server's page token (http/browser_guard.py): a browser's control-plane calls must carry it. Kept in
// memory only, never in storage another page of this origin could read.
const PAGE_TOKEN = document.querySelector('meta[name="equos-mock-page"]').content;
const ROW = 44;                // px, the virtual lists' fixed row height (see --row in app.css)
const CONV_PAGE = 50;          // conversations per request
const JOURNAL_PAGE = 200;      // journal entries per request
const POLL_MS = 1000;
const SLOW_REFRESH_MS = 5000;  // a view is reloaded at least this often while visible (expiries by time)
const VIEWS = ["conversations", "journal", "clock", "faults", "organizations", "resources", "usage"];

const $ = (id) => document.getElementById(id);
const S = {
  token: "", view: "conversations", org: "", revision: null, dirty: false, lastRefresh: 0, busy: false,
  orgs: [], orgsAt: -Infinity, orgsPending: false, appClock: null,
  conv: { status: "", total: 0, running: 0, pages: new Map(), loading: new Set(), selected: null, detail: null, gen: 0 },
  j: { items: [], total: 0, done: false, loading: false, selected: null, gen: 0 },
  marks: new Set(),
};

// --- small helpers ------------------------------------------------------------------------------
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat(Infinity)) { // rows of cells of parts: nested to any depth
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const clear = (node, ...children) => { node.replaceChildren(...children.flat(Infinity).filter(Boolean)); return node; };
const fmtTime = (iso) => (iso ? iso.slice(11, 19) : "");
const fmtDate = (iso) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "—");
const fmtOffset = (ms) => {
  if (!ms) return "no offset";
  const sign = ms < 0 ? "−" : "+";
  return `${sign}${fmtDuration(Math.abs(ms) / 1000)}`;
};
function fmtDuration(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  const d = Math.floor(seconds / 86400), hh = Math.floor((seconds % 86400) / 3600);
  const mm = Math.floor((seconds % 3600) / 60), ss = seconds % 60;
  const two = (n) => String(n).padStart(2, "0");
  if (d) return `${d}d ${two(hh)}h${two(mm)}m`;
  return hh ? `${hh}:${two(mm)}:${two(ss)}` : `${mm}:${two(ss)}`;
}
// "1 brain", "2 brains": the counts come under plural names.
const count = (n, plural) => `${n} ${n === 1 ? plural.replace(/s$/, "") : plural}`;
const fmtSeconds = (s) => (s >= 100 ? `${Math.round(s)} s` : `${(Math.round(s * 10) / 10).toFixed(1)} s`);
const statusClass = (status) => (status === null || status === undefined ? "dropped" : `s${String(status)[0]}`);
const json = (value) => JSON.stringify(value, null, 2);
function orgName(id) {
  if (!id) return "—";
  const org = S.orgs.find((o) => o.id === id);
  return org && org.name !== id ? org.name : id;
}
// The picker's label: the name, and the key as the journal masks it (what a user can match with their own).
function orgLabel(org) {
  const keys = org.keys || [];
  const key = keys.length ? ` · ${keys[0]}${keys.length > 1 ? ` +${keys.length - 1}` : ""}` : "";
  return `${org.name || org.id}${key}`;
}
function mark(name) {
  if (S.marks.has(name)) return;
  S.marks.add(name);
  performance.mark(name); // read by benchmarks/inspector_render.py: ms from navigation to this view drawn
  document.documentElement.dataset[name.replace(/-(\w)/g, (_, c) => c.toUpperCase())] = "1";
}

// --- the control plane over HTTP ------------------------------------------------------------------
class AuthError extends Error {}

async function api(path, { method = "GET", body, query } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) if (v !== "" && v !== null && v !== undefined) url.searchParams.set(k, v);
  const headers = { "x-mock-page": PAGE_TOKEN };
  if (S.token) headers["x-mock-token"] = S.token;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, { method, headers, cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (response.status === 401) throw new AuthError(S.token ? "That token was refused." : "");
  if (!response.ok) {
    const message = data && data.message ? [].concat(data.message).join("; ") : `${response.status}`;
    throw new Error(`${method} ${url.pathname}: ${message}`);
  }
  return { data, headers: response.headers };
}

function showError(error) {
  if (error instanceof AuthError) return showLogin(error.message);
  $("error").textContent = error.message || String(error);
  $("error").hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { $("error").hidden = true; }, 6000);
}

async function act(fn) {
  try { await fn(); S.dirty = true; await poll(true); } catch (error) { showError(error); }
}

const orgBody = (extra = {}) => (S.org ? { organization: S.org, ...extra } : extra);

// --- login -----------------------------------------------------------------------------------------
function showLogin(message) {
  $("app").hidden = true;
  $("login").hidden = false;
  $("logout").hidden = true;
  $("login-error").textContent = message || "";
  $("login-error").hidden = !message;
  $("login-token").focus();
}

async function open() {
  let first;
  try {
    first = (await api("/_mock/changes")).data;
  } catch (error) {
    if (error instanceof AuthError) return showLogin(error.message);
    $("login").hidden = true; $("app").hidden = false;
    return showError(error);
  }
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = !S.token;
  await poll(true, first);
}

// --- polling ---------------------------------------------------------------------------------------
async function poll(force = false, known = null) {
  if (S.busy && !force) return;
  S.busy = true;
  try {
    const data = known || (await api("/_mock/changes")).data;
    $("live").classList.remove("off");
    S.appClock = { ...data.clock, at: performance.now() };
    const changed = data.revision !== S.revision;
    S.revision = data.revision;
    if (force || changed || S.dirty || performance.now() - S.lastRefresh > SLOW_REFRESH_MS) {
      S.dirty = false;
      S.lastRefresh = performance.now();
      // The header and the view load side by side; the faults view draws what the header fetched.
      await Promise.all([refreshHeader(changed || force), S.view === "faults" ? null : refreshView()]);
      if (S.view === "faults") renderFaults();
    }
  } catch (error) {
    if (error instanceof AuthError) showLogin(error.message);
    else $("live").classList.add("off");
  } finally {
    S.busy = false;
  }
}

async function refreshHeader(changed) {
  const jobs = [api("/_mock/faults").then(({ data }) => {
    S.faults = data;
    $("fault-count").textContent = data.filter((f) => f.active).length || "";
  })];
  // At most one organizations load per 3 s; a change inside that window is loaded after it, not dropped.
  if (changed) S.orgsPending = true;
  if (S.orgsPending && performance.now() - S.orgsAt > 3000) {
    S.orgsPending = false;
    jobs.push(loadOrgs());
  }
  await Promise.all(jobs);
}

async function loadOrgs() {
  S.orgsAt = performance.now();
  const { data, headers } = await api("/_mock/organizations", { query: { limit: 1000 } });
  S.orgs = data;
  S.orgTotal = Number(headers.get("x-mock-total") || data.length);
  const select = $("org");
  const current = S.org;
  const signature = JSON.stringify([current, data.map((o) => [o.id, o.name, o.keys[0]])]);
  if (signature === S.orgSignature) return;
  S.orgSignature = signature;
  const options = [h("option", { value: "" }, "All organizations")];
  for (const org of data) options.push(h("option", { value: org.id, title: org.id }, orgLabel(org)));
  if (current && !data.some((o) => o.id === current)) options.push(h("option", { value: current }, current));
  clear(select, options);
  select.value = current;
}

function refreshView() {
  switch (S.view) {
    case "conversations": return refreshConversations();
    case "journal": return refreshJournal();
    case "clock": return refreshClock();
    case "faults": return renderFaults();
    case "organizations": return refreshOrganizations();
    case "resources": return refreshResources();
    case "usage": return refreshUsage();
  }
}

// The app clock in the header and every countdown move on their own between polls.
function tick() {
  const c = S.appClock;
  if (c) {
    const now = Date.parse(c.now) + (c.frozen ? 0 : performance.now() - c.at);
    $("app-clock").textContent = `${new Date(now).toISOString().slice(0, 19).replace("T", " ")}Z${c.frozen ? " ❄" : ""}`;
    $("app-clock").title = c.frozen ? "The app clock (frozen)" : "The app clock";
  }
  for (const node of document.querySelectorAll("[data-deadline]")) {
    const left = secondsLeft(node.dataset);
    node.textContent = fmtDuration(left);
    node.classList.toggle("low", left < 60);
    if (left <= 0) S.dirty = true; // the server ends it when read: read again
  }
  for (const node of document.querySelectorAll("[data-clock]")) {
    const elapsed = node.dataset.frozen === "true" ? 0 : performance.now() - Number(node.dataset.at);
    node.textContent = fmtDate(new Date(Date.parse(node.dataset.clock) + elapsed).toISOString());
  }
  for (const node of document.querySelectorAll("[data-billed]")) {
    const elapsed = node.dataset.frozen === "true" ? 0 : (performance.now() - Number(node.dataset.at)) / 1000;
    node.textContent = fmtSeconds(Number(node.dataset.billed) + elapsed);
  }
}

function secondsLeft(d) {
  const elapsed = d.frozen === "true" ? 0 : performance.now() - Number(d.at);
  return (Date.parse(d.deadline) - (Date.parse(d.now) + elapsed)) / 1000;
}

const countdown = (c, at) => h("span", { class: "num countdown", "data-deadline": c.deadline, "data-now": c.now,
  "data-frozen": String(c.clockFrozen), "data-at": String(at) }, fmtDuration(secondsLeft({ deadline: c.deadline,
  now: c.now, frozen: String(c.clockFrozen), at: String(at) })));
// An ended conversation: how long it lasted, not a time of day that reads like a countdown.
const lasted = (c) => fmtDuration((Date.parse(c.endedAt || c.startedAt) - Date.parse(c.startedAt)) / 1000);
const billed = (c, at) => (c.status === "running"
  ? h("span", { class: "num", "data-billed": String(c.billedSeconds), "data-frozen": String(c.clockFrozen), "data-at": String(at) }, fmtSeconds(c.billedSeconds))
  : h("span", { class: "num" }, fmtSeconds(c.billedSeconds)));

// --- virtual list ------------------------------------------------------------------------------------
// Only the rows in view (plus a few) exist in the DOM, whatever the number of items.
function renderVirtual(list, count, rowAt) {
  const space = list.firstElementChild;
  space.style.height = `${count * ROW}px`;
  const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
  const last = Math.min(count, Math.ceil((list.scrollTop + list.clientHeight) / ROW) + 5);
  const rows = [];
  for (let i = first; i < last; i += 1) {
    const row = rowAt(i);
    if (!row) continue;
    row.style.top = `${i * ROW}px`;
    rows.push(row);
  }
  clear(space, rows);
  return { first, last };
}

// --- conversations -------------------------------------------------------------------------------------
function convQuery(page) {
  return { organization: S.org, status: S.conv.status, limit: CONV_PAGE, offset: page * CONV_PAGE };
}

async function loadConvPage(page, gen) {
  const C = S.conv;
  if (C.loading.has(page)) return;
  C.loading.add(page);
  try {
    const { data } = await api("/_mock/conversations", { query: convQuery(page) });
    if (gen !== C.gen) return;
    C.pages.set(page, { items: data.items, at: performance.now() });
    C.total = data.total;
    C.running = data.running;
  } finally {
    C.loading.delete(page);
  }
}

function visiblePages() {
  const list = $("conv-list");
  const first = Math.floor(list.scrollTop / ROW);
  const last = Math.ceil((list.scrollTop + Math.max(list.clientHeight, ROW)) / ROW);
  const pages = new Set([Math.floor(first / CONV_PAGE), Math.floor(last / CONV_PAGE)]);
  return [...pages];
}

async function refreshConversations() {
  const C = S.conv;
  C.gen += 1;
  const gen = C.gen;
  const pages = visiblePages();
  const fresh = new Map();
  await Promise.all(pages.map(async (page) => {
    const { data } = await api("/_mock/conversations", { query: convQuery(page) });
    fresh.set(page, { items: data.items, at: performance.now() });
    C.total = data.total;
    C.running = data.running;
  }));
  if (gen !== C.gen) return;
  C.pages = fresh;
  const jobs = [];
  if (C.selected) jobs.push(loadConvDetail());
  renderConversations();
  await Promise.all(jobs);
}

function convAt(index) {
  const page = S.conv.pages.get(Math.floor(index / CONV_PAGE));
  if (!page) return null;
  const item = page.items[index % CONV_PAGE];
  return item ? { item, at: page.at } : null;
}

function renderConversations() {
  const C = S.conv;
  $("running-count").textContent = C.running || "";
  $("conv-total").textContent = `${C.total} conversation${C.total === 1 ? "" : "s"} · ${C.running} running`;
  const list = $("conv-list");
  if (!C.total) {
    clear(list.firstElementChild);
    list.firstElementChild.style.height = "auto";
    clear(list.firstElementChild, h("p", { class: "empty" }, S.conv.status
      ? `No ${S.conv.status} conversation.` : "No conversation yet. Start one through the API (POST /v3/conversations)."));
    mark("conversations-rendered");
    return;
  }
  const missing = new Set();
  renderVirtual(list, C.total, (i) => {
    const found = convAt(i);
    if (!found) {
      const page = Math.floor(i / CONV_PAGE);
      if (!C.pages.has(page)) missing.add(page); // a loaded page shorter than expected: the list shrank
      return null;
    }
    const { item: c, at } = found;
    const selected = C.selected && C.selected.id === c.id;
    return h("div", { class: `vrow conv-row${c.status === "running" ? " running" : ""}${selected ? " sel" : ""}`,
      "data-id": c.id, onclick: () => selectConversation(c) },
      h("span", { class: `badge ${c.status}` }, c.status),
      h("span", { class: "two" }, h("b", {}, c.name), h("small", { class: "mono" }, `${c.id} · ${c.consumerName || "no consumer"}`)),
      h("span", { class: "two" }, h("span", {}, c.organizationName), h("small", { class: "mono" }, c.client ? `client ${c.client}` : c.organization)),
      c.status === "running" ? countdown(c, at) : h("span", { class: "two dim", title: `ended ${fmtDate(c.endedAt)}` }, "ended", h("small", { class: "num" }, `after ${lasted(c)}`)),
      billed(c, at));
  });
  for (const page of missing) loadConvPage(page, C.gen).then(renderConversations).catch(showError);
  if (!missing.size) mark("conversations-rendered");
}

async function selectConversation(c) {
  S.conv.selected = { id: c.id, organization: c.organization };
  renderConversations();
  try { await loadConvDetail(); } catch (error) { showError(error); }
}

async function loadConvDetail() {
  const sel = S.conv.selected;
  const path = `/_mock/conversations/${encodeURIComponent(sel.id)}`;
  const [{ data }, room] = await Promise.all([api(path, { query: { organization: sel.organization } }),
    api(`${path}/room`, { query: { organization: sel.organization } }).then((r) => r.data).catch(() => null)]);
  if (S.conv.selected !== sel) return;
  data.room = room;
  renderConvDetail(data, performance.now());
}

function sendEvent(event) {
  const sel = S.conv.selected;
  return act(() => api(`/_mock/conversations/${encodeURIComponent(sel.id)}/events`, { method: "POST",
    body: { organization: sel.organization, ...event } }));
}

function convActions() {
  return h("div", { class: "actions" },
    h("button", { id: "ev-joined", onclick: () => sendEvent({ type: "joined" }) }, "Joined"),
    h("button", { id: "ev-stop", onclick: () => sendEvent({ type: "stop" }) }, "Stop"),
    h("button", { id: "ev-error", class: "danger", onclick: () => sendEvent({ type: "error", content: "error sent from the inspector" }) }, "Error"),
    h("button", { id: "ev-blocked", class: "danger", onclick: () => sendEvent({ type: "blocked", content: "blocked from the inspector" }) }, "Blocked"),
    h("form", { id: "utterance-form", onsubmit: (e) => {
      e.preventDefault();
      const text = $("utterance-text").value;
      if (!text) return;
      $("utterance-text").value = "";
      sendEvent({ type: "utterance", author: $("utterance-author").value, content: text });
    } },
    h("select", { id: "utterance-author", "aria-label": "author" }, h("option", { value: "user" }, "user says"), h("option", { value: "character" }, "character says")),
    h("input", { id: "utterance-text", placeholder: "An utterance…", autocomplete: "off" }),
    h("button", { type: "submit", class: "primary", id: "utterance-send" }, "Send")));
}

// --- the conversation's room (mock_server/room): who is in it, their tracks, the data messages --------------
function roomSay(path, body) {
  const sel = S.conv.selected;
  return act(() => api(`/_mock/conversations/${encodeURIComponent(sel.id)}/room/${path}`, { method: "POST",
    body, query: { organization: sel.organization } }));
}

function roomActions() {
  return h("div", { class: "actions", id: "room-actions" },
    h("form", { id: "room-say-form", onsubmit: (e) => {
      e.preventDefault();
      const text = $("room-say-text").value;
      if (!text) return;
      $("room-say-text").value = "";
      roomSay("say", { content: text });
    } },
    h("input", { id: "room-say-text", placeholder: "The character says, in the room…", autocomplete: "off" }),
    h("button", { type: "submit", class: "primary", id: "room-say" }, "Say in the room")),
    h("button", { id: "room-trigger", onclick: () => roomSay("send", { type: "trigger", name: "inspector", params: {} }) }, "Trigger"),
    h("button", { id: "room-interrupt", onclick: () => roomSay("send", { type: "interrupt" }) }, "Interrupt"),
    h("button", { id: "room-error", class: "danger", onclick: () => roomSay("send", { type: "error", code: "INSPECTOR" }) }, "Error message"));
}

function roomSection(room) {
  if (!room) return null;
  const people = room.participants || [];
  return [h("h3", {}, "Room"),
    h("p", { class: "dim", id: "room-state" }, room.live ? `Live at ${room.serverUrl} · ${people.length} in the room` : "Closed: nobody is in the room."),
    people.length ? h("ul", { class: "timeline", id: "room-participants" }, people.map((p) =>
      h("li", {}, h("b", {}, p.name || p.identity), ` · ${p.role} · `, h("span", { class: "mono" }, p.identity),
        (p.tracks || []).length ? ` · ${p.tracks.map((t) => `${t.kind}${t.muted ? " (muted)" : ""}: ${t.name}`).join(", ")}` : " · no tracks")))
      : null,
    (room.messages || []).length ? h("ul", { class: "timeline", id: "room-messages" }, room.messages.slice(-30).map((m) =>
      h("li", {}, h("time", {}, fmtTime(m.at)), h("b", {}, m.direction === "out" ? "character →" : `${m.from} →`),
        ` ${m.topic} · `, h("span", { class: "mono" }, m.payload))))
      : h("p", { class: "dim" }, "No data messages yet.")];
}

// The action bar is built once per conversation (a redraw must not eat a click or a half-typed line);
// what it shows above and below is redrawn with each read.
function renderConvDetail(d, at) {
  const c = d.conversation;
  const running = c.status === "running";
  const pane = $("conv-detail");
  // A room read that failed keeps the bar as it was: a rebuilt bar would eat a half-typed line.
  const roomLive = Boolean(running && (d.room ? d.room.live : pane.dataset.shape === `${c.id}:true:true`));
  const shape = `${c.id}:${running}:${roomLive}`;
  if (pane.dataset.shape !== shape) {
    pane.dataset.shape = shape;
    clear(pane, h("div", { id: "conv-top" }), running ? convActions() : null, roomLive ? roomActions() : null,
      h("div", { id: "conv-body" }));
  }
  const claims = Object.entries(d.tokenClaims || {});
  clear($("conv-top"),
    h("div", { class: "dhead" }, h("span", { class: `badge ${c.status}`, id: "conv-status-badge" }, c.status), h("h1", {}, c.name)),
    h("div", { class: "sub" }, h("span", { class: "mono" }, c.id), ` · ${d.organizationName} `, h("span", { class: "mono" }, d.organization)),
    h("div", { class: "stats" },
      h("div", { class: `stat${running ? " on" : ""}` }, h("b", {}, running ? countdown(d, at) : lasted(c)),
        h("span", {}, `${running ? "left" : "lasted"} of ${fmtDuration(c.maxSeconds)} (maxSeconds)`)),
      h("div", { class: "stat" }, h("b", {}, billed(d, at)), h("span", {}, c.charge ? `billed · ${c.chargeBySecond}/s` : "used (not charged)")),
      h("div", { class: "stat" }, h("b", {}, String((c.transcript || []).length)), h("span", {}, "utterances"))));
  clear($("conv-body"),
    h("dl", { class: "kv" },
      h("dt", {}, "Started"), h("dd", { class: "mono", id: "conv-started" }, fmtDate(c.startedAt)),
      h("dt", {}, "Ended"), h("dd", { class: "mono", id: "conv-ended" }, fmtDate(c.endedAt)),
      h("dt", {}, "Joined"), h("dd", { class: "mono" }, fmtDate(c.joinedAt)),
      h("dt", {}, "Character"), h("dd", {}, d.character ? `${d.character.name} ` : "", h("span", { class: "mono dim" }, c.characterId)),
      h("dt", {}, "Consumer"), h("dd", {}, c.consumerName ? `${c.consumerName} (${c.consumerIdentity})` : "—"),
      h("dt", {}, "Remote agent"), h("dd", {}, c.remoteAgentName ? `${c.remoteAgentName} (${c.remoteAgentIdentity})` : "—"),
      h("dt", {}, "Client tag"), h("dd", {}, c.client || "—"),
      h("dt", {}, "Room"), h("dd", { class: "mono" }, c.room || "—"),
      h("dt", {}, "LiveKit"), h("dd", { class: "mono" }, c.serverUrl || "—")),
    roomSection(d.room),
    h("h3", {}, "Transcript"),
    (c.transcript || []).length ? h("div", { class: "transcript", id: "transcript" }, c.transcript.map((u) =>
      h("div", { class: `bubble ${u.author}` }, h("small", {}, `${u.author} · ${fmtTime(u.recordedAt)}`), u.content)))
      : h("p", { class: "dim" }, "Nothing said yet."),
    h("h3", {}, "Timeline"),
    h("ul", { class: "timeline", id: "timeline" }, (c.timeline || []).map((t) =>
      h("li", {}, h("time", {}, fmtTime(t.recordedAt)), " ", h("b", {}, t.type), t.author ? ` · ${t.author}` : "", t.content ? ` · ${t.content}` : ""))),
    h("h3", {}, "Token claims"),
    h("div", { id: "claims" }, claims.length ? claims.map(([role, value]) => [h("div", { class: "dim" }, role === "remoteAgent" ? "remote agent token" : "consumer token"),
      h("pre", {}, json(value))]) : h("p", { class: "dim" }, "No participant was named, so no token was minted.")),
    h("p", { class: "dim" }, "Decoded from the claims the tokens carry; the signing secret is never shown."));
}

// --- journal -----------------------------------------------------------------------------------------
function journalFilters() {
  return { organization: S.org, method: $("j-method").value, status: $("j-status").value, path: $("j-path").value.trim() };
}

async function reloadJournal() {
  const J = S.j;
  J.gen += 1;
  const gen = J.gen;
  const filters = journalFilters();
  const [page, count] = await Promise.all([
    api("/_mock/journal", { query: { ...filters, limit: JOURNAL_PAGE, bodies: 0 } }),
    api("/_mock/journal/count", { query: filters }),
  ]);
  if (gen !== J.gen) return;
  J.items = page.data.entries.reverse();
  J.total = count.data.count;
  J.done = J.items.length < JOURNAL_PAGE;
  J.filters = JSON.stringify(filters);
  renderJournal();
}

async function refreshJournal() {
  const J = S.j;
  if (!J.items.length || J.filters !== JSON.stringify(journalFilters())) return reloadJournal();
  const gen = J.gen;
  const { data } = await api("/_mock/journal", { query: { ...journalFilters(), after: J.items[0].id, limit: JOURNAL_PAGE, bodies: 0 } });
  if (gen !== J.gen) return;
  if (data.entries.length >= JOURNAL_PAGE) return reloadJournal(); // more arrived than one read: start over
  if (data.entries.length) {
    J.items = [...data.entries.reverse(), ...J.items];
    J.total += data.entries.length;
    const list = $("j-list");
    if (list.scrollTop > 0) list.scrollTop += data.entries.length * ROW; // keep what the reader looks at in place
  }
  renderJournal();
}

async function loadOlder() {
  const J = S.j;
  if (J.loading || J.done || !J.items.length) return;
  J.loading = true;
  const gen = J.gen;
  try {
    const { data } = await api("/_mock/journal", { query: { ...journalFilters(), before: J.items[J.items.length - 1].id, limit: JOURNAL_PAGE, bodies: 0 } });
    if (gen !== J.gen) return;
    J.items.push(...data.entries.reverse());
    J.done = data.entries.length < JOURNAL_PAGE;
    renderJournal();
  } finally {
    J.loading = false;
  }
}

function renderJournal() {
  const J = S.j;
  $("j-total").textContent = `${J.total} request${J.total === 1 ? "" : "s"}${S.org ? ` · ${S.org}` : ""}`;
  const list = $("j-list");
  if (!J.items.length) {
    list.firstElementChild.style.height = "auto";
    clear(list.firstElementChild, h("p", { class: "empty" }, "No request matches."));
    mark("journal-rendered");
    return;
  }
  const { last } = renderVirtual(list, J.items.length, (i) => {
    const e = J.items[i];
    return h("div", { class: `vrow j-row${J.selected === e.id ? " sel" : ""}`, "data-id": String(e.id),
      "data-org": e.organization || "", onclick: () => selectEntry(e.id) },
      h("span", { class: "num dim" }, fmtTime(e.time)),
      h("span", { class: `method ${e.method}` }, e.method),
      h("span", { class: "mono", title: e.path + (e.query ? `?${e.query}` : "") }, e.path, e.query ? h("span", { class: "dim" }, `?${e.query}`) : ""),
      h("span", { class: `badge ${statusClass(e.status)}` }, e.status === null ? "drop" : String(e.status)),
      h("span", { class: "num dim" }, e.durationMs.toFixed(1)),
      h("span", { class: "dim", title: e.organization || "" }, orgName(e.organization)));
  });
  mark("journal-rendered");
  if (last >= J.items.length - 20) loadOlder().catch(showError);
}

async function selectEntry(id) {
  S.j.selected = id;
  renderJournal();
  try {
    const { data } = await api(`/_mock/journal/${id}`);
    if (S.j.selected === id) renderEntry(data);
  } catch (error) { showError(error); }
}

const shellQuote = (text) => `'${String(text).replace(/'/g, "'\\''")}'`;

function curlOf(e) {
  const url = `${location.origin}${e.path}${e.query ? `?${e.query}` : ""}`;
  const parts = ["curl"];
  if (e.method !== "GET") parts.push("-X", e.method);
  parts.push(shellQuote(url));
  if (e.key) parts.push("-H", '"x-api-key: $EQUOS_API_KEY"');
  if (e.requestBody !== null && e.requestBody !== undefined) {
    parts.push("-H", shellQuote("content-type: application/json"));
    parts.push("-d", shellQuote(typeof e.requestBody === "string" ? e.requestBody : JSON.stringify(e.requestBody)));
  }
  return parts.join(" ");
}

function renderEntry(e) {
  const curl = curlOf(e);
  const copy = h("button", { id: "copy-curl", onclick: async () => {
    try { await navigator.clipboard.writeText(curl); copy.textContent = "Copied"; }
    catch { const range = document.createRange(); range.selectNodeContents($("curl")); getSelection().removeAllRanges(); getSelection().addRange(range); copy.textContent = "Selected: press Ctrl+C"; }
  } }, "Copy as curl");
  clear($("j-detail"),
    h("div", { class: "dhead" }, h("span", { class: `badge ${statusClass(e.status)}` }, e.status === null ? "dropped" : String(e.status)),
      h("h1", { class: "mono" }, `${e.method} ${e.path}`)),
    h("div", { class: "sub" }, `#${e.id} · ${fmtDate(e.time)} · ${e.durationMs.toFixed(1)} ms · ${e.requestBytes} B in, ${e.responseBytes} B out`),
    e.nearMisses && e.nearMisses.length ? h("div", { class: "hint", id: "near-misses" }, h("b", {}, "No route matched. Did you mean:"),
      h("ul", {}, e.nearMisses.map((m) => h("li", { class: "mono" }, `${m.method} ${m.path}`, h("span", { class: "dim" }, `  (${Math.round(m.score * 100)}%)`))))) : null,
    e.fault ? h("div", { class: "hint" }, `Injected by fault rule ${e.fault}${e.dropped ? " (connection dropped)" : ""}.`) : null,
    h("dl", { class: "kv" },
      h("dt", {}, "Organization"), h("dd", {}, orgName(e.organization), " ", h("span", { class: "mono dim" }, e.organization || "")),
      h("dt", {}, "API key"), h("dd", { class: "mono" }, e.key || "—"),
      h("dt", {}, "Query"), h("dd", { class: "mono" }, e.query || "—")),
    h("div", { class: "row" }, copy, h("span", { class: "dim" }, "the key is masked: set EQUOS_API_KEY")),
    h("pre", { id: "curl" }, curl),
    h("h3", {}, "Request body"), e.requestBody === null ? h("p", { class: "dim" }, "none") : h("pre", {}, typeof e.requestBody === "string" ? e.requestBody : json(e.requestBody)),
    h("h3", {}, "Response body"), e.responseBody === null ? h("p", { class: "dim" }, "none") : h("pre", {}, typeof e.responseBody === "string" ? e.responseBody : json(e.responseBody)),
    h("p", { class: "dim" }, "Keys and tokens are shown as keyed fingerprints (****…), as the journal stores them."));
}

// --- clock -------------------------------------------------------------------------------------------
async function refreshClock() {
  const [{ data: clock }] = await Promise.all([api("/_mock/clock", { query: { organization: S.org } }), loadOrgs()]);
  $("clock-scope-name").textContent = S.org ? `· ${orgName(S.org)}` : "· the app clock";
  $("clock-scope-name").dataset.org = S.org;
  clear($("clock-now"), h("span", { "data-clock": clock.now, "data-frozen": String(clock.frozen), "data-at": String(performance.now()) },
    fmtDate(clock.now)), " ", h("span", { class: `badge ${clock.frozen ? "blocked" : "running"}` }, clock.frozen ? "frozen" : "running"));
  const rows = [h("tr", {}, h("th", {}, "Clock"), h("th", {}, "Now"), h("th", {}, "State"), h("th", {}, "Offset"))];
  const app = S.appClock || {};
  rows.push(h("tr", {}, h("td", {}, h("b", {}, "app")), h("td", { class: "mono" }, fmtDate(app.now)),
    h("td", {}, app.frozen ? "frozen" : "running"), h("td", {}, fmtOffset(app.offsetMs))));
  for (const org of S.orgs.slice(0, 100)) {
    const c = org.clock || {};
    rows.push(h("tr", {}, h("td", {}, orgName(org.id), " ", h("span", { class: "mono dim" }, c.scope === "app" ? "(app clock)" : "(own clock)")),
      h("td", { class: "mono" }, fmtDate(c.now)), h("td", {}, c.frozen ? "frozen" : "running"), h("td", {}, fmtOffset(c.offsetMs))));
  }
  clear($("clock-table"), rows);
}

// --- faults ------------------------------------------------------------------------------------------
function renderFaults() {
  const faults = S.faults || [];
  const rows = [h("tr", {}, ["Rule", "Match", "Scope", "Does", "Fires", ""].map((t) => h("th", {}, t)))];
  for (const f of faults) {
    const does = f.drop ? "drops the connection" : [f.status || (f.retryAfter !== null ? 429 : null), f.retryAfter !== null ? `Retry-After ${f.retryAfter}` : null,
      f.delayMs ? `after ${f.delayMs} ms` : null].filter(Boolean).join(" · ");
    rows.push(h("tr", { "data-id": f.id },
      h("td", { class: "mono" }, f.id, f.active ? "" : h("span", { class: "dim" }, " (spent)")),
      h("td", { class: "mono" }, `${f.method || "any"} ${f.pathRegex ? `~${f.pathRegex}` : f.path}`),
      h("td", { title: f.organization || f.key || "" }, f.organization ? orgName(f.organization) : f.key ? h("span", { class: "mono" }, `key ${f.key}`) : "everyone"),
      h("td", {}, does),
      h("td", {}, `${f.hits} hit${f.hits === 1 ? "" : "s"}${f.times ? ` of ${f.times}` : ""}${f.probability < 1 ? ` · p=${f.probability}` : ""}`),
      h("td", {}, h("button", { class: "danger", "data-remove": f.id, onclick: () => act(() => api(`/_mock/faults/${f.id}`, { method: "DELETE" })) }, "Remove"))));
  }
  if (!faults.length) rows.push(h("tr", {}, h("td", { colspan: "6", class: "dim" }, "No fault rule: every request is answered normally.")));
  clear($("fault-table"), rows);
}

function faultKind() {
  const kind = $("f-kind").value;
  for (const label of document.querySelectorAll("#fault-form [data-for]")) label.hidden = label.dataset.for !== kind;
  for (const label of document.querySelectorAll("#fault-form [data-scope]")) label.hidden = label.dataset.scope !== $("f-scope").value;
}

async function addFault(event) {
  event.preventDefault();
  const spec = {};
  const kind = $("f-kind").value;
  if (kind === "status") spec.status = Number($("f-status").value);
  if (kind === "throttle") spec.retryAfter = Number($("f-retry").value);
  if (kind === "delay") spec.delayMs = Number($("f-delay").value);
  if (kind === "drop") spec.drop = true;
  if ($("f-method").value) spec.method = $("f-method").value;
  if ($("f-path").value.trim()) spec.path = $("f-path").value.trim();
  const scope = $("f-scope").value;
  $("f-error").hidden = true;
  if (scope === "organization") {
    if (!S.org) { $("f-error").textContent = "Pick an organization at the top first."; $("f-error").hidden = false; return; }
    spec.organization = S.org;
  }
  if (scope === "key") spec.key = $("f-key").value;
  if ($("f-times").value) spec.times = Number($("f-times").value);
  if ($("f-prob").value && Number($("f-prob").value) !== 1) spec.probability = Number($("f-prob").value);
  try {
    await api("/_mock/faults", { method: "POST", body: spec });
    S.dirty = true;
    await poll(true);
  } catch (error) {
    $("f-error").textContent = error.message;
    $("f-error").hidden = false;
  }
}

// --- organizations -----------------------------------------------------------------------------------
async function refreshOrganizations() {
  const [, { data: assumptions }] = await Promise.all([loadOrgs(), api("/_mock/assumptions")]);
  $("org-total").textContent = `· ${S.orgTotal}${S.orgTotal > S.orgs.length ? ` (first ${S.orgs.length} shown)` : ""}`;
  const rows = [h("tr", {}, ["Organization", "Keys (masked)", "Settings", "Clock", "Holds"].map((t) => h("th", {}, t)))];
  for (const org of S.orgs.slice(0, 300)) {
    const s = org.settings;
    const counts = Object.entries(org.counts).filter(([, n]) => n);
    rows.push(h("tr", {},
      h("td", {}, h("b", {}, org.name), h("div", { class: "mono dim" }, org.id)),
      h("td", { class: "mono" }, org.keys.map((k) => h("div", {}, k))),
      h("td", {}, h("span", { class: "pill" }, `limit ${fmtDuration(s.durationLimit)}`), h("span", { class: "pill" }, s.charge ? `charged ${s.chargeBySecond}/s` : "not charged"),
        s.concurrentLimit !== null ? h("span", { class: "pill" }, `≤ ${s.concurrentLimit} at once`) : null,
        s.suspended ? h("span", { class: "badge error" }, `suspended${s.reason ? `: ${s.reason}` : ""}`) : null),
      h("td", {}, h("span", { class: `badge ${org.clock.frozen ? "blocked" : "running"}` }, org.clock.frozen ? "frozen" : "running"),
        h("div", { class: "dim" }, `${org.clock.scope === "app" ? "app clock" : "own clock"} · ${fmtOffset(org.clock.offsetMs)}`)),
      h("td", {}, counts.length ? counts.map(([name, n]) => h("span", { class: "pill" }, count(n, name.replace("_", " ")))) : h("span", { class: "dim" }, "nothing"))));
  }
  clear($("org-table"), rows);
  clear($("assumption-table"), h("tr", {}, ["Assumption", "In force", "Default", "Why"].map((t) => h("th", {}, t))),
    assumptions.map((a) => h("tr", {}, h("td", { class: "mono" }, a.name),
      h("td", {}, h("span", { class: `badge ${a.value === a.default ? "" : "blocked"}` }, a.value)),
      h("td", { class: "mono dim" }, a.default), h("td", { class: "dim" }, a.summary))));
}

// --- resources and usage -----------------------------------------------------------------------------
function pickedOrg(target) {
  if (S.org) return S.org;
  clear($(target), h("p", { class: "empty" }, "Pick an organization at the top to see its ", target, "."));
  return null;
}

async function refreshResources() {
  const org = pickedOrg("resources");
  if (!org) return;
  const { data } = await api(`/_mock/organizations/${encodeURIComponent(org)}/resources`);
  const name = (x) => (x ? (x.name || x.identity || x.id) : "—");
  const characters = data.characters.items.map((c) => h("div", { class: "card" },
    h("h3", {}, c.name), h("div", { class: "mono dim sub" }, c.id),
    h("dl", { class: "kv" },
      h("dt", {}, "LiveKit identity"), h("dd", { class: "mono" }, c.livekitIdentity || "—"),
      h("dt", {}, "Face"), h("dd", {}, name(c.face)),
      h("dt", {}, "Voice"), h("dd", {}, name(c.voice)),
      h("dt", {}, "Brain"), h("dd", {}, c.brain ? (c.brain.name || c.brain.instructions || c.brain.id) : "—"),
      h("dt", {}, "Knowledge base"), h("dd", {}, name(c.knowledgeBase)))));
  const bases = data.knowledge_bases.items.map((kb) => h("div", { class: "card" },
    h("h3", {}, kb.name), h("div", { class: "mono dim sub" }, kb.id),
    kb.documents.length ? h("table", { class: "table" }, h("tr", {}, h("th", {}, "Document"), h("th", {}, "Size"), h("th", {}, "Upload")),
      kb.documents.map((doc) => h("tr", {}, h("td", {}, doc.name), h("td", { class: "num" }, `${doc.size} B`),
        h("td", {}, h("span", { class: `badge ${doc.status === "ready" ? "s2" : doc.status === "uploaded" ? "s3" : "blocked"}` }, doc.status)))))
      : h("p", { class: "dim" }, "No document.")));
  const more = (part, label) => (part.total > part.items.length ? h("p", { class: "dim" }, `${part.items.length} newest of ${part.total} ${label}`) : null);
  clear($("resources"),
    h("h2", {}, `Characters · ${data.characters.total}`), more(data.characters, "characters"),
    characters.length ? h("div", { class: "cards" }, characters) : h("p", { class: "dim" }, "No character."),
    h("h2", { class: "spaced" }, `Knowledge bases · ${data.knowledge_bases.total}`), more(data.knowledge_bases, "knowledge bases"),
    bases.length ? h("div", { class: "cards" }, bases) : h("p", { class: "dim" }, "No knowledge base."),
    h("h2", { class: "spaced" }, "Also"),
    h("p", {}, ["brains", "faces", "voices"].map((k) => h("span", { class: "pill" }, count(data[k].total, k)))));
}

async function refreshUsage() {
  const org = pickedOrg("usage");
  if (!org) return;
  const { data } = await api("/_mock/usage", { query: { organization: org } });
  clear($("usage"), h("div", { class: "grid2" },
    h("div", { class: "card" }, h("h2", {}, "Freemium usage"), h("div", { class: "big", id: "usage-total" }, fmtSeconds(data.freemiumSeconds)),
      h("p", { class: "dim" }, `GET /v3/organizations/freemium-usage · ${data.conversations} conversations, ${data.running} running`,
        data.charge ? ` · charged ${data.chargeBySecond}/s` : " · not charged")),
    h("div", { class: "card" }, h("h2", {}, "Per client tag (user-usage)"),
      data.byClient.length ? h("table", { class: "table" }, h("tr", {}, h("th", {}, "Client tag"), h("th", {}, "Seconds")),
        data.byClient.map((u) => h("tr", {}, h("td", { class: "mono" }, u.client), h("td", { class: "num" }, fmtSeconds(u.seconds)))))
        : h("p", { class: "dim" }, "No conversation carried a client tag."))));
}

// --- navigation and wiring ---------------------------------------------------------------------------
function show(view) {
  if (!VIEWS.includes(view)) view = "conversations";
  S.view = view;
  for (const name of VIEWS) $(`view-${name}`).hidden = name !== view;
  for (const button of document.querySelectorAll("#tabs button")) button.classList.toggle("on", button.dataset.view === view);
  if (location.hash !== `#${view}`) history.replaceState(null, "", `${location.pathname}${location.search}#${view}`);
  if (!$("app").hidden) { S.dirty = true; poll(true); }
}

function wire() {
  for (const button of document.querySelectorAll("#tabs button")) button.addEventListener("click", () => show(button.dataset.view));
  $("org").addEventListener("change", () => {
    S.org = $("org").value;
    S.conv.selected = null; S.conv.pages = new Map(); S.j.items = []; S.j.selected = null;
    clear($("conv-detail"), h("p", { class: "empty" }, "Select a conversation."));
    delete $("conv-detail").dataset.shape;
    clear($("j-detail"), h("p", { class: "empty" }, "Select a request."));
    poll(true);
  });
  for (const button of document.querySelectorAll("#conv-status button")) {
    button.addEventListener("click", () => {
      S.conv.status = button.dataset.status;
      for (const b of document.querySelectorAll("#conv-status button")) b.classList.toggle("on", b === button);
      $("conv-list").scrollTop = 0;
      S.conv.pages = new Map();
      poll(true);
    });
  }
  let frame = 0;
  $("conv-list").addEventListener("scroll", () => { cancelAnimationFrame(frame); frame = requestAnimationFrame(renderConversations); });
  $("j-list").addEventListener("scroll", () => { cancelAnimationFrame(frame); frame = requestAnimationFrame(renderJournal); });
  for (const id of ["j-method", "j-status"]) $(id).addEventListener("change", () => reloadJournal().catch(showError));
  let typing = 0;
  $("j-path").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => reloadJournal().catch(showError), 300); });
  $("clock-freeze").addEventListener("click", () => act(() => api("/_mock/clock/freeze", { method: "POST", body: orgBody() })));
  $("clock-unfreeze").addEventListener("click", () => act(() => api("/_mock/clock/unfreeze", { method: "POST", body: orgBody() })));
  $("clock-advance-form").addEventListener("submit", (e) => { e.preventDefault();
    act(() => api("/_mock/clock/advance", { method: "POST", body: orgBody({ seconds: Number($("clock-advance").value) }) })); });
  $("clock-set-form").addEventListener("submit", (e) => { e.preventDefault();
    act(() => api("/_mock/clock/set", { method: "POST", body: orgBody({ at: $("clock-set").value.trim() }) })); });
  $("f-kind").addEventListener("change", faultKind);
  $("f-scope").addEventListener("change", faultKind);
  $("fault-form").addEventListener("submit", addFault);
  faultKind();
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    S.token = $("login-token").value;
    sessionStorage.setItem(TOKEN_KEY, S.token);
    open();
  });
  $("logout").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); S.token = ""; showLogin(""); });
  window.addEventListener("hashchange", () => show(location.hash.slice(1)));
}

function boot() {
  // ?token= is taken once, kept for this tab only, and dropped from the address bar and history.
  const params = new URLSearchParams(location.search);
  if (params.has("token")) {
    sessionStorage.setItem(TOKEN_KEY, params.get("token"));
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", `${location.pathname}${rest ? `?${rest}` : ""}${location.hash}`);
  }
  S.token = sessionStorage.getItem(TOKEN_KEY) || "";
  wire();
  show(location.hash.slice(1) || "conversations");
  setInterval(poll, POLL_MS);
  setInterval(tick, 500);
  open();
}

boot();
