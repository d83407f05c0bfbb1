//! Administrative commands: deleting deployments and locking tasks without fetching.

mod common;

use baton_engine::{DefinitionQuery, Error, HistoricInstanceQuery, InstanceQuery};
use common::*;

#[tokio::test]
async fn deleting_a_deployment_refuses_running_instances_without_cascade() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("a.bpmn", &one_task("a"))]).await;
    let deployment = engine.deployments(None, None).await.unwrap().remove(0);
    let inst = start(&engine, "a", &[]).await;

    let err = engine
        .delete_deployment(&deployment.id, false)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    assert!(err.to_string().contains("cascade"), "{err}");
    // Nothing changed.
    assert!(running(&engine, &inst).await);
    assert_eq!(engine.deployments(None, None).await.unwrap().len(), 1);

    engine
        .delete_deployment(&deployment.id, true)
        .await
        .unwrap();
    assert!(engine.deployments(None, None).await.unwrap().is_empty());
    let defs = engine
        .definitions(DefinitionQuery::default())
        .await
        .unwrap();
    assert!(defs.is_empty());
    assert!(
        engine
            .instances(InstanceQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(fetch(&engine, "w", "work").await.is_empty());
    // Cascading removes the history of the definitions' instances too.
    let history = engine
        .historic_instances(HistoricInstanceQuery::default())
        .await
        .unwrap();
    assert!(history.is_empty(), "{history:?}");

    let err = engine
        .delete_deployment(&deployment.id, true)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err}");
}

#[tokio::test]
async fn deleting_an_idle_deployment_keeps_others() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("a.bpmn", &one_task("a"))]).await;
    deploy(&engine, &[("b.bpmn", &one_task("b"))]).await;
    let all = engine.deployments(None, None).await.unwrap();
    let (newest, oldest) = (&all[0], &all[1]);
    engine.delete_deployment(&oldest.id, false).await.unwrap();
    let defs = engine
        .definitions(DefinitionQuery::default())
        .await
        .unwrap();
    assert_eq!(defs.len(), 1);
    assert_eq!(defs[0].deployment_id, newest.id);
    // The remaining definition still runs.
    let key = defs[0].key.clone();
    let inst = start(&engine, &key, &[]).await;
    assert_eq!(work(&engine, "work", vec![]).await, 1);
    assert!(!running(&engine, &inst).await);
}

#[tokio::test]
async fn lock_without_fetching() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("a.bpmn", &one_task("a"))]).await;
    let inst = start(&engine, "a", &[]).await;
    let task = tasks_of(&engine, &inst).await.remove(0);

    engine.lock(&task.id, "w1", 60_000).await.unwrap();
    // Locked: not fetchable, and another worker cannot lock it.
    assert!(fetch(&engine, "w2", "work").await.is_empty());
    let err = engine.lock(&task.id, "w2", 60_000).await.unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
    // The holder may lock again (renewing), and complete.
    engine.lock(&task.id, "w1", 1_000).await.unwrap();
    assert!(matches!(
        engine.lock(&task.id, "w1", 0).await.unwrap_err(),
        Error::Invalid(_)
    ));
    assert!(matches!(
        engine.lock("nope", "w1", 1_000).await.unwrap_err(),
        Error::NotFound(_)
    ));
    engine
        .complete(&task.id, "w1", vec![], vec![])
        .await
        .unwrap();
    assert!(!running(&engine, &inst).await);
}

#[tokio::test]
async fn a_database_file_replaced_under_the_engine_stops_it_and_stays_untouched() {
    let (engine, dir) = engine();
    deploy(&engine, &[("a.bpmn", &one_task("a"))]).await;
    start(&engine, "a", &[]).await;
    let path = dir.path().join("baton.db");

    // Another file takes the database's name, as a restore copied over it would.
    let other = dir.path().join("restored.db");
    std::fs::write(&other, b"another database").unwrap();
    std::fs::rename(&other, &path).unwrap();

    let err = engine
        .start(baton_engine::StartInstance::by_key("a"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Storage(_)), "{err}");
    assert!(
        err.to_string()
            .contains("baton.db was replaced by another file"),
        "{err}"
    );
    let failed = tokio::time::timeout(std::time::Duration::from_secs(5), engine.failed())
        .await
        .expect("failed() resolves");
    assert_eq!(failed.to_string(), err.to_string());
    // Every call fails from now on, queries too.
    let err = engine
        .instances(InstanceQuery::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("was replaced"), "{err}");
    drop(engine);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"another database",
        "the file now at the path is not written"
    );
}

#[tokio::test]
async fn an_idle_engine_notices_its_database_file_deleted() {
    let (engine, dir) = engine();
    deploy(&engine, &[("a.bpmn", &one_task("a"))]).await;
    std::fs::remove_file(dir.path().join("baton.db")).unwrap();
    // No command runs: the checkpointer's look finds it.
    let failed = tokio::time::timeout(std::time::Duration::from_secs(5), engine.failed())
        .await
        .expect("failed() resolves without any call");
    assert!(
        failed.to_string().contains("baton.db was deleted"),
        "{failed}"
    );
}
