// The JavaScript client, camunda-external-task-client-js (3.1.0), logging in
// to Baton with HTTP Basic credentials through its BasicAuthInterceptor, as
// its README shows.
//
// Baton runs with `--auth basic`; the worker BATON_USER / BATON_PASSWORD is
// granted READ_INSTANCE and UPDATE_INSTANCE on req_chain (see
// tests/clients.rs). The client with the right password fetches req-archive
// and completes it; a client with a wrong password sees its polls fail
// (Baton's 401) and never gets a task.
//
// Environment: BATON_URL, BATON_NODE_MODULES, BATON_USER, BATON_PASSWORD.
// Prints `RESULT <json>`.

import { join } from "node:path";
import { pathToFileURL } from "node:url";

const BASE = process.env.BATON_URL;
const DEADLINE =
  Date.now() + 1000 * Number(process.env.BATON_SCRIPT_DEADLINE ?? "45");
const clientModule = join(
  process.env.BATON_NODE_MODULES,
  "camunda-external-task-client-js",
  "index.js",
);
const { Client, BasicAuthInterceptor } = await import(
  pathToFileURL(clientModule).href
);

function fail(message) {
  console.log(`FAIL: ${message}`);
  process.exit(1);
}

function client(password) {
  return new Client({
    baseUrl: BASE,
    workerId: "js-auth-worker",
    maxTasks: 1,
    interval: 50,
    asyncResponseTimeout: 1000,
    interceptors: new BasicAuthInterceptor({
      username: process.env.BATON_USER,
      password,
    }),
  });
}

// A wrong password: every poll fails, no task arrives.
const intruder = client(`not-${process.env.BATON_PASSWORD}`);
let refused = null;
intruder.on("poll:error", (error) => {
  refused ??= String(error?.message ?? error);
});
intruder.subscribe("req-archive", async () => {
  fail("a client with a wrong password got a task");
});

const worker = client(process.env.BATON_PASSWORD);
worker.on("poll:error", (error) => fail(`poll:error: ${error?.stack ?? error}`));
worker.on("complete:error", (_task, error) =>
  fail(`complete:error: ${error?.stack ?? error}`),
);
let archived = null;
worker.subscribe("req-archive", async ({ task, taskService }) => {
  await taskService.complete(task);
  archived = task.processInstanceId;
});

while (archived === null || refused === null) {
  if (Date.now() > DEADLINE) {
    fail(`timed out: archived=${archived}, refused=${refused}`);
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}
worker.stop();
intruder.stop();
console.log(`RESULT ${JSON.stringify({ archived, refused })}`);
process.exit(0);
