// The JavaScript client, camunda-external-task-client-js (3.1.0), against
// Baton, used the way its README and examples use it.
//
// What the client does that Baton must cope with:
// - baseUrl with a trailing slash, which the client strips;
// - fetchAndLock with usePriority: true (its default) and a long poll;
// - it parses a response as JSON only when its content type is exactly
//   `application/json`; anything else comes back as a Buffer and every poll
//   fails;
// - unlock is a POST with no body and no content type; lock and extendLock
//   send JSON bodies;
// - variables typed in lowercase (`integer`, `long`, `double`, `boolean`,
//   `string`, `json` with the value as a string, `date` as
//   `yyyy-MM-ddTHH:mm:ss.SSS+0000`).
//
// Scenarios (process js_shipping):
// - js-pack: first delivery unlocks the task; the second locks it again,
//   extends the lock (checked via GET /external-task/{id}) and completes with
//   one variable of every type;
// - js-freight: completes, or reports the BPMN error NO_COURIER caught by a
//   boundary event leading to End_NoCourier;
// - js-parcel: first delivery reports a failure with retries 1 and
//   retryTimeout 0; the redelivery sees retries 1 and the error message, and
//   completes.
//
// Environment: BATON_URL, BATON_NODE_MODULES (where npm ci installed the
// client). Prints `RESULT <json>` with the instance ids.

import { join } from "node:path";
import { pathToFileURL } from "node:url";

const BASE = process.env.BATON_URL;
const DEADLINE =
  Date.now() + 1000 * Number(process.env.BATON_SCRIPT_DEADLINE ?? "45");
const WORKER = "js-worker";

const clientModule = join(
  process.env.BATON_NODE_MODULES,
  "camunda-external-task-client-js",
  "index.js",
);
const { Client, logger, Variables } = await import(
  pathToFileURL(clientModule).href
);

function fail(message) {
  console.log(`FAIL: ${message}`);
  process.exit(1);
}

function check(condition, message) {
  if (!condition) {
    fail(message);
  }
}

