//! In-process handlers: the same lock, complete, failure and BPMN error lifecycle
//! as an HTTP worker, without HTTP.

mod common;

use std::time::Duration;

use baton_engine::{Engine, Failure, IncidentQuery, LockedTask, Outcome, StartInstance, Value};
use common::*;

/// Waits until `done` holds, polling; fails the test after 10 s.
async fn until<F: std::future::Future<Output = bool>>(mut done: impl FnMut() -> F) {
    for _ in 0..1000 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the condition did not hold within 10 s");
}

async fn ended(engine: &Engine, id: &str) -> bool {
    engine.instance(id).await.is_err()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_completes_tasks_with_variables() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("one.bpmn", &one_task("one"))]).await;
    engine.register_handler("work", |task: LockedTask| async move {
        let n = match task.variables.iter().find(|(n, _)| n == "n") {
            Some((_, Value::Integer(n))) => *n,
            _ => -1,
        };
        Outcome::Complete(vec![("doubled".into(), Value::Integer(n * 2))])
    });
    let mut ids = Vec::new();
    for n in 0..5 {
        let start = StartInstance::by_key("one").variable("n", n);
        ids.push(engine.start(start).await.unwrap().id);
    }
    for (n, id) in ids.iter().enumerate() {
        until(|| ended(&engine, id)).await;
        assert_eq!(state(&engine, id).await, "COMPLETED");
        let expected = Value::Integer(2 * i32::try_from(n).unwrap());
        assert_eq!(hvar(&engine, id, "doubled").await, Some(expected));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_failure_without_retries_raises_an_incident() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("one.bpmn", &one_task("one"))]).await;
    engine.register_handler("work", |_: LockedTask| async {
        Outcome::Failure(Failure {
            error_message: Some("service down".into()),
            retries: 0,
            ..Failure::default()
        })
    });
    let id = engine.start(StartInstance::by_key("one")).await.unwrap().id;
    let query = || IncidentQuery {
        process_instance_id: Some(id.clone()),
        ..IncidentQuery::default()
    };
    until(|| async { !engine.incidents(query()).await.unwrap().is_empty() }).await;
    let incident = engine.incidents(query()).await.unwrap().remove(0);
    assert_eq!(incident.incident_type, "failedExternalTask");
    assert_eq!(incident.message.as_deref(), Some("service down"));
    assert!(
        !ended(&engine, &id).await,
        "the instance waits for its task"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_bpmn_error_is_caught_by_a_boundary_event() {
    let (engine, _dir) = engine();
    let model = process(
        "checked",
        &[
            start_ev("start"),
            ext("work", "work"),
            end_ev("end"),
            r#"<bpmn:boundaryEvent id="invalid" attachedToRef="work"><bpmn:errorEventDefinition errorRef="err_invalid" /></bpmn:boundaryEvent>"#.to_owned(),
            end_ev("rejected"),
            flow("f1", "start", "work"),
            flow("f2", "work", "end"),
            flow("f3", "invalid", "rejected"),
        ]
        .concat(),
    );
    deploy(&engine, &[("checked.bpmn", &model)]).await;
    engine.register_handler("work", |_: LockedTask| async {
        Outcome::BpmnError {
            code: "INVALID".into(),
            message: Some("no such room".into()),
            variables: vec![("reason".into(), Value::from("no such room"))],
        }
    });
    let id = engine
        .start(StartInstance::by_key("checked"))
        .await
        .unwrap()
        .id;
    until(|| ended(&engine, &id)).await;
    assert_eq!(
        trail(&engine, &id).await,
        ["start", "work", "invalid", "rejected"]
    );
    assert_eq!(
        hvar(&engine, &id, "reason").await,
        Some(Value::from("no such room"))
    );
}
