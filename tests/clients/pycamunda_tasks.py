"""pycamunda (0.6.1) task API against Baton: lists, one task, claim, unclaim,
assignee, delegate, resolve, update, identity links, comments, local variables,
complete (with and without the variables in return).

pycamunda reads every key of a task, an identity link, a comment and a
variable (`data['caseInstanceId']`...), so a missing key is a KeyError; dates
must parse with milliseconds and an offset. A claim of a task someone else holds
is a 500 in Camunda (pycamunda raises `InternalServerError`) and a 400 in Baton
(`BadRequest`); the script accepts either.

Environment: BATON_URL, BATON_DEPLOY_DIR (tests/clients/deploy). Prints
`RESULT <json>` with the instance ids.
"""

import datetime as dt
import json
import os
import sys

import pycamunda
import pycamunda.deployment
import pycamunda.processdef
import pycamunda.task
import requests

URL = os.environ["BATON_URL"]
MODEL = os.path.join(os.environ["BATON_DEPLOY_DIR"], "pycamunda_tasks.bpmn")
KEY = "pycamunda_tasks"


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def start(business_key, clerk):
    request = pycamunda.processdef.StartInstance(url=URL, key=KEY, business_key=business_key)
    request.add_variable(name="clerk", value=clerk, type_="String")
    request.add_variable(name="customer", value=business_key, type_="String")
    return request().id_


def open_tasks(instance):
    return pycamunda.task.GetList(url=URL, process_instance_id=instance)()


