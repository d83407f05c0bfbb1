//! The details Camunda's clients trip on, each over real HTTP against a real
//! database file: status codes, content type, DTO keys, dates, variable types,
//! paths, lock ownership, incidents, long polling, deployment errors, bad input.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use baton_server::Options;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn set(list: &[&'static str]) -> BTreeSet<&'static str> {
    list.iter().copied().collect()
}

const TASK_KEYS: &[&str] = &[
    "activityId",
    "activityInstanceId",
    "errorMessage",
    "executionId",
    "id",
    "lockExpirationTime",
    "createTime",
    "processDefinitionId",
    "processDefinitionKey",
    "processDefinitionVersionTag",
    "processInstanceId",
    "tenantId",
    "retries",
    "suspended",
    "workerId",
    "topicName",
    "priority",
    "businessKey",
];

#[tokio::test]
async fn commands_answer_204_with_no_body_and_every_dto_key_is_present() {
    let s = server().await;
    let (status, deployment) = s
        .deploy("d", &[("order.bpmn", &tasks_model("order", &["pay"]))])
        .await;
    assert_eq!(status, StatusCode::OK, "deploy answers 200, not 201");
    assert_eq!(
        keys(&deployment),
        set(&[
            "links",
            "id",
            "name",
            "source",
            "deploymentTime",
            "tenantId",
            "deployedProcessDefinitions",
            "deployedCaseDefinitions",
            "deployedDecisionDefinitions",
            "deployedDecisionRequirementsDefinitions"
        ])
    );
    assert!(is_camunda_date(
        deployment["deploymentTime"].as_str().unwrap()
    ));
    let def = deployment["deployedProcessDefinitions"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    let def_keys = set(&[
        "id",
        "key",
        "category",
        "description",
        "name",
        "version",
        "resource",
        "deploymentId",
        "diagram",
        "suspended",
        "tenantId",
        "versionTag",
        "historyTimeToLive",
        "startableInTasklist",
    ]);
    assert_eq!(keys(&def), def_keys);

    let (status, instance) = s
        .post(
            "/process-definition/key/order/start",
            json!({"businessKey": "b1", "variables": {"amount": {"value": 5, "type": "integer"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        keys(&instance),
        set(&[
            "links",
            "id",
            "definitionId",
            "definitionKey",
            "businessKey",
            "caseInstanceId",
            "ended",
            "suspended",
            "tenantId"
        ])
    );
    assert_eq!(instance["links"][0]["rel"], "self");

    let tasks = s.fetch("w1", "pay").await;
    assert_eq!(tasks.len(), 1);
    let mut locked = set(TASK_KEYS);
    locked.extend(["errorDetails", "variables", "extensionProperties"]);
    assert_eq!(keys(&tasks[0]), locked);
    assert!(is_camunda_date(
        tasks[0]["lockExpirationTime"].as_str().unwrap()
    ));
    assert!(
        tasks[0]["retries"].is_null(),
        "retries stay null until a failure"
    );
    assert_eq!(tasks[0]["extensionProperties"], json!({}));
    assert_eq!(
        tasks[0]["variables"]["amount"],
        json!({"type": "Integer", "value": 5, "valueInfo": {}})
    );

    let id = tasks[0]["id"].as_str().unwrap();
    let (_, listed) = s.get(&format!("/external-task/{id}")).await;
    assert_eq!(keys(&listed), set(TASK_KEYS));

    let response = s
        .http
        .post(format!("{}/external-task/{id}/complete", s.url))
        .json(&json!({"workerId": "w1", "variables": {"paid": {"value": true}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.headers().get("content-type").is_none());
    assert!(response.bytes().await.unwrap().is_empty());

    let inst = instance["id"].as_str().unwrap();
    let (_, history) = s.get(&format!("/history/process-instance/{inst}")).await;
    assert_eq!(history["state"], "COMPLETED");
    assert!(is_camunda_date(history["endTime"].as_str().unwrap()));
    let (_, vars) = s
        .get(&format!(
            "/history/variable-instance?processInstanceId={inst}&variableName=paid"
        ))
        .await;
    assert_eq!(vars[0]["value"], true);
    assert_eq!(vars[0]["type"], "Boolean");
    // A process variable's scope is the process instance, also its root.
    assert_eq!(vars[0]["activityInstanceId"], inst);
    assert_eq!(vars[0]["rootProcessInstanceId"], inst);
    s.shutdown().await;
}

#[tokio::test]
async fn variable_types_in_any_case_or_absent_and_dates_read_leniently() {
    let s = server().await;
    s.deploy_model("v", &tasks_model("v", &["t"])).await;
    let id = s
        .start(
            "v",
            json!({
                "a": {"value": 1, "type": "integer"},
                "b": {"value": 3_000_000_000i64},
                "c": {"value": "x", "type": "string"},
                "d": {"value": "2024-05-01T10:15:30+02:00", "type": "date"},
                "e": {"value": "2024-05-01T10:15:30Z", "type": "Date"},
                "f": {"value": "{\"k\": [1]}", "type": "json"},
                "g": {"value": {"nested": true}},
                "h": {"value": 1.5},
                "i": {"value": null}
            }),
        )
        .await;
    let (status, vars) = s.get(&format!("/process-instance/{id}/variables")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(vars["a"]["type"], "Integer");
    assert_eq!(vars["b"]["type"], "Long");
    assert_eq!(vars["c"]["type"], "String");
    assert_eq!(vars["d"]["type"], "Date");
    assert_eq!(vars["d"]["value"], "2024-05-01T08:15:30.000+0000");
    assert_eq!(vars["e"]["value"], "2024-05-01T10:15:30.000+0000");
    assert_eq!(vars["f"]["type"], "Json");
    assert!(vars["f"]["value"].is_string(), "Json values stay strings");
    assert_eq!(vars["g"]["type"], "Object");
    assert_eq!(vars["g"]["value"], json!({"nested": true}));
    assert_eq!(
        vars["g"]["valueInfo"]["serializationDataFormat"],
        "application/json"
    );
    assert_eq!(vars["h"]["type"], "Double");
    assert_eq!(vars["i"]["type"], "Null");
    for v in vars.as_object().unwrap().values() {
        assert!(v["valueInfo"].is_object());
    }
    // Not deserialized: the object's text.
    let (_, raw) = s
        .get(&format!(
            "/process-instance/{id}/variables?deserializeValues=false"
        ))
        .await;
    assert_eq!(raw["g"]["value"], r#"{"nested":true}"#);

    // Only the first letter may change case; a fraction is no Integer.
    for bad in [
        json!({"x": {"value": "a", "type": "STRING"}}),
        json!({"x": {"value": 3.5, "type": "Integer"}}),
        json!({"x": {"value": "yesterday", "type": "Date"}}),
        json!({"x": {"value": "rO0ABXQAAXg=", "type": "Object",
                     "valueInfo": {"objectTypeName": "java.lang.String",
                                   "serializationDataFormat": "application/x-java-serialized-object"}}}),
    ] {
        let (status, body) = s
            .post("/process-definition/key/v/start", json!({"variables": bad}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["message"].as_str().unwrap().contains("'x'"), "{body}");
    }
    let (_, count) = s.get("/process-instance/count").await;
    assert_eq!(count["count"], 1, "refused starts change nothing");

    // One variable: put, get, delete.
    let (status, _) = s
        .put(
            &format!("/process-instance/{id}/variables/z"),
            json!({"value": 7, "type": "Short"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, z) = s.get(&format!("/process-instance/{id}/variables/z")).await;
    assert_eq!(z, json!({"type": "Short", "value": 7, "valueInfo": {}}));
    let (status, _) = s
        .delete(&format!("/process-instance/{id}/variables/z"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.get(&format!("/process-instance/{id}/variables/z")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.shutdown().await;
}

#[tokio::test]
async fn paths_bodies_and_list_parameters_as_clients_send_them() {
    let s = server().await;
    let def = s.deploy_model("p", &tasks_model("p", &["t"])).await;
    assert!(def.contains(':'));
    let a = s.start("p", json!({})).await;
    let b = s.start("p", json!({})).await;
    let _c = s.start("p", json!({})).await;

    // Ids with colons, doubled and trailing slashes, the engine alias.
    for path in [
        format!("/process-definition/{def}"),
        format!("//process-definition/{def}/"),
        format!("/engine/default/process-definition/{def}"),
    ] {
        let (status, body) = s.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body["id"], def.as_str());
    }
    let (_, engines) = s.get("/engine").await;
    assert_eq!(engines, json!([{"name": "default"}]));

    // Repeated and comma-separated list parameters.
    let (_, listed) = s
        .get(&format!("/process-instance?processInstanceIds={a},{b}"))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let (_, listed) = s
        .get(&format!(
            "/process-instance?processInstanceIds={a}&processInstanceIds={b}"
        ))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 2);

    // GET and DELETE bodies are ignored (pycamunda sends `{}`).
    let response = s
        .http
        .get(format!("{}/process-instance/{a}", s.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = s
        .http
        .delete(format!("{}/process-instance/{a}", s.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, body) = s.get(&format!("/process-instance/{a}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["message"],
        format!("Process instance with id {a} does not exist")
    );

    // A bodiless POST with no content type (the JavaScript client's unlock).
    let task = s.fetch("w", "t").await.remove(0);
    let id = task["id"].as_str().unwrap();
    let response = s
        .http
        .post(format!("{}/external-task/{id}/unlock", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        s.fetch("w2", "t").await.len(),
        1,
        "unlocked: fetchable again"
    );

    // Paging and sorting.
    let (_, first) = s.get("/process-instance?maxResults=1&firstResult=0").await;
    assert_eq!(first.as_array().unwrap().len(), 1);
    let (status, body) = s.get("/process-instance?sortBy=instanceId").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = s
        .get("/process-instance?sortBy=instanceId&sortOrder=desc")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s.get("/process-definition?latestVersion=maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("latestVersion"));
    s.shutdown().await;
}

#[tokio::test]
async fn lock_ownership_is_checked_by_worker_id() {
    let s = server().await;
    s.deploy_model("l", &tasks_model("l", &["t"])).await;
    s.start("l", json!({})).await;
    let (_, tasks) = s
        .post(
            "/external-task/fetchAndLock",
            json!({"workerId": "w1", "maxTasks": 1,
                   "topics": [{"topicName": "t", "lockDuration": 1}]}),
        )
        .await;
    let id = tasks[0]["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    // Another worker: 400 naming both.
    let (status, body) = s
        .post(
            &format!("/external-task/{id}/complete"),
            json!({"workerId": "w2"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("w1") && message.contains("w2"),
        "{message}"
    );
    // Unknown task: 404.
    let (status, body) = s
        .post("/external-task/nope/complete", json!({"workerId": "w1"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["type"], "RestException");
    assert_eq!(body["message"], "External task with id nope does not exist");
    // The same worker after its lock expired, nobody having re-fetched: accepted.
    let (status, body) = s
        .post(
            &format!("/external-task/{id}/complete"),
            json!({"workerId": "w1"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    s.shutdown().await;
}

#[tokio::test]
async fn a_failure_with_no_retries_raises_an_incident_until_retries_are_set() {
    let s = server().await;
    s.deploy_model("f", &tasks_model("f", &["t"])).await;
    let inst = s.start("f", json!({})).await;
    let task = s.fetch("w", "t").await.remove(0);
    let id = task["id"].as_str().unwrap();
    // retries absent means 0, as the JavaScript client sends it.
    let (status, _) = s
        .post(
            &format!("/external-task/{id}/failure"),
            json!({"workerId": "w", "errorMessage": "boom", "errorDetails": "trace"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, incidents) = s.get(&format!("/incident?processInstanceId={inst}")).await;
    let incident = &incidents[0];
    assert_eq!(incident["incidentType"], "failedExternalTask");
    assert_eq!(incident["incidentMessage"], "boom");
    assert_eq!(incident["configuration"], id);
    assert!(is_camunda_date(
        incident["incidentTimestamp"].as_str().unwrap()
    ));
    assert!(
        s.fetch("w", "t").await.is_empty(),
        "no retries: not fetchable"
    );
    let response = s
        .http
        .get(format!("{}/external-task/{id}/errorDetails", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.text().await.unwrap(), "trace");
    let (_, tree) = s
        .get(&format!("/process-instance/{inst}/activity-instances"))
        .await;
    assert_eq!(tree["activityType"], "processDefinition");
    assert_eq!(
        tree["childActivityInstances"][0]["incidentIds"][0],
        incident["id"]
    );

    let (status, body) = s
        .put(&format!("/external-task/{id}/retries"), json!({}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = s
        .put(
            &format!("/external-task/{id}/retries"),
            json!({"retries": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, incidents) = s.get(&format!("/incident?processInstanceId={inst}")).await;
    assert_eq!(incidents, json!([]));
    assert_eq!(s.fetch("w", "t").await.len(), 1);
    s.shutdown().await;
}

#[tokio::test]
async fn a_long_poll_wakes_when_a_task_appears_and_answers_empty_at_its_timeout() {
    let s = server().await;
    s.deploy_model("lp", &tasks_model("lp", &["t"])).await;
    let poll = |timeout: u64| {
        let http = s.http.clone();
        let url = format!("{}/external-task/fetchAndLock", s.url);
        async move {
            read(
                http.post(url)
                    .json(&json!({"workerId": "w", "maxTasks": 1,
                        "asyncResponseTimeout": timeout,
                        "topics": [{"topicName": "t", "lockDuration": 10000}]}))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    // Timeout: `[]`.
    let (status, body) = poll(200).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!([]));
    // Parked for 60 s, answered by the start of an instance (a timeout would answer
    // `[]`, the HTTP client gives up at 60 s).
    let waiting = tokio::spawn(poll(59_000));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let inst = s.start("lp", json!({})).await;
    let (status, body) = waiting.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body[0]["processInstanceId"], inst.as_str());
    // Out of range.
    let (status, _) = s
        .post(
            "/external-task/fetchAndLock",
            json!({"workerId": "w", "maxTasks": 1, "asyncResponseTimeout": 1_800_001,
                   "topics": [{"topicName": "t", "lockDuration": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    s.shutdown().await;
}

#[tokio::test]
async fn parked_polls_are_limited_and_answered_at_shutdown() {
    let s = server_with(Options {
        max_parked_polls: 1,
        ..Options::default()
    })
    .await;
    let body = json!({"workerId": "w", "maxTasks": 1, "asyncResponseTimeout": 50_000,
                      "topics": [{"topicName": "none", "lockDuration": 1000}]});
    let url = format!("{}/external-task/fetchAndLock", s.url);
    let first = tokio::spawn(s.http.post(&url).json(&body).send());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (status, error) = s.post("/external-task/fetchAndLock", body.clone()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{error}");
    // Shutting down answers the parked poll at once, with `[]`.
    s.shutdown().await;
    let (status, answer) = read(first.await.unwrap().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!([]));
}

#[tokio::test]
async fn deployment_errors_carry_engine_09005_and_positions() {
    let s = server().await;
    let bad = model(
        "bad",
        r#"<bpmn:startEvent id="start" />
  <bpmn:serviceTask id="Task_1" camunda:class="com.example.Delegate" />
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="Task_1" />"#,
    );
    let (status, body) = s.deploy("bad", &[("bad.bpmn", &bad)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["type"], "ParseException");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("ENGINE-09005 Could not parse BPMN process."),
        "{message}"
    );
    let errors = &body["details"]["bad.bpmn"]["errors"];
    let error = errors
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["mainBpmnElementId"] == "Task_1")
        .expect("an error about Task_1");
    assert_eq!(error["line"], 4);
    assert!(error["column"].as_u64().unwrap() > 0);
    assert_eq!(error["bpmnElementIds"], json!(["Task_1"]));
    let (_, count) = s.get("/deployment/count").await;
    assert_eq!(count["count"], 0, "nothing deployed");

    // No files at all.
    let form = reqwest::multipart::Form::new().text("deployment-name", "empty");
    let (status, body) = read(
        s.http
            .post(format!("{}/deployment/create", s.url))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    s.shutdown().await;
}

#[tokio::test]
async fn duplicate_filtering_and_deleting_deployments() {
    let s = server().await;
    let xml = tasks_model("dup", &["t"]);
    let (_, first) = s.deploy("dup", &[("dup.bpmn", &xml)]).await;
    let (status, again) = s.deploy("dup", &[("dup.bpmn", &xml)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], first["id"]);
    assert!(again["deployedProcessDefinitions"].is_null());
    let (_, defs) = s.get("/process-definition?key=dup").await;
    assert_eq!(defs.as_array().unwrap().len(), 1);
    let (_, latest) = s.get("/process-definition/key/dup/xml").await;
    assert!(
        latest["bpmn20Xml"]
            .as_str()
            .unwrap()
            .contains("<bpmn:process")
    );

    let id = first["id"].as_str().unwrap();
    s.start("dup", json!({})).await;
    let (status, body) = s.delete(&format!("/deployment/{id}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = s.delete(&format!("/deployment/{id}?cascade=true")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.get(&format!("/deployment/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = s.post("/process-definition/key/dup/start", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["message"],
        "No matching process definition with key: dup and no tenant-id"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn bad_input_gets_a_4xx_naming_the_problem_and_changes_nothing() {
    let s = server_with(Options {
        max_body_bytes: 64 * 1024,
        ..Options::default()
    })
    .await;
    s.deploy_model("b", &tasks_model("b", &["t"])).await;
    let send = |path: &str, body: &'static str| {
        s.http
            .post(format!("{}{path}", s.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let (status, body) = read(
        send("/process-definition/key/b/start", "{not json")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["type"], "InvalidRequestException");
    assert!(body["message"].as_str().unwrap().contains("JSON"));
    let (status, body) = read(
        send(
            "/process-definition/key/b/start",
            r#"{"variables": {"x": {"value": 1, "type": "Nonsense"}}}"#,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("Nonsense"),
        "{body}"
    );
    let (status, body) = read(
        send(
            "/external-task/fetchAndLock",
            r#"{"maxTasks": 1, "topics": []}"#,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("workerId"));
    let (status, body) = s
        .post(
            "/external-task/fetchAndLock",
            json!({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "t", "lockDuration": 0}]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("lockDuration"));
    // Oversized.
    let big = format!(r#"{{"businessKey": "{}"}}"#, "x".repeat(100 * 1024));
    let (status, body) = read(
        s.http
            .post(format!("{}/process-definition/key/b/start", s.url))
            .body(big)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // Unknown paths and methods answer in Camunda's shape.
    let (status, body) = s.get("/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["message"].is_string());
    let (status, _) = s.delete("/version").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    // Nothing was started, and the server still serves.
    let (_, count) = s.get("/process-instance/count").await;
    assert_eq!(count["count"], 0);
    let (status, _) = s.get("/version").await;
    assert_eq!(status, StatusCode::OK);
    s.shutdown().await;
}

#[tokio::test]
async fn start_with_variables_in_return_messages_and_signals() {
    let s = server().await;
    s.deploy_model("r", &tasks_model("r", &["t"])).await;
    let (status, body) = s
        .post(
            "/process-definition/key/r/start",
            json!({"businessKey": "k", "withVariablesInReturn": true,
                   "variables": {"n": {"value": 3}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["variables"]["n"]["value"], 3);
    assert_eq!(body["businessKey"], "k");

    let (status, body) = s.post("/message", json!({"messageName": "M"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Cannot correlate message 'M'")
    );
    let (status, _) = s
        .post("/message", json!({"messageName": "M", "all": true}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s
        .post(
            "/message",
            json!({"messageName": "M", "tenantId": "a", "withoutTenantId": true}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = s.post("/signal", json!({"name": "S"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.post("/signal", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    s.shutdown().await;
}

#[tokio::test]
async fn external_task_queries_updates_and_extension_properties() {
    let s = server().await;
    s.deploy_model("q", &tasks_model("q", &["t"])).await;
    let inst = s.start("q", json!({})).await;
    let (_, tasks) = s
        .post(
            "/external-task/fetchAndLock",
            json!({"workerId": "w", "maxTasks": 1, "usePriority": true,
                   "topics": [{"topicName": "t", "lockDuration": 60000,
                               "includeExtensionProperties": true, "variables": []}]}),
        )
        .await;
    assert_eq!(tasks[0]["extensionProperties"], json!({"team": "ops"}));
    let id = tasks[0]["id"].as_str().unwrap();
    let (_, count) = s.get("/external-task/count?locked=true").await;
    assert_eq!(count["count"], 1);
    let (_, count) = s
        .post(
            "/external-task/count",
            json!({"processInstanceId": inst, "notLocked": true}),
        )
        .await;
    assert_eq!(count["count"], 0);
    let (status, _) = s
        .put(
            &format!("/external-task/{id}/priority"),
            json!({"priority": 9}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s
        .post(
            &format!("/external-task/{id}/extendLock"),
            json!({"workerId": "w", "newDuration": 1000}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, one) = s.get(&format!("/external-task/{id}")).await;
    assert_eq!(one["priority"], 9);
    let (_, topics) = s.get("/external-task/topic-names").await;
    assert_eq!(topics, json!(["t"]));
    let (status, _) = s
        .post(
            &format!("/external-task/{id}/bpmnError"),
            json!({"workerId": "w", "errorCode": "E1"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Uncaught: the instance ended.
    let (_, history) = s.get(&format!("/history/process-instance/{inst}")).await;
    assert!(history["endTime"].is_string(), "{history}");
    let (_, acts) = s
        .get(&format!(
            "/history/activity-instance?processInstanceId={inst}&sortBy=startTime&sortOrder=asc"
        ))
        .await;
    assert_eq!(acts[0]["activityType"], "startEvent");
    assert_eq!(acts[1]["activityType"], "serviceTask");
    s.shutdown().await;
}

#[tokio::test]
async fn a_long_poll_wakes_when_a_retry_timeout_runs_out() {
    let s = server().await;
    s.deploy_model("rt", &tasks_model("rt", &["t"])).await;
    s.start("rt", json!({})).await;
    let task = s.fetch("w", "t").await.remove(0);
    let id = task["id"].as_str().unwrap();
    let (status, _) = s
        .post(
            &format!("/external-task/{id}/failure"),
            json!({"workerId": "w", "errorMessage": "try later", "retries": 1, "retryTimeout": 300}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // No event announces the end of a retry timeout; the poll must still wake for
    // it, well before its own 20 s timeout (Camunda's fallback re-check is 30 s).
    let (status, tasks) = s
        .post(
            "/external-task/fetchAndLock",
            json!({"workerId": "w", "maxTasks": 1, "asyncResponseTimeout": 20_000,
                   "topics": [{"topicName": "t", "lockDuration": 1000}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tasks[0]["id"], id);
    assert_eq!(tasks[0]["retries"], 1);
    assert_eq!(tasks[0]["errorMessage"], "try later");
    s.shutdown().await;
}

/// The ids in a list answer.
fn ids(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|v| v["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn query_parameters_camunda_documents_filter_or_are_refused_by_name() {
    let s = server_manual().await;
    s.deploy_model("q", &tasks_model("q", &["t"])).await;
    // `first` starts at 00:00 and ends at 01:00; `second` starts at 01:00 and runs on.
    let (_, first) = s
        .post(
            "/process-definition/key/q/start",
            json!({"businessKey": "a"}),
        )
        .await;
    let first = first["id"].as_str().unwrap().to_owned();
    s.advance("PT1H").await;
    let (_, second) = s
        .post(
            "/process-definition/key/q/start",
            json!({"businessKey": "b"}),
        )
        .await;
    let second = second["id"].as_str().unwrap().to_owned();
    let (_, tasks) = s
        .post(
            "/external-task/fetchAndLock",
            json!({"workerId": "w", "maxTasks": 10,
                   "topics": [{"topicName": "t", "lockDuration": 600000}]}),
        )
        .await;
    let task = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["processInstanceId"] == first.as_str())
        .unwrap();
    let (status, _) = s
        .post(
            &format!("/external-task/{}/complete", task["id"].as_str().unwrap()),
            json!({"workerId": "w"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let only = |id: &str| BTreeSet::from([id.to_owned()]);

    // Time windows, with the offset's `+` encoded or sent bare (it arrives as a space).
    let hist = "/history/process-instance";
    let (_, list) = s
        .get(&format!(
            "{hist}?startedAfter=2026-01-01T00:30:00.000%2B0000"
        ))
        .await;
    assert_eq!(ids(&list), only(&second));
    let (_, list) = s
        .get(&format!(
            "{hist}?startedBefore=2026-01-01T00:30:00.000+0000"
        ))
        .await;
    assert_eq!(ids(&list), only(&first));
    let (_, list) = s
        .get(&format!(
            "{hist}?finishedAfter=2026-01-01T00:00:00.000%2B0000"
        ))
        .await;
    assert_eq!(ids(&list), only(&first));
    let (_, count) = s
        .get(&format!(
            "{hist}/count?processInstanceBusinessKeyIn=b,c&sortBy=startTime&firstResult=0"
        ))
        .await;
    assert_eq!(count["count"], 1);
    let (status, err) = s.get(&format!("{hist}?startedAfter=yesterday")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        err["message"].as_str().unwrap().contains("'startedAfter'"),
        "{err}"
    );

    // A filter Camunda documents and Baton does not implement is a 400 naming it,
    // in a list, a count and a POST query; a name Camunda does not know is ignored.
    for (status, err) in [
        s.get(&format!("{hist}?withIncidents=true&incidentType=x"))
            .await,
        s.get(&format!("{hist}/count?withIncidents=true&incidentType=x"))
            .await,
        s.post(hist, json!({"withIncidents": true, "incidentType": "x"}))
            .await,
    ] {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        let message = err["message"].as_str().unwrap();
        assert!(
            message.starts_with(
                "Baton does not support the query parameters 'incidentType', 'withIncidents' of "
            ),
            "{message}"
        );
    }
    let (status, err) = s.get("/process-instance?incidentMessageLike=%25x%25").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        err["message"],
        "Baton does not support the query parameter 'incidentMessageLike' of GET /process-instance"
    );
    let (status, list) = s
        .get(&format!("{hist}?processInstanceId={first}&_=1767225600000"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&list), only(&first));

    // Tenants and other filters read over the engine's answer.
    let (_, list) = s.get(&format!("{hist}?withoutTenantId=true")).await;
    assert_eq!(ids(&list).len(), 2);
    let (_, list) = s.get(&format!("{hist}?tenantIdIn=x")).await;
    assert_eq!(list, json!([]));
    let (_, list) = s.get("/process-instance?processDefinitionKeyNotIn=q").await;
    assert_eq!(list, json!([]));
    let (_, list) = s
        .get("/process-instance?rootProcessInstances=true&tenantIdIn=")
        .await;
    assert_eq!(ids(&list), only(&second));
    let (status, list) = s
        .get("/incident?incidentMessageLike=%25&incidentTimestampAfter=2026-01-01T00:00:00.000%2B0000")
        .await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));

    // Activity history: a definition filter narrows listed instances rather than
    // being dropped; names and time windows filter too.
    let acts = "/history/activity-instance";
    let (_, list) = s
        .get(&format!(
            "{acts}?processInstanceIdIn={first},{second}&processDefinitionKey=other"
        ))
        .await;
    assert_eq!(list, json!([]));
    let (_, count) = s
        .get(&format!(
            "{acts}/count?processInstanceIdIn={first},{second}&processDefinitionKey=q"
        ))
        .await;
    assert_eq!(
        count["count"], 5,
        "start, task and end of one; start and task of the other"
    );
    let (_, list) = s
        .get(&format!(
            "{acts}?processDefinitionKey=q&startedAfter=2026-01-01T00:30:00.000%2B0000"
        ))
        .await;
    let passed: BTreeSet<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["processInstanceId"].as_str().unwrap().to_owned(),
                a["activityId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        (first.clone(), "end"),
        (second.clone(), "start"),
        (second.clone(), "task0"),
    ]
    .into_iter()
    .map(|(i, a)| (i, a.to_owned()))
    .collect();
    assert_eq!(passed, expected, "everything that began at 01:00");
    let (_, list) = s
        .get(&format!(
            "{acts}?processInstanceId={first}&activityNameLike=Task%25"
        ))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let (_, list) = s
        .get(&format!(
            "{acts}?processInstanceId={first}&activityName=Task%201"
        ))
        .await;
    assert_eq!(list, json!([]));

    // The older names Camunda still takes for definitions.
    let (_, list) = s.get("/process-definition?latest=true&ver=1").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let (_, list) = s.get("/process-definition?ver=2").await;
    assert_eq!(list, json!([]));
    s.shutdown().await;
}

/// A whole `POST path` request with a JSON body, as raw bytes.
fn raw_post(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /engine-rest{path} HTTP/1.1\r\nHost: baton\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

const GET_VERSION: &[u8] = b"GET /engine-rest/version HTTP/1.1\r\nHost: baton\r\n\r\n";

#[tokio::test]
async fn silent_and_half_sent_heads_are_closed_after_the_header_bound() {
    let s = server_with(Options {
        header_timeout: Some(Duration::from_millis(500)),
        idle_timeout: Some(Duration::from_secs(60)),
        ..Options::default()
    })
    .await;
    let mut silent = Raw::connect(s.addr).await;
    let mut half = Raw::connect(s.addr).await;
    half.send(b"GET /engine-rest/version HTTP/1.1\r\nHost: ba")
        .await;
    // A connection kept alive after a request that starts another and stops
    // halfway is under the header bound again, not the idle one.
    let mut again = Raw::connect(s.addr).await;
    again.send(GET_VERSION).await;
    assert_eq!(again.response().await.expect("an answer").status, 200);
    again.send(b"GET /engine-rest/version HTTP/1.1\r\n").await;
    for c in [&mut silent, &mut half, &mut again] {
        c.closed_within(Duration::from_secs(10)).await;
    }
    // Meanwhile the server answers as ever.
    let (status, _) = s.get("/version").await;
    assert_eq!(status, StatusCode::OK);
    s.shutdown().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_bound() {
    let idle = Duration::from_millis(500);
    let s = server_with(Options {
        idle_timeout: Some(idle),
        header_timeout: Some(Duration::from_secs(60)),
        ..Options::default()
    })
    .await;
    let mut c = Raw::connect(s.addr).await;
    // Kept alive: two requests on one connection.
    for _ in 0..2 {
        c.send(GET_VERSION).await;
        let answer = c.response().await.expect("an answer");
        assert_eq!(answer.status, 200);
        assert_eq!(answer.json()["version"], "7.24.0");
    }
    let waited = c.closed_within(Duration::from_secs(10)).await;
    assert!(
        waited >= idle / 2,
        "closed after {waited:?}, before the idle bound"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_stalled_request_body_is_answered_408_and_its_connection_closed() {
    let bound = Duration::from_secs(1);
    let s = server_with(Options {
        body_timeout: Some(bound),
        ..Options::default()
    })
    .await;
    let mut c = Raw::connect(s.addr).await;
    c.send(b"POST /engine-rest/message HTTP/1.1\r\nHost: baton\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"messageName\": ")
        .await;
    let answer = c.response().await.expect("an answer before the close");
    assert_eq!(answer.status, 408);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("connection"), Some("close"));
    let body = answer.json();
    assert_eq!(body["type"], "InvalidRequestException", "{body}");
    assert!(body["message"].as_str().unwrap().contains("body"), "{body}");
    c.closed_within(Duration::from_secs(10)).await;

    // A body that arrives slowly, but never pausing for the bound, is read whole:
    // the bound is on silence, not on the whole body.
    let mut c = Raw::connect(s.addr).await;
    let request = raw_post("/signal", &json!({"name": "slowly-sent"}).to_string());
    let (head, body) = request.split_at(request.len() - 15);
    c.send(head).await;
    for byte in body {
        tokio::time::sleep(bound / 10).await;
        c.send(&[*byte]).await;
    }
    let answer = c.response().await.expect("an answer");
    assert_eq!(
        answer.status,
        204,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    s.shutdown().await;
}

#[tokio::test]
async fn a_long_poll_outlasts_the_connection_bounds() {
    let bound = Duration::from_millis(300);
    let s = server_with(Options {
        header_timeout: Some(bound),
        idle_timeout: Some(bound),
        body_timeout: Some(bound),
        ..Options::default()
    })
    .await;
    s.deploy_model("lp", &tasks_model("lp", &["slow"])).await;
    let poll = |topic: &str, timeout: u64| {
        raw_post(
            "/external-task/fetchAndLock",
            &json!({"workerId": "w", "maxTasks": 1, "asyncResponseTimeout": timeout,
                    "topics": [{"topicName": topic, "lockDuration": 60_000}]})
            .to_string(),
        )
    };
    // One poll ends empty at its timeout, five bounds later; the other gets the
    // task started after four bounds.
    let mut empty = Raw::connect(s.addr).await;
    empty.send(&poll("nothing", 1500)).await;
    let mut fed = Raw::connect(s.addr).await;
    fed.send(&poll("slow", 10_000)).await;
    tokio::time::sleep(bound * 4).await;
    let instance = s.start("lp", json!({})).await;
    let answer = fed.response().await.expect("the poll answers");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()[0]["processInstanceId"], instance.as_str());
    let answer = empty.response().await.expect("the poll answers");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!([]));
    // Idle afterwards, both connections are closed.
    fed.closed_within(Duration::from_secs(10)).await;
    empty.closed_within(Duration::from_secs(10)).await;
    s.shutdown().await;
}

/// A String variable whose text looks like a number stays that text, in runtime,
/// in history and through variable filters (SQLite's NUMERIC affinity once stored
/// "007" as the number 7).
#[tokio::test]
async fn number_like_strings_keep_their_text() {
    let s = server().await;
    s.deploy_model("p", &tasks_model("p", &["work"])).await;
    let id = s
        .start(
            "p",
            json!({"code": {"value": "007", "type": "String"},
                   "ratio": {"value": "1.0", "type": "String"},
                   "count": {"value": 7, "type": "Long"}}),
        )
        .await;
    let (_, vars) = s.get(&format!("/process-instance/{id}/variables")).await;
    assert_eq!(vars["code"]["value"], "007", "{vars}");
    assert_eq!(vars["ratio"]["value"], "1.0", "{vars}");
    assert_eq!(vars["count"]["value"], 7, "{vars}");
    let (_, history) = s
        .get(&format!(
            "/history/variable-instance?processInstanceId={id}&variableName=code"
        ))
        .await;
    assert_eq!(history[0]["value"], "007", "{history}");
    for (filter, found) in [("code_eq_007", 1), ("code_eq_7", 0), ("count_eq_7", 1)] {
        let (_, count) = s
            .get(&format!("/process-instance/count?variables={filter}"))
            .await;
        assert_eq!(count["count"], found, "{filter}");
    }
    s.shutdown().await;
}
