"""The official Python client (camunda-external-task-client-python3 4.5.0) used the
way its own examples use it, against Baton, on models that do what the examples'
models do (tests/clients/examples/).

What each part mirrors:
- start_process.py: EngineClient.start_process with string variables, a tenant id
  and a uuid1 business key;
- get_process_instance.py: EngineClient.get_process_instance with `name_eq_value`
  variable filters and tenant ids;
- tasks_example.py: one ExternalTaskWorker per topic, with the integer worker ids
  0, 1, 2 (which the client sends as JSON numbers in complete, failure and
  bpmnError), subscribed in threads with a `process_variables` filter;
- fetch_and_execute.py: the same workers' one-shot fetch_and_execute, with a
  long-poll timeout of 0;
- bpmn_error_example.py: one handler answering with bpmn_error (with variables),
  complete, or failure with no retries left, by the image's name;
- event_subprocess_example.py and correlate_message.py: a worker completes the
  first step, then EngineClient.correlate_message (by business key) interrupts the
  instance with its message event subprocess.

Environment: BATON_URL. Prints `RESULT <json>` with the instance ids by role, for
tests/clients.rs to check through the REST API.
"""

import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path

import requests
from camunda.client.engine_client import EngineClient
from camunda.external_task.external_task import ExternalTask
from camunda.external_task.external_task_worker import ExternalTaskWorker

BASE = os.environ["BATON_URL"]
DEADLINE = time.monotonic() + float(os.environ.get("BATON_SCRIPT_DEADLINE", "45"))
MODELS = Path(__file__).parent / "examples"
TENANT = "6172cdf0-7b32-4460-9da0-ded5107aa977"

logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                    format="%(asctime)s %(threadName)s %(levelname)s %(message)s")

# The examples' configuration, with a shorter error sleep so that a failure shows
# quickly rather than after 30 s.
default_config = {
    "maxTasks": 1,
    "lockDuration": 10000,
    "asyncResponseTimeout": 3000,
    "retries": 3,
    "retryTimeout": 5000,
    "sleepSeconds": 2,
    "isDebug": True,
    "httpTimeoutMillis": 3000,
}


def deploy(name, tenant=None):
    """Deploys one model as Camunda Modeler does."""
    data = {"deployment-name": name, "deployment-source": "python examples"}
    if tenant:
        data["tenant-id"] = tenant
    files = {name: (name, (MODELS / name).read_bytes(), "application/octet-stream")}
    response = requests.post(f"{BASE}/deployment/create", data=data, files=files, timeout=10)
    assert response.status_code == 200, response.text


def wait_for(what, check):
    while time.monotonic() < DEADLINE:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def state(instance):
    return requests.get(f"{BASE}/history/process-instance/{instance}", timeout=10).json()["state"]


def open_tasks(instance):
    return requests.get(f"{BASE}/external-task", params={"processInstanceId": instance},
                        timeout=10).json()


def handle_task(task: ExternalTask):
    """As the examples' task handler: completes with two variables."""
    return task.complete({"success": True, "task_completed_on": time.strftime("%Y-%m-%d %H:%M:%S")})


def validate_image(task: ExternalTask):
    """As bpmn_error_example.py's handler."""
    img_name = task.get_variable("imgName")
    if "poor" in img_name:
        return task.bpmn_error("POOR_QUALITY_IMAGE", "Image quality is bad",
                               {"img_rejection_code": "POOR_QUALITY_CODE_XX",
                                "img_rejection_reason": "Image quality must be at least GOOD"})
    elif "jpg" in img_name:
        return task.complete({"img_approved": True})
    elif "corrupt" in img_name:
        return task.failure("Cannot validate image", "image is corrupted", 0,
                            default_config.get("retryTimeout"))
    return task.bpmn_error("INVALID_IMAGE", "Image extension must be jpg",
                           {"img_rejection_code": "INVALID_IMG_NAME",
                            "img_rejection_reason": f"Image name {img_name} is invalid"})


def subscribe(worker_id, topic, handler, process_variables=None):
    """A worker's subscribe loop in a daemon thread (it never returns)."""
    worker = ExternalTaskWorker(worker_id=worker_id, base_url=BASE, config=default_config)
    thread = threading.Thread(target=worker.subscribe, args=(topic, handler, process_variables),
                              name=f"{topic}-{worker_id}", daemon=True)
    thread.start()


