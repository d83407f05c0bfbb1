//! The REST path, measured from outside: `cargo bench --bench rest`.
//!
//! Starts `baton serve` as its own process on a fresh database file (default
//! durable setting) and drives it over loopback with the wire format Camunda's
//! clients use. It prints:
//!
//! - **ready**: from spawning the process to the first answered `GET /version`;
//! - **RSS** of the server process at idle (after start) and at the end of the
//!   load run, from `/proc/PID/status` (`VmRSS`, and `VmHWM` for the peak);
//! - **throughput**: `CLIENTS` concurrent clients start N instances of start ->
//!   external task -> end (`POST /process-definition/key/…/start`) while `WORKERS`
//!   workers long-poll `fetchAndLock` (maxTasks `BATCH`) and `complete` each task;
//!   instances per second over the wall time until every task is completed;
//! - **CPU per instance** of the server process and of this driver, which share the
//!   machine's cores;
//! - **wake-up latency**: one worker parks a long poll, the driver starts one
//!   instance, and the time from sending the start to the poll's answer is taken;
//!   repeated `SAMPLES` times, p50 and p99. It includes the start request itself,
//!   so it is an upper bound of the time from task creation to the answer.
//!
//! The whole workload runs three times, on a fresh server and database each
//! time: first without authentication (the figures above), then with `--auth
//! basic` and an admin user whose HTTP Basic credentials the driver sends on every
//! request, as Camunda's clients do, then with `--auth basic` and a user who is
//! no administrator and may do only what the workload needs (granted `CREATE` on
//! process instances and `CREATE_INSTANCE`, `READ_INSTANCE` and `UPDATE_INSTANCE`
//! on the definition), so every fetch is filtered and every command checked. The
//! three passes are then printed side by side.
//!
//! Optional arguments: `--instances N` (default 20,000); `--no-auth-pass` skips
//! the second and third passes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::memory;

const CLIENTS: usize = 64;
const WORKERS: usize = 8;
const BATCH: usize = 32;
const SAMPLES: usize = 300;

/// CPU time (user + system) a process used so far.
fn cpu(pid: u32) -> Duration {
    cpu_of(&format!("/proc/{pid}/stat"))
}

/// User + system CPU time from a `stat` file of /proc.
fn cpu_of(path: &str) -> Duration {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the command name, which is in parentheses.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// CPU time of the named thread of a process (the first one with that name).
fn thread_cpu(pid: u32, name: &str) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() == name {
            let tid = task.file_name().to_string_lossy().parse().unwrap_or(0);
            return cpu_of(&format!("/proc/{pid}/task/{tid}/stat"));
        }
    }
    Duration::ZERO
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The credentials of the second pass.
const ADMIN: (&str, &str) = ("bench", "bench-password");

/// The credentials of the third pass: a user with grants, no administrator.
const WORKER: (&str, &str) = ("worker", "worker-password");

/// Who the driver is in a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// No authentication.
    Open,
    /// `--auth basic`, as a member of `camunda-admin`: authenticated, never
    /// checked.
    Admin,
    /// `--auth basic`, as [`WORKER`], with the authorizations the workload needs.
    Granted,
}

/// What one pass measured.
struct Figures {
    ready: Duration,
    idle_rss: u64,
    load_rss: u64,
    peak_rss: u64,
    wall: Duration,
    server_cpu: Duration,
    writer_cpu: Duration,
    driver_cpu: Duration,
    wakes: Vec<Duration>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut instances = 20_000usize;
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--instances") {
        instances = args
            .get(i + 1)
            .and_then(|n| n.parse().ok())
            .expect("--instances N");
    }
    let plain = run(instances, Pass::Open).await;
    println!("REST path: baton serve on loopback, database file, synchronous=FULL");
    print(&plain, instances);
    if args.iter().any(|a| a == "--no-auth-pass") {
        return;
    }
    let basic = run(instances, Pass::Admin).await;
    println!(
        "REST path with --auth basic: the same workload, every request with HTTP Basic \
         credentials of an admin user"
    );
    print(&basic, instances);
    let granted = run(instances, Pass::Granted).await;
    println!(
        "REST path with --auth basic as a user with grants: every fetch filtered by the \
         user's authorizations, every command checked"
    );
    print(&granted, instances);
    let rate = |f: &Figures| instances as f64 / f.wall.as_secs_f64();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / instances as f64;
    let change = |a: f64, b: f64| (b - a) * 100.0 / a;
    println!(
        "Side by side, one run                      no auth  --auth basic   change   with grants   change"
    );
    println!(
        "  throughput (instances/s)              {:>10.0}  {:>12.0}  {:>+6.1} %  {:>11.0}  {:>+6.1} %",
        rate(&plain),
        rate(&basic),
        change(rate(&plain), rate(&basic)),
        rate(&granted),
        change(rate(&plain), rate(&granted))
    );
    println!(
        "  server CPU per instance (µs)          {:>10.0}  {:>12.0}  {:>+6.1} %  {:>11.0}  {:>+6.1} %",
        per(plain.server_cpu),
        per(basic.server_cpu),
        change(per(plain.server_cpu), per(basic.server_cpu)),
        per(granted.server_cpu),
        change(per(plain.server_cpu), per(granted.server_cpu))
    );
    let p50 = |f: &Figures| ms(percentile(&f.wakes, 0.5));
    println!(
        "  wake-up p50 (ms)                      {:>10.2}  {:>12.2}  {:>+6.1} %  {:>11.2}  {:>+6.1} %",
        p50(&plain),
        p50(&basic),
        change(p50(&plain), p50(&basic)),
        p50(&granted),
        change(p50(&plain), p50(&granted))
    );
}

