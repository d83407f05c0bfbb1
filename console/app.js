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
/** Where views go. Each view draws into an element of its own (`viewRoot`), so
 *  a view still loading when the person moves on draws into an element no
 *  longer shown, never over the next view. */
const main = document.getElementById("main");

/** A fresh element for the view being opened, shown in place of the last. */
function viewRoot() {
  const root = h("div", { class: "view" });
  main.replaceChildren(root);
  return root;
}
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
  const isJson = (res.headers.get("content-type") || "").includes("json");
  if (res.ok && !isJson) return text;
  const json = text && isJson ? JSON.parse(text) : null;
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

/** Re-runs `update` every few seconds while the view (`root`) stays shown. */
function keepFresh(update, root) {
  if (!root.isConnected) return;
  stopRefresh();
  refreshTimer = setInterval(() => {
    if (!root.isConnected) return stopRefresh();
    update().catch((e) => root.isConnected && showError(e));
  }, REFRESH_MS);
}

const fmtDate = (d) => (d ? d.replace("T", " ").replace(/\.\d+([+-]\d{4})$/, "") : "");
const enc = encodeURIComponent;

// ---------------------------------------------------------------------------
// The BPMN diagram with badges.

/** Puts a badge on each activity of `badges` ({id: {tokens, incidents}}),
 *  replacing the ones shown before. */
function setBadges(viewer, badges) {
  if (!viewer) return;
  const overlays = viewer.get("overlays");
  const registry = viewer.get("elementRegistry");
  overlays.remove({ type: "badges" });
  for (const [id, { tokens, incidents }] of Object.entries(badges || {})) {
    if (!registry.get(id)) continue;
    const html = h("div", {});
    if (tokens) html.append(h("span", { class: "badge", title: `${tokens} waiting here` }, tokens));
    if (incidents) html.append(h("span", { class: "badge incident", title: `${incidents} incidents` }, incidents));
    overlays.add(id, "badges", { position: { bottom: 8, left: -8 }, html });
  }
}

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
  const registry = viewer.get("elementRegistry");
  setBadges(viewer, badges);
  for (const id of highlight || []) if (registry.get(id)) canvas.addMarker(id, "highlight");
  if (onClick) viewer.get("eventBus").on("element.click", (e) => onClick(e.element));
  return viewer;
}

// ---------------------------------------------------------------------------
// Views.

async function processesView() {
  const main = viewRoot();
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
        h("th", { class: "num" }, "Incidents"), h("th", {}, "")),
      ...[...byKey.values()].sort((a, b) => a.latest.key.localeCompare(b.latest.key)).map((r) =>
        h("tr", {},
          h("td", {}, h("a", { href: `#/process/${enc(r.latest.id)}` }, r.latest.name || r.latest.key)),
          h("td", { class: "mono" }, r.latest.key),
          h("td", {}, r.latest.tenantId || ""),
          h("td", { class: "num" }, r.versions),
          h("td", { class: "num" }, r.instances),
          h("td", { class: r.incidents ? "num bad" : "num" }, r.incidents),
          h("td", {}, h("a", { class: "button", href: `#/start/${enc(r.latest.id)}` }, "Start")))));
    if (!byKey.size) table.replaceChildren(h("tr", {}, h("td", {}, "Nothing deployed yet: see Deployments.")));
    table.dataset.openTasks = tasks.count;
  };
  await update();
  keepFresh(update, main);
}

