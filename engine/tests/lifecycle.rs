//! The external task lifecycle, as Camunda behaves, on a real database file.

mod common;

use baton_engine::{Error, ExternalTaskQuery, Failure, IncidentQuery, StartInstance, Value};
use common::*;

#[tokio::test]
async fn start_fetch_complete_end() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("simple.bpmn", &one_task("simple"))]).await;
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
    deploy(&engine, &[("simple.bpmn", &one_task("simple"))]).await;
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

/// An engine on a fresh database file whose time moves only when told.
fn manual_engine() -> (
    baton_engine::Engine,
    std::sync::Arc<baton_engine::ManualClock>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let clock = std::sync::Arc::new(baton_engine::ManualClock::new(1_795_168_800_000));
    let config = baton_engine::Config::file(dir.path().join("baton.db")).clock(clock.clone());
    (
        baton_engine::Engine::open(config).expect("the engine opens"),
        clock,
        dir,
    )
}

#[tokio::test]
async fn locks_hold_until_they_expire_and_then_move_on() {
    let (engine, clock, _dir) = manual_engine();
    deploy(&engine, &[("simple.bpmn", &one_task("simple"))]).await;
    engine.start(StartInstance::by_key("simple")).await.unwrap();
    let t = fetch(&engine, "w1", "work").await.remove(0);
    assert_eq!(
        t.task.lock_expiration_time,
        Some(baton_engine::Clock::now(&*clock) + 10_000)
    );
    clock.advance(9_999);
    assert!(
        fetch(&engine, "w2", "work").await.is_empty(),
        "still locked"
    );
    // Extending needs the holder and a live lock.
    let err = engine
        .extend_lock(&t.task.id, "w2", 5_000)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    engine.extend_lock(&t.task.id, "w1", 5_000).await.unwrap();
    clock.advance(4_999);
    assert!(
        fetch(&engine, "w2", "work").await.is_empty(),
        "lock extended"
    );
    clock.advance(1);
    // The same worker may still complete after its lock expired while nobody took it...
    let (after, _) = engine.external_task(&t.task.id).await.unwrap();
    assert_eq!(after.worker_id.as_deref(), Some("w1"));
    let err = engine
        .extend_lock(&t.task.id, "w1", 5_000)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    // ...but once another worker has fetched it, the first one is refused.
    let moved = fetch(&engine, "w2", "work").await;
    assert_eq!(moved.len(), 1);
    let err = engine
        .complete(&t.task.id, "w1", vec![], vec![])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("locked by worker 'w2'"), "{err}");
    engine.unlock(&t.task.id).await.unwrap();
    assert_eq!(
        fetch(&engine, "w3", "work").await.len(),
        1,
        "unlocked tasks are fetchable"
    );
    engine.set_priority(&t.task.id, 7).await.unwrap();
    assert_eq!(
        engine.external_task(&t.task.id).await.unwrap().0.priority,
        7
    );
    assert!(matches!(
        engine.unlock("nope").await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        engine.set_retries(&t.task.id, -1).await,
        Err(Error::Invalid(_))
    ));
}

#[tokio::test]
async fn without_history_nothing_is_kept_after_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let config = baton_engine::Config::file(dir.path().join("baton.db")).history(false);
    let engine = baton_engine::Engine::open(config).unwrap();
    deploy(&engine, &[("simple.bpmn", &one_task("simple"))]).await;
    let inst = engine.start(StartInstance::by_key("simple")).await.unwrap();
    assert_eq!(work(&engine, "work", vec![]).await, 1);
    assert!(engine.instance(&inst.id).await.is_err());
    assert!(
        engine
            .historic_activities(&inst.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn bad_requests_change_nothing() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("simple.bpmn", &one_task("simple"))]).await;
    let err = engine
        .start(StartInstance::by_key("missing"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
    let inst = engine.start(StartInstance::by_key("simple")).await.unwrap();
    let t = fetch(&engine, "w", "work").await.remove(0);
    let bad = Failure {
        retries: -1,
        ..Failure::default()
    };
    assert!(matches!(
        engine.handle_failure(&t.task.id, "w", bad).await,
        Err(Error::Invalid(_))
    ));
    let err = engine
        .handle_bpmn_error(&t.task.id, "w", "", None, vec![])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    // The task is untouched and the instance still waits for it.
    let (task, _) = engine.external_task(&t.task.id).await.unwrap();
    assert_eq!(task.retries, None);
    assert_eq!(engine.instance(&inst.id).await.unwrap().id, inst.id);
    let err = engine
        .deploy(baton_engine::NewDeployment {
            resources: vec![("broken.bpmn".into(), b"<definitions".to_vec())],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Deployment { .. }), "{err}");
    assert_eq!(engine.deployments(None, None).await.unwrap().len(), 1);
}

#[tokio::test]
async fn completing_a_task_out_of_retries_ends_its_incident() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("simple.bpmn", &one_task("simple"))]).await;
    let inst = engine.start(StartInstance::by_key("simple")).await.unwrap();
    let t = fetch(&engine, "w", "work").await.remove(0);
    let out = Failure {
        error_message: Some("gave up".into()),
        ..Failure::default()
    };
    engine.handle_failure(&t.task.id, "w", out).await.unwrap();
    assert_eq!(
        engine
            .incidents(IncidentQuery::default())
            .await
            .unwrap()
            .len(),
        1
    );
    // The worker still holds it (by worker id), so it may complete it after all.
    engine
        .complete(&t.task.id, "w", vec![], vec![])
        .await
        .unwrap();
    assert!(
        engine
            .incidents(IncidentQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(state(&engine, &inst.id).await, "COMPLETED");
}
