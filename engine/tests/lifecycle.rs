//! The external task lifecycle, as Camunda behaves, on a real database file.

mod common;

use baton_engine::{Error, ExternalTaskQuery, Failure, IncidentQuery, StartInstance, Value};
use common::*;

fn simple() -> String {
    process(
        "simple",
        &[
            r#"<bpmn:startEvent id="start" />"#.to_owned(),
            ext("work", "work"),
            r#"<bpmn:endEvent id="end" />"#.to_owned(),
            flow("f1", "start", "work"),
            flow("f2", "work", "end"),
        ]
        .concat(),
    )
}

#[tokio::test]
async fn start_fetch_complete_end() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("simple.bpmn", &simple())]).await;
    let inst = engine
        .start(
            StartInstance::by_key("simple")
                .business_key("order-1")
                .variable("amount", 42),
        )
        .await
        .unwrap();
    assert!(!inst.ended);
    let tasks = fetch(&engine, "w1", "work").await;
    assert_eq!(tasks.len(), 1);
    let t = &tasks[0];
    assert_eq!(t.task.business_key.as_deref(), Some("order-1"));
    assert_eq!(t.task.activity_id, "work");
    assert_eq!(t.task.process_definition_key, "simple");
    assert_eq!(t.variables, vec![("amount".to_owned(), Value::Integer(42))]);
    // Locked: nobody else gets it.
    assert!(fetch(&engine, "w2", "work").await.is_empty());
    // Another worker cannot complete it.
    let err = engine
        .complete(&t.task.id, "w2", vec![], vec![])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    engine
        .complete(
            &t.task.id,
            "w1",
            vec![("done".into(), Value::Boolean(true))],
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(trail(&engine, &inst.id).await, ["start", "work", "end"]);
    assert_eq!(state(&engine, &inst.id).await, "COMPLETED");
    assert_eq!(
        hvar(&engine, &inst.id, "done").await,
        Some(Value::Boolean(true))
    );
    assert!(engine.instance(&inst.id).await.is_err());
    // Completing twice: the task is gone.
    let err = engine
        .complete(&t.task.id, "w1", vec![], vec![])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
}

#[tokio::test]
async fn failures_retry_then_raise_an_incident_that_retries_resolve() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("simple.bpmn", &simple())]).await;
    let inst = engine.start(StartInstance::by_key("simple")).await.unwrap();
    let t = fetch(&engine, "w", "work").await.remove(0);
    let fail = |retries, timeout| Failure {
        error_message: Some("service down".into()),
        retries,
        retry_timeout: timeout,
        ..Failure::default()
    };
    engine
        .handle_failure(&t.task.id, "w", fail(2, 60_000))
        .await
        .unwrap();
    // Not fetchable before its retry timeout.
    assert!(fetch(&engine, "w", "work").await.is_empty());
    engine
        .handle_failure(&t.task.id, "w", fail(0, 0))
        .await
        .unwrap();
    assert!(
        fetch(&engine, "w", "work").await.is_empty(),
        "no retries left"
    );
    let incidents = engine.incidents(IncidentQuery::default()).await.unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].incident_type, "failedExternalTask");
    assert_eq!(
        incidents[0].configuration.as_deref(),
        Some(t.task.id.as_str())
    );
    assert_eq!(incidents[0].process_instance_id, inst.id);
    engine.set_retries(&t.task.id, 1).await.unwrap();
    assert!(
        engine
            .incidents(IncidentQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    let again = fetch(&engine, "w", "work").await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].task.error_message.as_deref(), Some("service down"));
    let q = ExternalTaskQuery {
        worker_id: Some("w".into()),
        ..ExternalTaskQuery::default()
    };
    assert_eq!(engine.external_tasks(q).await.unwrap().len(), 1);
    engine
        .complete(&t.task.id, "w", vec![], vec![])
        .await
        .unwrap();
    assert_eq!(state(&engine, &inst.id).await, "COMPLETED");
}
