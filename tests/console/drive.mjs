// Drives Baton's console in headless Chromium (playwright-core), as a person
// would: log in, find the process, look at its diagram and badges, open an
// instance, edit a variable, retry an incident, upload a model, claim and
// delegate a task, start a process through its start form, fill and submit a
// generated task form and a Camunda Form, look at the history's durations,
// search instances by a variable, retry the incidents left at once.
// tests/console.rs prepares the data, runs this script, and checks through
// the REST API that every action happened.
//
// Environment: BATON_APP (the console's URL, http://127.0.0.1:PORT/app),
// BATON_USER, BATON_PASSWORD, BATON_NODE_MODULES, BATON_CHROMIUM,
// BATON_SCREENSHOTS (a folder), BATON_INSTANCE (the instance to open),
// BATON_UPLOAD (a .bpmn file to upload). Prints `RESULT <json>`.

import { join } from "node:path";
import { pathToFileURL } from "node:url";

const { chromium } = await import(
  pathToFileURL(join(process.env.BATON_NODE_MODULES, "playwright-core", "index.mjs")).href
);

const APP = process.env.BATON_APP;
const API = APP.replace(/\/app$/, "/engine-rest");

/** A REST call as the console's user, for what happens outside the page. */
async function rest(method, path, body) {
  const auth = Buffer.from(`${process.env.BATON_USER}:${process.env.BATON_PASSWORD}`).toString("base64");
  const res = await fetch(API + path, {
    method,
    headers: { Authorization: `Basic ${auth}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) fail(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}
const shots = process.env.BATON_SCREENSHOTS;
const result = { timings: {} };

function fail(message) {
  console.log(`FAIL: ${message}`);
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath: process.env.BATON_CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.setDefaultTimeout(15000);

try {
  // Log in.
  await page.goto(APP);
  await page.fill("#login-user", process.env.BATON_USER);
  await page.fill("#login-password", process.env.BATON_PASSWORD);
  await page.click("form.login button");

  // The processes view: the model with its running instances and incidents.
  const row = page.locator("main table tr", { hasText: "console_order" });
  await row.waitFor();
  result.processRow = (await row.innerText()).split("\t").map((s) => s.trim());
  result.timings.processesFirstPaintMs = await page.evaluate(
    () => performance.getEntriesByType("paint").find((p) => p.name === "first-contentful-paint")?.startTime ?? null,
  );
  await page.screenshot({ path: join(shots, "processes.png") });

  // The process view: diagram, badges, the bpmn.io watermark.
  await row.locator("a").first().click();
  await page.locator("#diagram svg").first().waitFor();
  await page.locator("#diagram .badge").first().waitFor();
  result.badges = await page.locator("#diagram .badge").allInnerTexts();
  const mark = page.locator("#diagram .bjs-powered-by");
  result.watermarkVisible = await mark.isVisible();
  await page.screenshot({ path: join(shots, "process.png") });

  // Live: an instance started elsewhere shows on the open diagram, no reload.
  await rest("POST", "/process-definition/key/console_order/start", {});
  await page.locator("#diagram .badge:not(.incident)", { hasText: "3" }).waitFor();
  result.liveBadges = await page.locator("#diagram .badge").allInnerTexts();

  // Called and calling instances link to each other.
  const parent = await rest("POST", "/process-definition/key/console_parent/start", {});
  result.parentInstance = parent.id;
  await page.goto(`${APP}#/instance/${parent.id}`);
  await page.locator("#relations a").first().click();
  await page.waitForURL((url) => !url.hash.includes(parent.id));
  result.calledInstance = decodeURIComponent(page.url().split("#/instance/")[1]);
  await page.locator("#relations a", { hasText: parent.id }).waitFor();

  // The instance: edit a variable, retry its incident.
  await page.goto(`${APP}#/instance/${process.env.BATON_INSTANCE}`);
  await page.locator("#variables tr", { hasText: "amount" }).waitFor();
  const amount = page.locator("#variables tr", { hasText: "amount" });
  await amount.locator("input").fill("42");
  await amount.locator("button").click();
  await page.waitForFunction(() =>
    [...document.querySelectorAll("#variables tr")].some(
      (tr) => tr.textContent.includes("amount") && tr.querySelector("input")?.value === "42",
    ),
  );
  await page.screenshot({ path: join(shots, "instance.png") });
  const retry = page.locator("#incidents button", { hasText: "Retry" });
  await retry.first().click();
  await page.locator("#incidents tr").first().waitFor();

  // Upload a model.
  await page.goto(`${APP}#/deployments`);
  await page.locator("#deployment-list tr").first().waitFor();
  await page.setInputFiles("#upload", process.env.BATON_UPLOAD);
  await page.locator("main", { hasText: "Deployed" }).waitFor();
  await page.screenshot({ path: join(shots, "deployments.png") });

  // Claim a task.
  await page.goto(`${APP}#/tasks`);
  await page.selectOption("#task-filter", "groups");
  const claim = page.locator("#task-list button", { hasText: "Claim" }).first();
  await claim.waitFor();
  await claim.click();
  await page.selectOption("#task-filter", "mine");
  await page.locator("#task-list button", { hasText: "Unclaim" }).first().waitFor();
  await page.screenshot({ path: join(shots, "tasks.png") });

  // Delegate the claimed task to bob.
  await page.locator("#task-list a", { hasText: "Approve" }).first().click();
  await page.locator("#delegate-user").fill("bob");
  await page.click("#delegate");
  await page.locator("main", { hasText: "Assignee: bob" }).waitFor();

  // Start a review from the processes view, through its generated start form:
  // an empty form is refused in the page, a filled one starts the instance.
  await page.goto(`${APP}#/processes`);
  await page.locator("main table tr", { hasText: "console_review" }).locator("a", { hasText: "Start" }).click();
  await page.getByLabel("Reference").waitFor();
  await page.click("#submit-start");
  await page.locator("#start-form .fjs-form-field-error").first().waitFor();
  result.validationShown = true;
  await page.screenshot({ path: join(shots, "start-form.png") });
  await page.getByLabel("Reference").fill("REV-1");
  await page.getByLabel("Amount").fill("250");
  await page.getByLabel("Express").check();
  await page.click("#submit-start");
  await page.waitForURL(/#\/instance\//);
  result.reviewInstance = decodeURIComponent(page.url().split("#/instance/")[1]);

  // The review task's generated form: claim, fill, submit.
  await page.goto(`${APP}#/tasks`);
  await page.selectOption("#task-filter", "groups");
  await page.locator("#task-list a", { hasText: "Review" }).first().click();
  await page.click("#claim");
  await page.getByLabel("Comment").waitFor();
  await page.getByLabel("Approve").check();
  await page.getByLabel("Comment").fill("looks right");
  await page.screenshot({ path: join(shots, "task-form.png") });
  await page.click("#submit-task");
  await page.waitForURL(/#\/tasks$/);

  // The archive task's Camunda Form (form-js, deployed beside the model).
  await page.selectOption("#task-filter", "mine");
  await page.locator("#task-list a", { hasText: "Archive" }).first().click();
  await page.getByLabel("Shelf").fill("B-7");
  await page.click("#submit-task");
  await page.waitForURL(/#\/tasks$/);

  // History: the finished review and how long its activities took.
  await page.goto(`${APP}#/history`);
  await page.selectOption("#history-process", "console_review");
  await page.locator("#duration-chart .duration-row").first().waitFor();
  result.durationRows = await page.locator("#duration-chart .duration-row").count();
  await page.screenshot({ path: join(shots, "history.png") });
  await page.locator("#history-list a").first().click();
  await page.locator("main h1", { hasText: "completed" }).waitFor();
  await page.screenshot({ path: join(shots, "finished-instance.png") });

  // Search running instances by a variable.
  await page.goto(`${APP}#/instances`);
  await page.fill("#search-variable", "amount = 42");
  await page.click("#search");
  await page.waitForFunction(() => document.querySelectorAll("#instance-search tr").length === 2);
  result.found = await page.locator("#instance-search td.mono a").allInnerTexts();
  await page.screenshot({ path: join(shots, "instances.png") });

  // Incidents: the other one is left; retry everything shown.
  await page.goto(`${APP}#/incidents`);
  await page.locator("#incident-list td", { hasText: "card declined" }).first().waitFor();
  await page.screenshot({ path: join(shots, "incidents.png") });
  await page.click("#retry-shown");
  await page.locator("#incident-list", { hasText: "No open incidents." }).waitFor();
} catch (e) {
  await page.screenshot({ path: join(shots, "failure.png") }).catch(() => {});
  fail(`${e.stack ?? e}\npage errors: ${errors.join("\n")}`);
}
if (errors.length) fail(`page errors: ${errors.join("\n")}`);
await browser.close();
console.log(`RESULT ${JSON.stringify(result)}`);