async function processView(id) {
  const main = viewRoot();
  const def = await get(`/process-definition/${enc(id)}`);
  const box = h("div", { class: "diagram", id: "diagram" });
  const instances = h("table", { id: "instances" });
  const filter = h("span", { class: "muted" });
  main.replaceChildren(
    h("h1", {}, `${def.name || def.key} `, h("span", { class: "muted" }, `version ${def.version}`)),
    h("div", { class: "toolbar" }, h("a", { class: "button", id: "start", href: `#/start/${enc(id)}` }, "Start an instance"),
      h("a", { href: "#/history" }, "its history")),
    box, h("h2", {}, "Running instances ", filter), instances);
  let activity = null;
  const badgesNow = async () => {
    const stats = await get(`/process-definition/${enc(id)}/statistics?incidents=true`);
    const badges = {};
    for (const s of stats) {
      badges[s.id] = { tokens: s.instances, incidents: s.incidents.reduce((n, i) => n + i.incidentCount, 0) };
    }
    return badges;
  };
  const badges = await badgesNow();
  let viewer = null;
  const update = async () => {
    if (viewer) setBadges(viewer, await badgesNow());
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
  viewer = await diagram(box, id, {
    badges,
    onClick: (el) => {
      activity = el.type === "bpmn:Process" || el.type === "bpmn:Collaboration" ? null : el.id;
      update().catch(showError);
    },
  });
  await update();
  keepFresh(update, main);
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

/** The activity tree as nested lists: what runs, inside what, with incidents. */
function activityTree(tree) {
  const item = (node) => h("li", {},
    h("span", {}, node.activityName || node.activityId),
    (node.incidentIds || []).length ? h("span", { class: "bad" }, ` · ${node.incidentIds.length} incident(s)`) : null,
    (node.childActivityInstances || []).length || (node.childTransitionInstances || []).length
      ? h("ul", {}, ...(node.childActivityInstances || []).map(item),
        ...(node.childTransitionInstances || []).map((t) => h("li", { class: "muted" }, `${t.activityName || t.activityId} (about to run)`)))
      : null);
  return h("ul", { class: "tree", id: "activity-tree" }, item(tree));
}

/** Instances as a list of links, or a dash. */
function instanceLinks(list) {
  if (!list.length) return h("span", { class: "muted" }, "none");
  return h("span", {}, ...list.flatMap((i, n) => [n ? ", " : "",
    h("a", { class: "mono", href: `#/instance/${enc(i.id)}` }, `${i.definitionId.split(":")[0]} ${i.id}`)]));
}

/** A finished instance, from history: its times, its path, its last variables. */
async function historicInstanceView(id) {
  const main = viewRoot();
  const inst = await get(`/history/process-instance/${enc(id)}`);
  const passed = await get(`/history/activity-instance?processInstanceId=${enc(id)}&sortBy=startTime&sortOrder=asc&maxResults=1000`);
  const vars = await get(`/history/variable-instance?processInstanceId=${enc(id)}&deserializeValues=false&maxResults=1000`);
  const box = h("div", { class: "diagram", id: "diagram" });
  main.replaceChildren(
    h("h1", {}, "Instance ", h("span", { class: "mono" }, id), " ", h("span", { class: "muted" }, inst.state.toLowerCase().replace(/_/g, " "))),
    h("div", { class: "toolbar" },
      h("span", {}, `Business key: ${inst.businessKey || "—"}`),
      h("span", {}, `Started ${fmtDate(inst.startTime)}`),
      inst.endTime ? h("span", {}, `ended ${fmtDate(inst.endTime)}, after ${fmtDuration(inst.durationInMillis)}`) : null,
      inst.superProcessInstanceId ? h("a", { href: `#/instance/${enc(inst.superProcessInstanceId)}` }, "called by") : null),
    box,
    h("div", { class: "grid" },
      h("div", {}, h("h2", {}, "What it went through"),
        h("table", { id: "passed" },
          h("tr", {}, h("th", {}, "Activity"), h("th", {}, "Ended"), h("th", { class: "num" }, "Took")),
          ...passed.map((a) => h("tr", {},
            h("td", {}, a.activityName || a.activityId), h("td", {}, fmtDate(a.endTime)),
            h("td", { class: "num" }, fmtDuration(a.durationInMillis)))))),
      h("div", {}, h("h2", {}, "Variables"),
        h("table", { id: "historic-variables" },
          h("tr", {}, h("th", {}, "Name"), h("th", {}, "Type"), h("th", {}, "Value")),
          ...vars.map((v) => h("tr", {}, h("td", { class: "mono" }, v.name), h("td", {}, v.type),
            h("td", {}, v.value === null ? "" : typeof v.value === "object" ? JSON.stringify(v.value) : String(v.value))))))));
  await diagram(box, inst.processDefinitionId, { highlight: passed.map((a) => a.activityId) });
}

async function instanceView(id) {
  const main = viewRoot();
  let inst;
  try {
    inst = await get(`/process-instance/${enc(id)}`);
  } catch (e) {
    if (e instanceof Unauthorized) throw e;
    // Not running (any more): what history knows of it, if still wanted.
    return main.isConnected ? historicInstanceView(id) : undefined;
  }
  const tree = await get(`/process-instance/${enc(id)}/activity-instances`);
  const passed = await get(`/history/activity-instance?processInstanceId=${enc(id)}&finished=true`)
    .catch(() => []);
  const box = h("div", { class: "diagram", id: "diagram" });
  const vars = h("table", { id: "variables" });
  const incidents = h("table", { id: "incidents" });
  const called = await get(`/process-instance?superProcessInstance=${enc(id)}&maxResults=50`);
  const calling = await get(`/process-instance?subProcessInstance=${enc(id)}`);
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
    h("div", { class: "toolbar", id: "relations" },
      h("span", {}, "Called by: ", instanceLinks(calling)),
      h("span", {}, "Calls: ", instanceLinks(called))),
    box,
    h("div", { class: "grid" },
      h("div", {}, h("h2", {}, "Variables"), vars),
      h("div", {}, h("h2", {}, "Incidents"), incidents,
        h("h2", {}, "Activity tree"), activityTree(tree))));
  const viewer = await diagram(box, inst.definitionId, {
    badges: tokensOf(tree),
    highlight: passed.map((a) => a.activityId),
  });
  let first = true;
  const update = async () => {
    if (!first) {
      const now = await get(`/process-instance/${enc(id)}/activity-instances`)
        .catch((e) => { if (e instanceof Unauthorized) throw e; return null; });
      if (!now) { stopRefresh(); return historicInstanceView(id); } // it ended
      setBadges(viewer, tokensOf(now));
      document.getElementById("activity-tree")?.replaceWith(activityTree(now));
    }
    first = false;
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
  keepFresh(update, main);
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

// ---------------------------------------------------------------------------
// Forms: Camunda Forms (form-js) and generated `camunda:formData` forms, which
// the engine renders as HTML (`…/rendered-form`) and which are read here into a
// form-js schema, so that both show, validate and submit through one renderer.

/** "850 ms", "3.2 s", "4 min 5 s", "2 h 3 min", "3 d 4 h". */
function fmtDuration(ms) {
  if (ms === null || ms === undefined) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return `${hours} h ${m % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** A value the way the REST API wants it typed, from its JavaScript type. */
function inferred(value) {
  if (value === null || value === undefined || value === "") return { value: null, type: "Null" };
  if (typeof value === "boolean") return { value, type: "Boolean" };
  if (typeof value === "number") return { value, type: Number.isInteger(value) ? "Long" : "Double" };
  if (typeof value === "object") return { value: JSON.stringify(value), type: "Json" };
  return { value: String(value), type: "String" };
}

/** A form-js schema from a generated form's HTML (Camunda's `HtmlFormEngine`
 *  markup), and each field's variable type. The HTML is parsed, never shown. */
function schemaFromRendered(html) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  const components = [];
  const types = {};
  let businessKey = null;
  for (const group of doc.querySelectorAll(".form-group")) {
    const control = group.querySelector("select, input");
    if (!control) continue;
    const name = control.getAttribute("name");
    const label = group.querySelector("label")?.textContent || name;
    const num = (a) => (control.hasAttribute(a) ? Number(control.getAttribute(a)) : undefined);
    const validate = {};
    if (control.hasAttribute("required")) validate.required = true;
    if (num("minlength") !== undefined) validate.minLength = num("minlength");
    if (num("maxlength") !== undefined) validate.maxLength = num("maxlength");
    if (num("min") !== undefined) validate.min = num("min");
    if (num("max") !== undefined) validate.max = num("max");
    const type = control.getAttribute("cam-variable-type");
    const c = { id: `Field_${components.length}`, key: name, label, validate,
      readonly: control.hasAttribute("readonly") || undefined };
    if (control.hasAttribute("cam-business-key")) businessKey = name;
    if (control.tagName === "SELECT") {
      // A few choices show at once; more go in a drop-down.
      c.type = control.querySelectorAll("option").length <= 5 ? "radio" : "select";
      c.values = [...control.querySelectorAll("option")].map((o) => ({ value: o.value, label: o.textContent || o.value }));
    } else if (control.getAttribute("type") === "checkbox") {
      c.type = "checkbox";
    } else if (type === "Long") {
      c.type = "number";
      c.decimalDigits = 0;
    } else {
      c.type = "textfield";
      const pattern = control.getAttribute("datepicker-popup");
      if (pattern) c.description = `A date as ${pattern}`;
    }
    types[name] = type;
    components.push(c);
  }
  return { schema: { type: "default", id: "generated", schemaVersion: 16, components }, types, businessKey };
}

/**
 * Shows the form `info` (a FormDto of `…/form` or `…/startForm`) in `box`: a
 * Camunda Form from `deployedPath`, a generated form from `renderedPath`, and
 * answers a function that validates it and returns the variables to submit
 * (null when the form shows errors), or null when there is no form to show.
 */
async function showForm(box, info, { deployedPath, renderedPath, variablesPath }) {
  const key = info.key || "";
  let schema;
  let types = {};
  let businessKey = null;
  if (info.camundaFormRef || key.startsWith("camunda-forms:")) {
    schema = await get(deployedPath);
  } else if (key.startsWith("embedded:engine://")) {
    ({ schema, types, businessKey } = schemaFromRendered(await get(renderedPath)));
  } else if (key) {
    box.replaceChildren(h("p", { class: "muted" },
      `This form (${key}) belongs to another application; the console cannot show it.`));
    return null;
  } else {
    return null;
  }
  const values = await get(variablesPath);
  const data = {};
  for (const [name, v] of Object.entries(values)) if (v.value !== null) data[name] = v.value;
  box.replaceChildren();
  // Without debouncing, what was typed is in the form's data at once, so a
  // click on Submit right after typing submits it.
  const form = await FormViewer.createForm({ container: box, schema, data, debounce: false });
  return () => {
    const { data: filled, errors } = form.submit();
    // Valid fields may be there with no errors; groups nest.
    const failing = (e) => (Array.isArray(e) ? e.length > 0 : e && typeof e === "object" ? Object.values(e).some(failing) : false);
    if (failing(errors)) return null;
    const variables = {};
    let key = null;
    for (const [name, value] of Object.entries(filled)) {
      if (name === businessKey) { key = value || null; continue; }
      const type = types[name];
      if (type === "Long") variables[name] = { value: value === "" || value === undefined ? null : Number(value), type };
      else if (type === "Boolean") variables[name] = { value: Boolean(value), type };
      else if (type === "String") variables[name] = { value: value ?? null, type };
      else variables[name] = inferred(value);
    }
    return { variables, businessKey: key };
  };
}

/** The error of a refused submission, shown where the form is. */
function formError(where, e) {
  if (e instanceof Unauthorized) return showLogin();
  where.replaceChildren(h("div", { class: "error", role: "alert" }, e.message));
}

async function taskView(id) {
  const main = viewRoot();
  const me = sessionStorage.getItem(LOGIN_KEY + ".user");
  const task = await get(`/task/${enc(id)}`);
  const box = h("div", { class: "form-box", id: "task-form" });
  const message = h("div", { id: "task-message" });
  const delegateTo = h("input", { id: "delegate-user", placeholder: "user id", "aria-label": "delegate to" });
  const act = (path, body) => api("POST", `/task/${enc(id)}/${path}`, body).then(() => taskView(id)).catch((e) => formError(message, e));
  main.replaceChildren(
    h("h1", {}, task.name || task.taskDefinitionKey),
    h("div", { class: "toolbar" },
      h("span", {}, "Assignee: ", task.assignee || h("span", { class: "muted" }, "nobody")),
      task.owner ? h("span", {}, `Owner: ${task.owner}`) : null,
      task.delegationState ? h("span", { class: "muted" }, task.delegationState.toLowerCase()) : null,
      h("span", { class: "muted" }, `created ${fmtDate(task.created)}`),
      task.processInstanceId ? h("a", { href: `#/instance/${enc(task.processInstanceId)}` }, "its instance") : null),
    h("div", { class: "toolbar" },
      me && !task.assignee ? h("button", { id: "claim", onclick: () => act("claim", { userId: me }) }, "Claim") : null,
      me && task.assignee === me ? h("button", { class: "plain", id: "unclaim", onclick: () => act("unclaim") }, "Unclaim") : null,
      delegateTo,
      h("button", { class: "plain", id: "delegate", onclick: () => delegateTo.value && act("delegate", { userId: delegateTo.value }) }, "Delegate")),
    message, box);
  const collect = await showForm(box, await get(`/task/${enc(id)}/form`), {
    deployedPath: `/task/${enc(id)}/deployed-form`,
    renderedPath: `/task/${enc(id)}/rendered-form`,
    variablesPath: `/task/${enc(id)}/form-variables`,
  });
  if (!collect && !box.childElementCount) box.append(h("p", { class: "muted" }, "This task has no form."));
  box.after(h("div", { class: "toolbar" },
    h("button", { id: "submit-task", onclick: async () => {
      const submission = collect ? collect() : { variables: {} };
      if (!submission) return;
      try {
        await api("POST", `/task/${enc(id)}/submit-form`, { variables: submission.variables });
        location.hash = "#/tasks";
      } catch (e) { formError(message, e); }
    } }, collect ? "Submit" : "Complete")));
}

async function startView(definitionId) {
  const main = viewRoot();
  const def = await get(`/process-definition/${enc(definitionId)}`);
  const box = h("div", { class: "form-box", id: "start-form" });
  const message = h("div", { id: "start-message" });
  const key = h("input", { id: "start-business-key", placeholder: "business key (optional)" });
  main.replaceChildren(h("h1", {}, `Start ${def.name || def.key}`), message, box);
  const info = await get(`/process-definition/${enc(definitionId)}/startForm`).catch(() => ({}));
  const collect = await showForm(box, info, {
    deployedPath: `/process-definition/${enc(definitionId)}/deployed-start-form`,
    renderedPath: `/process-definition/${enc(definitionId)}/rendered-form`,
    variablesPath: `/process-definition/${enc(definitionId)}/form-variables`,
  });
  if (!collect) box.append(h("div", { class: "toolbar" }, key));
  box.after(h("div", { class: "toolbar" },
    h("button", { id: "submit-start", onclick: async () => {
      const submission = collect ? collect() : { variables: {}, businessKey: key.value || null };
      if (!submission) return;
      try {
        const started = await api("POST", `/process-definition/${enc(definitionId)}/${collect ? "submit-form" : "start"}`,
          { variables: submission.variables, businessKey: submission.businessKey });
        location.hash = `#/instance/${enc(started.id)}`;
      } catch (e) { formError(message, e); }
    } }, "Start")));
}

/** `name op value` of the variable search box, as a REST variable filter:
 *  `amount > 100`, `status = open`, `name like Ac%`. Numbers, true and false
 *  are typed; quote a value to keep it text. */
function variableFilter(text) {
  const m = text.trim().match(/^([^\s=!<>]+)\s*(=|!=|>=|<=|>|<|like)\s*(.*)$/i);
  if (!m) throw new Error(`Write a variable condition as: name = value (or !=, >, >=, <, <=, like): ${text}`);
  const ops = { "=": "eq", "!=": "neq", ">": "gt", ">=": "gteq", "<": "lt", "<=": "lteq", like: "like" };
  let value = m[3].trim();
  if (/^".*"$/.test(value)) value = value.slice(1, -1);
  else if (value === "true" || value === "false") value = value === "true";
  else if (value !== "" && !Number.isNaN(Number(value))) value = Number(value);
  return { name: m[1], operator: ops[m[2].toLowerCase()], value };
}

async function instancesView() {
  const main = viewRoot();
  const defs = await get("/process-definition?latestVersion=true&sortBy=key&sortOrder=asc");
  const key = h("input", { placeholder: "business key", id: "search-key" });
  const variable = h("input", { placeholder: "variable: amount > 100", id: "search-variable" });
  const process = h("select", { id: "search-process" }, h("option", { value: "" }, "any process"),
    ...defs.map((d) => h("option", { value: d.key }, d.name || d.key)));
  const state = h("select", { id: "search-state" },
    h("option", { value: "" }, "any state"), h("option", { value: "active" }, "active"),
    h("option", { value: "suspended" }, "suspended"), h("option", { value: "incidents" }, "with incidents"));
  const table = h("table", { id: "instance-search" });
  const search = async () => {
    const body = {};
    if (key.value) body.businessKey = key.value;
    if (process.value) body.processDefinitionKey = process.value;
    if (variable.value) body.variables = variable.value.split(/\s+and\s+/i).map(variableFilter);
    if (state.value === "active") body.active = true;
    if (state.value === "suspended") body.suspended = true;
    if (state.value === "incidents") body.withIncident = true;
    const list = await api("POST", "/process-instance?maxResults=200", body);
    table.replaceChildren(
      h("tr", {}, h("th", {}, "Instance"), h("th", {}, "Process"), h("th", {}, "Business key"), h("th", {}, "State")),
      ...list.map((i) => h("tr", {},
        h("td", { class: "mono" }, h("a", { href: `#/instance/${enc(i.id)}` }, i.id)),
        h("td", { class: "mono" }, i.definitionId.split(":")[0]),
        h("td", {}, i.businessKey || ""),
        h("td", {}, i.suspended ? "suspended" : "running"))));
    if (!list.length) table.replaceChildren(h("tr", {}, h("td", {}, "No running instance matches.")));
  };
  main.replaceChildren(h("h1", {}, "Instances"),
    h("form", { class: "toolbar", onsubmit: (e) => {
      e.preventDefault();
      search().catch((err) => (err instanceof Unauthorized ? showLogin()
        : table.replaceChildren(h("tr", {}, h("td", { class: "bad", role: "alert" }, err.message)))));
    } },
      key, variable, process, state, h("button", { type: "submit", id: "search" }, "Search")), table);
  await search();
}

async function incidentsView() {
  const main = viewRoot();
  const table = h("table", { id: "incident-list" });
  const process = h("select", { id: "incident-process" }, h("option", { value: "" }, "every process"));
  const type = h("select", { id: "incident-type" }, h("option", { value: "" }, "every type"));
  const summary = h("span", { class: "muted", id: "incident-summary" });
  const chosen = new Set();
  let shown = [];
  const retryMany = async (list) => {
    for (const i of list) await retry(i);
    chosen.clear();
    await update();
  };
  /** Keeps a select's options in step with the values seen, keeping the choice. */
  const options = (select, values) => {
    const current = select.value;
    select.replaceChildren(select.firstChild, ...[...values].sort().map((v) => h("option", { value: v }, v)));
    select.value = values.has(current) ? current : "";
  };
  const update = async () => {
    const all = await get("/incident?sortBy=incidentTimestamp&sortOrder=desc");
    const keyOf = (i) => i.processDefinitionId.split(":")[0];
    options(process, new Set(all.map(keyOf)));
    options(type, new Set(all.map((i) => i.incidentType)));
    shown = all.filter((i) => (!process.value || keyOf(i) === process.value) && (!type.value || i.incidentType === type.value));
    const counts = new Map();
    for (const i of all) counts.set(`${keyOf(i)} · ${i.incidentType}`, (counts.get(`${keyOf(i)} · ${i.incidentType}`) || 0) + 1);
    summary.textContent = [...counts].map(([k, n]) => `${k}: ${n}`).join("; ");
    table.replaceChildren(
      h("tr", {}, h("th", {}, ""), h("th", {}, "When"), h("th", {}, "Process"), h("th", {}, "Activity"),
        h("th", {}, "Type"), h("th", {}, "Message"), h("th", {}, "")),
      ...shown.map((i) => h("tr", {},
        h("td", {}, h("input", { type: "checkbox", "aria-label": `choose ${i.id}`, checked: chosen.has(i.id),
          onchange: (e) => (e.target.checked ? chosen.add(i.id) : chosen.delete(i.id)) })),
        h("td", {}, fmtDate(i.incidentTimestamp)),
        h("td", { class: "mono" }, h("a", { href: `#/instance/${enc(i.processInstanceId)}` }, keyOf(i))),
        h("td", { class: "mono" }, i.activityId), h("td", {}, i.incidentType),
        h("td", { class: "bad" }, i.incidentMessage || ""),
        h("td", {}, h("button", { class: "plain", onclick: () => retry(i).then(update).catch(showError) }, "Retry")))));
    if (!shown.length) table.replaceChildren(h("tr", {}, h("td", {}, "No open incidents.")));
  };
  process.addEventListener("change", () => update().catch(showError));
  type.addEventListener("change", () => update().catch(showError));
  main.replaceChildren(h("h1", {}, "Open incidents"),
    h("div", { class: "toolbar" }, process, type,
      h("button", { id: "retry-chosen", onclick: () => retryMany(shown.filter((i) => chosen.has(i.id))).catch(showError) }, "Retry chosen"),
      h("button", { id: "retry-shown", class: "plain", onclick: () => retryMany(shown).catch(showError) }, "Retry all shown"),
      summary),
    table);
  await update();
  keepFresh(update, main);
}

async function tasksView() {
  const main = viewRoot();
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
        h("td", {}, h("a", { href: `#/task/${enc(t.id)}` }, t.name || t.taskDefinitionKey)),
        h("td", {}, t.assignee || h("span", { class: "muted" }, "nobody")),
        h("td", {}, fmtDate(t.created)),
        h("td", {},
          me && !t.assignee ? h("button", { class: "plain", onclick: () => api("POST", `/task/${enc(t.id)}/claim`, { userId: me }).then(update).catch(showError) }, "Claim") : null,
          me && t.assignee === me ? h("button", { class: "plain", onclick: () => api("POST", `/task/${enc(t.id)}/unclaim`).then(update).catch(showError) }, "Unclaim") : null,
          " ",
          h("a", { class: "button", href: `#/task/${enc(t.id)}` }, "Open")))));
    if (!list.length) table.replaceChildren(h("tr", {}, h("td", {}, "No tasks here.")));
  };
  which.addEventListener("change", () => update().catch(showError));
  main.replaceChildren(h("h1", {}, "Tasks"), h("div", { class: "toolbar" }, which), table);
  await update();
  keepFresh(update, main);
}