def main():
    create = pycamunda.deployment.Create(url=URL, name="pycamunda tasks")
    with open(MODEL, "rb") as model:
        create.add_resource(model)
        create()
    done = start("pt-1", "alice")
    kept = start("pt-2", "bob")

    # Lists: every key read, dates with milliseconds and an offset.
    listed = pycamunda.task.GetList(url=URL, process_definition_key=KEY, sort_by="name",
                                    ascending=True)()
    assert len(listed) == 2, listed
    for task in listed:
        assert task.name == "Review request" and task.priority == 60, task
        assert task.form_key == "embedded:deployment:review.html", task
        assert task.task_definition_key == "Activity_Review", task
        assert isinstance(task.created, dt.datetime) and task.created.tzinfo, task
        assert task.due - task.created == dt.timedelta(days=1), task
        assert task.delegation_state is None and not task.suspended, task
    mine = pycamunda.task.GetList(url=URL, assignee="alice")()
    assert [t.process_instance_id for t in mine] == [done], mine
    assert pycamunda.task.GetList(url=URL, candidate_group="sales")() == (), "assigned ones"
    both = pycamunda.task.GetList(url=URL, candidate_group="sales", include_assigned_tasks=True,
                                  sort_by="created", ascending=False, max_results=1)()
    assert len(both) == 1, both
    found = pycamunda.task.GetList(url=URL, process_instance_business_key="pt-2",
                                   description_like="%pt-2", min_priority=60,
                                   due_after=dt.datetime.now(dt.timezone.utc))()
    assert [t.process_instance_id for t in found] == [kept], found

    task_id = open_tasks(done)[0].id_
    task = pycamunda.task.Get(url=URL, id_=task_id)()
    assert task.assignee == "alice" and task.description == "Review the request of pt-1", task

    # Someone else holds it.
    try:
        pycamunda.task.Claim(url=URL, id_=task_id, user_id="carol")()
        fail("claiming alice's task succeeded")
    except (pycamunda.BadRequest, pycamunda.InternalServerError) as e:
        assert "is already claimed by someone else" in str(e), e
    pycamunda.task.Unclaim(url=URL, id_=task_id)()
    assert pycamunda.task.Get(url=URL, id_=task_id)().assignee is None
    pycamunda.task.Claim(url=URL, id_=task_id, user_id="carol")()
    pycamunda.task.SetAssignee(url=URL, id_=task_id, user_id="dave")()
    pycamunda.task.Delegate(url=URL, id_=task_id, user_id="erin")()
    task = pycamunda.task.Get(url=URL, id_=task_id)()
    assert (task.assignee, task.owner, task.delegation_state) == ("erin", "dave", "PENDING"), task
    resolve = pycamunda.task.Resolve(url=URL, id_=task_id)
    resolve.add_variable(name="checked", value=True, type_="Boolean")
    resolve()
    task = pycamunda.task.Get(url=URL, id_=task_id)()
    assert (task.assignee, task.delegation_state) == ("dave", "RESOLVED"), task

    # A full update.
    due = dt.datetime(2030, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
    pycamunda.task.Update(url=URL, id_=task_id, name="Review carefully", description="Slowly",
                          assignee="frank", owner="dave", delegation_state=None, due=due,
                          follow_up=None, priority=80, parent_task_id=None,
                          case_instance_id=None, tenant_id=None)()
    task = pycamunda.task.Get(url=URL, id_=task_id)()
    assert (task.name, task.priority, task.assignee) == ("Review carefully", 80, "frank"), task
    assert task.due == due and task.delegation_state is None, task

    # Identity links.
    links = pycamunda.task.IdentityLinksGetList(url=URL, task_id=task_id)()
    kinds = sorted((l.type_, l.user_id, l.group_id) for l in links)
    assert kinds == [("assignee", "frank", None), ("candidate", None, "sales"),
                     ("owner", "dave", None)], kinds
    pycamunda.task.IdentityLinksAdd(url=URL, task_id=task_id, type_="candidate",
                                    user_id="gina")()
    candidates = pycamunda.task.IdentityLinksGetList(url=URL, task_id=task_id,
                                                     type_="candidate")()
    assert sorted(str(l.user_id or l.group_id) for l in candidates) == ["gina", "sales"]
    pycamunda.task.IdentityLinksDelete(url=URL, task_id=task_id, type_="candidate",
                                       user_id="gina")()
    candidates = pycamunda.task.IdentityLinksGetList(url=URL, task_id=task_id,
                                                     type_="candidate")()
    assert [l.group_id for l in candidates] == ["sales"], candidates

    # Comments.
    comment = pycamunda.task.CommentCreate(url=URL, task_id=task_id, message="Looks fine")()
    assert comment.message == "Looks fine" and comment.task_id == task_id, comment
    assert isinstance(comment.time, dt.datetime), comment
    listed = pycamunda.task.CommentGetList(url=URL, task_id=task_id)()
    assert [c.id_ for c in listed] == [comment.id_], listed
    one = pycamunda.task.CommentGet(url=URL, task_id=task_id, comment_id=comment.id_)()
    assert one.root_process_instance_id == done, one

    # Local variables.
    modify = pycamunda.task.LocalVariablesModify(url=URL, task_id=task_id)
    modify.add_variable(name="draft", value="first", type_="String")
    modify.add_variable(name="pages", value=3, type_="Integer")
    modify()
    local = pycamunda.task.LocalVariablesGetList(url=URL, task_id=task_id)()
    assert sorted(local) == ["draft", "pages"], local
    assert local["pages"].value == 3 and local["pages"].type_ == "Integer", local
    draft = pycamunda.task.LocalVariablesGet(url=URL, task_id=task_id, var_name="draft")()
    assert draft.value == "first", draft
    pycamunda.task.LocalVariablesDelete(url=URL, task_id=task_id, var_name="draft")()
    local = pycamunda.task.LocalVariablesGetList(url=URL, task_id=task_id)()
    assert sorted(local) == ["pages"], local
    try:
        pycamunda.task.LocalVariablesGet(url=URL, task_id=task_id, var_name="customer")()
        fail("a process variable read as a local one")
    except pycamunda.NotFound:
        pass

    # Complete, with the variables in return, then the next task without.
    complete = pycamunda.task.Complete(url=URL, id_=task_id, with_variables_in_return=True)
    complete.add_variable(name="approved", value=True, type_="Boolean")
    seen = complete()
    assert seen["approved"].value is True and seen["approved"].type_ == "Boolean", seen
    assert seen["customer"].value == "pt-1" and seen["checked"].value is True, seen
    try:
        pycamunda.task.Get(url=URL, id_=task_id)()
        fail("a completed task is still there")
    except pycamunda.NotFound:
        pass
    approve = open_tasks(done)
    assert [t.task_definition_key for t in approve] == ["Activity_Approve"], approve
    assert pycamunda.task.GetList(url=URL, candidate_user="boss")()[0].id_ == approve[0].id_
    pycamunda.task.Complete(url=URL, id_=approve[0].id_)()
    assert open_tasks(done) == ()

    history = requests.get(f"{URL}/history/task", params={"processInstanceId": done},
                           timeout=10).json()
    assert sorted(h["deleteReason"] for h in history) == ["completed", "completed"], history
    print("RESULT " + json.dumps({"done": done, "kept": kept}), flush=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        fail(f"assertion failed: {e!r}")
