//! Helpers shared by the engine's integration tests: a real database file in a
//! temporary directory, models written inline, and a worker loop.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use baton_engine::{
    Config, Engine, FetchAndLock, LockedTask, NewDeployment, TopicRequest, Value, Variables,
};

/// An engine on a fresh database file; keep the directory alive as long as the engine.
pub fn engine() -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(Config::file(dir.path().join("baton.db"))).unwrap();
    (engine, dir)
}

/// A BPMN document holding one executable process with the given inner XML.
pub fn process(id: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:error id="err_invalid" name="Invalid" errorCode="INVALID" />
  <bpmn:process id="{id}" isExecutable="true">
{body}
  </bpmn:process>
</bpmn:definitions>"#
    )
}

/// An external service task.
pub fn ext(id: &str, topic: &str) -> String {
    format!(r#"<bpmn:serviceTask id="{id}" camunda:type="external" camunda:topic="{topic}" />"#)
}

/// A sequence flow.
pub fn flow(id: &str, from: &str, to: &str) -> String {
    format!(r#"<bpmn:sequenceFlow id="{id}" sourceRef="{from}" targetRef="{to}" />"#)
}

/// A conditional sequence flow.
pub fn cond(id: &str, from: &str, to: &str, condition: &str) -> String {
    format!(
        r#"<bpmn:sequenceFlow id="{id}" sourceRef="{from}" targetRef="{to}"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>"#
    )
}

/// Deploys documents as one deployment.
pub async fn deploy(engine: &Engine, docs: &[(&str, &str)]) {
    engine
        .deploy(NewDeployment {
            name: Some("test".into()),
            resources: docs
                .iter()
                .map(|(name, xml)| ((*name).to_owned(), xml.as_bytes().to_vec()))
                .collect(),
            ..NewDeployment::default()
        })
        .await
        .unwrap();
}

/// Fetches up to 100 tasks of `topic` for `worker`.
pub async fn fetch(engine: &Engine, worker: &str, topic: &str) -> Vec<LockedTask> {
    engine
        .fetch_and_lock(FetchAndLock {
            worker_id: worker.into(),
            max_tasks: 100,
            use_priority: false,
            topics: vec![TopicRequest {
                topic: topic.into(),
                lock_duration: 10_000,
                ..TopicRequest::default()
            }],
        })
        .await
        .unwrap()
}

/// Fetches and completes every task of `topic`, returning how many.
pub async fn work(engine: &Engine, topic: &str, vars: Variables) -> usize {
    let tasks = fetch(engine, "w", topic).await;
    for t in &tasks {
        engine
            .complete(&t.task.id, "w", vars.clone(), Vec::new())
            .await
            .unwrap();
    }
    tasks.len()
}

/// The activity ids of an instance's history, in order.
pub async fn trail(engine: &Engine, instance: &str) -> Vec<String> {
    engine
        .historic_activities(instance)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.activity_id)
        .collect()
}

/// The state of an instance in history.
pub async fn state(engine: &Engine, instance: &str) -> String {
    engine
        .historic_instances(baton_engine::HistoricInstanceQuery {
            id: Some(instance.into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0)
        .state
}

/// A variable value from history.
pub async fn hvar(engine: &Engine, instance: &str, name: &str) -> Option<Value> {
    engine
        .historic_variables(instance)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.name == name && v.state == "CREATED")
        .map(|v| v.value)
}
