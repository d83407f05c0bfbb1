"""The hotel's worker, written with the official Camunda 7 Python client
(camunda-external-task-client-python3 4.5.0), exactly as it ran against
Camunda: one handler per topic, each subscribed in its own thread.

A handler runs the topic's step (steps.py), which calls one of the services,
and then
- completes the task with the step's variables;
- reports the BPMN error INVALID_INPUT (with the variable rejectionReason)
  when the request is invalid, which the model catches;
- reports a failure when a service is down or refuses: with max_retries and
  retry_timeout, Baton hands the task out again after the timeout, and raises
  an incident once the retries run out.

Environment:
    BATON_URL                 the engine (default http://127.0.0.1:8080/engine-rest)
    HOTEL_WORKER_ID           the worker id (default hotel-worker)
    HOTEL_LOCK_MS             lockDuration (default 30000)
    HOTEL_RETRIES             retries after the first failure (default 3)
    HOTEL_RETRY_TIMEOUT_MS    retryTimeout (default 5000)
    HOTEL_SLEEP_SECONDS       the client's pause after an error talking to
                              Baton, e.g. while it restarts (default 2)
    and those of steps.py: the services' URLs, HOTEL_WORK_MS.

Run: `python worker.py`; it runs until killed.
"""

import logging
import os
import sys
import threading

from camunda.external_task.external_task import ExternalTask, TaskResult
from camunda.external_task.external_task_worker import ExternalTaskWorker

import steps

BATON_URL = os.environ.get("BATON_URL", "http://127.0.0.1:8080/engine-rest")
WORKER_ID = os.environ.get("HOTEL_WORKER_ID", "hotel-worker")
RETRIES = int(os.environ.get("HOTEL_RETRIES", "3"))
RETRY_TIMEOUT_MS = int(os.environ.get("HOTEL_RETRY_TIMEOUT_MS", "5000"))

CONFIG = {
    "maxTasks": 1,
    "lockDuration": int(os.environ.get("HOTEL_LOCK_MS", "30000")),
    "asyncResponseTimeout": 10000,
    "retries": RETRIES,
    "retryTimeout": RETRY_TIMEOUT_MS,
    "sleepSeconds": float(os.environ.get("HOTEL_SLEEP_SECONDS", "2")),
    "httpTimeoutMillis": 10000,
}

log = logging.getLogger("hotel")


def handle(task: ExternalTask, step) -> TaskResult:
    job = steps.Job(task_id=task.get_task_id(), topic=task.get_topic_name(),
                    business_key=task.get_business_key(), worker_id=WORKER_ID,
                    variables=task.get_variables())
    try:
        variables = steps.run(step, job)
    except steps.InvalidReservation as error:
        log.info("%s %s [%s]: invalid: %s", job.topic, job.task_id, job.business_key, error)
        return task.bpmn_error(error_code="INVALID_INPUT", error_message=str(error),
                               variables={"rejectionReason": str(error)})
    except steps.StepFailed as error:
        log.warning("%s %s [%s]: failed: %s (%s)", job.topic, job.task_id, job.business_key,
                    error.message, error.details)
        return task.failure(error_message=error.message, error_details=error.details,
                            max_retries=RETRIES, retry_timeout=RETRY_TIMEOUT_MS)
    log.info("%s %s [%s]: complete %s", job.topic, job.task_id, job.business_key, variables)
    return task.complete(variables)


def handle_validate_input(task: ExternalTask) -> TaskResult:
    return handle(task, steps.validate_input)


def handle_search_client(task: ExternalTask) -> TaskResult:
    return handle(task, steps.search_client)


def handle_create_client(task: ExternalTask) -> TaskResult:
    return handle(task, steps.create_client)


def handle_check_room_availability(task: ExternalTask) -> TaskResult:
    return handle(task, steps.check_room_availability)


def handle_block_room(task: ExternalTask) -> TaskResult:
    return handle(task, steps.block_room)


def handle_reserve_restaurant(task: ExternalTask) -> TaskResult:
    return handle(task, steps.reserve_restaurant)


def handle_create_booking(task: ExternalTask) -> TaskResult:
    return handle(task, steps.create_booking)


HANDLERS = {
    "validate-input": handle_validate_input,
    "search-client": handle_search_client,
    "create-client": handle_create_client,
    "check-room-availability": handle_check_room_availability,
    "block-room": handle_block_room,
    "reserve-restaurant": handle_reserve_restaurant,
    "create-booking": handle_create_booking,
}


def main():
    logging.basicConfig(level=os.environ.get("HOTEL_LOG_LEVEL", "INFO"), stream=sys.stdout,
                        format="%(asctime)s %(threadName)s %(levelname)s %(message)s")
    for topic, handle_topic in HANDLERS.items():
        worker = ExternalTaskWorker(worker_id=WORKER_ID, base_url=BATON_URL, config=CONFIG)
        threading.Thread(target=worker.subscribe, args=(topic, handle_topic), name=topic,
                         daemon=True).start()
    print(f"{WORKER_ID} subscribed to {len(HANDLERS)} topics at {BATON_URL}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
