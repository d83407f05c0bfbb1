//! The Camunda task API over real HTTP and a real database file: every DTO key,
//! every list filter (each with a task it must leave out, so a dropped filter
//! fails), sorts, pages, counts and `orQueries`, the commands people give, BPMN
//! errors and escalations into boundary events, a timer boundary, identity links,
//! comments, task variables, task history, and Camunda's errors.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The keys of `TaskDto`, as Camunda 7.24's OpenAPI document lists them (taken
/// from that document by hand; tests do not read it).
const TASK_KEYS: &[&str] = &[
    "id",
    "name",
    "assignee",
    "owner",
    "created",
    "lastUpdated",
    "due",
    "followUp",
    "delegationState",
    "description",
    "executionId",
    "parentTaskId",
    "priority",
    "processDefinitionId",
    "processInstanceId",
    "caseExecutionId",
    "caseDefinitionId",
    "caseInstanceId",
    "taskDefinitionKey",
    "suspended",
    "formKey",
    "camundaFormRef",
    "tenantId",
    "taskState",
];

/// The keys of `HistoricTaskInstanceDto`, from the same document.
const HISTORIC_TASK_KEYS: &[&str] = &[
    "id",
    "processDefinitionKey",
    "processDefinitionId",
    "processInstanceId",
    "executionId",
    "caseDefinitionKey",
    "caseDefinitionId",
    "caseInstanceId",
    "caseExecutionId",
    "activityInstanceId",
    "name",
    "description",
    "deleteReason",
    "owner",
    "assignee",
    "startTime",
    "endTime",
    "duration",
    "taskDefinitionKey",
    "priority",
    "due",
    "parentTaskId",
    "followUp",
    "tenantId",
    "removalTime",
    "rootProcessInstanceId",
    "taskState",
];

/// The keys of `IdentityLinkDto`, from the same document.
const LINK_KEYS: &[&str] = &["userId", "groupId", "type"];

/// The keys of `CommentDto` (with `LinkableDto`'s `links`), from the same document.
const COMMENT_KEYS: &[&str] = &[
    "links",
    "id",
    "userId",
    "taskId",
    "processInstanceId",
    "time",
    "message",
    "removalTime",
    "rootProcessInstanceId",
];

/// The keys of `FormDto`, from the same document.
const FORM_KEYS: &[&str] = &["key", "camundaFormRef", "contextPath"];

