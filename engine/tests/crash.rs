//! Crash safety: a child process drives load on a database file and is killed
//! with SIGKILL at random points, several times over the same file. Whatever the
//! engine acknowledged before a kill must be in the database afterwards, nothing
//! may happen twice, and the file must pass SQLite's integrity check.
//!
//! The test re-executes its own binary as the child (`BATON_CRASH_CHILD` names the
//! database). The child writes each acknowledged call to an fsync'd append-only
//! log only after the engine answered `Ok`, so the log is a lower bound of what
//! the engine promised.

// The checks live in helpers, where clippy's test exemption does not reach.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baton_engine::{
    Config, Engine, ExternalTaskQuery, FetchAndLock, HistoricInstanceQuery, InstanceQuery,
    NewDeployment, StartInstance, TopicRequest,
};
use common::{XorShift, one_task};

/// This test's name, which the child is run with.
const TEST_NAME: &str = "sigkill_loses_no_acknowledged_call";
/// Concurrent `start` loops in a child.
const STARTERS: usize = 4;
/// Concurrent fetch/complete loops in a child.
const WORKERS: usize = 4;
/// A child that outlives this is an orphan; it exits by itself.
const CHILD_LIFETIME: Duration = Duration::from_secs(60);

// ----- the child -----

/// The append-only log of acknowledged calls.
struct AckLog(Mutex<File>);

impl AckLog {
    fn open(path: &Path) -> Self {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open the ack log");
        AckLog(Mutex::new(file))
    }

    /// Appends one line in one write and makes it durable.
    fn ack(&self, line: &str) {
        let mut file = self.0.lock().expect("ack log");
        file.write_all(format!("{line}\n").as_bytes())
            .expect("write the ack log");
        file.sync_data().expect("sync the ack log");
    }
}

/// Drives load on the database until killed.
fn child(db: &Path, log: &Path, run: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let log = Arc::new(AckLog::open(log));
        let engine = Engine::open(Config::file(db)).expect("open the database");
        engine
            .deploy(NewDeployment {
                name: Some("crash".into()),
                duplicate_filtering: true,
                resources: vec![("crash.bpmn".into(), one_task("crash").into_bytes())],
                ..NewDeployment::default()
            })
            .await
            .expect("deploy");
        log.ack(&format!("ready {run}"));
        for _ in 0..STARTERS {
            let (engine, log) = (engine.clone(), log.clone());
            tokio::spawn(async move {
                loop {
                    let inst = engine
                        .start(StartInstance::by_key("crash"))
                        .await
                        .expect("start");
                    log.ack(&format!("started {}", inst.id));
                }
            });
        }
        for w in 0..WORKERS {
            let (engine, log) = (engine.clone(), log.clone());
            let worker = format!("run{run}-worker{w}");
            tokio::spawn(async move {
                loop {
                    let tasks = engine
                        .fetch_and_lock(FetchAndLock {
                            worker_id: worker.clone(),
                            max_tasks: 10,
                            use_priority: false,
                            newest_first: false,
                            topics: vec![TopicRequest {
                                topic: "work".into(),
                                lock_duration: 600_000,
                                ..TopicRequest::default()
                            }],
                            scope: None,
                        })
                        .await
                        .expect("fetch");
                    if tasks.is_empty() {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                    for t in tasks {
                        engine
                            .complete(&t.task.id, &worker, Vec::new(), Vec::new())
                            .await
                            .expect("complete a task this worker locked");
                        log.ack(&format!(
                            "completed {} {}",
                            t.task.id, t.task.process_instance_id
                        ));
                    }
                }
            });
        }
        tokio::time::sleep(CHILD_LIFETIME).await;
    });
    eprintln!("crash child {run} was never killed; exiting");
    std::process::exit(3);
}

// ----- the parent -----

/// What the log says the engine acknowledged.
#[derive(Default)]
struct Acks {
    ready: usize,
    started: Vec<String>,
    /// (task id, instance id)
    completed: Vec<(String, String)>,
}

fn read_acks(path: &Path) -> Acks {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut acks = Acks::default();
    // A line without its newline was cut by the kill; it was never acknowledged.
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    for line in complete.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            ["ready", _] => acks.ready += 1,
            ["started", id] => acks.started.push((*id).to_owned()),
            ["completed", task, inst] => acks
                .completed
                .push(((*task).to_owned(), (*inst).to_owned())),
            _ => panic!("bad ack log line {line:?}"),
        }
    }
    acks
}

