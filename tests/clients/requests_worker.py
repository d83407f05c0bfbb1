"""A hand-written polling worker on plain `requests` (2.34.2), the way many
teams write their first Camunda worker, against Baton.

Covers:
- POST /process-definition/key/{key}/start with typed variables;
- long polling: an empty fetchAndLock with asyncResponseTimeout waits that
  long and answers []; a pending one wakes up as soon as an instance creates
  a task;
- a worker that dies holding a lock: once the lock expires another worker
  fetches the task, the dead worker's late complete is refused with 400, the
  live worker's complete is 204, and a second complete is 404;
- the main loop over the topics, each polled on its own: POST
  /external-task/fetchAndLock with maxTasks 1 and no long poll, then
  POST /external-task/{id}/complete with typed variables;
- an exclusive gateway on a Boolean the worker set, so instances end at
  End_Archived or End_Rejected;
- GET /external-task/count per topic until nothing is left;
- GET /history/process-instance/{id} (COMPLETED) and
  /history/variable-instance (the worker's variables, with their types).

Environment: BATON_URL. Prints `RESULT <json>` with the instance ids.
"""

import json
import os
import sys
import threading
import time

import requests

BASE = os.environ["BATON_URL"]
DEADLINE = time.monotonic() + float(os.environ.get("BATON_SCRIPT_DEADLINE", "45"))
WORKER = "requests-worker-1"
CRASHED = "requests-worker-crashed"
TOPICS = ["req-validate", "req-archive"]


def call(method, path, expected=200, **kwargs):
    response = requests.request(method, BASE + path, timeout=30, **kwargs)
    if response.status_code != expected:
        fail(f"{method} {path} answered {response.status_code}, expected {expected}: "
             f"{response.text}")
    return response.json() if response.content else None


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def start(number):
    return call("POST", "/process-definition/key/req_chain/start", json={
        "businessKey": f"doc-{number}",
        "variables": {
            "documentNumber": {"value": number, "type": "Integer"},
            "title": {"value": f"Document {number}", "type": "String"},
        },
    })["id"]


def fetch(worker, topic, lock_duration=10000, **extra):
    return call("POST", "/external-task/fetchAndLock", json={
        "workerId": worker,
        "maxTasks": 1,
        "topics": [{"topicName": topic, "lockDuration": lock_duration}],
        **extra,
    })


def handle(task):
    """The business logic: documents with an odd number are invalid."""
    variables = task["variables"]
    if task["topicName"] == "req-validate":
        number = variables["documentNumber"]["value"]
        assert variables["documentNumber"]["type"] == "Integer", variables
        return {
            "valid": {"value": number % 2 == 0, "type": "Boolean"},
            "checkedBy": {"value": WORKER, "type": "String"},
        }
    assert variables["valid"] == {"type": "Boolean", "value": True, "valueInfo": {}}, variables
    return {"archiveId": {"value": f"ARCH-{variables['documentNumber']['value']}",
                          "type": "String"}}


def long_polls():
    """Long polling, then a worker that dies holding a lock. Answers doc-8's id."""
    began = time.monotonic()
    assert fetch(WORKER, "req-validate", asyncResponseTimeout=1000) == []
    waited = time.monotonic() - began
    assert 0.9 <= waited < 5, f"an empty long poll of 1 s answered after {waited:.2f} s"

    polled = {}

    def poll():
        began = time.monotonic()
        polled["tasks"] = fetch(CRASHED, "req-validate", lock_duration=500,
                                asyncResponseTimeout=20000)
        polled["waited"] = time.monotonic() - began

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)
    instance = start(8)
    poller.join(timeout=25)
    assert not poller.is_alive(), "a long poll of 20 s did not wake up for a new task"
    assert polled["waited"] < 5, f"the long poll answered after {polled['waited']:.2f} s"
    assert [t["processInstanceId"] for t in polled["tasks"]] == [instance], polled
    task = polled["tasks"][0]["id"]

    # CRASHED never completes; its 500 ms lock runs out and WORKER gets the task.
    time.sleep(0.6)
    refetched = fetch(WORKER, "req-validate")
    assert [t["id"] for t in refetched] == [task], refetched
    late = call("POST", f"/external-task/{task}/complete", expected=400,
                json={"workerId": CRASHED, "variables": {}})
    assert "locked by worker" in late["message"], late
    call("POST", f"/external-task/{task}/complete", expected=204,
         json={"workerId": WORKER, "variables": handle(refetched[0])})
    gone = call("POST", f"/external-task/{task}/complete", expected=404,
                json={"workerId": WORKER})
    assert gone["type"] and gone["message"], gone
    return instance


def main():
    ids = {8: long_polls()}
    for number in range(1, 7):
        ids[number] = start(number)

    completed = 0
    while time.monotonic() < DEADLINE:
        fetched_any = False
        for topic in TOPICS:
            tasks = fetch(WORKER, topic)
            assert len(tasks) <= 1, tasks
            for task in tasks:
                fetched_any = True
                assert task["topicName"] == topic and task["workerId"] == WORKER, task
                call("POST", f"/external-task/{task['id']}/complete", expected=204,
                     json={"workerId": WORKER, "variables": handle(task)})
                completed += 1
        if not fetched_any:
            left = sum(call("GET", "/external-task/count", params={"topicName": t})["count"]
                       for t in TOPICS)
            if left == 0:
                break
            time.sleep(0.2)
    else:
        fail(f"timed out after completing {completed} tasks")

    # 6 validations, and archiving the even documents 2, 4, 6 and 8.
    assert completed == 10, completed
    for number, instance in ids.items():
        history = call("GET", f"/history/process-instance/{instance}")
        assert history["state"] == "COMPLETED", history
        assert history["businessKey"] == f"doc-{number}", history
        activities = call("GET", "/history/activity-instance",
                          params={"processInstanceId": instance})
        ends = [a["activityId"] for a in activities if a["activityType"] == "noneEndEvent"]
        assert ends == (["End_Archived"] if number % 2 == 0 else ["End_Rejected"]), ends
        variables = {v["name"]: v for v in call("GET", "/history/variable-instance",
                                                params={"processInstanceId": instance})}
        assert variables["valid"]["type"] == "Boolean", variables
        assert variables["valid"]["value"] is (number % 2 == 0), variables
        assert variables["checkedBy"]["value"] == WORKER, variables
        if number % 2 == 0:
            assert variables["archiveId"]["value"] == f"ARCH-{number}", variables
            assert variables["archiveId"]["type"] == "String", variables
        else:
            assert "archiveId" not in variables, variables

    print("RESULT " + json.dumps({str(k): v for k, v in ids.items()}), flush=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        fail(f"assertion failed: {e!r}")
