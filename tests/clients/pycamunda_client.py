"""pycamunda (0.6.1) against Baton: deployment, start, queries, external
tasks, incidents, deletion.

What pycamunda does that Baton must cope with:
- it sends a JSON body `{}` (with its content type) on every GET and DELETE;
- list parameters go into the query string as repeated keys
  (`processInstanceIds=a&processInstanceIds=b`);
- every DTO is read key by key (`data['caseInstanceId']`), so a missing key
  is a KeyError, and dates must parse as `%Y-%m-%dT%H:%M:%S.%f%z`;
- a deployment is multipart with parts `resource-0`, `resource-1`... (the
  file name in the part's filename) and booleans written `True`/`False`.

Covers version.Get, deployment.Create (twice, the second time filtered as a
duplicate), deployment.GetList/Get, processdef.GetList/Get/GetXML,
processdef.StartInstance with typed variables, processinst.GetList/Get,
VariablesGetList, VariablesGet, GetActivityInstance, externaltask.FetchAndLock/
Complete/HandleFailure/GetList/Get (with errorDetails), incident.GetList and
processinst.Delete, and checks each instance's end in the history.

Environment: BATON_URL, BATON_DEPLOY_DIR (tests/clients/deploy). Prints
`RESULT <json>` with the instance ids.
"""

import datetime as dt
import json
import os
import sys

import pycamunda.deployment
import pycamunda.externaltask
import pycamunda.incident
import pycamunda.processdef
import pycamunda.processinst
import pycamunda.version
import requests

URL = os.environ["BATON_URL"]
MODEL = os.path.join(os.environ["BATON_DEPLOY_DIR"], "pycamunda_order.bpmn")
WORKER = "pycamunda-worker"


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def deploy():
    create = pycamunda.deployment.Create(url=URL, name="pycamunda order",
                                         enable_duplicate_filtering=True)
    with open(MODEL, "rb") as model:
        create.add_resource(model)
        return create()


def fetch(topic, expected):
    fetch_and_lock = pycamunda.externaltask.FetchAndLock(url=URL, worker_id=WORKER, max_tasks=10)
    fetch_and_lock.add_topic(name=topic, lock_duration=10000)
    tasks = fetch_and_lock()
    assert len(tasks) == expected, (topic, tasks)
    for task in tasks:
        assert task.worker_id == WORKER and task.topic_name == topic, task
        assert task.lock_expiration_time > dt.datetime.now(dt.timezone.utc), task
    return {task.business_key: task for task in tasks}


def complete(task, **variables):
    request = pycamunda.externaltask.Complete(url=URL, id_=task.id_, worker_id=WORKER)
    for name, (value, type_) in variables.items():
        request.add_variable(name=name, value=value, type_=type_)
    request()


def history(path, **params):
    response = requests.get(f"{URL}/history/{path}", params=params, timeout=10)
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response.json()


