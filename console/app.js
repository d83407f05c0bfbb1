// Baton's console: one page that calls the REST API as its user does.
//
// No framework and no build step: the browser runs this file as written. Every
// view is a function that fetches what it shows from the API and builds the DOM
// with `h` (text is always set as text, never parsed as HTML). With
// authentication on, the API answers 401 and the console asks for a user and
// password, kept in this tab's session storage and sent as HTTP Basic
// credentials; it can then do exactly what that user may.
"use strict";

const BASE = document.body.dataset.base || "/engine-rest";
const main = document.getElementById("main");
const LOGIN_KEY = "baton.login";
const REFRESH_MS = 5000;

let refreshTimer = null;

/** An element: `h("td", {class: "num"}, "3")`. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class Unauthorized extends Error {}

/** Calls the API; answers parsed JSON (or null for 204). */
async function api(method, path, body) {
  // Tells Baton a script asks: its 401 then carries no challenge, so the
  // browser leaves the login to this page instead of showing its own dialog.
  const headers = { "X-Requested-With": "XMLHttpRequest" };
  const login = sessionStorage.getItem(LOGIN_KEY);
  if (login) headers.Authorization = `Basic ${login}`;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(BASE + path, { method, headers, body: payload });
  if (res.status === 401) throw new Unauthorized();
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = new Error(json && json.message ? json.message : `${res.status}`);
    err.body = json;
    throw err;
  }
  return json;
}
const get = (path) => api("GET", path);

function showError(e) {
  if (e instanceof Unauthorized) return showLogin();
  main.replaceChildren(h("div", { class: "error", role: "alert" }, e.message));
}

function showLogin(message) {
  stopRefresh();
  const user = h("input", { id: "login-user", autocomplete: "username", required: true });
  const pass = h("input", { id: "login-password", type: "password", autocomplete: "current-password", required: true });
  const form = h("form", { class: "login", onsubmit: async (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(LOGIN_KEY, btoa(unescape(encodeURIComponent(`${user.value}:${pass.value}`))));
      try {
        await get("/version");
        sessionStorage.setItem(LOGIN_KEY + ".user", user.value);
        route();
      } catch (e) {
        sessionStorage.removeItem(LOGIN_KEY);
        showLogin(e instanceof Unauthorized ? "Wrong user or password." : e.message);
      }
    } },
    h("h1", {}, "Log in to Baton"),
    message ? h("div", { class: "error", role: "alert" }, message) : null,
    h("label", { for: "login-user" }, "User"), user,
    h("label", { for: "login-password" }, "Password"), pass,
    h("button", { type: "submit" }, "Log in"));
  main.replaceChildren(form);
  user.focus();
}

function logout() {
  sessionStorage.removeItem(LOGIN_KEY);
  sessionStorage.removeItem(LOGIN_KEY + ".user");
  showLogin();
}

function stopRefresh() {
  if (refreshTimer) clearInterval(refreshTimer);
  refreshTimer = null;
}

/** Re-runs `update` every few seconds while the view stays open. */
function keepFresh(update) {
  stopRefresh();
  refreshTimer = setInterval(() => update().catch(showError), REFRESH_MS);
}

const fmtDate = (d) => (d ? d.replace("T", " ").replace(/\.\d+([+-]\d{4})$/, "") : "");
const enc = encodeURIComponent;

// ---------------------------------------------------------------------------
// The BPMN diagram with badges.

