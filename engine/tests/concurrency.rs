//! Concurrent workers on one engine: 2,000 instances, 8 workers fetching and
//! completing in parallel on a multi-thread runtime. Every task must be locked by
//! one worker only, every completion accepted, and every instance end completed.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use baton_engine::{
    Engine, ExternalTaskQuery, FetchAndLock, HistoricInstanceQuery, InstanceQuery, StartInstance,
    TopicRequest,
};
use common::*;

const INSTANCES: usize = 2_000;
const WORKERS: usize = 8;
const STARTERS: usize = 16;

/// Who locked each task, and who completed it.
#[derive(Default)]
struct Ledger {
    fetched: HashMap<String, String>,
    completed: HashMap<String, String>,
}

/// Fetches and completes until a fetch comes back empty; returns how many it completed.
async fn worker(engine: Engine, worker_id: String, seed: u64, ledger: Arc<Mutex<Ledger>>) -> usize {
    let mut rng = XorShift(seed);
    let mut done = 0;
    loop {
        let max_tasks = usize::try_from(rng.range(10, 51)).expect("small");
        let tasks = engine
            .fetch_and_lock(FetchAndLock {
                worker_id: worker_id.clone(),
                max_tasks,
                use_priority: false,
                newest_first: false,
                topics: vec![TopicRequest {
                    topic: "work".into(),
                    lock_duration: 30_000,
                    ..TopicRequest::default()
                }],
                scope: None,
            })
            .await
            .unwrap_or_else(|e| panic!("{worker_id} could not fetch: {e}"));
        if tasks.is_empty() {
            return done;
        }
        assert!(
            tasks.len() <= max_tasks,
            "asked for {max_tasks}, got {}",
            tasks.len()
        );
        {
            let mut ledger = ledger.lock().expect("ledger");
            for t in &tasks {
                assert_eq!(t.task.worker_id.as_deref(), Some(worker_id.as_str()));
                if let Some(other) = ledger.fetched.insert(t.task.id.clone(), worker_id.clone()) {
                    panic!(
                        "task {} locked by {worker_id} while {other} held its 30 s lock",
                        t.task.id
                    );
                }
            }
        }
        for t in tasks {
            engine
                .complete(&t.task.id, &worker_id, Vec::new(), Vec::new())
                .await
                .unwrap_or_else(|e| panic!("{worker_id} could not complete {}: {e}", t.task.id));
            let previous = ledger
                .lock()
                .expect("ledger")
                .completed
                .insert(t.task.id.clone(), worker_id.clone());
            assert!(previous.is_none(), "task {} completed twice", t.task.id);
            done += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_workers_complete_every_task_exactly_once() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("simple.bpmn", &one_task("simple"))]).await;

    // Start the instances from several tasks at once, so their commits group.
    let mut starters = tokio::task::JoinSet::new();
    for s in 0..STARTERS {
        let engine = engine.clone();
        starters.spawn(async move {
            let mut ids = Vec::new();
            for _ in (s..INSTANCES).step_by(STARTERS) {
                let inst = engine.start(StartInstance::by_key("simple")).await.unwrap();
                assert!(!inst.ended);
                ids.push(inst.id);
            }
            ids
        });
    }
    let mut started = Vec::with_capacity(INSTANCES);
    while let Some(ids) = starters.join_next().await {
        started.extend(ids.unwrap());
    }
    assert_eq!(started.len(), INSTANCES);
    let open = engine
        .external_tasks(ExternalTaskQuery::default())
        .await
        .unwrap();
    assert_eq!(open.len(), INSTANCES, "one task per started instance");

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        let seed = 0x9E37_79B9_7F4A_7C15_u64 ^ (w as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        workers.spawn(worker(
            engine.clone(),
            format!("worker-{w}"),
            seed,
            ledger.clone(),
        ));
    }
    let mut per_worker = Vec::new();
    while let Some(n) = workers.join_next().await {
        per_worker.push(n.unwrap());
    }

    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    assert_eq!(ledger.fetched.len(), INSTANCES);
    assert_eq!(ledger.completed.len(), INSTANCES);
    assert_eq!(per_worker.iter().sum::<usize>(), INSTANCES);
    for (task, by) in &ledger.completed {
        assert_eq!(
            ledger.fetched.get(task),
            Some(by),
            "completed by the worker that locked it"
        );
    }

    assert!(
        engine
            .external_tasks(ExternalTaskQuery::default())
            .await
            .unwrap()
            .is_empty(),
        "no external task left"
    );
    assert!(
        engine
            .instances(InstanceQuery::default())
            .await
            .unwrap()
            .is_empty(),
        "no instance still running"
    );
    let history = engine
        .historic_instances(HistoricInstanceQuery {
            definition_key: Some("simple".into()),
            ..HistoricInstanceQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(history.len(), INSTANCES);
    let states: HashMap<&str, &str> = history
        .iter()
        .map(|h| (h.id.as_str(), h.state.as_str()))
        .collect();
    for id in &started {
        assert_eq!(states.get(id.as_str()), Some(&"COMPLETED"), "instance {id}");
    }
    // Each instance passed its task once.
    for id in started.iter().step_by(97) {
        assert_eq!(trail(&engine, id).await, ["start", "work", "end"]);
    }
}
