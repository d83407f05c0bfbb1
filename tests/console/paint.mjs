// Times the console's processes view in headless Chromium (playwright-core),
// for the console bench (benches/console.rs): each run opens the view in a new
// browser context (nothing cached) and reads, from the browser's performance
// API, the first contentful paint, the moment the processes table shows the
// row of a known definition key (a MutationObserver installed before the
// page's own scripts notes `performance.now()`), and how long the page's
// `/process-definition/statistics` request took.
//
// Environment: BATON_APP (the console's URL, http://127.0.0.1:PORT/app, served
// without authentication), BATON_KEY (a definition key the table must show),
// BATON_RUNS (how many runs), BATON_NODE_MODULES, BATON_CHROMIUM. Prints one
// `PAINT <json>` line per run, milliseconds from navigation start.

import { join } from "node:path";
import { pathToFileURL } from "node:url";

const { chromium } = await import(
  pathToFileURL(join(process.env.BATON_NODE_MODULES, "playwright-core", "index.mjs")).href
);

const APP = process.env.BATON_APP;
const KEY = process.env.BATON_KEY;
const RUNS = Number(process.env.BATON_RUNS || "5");

const browser = await chromium.launch({
  executablePath: process.env.BATON_CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});

try {
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(60000);
    await page.addInitScript((key) => {
      const seen = () => {
        if (window.__batonRows !== undefined) return;
        for (const td of document.querySelectorAll("main table td")) {
          if (td.textContent === key) {
            window.__batonRows = performance.now();
            return;
          }
        }
      };
      new MutationObserver(seen).observe(document, { childList: true, subtree: true });
    }, KEY);
    await page.goto(`${APP}#/processes`);
    await page.waitForFunction(() => window.__batonRows !== undefined);
    // The paint entry is queued after the frame is presented: wait for it.
    await page.waitForFunction(
      () => performance.getEntriesByType("paint").some((p) => p.name === "first-contentful-paint"),
    );
    const figures = await page.evaluate(() => {
      const fcp = performance.getEntriesByType("paint").find((p) => p.name === "first-contentful-paint");
      const stats = performance
        .getEntriesByType("resource")
        .find((r) => r.name.includes("/process-definition/statistics"));
      return {
        firstContentfulPaint: fcp ? fcp.startTime : null,
        rows: window.__batonRows,
        statistics: stats ? stats.duration : null,
      };
    });
    console.log(`PAINT ${JSON.stringify(figures)}`);
    await context.close();
  }
} finally {
  await browser.close();
}
