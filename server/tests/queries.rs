//! List and count queries over real HTTP: every filter, sort and page the engine
//! applies in SQL. Each filter is checked against rows it must leave out, so a
//! filter that was dropped would answer more than the test expects.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The `field` of each object of a JSON array, in order.
fn column(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("an array, not {list}"))
        .iter()
        .map(|x| x[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn ids(list: &Value) -> BTreeSet<String> {
    column(list, "id").into_iter().collect()
}

fn set(items: &[&String]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).clone()).collect()
}

async fn ok(s: &Server, path: &str) -> Value {
    let (status, body) = s.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

async fn ok_post(s: &Server, path: &str, body: Value) -> Value {
    let (status, answer) = s.post(path, body).await;
    assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    answer
}

/// The instances a `variables` filter (query string) finds, checked against the
/// count with the same filter.
async fn by_variables(s: &Server, filter: &str) -> BTreeSet<String> {
    let list = ok(s, &format!("/process-instance?variables={filter}")).await;
    let count = ok(s, &format!("/process-instance/count?variables={filter}")).await;
    assert_eq!(count["count"], list.as_array().unwrap().len(), "{filter}");
    ids(&list)
}

/// The instances a `variables` filter (JSON body) finds, checked against the count.
async fn by_body(s: &Server, filters: Value) -> BTreeSet<String> {
    let body = json!({ "variables": filters });
    let list = ok_post(s, "/process-instance", body.clone()).await;
    let count = ok_post(s, "/process-instance/count", body).await;
    assert_eq!(count["count"], list.as_array().unwrap().len(), "{filters}");
    ids(&list)
}

#[tokio::test]
async fn variable_filters_compare_typed_values_in_sql() {
    let s = server().await;
    s.deploy_model("v", &tasks_model("v", &["t"])).await;
    let a = s
        .start(
            "v",
            json!({"amount": {"value": 50, "type": "Integer"}, "tier": {"value": "gold"},
                   "code": {"value": "50"}, "ok": {"value": true},
                   "due": {"value": "2026-01-01T00:00:00.000+0000", "type": "Date"},
                   "note": {"value": null}}),
        )
        .await;
    let b = s
        .start(
            "v",
            json!({"amount": {"value": 7, "type": "Long"}, "tier": {"value": "silver"},
                   "code": {"value": 50}, "ok": {"value": false},
                   "due": {"value": "2026-09-01T00:00:00.000+0000", "type": "Date"},
                   "note": {"value": "set"}}),
        )
        .await;
    let c = s
        .start(
            "v",
            json!({"amount": {"value": 2.5}, "tier": {"value": "Gold_1"}, "code": {"value": "abc"}}),
        )
        .await;
    let _none = s.start("v", json!({})).await;

    // Numbers across numeric types.
    assert_eq!(by_variables(&s, "amount_gt_10").await, set(&[&a]));
    assert_eq!(by_variables(&s, "amount_lteq_7").await, set(&[&b, &c]));
    assert_eq!(by_variables(&s, "amount_eq_2.5").await, set(&[&c]));
    // Text, and `neq` over the instances that have the variable.
    assert_eq!(by_variables(&s, "tier_eq_gold").await, set(&[&a]));
    assert_eq!(by_variables(&s, "tier_neq_gold").await, set(&[&b, &c]));
    // `like`: case-sensitive, `_` one character, `\_` a literal one.
    assert_eq!(by_variables(&s, "tier_like_G%25").await, set(&[&c]));
    assert_eq!(
        by_variables(&s, "tier_like_%25old%25").await,
        set(&[&a, &c])
    );
    assert_eq!(by_variables(&s, "tier_like_gol_").await, set(&[&a]));
    assert_eq!(by_variables(&s, "tier_like_Gold%5C_1").await, set(&[&c]));
    assert!(by_variables(&s, "tier_like_Gold%5C_").await.is_empty());
    // A query string's number finds the String "50" and the Integer 50.
    assert_eq!(by_variables(&s, "code_eq_50").await, set(&[&a, &b]));
    assert_eq!(by_variables(&s, "ok_eq_true").await, set(&[&a]));
    // Several filters: all must hold.
    assert_eq!(
        by_variables(&s, "amount_gt_5,tier_neq_gold").await,
        set(&[&b])
    );
    assert_eq!(
        by_variables(&s, "amount_gt_5&variables=tier_neq_gold").await,
        set(&[&b])
    );
    assert!(by_variables(&s, "missing_neq_1").await.is_empty());

    // A body's values keep their JSON type.
    let f = |name: &str, op: &str, value: Value| json!([{"name": name, "operator": op, "value": value}]);
    assert_eq!(
        by_body(&s, f("amount", "gteq", json!(7))).await,
        set(&[&a, &b])
    );
    assert_eq!(by_body(&s, f("code", "eq", json!("50"))).await, set(&[&a]));
    assert_eq!(by_body(&s, f("note", "eq", Value::Null)).await, set(&[&a]));
    assert_eq!(by_body(&s, f("note", "neq", Value::Null)).await, set(&[&b]));
    assert_eq!(
        by_body(&s, f("due", "lt", json!("2026-06-01T00:00:00.000+0000"))).await,
        set(&[&a])
    );
    assert_eq!(
        by_variables(&s, "due_gt_2026-06-01T00:00:00.000%2B0000").await,
        set(&[&b])
    );
    assert_eq!(by_body(&s, f("ok", "eq", json!(false))).await, set(&[&b]));

    // What cannot be read or compared is a 400 naming it.
    for (status, err, wanted) in [
        {
            let (st, e) = s.get("/process-instance?variables=nonsense").await;
            (st, e, "Cannot read variable filter 'nonsense'")
        },
        {
            let (st, e) = s
                .post(
                    "/process-instance",
                    json!({"variables": f("x", "nope", json!(1))}),
                )
                .await;
            (st, e, "Invalid variable comparator specified: nope")
        },
        {
            let (st, e) = s
                .post(
                    "/process-instance/count",
                    json!({"variables": f("x", "eq", json!({"a": 1}))}),
                )
                .await;
            (st, e, "Cannot filter by variable 'x'")
        },
        {
            let (st, e) = s
                .post(
                    "/process-instance",
                    json!({"variables": f("x", "like", json!(5))}),
                )
                .await;
            (st, e, "Cannot filter by variable 'x'")
        },
    ] {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        assert_eq!(err["type"], "InvalidRequestException", "{err}");
        assert!(
            err["message"].as_str().unwrap().starts_with(wanted),
            "{err}"
        );
    }
    s.shutdown().await;
}

/// start -> fork -> (external task `work` | timer `wait` | message `msg` | straight
/// on) -> join `join` -> end: one instance waits in four kinds of wait state.
fn waiting_model() -> String {
    model(
        "waits",
        r#"<bpmn:startEvent id="start" />
        <bpmn:parallelGateway id="fork" />
        <bpmn:serviceTask id="work" camunda:type="external" camunda:topic="work" />
        <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:intermediateCatchEvent id="msg"><bpmn:messageEventDefinition messageRef="M" /></bpmn:intermediateCatchEvent>
        <bpmn:parallelGateway id="join" />
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork" />
        <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="work" />
        <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="wait" />
        <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="msg" />
        <bpmn:sequenceFlow id="f4" sourceRef="fork" targetRef="join" />
        <bpmn:sequenceFlow id="f5" sourceRef="work" targetRef="join" />
        <bpmn:sequenceFlow id="f6" sourceRef="wait" targetRef="join" />
        <bpmn:sequenceFlow id="f7" sourceRef="msg" targetRef="join" />
        <bpmn:sequenceFlow id="f8" sourceRef="join" targetRef="end" />"#,
    )
    .replace(
        "<bpmn:process ",
        r#"<bpmn:message id="M" name="M" /><bpmn:process "#,
    )
}

#[tokio::test]
async fn activity_id_in_finds_instances_in_every_kind_of_wait_state() {
    let s = server_manual().await;
    s.deploy_model("waits", &waiting_model()).await;
    s.deploy_model("other", &tasks_model("other", &["t"])).await;
    s.deploy_model(
        "caller",
        &model(
            "caller",
            r#"<bpmn:startEvent id="start" /><bpmn:callActivity id="call" calledElement="other" />
            <bpmn:endEvent id="end" />
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
            <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end" />"#,
        ),
    )
    .await;
    s.deploy_model(
        "many",
        &model(
            "many",
            r#"<bpmn:startEvent id="start" />
            <bpmn:serviceTask id="each" camunda:type="external" camunda:topic="each"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>2</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>
            <bpmn:endEvent id="end" />
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="each" />
            <bpmn:sequenceFlow id="f2" sourceRef="each" targetRef="end" />"#,
        ),
    )
    .await;
    s.deploy_model(
        "stuck",
        &model(
            "stuck",
            r#"<bpmn:startEvent id="start" /><bpmn:exclusiveGateway id="gw" /><bpmn:endEvent id="end" />
            <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw" />
            <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="end"><bpmn:conditionExpression>${missing == 1}</bpmn:conditionExpression></bpmn:sequenceFlow>"#,
        ),
    )
    .await;
    let waits = s.start("waits", json!({})).await;
    let other = s.start("other", json!({})).await;
    let caller = s.start("caller", json!({})).await;
    let many = s.start("many", json!({})).await;
    let stuck = s.start("stuck", json!({})).await;
    let (_, child) = s
        .get(&format!("/process-instance?superProcessInstance={caller}"))
        .await;
    let child = column(&child, "id").remove(0);

    for (activities, wanted) in [
        ("work", set(&[&waits])),
        ("wait", set(&[&waits])),
        ("msg", set(&[&waits])),
        ("join", set(&[&waits])),
        ("task0", set(&[&other, &child])),
        ("call", set(&[&caller])),
        ("each", set(&[&many])),
        ("each%23multiInstanceBody", set(&[&many])),
        ("gw", set(&[&stuck])),
        ("msg,call", set(&[&waits, &caller])),
        ("start", BTreeSet::new()),
    ] {
        let list = ok(&s, &format!("/process-instance?activityIdIn={activities}")).await;
        assert_eq!(ids(&list), wanted, "{activities}");
        let count = ok(
            &s,
            &format!("/process-instance/count?activityIdIn={activities}"),
        )
        .await;
        assert_eq!(count["count"], wanted.len(), "{activities}");
    }
    // A long list in a body, beyond one placeholder per element.
    let mut long: Vec<String> = (0..100).map(|i| format!("nothing{i}")).collect();
    long.push("wait".into());
    let list = ok_post(&s, "/process-instance", json!({"activityIdIn": long})).await;
    assert_eq!(ids(&list), set(&[&waits]));

    // The timer fired and the message came: the instance waits at the task and the
    // join only.
    s.advance("PT2H").await;
    let (status, _) = s.post("/message", json!({"messageName": "M"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let list = ok(&s, "/process-instance?activityIdIn=wait,msg").await;
    assert_eq!(list, json!([]));
    let list = ok(&s, "/process-instance?activityIdIn=work,join").await;
    assert_eq!(ids(&list), set(&[&waits]));
    s.shutdown().await;
}

#[tokio::test]
async fn instance_lists_filter_sort_and_page_in_sql() {
    let s = server().await;
    s.deploy_model("p", &tasks_model("p", &["t"])).await;
    s.deploy_model("q", &tasks_model("q", &["u"])).await;
    let mut started = Vec::new();
    for (key, business) in [("p", "b-2"), ("q", "b-1"), ("p", "B-3"), ("q", "x-4")] {
        let (status, body) = s
            .post(
                &format!("/process-definition/key/{key}/start"),
                json!({"businessKey": business}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        started.push(body["id"].as_str().unwrap().to_owned());
    }
    let [p2, q1, p3, q4] = [&started[0], &started[1], &started[2], &started[3]];

    let list = ok(&s, "/process-instance?businessKeyLike=b-%25").await;
    assert_eq!(ids(&list), set(&[p2, q1]), "case-sensitive");
    let list = ok(&s, "/process-instance?businessKeyLike=_-_").await;
    assert_eq!(ids(&list), set(&[p2, q1, p3, q4]));
    let list = ok(&s, "/process-instance?processDefinitionKeyIn=q").await;
    assert_eq!(ids(&list), set(&[q1, q4]));
    let list = ok(&s, "/process-instance?processDefinitionKeyNotIn=q").await;
    assert_eq!(ids(&list), set(&[p2, p3]));
    let list = ok(&s, "/process-instance?suspended=true").await;
    assert_eq!(list, json!([]));
    let count = ok(&s, "/process-instance/count?active=true&tenantIdIn=x").await;
    assert_eq!(count["count"], 0);

    // Sorting, each direction, then paging over the sorted list.
    let keys = |list: &Value| column(list, "businessKey");
    let list = ok(&s, "/process-instance?sortBy=businessKey&sortOrder=asc").await;
    assert_eq!(keys(&list), ["B-3", "b-1", "b-2", "x-4"]);
    let list = ok(
        &s,
        "/process-instance?sortBy=businessKey&sortOrder=desc&firstResult=1&maxResults=2",
    )
    .await;
    assert_eq!(keys(&list), ["b-2", "b-1"]);
    let list = ok(
        &s,
        "/process-instance?sortBy=definitionKey&sortOrder=desc&maxResults=2",
    )
    .await;
    assert_eq!(ids(&list), set(&[q1, q4]));
    let list = ok_post(
        &s,
        "/process-instance?maxResults=1",
        json!({"sorting": [{"sortBy": "businessKey", "sortOrder": "desc"}]}),
    )
    .await;
    assert_eq!(keys(&list), ["x-4"]);
    let count = ok(&s, "/process-instance/count?maxResults=1&firstResult=1").await;
    assert_eq!(count["count"], 4, "a count ignores paging");

    // External tasks: activityIdIn, sort by priority and definition key, paging.
    let list = ok(&s, "/external-task?activityIdIn=task0,other").await;
    assert_eq!(list.as_array().unwrap().len(), 4);
    let list = ok(&s, "/external-task?activityIdIn=other").await;
    assert_eq!(list, json!([]));
    let list = ok(
        &s,
        "/external-task?sortBy=processDefinitionKey&sortOrder=desc&maxResults=3",
    )
    .await;
    assert_eq!(column(&list, "processDefinitionKey"), ["q", "q", "p"]);
    let count = ok(&s, "/external-task/count?topicName=u&firstResult=5").await;
    assert_eq!(count["count"], 2);

    // History: business keys, states, the instances to leave out, sorting.
    let hist = "/history/process-instance";
    let list = ok(
        &s,
        &format!("{hist}?processInstanceBusinessKeyLike=b%25&processInstanceIdNotIn={p2}"),
    )
    .await;
    assert_eq!(ids(&list), set(&[q1]));
    let task = s.fetch("w", "t").await;
    let done = task
        .iter()
        .find(|t| t["processInstanceId"] == p3.as_str())
        .unwrap();
    let (status, _) = s
        .post(
            &format!("/external-task/{}/complete", done["id"].as_str().unwrap()),
            json!({"workerId": "w"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let list = ok(&s, &format!("{hist}?completed=true")).await;
    assert_eq!(ids(&list), set(&[p3]));
    let list = ok(&s, &format!("{hist}?active=true&processDefinitionKeyIn=p")).await;
    assert_eq!(ids(&list), set(&[p2]));
    let list = ok(&s, &format!("{hist}?rootProcessInstanceId={q4}")).await;
    assert_eq!(ids(&list), set(&[q4]));
    // Unfinished last by end time, first when descending.
    let list = ok(&s, &format!("{hist}?sortBy=endTime&sortOrder=asc")).await;
    assert_eq!(column(&list, "id")[0], *p3);
    let list = ok(&s, &format!("{hist}?sortBy=duration&sortOrder=desc")).await;
    assert_eq!(column(&list, "id")[3], *p3);
    let list = ok(
        &s,
        &format!("{hist}?sortBy=businessKey&sortOrder=asc&firstResult=1&maxResults=1"),
    )
    .await;
    assert_eq!(column(&list, "businessKey"), ["b-1"]);
    let count = ok(&s, &format!("{hist}/count?finished=true&maxResults=0")).await;
    assert_eq!(count["count"], 1);
    s.shutdown().await;
}

#[tokio::test]
async fn history_activity_and_variable_lists_filter_sort_and_page_in_sql() {
    let s = server().await;
    s.deploy_model("h", &tasks_model("h", &["t"])).await;
    let one = s
        .start(
            "h",
            json!({"alpha": {"value": 1}, "beta_x": {"value": 2}, "gamma": {"value": 3}}),
        )
        .await;
    let two = s.start("h", json!({"alpha": {"value": 4}})).await;

    let vars = "/history/variable-instance";
    let list = ok(&s, &format!("{vars}?variableNameIn=alpha,gamma")).await;
    assert_eq!(column(&list, "name"), ["alpha", "gamma", "alpha"]);
    let list = ok(&s, &format!("{vars}?variableNameLike=%25a_x")).await;
    assert_eq!(column(&list, "name"), ["beta_x"]);
    let list = ok(
        &s,
        &format!("{vars}?processInstanceIdIn={two}&variableName=alpha"),
    )
    .await;
    assert_eq!(column(&list, "processInstanceId"), [two.as_str()]);
    let list = ok(
        &s,
        &format!("{vars}?sortBy=variableName&sortOrder=desc&maxResults=2"),
    )
    .await;
    assert_eq!(column(&list, "name"), ["gamma", "beta_x"]);
    let list = ok(
        &s,
        &format!("{vars}?sortBy=instanceId&sortOrder=desc&firstResult=0&maxResults=1"),
    )
    .await;
    assert_eq!(column(&list, "processInstanceId"), [two.as_str()]);
    let count = ok(
        &s,
        &format!("{vars}/count?processInstanceId={one}&maxResults=1"),
    )
    .await;
    assert_eq!(count["count"], 3);

    let acts = "/history/activity-instance";
    let list = ok(&s, &format!("{acts}?processInstanceId={one}")).await;
    assert_eq!(column(&list, "activityId"), ["start", "task0"]);
    let list = ok(
        &s,
        &format!("{acts}?unfinished=true&activityType=serviceTask"),
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let list = ok(&s, &format!("{acts}?activityNameLike=task%25")).await;
    assert_eq!(list, json!([]), "case-sensitive");
    let list = ok(
        &s,
        &format!("{acts}?sortBy=activityId&sortOrder=desc&maxResults=3"),
    )
    .await;
    assert_eq!(column(&list, "activityId"), ["task0", "task0", "start"]);
    let list = ok(
        &s,
        &format!("{acts}?sortBy=occurrence&sortOrder=asc&firstResult=1&maxResults=1"),
    )
    .await;
    assert_eq!(column(&list, "activityId"), ["task0"]);
    let count = ok(&s, &format!("{acts}/count?canceled=true")).await;
    assert_eq!(count["count"], 0);
    let (status, _) = s.delete(&format!("/process-instance/{two}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let list = ok(&s, &format!("{acts}?canceled=true")).await;
    assert_eq!(column(&list, "processInstanceId"), [two.as_str()]);
    let count = ok(&s, &format!("{acts}/count?completeScope=true")).await;
    assert_eq!(count["count"], 0);
    s.shutdown().await;
}

#[tokio::test]
async fn definition_deployment_incident_and_job_lists_filter_sort_and_page_in_sql() {
    let s = server_manual().await;
    let p = s.deploy_model("alpha", &tasks_model("alpha", &["t"])).await;
    let timer = model(
        "beta",
        r#"<bpmn:startEvent id="start" /><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
        <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />"#,
    )
    .replace("<bpmn:process ", r#"<bpmn:process camunda:versionTag="v_1" "#);
    // Each deployment a minute after the one before.
    s.advance("PT1M").await;
    let q = s.deploy_model("beta", &timer).await;
    s.advance("PT1M").await;
    let q2 = s.deploy_model("beta", &timer.replace("PT1H", "PT2H")).await;

    let defs = "/process-definition";
    let list = ok(&s, &format!("{defs}?processDefinitionIdIn={p},{q2}")).await;
    assert_eq!(ids(&list), set(&[&p, &q2]));
    let list = ok(&s, &format!("{defs}?keysIn=beta&versionTagLike=v%5C_%25")).await;
    assert_eq!(ids(&list), set(&[&q, &q2]));
    let list = ok(&s, &format!("{defs}?nameLike=Process%20a%25")).await;
    assert_eq!(ids(&list), set(&[&p]));
    let list = ok(&s, &format!("{defs}?keyLike=BETA")).await;
    assert_eq!(list, json!([]), "case-sensitive");
    let list = ok(
        &s,
        &format!("{defs}?category=http://bpmn.io/schema/bpmn&sortBy=deployTime&sortOrder=desc&maxResults=2"),
    )
    .await;
    assert_eq!(column(&list, "id"), [q2.clone(), q.clone()]);
    let list = ok(
        &s,
        &format!("{defs}?sortBy=version&sortOrder=desc&firstResult=1&maxResults=1"),
    )
    .await;
    assert_eq!(
        column(&list, "key"),
        ["alpha"],
        "version 1s by key, after beta 2"
    );
    let count = ok(&s, &format!("{defs}/count?keysIn=beta&maxResults=1")).await;
    assert_eq!(count["count"], 2);

    // Deployments: their names are the keys; `%` takes one without a name too.
    let deps = "/deployment";
    let list = ok(
        &s,
        &format!("{deps}?nameLike=b%25&sortBy=deploymentTime&sortOrder=asc"),
    )
    .await;
    assert_eq!(column(&list, "name"), ["beta", "beta"]);
    let list = ok(
        &s,
        &format!("{deps}?sortBy=name&sortOrder=asc&maxResults=1"),
    )
    .await;
    assert_eq!(column(&list, "name"), ["alpha"]);
    let count = ok(&s, &format!("{deps}/count?nameLike=%25&source=nowhere")).await;
    assert_eq!(count["count"], 0);
    let count = ok(
        &s,
        &format!("{deps}/count?nameLike=%25&withoutTenantId=true"),
    )
    .await;
    assert_eq!(count["count"], 3);

    // Jobs: two timers; by id, instance, job definition, exception, sorting.
    let one = s.start("beta", json!({})).await;
    let (status, old) = s
        .post(&format!("/process-definition/{q}/start"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{old}");
    let old = old["id"].as_str().unwrap().to_owned();
    let jobs = ok(&s, "/job?sortBy=jobDueDate&sortOrder=desc").await;
    assert_eq!(
        column(&jobs, "processInstanceId"),
        [one.clone(), old.clone()]
    );
    let first = column(&jobs, "id")[1].clone();
    let definition = column(&jobs, "jobDefinitionId")[1].clone();
    let list = ok(&s, &format!("/job?jobIds={first},nothing")).await;
    assert_eq!(column(&list, "processInstanceId"), [old.as_str()]);
    let list = ok(&s, &format!("/job?processInstanceIds={one}")).await;
    assert_eq!(column(&list, "processInstanceId"), [one.as_str()]);
    let list = ok(&s, &format!("/job?jobDefinitionId={definition}")).await;
    assert_eq!(column(&list, "id"), [first.as_str()]);
    let list = ok(&s, "/job?sortBy=jobDueDate&sortOrder=asc&firstResult=1").await;
    assert_eq!(column(&list, "processInstanceId"), [one.as_str()]);
    for filter in [
        "messages=true",
        "withException=true",
        "suspended=true",
        "exceptionMessage=x",
    ] {
        let count = ok(&s, &format!("/job/count?{filter}")).await;
        assert_eq!(count["count"], 0, "{filter}");
    }
    let count = ok(&s, "/job/count?timers=true&active=true&maxResults=1").await;
    assert_eq!(count["count"], 2);

    // Incidents: one per failed task, of two definitions.
    s.start("alpha", json!({})).await;
    s.start("alpha", json!({})).await;
    for (n, task) in s.fetch("w", "t").await.iter().enumerate() {
        let (status, _) = s
            .post(
                &format!("/external-task/{}/failure", task["id"].as_str().unwrap()),
                json!({"workerId": "w", "retries": 0, "errorMessage": format!("broken {n}")}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let list = ok(&s, "/incident?incidentMessageLike=%25 1").await;
    assert_eq!(column(&list, "incidentMessage"), ["broken 1"]);
    let list = ok(&s, "/incident?processDefinitionKeyIn=beta").await;
    assert_eq!(list, json!([]));
    let list = ok(
        &s,
        "/incident?processDefinitionKeyIn=alpha&sortBy=incidentMessage&sortOrder=desc&maxResults=1",
    )
    .await;
    assert_eq!(column(&list, "incidentMessage"), ["broken 1"]);
    let count = ok(
        &s,
        "/incident/count?incidentTimestampBefore=2025-12-31T00:00:00.000%2B0000",
    )
    .await;
    assert_eq!(count["count"], 0);
    let count = ok(
        &s,
        &format!("/incident/count?processDefinitionId={p}&maxResults=1"),
    )
    .await;
    assert_eq!(count["count"], 2);
    s.shutdown().await;
}