def main():
    version = pycamunda.version.Get(url=URL)()
    assert version.startswith("7."), version

    deployed = deploy()
    assert deployed.name == "pycamunda order", deployed
    assert deployed.deployment_time is not None, deployed
    definitions = list(deployed.deployed_process_definitions.values())
    assert [d.key for d in definitions] == ["pycamunda_order"], definitions
    definition = definitions[0]
    assert definition.resource == "pycamunda_order.bpmn", definition
    assert definition.version == 1 and definition.deployment_id == deployed.id_, definition

    # The same file again: nothing new is deployed.
    again = deploy()
    assert not again.deployed_process_definitions, again
    listed = pycamunda.deployment.GetList(url=URL, name="pycamunda order")()
    assert deployed.id_ in [d.id_ for d in listed], listed
    assert pycamunda.deployment.Get(url=URL, id_=deployed.id_)().name == "pycamunda order"

    found = pycamunda.processdef.GetList(url=URL, key="pycamunda_order", latest_version=True)()
    assert [d.id_ for d in found] == [definition.id_], found
    assert pycamunda.processdef.Get(url=URL, key="pycamunda_order")().version == 1
    xml = pycamunda.processdef.GetXML(url=URL, id_=definition.id_)()
    assert "pycamunda_order" in str(xml), xml

    ids = {}
    for name, quantity in (("shipped", 3), ("sold_out", 0), ("broken", 1)):
        start = pycamunda.processdef.StartInstance(url=URL, key="pycamunda_order",
                                                   business_key=f"pc-{name}")
        start.add_variable(name="quantity", value=quantity, type_="Integer")
        start.add_variable(name="sku", value=f"SKU-{name}", type_="String")
        instance = start()
        assert instance.business_key == f"pc-{name}" and not instance.suspended, instance
        assert instance.definition_id == definition.id_, instance
        ids[name] = instance.id_

    listed = pycamunda.processinst.GetList(url=URL,
                                           process_instance_ids=[ids["shipped"], ids["broken"]])()
    assert sorted(i.id_ for i in listed) == sorted([ids["shipped"], ids["broken"]]), listed
    by_key = pycamunda.processinst.GetList(url=URL, business_key="pc-sold_out")()
    assert [i.id_ for i in by_key] == [ids["sold_out"]], by_key
    assert pycamunda.processinst.Get(url=URL, id_=ids["shipped"])().business_key == "pc-shipped"
    variables = pycamunda.processinst.VariablesGetList(url=URL, process_instance_id=ids["shipped"])()
    assert variables["quantity"].value == 3 and variables["quantity"].type_ == "Integer", variables
    sku = pycamunda.processinst.VariablesGet(url=URL, process_instance_id=ids["shipped"],
                                             var_name="sku")()
    assert sku.value == "SKU-shipped", sku
    tree = pycamunda.processinst.GetActivityInstance(url=URL, id_=ids["shipped"])()
    assert [c.activity_id for c in tree.child_activity_instances] == ["Activity_Check"], tree

    checks = fetch("pc-check", 3)
    complete(checks["pc-shipped"], reserved=(True, "Boolean"))
    complete(checks["pc-sold_out"], reserved=(False, "Boolean"))
    pycamunda.externaltask.HandleFailure(
        url=URL, id_=checks["pc-broken"].id_, worker_id=WORKER,
        error_message="warehouse offline", error_details="connection refused",
        retries=0, retry_timeout=0)()

    ships = fetch("pc-ship", 1)
    complete(ships["pc-shipped"], carrier=("DHL", "String"))

    failed = pycamunda.externaltask.GetList(url=URL, process_instance_id=ids["broken"])()
    assert len(failed) == 1 and failed[0].retries == 0, failed
    assert failed[0].error_message == "warehouse offline", failed
    details = pycamunda.externaltask.Get(url=URL, id_=failed[0].id_)()
    assert details.error_details == "connection refused", details
    incidents = pycamunda.incident.GetList(url=URL, process_instance_id=ids["broken"])()
    assert len(incidents) == 1, incidents
    assert incidents[0].incident_type == pycamunda.incident.IncidentType.failed_external_task
    assert incidents[0].incident_message == "warehouse offline", incidents
    assert incidents[0].activity_id == "Activity_Check", incidents
    pycamunda.processinst.Delete(url=URL, id_=ids["broken"])()
    assert pycamunda.processinst.GetList(url=URL, process_instance_ids=[ids["broken"]])() == ()

    expected = {"shipped": ("COMPLETED", "End_Shipped"),
                "sold_out": ("COMPLETED", "End_OutOfStock"),
                "broken": ("EXTERNALLY_TERMINATED", None)}
    for name, (state, end) in expected.items():
        instance = history(f"process-instance/{ids[name]}")
        assert instance["state"] == state, (name, instance)
        activities = history("activity-instance", processInstanceId=ids[name])
        ends = [a["activityId"] for a in activities if a["activityType"] == "noneEndEvent"]
        assert ends == ([end] if end else []), (name, ends)
    carrier = history("variable-instance", processInstanceId=ids["shipped"], variableName="carrier")
    assert [v["value"] for v in carrier] == ["DHL"], carrier

    print("RESULT " + json.dumps(ids), flush=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        fail(f"assertion failed: {e!r}")
