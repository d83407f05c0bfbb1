"""The hotel's worker once more, without a client library: a hand-written loop
over Camunda 7's REST API with `requests`, the way many teams wrote their
first worker. It runs the same steps (steps.py) as worker.py and runs
unchanged against Camunda or Baton.

The loop:
    POST /external-task/fetchAndLock   every topic at once, maxTasks 5, long
                                       polling (asyncResponseTimeout 10 s)
    then, per task,
    POST /external-task/{id}/complete  with typed variables
    POST /external-task/{id}/bpmnError INVALID_INPUT, with rejectionReason
    POST /external-task/{id}/failure   retries counted down from
                                       HOTEL_RETRIES, retryTimeout

Environment: as worker.py (BATON_URL, HOTEL_LOCK_MS, HOTEL_RETRIES,
HOTEL_RETRY_TIMEOUT_MS, HOTEL_SLEEP_SECONDS, the services' URLs,
HOTEL_WORK_MS); HOTEL_WORKER_ID defaults to hotel-polling-worker.

Run: `python polling_worker.py`; it runs until killed.
"""

import logging
import os
import sys
import time

import requests

import steps

BATON_URL = os.environ.get("BATON_URL", "http://127.0.0.1:8080/engine-rest")
WORKER_ID = os.environ.get("HOTEL_WORKER_ID", "hotel-polling-worker")
LOCK_MS = int(os.environ.get("HOTEL_LOCK_MS", "30000"))
RETRIES = int(os.environ.get("HOTEL_RETRIES", "3"))
RETRY_TIMEOUT_MS = int(os.environ.get("HOTEL_RETRY_TIMEOUT_MS", "5000"))
SLEEP_SECONDS = float(os.environ.get("HOTEL_SLEEP_SECONDS", "2"))
LONG_POLL_MS = 10000
MAX_TASKS = 5

log = logging.getLogger("hotel")
session = requests.Session()


def typed(variables):
    """Camunda's typed variables: {"name": {"value": ..., "type": ...}}."""
    def type_of(value):
        if value is None:
            return "Null"
        if isinstance(value, bool):
            return "Boolean"
        if isinstance(value, int):
            return "Integer" if -2**31 <= value < 2**31 else "Long"
        if isinstance(value, float):
            return "Double"
        return "String"

    return {name: {"value": value, "type": type_of(value)} for name, value in variables.items()}


def fetch_and_lock():
    response = session.post(f"{BATON_URL}/external-task/fetchAndLock", timeout=LONG_POLL_MS / 1000 + 10,
                            json={
                                "workerId": WORKER_ID,
                                "maxTasks": MAX_TASKS,
                                "asyncResponseTimeout": LONG_POLL_MS,
                                "topics": [{"topicName": topic, "lockDuration": LOCK_MS}
                                           for topic in steps.STEPS],
                            })
    response.raise_for_status()
    return response.json()


def report(task, action, body):
    """complete, failure or bpmnError; Camunda answers 204."""
    response = session.post(f"{BATON_URL}/external-task/{task['id']}/{action}", timeout=10,
                            json={"workerId": WORKER_ID, **body})
    if response.status_code != 204:
        # The lock ran out and another worker has the task, or it is gone.
        log.warning("%s %s: %s answered %s: %s", task["topicName"], task["id"], action,
                    response.status_code, response.text)


def work(task):
    job = steps.Job(task_id=task["id"], topic=task["topicName"],
                    business_key=task.get("businessKey"), worker_id=WORKER_ID,
                    variables={name: v["value"] for name, v in task["variables"].items()})
    try:
        variables = steps.run(steps.STEPS[job.topic], job)
    except steps.InvalidReservation as error:
        log.info("%s %s [%s]: invalid: %s", job.topic, job.task_id, job.business_key, error)
        report(task, "bpmnError", {"errorCode": "INVALID_INPUT", "errorMessage": str(error),
                                   "variables": typed({"rejectionReason": str(error)})})
        return
    except steps.StepFailed as error:
        retries = task["retries"] - 1 if task.get("retries") else RETRIES
        log.warning("%s %s [%s]: failed: %s (%s); retries left %s", job.topic, job.task_id,
                    job.business_key, error.message, error.details, retries)
        report(task, "failure", {"errorMessage": error.message, "errorDetails": error.details,
                                 "retries": retries, "retryTimeout": RETRY_TIMEOUT_MS})
        return
    log.info("%s %s [%s]: complete %s", job.topic, job.task_id, job.business_key, variables)
    report(task, "complete", {"variables": typed(variables)})


def main():
    logging.basicConfig(level=os.environ.get("HOTEL_LOG_LEVEL", "INFO"), stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(message)s")
    print(f"{WORKER_ID} polling {len(steps.STEPS)} topics at {BATON_URL}", flush=True)
    while True:
        try:
            for task in fetch_and_lock():
                work(task)
        except requests.RequestException as error:
            log.warning("Baton unreachable (%s); trying again in %s s", error, SLEEP_SECONDS)
            time.sleep(SLEEP_SECONDS)


if __name__ == "__main__":
    main()
