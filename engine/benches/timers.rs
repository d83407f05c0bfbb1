//! How late timers fire: `cargo bench -p baton-engine --bench timers`.
//!
//! Starts `TIMERS` instances that each wait at a timer due at its own instant,
//! spread evenly over `SPREAD_MS` beginning a few seconds ahead, on a database file
//! with the default durable setting and the system clock. The job executor fires
//! them on its own. Lateness is the time the timer's catch event ended (in
//! history) minus its due time, so every timer is pending while the first ones
//! fire. Prints p50, p99 and the maximum.
//!
//! Optional argument: `--timers N`.

use std::time::Duration;

use baton_engine::{
    Config, Engine, HistoricInstanceQuery, NewDeployment, StartInstance, SystemClock, Value,
};

const SPREAD_MS: i64 = 10_000;

const MODEL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="bench">
  <bpmn:process id="timed" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition><bpmn:timeDate>${due}</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"#;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let timers: usize = args
        .iter()
        .position(|a| a == "--timers")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let engine = Engine::open(Config::file(dir.path().join("timers.db"))).expect("open");
    engine
        .deploy(NewDeployment {
            resources: vec![("timed.bpmn".into(), MODEL.as_bytes().to_vec())],
            ..NewDeployment::default()
        })
        .await
        .expect("deploy");
    let now = baton_engine::Clock::now(&SystemClock);
    // Far enough ahead that every instance has started before the first fires.
    let first = now + 3_000 + timers as i64 / 2;
    let step = SPREAD_MS as f64 / timers as f64;
    let mut starting = tokio::task::JoinSet::new();
    for chunk in (0..timers).collect::<Vec<_>>().chunks(timers.div_ceil(64)) {
        let (engine, chunk) = (engine.clone(), chunk.to_vec());
        starting.spawn(async move {
            for i in chunk {
                let due = first + (i as f64 * step) as i64;
                engine
                    .start(StartInstance::by_key("timed").variable("due", Value::Date(due)))
                    .await
                    .expect("start");
            }
        });
    }
    while starting.join_next().await.is_some() {}
    let started = baton_engine::Clock::now(&SystemClock);
    assert!(
        started < first,
        "starting took too long; the first timers are already due"
    );

    loop {
        let done = engine
            .historic_instances(HistoricInstanceQuery {
                finished: true,
                ..HistoricInstanceQuery::default()
            })
            .await
            .expect("history")
            .len();
        if done == timers {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut lateness = Vec::with_capacity(timers);
    for h in engine
        .historic_instances(HistoricInstanceQuery::default())
        .await
        .expect("history")
    {
        let due = engine
            .historic_variables(&h.id)
            .await
            .expect("variables")
            .into_iter()
            .find_map(|v| match v.value {
                Value::Date(d) if v.name == "due" => Some(d),
                _ => None,
            })
            .expect("due");
        let fired = engine
            .historic_activities(&h.id)
            .await
            .expect("activities")
            .into_iter()
            .find(|a| a.activity_id == "wait")
            .and_then(|a| a.end_time)
            .expect("fired");
        lateness.push(fired - due);
    }
    lateness.sort_unstable();
    let pick = |p: f64| lateness[((lateness.len() - 1) as f64 * p).round() as usize];
    println!(
        "timers: {timers} pending, due over {} s, fired by the job executor (system clock, synchronous=FULL)",
        SPREAD_MS / 1000
    );
    println!(
        "  lateness (fired - due): p50 {} ms  p99 {} ms  max {} ms  (early: {})",
        pick(0.5),
        pick(0.99),
        lateness.last().copied().unwrap_or(0),
        lateness.iter().filter(|l| **l < 0).count()
    );
}
