//! What one large command costs the writer, and what everyone else waits meanwhile:
//! `cargo bench -p baton-engine --bench large`.
//!
//! Each case runs one large command on a database file (synchronous=FULL) while a
//! small client starts instances of a one-task process in a closed loop beside it.
//! The table prints the large command's own time, the writer's CPU time during it,
//! and the small starts' latency while it ran (the longest says how long the writer
//! was held), and how many of them failed (with the command, if they shared its group
//! when it lost the transaction). Optional argument: `--vars N` (default 10,000)
//! scales every case.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use baton_engine::{
    Config, Engine, FetchAndLock, MessageCorrelation, NewDeployment, StartInstance, TopicRequest,
    Value, Variables,
};

const MODELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="bench">
  <bpmn:message id="go" name="go" />
  <bpmn:process id="task" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <bpmn:serviceTask id="t" camunda:type="external" camunda:topic="large" />
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
    <bpmn:endEvent id="e" />
  </bpmn:process>
  <bpmn:process id="small" isExecutable="true">
    <bpmn:startEvent id="s2" />
    <bpmn:sequenceFlow id="g1" sourceRef="s2" targetRef="t2" />
    <bpmn:serviceTask id="t2" camunda:type="external" camunda:topic="small" />
    <bpmn:sequenceFlow id="g2" sourceRef="t2" targetRef="e2" />
    <bpmn:endEvent id="e2" />
  </bpmn:process>
  <bpmn:process id="waiting" isExecutable="true">
    <bpmn:startEvent id="s3" />
    <bpmn:sequenceFlow id="h1" sourceRef="s3" targetRef="w" />
    <bpmn:intermediateCatchEvent id="w"><bpmn:messageEventDefinition messageRef="go" /></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="h2" sourceRef="w" targetRef="e3" />
    <bpmn:endEvent id="e3" />
  </bpmn:process>
</bpmn:definitions>"#;

/// `n` string variables named `{prefix}0`, `{prefix}1`, ...
fn vars(prefix: &str, n: usize) -> Variables {
    (0..n)
        .map(|i| {
            (
                format!("{prefix}{i}"),
                Value::String(format!("value number {i} of a large command")),
            )
        })
        .collect()
}

/// The writer thread's CPU time so far.
fn writer_cpu() -> Duration {
    let mut total = Duration::ZERO;
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() != "baton-writer" {
            continue;
        }
        let ns = std::fs::read_to_string(task.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        total += Duration::from_nanos(ns);
    }
    total
}

async fn open(dir: &tempfile::TempDir, name: &str) -> Engine {
    let engine = Engine::open(Config::file(dir.path().join(format!("{name}.db")))).expect("open");
    engine
        .deploy(NewDeployment {
            resources: vec![("large.bpmn".into(), MODELS.as_bytes().to_vec())],
            ..NewDeployment::default()
        })
        .await
        .expect("deploy");
    engine
}

/// Locks the one task of `large` there is.
async fn locked_task(engine: &Engine) -> String {
    let tasks = engine
        .fetch_and_lock(FetchAndLock {
            worker_id: "w".into(),
            max_tasks: 1,
            use_priority: false,
            newest_first: false,
            topics: vec![TopicRequest {
                topic: "large".into(),
                lock_duration: 600_000,
                variables: Some(Vec::new()),
                ..TopicRequest::default()
            }],
            scope: None,
        })
        .await
        .expect("fetch");
    tasks[0].task.id.clone()
}

/// One row of the table.
struct Row {
    name: String,
    took: Duration,
    writer: Duration,
    starts: Vec<Duration>,
    /// Why the large command failed, if it did.
    failed: Option<String>,
    /// Small starts that failed beside it.
    starts_failed: usize,
}