/// Kills the child if the parent gives up early, so no orphan keeps the file busy.
struct Killer(Child);

impl Drop for Killer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_child(dir: &Path, db: &Path, log: &Path, run: usize) -> Killer {
    let out = File::create(dir.join(format!("child-{run}.out"))).expect("child output");
    let err = out.try_clone().expect("child output");
    let child = Command::new(std::env::current_exe().expect("current exe"))
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env("BATON_CRASH_CHILD", db)
        .env("BATON_CRASH_LOG", log)
        .env("BATON_CRASH_RUN", run.to_string())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("spawn the child");
    Killer(child)
}

/// Waits until the child of `run` logged that it is ready (deployed, about to load).
fn await_ready(child: &mut Killer, dir: &Path, log: &Path, run: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if read_acks(log).ready > run {
            return;
        }
        if let Some(status) = child.0.try_wait().expect("child status") {
            let out = std::fs::read_to_string(dir.join(format!("child-{run}.out")));
            panic!("child {run} exited with {status} before it was ready:\n{out:?}");
        }
        assert!(Instant::now() < deadline, "child {run} never got ready");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// SIGKILLs the child (what `Child::kill` sends on Unix) and reaps it.
fn kill(mut child: Killer, run: usize) {
    child.0.kill().expect("kill the child");
    let status = child.0.wait().expect("reap the child");
    assert!(
        !status.success(),
        "child {run} should have died of the kill, not exited: {status}"
    );
}

#[test]
fn sigkill_loses_no_acknowledged_call() {
    if let Ok(db) = std::env::var("BATON_CRASH_CHILD") {
        let log = std::env::var("BATON_CRASH_LOG").expect("BATON_CRASH_LOG");
        let run = std::env::var("BATON_CRASH_RUN").unwrap_or_default();
        child(Path::new(&db), Path::new(&log), &run);
        return;
    }

    let mut rng = XorShift::from_time();
    eprintln!("crash test seed {:#x}", rng.0);
    let dir = tempfile::tempdir().unwrap();
    let db: PathBuf = dir.path().join("crash.db");
    let log: PathBuf = dir.path().join("acks.log");

    // A first kill very early: while the database is created, migrated or deployed to.
    let early = spawn_child(dir.path(), &db, &log, 0);
    std::thread::sleep(Duration::from_millis(rng.range(5, 80)));
    kill(early, 0);
    // One run is ready when the log has `ready` lines for each run that got there.
    let ready_before = read_acks(&log).ready;

    // BATON_CRASH_ROUNDS=100 repeats it a hundred times (the README's reliability
    // section); the suite takes a few.
    let rounds = std::env::var("BATON_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| usize::try_from(rng.range(3, 6)).unwrap());
    for round in 0..rounds {
        let run = round + 1;
        let mut child = spawn_child(dir.path(), &db, &log, run);
        await_ready(&mut child, dir.path(), &log, round + ready_before);
        let ms = rng.range(100, 601);
        std::thread::sleep(Duration::from_millis(ms));
        kill(child, run);
        eprintln!("run {run}: killed after {ms} ms of load");
    }
    let runs = rounds + 1;

    let acks = read_acks(&log);
    eprintln!(
        "{} runs, {} acknowledged starts, {} acknowledged completions",
        runs,
        acks.started.len(),
        acks.completed.len()
    );
    assert_eq!(acks.ready, rounds + ready_before);

    // SQLite's own check of the file as the kills left it (the WAL is replayed on open).
    integrity_check(&db);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(verify(&db, &acks, runs));
    integrity_check(&db);
}

fn integrity_check(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let rows: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(rows, ["ok"], "integrity_check");
}

async fn verify(db: &Path, acks: &Acks, runs: usize) {
    let engine = Engine::open(Config::file(db)).unwrap();

    // Nothing was acknowledged twice.
    let started: HashSet<&str> = acks.started.iter().map(String::as_str).collect();
    assert_eq!(
        started.len(),
        acks.started.len(),
        "an instance id acknowledged twice"
    );
    let completed: HashMap<&str, &str> = acks
        .completed
        .iter()
        .map(|(t, i)| (t.as_str(), i.as_str()))
        .collect();
    assert_eq!(
        completed.len(),
        acks.completed.len(),
        "a task completed twice"
    );

    // One definition, however often the children deployed it.
    let defs = engine
        .definitions(baton_engine::DefinitionQuery::default())
        .await
        .unwrap();
    assert_eq!(defs.len(), 1, "duplicate filtering kept one version");

    let running: HashSet<String> = engine
        .instances(InstanceQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    let history: HashMap<String, String> = engine
        .historic_instances(HistoricInstanceQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.id, h.state))
        .collect();
    let tasks = engine
        .external_tasks(ExternalTaskQuery::default())
        .await
        .unwrap();

    // Every acknowledged start survived.
    for id in &started {
        assert!(
            running.contains(*id) || history.contains_key(*id),
            "acknowledged instance {id} is gone"
        );
    }
    // Running instances and history agree, and each running instance waits on one task.
    let mut tasks_per_instance: HashMap<&str, usize> = HashMap::new();
    for t in &tasks {
        *tasks_per_instance
            .entry(&t.process_instance_id)
            .or_default() += 1;
    }
    for (id, state) in &history {
        match state.as_str() {
            "ACTIVE" => {
                assert!(
                    running.contains(id),
                    "history says {id} runs, but it does not"
                );
                assert_eq!(
                    tasks_per_instance.get(id.as_str()),
                    Some(&1),
                    "tasks of {id}"
                );
            }
            "COMPLETED" => {
                assert!(!running.contains(id), "{id} completed but still runs");
                assert_eq!(tasks_per_instance.get(id.as_str()), None, "tasks of {id}");
            }
            other => panic!("instance {id} in state {other}"),
        }
    }
    assert_eq!(
        running.len() + history.values().filter(|s| *s == "COMPLETED").count(),
        history.len()
    );
    // Starts that were committed but whose ack was lost to a kill: at most one per starter.
    assert!(started.len() <= history.len());
    assert!(
        history.len() - started.len() <= runs * STARTERS,
        "{} instances but only {} acknowledged starts",
        history.len(),
        started.len()
    );

    // The task activity of every instance, from history.
    let conn = rusqlite::Connection::open(db).unwrap();
    let rows: Vec<(String, Option<String>, Option<i64>)> = conn
        .prepare(
            "SELECT instance_id, task_id, end_time FROM hi_activity_instance \
             WHERE activity_id = 'work'",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut per_instance: HashMap<&str, usize> = HashMap::new();
    let mut ended_by_task: HashMap<&str, &str> = HashMap::new();
    for (inst, task, end) in &rows {
        *per_instance.entry(inst).or_default() += 1;
        let task = task.as_deref().expect("the work activity names its task");
        if end.is_some() {
            assert!(
                ended_by_task.insert(task, inst).is_none(),
                "task {task} ended twice"
            );
        }
    }
    for (inst, n) in &per_instance {
        assert_eq!(*n, 1, "instance {inst} entered its task {n} times");
    }
    assert_eq!(
        per_instance.len(),
        history.len(),
        "every instance reached its task"
    );
    let completed_instances = history.values().filter(|s| *s == "COMPLETED").count();
    assert_eq!(
        ended_by_task.len(),
        completed_instances,
        "ended task activities == completed instances"
    );

    // Every acknowledged completion survived, once.
    let open: HashSet<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    for (task, inst) in &completed {
        assert!(!open.contains(task), "completed task {task} is back");
        assert_eq!(
            ended_by_task.get(task),
            Some(inst),
            "task {task} ended in history"
        );
        assert_eq!(
            history.get(*inst).map(String::as_str),
            Some("COMPLETED"),
            "instance {inst}"
        );
    }
    assert!(completed.len() <= ended_by_task.len());
    assert!(
        ended_by_task.len() - completed.len() <= runs * WORKERS,
        "{} completions but only {} acknowledged",
        ended_by_task.len(),
        completed.len()
    );

    // The engine carries on: start one more, then work off every unlocked task.
    let last = engine.start(StartInstance::by_key("crash")).await.unwrap();
    loop {
        let tasks = engine
            .fetch_and_lock(FetchAndLock {
                worker_id: "after".into(),
                max_tasks: 100,
                use_priority: false,
                newest_first: false,
                topics: vec![TopicRequest {
                    topic: "work".into(),
                    lock_duration: 60_000,
                    ..TopicRequest::default()
                }],
                scope: None,
            })
            .await
            .unwrap();
        if tasks.is_empty() {
            break;
        }
        for t in tasks {
            engine
                .complete(&t.task.id, "after", Vec::new(), Vec::new())
                .await
                .unwrap();
        }
    }
    let last = engine
        .historic_instances(HistoricInstanceQuery {
            id: Some(last.id),
            ..HistoricInstanceQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(last[0].state, "COMPLETED");
}
