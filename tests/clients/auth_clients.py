"""The Python clients logging in to Baton with HTTP Basic credentials, as a
worker that was granted only what it needs.

Baton runs with `--auth basic`; tests/clients.rs creates the user
BATON_USER / BATON_PASSWORD and grants it, through /authorization, CREATE on
process instances and READ, CREATE_INSTANCE, READ_INSTANCE and UPDATE_INSTANCE
on the definition `req_chain`, and nothing else.

Covers:
- pycamunda (0.6.1): a request's `auth` attribute (requests' HTTPBasicAuth)
  starts an instance of req_chain; the same request with a wrong password
  raises pycamunda.Unauthorized (Baton's 401);
- the official Python client (camunda-external-task-client-python3 4.5.0):
  `auth_basic` in the worker's configuration, as its README shows; the worker
  fetches req-validate and completes it;
- a plain `requests` call with the worker's credentials sees the instance, and
  one on a definition it has no grant for gets Camunda's 403.

Environment: BATON_URL, BATON_USER, BATON_PASSWORD. Prints `RESULT <json>`.
"""

import json
import logging
import os
import sys
import threading
import time

import pycamunda
import pycamunda.processdef
import requests
from camunda.external_task.external_task import ExternalTask, TaskResult
from camunda.external_task.external_task_worker import ExternalTaskWorker
from requests.auth import HTTPBasicAuth

BASE = os.environ["BATON_URL"]
USER = os.environ["BATON_USER"]
PASSWORD = os.environ["BATON_PASSWORD"]
DEADLINE = time.monotonic() + float(os.environ.get("BATON_SCRIPT_DEADLINE", "45"))

logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                    format="%(asctime)s %(threadName)s %(levelname)s %(message)s")

validated = []


def fail(message):
    print(f"FAIL: {message}", flush=True)
    os._exit(1)


def handle_validate(task: ExternalTask) -> TaskResult:
    validated.append(task.get_task_id())
    return task.complete({"valid": True})


def main():
    # pycamunda, with the worker's credentials on the request.
    start = pycamunda.processdef.StartInstance(url=BASE, key="req_chain")
    start.auth = HTTPBasicAuth(USER, PASSWORD)
    instance = start()

    wrong = pycamunda.processdef.StartInstance(url=BASE, key="req_chain")
    wrong.auth = HTTPBasicAuth(USER, "not-" + PASSWORD)
    try:
        wrong()
        fail("a wrong password started an instance")
    except pycamunda.Unauthorized:
        pass

    # The official client's worker, configured as its README shows.
    config = {"auth_basic": {"username": USER, "password": PASSWORD},
              "maxTasks": 1, "lockDuration": 10000, "asyncResponseTimeout": 2000,
              "sleepSeconds": 1}
    worker = ExternalTaskWorker(worker_id="py-auth-worker", base_url=BASE, config=config)
    threading.Thread(target=worker.subscribe, args=("req-validate", handle_validate),
                     name="req-validate", daemon=True).start()
    while not validated:
        if time.monotonic() > DEADLINE:
            fail("the worker never got req-validate: did Baton refuse its credentials?")
        time.sleep(0.1)

    auth = HTTPBasicAuth(USER, PASSWORD)
    seen = requests.get(f"{BASE}/process-instance/{instance.id_}", auth=auth, timeout=10)
    if seen.status_code != 200:
        fail(f"the worker cannot see its instance: {seen.status_code} {seen.text}")
    other = requests.post(f"{BASE}/process-definition/key/py_payment/start", json={},
                          auth=auth, timeout=10)
    if other.status_code != 403 or other.json().get("type") != "AuthorizationException":
        fail(f"a start without a grant answered {other.status_code} {other.text}")
    print("RESULT " + json.dumps({"instance": instance.id_, "validated": validated[0]}),
          flush=True)


if __name__ == "__main__":
    main()