/// Runs `large` while a client starts small instances one after another.
async fn measure<F>(engine: &Engine, name: String, large: F) -> Row
where
    F: std::future::Future<Output = baton_engine::Result<()>>,
{
    let stop = Arc::new(AtomicBool::new(false));
    let small = tokio::spawn({
        let (engine, stop) = (engine.clone(), stop.clone());
        async move {
            let (mut latencies, mut failed) = (Vec::new(), 0);
            while !stop.load(Ordering::Relaxed) {
                let at = Instant::now();
                match engine.start(StartInstance::by_key("small")).await {
                    Ok(_) => latencies.push(at.elapsed()),
                    Err(_) => failed += 1,
                }
            }
            (latencies, failed)
        }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cpu = writer_cpu();
    let at = Instant::now();
    let failed = large.await.err().map(|e| e.to_string());
    let took = at.elapsed();
    let writer = writer_cpu().saturating_sub(cpu);
    stop.store(true, Ordering::Relaxed);
    let (mut starts, starts_failed) = small.await.expect("small starts");
    starts.sort();
    Row {
        name,
        took,
        writer,
        starts,
        failed,
        starts_failed,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let mut n = 10_000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--vars" {
            n = args.next().and_then(|v| v.parse().ok()).unwrap_or(n);
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let rows = runtime.block_on(async {
        let mut rows = Vec::new();
        let engine = open(&dir, "large").await;

        let mut id = String::new();
        rows.push(
            measure(&engine, format!("start with {n} variables"), async {
                id = engine
                    .start(StartInstance {
                        variables: vars("a", n),
                        ..StartInstance::by_key("task")
                    })
                    .await?
                    .id;
                Ok(())
            })
            .await,
        );
        rows.push(
            measure(&engine, format!("set {n} more variables"), async {
                engine
                    .modify_variables(&id, None, vars("b", n), Vec::new())
                    .await
            })
            .await,
        );
        rows.push(
            measure(&engine, format!("delete {n} variables"), async {
                let names = (0..n).map(|i| format!("b{i}")).collect();
                engine.modify_variables(&id, None, Vec::new(), names).await
            })
            .await,
        );
        let task = locked_task(&engine).await;
        rows.push(
            measure(
                &engine,
                format!("complete with {n} + {n} variables (ends)"),
                async {
                    engine
                        .complete(&task, "w", vars("c", n), vars("d", n))
                        .await
                },
            )
            .await,
        );

        let id = engine
            .start(StartInstance {
                variables: vars("a", n),
                ..StartInstance::by_key("task")
            })
            .await
            .expect("start")
            .id;
        rows.push(
            measure(
                &engine,
                format!("delete an instance with {n} variables"),
                async { engine.delete_instance(&id, None).await },
            )
            .await,
        );

        let waiting = (n / 2).max(1);
        for _ in 0..waiting {
            engine
                .start(StartInstance::by_key("waiting"))
                .await
                .expect("waiting start");
        }
        rows.push(
            measure(
                &engine,
                format!("correlate to {waiting} waiting instances"),
                async {
                    let reached = engine
                        .correlate_message(MessageCorrelation {
                            name: "go".into(),
                            all: true,
                            ..MessageCorrelation::default()
                        })
                        .await?;
                    assert_eq!(reached.len(), waiting);
                    Ok(())
                },
            )
            .await,
        );
        rows
    });
    println!(
        "| large command | took | writer CPU | small starts beside it (failed) | start p50 | start max |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for r in rows {
        let p50 = r
            .starts
            .get(r.starts.len() / 2)
            .copied()
            .unwrap_or_default();
        let max = r.starts.last().copied().unwrap_or_default();
        let took = match &r.failed {
            Some(e) => format!("failed after {}: {e}", ms(r.took)),
            None => ms(r.took),
        };
        println!(
            "| {} | {} | {} | {} ({}) | {} | {} |",
            r.name,
            took,
            ms(r.writer),
            r.starts.len(),
            r.starts_failed,
            ms(p50),
            ms(max)
        );
    }
}
