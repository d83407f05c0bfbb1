//! Asynchronous continuations over real HTTP: the start answers with the token
//! parked, the job executor continues it, a failing job is retried and raises a
//! `failedJob` incident whose job shows its failure (`/job`, `/stacktrace`), and
//! new retries through `PUT /job/{id}/retries` resolve it.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const MODEL: &str = r#"
  <bpmn:startEvent id="start" />
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
  <bpmn:serviceTask id="check" name="Check" camunda:asyncBefore="true" camunda:expression="${amount > 0}" />
  <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="ship" />
  <bpmn:serviceTask id="ship" camunda:type="external" camunda:topic="ship" />
  <bpmn:sequenceFlow id="f3" sourceRef="ship" targetRef="end" />
  <bpmn:endEvent id="end" />"#;

/// Polls `path` until `done` holds for its answer.
async fn until(s: &Server, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = s.get(path).await;
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "{path} never got there: {body}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_failing_continuation_shows_its_failure_and_runs_again_with_new_retries() {
    let s = server_manual().await;
    s.deploy_model("async", &model("async", MODEL)).await;
    let id = s.start("async", json!({})).await;

    // Three tries at once, then a failedJob incident at the parked token.
    let jobs = until(&s, &format!("/job?processInstanceId={id}"), |j| {
        j[0]["retries"] == 0
    })
    .await;
    let job = jobs[0]["id"].as_str().unwrap().to_owned();
    assert!(
        jobs[0]["exceptionMessage"]
            .as_str()
            .unwrap()
            .contains("amount"),
        "{jobs}"
    );
    let (_, incidents) = s.get(&format!("/incident?processInstanceId={id}")).await;
    assert_eq!(incidents[0]["incidentType"], "failedJob", "{incidents}");
    assert_eq!(incidents[0]["configuration"], job.as_str());
    assert_eq!(incidents[0]["activityId"], "check");

    let response = s
        .http
        .get(format!("{}/job/{job}/stacktrace", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("amount"));

    let (_, tree) = s
        .get(&format!("/process-instance/{id}/activity-instances"))
        .await;
    let parked = &tree["childTransitionInstances"][0];
    assert_eq!(parked["activityId"], "check", "{tree}");
    assert_eq!(parked["incidentIds"][0], incidents[0]["id"], "{tree}");

    // Fix the data, give it a retry: the job runs and the token moves on.
    let (st, b) = s
        .put(
            &format!("/process-instance/{id}/variables/amount"),
            json!({"value": 3, "type": "Integer"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (st, b) = s
        .put(&format!("/job/{job}/retries"), json!({"retries": 1}))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    until(&s, &format!("/external-task?processInstanceId={id}"), |t| {
        t[0]["activityId"] == "ship"
    })
    .await;
    let (_, incidents) = s.get(&format!("/incident?processInstanceId={id}")).await;
    assert_eq!(incidents, json!([]));
    let (st, _) = s.get(&format!("/job/{job}/stacktrace")).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "the job is done");
}
