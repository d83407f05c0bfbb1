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
            newest_first: false,
            topics: vec![TopicRequest {
                topic: topic.into(),
                lock_duration: 10_000,
                ..TopicRequest::default()
            }],
            scope: None,
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

/// Starts an instance of the latest `key` with `vars`, returning its id.
pub async fn start(engine: &Engine, key: &str, vars: &[(&str, Value)]) -> String {
    let mut s = baton_engine::StartInstance::by_key(key);
    for (name, value) in vars {
        s = s.variable(*name, value.clone());
    }
    engine.start(s).await.unwrap().id
}

/// A list of (name, value) pairs as `Variables`.
pub fn vars(list: &[(&str, Value)]) -> Variables {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), v.clone()))
        .collect()
}

/// The external tasks of an instance, sorted by activity id.
pub async fn tasks_of(engine: &Engine, instance: &str) -> Vec<baton_engine::ExternalTask> {
    let mut tasks = engine
        .external_tasks(baton_engine::ExternalTaskQuery {
            process_instance_id: Some(instance.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    tasks.sort_by(|a, b| a.activity_id.cmp(&b.activity_id));
    tasks
}

/// The activity ids of an instance's external tasks, sorted.
pub async fn open_tasks(engine: &Engine, instance: &str) -> Vec<String> {
    tasks_of(engine, instance)
        .await
        .into_iter()
        .map(|t| t.activity_id)
        .collect()
}

/// Fetches the tasks of `topic` and completes the one of `instance` at `activity`
/// with `variables` and `local`.
pub async fn complete_at(
    engine: &Engine,
    instance: &str,
    activity: &str,
    variables: Variables,
    local: Variables,
) {
    let task = tasks_of(engine, instance)
        .await
        .into_iter()
        .find(|t| t.activity_id == activity)
        .unwrap_or_else(|| panic!("no external task at {activity}"));
    lock(engine, &task.topic).await;
    engine
        .complete(&task.id, "w", variables, local)
        .await
        .unwrap();
}

/// Locks every fetchable task of `topic` for worker `w`, returning them.
pub async fn lock(engine: &Engine, topic: &str) -> Vec<LockedTask> {
    fetch(engine, "w", topic).await
}

/// The open incidents of an instance.
pub async fn incidents_of(engine: &Engine, instance: &str) -> Vec<baton_engine::Incident> {
    engine
        .incidents(baton_engine::IncidentQuery {
            process_instance_id: Some(instance.into()),
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The runtime variables of an instance as (name, value), sorted by name; with
/// `root_only`, only those of the process instance scope.
pub async fn runtime_vars(
    engine: &Engine,
    instance: &str,
    root_only: bool,
) -> Vec<(String, Value)> {
    engine
        .variables(instance)
        .await
        .unwrap()
        .into_iter()
        .filter(|v| !root_only || v.execution_id == instance)
        .map(|v| (v.name, v.value))
        .collect()
}

/// Whether an instance is still running.
pub async fn running(engine: &Engine, instance: &str) -> bool {
    engine.instance(instance).await.is_ok()
}

/// A none start event, a none end event.
pub fn start_ev(id: &str) -> String {
    format!(r#"<bpmn:startEvent id="{id}" />"#)
}

/// A none end event.
pub fn end_ev(id: &str) -> String {
    format!(r#"<bpmn:endEvent id="{id}" />"#)
}

/// A gateway of `kind` (`exclusive`, `parallel`, `inclusive`), with an optional default flow.
pub fn gw(kind: &str, id: &str, default: Option<&str>) -> String {
    match default {
        Some(d) => format!(r#"<bpmn:{kind}Gateway id="{id}" default="{d}" />"#),
        None => format!(r#"<bpmn:{kind}Gateway id="{id}" />"#),
    }
}

/// Flows along a chain of element ids: `chain("f", &["a", "b", "c"])` links a->b->c.
pub fn chain(prefix: &str, ids: &[&str]) -> String {
    ids.windows(2)
        .enumerate()
        .map(|(i, w)| flow(&format!("{prefix}{i}"), w[0], w[1]))
        .collect()
}

/// The smallest process with work in it: start -> external task `work` (topic `work`) -> end.
pub fn one_task(key: &str) -> String {
    process(
        key,
        &[
            start_ev("start"),
            ext("work", "work"),
            end_ev("end"),
            flow("f1", "start", "work"),
            flow("f2", "work", "end"),
        ]
        .concat(),
    )
}

/// A tiny xorshift generator: enough randomness for tests, without a dependency.
pub struct XorShift(pub u64);

impl XorShift {
    /// A generator seeded from the clock (print the seed to replay a run).
    pub fn from_time() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x2545_F491_4F6C_DD1D, |d| d.as_nanos() as u64);
        XorShift(nanos | 1)
    }

    /// The next number.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}
