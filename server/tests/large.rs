//! Commands far larger than usual, over real HTTP on a real database file: each
//! commits whatever the size of what it changes, and the small commands committed
//! beside it in the same groups are answered and kept.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

/// `n` string variables named `v0`, `v1`, ...
fn variables(n: usize) -> Value {
    let mut vars = Map::new();
    for i in 0..n {
        vars.insert(
            format!("v{i}"),
            json!({"value": format!("value number {i} of a large command"), "type": "String"}),
        );
    }
    Value::Object(vars)
}

/// Starts instances of `small` on `clients` connections until `stop` turns true,
/// then answers the ids of those answered 200, after checking that every answer was.
async fn stream_of_starts(s: &Arc<Server>, stop: Arc<AtomicBool>) -> Vec<String> {
    let mut streams = Vec::new();
    for _ in 0..4 {
        let (s, stop) = (s.clone(), stop.clone());
        streams.push(tokio::spawn(async move {
            let mut started = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let (status, body) = s
                    .post("/process-definition/key/small/start", json!({}))
                    .await;
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "a start beside a large command: {body}"
                );
                started.push(body["id"].as_str().expect("an instance id").to_owned());
            }
            started
        }));
    }
    let mut all = Vec::new();
    for stream in streams {
        all.extend(stream.await.expect("a stream of starts"));
    }
    all
}

/// Runs `large` while instances of `small` are started beside it, then checks that
/// every start was answered and is there, runtime and history.
async fn beside_starts<F, T>(s: &Arc<Server>, large: F) -> T
where
    F: std::future::Future<Output = T>,
{
    let stop = Arc::new(AtomicBool::new(false));
    let starts = tokio::spawn({
        let (s, stop) = (s.clone(), stop.clone());
        async move { stream_of_starts(&s, stop).await }
    });
    // Let the stream run before and during the large command, so they share groups.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let answer = large.await;
    stop.store(true, Ordering::Relaxed);
    let started = starts.await.expect("the streams of starts");
    assert!(!started.is_empty());
    for id in &started {
        let (status, body) = s.get(&format!("/process-instance/{id}")).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a start that was answered is kept: {body}"
        );
        assert_eq!(s.state(id).await, "ACTIVE");
    }
    answer
}

async fn variable_count(s: &Server, instance: &str) -> usize {
    let (status, vars) = s
        .get(&format!("/process-instance/{instance}/variables"))
        .await;
    assert_eq!(status, StatusCode::OK, "{vars}");
    vars.as_object().expect("variables by name").len()
}

/// Waits for the message `go`, then ends.
const WAITING: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs_waiting" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="go" name="go" />
  <bpmn:process id="waiting" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="go" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"#;

async fn large_server() -> Arc<Server> {
    let s = server().await;
    s.deploy_model("small", &tasks_model("small", &["small-work"]))
        .await;
    s.deploy_model("large", &tasks_model("large", &["large-work"]))
        .await;
    s.deploy_model("waiting", WAITING).await;
    Arc::new(s)
}