async function call(method, path, body, expected = 200) {
  const response = await fetch(BASE + path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  check(
    response.status === expected,
    `${method} ${path} answered ${response.status}, expected ${expected}: ${text}`,
  );
  return expected === 200 ? JSON.parse(text) : null;
}

/** Camunda's dates, `...+0000`, as a JavaScript Date. */
function camundaDate(text) {
  return new Date(text.replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
}

const packedAt = new Date(Date.UTC(2024, 2, 1, 10, 15, 30, 123));
const deliveries = { "js-pack": 0, "js-freight": 0, "js-parcel": 0 };
const seen = new Map();

function delivery(task) {
  deliveries[task.topicName] += 1;
  const count = (seen.get(task.id) ?? 0) + 1;
  seen.set(task.id, count);
  return count;
}

const client = new Client({
  baseUrl: `${BASE}/`,
  workerId: WORKER,
  maxTasks: 5,
  interval: 50,
  asyncResponseTimeout: 2000,
  lockDuration: 10000,
  use: logger,
});

for (const event of [
  "poll:error",
  "handler:error",
  "complete:error",
  "handleFailure:error",
  "handleBpmnError:error",
  "extendLock:error",
  "unlock:error",
  "lock:error",
]) {
  client.on(event, (...args) => {
    const error = args.find((a) => a instanceof Error) ?? args[0];
    fail(`${event}: ${error?.stack ?? error}`);
  });
}

client.subscribe("js-pack", async ({ task, taskService }) => {
  if (delivery(task) === 1) {
    // Give it back: the next poll must deliver it again.
    await taskService.unlock(task);
    return;
  }
  await taskService.lock(task, 30000);
  await taskService.extendLock(task, 120000);
  const locked = await call("GET", `/external-task/${task.id}`);
  check(locked.workerId === WORKER, `locked by ${locked.workerId}`);
  const remaining = camundaDate(locked.lockExpirationTime) - Date.now();
  check(
    remaining > 90000 && remaining <= 121000,
    `extendLock(120 s) left ${remaining} ms on ${locked.lockExpirationTime}`,
  );

  const items = task.variables.get("items");
  const typed = task.variables.getTyped("items");
  check(typed.type === "integer", `items arrived as ${JSON.stringify(typed)}`);
  const variables = new Variables().setAll({
    weight: items * 4,
    parcel: { items, labels: ["fragile", "this side up"] },
    packedAt,
    fragile: true,
    volume: 1.5,
    serial: 2 ** 40,
    packer: WORKER,
  });
  await taskService.complete(task, variables);
});

client.subscribe("js-freight", async ({ task, taskService }) => {
  delivery(task);
  check(
    task.variables.get("parcel").labels[0] === "fragile",
    `parcel arrived as ${JSON.stringify(task.variables.getTyped("parcel"))}`,
  );
  check(
    task.variables.get("packedAt").getTime() === packedAt.getTime(),
    `packedAt arrived as ${JSON.stringify(task.variables.getTyped("packedAt"))}`,
  );
  if (task.variables.get("destination") === "moon") {
    await taskService.handleBpmnError(
      task,
      "NO_COURIER",
      "no courier flies to the moon",
      new Variables().set("reason", "moon"),
    );
  } else {
    await taskService.complete(
      task,
      new Variables().set("trackingId", `TRK-${task.businessKey}`),
    );
  }
});

client.subscribe("js-parcel", async ({ task, taskService }) => {
  if (delivery(task) === 1) {
    await taskService.handleFailure(task, {
      errorMessage: "printer jam",
      errorDetails: "the label printer is offline",
      retries: 1,
      retryTimeout: 0,
    });
    return;
  }
  check(
    task.retries === 1 && task.errorMessage === "printer jam",
    `the redelivered task has retries ${task.retries}, errorMessage ${task.errorMessage}`,
  );
  await taskService.complete(task, new Variables().set("shippedAs", "parcel"));
});

const orders = {
  freight: { items: 5, destination: "earth" },
  moon: { items: 4, destination: "moon" },
  parcel: { items: 2, destination: "earth" },
};
const ids = {};
for (const [name, { items, destination }] of Object.entries(orders)) {
  const started = await call("POST", "/process-definition/key/js_shipping/start", {
    businessKey: `ship-${name}`,
    variables: {
      items: { value: items, type: "Integer" },
      destination: { value: destination, type: "String" },
    },
  });
  ids[name] = started.id;
}

for (const [name, id] of Object.entries(ids)) {
  for (;;) {
    const history = await call("GET", `/history/process-instance/${id}`);
    if (history.state === "COMPLETED") {
      break;
    }
    check(
      Date.now() < DEADLINE,
      `${name} (${id}) is ${history.state}; deliveries so far ${JSON.stringify(deliveries)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
client.stop();

check(
  JSON.stringify(deliveries) ===
    JSON.stringify({ "js-pack": 6, "js-freight": 2, "js-parcel": 2 }),
  `deliveries ${JSON.stringify(deliveries)}`,
);

const expectedEnds = {
  freight: "End_Freight",
  moon: "End_NoCourier",
  parcel: "End_Parcel",
};
for (const [name, id] of Object.entries(ids)) {
  const activities = await call(
    "GET",
    `/history/activity-instance?processInstanceId=${id}`,
  );
  const ends = activities
    .filter((a) => a.activityType === "noneEndEvent")
    .map((a) => a.activityId);
  check(
    JSON.stringify(ends) === JSON.stringify([expectedEnds[name]]),
    `${name} ended at ${ends}`,
  );
}

const variables = Object.fromEntries(
  (
    await call(
      "GET",
      `/history/variable-instance?processInstanceId=${ids.freight}`,
    )
  ).map((v) => [v.name, v]),
);
const expectedTypes = {
  items: ["Integer", 5],
  destination: ["String", "earth"],
  weight: ["Integer", 20],
  parcel: ["Json", JSON.stringify({ items: 5, labels: ["fragile", "this side up"] })],
  packedAt: ["Date", "2024-03-01T10:15:30.123+0000"],
  fragile: ["Boolean", true],
  volume: ["Double", 1.5],
  serial: ["Long", 2 ** 40],
  packer: ["String", WORKER],
  trackingId: ["String", "TRK-ship-freight"],
};
for (const [name, [type, value]] of Object.entries(expectedTypes)) {
  const v = variables[name];
  check(
    v !== undefined && v.type === type && JSON.stringify(v.value) === JSON.stringify(value),
    `variable ${name}: expected ${type} ${JSON.stringify(value)}, got ${JSON.stringify(v)}`,
  );
}
const moonVariables = await call(
  "GET",
  `/history/variable-instance?processInstanceId=${ids.moon}&variableName=reason`,
);
check(
  moonVariables.length === 1 && moonVariables[0].value === "moon",
  `the BPMN error's variable: ${JSON.stringify(moonVariables)}`,
);

console.log(`RESULT ${JSON.stringify(ids)}`);
process.exit(0);