async function deploymentsView() {
  const main = viewRoot();
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
// History: finished instances with their durations, and how long each activity
// takes, drawn.

/** The q-quantile of sorted numbers (nearest rank). */
function quantile(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** How many finished activity instances the per-activity picture reads. */
const DURATION_SAMPLE = 5000;

/** One row per activity: a bar to the 90th percentile, a paler one on to the
 *  99th, a tick at the median, on one scale for all rows. */
function durationChart(rows) {
  const NS = "http://www.w3.org/2000/svg";
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const ROW = 30, LEFT = 220, RIGHT = 330, WIDTH = 1100;
  const svg = el("svg", { id: "duration-chart", viewBox: `0 0 ${WIDTH} ${rows.length * ROW + 30}`, width: "100%", role: "img",
    "aria-label": "How long each activity takes" });
  const top = Math.max(1, ...rows.map((r) => r.p99));
  const x = (ms) => LEFT + (ms / top) * (WIDTH - LEFT - RIGHT);
  rows.forEach((r, i) => {
    const y = i * ROW + 8;
    const g = el("g", { class: "duration-row", "data-activity": r.activityId });
    g.append(el("text", { x: 0, y: y + 14, class: "chart-label" }, r.name));
    g.append(el("rect", { x: LEFT, y, width: Math.max(1, x(r.p99) - LEFT), height: 18, class: "chart-p99" }));
    g.append(el("rect", { x: LEFT, y, width: Math.max(1, x(r.p90) - LEFT), height: 18, class: "chart-p90" }));
    g.append(el("rect", { x: x(r.p50) - 1, y: y - 3, width: 3, height: 24, class: "chart-p50" }));
    g.append(el("text", { x: WIDTH - RIGHT + 12, y: y + 14, class: "chart-figures" },
      `median ${fmtDuration(r.p50)} · p90 ${fmtDuration(r.p90)} · p99 ${fmtDuration(r.p99)} · ${r.count}×`));
    svg.append(g);
  });
  svg.append(el("text", { x: LEFT, y: rows.length * ROW + 24, class: "chart-axis" }, "0"));
  svg.append(el("text", { x: WIDTH - RIGHT, y: rows.length * ROW + 24, class: "chart-axis", "text-anchor": "end" }, fmtDuration(top)));
  return svg;
}

async function historyView() {
  const main = viewRoot();
  const defs = await get("/process-definition?latestVersion=true&sortBy=key&sortOrder=asc");
  const which = h("select", { id: "history-process" },
    h("option", { value: "" }, "All processes"),
    ...defs.map((d) => h("option", { value: d.key }, d.name || d.key)));
  const summary = h("p", { class: "muted", id: "history-summary" });
  const chartBox = h("div", { id: "activity-durations" });
  const table = h("table", { id: "history-list" });
  const update = async () => {
    const key = which.value;
    const q = key ? `processDefinitionKey=${enc(key)}&` : "";
    const list = await get(`/history/process-instance?${q}finished=true&sortBy=endTime&sortOrder=desc&maxResults=100`);
    const count = await get(`/history/process-instance/count?${q}finished=true`);
    const sorted = list.map((i) => i.durationInMillis).filter((d) => d !== null).sort((a, b) => a - b);
    summary.textContent = list.length
      ? `${count.count} finished; of the last ${list.length}: median ${fmtDuration(quantile(sorted, 0.5))}, p90 ${fmtDuration(quantile(sorted, 0.9))}, longest ${fmtDuration(sorted[sorted.length - 1])}.`
      : "No finished instances yet.";
    table.replaceChildren(
      h("tr", {}, h("th", {}, "Instance"), h("th", {}, "Process"), h("th", {}, "Business key"),
        h("th", {}, "Ended"), h("th", {}, "State"), h("th", { class: "num" }, "Duration")),
      ...list.map((i) => h("tr", {},
        h("td", { class: "mono" }, h("a", { href: `#/instance/${enc(i.id)}` }, i.id)),
        h("td", { class: "mono" }, i.processDefinitionKey),
        h("td", {}, i.businessKey || ""),
        h("td", {}, fmtDate(i.endTime)),
        h("td", { class: i.state === "COMPLETED" ? "" : "bad" }, i.state.toLowerCase().replace(/_/g, " ")),
        h("td", { class: "num" }, fmtDuration(i.durationInMillis)))));
    if (!key) {
      chartBox.replaceChildren(h("p", { class: "muted" }, "Choose a process to see how long each of its activities takes."));
      return;
    }
    const acts = await get(`/history/activity-instance?processDefinitionKey=${enc(key)}&finished=true&sortBy=endTime&sortOrder=desc&maxResults=${DURATION_SAMPLE}`);
    const by = new Map();
    for (const a of acts) {
      if (a.durationInMillis === null || /gateway|startevent|endevent/i.test(a.activityType)) continue;
      const r = by.get(a.activityId) || { activityId: a.activityId, name: a.activityName || a.activityId, d: [] };
      r.d.push(a.durationInMillis);
      by.set(a.activityId, r);
    }
    const rows = [...by.values()].map((r) => {
      r.d.sort((a, b) => a - b);
      return { ...r, count: r.d.length, p50: quantile(r.d, 0.5), p90: quantile(r.d, 0.9), p99: quantile(r.d, 0.99) };
    }).sort((a, b) => b.p90 - a.p90);
    chartBox.replaceChildren(
      h("h2", {}, "How long each activity takes ",
        h("span", { class: "muted" }, `(the last ${acts.length} finished activity instances)`)),
      rows.length ? durationChart(rows) : h("p", { class: "muted" }, "No finished activities yet."));
  };
  which.addEventListener("change", () => update().catch(showError));
  main.replaceChildren(h("h1", {}, "History"), h("div", { class: "toolbar" }, which), summary, chartBox,
    h("h2", {}, "Finished instances"), table);
  await update();
  keepFresh(update, main);
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
  [/^#\/task\/(.+)$/, taskView],
  [/^#\/start\/(.+)$/, startView],
  [/^#\/history$/, historyView],
];

/** Counts the views opened, so that a late failure knows it is stale. */
let routeToken = 0;

async function route() {
  stopRefresh();
  const hash = location.hash || "#/processes";
  for (const a of document.querySelectorAll("header nav a")) {
    a.classList.toggle("active", hash.startsWith(`#/${a.dataset.view}`));
  }
  const user = sessionStorage.getItem(LOGIN_KEY + ".user");
  document.getElementById("who").replaceChildren(
    user ? h("span", {}, `${user} · `, h("a", { href: "#", onclick: (e) => { e.preventDefault(); logout(); } }, "log out")) : "");
  const token = ++routeToken;
  for (const [pattern, view] of routes) {
    const m = hash.match(pattern);
    if (m) {
      try {
        await view(...m.slice(1).map(decodeURIComponent));
      } catch (e) {
        // A view left before it failed says nothing over the next one.
        if (token === routeToken) showError(e);
      }
      return;
    }
  }
  location.hash = "#/processes";
}

window.addEventListener("hashchange", route);
route();