async function diagram(container, definitionId, { badges, highlight, onClick } = {}) {
  const xml = await get(`/process-definition/${enc(definitionId)}/xml`);
  const viewer = new BpmnJS({ container });
  try {
    await viewer.importXML(xml.bpmn20Xml);
  } catch (e) {
    // A model without a layout (no BPMNDiagram) has nothing to draw; the rest
    // of the view still works.
    viewer.destroy();
    container.replaceChildren(
      h("p", { class: "muted", style: "padding: 1rem" }, `No diagram to show: ${e.message}`));
    return null;
  }
  const canvas = viewer.get("canvas");
  canvas.zoom("fit-viewport");
  const overlays = viewer.get("overlays");
  const registry = viewer.get("elementRegistry");
  for (const [id, { tokens, incidents }] of Object.entries(badges || {})) {
    if (!registry.get(id)) continue;
    const html = h("div", {});
    if (tokens) html.append(h("span", { class: "badge", title: `${tokens} waiting here` }, tokens));
    if (incidents) html.append(h("span", { class: "badge incident", title: `${incidents} incidents` }, incidents));
    overlays.add(id, { position: { bottom: 8, left: -8 }, html });
  }
  for (const id of highlight || []) if (registry.get(id)) canvas.addMarker(id, "highlight");
  if (onClick) viewer.get("eventBus").on("element.click", (e) => onClick(e.element));
  return viewer;
}

// ---------------------------------------------------------------------------
// Views.

async function processesView() {
  main.replaceChildren(h("h1", {}, "Processes"));
  const table = h("table", {});
  main.append(table);
  const update = async () => {
    const stats = await get("/process-definition/statistics?incidents=true");
    const byKey = new Map();
    for (const s of stats) {
      const d = s.definition;
      const k = `${d.key}\u0000${d.tenantId ?? ""}`;
      const row = byKey.get(k) || { latest: d, versions: 0, instances: 0, incidents: 0 };
      row.versions += 1;
      row.instances += s.instances;
      row.incidents += s.incidents.reduce((n, i) => n + i.incidentCount, 0);
      if (d.version > row.latest.version) row.latest = d;
      byKey.set(k, row);
    }
    const tasks = await get("/task/count");
    table.replaceChildren(
      h("tr", {}, h("th", {}, "Process"), h("th", {}, "Key"), h("th", {}, "Tenant"),
        h("th", { class: "num" }, "Versions"), h("th", { class: "num" }, "Running"),
        h("th", { class: "num" }, "Incidents")),
      ...[...byKey.values()].sort((a, b) => a.latest.key.localeCompare(b.latest.key)).map((r) =>
        h("tr", {},
          h("td", {}, h("a", { href: `#/process/${enc(r.latest.id)}` }, r.latest.name || r.latest.key)),
          h("td", { class: "mono" }, r.latest.key),
          h("td", {}, r.latest.tenantId || ""),
          h("td", { class: "num" }, r.versions),
          h("td", { class: "num" }, r.instances),
          h("td", { class: r.incidents ? "num bad" : "num" }, r.incidents))));
    if (!byKey.size) table.replaceChildren(h("tr", {}, h("td", {}, "Nothing deployed yet: see Deployments.")));
    table.dataset.openTasks = tasks.count;
  };
  await update();
  keepFresh(update);
}

async function processView(id) {
  const def = await get(`/process-definition/${enc(id)}`);
  const box = h("div", { class: "diagram", id: "diagram" });
  const instances = h("table", { id: "instances" });
  const filter = h("span", { class: "muted" });
  main.replaceChildren(
    h("h1", {}, `${def.name || def.key} `, h("span", { class: "muted" }, `version ${def.version}`)),
    box, h("h2", {}, "Running instances ", filter), instances);
  let activity = null;
  const stats = await get(`/process-definition/${enc(id)}/statistics?incidents=true`);
  const badges = {};
  for (const s of stats) {
    badges[s.id] = { tokens: s.instances, incidents: s.incidents.reduce((n, i) => n + i.incidentCount, 0) };
  }
  const update = async () => {
    const q = `processDefinitionId=${enc(id)}` + (activity ? `&activityIdIn=${enc(activity)}` : "");
    const list = await get(`/process-instance?${q}&maxResults=200`);
    filter.textContent = activity ? `at ${activity} (click the diagram's background to clear)` : "";
    instances.replaceChildren(
      h("tr", {}, h("th", {}, "Instance"), h("th", {}, "Business key"), h("th", {}, "State")),
      ...list.map((i) => h("tr", {},
        h("td", { class: "mono" }, h("a", { href: `#/instance/${enc(i.id)}` }, i.id)),
        h("td", {}, i.businessKey || ""),
        h("td", {}, i.suspended ? "suspended" : "running"))));
  };
  await diagram(box, id, {
    badges,
    onClick: (el) => {
      activity = el.type === "bpmn:Process" || el.type === "bpmn:Collaboration" ? null : el.id;
      update().catch(showError);
    },
  });
  await update();
  keepFresh(update);
}

