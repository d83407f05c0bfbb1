//! Throughput and latency of the embedded engine on a database file, printed as a
//! table: `cargo bench -p baton-engine --bench engine`.
//!
//! Each case runs a closed loop: `CLIENTS` concurrent clients each start an
//! instance and wait until it ends, then start the next. In-process workers (plain
//! fetch-and-lock / complete loops on the same runtime) work the external tasks,
//! completing each fetched batch concurrently. Latency is from the `start` call to
//! the acknowledged completion of the instance's last task (which ends it).
//! Instances per second are all instances over the wall time of the whole run.
//!
//! Optional arguments: a case name filter (`simple`, `fork`, `three`, `async`, `normal`,
//! `nohistory`) and
//! `--instances N` to scale every case.
//!
//! The single writer thread is the limit, so the last two columns say the most: how
//! much of the wall time it was on a CPU, and its CPU time per instance. On a shared
//! 2-core machine the wall-clock figures of one case vary by a quarter or more
//! between runs (the README reports the best and the median of several); compare
//! changes over several runs, alternating.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baton_engine::{
    Config, Durability, Engine, FetchAndLock, HistoricInstanceQuery, NewDeployment, StartInstance,
    TopicRequest,
};
use tokio::sync::oneshot;

/// Concurrent clients starting instances.
const CLIENTS: usize = 256;
/// Concurrent fetch/complete loops.
const WORKERS: usize = 4;
/// Tasks one fetch locks.
const BATCH: usize = 128;

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="bench">"#;