def main():
    for name in ["image_validation.bpmn", "event_subprocess.bpmn", "correlate_message.bpmn"]:
        deploy(name)
    deploy("parallel_steps.bpmn", tenant=TENANT)
    client = EngineClient(engine_base_url=BASE)
    result = {}

    # start_process.py
    started = client.start_process(process_key="PARALLEL_STEPS_EXAMPLE",
                                   variables={"intVar": "1", "strVar": "hello"},
                                   tenant_id=TENANT, business_key=str(uuid.uuid1()))
    result["subscribed"] = started["id"]
    assert started["tenantId"] == TENANT, started

    # get_process_instance.py
    found = client.get_process_instance("PARALLEL_STEPS_EXAMPLE", ["intVar_eq_1", "strVar_eq_hello"],
                                        [TENANT])
    assert [i["id"] for i in found] == [started["id"]], found
    assert client.get_process_instance("PARALLEL_STEPS_EXAMPLE", ["intVar_eq_2"], [TENANT]) == []

    # tasks_example.py: worker ids 0, 1, 2, one per topic.
    for index, topic in enumerate(["PARALLEL_STEP_1", "PARALLEL_STEP_2", "COMBINE_STEP"]):
        subscribe(index, topic, handle_task, {"strVar": "hello"})
    wait_for("the subscribed workers to finish the instance",
             lambda: state(started["id"]) == "COMPLETED")

    # fetch_and_execute.py: the same, one fetch at a time, on a second instance
    # (the subscribed workers filter on strVar=hello, so they leave it alone).
    second = client.start_process(process_key="PARALLEL_STEPS_EXAMPLE",
                                  variables={"intVar": "2", "strVar": "world"},
                                  tenant_id=TENANT, business_key=str(uuid.uuid1()))
    result["fetched"] = second["id"]
    one_shot = dict(default_config, asyncResponseTimeout=0)
    for index, topic in enumerate(["PARALLEL_STEP_1", "PARALLEL_STEP_2", "COMBINE_STEP"]):
        ExternalTaskWorker(worker_id=index, base_url=BASE, config=one_shot) \
            .fetch_and_execute(topic_names=topic, action=handle_task,
                               process_variables={"strVar": "world"})
    # COMBINE_STEP is asyncAfter, as in the example's model: the completion
    # commits first, and the job executor ends the instance a moment later.
    wait_for("the second instance to end after its last job",
             lambda: state(second["id"]) == "COMPLETED")

    # bpmn_error_example.py
    images = {}
    for img in ["poor_quality.png", "holiday.jpg", "corrupt.png", "drawing.gif"]:
        images[img] = client.start_process(process_key="BPMN_ERROR_EXAMPLE",
                                           variables={"imgName": img})["id"]
    subscribe(0, "VALIDATE_IMAGE", validate_image)
    result["images"] = images

    def validated():
        tasks = [t for i in images.values() for t in open_tasks(i)]
        pending = [t for t in tasks if t["topicName"] == "VALIDATE_IMAGE"
                   and (t["retries"] is None or t["retries"] > 0)]
        return not pending
    wait_for("every image to be validated", validated)

    # event_subprocess_example.py and correlate_message.py
    for key, message, role in [("EVENT_SUBPROCESS_EXAMPLE", "CANCEL_PROCESS", "event_subprocess"),
                               ("CORRELATE_MESSAGE_EXAMPLE", "CANCEL_MESSAGE", "correlated")]:
        business_key = str(uuid.uuid1())
        instance = client.start_process(process_key=key, variables={}, business_key=business_key)
        result[role] = instance["id"]
        worker = ExternalTaskWorker(worker_id=0, base_url=BASE, config=default_config)
        worker.fetch_and_execute(topic_names="STEP_1", action=handle_task)
        wait_for("STEP_2", lambda: [t for t in open_tasks(instance["id"])
                                    if t["activityId"] == "STEP_2"])
        answer = client.correlate_message(message, business_key=business_key)
        assert answer[0]["resultType"] == "Execution", answer
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    code = 0
    try:
        main()
    except BaseException:  # noqa: BLE001 - whatever it was, say it and fail
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # The subscribe loops never return: leave without waiting for them.
    os._exit(code)