/** The activity ids of a tree where tokens are, and their incident counts. */
function tokensOf(tree, out = {}) {
  for (const child of tree.childActivityInstances || []) {
    if (!(child.childActivityInstances || []).length) {
      const b = out[child.activityId] || { tokens: 0, incidents: 0 };
      b.tokens += 1;
      b.incidents += (child.incidentIds || []).length;
      out[child.activityId] = b;
    }
    tokensOf(child, out);
  }
  for (const t of tree.childTransitionInstances || []) {
    const b = out[t.activityId] || { tokens: 0, incidents: 0 };
    b.tokens += 1;
    out[t.activityId] = b;
  }
  return out;
}

async function instanceView(id) {
  const inst = await get(`/process-instance/${enc(id)}`);
  const tree = await get(`/process-instance/${enc(id)}/activity-instances`);
  const passed = await get(`/history/activity-instance?processInstanceId=${enc(id)}&finished=true`)
    .catch(() => []);
  const box = h("div", { class: "diagram", id: "diagram" });
  const vars = h("table", { id: "variables" });
  const incidents = h("table", { id: "incidents" });
  main.replaceChildren(
    h("h1", {}, "Instance ", h("span", { class: "mono" }, id)),
    h("div", { class: "toolbar" },
      h("span", {}, `Business key: ${inst.businessKey || "—"}`),
      h("a", { href: `#/process/${enc(inst.definitionId)}` }, "its process"),
      h("button", { class: "danger", id: "cancel", onclick: async () => {
        if (!confirm("Cancel this instance?")) return;
        try { await api("DELETE", `/process-instance/${enc(id)}`); location.hash = `#/process/${enc(inst.definitionId)}`; }
        catch (e) { showError(e); }
      } }, "Cancel instance")),
    box,
    h("div", { class: "grid" },
      h("div", {}, h("h2", {}, "Variables"), vars),
      h("div", {}, h("h2", {}, "Incidents"), incidents)));
  await diagram(box, inst.definitionId, {
    badges: tokensOf(tree),
    highlight: passed.map((a) => a.activityId),
  });
  const update = async () => {
    const v = await get(`/process-instance/${enc(id)}/variables?deserializeValues=false`);
    vars.replaceChildren(
      h("tr", {}, h("th", {}, "Name"), h("th", {}, "Type"), h("th", {}, "Value"), h("th", {}, "")),
      ...Object.entries(v).map(([name, val]) => {
        const input = h("input", { value: val.value === null ? "" : typeof val.value === "object" ? JSON.stringify(val.value) : String(val.value), "aria-label": `value of ${name}` });
        return h("tr", {},
          h("td", { class: "mono" }, name), h("td", {}, val.type),
          h("td", {}, input),
          h("td", {}, h("button", { class: "plain", onclick: async () => {
            try {
              await api("PUT", `/process-instance/${enc(id)}/variables/${enc(name)}`, { value: typed(val.type, input.value), type: val.type });
              await update();
            } catch (e) { showError(e); }
          } }, "Save")));
      }));
    const list = await get(`/incident?processInstanceId=${enc(id)}`);
    incidents.replaceChildren(
      h("tr", {}, h("th", {}, "Activity"), h("th", {}, "Type"), h("th", {}, "Message"), h("th", {}, "")),
      ...list.map((i) => h("tr", {},
        h("td", { class: "mono" }, i.activityId), h("td", {}, i.incidentType),
        h("td", { class: "bad" }, i.incidentMessage || ""),
        h("td", {}, h("button", { onclick: () => retry(i).then(update).catch(showError) }, "Retry")))));
  };
  await update();
  keepFresh(update);
}

/** The value typed in a text box, as the variable's type wants it. */
function typed(type, text) {
  switch (type) {
    case "Integer": case "Long": case "Short": case "Double": return Number(text);
    case "Boolean": return text === "true";
    case "Null": return null;
    default: return text;
  }
}