#[tokio::test]
async fn deleting_ten_thousand_variables_in_one_request_commits() {
    let s = large_server().await;
    let id = s.start("large", variables(10_000)).await;
    assert_eq!(variable_count(&s, &id).await, 10_000);
    let deletions: Vec<String> = (0..10_000).map(|i| format!("v{i}")).collect();
    let (status, body) = beside_starts(
        &s,
        s.post(
            &format!("/process-instance/{id}/variables"),
            json!({ "deletions": deletions }),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(variable_count(&s, &id).await, 0);
    assert_eq!(s.state(&id).await, "ACTIVE");
}

#[tokio::test]
async fn completing_the_last_task_of_an_instance_with_six_thousand_variables_ends_it() {
    let s = large_server().await;
    let id = s.start("large", variables(6_000)).await;
    let tasks = s.fetch("w", "large-work").await;
    let task = tasks[0]["id"].as_str().unwrap().to_owned();
    let (status, body) = beside_starts(
        &s,
        s.post(
            &format!("/external-task/{task}/complete"),
            json!({"workerId": "w"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = s.get(&format!("/process-instance/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(s.state(&id).await, "COMPLETED");
    let (_, history) = s
        .get(&format!(
            "/history/variable-instance/count?processInstanceId={id}"
        ))
        .await;
    assert_eq!(history["count"], 6_000, "history keeps the variables");
}

#[tokio::test]
async fn deleting_an_instance_with_ten_thousand_variables_commits() {
    let s = large_server().await;
    let id = s.start("large", variables(10_000)).await;
    let (status, body) = beside_starts(&s, s.delete(&format!("/process-instance/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = s.get(&format!("/process-instance/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(s.state(&id).await, "EXTERNALLY_TERMINATED");
    let (_, tasks) = s
        .get(&format!("/external-task?processInstanceId={id}"))
        .await;
    assert_eq!(tasks, json!([]));
}

#[tokio::test]
async fn correlating_a_message_to_four_thousand_waiting_instances_commits() {
    let s = large_server().await;
    let mut waiting = Vec::new();
    for chunk in 0..40 {
        let starts: Vec<_> = (0..100)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.start("waiting", json!({})).await })
            })
            .collect();
        for start in starts {
            waiting.push(start.await.unwrap());
        }
        assert_eq!(waiting.len(), (chunk + 1) * 100);
    }
    let (status, results) = beside_starts(
        &s,
        s.post(
            "/message",
            json!({"messageName": "go", "all": true, "resultEnabled": true}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{results}");
    assert_eq!(results.as_array().unwrap().len(), 4_000);
    let (_, running) = s
        .get("/process-instance/count?processDefinitionKey=waiting")
        .await;
    assert_eq!(running["count"], 0);
    for id in waiting.iter().step_by(97) {
        assert_eq!(s.state(id).await, "COMPLETED");
    }
}

#[tokio::test]
async fn past_the_limits_a_command_is_a_400_naming_them_and_changes_nothing() {
    let s = large_server().await;
    let (status, body) = s
        .post(
            "/process-definition/key/large/start",
            json!({ "variables": variables(20_001) }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["message"].as_str().expect("a message");
    assert!(message.contains("at most 20000 variables"), "{message}");
    assert!(message.contains("this one has 20001"), "{message}");

    let id = s.start("large", variables(10_000)).await;
    let tasks = s.fetch("w", "large-work").await;
    let task = tasks[0]["id"].as_str().expect("a task id").to_owned();
    let (status, body) = s
        .post(
            &format!("/external-task/{task}/complete"),
            json!({"workerId": "w", "variables": variables(10_000), "localVariables": variables(10_001)}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .expect("a message")
            .contains("this one has 20001")
    );

    let big = "x".repeat(8 * 1024 * 1024 + 1);
    let (status, body) = s
        .post(
            &format!("/process-instance/{id}/variables"),
            json!({"modifications": {"document": {"value": big, "type": "String"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["message"].as_str().expect("a message");
    assert!(
        message.contains("Variable 'document' has 8388609 bytes"),
        "{message}"
    );
    assert_eq!(variable_count(&s, &id).await, 10_000, "nothing changed");
    let (_, running) = s
        .get("/process-instance/count?processDefinitionKey=large")
        .await;
    assert_eq!(running["count"], 1, "the refused start left nothing");
    let (_, started) = s
        .get("/history/process-instance/count?processDefinitionKey=large")
        .await;
    assert_eq!(started["count"], 1, "nor any history");
    // Within the limits, the same task completes.
    let (status, body) = s
        .post(
            &format!("/external-task/{task}/complete"),
            json!({"workerId": "w", "variables": variables(10_000), "localVariables": variables(10_000)}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(s.state(&id).await, "COMPLETED");
}