/// One pass of the workload on a fresh server, as `pass` says.
async fn run(instances: usize, pass: Pass) -> Figures {
    let auth = pass != Pass::Open;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let admin = format!("{}:{}", ADMIN.0, ADMIN.1);
    let args: Vec<&str> = if auth {
        vec!["--auth", "basic", "--admin-user", &admin]
    } else {
        Vec::new()
    };

    // Start the server and time it to its first answered request.
    let spawned = Instant::now();
    let (mut child, pid, url) =
        common::serve_with(dir.path(), &[("simple.bpmn", common::MODEL)], &args).await;
    let admin_http = client(auth.then_some(ADMIN));
    let http = if pass == Pass::Granted {
        client(Some(WORKER))
    } else {
        admin_http.clone()
    };
    loop {
        if let Ok(r) = admin_http.get(format!("{url}/version")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    let ready = spawned.elapsed();
    if pass == Pass::Granted {
        grant_worker(&admin_http, &url).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (idle_rss, _) = memory(pid);
    // Wake-up latency, one long poll at a time.
    let mut wakes = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let poll = {
            let http = http.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let tasks: Value = http
                    .post(format!("{url}/external-task/fetchAndLock"))
                    .json(&json!({"workerId": "lat", "maxTasks": 1, "asyncResponseTimeout": 10_000,
                                  "topics": [{"topicName": "step", "lockDuration": 60_000, "variables": []}]}))
                    .send()
                    .await
                    .expect("fetch")
                    .json()
                    .await
                    .expect("tasks");
                (Instant::now(), tasks)
            })
        };
        // Let the poll park.
        tokio::time::sleep(Duration::from_millis(3)).await;
        let sent = Instant::now();
        http.post(format!("{url}/process-definition/key/simple/start"))
            .json(&json!({}))
            .send()
            .await
            .expect("start");
        let (answered, tasks) = poll.await.expect("poll");
        let id = tasks[0]["id"].as_str().expect("a task").to_owned();
        wakes.push(answered.saturating_duration_since(sent));
        http.post(format!("{url}/external-task/{id}/complete"))
            .json(&json!({"workerId": "lat"}))
            .send()
            .await
            .expect("complete");
    }
    wakes.sort();

    // Throughput.
    let started = Arc::new(AtomicUsize::new(0));
    let completed = Arc::new(AtomicUsize::new(0));
    let cpu_before = cpu(pid);
    let writer_before = thread_cpu(pid, "baton-writer");
    let driver_before = cpu(std::process::id());
    let began = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (http, url, started) = (http.clone(), url.clone(), started.clone());
        set.spawn(async move {
            while started.fetch_add(1, Ordering::Relaxed) < instances {
                let r = http
                    .post(format!("{url}/process-definition/key/simple/start"))
                    .json(&json!({"businessKey": "bench", "variables": {"n": {"value": 1, "type": "Integer"}}}))
                    .send()
                    .await
                    .expect("start");
                assert!(r.status().is_success(), "start answered {}", r.status());
            }
        });
    }
    for w in 0..WORKERS {
        let (http, url, completed) = (http.clone(), url.clone(), completed.clone());
        set.spawn(async move {
            let worker = format!("bench-{w}");
            while completed.load(Ordering::Relaxed) < instances {
                let tasks: Vec<Value> = http
                    .post(format!("{url}/external-task/fetchAndLock"))
                    .json(&json!({"workerId": worker, "maxTasks": BATCH, "usePriority": true,
                                  "asyncResponseTimeout": 1000,
                                  "topics": [{"topicName": "step", "lockDuration": 600_000}]}))
                    .send()
                    .await
                    .expect("fetch")
                    .json()
                    .await
                    .expect("tasks");
                let mut done = tokio::task::JoinSet::new();
                for t in tasks {
                    let (http, url, worker) = (http.clone(), url.clone(), worker.clone());
                    done.spawn(async move {
                        let id = t["id"].as_str().expect("an id");
                        let r = http
                            .post(format!("{url}/external-task/{id}/complete"))
                            .json(&json!({"workerId": worker, "variables": {"done": {"value": true}}}))
                            .send()
                            .await
                            .expect("complete");
                        assert_eq!(r.status().as_u16(), 204, "complete");
                    });
                }
                while done.join_next().await.is_some() {
                    completed.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while set.join_next().await.is_some() {}
    let wall = began.elapsed();
    let server_cpu = cpu(pid).saturating_sub(cpu_before);
    let writer_cpu = thread_cpu(pid, "baton-writer").saturating_sub(writer_before);
    let driver_cpu = cpu(std::process::id()).saturating_sub(driver_before);
    let (load_rss, peak_rss) = memory(pid);

    // SIGTERM-like end: the child is killed on drop; the database is thrown away.
    let _ = child.start_kill();
    let _ = child.wait().await;
    Figures {
        ready,
        idle_rss,
        load_rss,
        peak_rss,
        wall,
        server_cpu,
        writer_cpu,
        driver_cpu,
        wakes,
    }
}

/// A client sending `login`'s HTTP Basic credentials on every request, if any.
fn client(login: Option<(&str, &str)>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some((user, password)) = login {
        // The header reqwest itself would write for these credentials.
        let request = reqwest::Client::new()
            .get("http://127.0.0.1/")
            .basic_auth(user, Some(password))
            .build()
            .expect("a request");
        let value = request.headers()[reqwest::header::AUTHORIZATION].clone();
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .default_headers(headers)
        .build()
        .expect("a client")
}

/// Creates [`WORKER`] and grants it what the workload needs, as the admin.
async fn grant_worker(admin: &reqwest::Client, url: &str) {
    let r = admin
        .post(format!("{url}/user/create"))
        .json(&json!({"profile": {"id": WORKER.0}, "credentials": {"password": WORKER.1}}))
        .send()
        .await
        .expect("create the worker");
    assert_eq!(r.status().as_u16(), 204, "create the worker");
    for grant in [
        json!({"type": 1, "userId": WORKER.0, "resourceType": 8, "resourceId": "*",
               "permissions": ["CREATE"]}),
        json!({"type": 1, "userId": WORKER.0, "resourceType": 6, "resourceId": "simple",
               "permissions": ["CREATE_INSTANCE", "READ_INSTANCE", "UPDATE_INSTANCE"]}),
    ] {
        let r = admin
            .post(format!("{url}/authorization/create"))
            .json(&grant)
            .send()
            .await
            .expect("grant");
        assert!(r.status().is_success(), "grant answered {}", r.status());
    }
}

/// The figures of one pass, in the format of the first.
fn print(f: &Figures, instances: usize) {
    let (ready, idle_rss, load_rss, peak_rss) = (f.ready, f.idle_rss, f.load_rss, f.peak_rss);
    let (wall, server_cpu, writer_cpu, driver_cpu) =
        (f.wall, f.server_cpu, f.writer_cpu, f.driver_cpu);
    let wakes = &f.wakes;
    println!(
        "  ready (spawn -> first answered request)  {:>9.1} ms",
        ms(ready)
    );
    println!(
        "  RSS at idle                              {:>9.1} MiB",
        idle_rss as f64 / 1024.0
    );
    println!(
        "  RSS after load (peak)                    {:>9.1} MiB ({:.1} MiB)",
        load_rss as f64 / 1024.0,
        peak_rss as f64 / 1024.0
    );
    println!(
        "  throughput: {instances} instances, {CLIENTS} clients, {WORKERS} workers x {BATCH}  {:>9.0} instances/s",
        instances as f64 / wall.as_secs_f64()
    );
    println!(
        "  server CPU per instance                  {:>9.0} µs",
        server_cpu.as_secs_f64() * 1e6 / instances as f64
    );
    println!(
        "    of which the writer thread             {:>9.0} µs (busy {:.0} % of the time)",
        writer_cpu.as_secs_f64() * 1e6 / instances as f64,
        writer_cpu.as_secs_f64() * 100.0 / wall.as_secs_f64()
    );
    println!(
        "  load driver CPU per instance (same cores) {:>9.0} µs",
        driver_cpu.as_secs_f64() * 1e6 / instances as f64
    );
    println!(
        "  wake-up (start sent -> long poll answered), {SAMPLES} samples  p50 {:.2} ms  p99 {:.2} ms",
        ms(percentile(wakes, 0.5)),
        ms(percentile(wakes, 0.99))
    );
}