/** Gives an incident's job or external task one retry, as Cockpit does. */
function retry(incident) {
  const target = incident.incidentType === "failedExternalTask" ? "external-task" : "job";
  return api("PUT", `/${target}/${enc(incident.configuration)}/retries`, { retries: 1 });
}

async function instancesView() {
  const key = h("input", { placeholder: "business key", id: "search-key" });
  const table = h("table", { id: "instance-search" });
  const search = async () => {
    const q = key.value ? `businessKey=${enc(key.value)}&` : "";
    const list = await get(`/process-instance?${q}maxResults=200`);
    table.replaceChildren(
      h("tr", {}, h("th", {}, "Instance"), h("th", {}, "Process"), h("th", {}, "Business key")),
      ...list.map((i) => h("tr", {},
        h("td", { class: "mono" }, h("a", { href: `#/instance/${enc(i.id)}` }, i.id)),
        h("td", { class: "mono" }, i.definitionId.split(":")[0]),
        h("td", {}, i.businessKey || ""))));
  };
  main.replaceChildren(h("h1", {}, "Instances"),
    h("form", { class: "toolbar", onsubmit: (e) => { e.preventDefault(); search().catch(showError); } },
      key, h("button", { type: "submit" }, "Search")), table);
  await search();
}

async function incidentsView() {
  const table = h("table", { id: "incident-list" });
  main.replaceChildren(h("h1", {}, "Open incidents"), table);
  const update = async () => {
    const list = await get("/incident?sortBy=incidentTimestamp&sortOrder=desc");
    table.replaceChildren(
      h("tr", {}, h("th", {}, "When"), h("th", {}, "Process"), h("th", {}, "Activity"),
        h("th", {}, "Type"), h("th", {}, "Message"), h("th", {}, "")),
      ...list.map((i) => h("tr", {},
        h("td", {}, fmtDate(i.incidentTimestamp)),
        h("td", { class: "mono" }, h("a", { href: `#/instance/${enc(i.processInstanceId)}` }, i.processDefinitionId.split(":")[0])),
        h("td", { class: "mono" }, i.activityId), h("td", {}, i.incidentType),
        h("td", { class: "bad" }, i.incidentMessage || ""),
        h("td", {}, h("button", { onclick: () => retry(i).then(update).catch(showError) }, "Retry")))));
    if (!list.length) table.replaceChildren(h("tr", {}, h("td", {}, "No open incidents.")));
  };
  await update();
  keepFresh(update);
}

async function tasksView() {
  const me = sessionStorage.getItem(LOGIN_KEY + ".user");
  const which = h("select", { id: "task-filter" },
    me ? h("option", { value: "mine" }, "My tasks") : null,
    me ? h("option", { value: "groups" }, "My groups' tasks") : null,
    h("option", { value: "all" }, "All tasks I may see"));
  const table = h("table", { id: "task-list" });
  const update = async () => {
    const q = which.value === "mine" ? `assignee=${enc(me)}` : which.value === "groups" ? `candidateUser=${enc(me)}` : "";
    const list = await get(`/task?${q}&sortBy=created&sortOrder=desc&maxResults=200`);
    table.replaceChildren(
      h("tr", {}, h("th", {}, "Task"), h("th", {}, "Assignee"), h("th", {}, "Created"), h("th", {}, "")),
      ...list.map((t) => h("tr", {},
        h("td", {}, t.name || t.taskDefinitionKey),
        h("td", {}, t.assignee || h("span", { class: "muted" }, "nobody")),
        h("td", {}, fmtDate(t.created)),
        h("td", {},
          me && !t.assignee ? h("button", { class: "plain", onclick: () => api("POST", `/task/${enc(t.id)}/claim`, { userId: me }).then(update).catch(showError) }, "Claim") : null,
          me && t.assignee === me ? h("button", { class: "plain", onclick: () => api("POST", `/task/${enc(t.id)}/unclaim`).then(update).catch(showError) }, "Unclaim") : null,
          " ",
          h("button", { onclick: () => api("POST", `/task/${enc(t.id)}/complete`, {}).then(update).catch(showError) }, "Complete")))));
    if (!list.length) table.replaceChildren(h("tr", {}, h("td", {}, "No tasks here.")));
  };
  which.addEventListener("change", () => update().catch(showError));
  main.replaceChildren(h("h1", {}, "Tasks"), h("div", { class: "toolbar" }, which), table);
  await update();
  keepFresh(update);
}