/// 2026-01-01T00:00:00Z, where the manual clock starts.
const T0: i64 = 1_767_225_600_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("a JSON object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn set(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// A date as Baton writes it, for `ms` after the epoch.
fn at(ms: i64) -> String {
    baton_engine::date::format(ms)
}

/// The same date with its `+` encoded, for a query string.
fn q(ms: i64) -> String {
    at(ms).replace('+', "%2B")
}

/// The review process: an approval (people, dates, priority, form key) with a
/// timer, an error and two escalation boundaries, then an archive task with a
/// fixed due date and a Camunda Form.
const REVIEW: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs_review" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:error id="err_reject" name="Reject" errorCode="REJECT" />
  <bpmn:escalation id="esc_note" name="Note" escalationCode="NOTE" />
  <bpmn:escalation id="esc_stop" name="Stop" escalationCode="STOP" />
  <bpmn:process id="review" name="Process review" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:userTask id="approve" name="Approve ${item}" camunda:assignee="${starter}" camunda:candidateUsers="alice,bob" camunda:candidateGroups="managers" camunda:dueDate="P2D" camunda:followUpDate="P1D" camunda:priority="70" camunda:formKey="embedded:deployment:approve.html">
      <bpmn:documentation>Check ${item}</bpmn:documentation>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="archive" />
    <bpmn:userTask id="archive" name="Archive" camunda:candidateGroups="clerks" camunda:dueDate="2026-03-01T10:00:00Z" camunda:formRef="archive-form" camunda:formRefBinding="latest" />
    <bpmn:sequenceFlow id="f3" sourceRef="archive" targetRef="end" />
    <bpmn:endEvent id="end" />
    <bpmn:boundaryEvent id="timeout" attachedToRef="approve">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P5D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f4" sourceRef="timeout" targetRef="end_timeout" />
    <bpmn:endEvent id="end_timeout" />
    <bpmn:boundaryEvent id="rejected" attachedToRef="approve">
      <bpmn:errorEventDefinition errorRef="err_reject" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="rejected" targetRef="end_rejected" />
    <bpmn:endEvent id="end_rejected" />
    <bpmn:boundaryEvent id="noted" attachedToRef="approve" cancelActivity="false">
      <bpmn:escalationEventDefinition escalationRef="esc_note" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f6" sourceRef="noted" targetRef="read_note" />
    <bpmn:userTask id="read_note" name="Read the note" />
    <bpmn:sequenceFlow id="f7" sourceRef="read_note" targetRef="end_note" />
    <bpmn:endEvent id="end_note" />
    <bpmn:boundaryEvent id="stopped" attachedToRef="approve">
      <bpmn:escalationEventDefinition escalationRef="esc_stop" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f8" sourceRef="stopped" targetRef="end_stopped" />
    <bpmn:endEvent id="end_stopped" />
  </bpmn:process>
</bpmn:definitions>"#;

/// A process with one plain user task.
fn other() -> String {
    model(
        "other",
        r#"<bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="simple" />
        <bpmn:userTask id="simple" name="Simple" /><bpmn:sequenceFlow id="f2" sourceRef="simple" targetRef="end" />
        <bpmn:endEvent id="end" />"#,
    )
}

/// Starts `key` with a business key and variables, answering the instance id.
async fn start(s: &Server, key: &str, business_key: &str, variables: Value) -> String {
    let (status, body) = s
        .post(
            &format!("/process-definition/key/{key}/start"),
            json!({"businessKey": business_key, "variables": variables}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Starts a review of `item` by `starter`.
async fn review(s: &Server, business_key: &str, item: &str, starter: &str) -> String {
    start(
        s,
        "review",
        business_key,
        json!({"item": {"value": item}, "starter": {"value": starter}}),
    )
    .await
}

/// The one open task of `instance` at `key`.
async fn task_of(s: &Server, instance: &str, key: &str) -> Value {
    let (status, list) = s
        .get(&format!(
            "/task?processInstanceId={instance}&taskDefinitionKey={key}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    list[0].clone()
}

fn id(task: &Value) -> String {
    task["id"].as_str().unwrap().to_owned()
}

/// The names of the tasks `GET /task?{query}` answers, in order.
async fn names(s: &Server, query: &str) -> Vec<String> {
    let (status, list) = s.get(&format!("/task?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {list}");
    let list = list.as_array().unwrap();
    for t in list {
        assert_eq!(keys(t), set(TASK_KEYS), "{t}");
    }
    list.iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Checks `GET /task?{query}` answers exactly `expected` (in any order), and that
/// `/task/count` agrees.
async fn expect(s: &Server, query: &str, expected: &[&str]) {
    let mut got = names(s, query).await;
    got.sort();
    let mut want: Vec<String> = expected.iter().map(|n| (*n).to_owned()).collect();
    want.sort();
    assert_eq!(got, want, "GET /task?{query}");
    let (status, count) = s.get(&format!("/task/count?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{count}");
    assert_eq!(count["count"], expected.len(), "GET /task/count?{query}");
}

/// Checks an error answer: status, Camunda type, message (a part of it) and code.
fn error(answer: &(StatusCode, Value), status: StatusCode, kind: &str, message: &str, code: Value) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{body}");
    assert_eq!(body["type"], kind, "{body}");
    let text = body["message"].as_str().unwrap_or_default();
    assert!(
        text.contains(message),
        "{text:?} should contain {message:?}"
    );
    assert_eq!(body["code"], code, "{body}");
}

#[tokio::test]
async fn a_task_answers_every_key_with_camundas_values() {
    let s = server_manual().await;
    s.deploy_model("review", REVIEW).await;
    let i = review(&s, "BK-1", "car", "carol").await;
    let t = task_of(&s, &i, "approve").await;
    assert_eq!(keys(&t), set(TASK_KEYS));
    assert_eq!(t["name"], "Approve car");
    assert_eq!(t["description"], "Check car");
    assert_eq!(t["assignee"], "carol");
    assert_eq!(t["owner"], Value::Null);
    assert_eq!(t["priority"], 70, "an integer");
    assert_eq!(t["created"], at(T0));
    assert_eq!(t["due"], at(T0 + 2 * DAY), "P2D from now");
    assert_eq!(t["followUp"], at(T0 + DAY));
    assert_eq!(t["lastUpdated"], Value::Null);
    assert_eq!(t["delegationState"], Value::Null);
    assert_eq!(t["formKey"], "embedded:deployment:approve.html");
    assert_eq!(t["camundaFormRef"], Value::Null);
    assert_eq!(t["suspended"], false);
    assert_eq!(t["taskState"], "Created");
    assert_eq!(t["processInstanceId"], i.as_str());
    assert_eq!(t["taskDefinitionKey"], "approve");
    for key in [
        "caseExecutionId",
        "caseDefinitionId",
        "caseInstanceId",
        "tenantId",
    ] {
        assert_eq!(t[key], Value::Null, "{key}");
    }
    assert!(is_camunda_date(t["created"].as_str().unwrap()));
    let (status, one) = s.get(&format!("/task/{}", id(&t))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one, t);

    let (status, form) = s.get(&format!("/task/{}/form", id(&t))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&form), set(FORM_KEYS));
    assert_eq!(form["key"], "embedded:deployment:approve.html");

    // The archive task: a fixed due date, the default priority, a Camunda Form.
    let (status, _) = s
        .post(&format!("/task/{}/complete", id(&t)), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let archive = task_of(&s, &i, "archive").await;
    assert_eq!(keys(&archive), set(TASK_KEYS));
    assert_eq!(archive["due"], "2026-03-01T10:00:00.000+0000");
    assert_eq!(archive["priority"], 50);
    assert_eq!(archive["followUp"], Value::Null);
    assert_eq!(archive["formKey"], Value::Null);
    assert_eq!(
        archive["camundaFormRef"],
        json!({"key": "archive-form", "binding": "latest", "version": null})
    );
    let (_, form) = s.get(&format!("/task/{}/form", id(&archive))).await;
    assert_eq!(form["key"], Value::Null);
    assert_eq!(form["camundaFormRef"]["key"], "archive-form");

    error(
        &s.get("/task/nope").await,
        StatusCode::NOT_FOUND,
        "InvalidRequestException",
        "No matching task with id nope",
        Value::Null,
    );
    error(
        &s.get("/task/nope/form").await,
        StatusCode::BAD_REQUEST,
        "RestException",
        "Cannot get form for task nope",
        json!(0),
    );
}

#[tokio::test]
async fn every_list_filter_leaves_out_what_it_should() {
    let s = server_manual().await;
    s.deploy_model("review", REVIEW).await;
    let other_def = s.deploy_model("other", &other()).await;
    let i1 = review(&s, "BK-1", "car", "carol").await;
    let i2 = review(&s, "BK-2", "boat", "dave").await;
    s.advance("PT1H").await;
    let i3 = start(&s, "other", "BK-3", json!({})).await;
    let (a1, a2, o3) = (
        task_of(&s, &i1, "approve").await,
        task_of(&s, &i2, "approve").await,
        task_of(&s, &i3, "simple").await,
    );
    let (st, _) = s
        .post(&format!("/task/{}/unclaim", id(&a2)), json!({}))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (car, boat, simple) = ("Approve car", "Approve boat", "Simple");
    let all = [car, boat, simple];

    // a1: carol's; a2: unassigned, candidates alice, bob, managers; o3: nobody's.
    let checks: Vec<(String, Vec<&str>)> = vec![
        (format!("processInstanceId={i1}"), vec![car]),
        (format!("processInstanceIdIn={i1},{i3}"), vec![car, simple]),
        ("processInstanceBusinessKey=BK-2".into(), vec![boat]),
        (
            "processInstanceBusinessKeyIn=BK-1,BK-3".into(),
            vec![car, simple],
        ),
        ("processInstanceBusinessKeyLike=%253".into(), vec![simple]),
        (format!("processDefinitionId={other_def}"), vec![simple]),
        ("processDefinitionKey=review".into(), vec![car, boat]),
        ("processDefinitionKeyIn=other".into(), vec![simple]),
        ("processDefinitionName=Process%20other".into(), vec![simple]),
        (
            format!("executionId={}", a1["executionId"].as_str().unwrap()),
            vec![car],
        ),
        ("taskDefinitionKey=simple".into(), vec![simple]),
        ("taskDefinitionKeyIn=approve".into(), vec![car, boat]),
        ("taskDefinitionKeyLike=appr%25".into(), vec![car, boat]),
        (format!("taskId={}", id(&a1)), vec![car]),
        (
            format!("taskIdIn={},{}", id(&a1), id(&o3)),
            vec![car, simple],
        ),
        (format!("taskId={}&taskIdIn={}", id(&a1), id(&o3)), vec![]),
        ("name=Approve%20car".into(), vec![car]),
        ("nameNotEqual=Approve%20car".into(), vec![boat, simple]),
        ("nameLike=Approve%25".into(), vec![car, boat]),
        ("nameNotLike=Approve%25".into(), vec![simple]),
        ("description=Check%20boat".into(), vec![boat]),
        ("descriptionLike=Check%25".into(), vec![car, boat]),
        ("assignee=carol".into(), vec![car]),
        ("assigneeIn=carol,zed".into(), vec![car]),
        ("assigneeLike=car%25".into(), vec![car]),
        ("candidateUser=alice".into(), vec![boat]),
        (
            "candidateUser=alice&includeAssignedTasks=true".into(),
            vec![car, boat],
        ),
        ("candidateGroup=managers".into(), vec![boat]),
        ("candidateGroups=managers,clerks".into(), vec![boat]),
        ("candidateGroupLike=man%25".into(), vec![boat]),
        ("involvedUser=carol".into(), vec![car]),
        ("involvedUser=alice".into(), vec![car, boat]),
        ("assigned=true".into(), vec![car]),
        ("unassigned=true".into(), vec![boat, simple]),
        ("withCandidateGroups=true".into(), vec![boat]),
        (
            "withCandidateUsers=true&includeAssignedTasks=true".into(),
            vec![car, boat],
        ),
        ("withoutCandidateGroups=true".into(), vec![simple]),
        (
            "withoutCandidateUsers=true&includeAssignedTasks=true".into(),
            vec![simple],
        ),
        (format!("dueDate={}", q(T0 + 2 * DAY)), vec![car, boat]),
        (format!("dueBefore={}", q(T0 + 3 * DAY)), vec![car, boat]),
        (format!("dueAfter={}", q(T0 + DAY)), vec![car, boat]),
        (format!("dueAfter={}", q(T0 + 3 * DAY)), vec![]),
        ("withoutDueDate=true".into(), vec![simple]),
        (format!("followUpDate={}", q(T0 + DAY)), vec![car, boat]),
        (
            format!("followUpBefore={}", q(T0 + 2 * DAY)),
            vec![car, boat],
        ),
        (format!("followUpAfter={}", q(T0 + 2 * DAY)), vec![]),
        (
            format!("followUpBeforeOrNotExistent={}", q(T0)),
            vec![simple],
        ),
        (
            format!("followUpBeforeOrNotExistent={}", q(T0 + 2 * DAY)),
            all.to_vec(),
        ),
        (format!("createdOn={}", q(T0)), vec![car, boat]),
        (
            format!("createdBefore={}", q(T0 + HOUR / 2)),
            vec![car, boat],
        ),
        (format!("createdAfter={}", q(T0 + HOUR / 2)), vec![simple]),
        (format!("updatedAfter={}", q(T0 + HOUR / 2)), vec![boat]),
        ("priority=70".into(), vec![car, boat]),
        ("minPriority=60".into(), vec![car, boat]),
        ("maxPriority=60".into(), vec![simple]),
        ("active=true".into(), all.to_vec()),
        ("suspended=true".into(), vec![]),
        ("tenantIdIn=t1".into(), vec![]),
        ("withoutTenantId=true".into(), all.to_vec()),
        ("parentTaskId=p".into(), vec![]),
        (
            format!("activityInstanceIdIn={}", activity_instance(&s, &a2).await),
            vec![boat],
        ),
    ];
    for (query, expected) in &checks {
        expect(&s, query, expected).await;
    }

    // `orQueries`: any one filter of each; the candidate filter is one of them,
    // with its "unassigned" part (so the unassigned "Simple" stays out).
    let (st, list) = s
        .post(
            "/task",
            json!({"orQueries": [{"assignee": "carol", "candidateGroup": "managers"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let got: BTreeSet<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, BTreeSet::from([car, boat]));
    let (st, count) = s
        .post(
            "/task/count",
            json!({"processDefinitionKey": "review",
                   "orQueries": [{"name": "Simple", "assignee": "carol"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{count}");
    assert_eq!(count["count"], 1, "review and (Simple or carol's)");

    // People change: o3 goes to erin, owned by frank.
    let (st, _) = s
        .post(
            &format!("/task/{}/assignee", id(&o3)),
            json!({"userId": "erin"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = s
        .post(
            &format!("/task/{}/identity-links", id(&o3)),
            json!({"userId": "frank", "type": "owner"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    expect(&s, "owner=frank", &[simple]).await;
    expect(&s, "assigneeNotIn=carol", &[simple]).await;
    expect(&s, "involvedUser=frank", &[simple]).await;

    // Sorts and pages.
    assert_eq!(
        names(&s, "sortBy=name&sortOrder=asc").await,
        [boat, car, simple]
    );
    assert_eq!(
        names(&s, "sortBy=name&sortOrder=desc").await,
        [simple, car, boat]
    );
    assert_eq!(
        names(
            &s,
            "sortBy=priority&sortOrder=asc&firstResult=0&maxResults=1"
        )
        .await,
        [simple]
    );
    assert_eq!(
        names(&s, "sortBy=created&sortOrder=desc").await[0],
        simple,
        "the newest first"
    );
    assert_eq!(
        names(&s, "sortBy=name&sortOrder=asc&firstResult=1&maxResults=1").await,
        [car]
    );
    for sort in [
        "instanceId",
        "dueDate",
        "followUpDate",
        "executionId",
        "assignee",
        "lastUpdated",
        "description",
        "id",
        "nameCaseInsensitive",
        "tenantId",
        "caseInstanceId",
    ] {
        assert_eq!(
            names(&s, &format!("sortBy={sort}&sortOrder=asc"))
                .await
                .len(),
            3
        );
    }
    assert_eq!(
        names(&s, "sortBy=dueDate&sortOrder=desc").await[2],
        simple,
        "no due date sorts first ascending, last descending"
    );
    let (st, list) = s
        .post(
            "/task?firstResult=0&maxResults=2",
            json!({"sorting": [{"sortBy": "priority", "sortOrder": "desc"},
                               {"sortBy": "name", "sortOrder": "asc"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let got: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, [boat, car]);
    let (st, count) = s
        .get("/task/count?processDefinitionKey=review&sortBy=name&sortOrder=asc&maxResults=1")
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(count["count"], 2, "a count ignores paging");

    // Mistakes.
    for (query, message) in [
        ("sortBy=name", "sortBy and sortOrder required"),
        ("sortBy=nope&sortOrder=asc", "'sortBy' to value 'nope'"),
        ("sortBy=name&sortOrder=up", "'sortOrder' to value 'up'"),
        (
            "delegationState=bogus",
            "Valid values for property 'delegationState'",
        ),
        (
            "processVariables=nonsense",
            "Cannot read variable filter 'nonsense'",
        ),
        ("taskVariables=a_eq_1,b", "Cannot read variable filter 'b'"),
        ("caseInstanceId=c", "'caseInstanceId'"),
        (
            "assigneeExpression=${currentUser()}",
            "'assigneeExpression'",
        ),
        (
            "withTaskVariablesInReturn=true",
            "'withTaskVariablesInReturn'",
        ),
        ("dueAfter=yesterday", "dueAfter"),
        ("priority=high", "priority"),
    ] {
        error(
            &s.get(&format!("/task?{query}")).await,
            StatusCode::BAD_REQUEST,
            "InvalidRequestException",
            message,
            Value::Null,
        );
    }
    for (query, message) in [
        (
            "candidateUser=a&candidateGroup=g",
            "cannot set both candidateUser and candidateGroup",
        ),
        (
            "includeAssignedTasks=true",
            "has to be called before 'includeAssignedTasks'",
        ),
        (
            "tenantIdIn=t&withoutTenantId=true",
            "cannot set both tenantIdIn and withoutTenantId",
        ),
        (
            "withoutDueDate=true&dueBefore=2026-01-01T00:00:00",
            "withoutDueDate",
        ),
    ] {
        error(
            &s.get(&format!("/task/count?{query}")).await,
            StatusCode::BAD_REQUEST,
            "ProcessEngineException",
            message,
            json!(0),
        );
    }
    // Variable filters: the instance's variables (any scope), the task's own.
    expect(&s, "processVariables=item_eq_car", &[car]).await;
    expect(&s, "processVariables=item_like_%25oa%25", &[boat]).await;
    expect(&s, "processVariables=item_neq_car,starter_eq_dave", &[boat]).await;
    expect(&s, "processVariables=item_eq_plane", &[]).await;
    let (st, _) = s
        .put(
            &format!("/task/{}/localVariables/urgent", id(&o3)),
            json!({"value": true}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    expect(&s, "taskVariables=urgent_eq_true", &[simple]).await;
    expect(&s, "taskVariables=item_eq_car", &[]).await;
    let posted = |body: Value| {
        let s = &s;
        async move {
            let (st, list) = s.post("/task", body).await;
            assert_eq!(st, StatusCode::OK, "{list}");
            let mut names: Vec<String> = list
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect();
            names.sort();
            names
        }
    };
    assert_eq!(
        posted(json!({"processVariables": [{"name": "item", "operator": "eq", "value": "boat"}]}))
            .await,
        [boat]
    );
    assert_eq!(
        posted(json!({"orQueries": [{
            "processVariables": [{"name": "item", "operator": "eq", "value": "car"}],
            "taskVariables": [{"name": "urgent", "operator": "eq", "value": true}]
        }]}))
        .await,
        [car, simple]
    );
    error(
        &s.post(
            "/task",
            json!({"processVariables": [{"name": "a", "operator": "nope", "value": 1}]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "Invalid variable comparator specified: nope",
        Value::Null,
    );
    error(
        &s.post(
            "/task",
            json!({"orQueries": [{"withCandidateGroups": true}]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "ProcessEngineException",
        "cannot set withCandidateGroups() within 'or' query",
        json!(0),
    );
    error(
        &s.post(
            "/task",
            json!({"sorting": [{"sortBy": "processVariable", "sortOrder": "asc"}]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "'processVariable'",
        Value::Null,
    );
}

/// The activity instance id of a task, from its process instance's tree.
async fn activity_instance(s: &Server, task: &Value) -> String {
    let instance = task["processInstanceId"].as_str().unwrap();
    let (_, tree) = s
        .get(&format!("/process-instance/{instance}/activity-instances"))
        .await;
    tree["childActivityInstances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["activityId"] == task["taskDefinitionKey"])
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn people_claim_delegate_resolve_update_and_complete() {
    let s = server_manual().await;
    s.deploy_model("review", REVIEW).await;
    let i = review(&s, "BK-1", "car", "carol").await;
    let t = id(&task_of(&s, &i, "approve").await);
    let path = |p: &str| format!("/task/{t}/{p}");
    let get = || async { s.get(&format!("/task/{t}")).await.1 };

    error(
        &s.post(&path("claim"), json!({"userId": "alice"})).await,
        StatusCode::BAD_REQUEST,
        "TaskAlreadyClaimedException",
        &format!("Task '{t}' is already claimed by someone else."),
        json!(0),
    );
    let (st, body) = s.post(&path("claim"), json!({"userId": "carol"})).await;
    assert_eq!(
        (st, body),
        (StatusCode::NO_CONTENT, Value::Null),
        "her own again"
    );
    let (st, _) = s.post(&path("unclaim"), json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(get().await["assignee"], Value::Null);
    let (st, _) = s.post(&path("claim"), json!({"userId": "alice"})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(get().await["assignee"], "alice");
    let (st, _) = s.post(&path("assignee"), json!({"userId": "bob"})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(get().await["assignee"], "bob");
    assert_eq!(get().await["taskState"], "Updated");

    let (st, _) = s.post(&path("delegate"), json!({"userId": "dan"})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let task = get().await;
    assert_eq!(
        (&task["assignee"], &task["owner"], &task["delegationState"]),
        (&json!("dan"), &json!("bob"), &json!("PENDING"))
    );
    expect(&s, "delegationState=PENDING", &["Approve car"]).await;
    expect(&s, "delegationState=RESOLVED", &[]).await;
    let (st, _) = s
        .post(
            &path("resolve"),
            json!({"variables": {"checked": {"value": true}}}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let task = get().await;
    assert_eq!(
        (&task["assignee"], &task["owner"], &task["delegationState"]),
        (&json!("bob"), &json!("bob"), &json!("RESOLVED"))
    );
    let (_, checked) = s.get(&path("variables/checked")).await;
    assert_eq!(checked["value"], true);

    // PUT overwrites every field; what it leaves out is cleared.
    let (st, body) = s
        .put(
            &format!("/task/{t}"),
            json!({"name": "Renamed", "description": "New", "priority": "10",
                   "assignee": "erin", "owner": "frank", "delegationState": "pending",
                   "due": "2026-02-01T09:00:00.000+0100", "followUp": "2026-01-15T00:00:00",
                   "caseInstanceId": null}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    let task = get().await;
    assert_eq!(task["name"], "Renamed");
    assert_eq!(task["description"], "New");
    assert_eq!(task["priority"], 10);
    assert_eq!(task["assignee"], "erin");
    assert_eq!(task["owner"], "frank");
    assert_eq!(task["delegationState"], "PENDING");
    assert_eq!(task["due"], "2026-02-01T08:00:00.000+0000");
    assert_eq!(task["followUp"], "2026-01-15T00:00:00.000+0000");
    let (st, _) = s.put(&format!("/task/{t}"), json!({"name": "Bare"})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let task = get().await;
    assert_eq!(
        task["priority"], 0,
        "an update without a priority sets 0, as Camunda's"
    );
    for key in [
        "description",
        "assignee",
        "owner",
        "delegationState",
        "due",
        "followUp",
    ] {
        assert_eq!(task[key], Value::Null, "{key} is cleared");
    }
    let before = get().await;
    error(
        &s.put(
            &format!("/task/{t}"),
            json!({"delegationState": "SOMETIMES"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "Valid values for property 'delegationState' are 'PENDING' or 'RESOLVED', but was 'SOMETIMES'",
        Value::Null,
    );
    error(
        &s.put(&format!("/task/{t}"), json!({"due": "soon"})).await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "due",
        Value::Null,
    );
    assert_eq!(get().await, before, "a refused update changes nothing");
    error(
        &s.put("/task/nope", json!({})).await,
        StatusCode::NOT_FOUND,
        "InvalidRequestException",
        "No matching task with id nope",
        Value::Null,
    );

    // Complete with the variables in return, then without.
    let (st, vars) = s
        .post(
            &path("complete"),
            json!({"variables": {"approved": {"value": true, "type": "Boolean"}},
                   "withVariablesInReturn": true}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{vars}");
    assert_eq!(
        vars["approved"],
        json!({"type": "Boolean", "value": true, "valueInfo": {}})
    );
    assert_eq!(vars["item"]["value"], "car");
    assert_eq!(vars["checked"]["value"], true);
    let archive = id(&task_of(&s, &i, "archive").await);
    let (st, body) = s
        .post(
            &format!("/task/{archive}/complete"),
            json!({"variables": {"n": {"value": 1}}}),
        )
        .await;
    assert_eq!((st, body), (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(s.state(&i).await, "COMPLETED");
    let (_, n) = s
        .get(&format!(
            "/history/variable-instance?processInstanceId={i}&variableName=n"
        ))
        .await;
    assert_eq!(n[0]["value"], 1, "{n}");

    // Unknown tasks, with Camunda's types and messages.
    let gone = "Cannot find task with id nope: task is null";
    error(
        &s.post("/task/nope/claim", json!({"userId": "a"})).await,
        StatusCode::NOT_FOUND,
        "NullValueException",
        gone,
        json!(0),
    );
    error(
        &s.post("/task/nope/unclaim", json!({})).await,
        StatusCode::BAD_REQUEST,
        "NotFoundException",
        gone,
        json!(0),
    );
    error(
        &s.post("/task/nope/assignee", json!({"userId": "a"})).await,
        StatusCode::BAD_REQUEST,
        "NotFoundException",
        gone,
        json!(0),
    );
    error(
        &s.post("/task/nope/delegate", json!({"userId": "a"})).await,
        StatusCode::NOT_FOUND,
        "NullValueException",
        gone,
        json!(0),
    );
    error(
        &s.post("/task/nope/resolve", json!({})).await,
        StatusCode::NOT_FOUND,
        "NullValueException",
        gone,
        json!(0),
    );
    error(
        &s.post("/task/nope/complete", json!({})).await,
        StatusCode::NOT_FOUND,
        "RestException",
        "Cannot complete task nope: Cannot find task with id nope: task is null",
        json!(0),
    );
    error(
        &s.post(
            &format!("/task/{archive}/complete"),
            json!({"variables": {"x": {"value": "a", "type": "Integer"}}}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        &format!("Cannot complete task {archive}: Cannot convert value of variable 'x'"),
        Value::Null,
    );
}

#[tokio::test]
async fn errors_escalations_and_timers_leave_through_boundary_events() {
    let s = server_manual().await;
    s.deploy_model("review", REVIEW).await;

    // A non-interrupting escalation leaves the task open and starts another.
    let i = review(&s, "BK-1", "car", "carol").await;
    let t = id(&task_of(&s, &i, "approve").await);
    let (st, body) = s
        .post(
            &format!("/task/{t}/bpmnEscalation"),
            json!({"escalationCode": "NOTE", "variables": {"note": {"value": "hi"}}}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    task_of(&s, &i, "approve").await;
    task_of(&s, &i, "read_note").await;
    let (_, note) = s.get(&format!("/task/{t}/variables/note")).await;
    assert_eq!(note["value"], "hi");
    error(
        &s.post(
            &format!("/task/{t}/bpmnEscalation"),
            json!({"escalationCode": "NOBODY"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "RestException",
        "but no escalation handler was defined",
        json!(0),
    );
    error(
        &s.post(&format!("/task/{t}/bpmnEscalation"), json!({}))
            .await,
        StatusCode::BAD_REQUEST,
        "RestException",
        "escalationCode is empty",
        json!(0),
    );
    error(
        &s.post(
            &format!("/task/{t}/bpmnError"),
            json!({"errorMessage": "no code"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "RestException",
        "errorCode is empty",
        json!(0),
    );
    task_of(&s, &i, "approve").await;

    // A BPMN error goes to the error boundary and deletes the task.
    let (st, body) = s
        .post(
            &format!("/task/{t}/bpmnError"),
            json!({"errorCode": "REJECT", "errorMessage": "too expensive",
                   "variables": {"reason": {"value": "price"}}}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    assert!(s.passed(&i).await.contains(&"end_rejected".to_owned()));
    let (st, _) = s.get(&format!("/task/{t}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, h) = s.get(&format!("/history/task?taskId={t}")).await;
    assert_eq!(h[0]["deleteReason"], "deleted", "{h}");

    // An interrupting escalation.
    let i2 = review(&s, "BK-2", "boat", "dave").await;
    let t2 = id(&task_of(&s, &i2, "approve").await);
    let (st, _) = s
        .post(
            &format!("/task/{t2}/bpmnEscalation"),
            json!({"escalationCode": "STOP"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert!(s.passed(&i2).await.contains(&"end_stopped".to_owned()));
    let (st, _) = s.get(&format!("/task/{t2}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // The timer boundary after five days.
    let i3 = review(&s, "BK-3", "bike", "erin").await;
    let t3 = id(&task_of(&s, &i3, "approve").await);
    s.advance("P6D").await;
    assert!(s.passed(&i3).await.contains(&"end_timeout".to_owned()));
    let (_, h) = s.get(&format!("/history/task?taskId={t3}")).await;
    assert_eq!(h[0]["deleteReason"], "deleted", "{h}");
    assert_eq!(h[0]["endTime"], at(T0 + 6 * DAY), "when the clock moved");

    for path in ["bpmnError", "bpmnEscalation"] {
        error(
            &s.post(
                &format!("/task/nope/{path}"),
                json!({"errorCode": "X", "escalationCode": "X"}),
            )
            .await,
            StatusCode::NOT_FOUND,
            "RestException",
            "Cannot find task with id nope: task is null",
            json!(0),
        );
    }
}

#[tokio::test]
async fn identity_links_comments_and_variables() {
    let s = server_manual().await;
    s.deploy_model("review", REVIEW).await;
    let i = review(&s, "BK-1", "car", "carol").await;
    let t = id(&task_of(&s, &i, "approve").await);

    // Identity links: the assignee, then the candidates.
    let (st, links) = s.get(&format!("/task/{t}/identity-links")).await;
    assert_eq!(st, StatusCode::OK);
    let links = links.as_array().unwrap().clone();
    for l in &links {
        assert_eq!(keys(l), set(LINK_KEYS));
    }
    assert_eq!(
        links,
        vec![
            json!({"userId": "carol", "groupId": null, "type": "assignee"}),
            json!({"userId": "alice", "groupId": null, "type": "candidate"}),
            json!({"userId": "bob", "groupId": null, "type": "candidate"}),
            json!({"userId": null, "groupId": "managers", "type": "candidate"}),
        ]
    );
    let (_, only) = s
        .get(&format!("/task/{t}/identity-links?type=assignee"))
        .await;
    assert_eq!(only.as_array().unwrap().len(), 1);
    let (st, _) = s
        .post(
            &format!("/task/{t}/identity-links"),
            json!({"groupId": "auditors", "type": "candidate"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    expect(
        &s,
        "candidateGroup=auditors&includeAssignedTasks=true",
        &["Approve car"],
    )
    .await;
    let (st, _) = s
        .post(
            &format!("/task/{t}/identity-links/delete"),
            json!({"groupId": "auditors", "type": "candidate"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    expect(&s, "candidateGroup=auditors&includeAssignedTasks=true", &[]).await;
    error(
        &s.post(
            &format!("/task/{t}/identity-links"),
            json!({"userId": "u", "groupId": "g", "type": "candidate"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "Identity Link requires userId or groupId, but not both.",
        Value::Null,
    );
    error(
        &s.post(
            &format!("/task/{t}/identity-links"),
            json!({"type": "candidate"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "Identity Link requires userId or groupId.",
        Value::Null,
    );
    error(
        &s.get("/task/nope/identity-links").await,
        StatusCode::NOT_FOUND,
        "NullValueException",
        "Cannot find task with id nope: task is null",
        json!(0),
    );

    // Comments.
    let (st, c) = s
        .post(
            &format!("/task/{t}/comment/create"),
            json!({"message": "Looks good"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{c}");
    assert_eq!(keys(&c), set(COMMENT_KEYS));
    assert_eq!(c["message"], "Looks good");
    assert_eq!(c["taskId"], t.as_str());
    assert_eq!(c["processInstanceId"], i.as_str());
    assert_eq!(c["rootProcessInstanceId"], i.as_str());
    assert_eq!(c["time"], at(T0));
    assert_eq!(c["links"][0]["rel"], "self");
    let comment = c["id"].as_str().unwrap().to_owned();
    let (_, list) = s.get(&format!("/task/{t}/comment")).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(keys(&list[0]), set(COMMENT_KEYS));
    let (st, one) = s.get(&format!("/task/{t}/comment/{comment}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(one["message"], "Looks good");
    error(
        &s.get(&format!("/task/{t}/comment/nope")).await,
        StatusCode::NOT_FOUND,
        "InvalidRequestException",
        &format!("Task comment with id nope does not exist for task id '{t}'."),
        Value::Null,
    );
    error(
        &s.post("/task/nope/comment/create", json!({"message": "x"}))
            .await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "No task found for task id nope",
        Value::Null,
    );
    error(
        &s.post(&format!("/task/{t}/comment/create"), json!({}))
            .await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "Not enough parameters submitted",
        json!(0),
    );
    error(
        &s.get("/task/nope/comment").await,
        StatusCode::NOT_FOUND,
        "InvalidRequestException",
        "No task found for task id nope",
        Value::Null,
    );

    // Variables: the task sees the instance's; local ones are its own.
    let (_, all) = s.get(&format!("/task/{t}/variables")).await;
    assert_eq!(all["item"]["value"], "car");
    let (_, local) = s.get(&format!("/task/{t}/localVariables")).await;
    assert_eq!(local, json!({}));
    let (st, _) = s
        .put(
            &format!("/task/{t}/localVariables/mine"),
            json!({"value": 5, "type": "Integer"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = s
        .put(
            &format!("/task/{t}/variables/shared"),
            json!({"value": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, local) = s.get(&format!("/task/{t}/localVariables")).await;
    assert_eq!(keys(&local), set(&["mine"]));
    assert_eq!(
        local["mine"],
        json!({"type": "Integer", "value": 5, "valueInfo": {}})
    );
    let (_, instance) = s.get(&format!("/process-instance/{i}/variables")).await;
    assert_eq!(
        keys(&instance),
        set(&["item", "shared", "starter"]),
        "not 'mine'"
    );
    let (_, all) = s.get(&format!("/task/{t}/variables")).await;
    assert_eq!(keys(&all), set(&["item", "mine", "shared", "starter"]));
    let (st, _) = s
        .post(
            &format!("/task/{t}/localVariables"),
            json!({"modifications": {"doc": {"value": "{\"a\":1}", "type": "Json"},
                                     "blob": {"value": "aGk=", "type": "Bytes"}},
                   "deletions": ["mine"]}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, local) = s.get(&format!("/task/{t}/localVariables")).await;
    assert_eq!(keys(&local), set(&["blob", "doc"]));
    let data = s
        .http
        .get(format!("{}/task/{t}/localVariables/blob/data", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(data.status(), StatusCode::OK);
    assert_eq!(data.bytes().await.unwrap().as_ref(), b"hi");
    error(
        &s.get(&format!("/task/{t}/localVariables/doc/data")).await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "is not a binary value",
        Value::Null,
    );
    let (st, _) = s.delete(&format!("/task/{t}/variables/shared")).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, instance) = s.get(&format!("/process-instance/{i}/variables")).await;
    assert_eq!(keys(&instance), set(&["item", "starter"]));
    error(
        &s.get(&format!("/task/{t}/variables/nope")).await,
        StatusCode::NOT_FOUND,
        "InvalidRequestException",
        "task variable with name nope does not exist",
        Value::Null,
    );
    error(
        &s.get(&format!("/task/{t}/localVariables/item")).await,
        StatusCode::NOT_FOUND,
        "InvalidRequestException",
        "task variable with name item does not exist",
        Value::Null,
    );
    error(
        &s.get("/task/nope/variables").await,
        StatusCode::NOT_FOUND,
        "NullValueException",
        "task nope doesn't exist",
        json!(0),
    );
    error(
        &s.put("/task/nope/variables/x", json!({"value": 1})).await,
        StatusCode::NOT_FOUND,
        "RestException",
        "Cannot put task variable x: Cannot find task with id nope",
        json!(0),
    );
    error(
        &s.put(
            &format!("/task/{t}/variables/x"),
            json!({"value": "a", "type": "Long"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "Cannot put task variable x: Cannot convert value of variable 'x'",
        Value::Null,
    );

    // Comments outlive their task; its local variables end with it.
    let (st, _) = s.post(&format!("/task/{t}/complete"), json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let archive = id(&task_of(&s, &i, "archive").await);
    let (_, local) = s.get(&format!("/task/{archive}/localVariables")).await;
    assert_eq!(local, json!({}), "the next task has none of the last one's");
    let (_, instance) = s.get(&format!("/process-instance/{i}/variables")).await;
    assert_eq!(keys(&instance), set(&["item", "starter"]));
    let (st, list) = s.get(&format!("/task/{t}/comment")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn task_history_has_start_end_duration_assignee_and_reason() {
    let s = server_manual().await;
    s.deploy_model("review", REVIEW).await;
    let i1 = review(&s, "BK-1", "car", "carol").await;
    let i2 = review(&s, "BK-2", "boat", "dave").await;
    let t1 = id(&task_of(&s, &i1, "approve").await);
    let t2 = id(&task_of(&s, &i2, "approve").await);
    s.advance("PT2H").await;
    let (st, _) = s.post(&format!("/task/{t1}/complete"), json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = s.delete(&format!("/process-instance/{i2}")).await;
    assert_eq!(st, StatusCode::NO_CONTENT);

    let (st, h) = s.get(&format!("/history/task?taskId={t1}")).await;
    assert_eq!(st, StatusCode::OK);
    let h = &h[0];
    assert_eq!(keys(h), set(HISTORIC_TASK_KEYS));
    assert_eq!(h["startTime"], at(T0));
    assert_eq!(h["endTime"], at(T0 + 2 * HOUR));
    assert_eq!(h["duration"], 2 * HOUR);
    assert_eq!(h["deleteReason"], "completed");
    assert_eq!(h["assignee"], "carol");
    assert_eq!(h["name"], "Approve car");
    assert_eq!(h["priority"], 70);
    assert_eq!(h["due"], at(T0 + 2 * DAY));
    assert_eq!(h["processDefinitionKey"], "review");
    assert_eq!(h["rootProcessInstanceId"], i1.as_str());
    assert_eq!(h["taskState"], "Completed");
    let (_, h2) = s.get(&format!("/history/task?taskId={t2}")).await;
    assert!(h2[0]["deleteReason"].is_string(), "{h2}");
    assert_eq!(h2[0]["endTime"], at(T0 + 2 * HOUR));

    let ids = |v: &Value| -> BTreeSet<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| {
                t["taskDefinitionKey"].as_str().unwrap().to_owned()
                    + "@"
                    + t["processInstanceId"].as_str().unwrap()
            })
            .collect()
    };
    let a1 = format!("approve@{i1}");
    let a2 = format!("approve@{i2}");
    let r1 = format!("archive@{i1}");
    for (query, expected) in [
        (format!("processInstanceId={i1}"), vec![&a1, &r1]),
        ("finished=true".to_owned(), vec![&a1, &a2]),
        ("unfinished=true".to_owned(), vec![&r1]),
        ("taskDeleteReason=completed".to_owned(), vec![&a1]),
        ("taskAssignee=dave".to_owned(), vec![&a2]),
        ("taskAssigneeLike=car%25".to_owned(), vec![&a1]),
        ("assigned=true".to_owned(), vec![&a1, &a2]),
        ("unassigned=true".to_owned(), vec![&r1]),
        ("taskDefinitionKey=archive".to_owned(), vec![&r1]),
        ("taskDefinitionKeyIn=approve".to_owned(), vec![&a1, &a2]),
        ("taskName=Approve%20boat".to_owned(), vec![&a2]),
        ("taskNameLike=Approve%25".to_owned(), vec![&a1, &a2]),
        ("taskDescriptionLike=%25car".to_owned(), vec![&a1]),
        ("taskInvolvedUser=alice".to_owned(), vec![&a1, &a2]),
        ("taskPriority=50".to_owned(), vec![&r1]),
        (format!("startedAfter={}", q(T0 + HOUR)), vec![&r1]),
        (
            format!("finishedBefore={}", q(T0 + 3 * HOUR)),
            vec![&a1, &a2],
        ),
        (format!("taskDueDateAfter={}", q(T0 + 3 * DAY)), vec![&r1]),
        (
            "processDefinitionKey=review&withoutTenantId=true".to_owned(),
            vec![&a1, &a2, &r1],
        ),
        ("tenantIdIn=t".to_owned(), vec![]),
    ] {
        let (st, list) = s.get(&format!("/history/task?{query}")).await;
        assert_eq!(st, StatusCode::OK, "{query}: {list}");
        let want: BTreeSet<String> = expected.into_iter().cloned().collect();
        assert_eq!(ids(&list), want, "GET /history/task?{query}");
        let (_, count) = s.get(&format!("/history/task/count?{query}")).await;
        assert_eq!(count["count"], want.len(), "count {query}");
    }
    let (st, list) = s
        .post(
            "/history/task?maxResults=2",
            json!({"processDefinitionKey": "review",
                   "sorting": [{"sortBy": "taskName", "sortOrder": "asc"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let got: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["Approve boat", "Approve car"]);
    let (_, count) = s
        .post("/history/task/count", json!({"finished": true}))
        .await;
    assert_eq!(count["count"], 2);
    let (_, sorted) = s.get("/history/task?sortBy=startTime&sortOrder=desc").await;
    assert_eq!(sorted[0]["taskDefinitionKey"], "archive");
    error(
        &s.get("/history/task?taskHadCandidateUser=alice").await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "'taskHadCandidateUser'",
        Value::Null,
    );
    error(
        &s.get("/history/task?sortBy=startTime").await,
        StatusCode::BAD_REQUEST,
        "InvalidRequestException",
        "sortBy and sortOrder required",
        Value::Null,
    );
}

/// `candidateUser` finds the tasks of the user's groups too, as the identity store
/// knows them, and stops finding them when the user leaves the group.
#[tokio::test]
async fn a_candidate_user_finds_the_tasks_of_their_groups() {
    let s = server().await;
    s.deploy_model("review", REVIEW).await;
    let i = review(&s, "BK-1", "car", "carol").await;
    let a = task_of(&s, &i, "approve").await;
    let (st, _) = s
        .post(&format!("/task/{}/unclaim", id(&a)), json!({}))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    // The task's candidates: alice and bob, and the group managers.
    s.engine
        .create_user(
            baton_engine::User {
                id: "mia".into(),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    expect(&s, "candidateUser=mia", &[]).await;
    s.engine
        .create_group(baton_engine::Group {
            id: "managers".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    s.engine.add_group_member("managers", "mia").await.unwrap();
    expect(&s, "candidateUser=mia", &["Approve car"]).await;
    let (st, list) = s
        .post(
            "/task",
            json!({"orQueries": [{"candidateUser": "mia", "name": "x"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    s.engine
        .remove_group_member("managers", "mia")
        .await
        .unwrap();
    expect(&s, "candidateUser=mia", &[]).await;
}