fn ext(id: &str) -> String {
    format!(r#"<bpmn:serviceTask id="{id}" camunda:type="external" camunda:topic="step" />"#)
}

fn flows(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .enumerate()
        .map(|(i, (a, b))| {
            format!(r#"<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}" />"#)
        })
        .collect()
}

/// start -> three tasks -> end, each task with `attributes`.
fn three_tasks(key: &str, attributes: &str) -> String {
    let task = |id: &str| {
        format!(
            r#"<bpmn:serviceTask id="{id}" {attributes} camunda:type="external" camunda:topic="step" />"#
        )
    };
    format!(
        r#"{HEAD}<bpmn:process id="{key}" isExecutable="true">
<bpmn:startEvent id="start" />{}{}{}<bpmn:endEvent id="end" />{}
</bpmn:process></bpmn:definitions>"#,
        task("one"),
        task("two"),
        task("last"),
        flows(&[
            ("start", "one"),
            ("one", "two"),
            ("two", "last"),
            ("last", "end")
        ])
    )
}

/// start -> three tasks -> end.
fn three() -> String {
    three_tasks("three", "")
}

/// start -> three tasks, each with an asynchronous continuation before it -> end:
/// every task is created by a job, in a transaction of its own.
fn three_async() -> String {
    three_tasks("async", r#"camunda:asyncBefore="true""#)
}

/// start -> task -> end.
fn simple() -> String {
    format!(
        r#"{HEAD}<bpmn:process id="simple" isExecutable="true">
<bpmn:startEvent id="start" />{}<bpmn:endEvent id="end" />{}
</bpmn:process></bpmn:definitions>"#,
        ext("last"),
        flows(&[("start", "last"), ("last", "end")])
    )
}

/// start -> task -> fork into three branches of two tasks -> join -> task -> end:
/// ten steps, eight of them external tasks.
fn fork() -> String {
    let tasks: String = ["first", "a1", "a2", "b1", "b2", "c1", "c2", "last"]
        .iter()
        .map(|t| ext(t))
        .collect();
    format!(
        r#"{HEAD}<bpmn:process id="fork" isExecutable="true">
<bpmn:startEvent id="start" />{tasks}
<bpmn:parallelGateway id="split" /><bpmn:parallelGateway id="join" />
<bpmn:endEvent id="end" />{}
</bpmn:process></bpmn:definitions>"#,
        flows(&[
            ("start", "first"),
            ("first", "split"),
            ("split", "a1"),
            ("a1", "a2"),
            ("a2", "join"),
            ("split", "b1"),
            ("b1", "b2"),
            ("b2", "join"),
            ("split", "c1"),
            ("c1", "c2"),
            ("c2", "join"),
            ("join", "last"),
            ("last", "end"),
        ])
    )
}

/// Instances that ended, and clients waiting for theirs.
#[derive(Default)]
struct Endings {
    waiting: HashMap<String, oneshot::Sender<Instant>>,
    early: HashMap<String, Instant>,
}

impl Endings {
    fn ended(&mut self, id: String, at: Instant) {
        match self.waiting.remove(&id) {
            Some(tx) => {
                let _ = tx.send(at);
            }
            None => {
                self.early.insert(id, at);
            }
        }
    }
}

struct Outcome {
    instances: usize,
    tasks: usize,
    wall: Duration,
    latencies: Vec<Duration>,
    /// CPU time of the engine's writer thread during the run, when Linux tells.
    writer_cpu: Option<Duration>,
}

/// The CPU time the `baton-writer` threads of this process used so far (Linux only).
fn writer_cpu() -> Option<Duration> {
    let mut total = None;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() != "baton-writer" {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
        *total.get_or_insert(Duration::ZERO) += Duration::from_nanos(ns);
    }
    total
}

async fn run(engine: &Engine, key: &'static str, instances: usize) -> Outcome {
    let endings = Arc::new(Mutex::new(Endings::default()));
    let tasks_done = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let mut workers = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        let (engine, endings, tasks_done, stop) = (
            engine.clone(),
            endings.clone(),
            tasks_done.clone(),
            stop.clone(),
        );
        workers.spawn(async move {
            let worker = format!("bench-{w}");
            let mut events = engine.task_events();
            while !stop.load(Ordering::Relaxed) {
                events.mark_unchanged();
                let tasks = engine
                    .fetch_and_lock(FetchAndLock {
                        worker_id: worker.clone(),
                        max_tasks: BATCH,
                        use_priority: true,
                        newest_first: false,
                        topics: vec![TopicRequest {
                            topic: "step".into(),
                            lock_duration: 600_000,
                            variables: Some(Vec::new()),
                            ..TopicRequest::default()
                        }],
                        scope: None,
                    })
                    .await
                    .expect("fetch");
                if tasks.is_empty() {
                    let _ = tokio::time::timeout(Duration::from_millis(20), events.changed()).await;
                    continue;
                }
                let mut completing = tokio::task::JoinSet::new();
                for t in tasks {
                    let (engine, endings, worker) =
                        (engine.clone(), endings.clone(), worker.clone());
                    completing.spawn(async move {
                        engine
                            .complete(&t.task.id, &worker, Vec::new(), Vec::new())
                            .await
                            .expect("complete");
                        if t.task.activity_id == "last" {
                            let at = Instant::now();
                            endings
                                .lock()
                                .expect("endings")
                                .ended(t.task.process_instance_id, at);
                        }
                    });
                }
                let n = completing.len();
                while completing.join_next().await.is_some() {}
                tasks_done.fetch_add(n, Ordering::Relaxed);
            }
        });
    }

    let cpu_before = writer_cpu();
    let began = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let (engine, endings) = (engine.clone(), endings.clone());
        let share = instances / CLIENTS + usize::from(c < instances % CLIENTS);
        clients.spawn(async move {
            let mut latencies = Vec::with_capacity(share);
            for _ in 0..share {
                let t0 = Instant::now();
                let inst = engine
                    .start(StartInstance::by_key(key))
                    .await
                    .expect("start");
                let (tx, rx) = oneshot::channel();
                let early = {
                    let mut e = endings.lock().expect("endings");
                    match e.early.remove(&inst.id) {
                        Some(at) => Some(at),
                        None => {
                            e.waiting.insert(inst.id, tx);
                            None
                        }
                    }
                };
                let end = match early {
                    Some(at) => at,
                    None => rx.await.expect("instance ended"),
                };
                latencies.push(end - t0);
            }
            latencies
        });
    }
    let mut latencies = Vec::with_capacity(instances);
    while let Some(l) = clients.join_next().await {
        latencies.extend(l.expect("client"));
    }
    let wall = began.elapsed();
    let writer_cpu = writer_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    stop.store(true, Ordering::Relaxed);
    while workers.join_next().await.is_some() {}
    latencies.sort();
    Outcome {
        instances,
        tasks: tasks_done.load(Ordering::Relaxed),
        wall,
        latencies,
        writer_cpu,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

struct Case {
    name: &'static str,
    key: &'static str,
    xml: fn() -> String,
    durability: Durability,
    history: bool,
    instances: usize,
}

async fn case(case: &Case, scale: Option<usize>) -> Outcome {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let engine = Engine::open(
        Config::file(dir.path().join("bench.db"))
            .durability(case.durability)
            .history(case.history),
    )
    .expect("open");
    engine
        .deploy(NewDeployment {
            name: Some("bench".into()),
            resources: vec![(format!("{}.bpmn", case.key), (case.xml)().into_bytes())],
            ..NewDeployment::default()
        })
        .await
        .expect("deploy");
    let n = scale.unwrap_or(case.instances);
    // A short warm-up on the same database (caches, statement cache, file growth).
    run(&engine, case.key, (n / 20).max(CLIENTS)).await;
    let outcome = run(&engine, case.key, n).await;
    if !case.history {
        return outcome;
    }
    // Sanity: every instance of the measured run ended as completed.
    let finished = engine
        .historic_instances(HistoricInstanceQuery {
            definition_key: Some(case.key.into()),
            finished: true,
            ..HistoricInstanceQuery::default()
        })
        .await
        .expect("history");
    let states: HashSet<&str> = finished.iter().map(|h| h.state.as_str()).collect();
    assert!(finished.len() >= n, "{} of {n} finished", finished.len());
    assert_eq!(states, HashSet::from(["COMPLETED"]));
    outcome
}

fn main() {
    let mut filter = None;
    let mut scale = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => {}
            "--instances" => scale = args.next().and_then(|n| n.parse().ok()),
            other if !other.starts_with('-') => filter = Some(other.to_owned()),
            _ => {}
        }
    }
    let cases = [
        Case {
            name: "simple, synchronous=FULL",
            key: "simple",
            xml: simple,
            durability: Durability::Full,
            history: true,
            instances: 20_000,
        },
        Case {
            name: "fork (10 steps, 8 tasks), FULL",
            key: "fork",
            xml: fork,
            durability: Durability::Full,
            history: true,
            instances: 3_000,
        },
        Case {
            name: "three tasks, FULL",
            key: "three",
            xml: three,
            durability: Durability::Full,
            history: true,
            instances: 6_000,
        },
        Case {
            name: "three tasks, asyncBefore each",
            key: "async",
            xml: three_async,
            durability: Durability::Full,
            history: true,
            instances: 6_000,
        },
        Case {
            name: "simple, synchronous=NORMAL",
            key: "simple",
            xml: simple,
            durability: Durability::Normal,
            history: true,
            instances: 20_000,
        },
        Case {
            name: "simple, FULL, history off",
            key: "simple",
            xml: simple,
            durability: Durability::Full,
            history: false,
            instances: 20_000,
        },
    ];
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "baton-engine embedded, file database, {} cores, {CLIENTS} clients (closed loop), \
         {WORKERS} workers x {BATCH} tasks per fetch",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!(
        "| {:<32} | {:>9} | {:>7} | {:>8} | {:>11} | {:>9} | {:>9} | {:>9} | {:>12} | {:>11} |",
        "case",
        "instances",
        "wall s",
        "inst/s",
        "commands/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "writer busy",
        "writer us/i"
    );
    println!(
        "|{:-<34}|{:->11}|{:->9}|{:->10}|{:->13}|{:->11}|{:->11}|{:->11}|{:->14}|{:->13}|",
        "", "", "", "", "", "", "", "", "", ""
    );
    for c in &cases {
        let key = match (c.durability, c.history) {
            (Durability::Normal, _) => "normal",
            (_, false) => "nohistory",
            _ => c.key,
        };
        if filter.as_deref().is_some_and(|f| f != key) {
            continue;
        }
        let o = runtime.block_on(case(c, scale));
        let secs = o.wall.as_secs_f64();
        // Commands: one start and one complete per task, plus the fetches (not counted).
        let commands = o.instances + o.tasks;
        // How much of the wall time the single writer thread was on a CPU, and its
        // CPU time per instance: the engine's ceiling is about 1 s / that.
        let (busy, per_instance) = o.writer_cpu.map_or(("?".into(), "?".into()), |cpu| {
            (
                format!("{:.0} %", cpu.as_secs_f64() / secs * 100.0),
                format!("{:.0}", cpu.as_secs_f64() * 1e6 / o.instances as f64),
            )
        });
        println!(
            "| {:<32} | {:>9} | {:>7.2} | {:>8.0} | {:>11.0} | {:>9} | {:>9} | {:>9} | {:>12} | {:>11} |",
            c.name,
            o.instances,
            secs,
            o.instances as f64 / secs,
            commands as f64 / secs,
            ms(percentile(&o.latencies, 0.50)),
            ms(percentile(&o.latencies, 0.99)),
            ms(o.latencies.last().copied().unwrap_or_default()),
            busy,
            per_instance,
        );
    }
}
