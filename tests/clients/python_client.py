"""The official Python client, camunda-external-task-client-python3 (4.5.0),
used as its README shows, against Baton.

Covers:
- EngineClient.start_process with untyped variables and a business key;
- ExternalTaskWorker(...).subscribe(topic, handler), one worker per topic, in
  daemon threads (subscribe never returns);
- task.complete({...}) with variables that drive an exclusive gateway;
- task.bpmn_error(code, message, variables) caught by an error boundary event
  that leads to a specific end event;
- task.failure(..., max_retries=1, retry_timeout=500) until retries run out
  and Baton raises an incident; the task comes back only after the timeout.

The client treats only 204 as success for complete/failure/bpmnError and
sleeps `sleepSeconds` after any error, so a Baton bug shows up as a stall:
this script waits with a deadline and then prints what it saw.

Environment: BATON_URL (the engine-rest URL). Prints `RESULT <json>` with the
instance ids on success, for tests/clients.rs to check from Rust.
"""

import json
import logging
import os
import sys
import threading
import time

import requests
from camunda.client.engine_client import EngineClient
from camunda.external_task.external_task import ExternalTask, TaskResult
from camunda.external_task.external_task_worker import ExternalTaskWorker

BASE = os.environ["BATON_URL"]
DEADLINE = time.monotonic() + float(os.environ.get("BATON_SCRIPT_DEADLINE", "45"))

logging.basicConfig(
    level=logging.INFO,
    stream=sys.stdout,
    format="%(asctime)s %(threadName)s %(levelname)s %(message)s",
)

# The README's configuration, with a shorter long poll and error sleep so a
# test run stays fast.
default_config = {
    "maxTasks": 1,
    "lockDuration": 10000,
    "asyncResponseTimeout": 5000,
    "retries": 3,
    "retryTimeout": 5000,
    "sleepSeconds": 2,
}

handled = {"py-score": 0, "py-charge": 0, "py-flaky": 0}
handled_lock = threading.Lock()
flaky_deliveries = []


def count(topic):
    with handled_lock:
        handled[topic] += 1


def handle_score(task: ExternalTask) -> TaskResult:
    amount = task.get_variable("amount")
    customer = task.get_variable("customer")
    assert task.get_business_key().startswith("order-"), task.get_business_key()
    count("py-score")
    return task.complete({"score": amount * 2, "risk": "low" if amount < 600 else "high",
                          "scoredFor": customer})


def handle_charge(task: ExternalTask) -> TaskResult:
    count("py-charge")
    if task.get_variable("card") == "expired":
        return task.bpmn_error(error_code="CARD_DECLINED", error_message="the card has expired",
                               variables={"declineReason": "expired", "retryable": False})
    return task.complete({"charged": True, "receipt": "R-" + task.get_business_key()})


def handle_flaky(task: ExternalTask) -> TaskResult:
    count("py-flaky")
    flaky_deliveries.append(time.monotonic())
    return task.failure(error_message="service unavailable",
                        error_details="HTTP 503 from the billing service",
                        max_retries=1, retry_timeout=500)


def subscribe(worker_id, topic, handler):
    thread = threading.Thread(
        target=ExternalTaskWorker(worker_id=worker_id, base_url=BASE, config=default_config)
        .subscribe,
        args=(topic, handler),
        name=topic,
        daemon=True,
    )
    thread.start()


def get(path, **params):
    response = requests.get(BASE + path, params=params, timeout=10)
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response.json()


def wait_for(what, check):
    while time.monotonic() < DEADLINE:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    with handled_lock:
        seen = dict(handled)
    fail(f"timed out waiting for {what}; handler calls so far: {seen}. A stall usually "
         f"means Baton answered the client with an error (see the log above).")


def fail(message):
    print(f"FAIL: {message}", flush=True)
    os._exit(1)


def main():
    client = EngineClient(engine_base_url=BASE)
    orders = {
        "small": ("order-1", {"amount": 50, "customer": "Ada", "card": "valid"}),
        "paid": ("order-2", {"amount": 500, "customer": "Grace", "card": "valid"}),
        "declined": ("order-3", {"amount": 700, "customer": "Alan", "card": "expired"}),
    }
    ids = {}
    for name, (business_key, variables) in orders.items():
        started = client.start_process(process_key="py_payment", variables=variables,
                                       business_key=business_key)
        assert started["businessKey"] == business_key, started
        assert started["definitionId"].startswith("py_payment:"), started
        ids[name] = started["id"]
    ids["flaky"] = client.start_process(process_key="py_flaky", variables={"attempt": 1})["id"]

    subscribe("py-worker-score", "py-score", handle_score)
    subscribe("py-worker-charge", "py-charge", handle_charge)
    subscribe("py-worker-flaky", "py-flaky", handle_flaky)

    for name in ("small", "paid", "declined"):
        instance = ids[name]
        wait_for(f"{name} ({instance}) to complete",
                 lambda: get(f"/history/process-instance/{instance}")["state"] == "COMPLETED")

    incidents = wait_for("an incident on the flaky instance",
                         lambda: get("/incident", processInstanceId=ids["flaky"]))
    assert len(incidents) == 1, incidents
    assert incidents[0]["incidentType"] == "failedExternalTask", incidents
    assert incidents[0]["incidentMessage"] == "service unavailable", incidents
    assert incidents[0]["activityId"] == "Activity_CallService", incidents
    with handled_lock:
        assert handled["py-flaky"] == 2, handled  # retries 1, then 0
    waited = flaky_deliveries[1] - flaky_deliveries[0]
    assert waited >= 0.5, f"redelivered {waited:.3f} s after a failure with retryTimeout 500 ms"

    ends = {}
    for name in ("small", "paid", "declined"):
        activities = get("/history/activity-instance", processInstanceId=ids[name])
        ends[name] = sorted(a["activityId"] for a in activities if a["activityType"] == "noneEndEvent")
    assert ends == {"small": ["End_Small"], "paid": ["End_Paid"], "declined": ["End_Declined"]}, ends

    variables = {v["name"]: v["value"] for v in
                 get("/history/variable-instance", processInstanceId=ids["declined"])}
    assert variables["declineReason"] == "expired", variables
    assert variables["score"] == 1400, variables

    print("RESULT " + json.dumps(ids), flush=True)
    os._exit(0)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        fail(f"assertion failed: {e!r}")
