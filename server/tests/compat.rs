//! What Camunda's own reader and error handling do, where a client written for
//! Camunda notices the difference: scalars in request bodies read as Jackson reads
//! them, boolean flags as JAX-RS and Jackson read them, error bodies with
//! Camunda's type, message and code, every invalid resource of a deployment in one
//! answer, decisions refused, a definition's history time to live and category,
//! and an empty path segment where an id belongs. Each over real HTTP against a
//! real database file.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `{type, message, code}` of an error body.
fn error(body: &Value) -> (String, String, Value) {
    (
        body["type"].as_str().unwrap_or_default().to_owned(),
        body["message"].as_str().unwrap_or_default().to_owned(),
        body["code"].clone(),
    )
}

#[tokio::test]
async fn scalars_read_into_string_number_and_boolean_fields_as_camunda_reads_them() {
    let s = server().await;
    s.deploy_model("sc", &tasks_model("sc", &["t"])).await;
    // A number where Camunda's DTO has a string: the business key and the worker id.
    let (status, started) = s
        .post(
            "/process-definition/key/sc/start",
            json!({"businessKey": 42, "withVariablesInReturn": "true"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["businessKey"], "42");
    assert!(started["variables"].is_object(), "{started}");
    for _ in 0..2 {
        s.start("sc", json!({})).await;
    }
    // The Python client's worker_id=0, numbers as strings, booleans as strings,
    // and null in a boolean flag.
    let (status, tasks) = s
        .post(
            "/external-task/fetchAndLock",
            json!({"workerId": 0, "maxTasks": "3", "usePriority": "true",
                   "asyncResponseTimeout": null, "topics": [{
                       "topicName": "t", "lockDuration": "60000", "deserializeValues": null,
                       "localVariables": 0, "includeExtensionProperties": "TRUE",
                       "variables": null}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tasks}");
    let tasks = tasks.as_array().unwrap().clone();
    assert_eq!(tasks.len(), 3);
    assert_eq!(tasks[0]["workerId"], "0");
    assert_eq!(tasks[0]["extensionProperties"], json!({"team": "ops"}));
    let id = |i: usize| tasks[i]["id"].as_str().unwrap().to_owned();
    let (status, body) = s
        .post(
            &format!("/external-task/{}/complete", id(0)),
            json!({"workerId": 0, "variables": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = s
        .post(
            &format!("/external-task/{}/failure", id(1)),
            json!({"workerId": 0, "errorMessage": 500, "retries": "1", "retryTimeout": 0.0}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, failed) = s.get(&format!("/external-task/{}", id(1))).await;
    assert_eq!(failed["errorMessage"], "500");
    assert_eq!(failed["retries"], 1);
    let (status, body) = s
        .post(
            &format!("/external-task/{}/bpmnError", id(2)),
            json!({"workerId": 0, "errorCode": 7, "errorMessage": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = s
        .put(
            &format!("/external-task/{}/retries", id(1)),
            json!({"retries": "2"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = s
        .put(
            &format!("/external-task/{}/priority", id(1)),
            json!({"priority": " 9 "}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // What Jackson refuses stays refused: an object for a string, a word for a
    // number, a fraction for a boolean, a number too large for an int.
    for body in [
        json!({"workerId": {"id": 1}, "topics": []}),
        json!({"workerId": "w", "maxTasks": "ten", "topics": []}),
        json!({"workerId": "w", "usePriority": 0.5, "topics": []}),
        json!({"workerId": "w", "maxTasks": 3_000_000_000i64, "topics": []}),
    ] {
        let (status, answer) = s.post("/external-task/fetchAndLock", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["type"], "InvalidRequestException");
    }
    // Messages and signals: names and business keys as numbers, flags as strings.
    let (status, body) = s
        .post(
            "/message",
            json!({"messageName": 1, "all": "true", "resultEnabled": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!([]));
    let (status, body) = s
        .post("/signal", json!({"name": 1, "withoutTenantId": null}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // A job's due date as milliseconds since the epoch, as Jackson reads a Date.
    let (status, body) = s
        .put(
            "/job/no-such-job/duedate",
            json!({"duedate": 1_767_225_600_000i64}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "read, then not found: {body}"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn boolean_flags_read_as_camunda_reads_them() {
    let s = server().await;
    // JAX-RS reads a query flag with Boolean.valueOf: anything but "true" is false.
    let (status, body) = s.delete("/process-instance/nope?failIfNotExists=AAA").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = s.delete("/process-instance/nope?failIfNotExists=").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "empty is the default: {body}"
    );
    // Deleting a deployment compares cascade with "true" exactly.
    let (_, d) = s
        .deploy("fl", &[("fl.bpmn", &tasks_model("fl", &["t"]))])
        .await;
    let deployment = d["id"].as_str().unwrap().to_owned();
    let inst = s.start("fl", json!({"o": {"value": {"a": 1}}})).await;
    for cascade in ["AAA", "TRUE"] {
        let (status, body) = s
            .delete(&format!("/deployment/{deployment}?cascade={cascade}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{cascade}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("running"),
            "read as false, so the running instance refuses it: {body}"
        );
    }
    // Variables: deserializeValues is a JAX-RS flag defaulting to true.
    let (_, vars) = s
        .get(&format!(
            "/process-instance/{inst}/variables?deserializeValues=AAA"
        ))
        .await;
    assert_eq!(vars["o"]["value"], json!(r#"{"a":1}"#), "{vars}");
    let (_, var) = s
        .get(&format!(
            "/process-instance/{inst}/variables/o?deserializeValue=no"
        ))
        .await;
    assert_eq!(var["value"], json!(r#"{"a":1}"#), "{var}");
    let (_, history) = s
        .get(&format!(
            "/history/variable-instance?processInstanceId={inst}"
        ))
        .await;
    assert_eq!(
        history[0]["value"],
        json!({"a": 1}),
        "history deserializes by default, as Camunda does: {history}"
    );
    // A query DTO's Boolean goes through Jackson: 1 and 0 are numbers it reads,
    // "null" means not given, a word is refused with Camunda's message.
    let (status, body) = s.get("/process-instance/count?withIncident=0").await;
    assert_eq!((status, body["count"].clone()), (StatusCode::OK, json!(1)));
    let (_, body) = s.get("/process-instance/count?withIncident=1").await;
    assert_eq!(body["count"], 0);
    let (_, body) = s.get("/process-instance/count?withIncident=null").await;
    assert_eq!(body["count"], 1);
    let (status, body) = s.get("/process-instance/count?withIncident=AAA").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "Cannot set query parameter 'withIncident' to value 'AAA': \
         Cannot convert value AAA to java type java.lang.Boolean"
    );
    // topic-names filters by its three JAX-RS flags.
    s.fetch("w", "t").await;
    let (_, names) = s
        .get("/external-task/topic-names?withUnlockedTasks=true")
        .await;
    assert_eq!(names, json!([]), "the one task is locked");
    let (_, names) = s
        .get("/external-task/topic-names?withLockedTasks=true")
        .await;
    assert_eq!(names, json!(["t"]));
    // A deployment's multipart flags are read with Boolean.parseBoolean.
    let form = reqwest::multipart::Form::new()
        .text("deployment-name", "fl2")
        .text("enable-duplicate-filtering", "null")
        .text("deploy-changed-only", "yes")
        .part(
            "fl2.bpmn",
            reqwest::multipart::Part::bytes(tasks_model("fl2", &["t"]).into_bytes())
                .file_name("fl2.bpmn"),
        );
    let (status, body) = read(
        s.http
            .post(format!("{}/deployment/create", s.url))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    s.shutdown().await;
}

#[tokio::test]
async fn errors_from_the_engine_carry_code_0_and_camundas_message() {
    let s = server().await;
    let def = s.deploy_model("er", &tasks_model("er", &["t"])).await;
    let cases: &[(&str, &str, StatusCode, &str, &str, Value)] = &[
        (
            "DELETE",
            "/process-instance/nope",
            StatusCode::NOT_FOUND,
            "InvalidRequestException",
            "No process instance found for id 'nope': processInstance is null",
            json!(0),
        ),
        (
            "GET",
            "/process-definition/nope",
            StatusCode::NOT_FOUND,
            "InvalidRequestException",
            "No matching definition with id nope",
            json!(0),
        ),
        (
            "GET",
            "/process-definition/nope/xml",
            StatusCode::NOT_FOUND,
            "InvalidRequestException",
            "No matching definition with id nope",
            json!(0),
        ),
        (
            "GET",
            "/process-definition/key/nope",
            StatusCode::NOT_FOUND,
            "RestException",
            "No matching process definition with key: nope and no tenant-id",
            Value::Null,
        ),
        (
            "POST",
            "/process-definition/key/nope/start",
            StatusCode::NOT_FOUND,
            "RestException",
            "No matching process definition with key: nope and no tenant-id",
            Value::Null,
        ),
        (
            "GET",
            "/process-definition/key/nope/tenant-id/t1/xml",
            StatusCode::NOT_FOUND,
            "RestException",
            "No matching process definition with key: nope and tenant-id: t1",
            Value::Null,
        ),
        (
            "DELETE",
            "/deployment/nope",
            StatusCode::NOT_FOUND,
            "InvalidRequestException",
            "Deployment with id 'nope' do not exist",
            Value::Null,
        ),
        (
            "GET",
            "/external-task/nope",
            StatusCode::NOT_FOUND,
            "RestException",
            "External task with id nope does not exist",
            Value::Null,
        ),
        (
            "POST",
            "/external-task/nope/complete",
            StatusCode::NOT_FOUND,
            "RestException",
            "External task with id nope does not exist",
            json!(0),
        ),
        (
            "POST",
            "/job/nope/execute",
            StatusCode::NOT_FOUND,
            "InvalidRequestException",
            "ENGINE-14026 No job found with id 'nope'",
            Value::Null,
        ),
        (
            "POST",
            "/message",
            StatusCode::BAD_REQUEST,
            "InvalidRequestException",
            "No message name supplied",
            Value::Null,
        ),
        (
            "GET",
            "/process-definition/nope/diagram",
            StatusCode::BAD_REQUEST,
            "NotFoundException",
            "no deployed process definition found with id 'nope': processDefinition is null",
            json!(0),
        ),
        (
            "POST",
            "/process-definition/nope/start",
            StatusCode::NOT_FOUND,
            "RestException",
            "Cannot instantiate process definition nope: \
             no deployed process definition found with id 'nope': processDefinition is null",
            json!(0),
        ),
        (
            "POST",
            "/external-task/nope/extendLock",
            StatusCode::BAD_REQUEST,
            "RestException",
            "lockTime is not greater than 0",
            json!(0),
        ),
        (
            "POST",
            "/external-task/nope/lock",
            StatusCode::BAD_REQUEST,
            "RestException",
            "lockDuration is not greater than 0",
            json!(0),
        ),
    ];
    for (method, path, want_status, want_type, want_message, want_code) in cases {
        let url = format!("{}{path}", s.url);
        let request = match *method {
            "GET" => s.http.get(url),
            "DELETE" => s.http.delete(url),
            _ => s.http.post(url).json(&json!({"workerId": "w"})),
        };
        let (status, body) = read(request.send().await.unwrap()).await;
        assert_eq!(status, *want_status, "{method} {path}: {body}");
        assert_eq!(
            error(&body),
            (
                (*want_type).to_owned(),
                (*want_message).to_owned(),
                want_code.clone()
            ),
            "{method} {path}"
        );
    }
    // The definition that exists answers; its id is not the one above.
    let (status, _) = s.get(&format!("/process-definition/{def}")).await;
    assert_eq!(status, StatusCode::OK);
    // Negative retries are the engine's BadUserRequestException.
    let inst = s.start("er", json!({})).await;
    let (_, tasks) = s
        .get(&format!("/external-task?processInstanceId={inst}"))
        .await;
    let task = tasks[0]["id"].as_str().unwrap();
    let (status, body) = s
        .put(
            &format!("/external-task/{task}/retries"),
            json!({"retries": -1}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error(&body),
        (
            "BadUserRequestException".to_owned(),
            "The number of retries cannot be negative: retries is not greater than or equal to 0"
                .to_owned(),
            json!(0)
        )
    );
    // A message nothing waits for: the RestException Camunda builds on the
    // engine's MismatchingMessageCorrelationException.
    let (status, body) = s.post("/message", json!({"messageName": "m"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error(&body),
        (
            "RestException".to_owned(),
            "org.camunda.bpm.engine.MismatchingMessageCorrelationException: Cannot correlate \
             message 'm': No process definition or execution matches the parameters"
                .to_owned(),
            json!(0)
        )
    );
    // A condition for an unknown definition: the engine's NotFoundException.
    let (status, body) = s
        .post("/condition", json!({"processDefinitionId": "nope"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error(&body),
        (
            "NotFoundException".to_owned(),
            "no deployed process definition found with id 'nope': processDefinition is null"
                .to_owned(),
            json!(0)
        )
    );
    // fetchAndLock's sorting: createTime, ascending unless told.
    let fetch = |sorting: Value| {
        json!({"workerId": "w", "maxTasks": 1, "sorting": sorting,
               "topics": [{"topicName": "none", "lockDuration": 1000}]})
    };
    let (status, body) = s
        .post(
            "/external-task/fetchAndLock",
            fetch(json!([{"sortBy": "createTime"}])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = s
        .post(
            "/external-task/fetchAndLock",
            fetch(json!([{"sortBy": "priority", "sortOrder": "asc"}])),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "Cannot set query sortBy parameter to value priority"
    );
    let (status, body) = s
        .post(
            "/external-task/fetchAndLock",
            fetch(json!([{"sortBy": "createTime", "sortOrder": "down"}])),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "Cannot set query sortOrder parameter to value down"
    );
    // variablesInResultEnabled needs resultEnabled.
    let (status, body) = s
        .post(
            "/message",
            json!({"messageName": "m", "variablesInResultEnabled": true}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "Parameter 'variablesInResultEnabled' cannot be used without 'resultEnabled' set to true."
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_deployment_reports_the_problems_of_every_invalid_resource() {
    let s = server().await;
    let bad = |key: &str| {
        model(
            key,
            r#"<bpmn:startEvent id="start" />
  <bpmn:serviceTask id="Task_1" camunda:class="com.example.Delegate" />
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="Task_1" />"#,
        )
    };
    let good = tasks_model("fine", &["t"]);
    let (status, body) = s
        .deploy(
            "multi",
            &[
                ("one.bpmn", &bad("one")),
                ("fine.bpmn", &good),
                ("two.bpmn", &bad("two")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["type"], "ParseException");
    let details = body["details"].as_object().unwrap();
    let mut resources: Vec<&String> = details.keys().collect();
    resources.sort();
    assert_eq!(resources, ["one.bpmn", "two.bpmn"], "{body}");
    for r in ["one.bpmn", "two.bpmn"] {
        assert!(
            details[r]["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["mainBpmnElementId"] == "Task_1"),
            "{r}: {body}"
        );
    }
    let message = body["message"].as_str().unwrap();
    assert!(message.starts_with("ENGINE-09005 Could not parse BPMN process."));
    assert!(
        message.contains("'one.bpmn'") && message.contains("'two.bpmn'"),
        "{message}"
    );
    let (_, count) = s.get("/deployment/count").await;
    assert_eq!(count["count"], 0, "nothing deployed");
    s.shutdown().await;
}

const DMN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dish" name="Dish" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="decision" name="Dish">
    <decisionTable id="table"><output id="out" typeRef="string" /></decisionTable>
  </decision>
</definitions>"#;

#[tokio::test]
async fn decisions_are_refused_at_deployment_until_they_run() {
    let s = server().await;
    let (status, body) = s.deploy("dmn", &[("dish.dmn", DMN)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["type"], "ParseException");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("dish.dmn") && message.contains("DMN"),
        "{message}"
    );
    let errors = &body["details"]["dish.dmn"]["errors"];
    assert_eq!(errors[0]["line"], 2, "{body}");
    // With a process beside it, the whole deployment is refused too.
    let (status, body) = s
        .deploy(
            "mixed",
            &[
                ("p.bpmn", &tasks_model("p", &["t"])),
                ("dish.dmn11.xml", DMN),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let details = body["details"].as_object().unwrap();
    assert_eq!(details.keys().collect::<Vec<_>>(), ["dish.dmn11.xml"]);
    let (_, count) = s.get("/deployment/count").await;
    assert_eq!(count["count"], 0, "nothing deployed");
    s.shutdown().await;
}

#[tokio::test]
async fn a_definition_reports_its_history_time_to_live_and_category() {
    let s = server().await;
    let with_ttl = |key: &str, ttl: &str| {
        tasks_model(key, &["t"]).replace(
            "isExecutable=\"true\"",
            &format!("isExecutable=\"true\" camunda:historyTimeToLive=\"{ttl}\""),
        )
    };
    for (key, ttl, days) in [("days", "P180D", json!(180)), ("plain", "30", json!(30))] {
        let id = s.deploy_model(key, &with_ttl(key, ttl)).await;
        for path in [
            format!("/process-definition/{id}"),
            format!("/process-definition/key/{key}"),
            format!("/process-definition?key={key}"),
        ] {
            let (_, body) = s.get(&path).await;
            let def = if body.is_array() { &body[0] } else { &body };
            assert_eq!(def["historyTimeToLive"], days, "{path}: {def}");
            assert_eq!(
                def["category"], "http://bpmn.io/schema/bpmn",
                "{path}: {def}"
            );
        }
    }
    let id = s.deploy_model("none", &tasks_model("none", &["t"])).await;
    let (_, def) = s.get(&format!("/process-definition/{id}")).await;
    assert!(def["historyTimeToLive"].is_null(), "{def}");
    // The category filters, as Camunda's query does.
    let (_, count) = s
        .get("/process-definition/count?category=http://bpmn.io/schema/bpmn")
        .await;
    assert_eq!(count["count"], 3);
    let (_, count) = s
        .get("/process-definition/count?categoryLike=urn:%25")
        .await;
    assert_eq!(count["count"], 0);
    s.shutdown().await;
}

#[tokio::test]
async fn an_empty_path_segment_where_an_id_belongs_is_a_404_naming_it() {
    let s = server().await;
    let (status, body) = s
        .post("/external-task//complete", json!({"workerId": "w"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let message = body["message"].as_str().unwrap();
    assert_eq!(
        message,
        "No external task id in POST /engine-rest/external-task//complete: \
         the path has an empty segment where the external task id belongs"
    );
    assert_eq!(body["type"], "NotFoundException");
    let (status, body) = s.get("/process-instance//variables").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("process instance id"),
        "{body}"
    );
    // A base URL ending in `/` (and a trailing slash) still reaches the resource.
    let (status, _) = read(
        s.http
            .get(format!("{}//version/", s.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = read(
        s.http
            .get(format!("{}//engine/default//process-definition", s.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    s.shutdown().await;
}

#[tokio::test]
async fn fetch_and_lock_sorted_by_create_time_locks_the_oldest_or_the_newest_first() {
    let s = server().await;
    s.deploy_model("ordered", &tasks_model("ordered", &["ordered"]))
        .await;
    let mut started = Vec::new();
    for _ in 0..3 {
        started.push(s.start("ordered", json!({})).await);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let fetch = |order: &str| {
        json!({"workerId": "w", "maxTasks": 1, "usePriority": false,
               "sorting": [{"sortBy": "createTime", "sortOrder": order}],
               "topics": [{"topicName": "ordered", "lockDuration": 60000}]})
    };
    // As the JavaScript client's order example asks: the newest first.
    let (status, newest) = s.post("/external-task/fetchAndLock", fetch("desc")).await;
    assert_eq!(status, StatusCode::OK, "{newest}");
    assert_eq!(newest[0]["processInstanceId"], started[2].as_str());
    let (_, oldest) = s.post("/external-task/fetchAndLock", fetch("asc")).await;
    assert_eq!(oldest[0]["processInstanceId"], started[0].as_str());
    // With priorities, the order holds within each priority.
    let mut with_priority = fetch("desc");
    with_priority["usePriority"] = json!(true);
    let (_, last) = s.post("/external-task/fetchAndLock", with_priority).await;
    assert_eq!(last[0]["processInstanceId"], started[1].as_str());
    s.shutdown().await;
}
