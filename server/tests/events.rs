//! Messages, signals, timers and conditions through the REST API, with timers
//! driven by the manual clock (`POST /baton/clock`).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A model with declarations (messages, signals) beside the process.
fn model_with(key: &str, decls: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  {decls}
  <bpmn:process id="{key}" isExecutable="true">{body}</bpmn:process>
</bpmn:definitions>"#
    )
}

fn flow(id: &str, from: &str, to: &str) -> String {
    format!(r#"<bpmn:sequenceFlow id="{id}" sourceRef="{from}" targetRef="{to}" />"#)
}

fn ext(id: &str, topic: &str) -> String {
    format!(r#"<bpmn:serviceTask id="{id}" camunda:type="external" camunda:topic="{topic}" />"#)
}

fn message_catch(id: &str, message: &str) -> String {
    format!(
        r#"<bpmn:intermediateCatchEvent id="{id}"><bpmn:messageEventDefinition messageRef="{message}" /></bpmn:intermediateCatchEvent>"#
    )
}

fn timer(kind: &str, value: &str) -> String {
    format!(
        r#"<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>"#
    )
}

const MSG: &str = r#"<bpmn:message id="Msg_Go" name="Go" />"#;
const SIG: &str = r#"<bpmn:signal id="Sig_Alarm" name="Alarm" />"#;

async fn count(s: &Server, path: &str) -> u64 {
    let (_, body) = s.get(path).await;
    body["count"].as_u64().expect("a count")
}

#[tokio::test]
async fn a_message_moves_a_waiting_instance_and_correlation_errors_name_it() {
    let s = server_manual().await;
    let body = format!(
        r#"<bpmn:startEvent id="start" />{}<bpmn:exclusiveGateway id="gw" default="f4" />
        <bpmn:endEvent id="big" /><bpmn:endEvent id="small" />{}{}{}{}"#,
        message_catch("wait", "Msg_Go"),
        flow("f1", "start", "wait"),
        flow("f2", "wait", "gw"),
        r#"<bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="big"><bpmn:conditionExpression>${amount > 10}</bpmn:conditionExpression></bpmn:sequenceFlow>"#,
        flow("f4", "gw", "small"),
    );
    s.deploy_model("m", &model_with("m", MSG, &body)).await;
    let a = s.start("m", json!({})).await;
    let (status, _) = s
        .post(
            "/process-definition/key/m/start",
            json!({"businessKey": "b"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Two instances wait: without a key, the message is ambiguous.
    let (status, body) = s.post("/message", json!({"messageName": "Go"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("'Go'"), "{body}");
    let (status, body) = s.post("/message", json!({"messageName": "Nope"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Cannot correlate message 'Nope'")
    );

    // By instance id, with variables set before the token moves on.
    let (status, result) = s
        .post(
            "/message",
            json!({"messageName": "Go", "processInstanceId": a, "resultEnabled": true,
                   "processVariables": {"amount": {"value": 50, "type": "Integer"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result[0]["resultType"], "Execution");
    assert_eq!(result[0]["execution"]["processInstanceId"], a.as_str());
    assert_eq!(s.state(&a).await, "COMPLETED");
    assert!(s.passed(&a).await.contains(&"big".to_owned()));

    // By business key: the other one, down the default flow.
    let (status, _) = s
        .post(
            "/message",
            json!({"messageName": "Go", "businessKey": "b",
                   "processVariables": {"amount": {"value": 1}}}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(count(&s, "/process-instance/count").await, 0);
    s.shutdown().await;
}

#[tokio::test]
async fn message_and_signal_start_events_start_instances() {
    let s = server_manual().await;
    let body = format!(
        r#"<bpmn:startEvent id="start"><bpmn:messageEventDefinition messageRef="Msg_Go" /></bpmn:startEvent>{}<bpmn:endEvent id="end" />{}{}"#,
        ext("task", "t"),
        flow("f1", "start", "task"),
        flow("f2", "task", "end")
    );
    s.deploy_model("ms", &model_with("ms", MSG, &body)).await;
    let body = format!(
        r#"<bpmn:startEvent id="start"><bpmn:signalEventDefinition signalRef="Sig_Alarm" /></bpmn:startEvent>{}<bpmn:endEvent id="end" />{}{}"#,
        ext("task", "alarm"),
        flow("f1", "start", "task"),
        flow("f2", "task", "end")
    );
    s.deploy_model("ss", &model_with("ss", SIG, &body)).await;

    let (status, result) = s
        .post(
            "/message",
            json!({"messageName": "Go", "businessKey": "order-7", "resultEnabled": true,
                   "processVariables": {"x": {"value": 1}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result[0]["resultType"], "ProcessDefinition");
    assert_eq!(result[0]["processInstance"]["businessKey"], "order-7");
    let task = s.fetch("w", "t").await.remove(0);
    assert_eq!(task["variables"]["x"]["value"], 1);
    assert_eq!(task["businessKey"], "order-7");

    let (status, _) = s.post("/signal", json!({"name": "Alarm"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = s.post("/signal", json!({"name": "Alarm"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(s.fetch("w", "alarm").await.len(), 2);
    s.shutdown().await;
}

#[tokio::test]
async fn a_timer_waits_for_the_manual_clock_and_shows_as_a_job() {
    let s = server_manual().await;
    let body = format!(
        r#"<bpmn:startEvent id="start" /><bpmn:intermediateCatchEvent id="wait">{}</bpmn:intermediateCatchEvent><bpmn:endEvent id="end" />{}{}"#,
        timer("timeDuration", "P3D"),
        flow("f1", "start", "wait"),
        flow("f2", "wait", "end")
    );
    s.deploy_model("t", &model_with("t", "", &body)).await;
    let inst = s.start("t", json!({})).await;
    let (_, jobs) = s.get(&format!("/job?processInstanceId={inst}")).await;
    assert_eq!(jobs.as_array().unwrap().len(), 1, "{jobs}");
    assert_eq!(jobs[0]["dueDate"], "2026-01-04T00:00:00.000+0000");
    assert_eq!(jobs[0]["retries"], 3);

    let moved = s.advance("P2D").await;
    assert_eq!(moved["firedJobs"], 0);
    assert_eq!(s.state(&inst).await, "ACTIVE");
    let moved = s.advance("P1D").await;
    assert_eq!(moved["firedJobs"], 1);
    assert_eq!(moved["time"], "2026-01-04T00:00:00.000+0000");
    assert_eq!(s.state(&inst).await, "COMPLETED");
    assert_eq!(count(&s, "/job/count").await, 0);
    s.shutdown().await;
}

#[tokio::test]
async fn an_interrupting_timer_cancels_its_task_and_a_cycle_fires_three_times() {
    let s = server_manual().await;
    let body = format!(
        r#"<bpmn:startEvent id="start" />{}<bpmn:endEvent id="done" /><bpmn:endEvent id="late" />
        <bpmn:endEvent id="reminded" />
        <bpmn:boundaryEvent id="timeout" attachedToRef="task">{}</bpmn:boundaryEvent>
        <bpmn:boundaryEvent id="remind" attachedToRef="task" cancelActivity="false">{}</bpmn:boundaryEvent>
        {}{}{}{}"#,
        ext("task", "t"),
        timer("timeDuration", "PT10H"),
        timer("timeCycle", "R3/PT1H"),
        flow("f1", "start", "task"),
        flow("f2", "task", "done"),
        flow("f3", "timeout", "late"),
        flow("f4", "remind", "reminded"),
    );
    s.deploy_model("b", &model_with("b", "", &body)).await;
    let inst = s.start("b", json!({})).await;
    assert_eq!(
        count(&s, &format!("/job/count?processInstanceId={inst}")).await,
        2
    );
    for _ in 0..4 {
        s.advance("PT1H").await;
    }
    // Three reminders, each a token through the non-interrupting boundary; the
    // task still waits.
    let passed = s.passed(&inst).await;
    assert_eq!(
        passed.iter().filter(|a| *a == "remind").count(),
        3,
        "{passed:?}"
    );
    assert_eq!(passed.iter().filter(|a| *a == "reminded").count(), 3);
    assert_eq!(count(&s, "/external-task/count").await, 1);
    assert_eq!(
        count(&s, &format!("/job/count?processInstanceId={inst}")).await,
        1
    );

    // The interrupting timer: the task and its external task go.
    s.advance("PT6H").await;
    assert_eq!(s.state(&inst).await, "COMPLETED");
    assert!(s.passed(&inst).await.contains(&"late".to_owned()));
    assert_eq!(count(&s, "/external-task/count").await, 0);
    assert_eq!(count(&s, "/job/count").await, 0);
    let (_, acts) = s
        .get(&format!(
            "/history/activity-instance?processInstanceId={inst}&activityId=task"
        ))
        .await;
    assert_eq!(acts[0]["canceled"], true);
    s.shutdown().await;
}

#[tokio::test]
async fn message_and_signal_boundaries_interrupt_or_not() {
    let s = server_manual().await;
    let body = format!(
        r#"<bpmn:startEvent id="start" />{}<bpmn:endEvent id="done" /><bpmn:endEvent id="cancelled" />
        <bpmn:endEvent id="noted" />
        <bpmn:boundaryEvent id="cancel" attachedToRef="task"><bpmn:messageEventDefinition messageRef="Msg_Go" /></bpmn:boundaryEvent>
        <bpmn:boundaryEvent id="note" attachedToRef="task" cancelActivity="false"><bpmn:signalEventDefinition signalRef="Sig_Alarm" /></bpmn:boundaryEvent>
        {}{}{}{}"#,
        ext("task", "t"),
        flow("f1", "start", "task"),
        flow("f2", "task", "done"),
        flow("f3", "cancel", "cancelled"),
        flow("f4", "note", "noted"),
    );
    s.deploy_model("mb", &model_with("mb", &format!("{MSG}{SIG}"), &body))
        .await;
    let inst = s.start("mb", json!({})).await;
    for _ in 0..2 {
        let (status, _) = s.post("/signal", json!({"name": "Alarm"})).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    assert_eq!(
        s.passed(&inst)
            .await
            .iter()
            .filter(|a| *a == "noted")
            .count(),
        2
    );
    assert_eq!(count(&s, "/external-task/count").await, 1);
    let (status, _) = s.post("/message", json!({"messageName": "Go"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(s.state(&inst).await, "COMPLETED");
    assert!(s.passed(&inst).await.contains(&"cancelled".to_owned()));
    assert_eq!(count(&s, "/external-task/count").await, 0);
    // Its subscriptions went with the task.
    let (status, _) = s.post("/message", json!({"messageName": "Go"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    s.shutdown().await;
}

/// An event-based gateway waiting for a message or a 1-hour timer.
fn race_model() -> String {
    let body = format!(
        r#"<bpmn:startEvent id="start" /><bpmn:eventBasedGateway id="gw" />{}
        <bpmn:intermediateCatchEvent id="timeout">{}</bpmn:intermediateCatchEvent>
        <bpmn:endEvent id="answered" /><bpmn:endEvent id="expired" />{}{}{}{}{}"#,
        message_catch("reply", "Msg_Go"),
        timer("timeDuration", "PT1H"),
        flow("f1", "start", "gw"),
        flow("f2", "gw", "reply"),
        flow("f3", "gw", "timeout"),
        flow("f4", "reply", "answered"),
        flow("f5", "timeout", "expired"),
    );
    model_with("race", MSG, &body)
}

#[tokio::test]
async fn at_an_event_based_gateway_the_first_event_wins() {
    let s = server_manual().await;
    s.deploy_model("race", &race_model()).await;
    let first = s.start("race", json!({})).await;
    assert_eq!(count(&s, "/job/count").await, 1);
    let (status, _) = s.post("/message", json!({"messageName": "Go"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(s.passed(&first).await.contains(&"answered".to_owned()));
    assert_eq!(
        count(&s, "/job/count").await,
        0,
        "the timer went with the gateway"
    );

    let second = s.start("race", json!({})).await;
    s.advance("PT1H").await;
    assert!(s.passed(&second).await.contains(&"expired".to_owned()));
    let (status, _) = s.post("/message", json!({"messageName": "Go"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the subscription went too");
    s.shutdown().await;
}

#[tokio::test]
async fn conditions_are_evaluated_when_variables_change() {
    let s = server_manual().await;
    let body = format!(
        r#"<bpmn:startEvent id="start" /><bpmn:intermediateCatchEvent id="wait"><bpmn:conditionalEventDefinition><bpmn:condition>${{x &gt; 5}}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>
        {}<bpmn:endEvent id="end" /><bpmn:endEvent id="escalated" />
        <bpmn:boundaryEvent id="urgent" attachedToRef="task"><bpmn:conditionalEventDefinition><bpmn:condition>${{urgent}}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:boundaryEvent>
        {}{}{}{}"#,
        ext("task", "t"),
        flow("f1", "start", "wait"),
        flow("f2", "wait", "task"),
        flow("f3", "task", "end"),
        flow("f4", "urgent", "escalated"),
    );
    s.deploy_model("c", &model_with("c", "", &body)).await;
    let inst = s
        .start("c", json!({"x": {"value": 1}, "urgent": {"value": false}}))
        .await;
    assert_eq!(count(&s, "/external-task/count").await, 0);
    s.put(
        &format!("/process-instance/{inst}/variables/x"),
        json!({"value": 3}),
    )
    .await;
    assert_eq!(count(&s, "/external-task/count").await, 0, "3 is not > 5");
    let (status, _) = s
        .put(
            &format!("/process-instance/{inst}/variables/x"),
            json!({"value": 9}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        count(&s, "/external-task/count").await,
        1,
        "the condition held"
    );
    s.put(
        &format!("/process-instance/{inst}/variables/urgent"),
        json!({"value": true}),
    )
    .await;
    assert_eq!(s.state(&inst).await, "COMPLETED");
    assert!(s.passed(&inst).await.contains(&"escalated".to_owned()));
    assert_eq!(count(&s, "/external-task/count").await, 0);
    s.shutdown().await;
}

#[tokio::test]
async fn event_subprocesses_interrupt_or_run_beside() {
    let s = server_manual().await;
    let body = format!(
        r#"<bpmn:startEvent id="start" />{}<bpmn:endEvent id="end" />{}{}
        <bpmn:subProcess id="onCancel" triggeredByEvent="true">
          <bpmn:startEvent id="cancelStart"><bpmn:messageEventDefinition messageRef="Msg_Go" /></bpmn:startEvent>
          <bpmn:endEvent id="cancelEnd" />{}
        </bpmn:subProcess>
        <bpmn:subProcess id="onTick" triggeredByEvent="true">
          <bpmn:startEvent id="tickStart" isInterrupting="false">{}</bpmn:startEvent>
          <bpmn:endEvent id="tickEnd" />{}
        </bpmn:subProcess>"#,
        ext("task", "t"),
        flow("f1", "start", "task"),
        flow("f2", "task", "end"),
        flow("f3", "cancelStart", "cancelEnd"),
        timer("timeDuration", "PT5M"),
        flow("f4", "tickStart", "tickEnd"),
    );
    s.deploy_model("es", &model_with("es", MSG, &body)).await;
    let inst = s.start("es", json!({})).await;
    s.advance("PT5M").await;
    assert!(s.passed(&inst).await.contains(&"tickEnd".to_owned()));
    assert_eq!(
        count(&s, "/external-task/count").await,
        1,
        "non-interrupting"
    );
    let (status, _) = s.post("/message", json!({"messageName": "Go"})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(s.state(&inst).await, "COMPLETED");
    let passed = s.passed(&inst).await;
    assert!(passed.contains(&"cancelEnd".to_owned()), "{passed:?}");
    assert!(!passed.contains(&"end".to_owned()));
    assert_eq!(count(&s, "/external-task/count").await, 0);
    s.shutdown().await;
}

#[tokio::test]
async fn a_signal_thrown_by_one_instance_reaches_the_others() {
    let s = server_manual().await;
    let waiting = format!(
        r#"<bpmn:startEvent id="start" /><bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="Sig_Alarm" /></bpmn:intermediateCatchEvent><bpmn:endEvent id="end" />{}{}"#,
        flow("f1", "start", "wait"),
        flow("f2", "wait", "end")
    );
    s.deploy_model("listen", &model_with("listen", SIG, &waiting))
        .await;
    let throwing = format!(
        r#"<bpmn:startEvent id="start" /><bpmn:intermediateThrowEvent id="yell"><bpmn:signalEventDefinition signalRef="Sig_Alarm" /></bpmn:intermediateThrowEvent>
        <bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="L" /></bpmn:intermediateThrowEvent>
        <bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition name="L" /></bpmn:intermediateCatchEvent>
        <bpmn:endEvent id="end" />{}{}{}"#,
        flow("f1", "start", "yell"),
        flow("f2", "yell", "jump"),
        flow("f3", "land", "end")
    );
    s.deploy_model("shout", &model_with("shout", SIG, &throwing))
        .await;
    let a = s.start("listen", json!({})).await;
    let b = s.start("listen", json!({})).await;
    let thrower = s.start("shout", json!({})).await;
    assert_eq!(s.state(&a).await, "COMPLETED");
    assert_eq!(s.state(&b).await, "COMPLETED");
    assert_eq!(s.state(&thrower).await, "COMPLETED");
    assert!(s.passed(&thrower).await.contains(&"land".to_owned()));
    s.shutdown().await;
}

#[tokio::test]
async fn a_failing_timer_job_is_retried_then_raises_an_incident() {
    let s = server_manual().await;
    let body = format!(
        r#"<bpmn:startEvent id="start" /><bpmn:intermediateCatchEvent id="wait">{}</bpmn:intermediateCatchEvent>
        <bpmn:exclusiveGateway id="gw" /><bpmn:endEvent id="end" />{}{}
        <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="end"><bpmn:conditionExpression>${{missing == 1}}</bpmn:conditionExpression></bpmn:sequenceFlow>"#,
        timer("timeDuration", "PT1M"),
        flow("f1", "start", "wait"),
        flow("f2", "wait", "gw"),
    );
    s.deploy_model("f", &model_with("f", "", &body)).await;
    let inst = s.start("f", json!({})).await;
    s.advance("PT1M").await;
    let (_, jobs) = s.get(&format!("/job?processInstanceId={inst}")).await;
    let job = &jobs[0];
    assert_eq!(job["retries"], 0, "{job}");
    assert!(
        job["exceptionMessage"]
            .as_str()
            .unwrap()
            .contains("missing")
    );
    let (_, incidents) = s.get(&format!("/incident?processInstanceId={inst}")).await;
    assert_eq!(incidents[0]["incidentType"], "failedJob");
    assert_eq!(incidents[0]["configuration"], job["id"]);
    // The failed step left nothing behind: the token still waits at the timer.
    let (_, tree) = s
        .get(&format!("/process-instance/{inst}/activity-instances"))
        .await;
    assert_eq!(tree["childActivityInstances"][0]["activityId"], "wait");

    // Fixed, and run by hand: the incident is resolved.
    s.put(
        &format!("/process-instance/{inst}/variables/missing"),
        json!({"value": 1}),
    )
    .await;
    let id = job["id"].as_str().unwrap();
    let (status, body) = s.post(&format!("/job/{id}/execute"), Value::Null).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(s.state(&inst).await, "COMPLETED");
    let (_, incidents) = s.get("/incident").await;
    assert_eq!(incidents, json!([]));

    // Another one, fixed by giving it retries: the job executor runs it.
    let other = s.start("f", json!({"missing": {"value": 2}})).await;
    s.advance("PT1M").await;
    let (_, jobs) = s.get(&format!("/job?processInstanceId={other}")).await;
    assert_eq!(jobs[0]["retries"], 0, "{jobs}");
    s.put(
        &format!("/process-instance/{other}/variables/missing"),
        json!({"value": 1}),
    )
    .await;
    let id = jobs[0]["id"].as_str().unwrap();
    let (status, _) = s
        .put(&format!("/job/{id}/retries"), json!({"retries": 1}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut waited = 0;
    while s.state(&other).await != "COMPLETED" {
        assert!(waited < 300, "the job executor did not run the job again");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        waited += 1;
    }
    s.shutdown().await;
}

#[tokio::test]
async fn conditional_start_events_and_the_clock_endpoint() {
    let s = server_manual().await;
    let body = format!(
        r#"<bpmn:startEvent id="start"><bpmn:conditionalEventDefinition><bpmn:condition>${{temperature &gt; 30}}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:startEvent>{}<bpmn:endEvent id="end" />{}{}"#,
        ext("cool", "cool"),
        flow("f1", "start", "cool"),
        flow("f2", "cool", "end")
    );
    // Before any conditional start event exists, Camunda's condition handler
    // refuses the evaluation (Camunda answers it 500; Baton 400).
    let (status, err) = s
        .post(
            "/condition",
            json!({"variables": {"temperature": {"value": 35}}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(
        err,
        json!({"type": "ProcessEngineException", "code": 0,
               "message": "ENGINE-13043 No subscriptions were found during evaluation of the conditional start events."})
    );
    let plain = s.deploy_model("plain", &tasks_model("plain", &["t"])).await;
    let (status, err) = s
        .post(
            "/condition",
            json!({"processDefinitionId": plain, "variables": {"temperature": {"value": 35}}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(
        err["message"],
        format!(
            "ENGINE-13042 Process definition with id '{plain}' does not declare conditional start event."
        )
    );
    assert_eq!(count(&s, "/process-instance/count").await, 0);

    s.deploy_model("hot", &model_with("hot", "", &body)).await;
    // A condition that does not hold starts nothing, and that is no error.
    let (status, started) = s
        .post(
            "/condition",
            json!({"variables": {"temperature": {"value": 20}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started, json!([]));
    let (status, started) = s
        .post(
            "/condition",
            json!({"variables": {"temperature": {"value": 35}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started.as_array().unwrap().len(), 1);
    assert_eq!(s.fetch("w", "cool").await.len(), 1);

    let (_, clock) = s.get("/baton/clock").await;
    assert_eq!(
        clock,
        json!({"time": "2026-01-01T00:00:00.000+0000", "manual": true})
    );
    let (status, moved) = s
        .post("/baton/clock", json!({"time": "2026-02-01T12:00:00Z"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(moved["time"], "2026-02-01T12:00:00.000+0000");
    let (status, _) = s.post("/baton/clock", json!({"offset": "soon"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    s.shutdown().await;
}

#[tokio::test]
async fn an_error_event_subprocess_catches_a_workers_bpmn_error() {
    let s = server_manual().await;
    let body = format!(
        r#"<bpmn:startEvent id="start" />
        <bpmn:subProcess id="inner"><bpmn:startEvent id="innerStart" />{}<bpmn:endEvent id="innerEnd" />{}{}
          <bpmn:subProcess id="onOther" triggeredByEvent="true">
            <bpmn:startEvent id="otherStart"><bpmn:errorEventDefinition errorRef="Err_Other" /></bpmn:startEvent>
            <bpmn:endEvent id="otherEnd" />{}
          </bpmn:subProcess>
        </bpmn:subProcess>
        <bpmn:endEvent id="end" />{}{}
        <bpmn:subProcess id="onError" triggeredByEvent="true">
          <bpmn:startEvent id="errorStart"><bpmn:errorEventDefinition errorRef="Err_Bad" camunda:errorCodeVariable="code" /></bpmn:startEvent>
          <bpmn:endEvent id="errorEnd" />{}
        </bpmn:subProcess>"#,
        ext("task", "t"),
        flow("i1", "innerStart", "task"),
        flow("i2", "task", "innerEnd"),
        flow("o1", "otherStart", "otherEnd"),
        flow("f1", "start", "inner"),
        flow("f2", "inner", "end"),
        flow("e1", "errorStart", "errorEnd"),
    );
    let decls = r#"<bpmn:error id="Err_Bad" errorCode="BAD" /><bpmn:error id="Err_Other" errorCode="OTHER" />"#;
    s.deploy_model("err", &model_with("err", decls, &body))
        .await;
    let inst = s.start("err", json!({})).await;
    let task = s.fetch("w", "t").await.remove(0);
    let id = task["id"].as_str().unwrap();
    let (status, _) = s
        .post(
            &format!("/external-task/{id}/bpmnError"),
            json!({"workerId": "w", "errorCode": "BAD"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(s.state(&inst).await, "COMPLETED");
    let passed = s.passed(&inst).await;
    assert!(passed.contains(&"errorEnd".to_owned()), "{passed:?}");
    assert!(
        !passed.contains(&"otherEnd".to_owned()),
        "the inner one catches OTHER only"
    );
    assert!(!passed.contains(&"end".to_owned()));
    let (_, vars) = s
        .get(&format!(
            "/history/variable-instance?processInstanceId={inst}&variableName=code"
        ))
        .await;
    assert_eq!(vars[0]["value"], "BAD");
    s.shutdown().await;
}

#[tokio::test]
async fn timer_start_events_follow_the_latest_version() {
    let s = server_manual().await;
    let version = |cycle: &str, topic: &str| {
        let body = format!(
            r#"<bpmn:startEvent id="start">{}</bpmn:startEvent>{}<bpmn:endEvent id="end" />{}{}"#,
            timer("timeCycle", cycle),
            ext("task", topic),
            flow("f1", "start", "task"),
            flow("f2", "task", "end")
        );
        model_with("tick", "", &body)
    };
    s.deploy_model("tick", &version("R2/PT1H", "v1")).await;
    let (_, jobs) = s.get("/job?processDefinitionKey=tick").await;
    assert_eq!(jobs[0]["dueDate"], "2026-01-01T01:00:00.000+0000");
    assert!(jobs[0]["processInstanceId"].is_null());
    for _ in 0..3 {
        s.advance("PT1H").await;
    }
    assert_eq!(
        count(&s, "/process-instance/count").await,
        2,
        "R2: two firings"
    );
    assert_eq!(count(&s, "/job/count").await, 0);

    // A new version replaces the schedule (cron: every day at 06:00).
    s.deploy_model("tick", &version("0 0 6 * * ?", "v2")).await;
    let (_, jobs) = s.get("/job?processDefinitionKey=tick").await;
    assert_eq!(jobs.as_array().unwrap().len(), 1);
    assert_eq!(jobs[0]["dueDate"], "2026-01-01T06:00:00.000+0000");
    s.advance("PT3H").await;
    assert_eq!(s.fetch("w", "v2").await.len(), 1);
    let (_, jobs) = s.get("/job?processDefinitionKey=tick").await;
    assert_eq!(jobs[0]["dueDate"], "2026-01-02T06:00:00.000+0000");

    // Deleting the deployment removes its timer.
    let (_, defs) = s
        .get("/process-definition?key=tick&latestVersion=true")
        .await;
    let deployment = defs[0]["deploymentId"].as_str().unwrap();
    let (status, _) = s
        .delete(&format!("/deployment/{deployment}?cascade=true"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(count(&s, "/job/count").await, 0);
    s.shutdown().await;
}

#[tokio::test]
async fn escalations_are_caught_by_enclosing_boundaries_and_message_throws_are_external_tasks() {
    let s = server_manual().await;
    let body = format!(
        r#"<bpmn:startEvent id="start" />
        <bpmn:subProcess id="work">
          <bpmn:startEvent id="workStart" />
          <bpmn:intermediateThrowEvent id="late"><bpmn:escalationEventDefinition escalationRef="Esc_Late" /></bpmn:intermediateThrowEvent>
          <bpmn:intermediateThrowEvent id="notify"><bpmn:messageEventDefinition camunda:type="external" camunda:topic="notify" /></bpmn:intermediateThrowEvent>
          <bpmn:endEvent id="giveUp"><bpmn:escalationEventDefinition escalationRef="Esc_Stop" /></bpmn:endEvent>
          {}{}{}
        </bpmn:subProcess>
        <bpmn:boundaryEvent id="onLate" attachedToRef="work" cancelActivity="false"><bpmn:escalationEventDefinition escalationRef="Esc_Late" camunda:escalationCodeVariable="why" /></bpmn:boundaryEvent>
        <bpmn:boundaryEvent id="onStop" attachedToRef="work"><bpmn:escalationEventDefinition escalationRef="Esc_Stop" /></bpmn:boundaryEvent>
        <bpmn:endEvent id="end" /><bpmn:endEvent id="lateEnd" /><bpmn:endEvent id="stopped" />
        {}{}{}{}"#,
        flow("w1", "workStart", "late"),
        flow("w2", "late", "notify"),
        flow("w3", "notify", "giveUp"),
        flow("f1", "start", "work"),
        flow("f2", "work", "end"),
        flow("f3", "onLate", "lateEnd"),
        flow("f4", "onStop", "stopped"),
    );
    let decls = r#"<bpmn:escalation id="Esc_Late" escalationCode="LATE" /><bpmn:escalation id="Esc_Stop" escalationCode="STOP" />"#;
    s.deploy_model("esc", &model_with("esc", decls, &body))
        .await;
    let inst = s.start("esc", json!({})).await;
    // The non-interrupting catch ran beside; the thrower went on to the message
    // throw, which waits for its worker.
    let passed = s.passed(&inst).await;
    assert!(passed.contains(&"lateEnd".to_owned()), "{passed:?}");
    let tasks = s.fetch("w", "notify").await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["activityId"], "notify");
    let id = tasks[0]["id"].as_str().unwrap();
    let (status, _) = s
        .post(
            &format!("/external-task/{id}/complete"),
            json!({"workerId": "w"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // The escalation end event is caught by the interrupting boundary of its code.
    assert_eq!(s.state(&inst).await, "COMPLETED");
    let passed = s.passed(&inst).await;
    assert!(passed.contains(&"stopped".to_owned()), "{passed:?}");
    assert!(!passed.contains(&"end".to_owned()));
    let (_, why) = s
        .get(&format!(
            "/history/variable-instance?processInstanceId={inst}&variableName=why"
        ))
        .await;
    assert_eq!(why[0]["value"], "LATE");
    s.shutdown().await;
}

#[tokio::test]
async fn a_jobs_due_date_can_be_moved_and_message_results_carry_variables() {
    let s = server_manual().await;
    let body = format!(
        r#"<bpmn:startEvent id="start" /><bpmn:intermediateCatchEvent id="wait">{}</bpmn:intermediateCatchEvent>{}<bpmn:endEvent id="end" />{}{}{}"#,
        timer("timeDuration", "P30D"),
        message_catch("reply", "Msg_Go"),
        flow("f1", "start", "wait"),
        flow("f2", "wait", "reply"),
        flow("f3", "reply", "end")
    );
    s.deploy_model("due", &model_with("due", MSG, &body)).await;
    let inst = s.start("due", json!({"a": {"value": 1}})).await;
    let (_, jobs) = s.get(&format!("/job?processInstanceId={inst}")).await;
    let id = jobs[0]["id"].as_str().unwrap().to_owned();
    let (status, job) = s.get(&format!("/job/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(job["dueDate"], "2026-01-31T00:00:00.000+0000");
    let (status, _) = s
        .put(
            &format!("/job/{id}/duedate"),
            json!({"duedate": "2026-01-01T01:00:00.000+0000"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    s.advance("PT1H").await;
    assert_eq!(
        count(&s, "/job/count").await,
        0,
        "fired at its new due date"
    );
    let (status, _) = s.get(&format!("/job/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, result) = s
        .post(
            "/message",
            json!({"messageName": "Go", "resultEnabled": true, "variablesInResultEnabled": true,
                   "processVariables": {"b": {"value": "two"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result[0]["variables"]["a"]["value"], 1);
    assert_eq!(result[0]["variables"]["b"]["value"], "two");
    assert_eq!(s.state(&inst).await, "COMPLETED");
    s.shutdown().await;
}

/// start -> subprocess (external task `work`) -> external task `after` -> end, with an
/// interrupting conditional boundary `${cancelled}` on the subprocess leading to its
/// own end, and a conditional catch `${approved}` before the subprocess. Neither
/// variable exists when the instance starts.
fn cancellable() -> String {
    let body = format!(
        r#"<bpmn:startEvent id="start" />
        <bpmn:intermediateCatchEvent id="approval"><bpmn:conditionalEventDefinition><bpmn:condition>${{approved}}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:subProcess id="sub"><bpmn:startEvent id="subStart" />{}<bpmn:endEvent id="subEnd" />{}{}</bpmn:subProcess>
        <bpmn:boundaryEvent id="cancel" attachedToRef="sub"><bpmn:conditionalEventDefinition><bpmn:condition>${{cancelled}}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:boundaryEvent>
        {}<bpmn:endEvent id="end" /><bpmn:endEvent id="cancelledEnd" />{}{}{}{}{}"#,
        ext("work", "work"),
        flow("s1", "subStart", "work"),
        flow("s2", "work", "subEnd"),
        ext("after", "after"),
        flow("f1", "start", "approval"),
        flow("f2", "approval", "sub"),
        flow("f3", "sub", "after"),
        flow("f4", "after", "end"),
        flow("f5", "cancel", "cancelledEnd"),
    );
    model_with("cancellable", "", &body)
}

#[tokio::test]
async fn a_condition_on_a_variable_that_does_not_exist_yet_is_false_until_it_does() {
    let s = server().await;
    s.deploy_model("cancellable", &cancellable()).await;
    let inst = s.start("cancellable", json!({})).await;
    assert_eq!(
        count(&s, "/incident/count").await,
        0,
        "no incident for a variable that is not there yet"
    );
    let (status, _) = s
        .put(
            &format!("/process-instance/{inst}/variables/approved"),
            json!({"value": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(s.fetch("w", "work").await.len(), 1, "the condition held");
    let (status, _) = s
        .put(
            &format!("/process-instance/{inst}/variables/cancelled"),
            json!({"value": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(s.state(&inst).await, "COMPLETED");
    assert!(s.passed(&inst).await.contains(&"cancelledEnd".to_owned()));
    assert_eq!(count(&s, "/incident/count").await, 0);

    // A conditional start event whose variable is not given does not match, rather
    // than failing on the missing variable: nothing starts.
    let body = format!(
        r#"<bpmn:startEvent id="start"><bpmn:conditionalEventDefinition><bpmn:condition>${{temperature &gt; 30}}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:startEvent>{}<bpmn:endEvent id="end" />{}{}"#,
        ext("cool", "cool"),
        flow("f1", "start", "cool"),
        flow("f2", "cool", "end")
    );
    s.deploy_model("hot", &model_with("hot", "", &body)).await;
    let (status, answer) = s
        .post(
            "/condition",
            json!({"variables": {"humidity": {"value": 90}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!([]));
    s.shutdown().await;
}

#[tokio::test]
async fn variables_completed_with_a_task_trigger_the_enclosing_scopes_condition_first() {
    let s = server().await;
    s.deploy_model("cancellable", &cancellable()).await;
    let inst = s
        .start("cancellable", json!({"approved": {"value": true}}))
        .await;
    let tasks = s.fetch("w", "work").await;
    let task = tasks[0]["id"].as_str().expect("a task id").to_owned();
    let (status, body) = s
        .post(
            &format!("/external-task/{task}/complete"),
            json!({"workerId": "w", "variables": {"cancelled": {"value": true}}}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // The boundary on the subprocess interrupted it before the task could leave: the
    // instance ended there, and the task after the subprocess was never created.
    assert_eq!(s.state(&inst).await, "COMPLETED");
    let passed = s.passed(&inst).await;
    assert!(passed.contains(&"cancelledEnd".to_owned()), "{passed:?}");
    assert!(!passed.contains(&"subEnd".to_owned()), "{passed:?}");
    assert_eq!(count(&s, "/external-task/count").await, 0);

    // Without the variable, the task completes and the instance moves on.
    let inst = s
        .start("cancellable", json!({"approved": {"value": true}}))
        .await;
    let tasks = s.fetch("w", "work").await;
    let task = tasks[0]["id"].as_str().expect("a task id").to_owned();
    s.post(
        &format!("/external-task/{task}/complete"),
        json!({"workerId": "w", "variables": {"cancelled": {"value": false}}}),
    )
    .await;
    assert_eq!(s.fetch("w", "after").await.len(), 1);
    assert_eq!(s.state(&inst).await, "ACTIVE");
    s.shutdown().await;
}

#[tokio::test]
async fn a_signal_with_a_tenant_reaches_only_that_tenant() {
    let s = server().await;
    let body = format!(
        r#"<bpmn:startEvent id="start" /><bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="Sig_Alarm" /></bpmn:intermediateCatchEvent><bpmn:endEvent id="end" />{}{}"#,
        flow("f1", "start", "wait"),
        flow("f2", "wait", "end"),
    );
    let xml = model_with("alarmed", SIG, &body);
    let mut instances = Vec::new();
    for tenant in [Some("a"), Some("b"), None] {
        s.engine
            .deploy(baton_engine::NewDeployment {
                name: Some("alarmed".into()),
                tenant_id: tenant.map(str::to_owned),
                resources: vec![("alarmed.bpmn".into(), xml.clone().into_bytes())],
                ..baton_engine::NewDeployment::default()
            })
            .await
            .unwrap();
        let path = match tenant {
            Some(t) => format!("/process-definition/key/alarmed/tenant-id/{t}/start"),
            None => "/process-definition/key/alarmed/start".to_owned(),
        };
        let (status, started) = s.post(&path, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{started}");
        instances.push(started["id"].as_str().unwrap().to_owned());
    }
    let (status, b) = s
        .post("/signal", json!({"name": "Alarm", "tenantId": "a"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{b}");
    assert_eq!(s.state(&instances[0]).await, "COMPLETED");
    assert_eq!(s.state(&instances[1]).await, "ACTIVE");
    assert_eq!(s.state(&instances[2]).await, "ACTIVE");
    let (status, _) = s
        .post("/signal", json!({"name": "Alarm", "withoutTenantId": true}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(s.state(&instances[1]).await, "ACTIVE");
    assert_eq!(s.state(&instances[2]).await, "COMPLETED");
    let (status, b) = s
        .post(
            "/signal",
            json!({"name": "Alarm", "tenantId": "b", "withoutTenantId": true}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(s.state(&instances[1]).await, "ACTIVE");
}

#[tokio::test]
async fn an_escalation_from_a_called_instance_reaches_the_call_activitys_boundary_events() {
    let s = server_manual().await;
    let decls = r#"<bpmn:escalation id="Esc_Late" escalationCode="LATE" /><bpmn:escalation id="Esc_Stop" escalationCode="STOP" />"#;
    // The child says it is late, goes on to its work, and may give up.
    let child = format!(
        r#"<bpmn:startEvent id="start" />
        <bpmn:intermediateThrowEvent id="late"><bpmn:escalationEventDefinition escalationRef="Esc_Late" /></bpmn:intermediateThrowEvent>
        <bpmn:serviceTask id="childWork" camunda:type="external" camunda:topic="childWork" />
        <bpmn:endEvent id="giveUp"><bpmn:escalationEventDefinition escalationRef="Esc_Stop" /></bpmn:endEvent>
        {}{}{}"#,
        flow("c1", "start", "late"),
        flow("c2", "late", "childWork"),
        flow("c3", "childWork", "giveUp"),
    );
    s.deploy_model("escChild", &model_with("escChild", decls, &child))
        .await;
    // The caller hears "late" beside the call (non-interrupting) and "stop" instead
    // of it (interrupting).
    let parent = format!(
        r#"<bpmn:startEvent id="start" />
        <bpmn:callActivity id="call" calledElement="escChild" />
        <bpmn:boundaryEvent id="onLate" attachedToRef="call" cancelActivity="false"><bpmn:escalationEventDefinition escalationRef="Esc_Late" camunda:escalationCodeVariable="why" /></bpmn:boundaryEvent>
        <bpmn:boundaryEvent id="onStop" attachedToRef="call"><bpmn:escalationEventDefinition escalationRef="Esc_Stop" /></bpmn:boundaryEvent>
        <bpmn:serviceTask id="chase" camunda:type="external" camunda:topic="chase" />
        <bpmn:endEvent id="end" /><bpmn:endEvent id="chased" /><bpmn:endEvent id="stopped" />
        {}{}{}{}{}"#,
        flow("f1", "start", "call"),
        flow("f2", "call", "end"),
        flow("f3", "onLate", "chase"),
        flow("f4", "chase", "chased"),
        flow("f5", "onStop", "stopped"),
    );
    s.deploy_model("escParent", &model_with("escParent", decls, &parent))
        .await;
    let inst = s.start("escParent", json!({})).await;
    // Both go on: the caller chases, the child works.
    let chase = s.fetch("w", "chase").await;
    assert_eq!(chase.len(), 1, "the caller caught LATE");
    assert_eq!(chase[0]["processInstanceId"], inst.as_str());
    let work = s.fetch("w", "childWork").await;
    assert_eq!(work.len(), 1, "the child went on");
    let child_id = work[0]["processInstanceId"].as_str().unwrap().to_owned();
    let (_, why) = s
        .get(&format!("/process-instance/{inst}/variables/why"))
        .await;
    assert_eq!(why["value"], "LATE");

    // The child gives up: STOP interrupts the call activity, ending the child.
    let id = work[0]["id"].as_str().unwrap();
    let (status, _) = s
        .post(
            &format!("/external-task/{id}/complete"),
            json!({"workerId": "w"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let passed = s.passed(&inst).await;
    assert!(passed.contains(&"stopped".to_owned()), "{passed:?}");
    assert!(!passed.contains(&"end".to_owned()), "{passed:?}");
    let (_, child) = s
        .get(&format!("/history/process-instance/{child_id}"))
        .await;
    // As in Camunda, the child is terminated by its caller, not completed.
    assert_eq!(child["state"], "INTERNALLY_TERMINATED", "{child}");
    // The chase still runs; nothing of the child is left behind.
    let (_, tasks) = s.get("/external-task").await;
    let topics: Vec<&str> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topicName"].as_str().unwrap())
        .collect();
    assert_eq!(topics, ["chase"], "{tasks}");
    s.shutdown().await;
}
