//! Query lists longer than SQLite's limit on bound parameters (32,766), on a real
//! database file: each list filter of the engine's API answers exactly the rows it
//! names. Some of them (a definition query's tenants) no REST request can carry
//! that long, since a query string is limited to 64 KiB; an embedding
//! application can.

#![allow(clippy::unwrap_used)]

mod common;

use baton_engine::{
    DefinitionQuery, DefinitionRef, Engine, ExternalTaskQuery, FetchAndLock, InstanceQuery,
    NewDeployment, StartInstance, TopicRequest,
};
use common::*;

/// More values than SQLite takes as separate parameters.
const LONG: usize = 40_003;

/// [`LONG`] values: `real` among made-up ones, at the start, middle and end.
fn padded(real: &[&str]) -> Vec<String> {
    let mut list: Vec<String> = (0..LONG - real.len())
        .map(|i| format!("missing-{i:05}"))
        .collect();
    for (n, id) in real.iter().enumerate() {
        let at = [0, list.len() / 2, list.len()][n % 3];
        list.insert(at, (*id).to_owned());
    }
    list
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn one_task(key: &str) -> String {
    process(
        key,
        &format!(
            r#"<bpmn:startEvent id="s" />{}<bpmn:endEvent id="e" />{}{}"#,
            ext("work", "t"),
            flow("f1", "s", "work"),
            flow("f2", "work", "e"),
        ),
    )
}

/// Definitions `p` (no tenant), `q` for tenant `acme` and `q` for tenant `zenith`,
/// and four instances: two of `p`, one of each `q`, each waiting at a task of topic `t`.
struct World {
    engine: Engine,
    _dir: tempfile::TempDir,
    acme: String,
    zenith: String,
    instances: Vec<String>,
}

async fn world() -> World {
    let (engine, dir) = engine();
    deploy(&engine, &[("p.bpmn", &one_task("p"))]).await;
    for tenant in ["acme", "zenith"] {
        engine
            .deploy(NewDeployment {
                name: Some(tenant.into()),
                tenant_id: Some(tenant.into()),
                resources: vec![("q.bpmn".into(), one_task("q").into_bytes())],
                ..NewDeployment::default()
            })
            .await
            .unwrap();
    }
    let defs = engine
        .definitions(DefinitionQuery::default())
        .await
        .unwrap();
    assert_eq!(defs.len(), 3);
    let def_of = |tenant: Option<&str>| {
        defs.iter()
            .find(|d| d.tenant_id.as_deref() == tenant)
            .unwrap()
            .id
            .clone()
    };
    let (p, acme, zenith) = (def_of(None), def_of(Some("acme")), def_of(Some("zenith")));

    let mut instances = Vec::new();
    for def in [&p, &p, &acme, &zenith] {
        let start = StartInstance {
            definition: DefinitionRef::Id(def.clone()),
            ..StartInstance::by_key("")
        };
        let i = engine.start(start).await.unwrap();
        instances.push(i.id);
    }
    World {
        engine,
        _dir: dir,
        acme,
        zenith,
        instances,
    }
}

/// A definition query's `tenant_ids`.
#[tokio::test]
async fn a_definition_query_takes_40003_tenant_ids() {
    let w = world().await;
    let found = w
        .engine
        .definitions(DefinitionQuery {
            tenant_ids: padded(&["zenith"]),
            max_results: Some(10),
            ..DefinitionQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [w.zenith.as_str()]
    );
}

/// An instance query's `ids`.
#[tokio::test]
async fn an_instance_query_takes_40003_ids() {
    let w = world().await;
    let found = w
        .engine
        .instances(InstanceQuery {
            ids: padded(&[&w.instances[0], &w.instances[2]]),
            max_results: Some(10),
            ..InstanceQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        sorted(found.into_iter().map(|i| i.id).collect()),
        sorted(vec![w.instances[0].clone(), w.instances[2].clone()])
    );
}

/// An external task query's `ids`, `process_instance_ids` and `tenant_ids`.
#[tokio::test]
async fn an_external_task_query_takes_40003_ids_instance_ids_and_tenant_ids() {
    let w = world().await;
    let tasks = w
        .engine
        .external_tasks(ExternalTaskQuery::default())
        .await
        .unwrap();
    assert_eq!(tasks.len(), 4);
    let task_ids = |q: ExternalTaskQuery| {
        let engine = w.engine.clone();
        async move {
            sorted(
                engine
                    .external_tasks(q)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|t| t.process_instance_id)
                    .collect(),
            )
        }
    };
    assert_eq!(
        task_ids(ExternalTaskQuery {
            ids: padded(&[&tasks[1].id]),
            ..ExternalTaskQuery::default()
        })
        .await,
        [tasks[1].process_instance_id.clone()]
    );
    assert_eq!(
        task_ids(ExternalTaskQuery {
            process_instance_ids: padded(&[&w.instances[3]]),
            ..ExternalTaskQuery::default()
        })
        .await,
        [w.instances[3].clone()]
    );
    assert_eq!(
        task_ids(ExternalTaskQuery {
            tenant_ids: padded(&["acme"]),
            ..ExternalTaskQuery::default()
        })
        .await,
        [w.instances[2].clone()]
    );
}

/// A fetch topic's `process_definition_ids`, `process_definition_keys` and `tenant_ids`.
#[tokio::test]
async fn fetch_and_lock_takes_40003_definition_ids_keys_and_tenant_ids() {
    let w = world().await;
    // Each fetch unlocks what it found, so the next sees all four tasks again.
    let fetch = |topic: TopicRequest| {
        let engine = w.engine.clone();
        async move {
            let locked = engine
                .fetch_and_lock(FetchAndLock {
                    worker_id: "w".into(),
                    max_tasks: 10,
                    use_priority: false,
                    newest_first: false,
                    topics: vec![TopicRequest {
                        topic: "t".into(),
                        lock_duration: 60_000,
                        ..topic
                    }],
                    scope: None,
                })
                .await
                .unwrap();
            for t in &locked {
                engine.unlock(&t.task.id).await.unwrap();
            }
            sorted(
                locked
                    .into_iter()
                    .map(|t| t.task.process_instance_id)
                    .collect(),
            )
        }
    };
    assert_eq!(
        fetch(TopicRequest {
            process_definition_ids: padded(&[&w.acme]),
            ..TopicRequest::default()
        })
        .await,
        [w.instances[2].clone()]
    );
    assert_eq!(
        fetch(TopicRequest {
            process_definition_keys: padded(&["p"]),
            ..TopicRequest::default()
        })
        .await,
        sorted(vec![w.instances[0].clone(), w.instances[1].clone()])
    );
    assert_eq!(
        fetch(TopicRequest {
            tenant_ids: padded(&["zenith"]),
            ..TopicRequest::default()
        })
        .await,
        [w.instances[3].clone()]
    );
}
