// Drives Baton's console in headless Chromium (playwright-core), as a person
// would: log in, find the process, look at its diagram and badges, open an
// instance, edit a variable, retry an incident, upload a model, claim a task.
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
  await row.locator("a").click();
  await page.locator("#diagram svg").first().waitFor();
  await page.locator("#diagram .badge").first().waitFor();
  result.badges = await page.locator("#diagram .badge").allInnerTexts();
  const mark = page.locator("#diagram .bjs-powered-by");
  result.watermarkVisible = await mark.isVisible();
  await page.screenshot({ path: join(shots, "process.png") });

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

  // Incidents: none left open after the retry.
  await page.goto(`${APP}#/incidents`);
  await page.locator("#incident-list").waitFor();
  await page.screenshot({ path: join(shots, "incidents.png") });
} catch (e) {
  await page.screenshot({ path: join(shots, "failure.png") }).catch(() => {});
  fail(`${e.stack ?? e}\npage errors: ${errors.join("\n")}`);
}
if (errors.length) fail(`page errors: ${errors.join("\n")}`);
await browser.close();
console.log(`RESULT ${JSON.stringify(result)}`);