async function deploymentsView() {
  const table = h("table", { id: "deployment-list" });
  const result = h("div", {});
  const files = h("input", { type: "file", multiple: true, accept: ".bpmn,.form,.xml", id: "upload" });
  const upload = async (list) => {
    const form = new FormData();
    form.append("deployment-name", list[0].name.replace(/\.[^.]*$/, ""));
    form.append("deployment-source", "Baton console");
    for (const f of list) form.append(f.name, f, f.name);
    try {
      await api("POST", "/deployment/create", form);
      result.replaceChildren(h("div", {}, `Deployed ${[...list].map((f) => f.name).join(", ")}.`));
      await update();
    } catch (e) {
      const details = e.body && e.body.details ? Object.entries(e.body.details).flatMap(([res, d]) =>
        d.errors.map((p) => `${res}:${p.line}:${p.column}: ${p.message}`)) : [];
      result.replaceChildren(h("div", { class: "error", role: "alert" }, [e.message, ...details].join("\n")));
    }
  };
  const drop = h("div", { class: "drop",
    ondragover: (e) => { e.preventDefault(); drop.classList.add("over"); },
    ondragleave: () => drop.classList.remove("over"),
    ondrop: (e) => { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files); } },
    "Drop .bpmn and .form files here, or ", files);
  files.addEventListener("change", () => files.files.length && upload(files.files));
  const update = async () => {
    const list = await get("/deployment?sortBy=deploymentTime&sortOrder=desc");
    table.replaceChildren(
      h("tr", {}, h("th", {}, "Name"), h("th", {}, "Deployed"), h("th", {}, "Source"), h("th", {}, "Tenant"), h("th", {}, "")),
      ...list.map((d) => h("tr", {},
        h("td", {}, d.name || d.id), h("td", {}, fmtDate(d.deploymentTime)),
        h("td", {}, d.source || ""), h("td", {}, d.tenantId || ""),
        h("td", {}, h("button", { class: "danger", onclick: async () => {
          if (!confirm(`Delete ${d.name || d.id} and its running instances?`)) return;
          try { await api("DELETE", `/deployment/${enc(d.id)}?cascade=true`); await update(); } catch (e) { showError(e); }
        } }, "Delete")))));
  };
  main.replaceChildren(h("h1", {}, "Deployments"), drop, result, table);
  await update();
}

// ---------------------------------------------------------------------------
// Routing.

const routes = [
  [/^#\/processes$/, processesView],
  [/^#\/process\/(.+)$/, processView],
  [/^#\/instance\/(.+)$/, instanceView],
  [/^#\/instances$/, instancesView],
  [/^#\/incidents$/, incidentsView],
  [/^#\/tasks$/, tasksView],
  [/^#\/deployments$/, deploymentsView],
];

async function route() {
  stopRefresh();
  const hash = location.hash || "#/processes";
  for (const a of document.querySelectorAll("header nav a")) {
    a.classList.toggle("active", hash.startsWith(`#/${a.dataset.view}`));
  }
  const user = sessionStorage.getItem(LOGIN_KEY + ".user");
  document.getElementById("who").replaceChildren(
    user ? h("span", {}, `${user} · `, h("a", { href: "#", onclick: (e) => { e.preventDefault(); logout(); } }, "log out")) : "");
  for (const [pattern, view] of routes) {
    const m = hash.match(pattern);
    if (m) {
      try { await view(...m.slice(1).map(decodeURIComponent)); } catch (e) { showError(e); }
      return;
    }
  }
  location.hash = "#/processes";
}

window.addEventListener("hashchange", route);
route();
