// The JavaScript client's order example, run the way the example runs it, against
// Baton, on a model that does what the example's does (tests/clients/examples/
// order.bpmn): a timer start event `R10/PT5S` (a timeDuration: it waits five
// seconds and fires once, as in Camunda) starts an order; the invoiceCreator
// worker completes its task with a `File` variable (loaded from disk) and a date,
// once into the process scope and once as local variables, as the example does on
// even and odd minutes; the conditional boundary `${date != null}` on the
// subprocess then interrupts it before the task leaves, and the order ends at
// "Stored".
//
// The client is configured as in the example (usePriority false, sorting by
// create time, descending), with a shorter long poll. The engine runs on the
// manual clock, which this script moves by five seconds for each order; each order
// comes from a new deployment of the model, which schedules its own timer.
//
// Environment: BATON_URL, BATON_NODE_MODULES. Prints `RESULT <json>` with the
// instance ids.

import { join, dirname } from "node:path";
import { readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

const BASE = process.env.BATON_URL;
const DEADLINE =
  Date.now() + 1000 * Number(process.env.BATON_SCRIPT_DEADLINE ?? "45");
const HERE = dirname(fileURLToPath(import.meta.url));

const { Client, logger, Variables, File } = await import(
  pathToFileURL(
    join(process.env.BATON_NODE_MODULES, "camunda-external-task-client-js", "index.js"),
  ).href
);

function fail(message) {
  console.log(`FAIL: ${message}`);
  process.exit(1);
}

async function call(method, path, body) {
  const response = await fetch(BASE + path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) {
    fail(`${method} ${path} answered ${response.status}: ${text}`);
  }
  return JSON.parse(text);
}

async function waitFor(what, check) {
  while (Date.now() < DEADLINE) {
    const value = await check();
    if (value) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  fail(`timed out waiting for ${what}`);
}

// Deploy as Camunda Modeler does (each deployment a new version, which schedules
// its own timer).
async function deploy() {
  const form = new FormData();
  form.append("deployment-name", "order");
  form.append(
    "order.bpmn",
    new Blob([await readFile(join(HERE, "..", "examples", "order.bpmn"))]),
    "order.bpmn",
  );
  const deployed = await fetch(`${BASE}/deployment/create`, { method: "POST", body: form });
  if (deployed.status !== 200) {
    fail(`deployment answered ${deployed.status}: ${await deployed.text()}`);
  }
}

const client = new Client({
  baseUrl: BASE,
  use: logger,
  usePriority: false,
  sorting: [{ sortBy: Client.SortBy.CreateTime, sortOrder: Client.SortOrder.DESC }],
  asyncResponseTimeout: 2000,
  interval: 50,
});
for (const event of ["poll:error", "complete:error", "handler:error"]) {
  client.on(event, (...args) => console.log(`${event}:`, ...args));
}

let completed = 0;
client.subscribe("invoiceCreator", async function ({ task, taskService }) {
  const date = new Date();
  const invoice = await new File({ localPath: join(HERE, "invoice.txt") }).load();
  const variables = new Variables().setAll({ invoice, date });
  if (completed % 2 === 0) {
    // As the example on even minutes: into the process scope.
    await taskService.complete(task, variables);
  } else {
    // As on odd minutes: local to the task.
    await taskService.complete(task, null, variables);
  }
  completed += 1;
});

const orders = [];
for (const n of [1, 2]) {
  await deploy();
  // A timeDuration `R10/PT5S` waits five seconds and fires once, as in Camunda.
  const moved = await call("POST", "/baton/clock", { offset: "PT5S" });
  if (moved.firedJobs !== 1) {
    fail(`the clock fired ${JSON.stringify(moved)}`);
  }
  const finished = await waitFor(`order ${n} to end`, async () => {
    const list = await call(
      "GET",
      "/history/process-instance?processDefinitionKey=Order_Process&finished=true",
    );
    return list.length === n ? list : null;
  });
  orders.push(...finished.map((i) => i.id).filter((id) => !orders.includes(id)));
}
client.stop();
console.log("RESULT " + JSON.stringify({ processScope: orders[0], local: orders[1] }));
process.exit(0);
