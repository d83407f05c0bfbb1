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

const DEFINED: &str = r#"
  <bpmn:startEvent id="start" />
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
  <bpmn:serviceTask id="work" camunda:asyncBefore="true" camunda:asyncAfter="true" camunda:type="external" camunda:topic="work" />
  <bpmn:boundaryEvent id="late" attachedToRef="work" cancelActivity="false">
    <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="each" />
  <bpmn:serviceTask id="each" camunda:type="external" camunda:topic="each">
    <bpmn:multiInstanceLoopCharacteristics camunda:asyncBefore="true"><bpmn:loopCardinality>2</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>
  </bpmn:serviceTask>
  <bpmn:sequenceFlow id="f3" sourceRef="each" targetRef="end" />
  <bpmn:endEvent id="end" />"#;

#[tokio::test]
async fn job_definitions_name_every_timer_and_continuation_and_jobs_name_theirs() {
    let s = server_manual().await;
    let definition = s.deploy_model("defined", &model("defined", DEFINED)).await;
    let (st, defs) = s
        .get("/job-definition?sortBy=activityId&sortOrder=asc")
        .await;
    assert_eq!(st, StatusCode::OK, "{defs}");
    let seen: Vec<(String, String, String)> = defs
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["processDefinitionId"], definition.as_str());
            assert_eq!(d["processDefinitionKey"], "defined");
            assert_eq!(d["suspended"], false);
            (
                d["activityId"].as_str().unwrap().to_owned(),
                d["jobType"].as_str().unwrap().to_owned(),
                d["jobConfiguration"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = |a: &str, t: &str, c: &str| (a.to_owned(), t.to_owned(), c.to_owned());
    assert_eq!(
        seen,
        [
            want(
                "each#multiInstanceBody",
                "async-continuation",
                "async-before"
            ),
            want("late", "timer-transition", "DURATION: PT1H"),
            want("work", "async-continuation", "async-before"),
            want("work", "async-continuation", "async-after"),
        ]
    );
    let id_of = |activity: &str, configuration: &str| {
        defs.as_array()
            .unwrap()
            .iter()
            .find(|d| d["activityId"] == activity && d["jobConfiguration"] == configuration)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (_, n) = s
        .get("/job-definition/count?jobType=async-continuation&activityIdIn=work")
        .await;
    assert_eq!(n["count"], 2);
    let before = id_of("work", "async-before");
    let (st, one) = s.get(&format!("/job-definition/{before}")).await;
    assert_eq!(
        (st, one["activityId"].as_str()),
        (StatusCode::OK, Some("work"))
    );
    let (st, _) = s.get("/job-definition/nope").await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // A job names its job definition: the one before `work`, then the one after.
    let id = s.start("defined", json!({})).await;
    let tasks = until(&s, &format!("/external-task?processInstanceId={id}"), |t| {
        t[0]["activityId"] == "work"
    })
    .await;
    let (_, timer) = s
        .get(&format!("/job?processInstanceId={id}&activityId=late"))
        .await;
    assert_eq!(
        timer[0]["jobDefinitionId"],
        id_of("late", "DURATION: PT1H").as_str()
    );
    let task = tasks[0]["id"].as_str().unwrap();
    let (_, locked) = s
        .post(
            "/external-task/fetchAndLock",
            json!({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "work", "lockDuration": 1000}]}),
        )
        .await;
    assert_eq!(locked[0]["id"], task);
    let (st, _) = s
        .post(
            &format!("/external-task/{task}/complete"),
            json!({"workerId": "w"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    until(
        &s,
        &format!("/external-task?processInstanceId={id}&activityId=each"),
        |t| t.as_array().is_some_and(|a| a.len() == 2),
    )
    .await;
}
