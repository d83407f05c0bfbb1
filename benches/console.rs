//! The web console's figures, measured from outside: `cargo bench --bench console`.
//!
//! Starts `baton serve` as its own process (no authentication) and prints:
//!
//! - **binary size** of the `baton` binary and the bytes of the console's files it
//!   embeds (every `include_bytes!` and `include_str!` of `server/src/console.rs`),
//!   hence its size without them;
//! - **idle memory** (`VmRSS`) right after start on an empty database;
//! - **seeding**: `DEFINITIONS` process definitions deployed at start, and
//!   `INSTANCES` running instances started through REST by 64 concurrent clients
//!   (`POST /process-definition/key/…/start`), spread evenly over the definitions:
//!   one in ten waits at a user task, the others at an external task, and one in a
//!   hundred of those has failed with no retries left (an incident); memory after it;
//! - **statistics**: `GET /process-definition/statistics?incidents=true` and
//!   `GET /process-definition/{id}/statistics?incidents=true` (each definition in
//!   turn), one request at a time, p50 and p99;
//! - **first paint of the processes view** in headless Chromium (Debian's, driven by
//!   `playwright-core` as `tests/console/setup.sh` installs them for the console's
//!   test), from the browser's performance API: `first-contentful-paint`, and the
//!   time until the processes table holds the row of a known definition, each run in
//!   a new browser context (nothing cached);
//! - the same server restarted on the seeded database: its idle memory and its
//!   first statistics requests.
//!
//! Optional arguments: `--definitions N` (default 100), `--instances N` (default
//! 100,000), `--repeats N` (statistics requests of each kind, default 100),
//! `--paints N` (browser runs, default 5; 0 skips the browser), `--dir PATH` (keep
//! the seeded database there, as `bench.db`, instead of in a temporary folder). The environment
//! variable `BATON_BENCH_BINARY` runs another `baton` binary than the one built
//! with the bench, so that builds can be compared with the same driver.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::memory;

const CLIENTS: usize = 64;

/// The topic of the models' external task.
const TOPIC: &str = "console-work";

/// Definition `n`'s key.
fn key(n: usize) -> String {
    format!("console-{n:03}")
}

/// A model with key `key`: start -> gateway -> external task `work` (the default)
/// or user task `review` (when `route` is `review`) -> end.
fn model(key: &str, n: usize) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs-{n}" targetNamespace="bench">
  <bpmn:process id="{key}" name="Console process {n}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:exclusiveGateway id="route" default="to-work" />
    <bpmn:serviceTask id="work" camunda:type="external" camunda:topic="{TOPIC}" />
    <bpmn:userTask id="review" camunda:candidateGroups="reviewers" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="route" />
    <bpmn:sequenceFlow id="to-work" sourceRef="route" targetRef="work" />
    <bpmn:sequenceFlow id="to-review" sourceRef="route" targetRef="review">
      <bpmn:conditionExpression>${{route == 'review'}}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"#
    )
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// The repository's root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bytes of the console's files the server embeds: every path in an
/// `include_bytes!` or `include_str!` of `server/src/console.rs`, with its size.
fn embedded_assets() -> Vec<(String, u64)> {
    let source_dir = root().join("server/src");
    let source = std::fs::read_to_string(source_dir.join("console.rs")).unwrap_or_default();
    let mut files = Vec::new();
    for part in source.split("include_").skip(1) {
        let Some(rest) = part
            .strip_prefix("bytes!(")
            .or_else(|| part.strip_prefix("str!("))
        else {
            continue;
        };
        let Some(literal) = rest.trim_start().strip_prefix('"') else {
            continue;
        };
        let Some(path) = literal.split('"').next() else {
            continue;
        };
        let size = std::fs::metadata(source_dir.join(path)).map_or(0, |m| m.len());
        files.push((path.trim_start_matches("../../").to_owned(), size));
    }
    files
}

/// Waits until `url` answers `GET /version`.
async fn ready(http: &reqwest::Client, url: &str) {
    loop {
        if let Ok(r) = http.get(format!("{url}/version")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    let r = http.get(url).send().await.expect("a request");
    assert!(r.status().is_success(), "{url} answered {}", r.status());
    r.json().await.expect("JSON")
}

/// `GET` each of `urls` in turn, `repeats` requests one at a time: their times, sorted.
async fn time_get(http: &reqwest::Client, urls: &[String], repeats: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(repeats);
    for i in 0..repeats {
        let url = &urls[i % urls.len()];
        let began = Instant::now();
        let r = http.get(url).send().await.expect("a request");
        assert!(r.status().is_success(), "{url} answered {}", r.status());
        r.bytes().await.expect("a body");
        times.push(began.elapsed());
    }
    times.sort();
    times
}

fn print_times(what: &str, times: &[Duration]) {
    println!(
        "  {what:<58} p50 {:>8.2} ms   p99 {:>8.2} ms   ({} requests)",
        ms(percentile(times, 0.5)),
        ms(percentile(times, 0.99)),
        times.len()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let definitions = arg(&args, "--definitions", 100).max(1);
    let instances = arg(&args, "--instances", 100_000);
    let repeats = arg(&args, "--repeats", 100).max(1);
    let paints = arg(&args, "--paints", 5);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .timeout(Duration::from_secs(600))
        .build()
        .expect("a client");

    // The binary and what it embeds.
    let binary = common::binary();
    let size = std::fs::metadata(&binary).map_or(0, |m| m.len());
    let assets = embedded_assets();
    let embedded: u64 = assets.iter().map(|(_, n)| n).sum();
    println!("Console figures: baton serve on loopback, no authentication");
    println!("  binary {}", binary.display());
    println!(
        "  binary size {:>12} bytes ({:.2} MB)",
        size,
        size as f64 / 1e6
    );
    println!(
        "  console files embedded {:>12} bytes in {} files ({:.2} MB)",
        embedded,
        assets.len(),
        embedded as f64 / 1e6
    );
    for (path, n) in &assets {
        println!("      {n:>10}  {path}");
    }
    println!(
        "  binary without them {:>12} bytes ({:.2} MB)",
        size.saturating_sub(embedded),
        size.saturating_sub(embedded) as f64 / 1e6
    );

    // Idle memory on an empty database.
    let empty = tempfile::tempdir().expect("a temporary directory");
    {
        let (mut child, pid, url) = common::serve_with(empty.path(), &[], &[]).await;
        ready(&http, &url).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (rss, _) = memory(pid);
        println!("  idle memory, empty database: {}", mib(rss));
        child.kill().await.expect("the server stops");
    }

    // The seeded server.
    let temporary = tempfile::tempdir().expect("a temporary directory");
    let dir = match args.iter().position(|a| a == "--dir") {
        Some(i) => {
            let dir = PathBuf::from(args.get(i + 1).expect("--dir PATH"));
            std::fs::create_dir_all(&dir).expect("the --dir folder");
            for file in ["bench.db", "bench.db-wal", "bench.db-shm"] {
                let _ = std::fs::remove_file(dir.join(file));
            }
            dir
        }
        None => temporary.path().to_owned(),
    };
    let models: Vec<(String, String)> = (0..definitions)
        .map(|n| (format!("{}.bpmn", key(n)), model(&key(n), n)))
        .collect();
    let model_refs: Vec<(&str, &str)> = models
        .iter()
        .map(|(n, x)| (n.as_str(), x.as_str()))
        .collect();
    let (mut child, pid, url) = common::serve_with(&dir, &model_refs, &[]).await;
    ready(&http, &url).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (deployed_rss, _) = memory(pid);
    println!(
        "  idle memory, {definitions} definitions deployed: {}",
        mib(deployed_rss)
    );

    let began = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (http, url, next) = (http.clone(), url.clone(), next.clone());
        set.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= instances {
                    return;
                }
                let route = if i % 10 == 9 { "review" } else { "work" };
                let r = http
                    .post(format!(
                        "{url}/process-definition/key/{}/start",
                        key(i % definitions)
                    ))
                    .json(&json!({
                        "businessKey": format!("order-{i}"),
                        "variables": {"route": {"value": route}, "amount": {"value": i, "type": "Long"}},
                    }))
                    .send()
                    .await
                    .expect("a start");
                assert!(r.status().is_success(), "start answered {}", r.status());
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("a client");
    }
    // Incidents: one external task in a hundred fails with no retries left.
    let failures = instances / 100;
    let mut failed = 0;
    while failed < failures {
        let tasks: Vec<Value> = http
            .post(format!("{url}/external-task/fetchAndLock"))
            .json(
                &json!({"workerId": "bench", "maxTasks": (failures - failed).min(500),
                          "topics": [{"topicName": TOPIC, "lockDuration": 600_000}]}),
            )
            .send()
            .await
            .expect("a fetch")
            .json()
            .await
            .expect("tasks");
        if tasks.is_empty() {
            break;
        }
        let mut set = tokio::task::JoinSet::new();
        for t in tasks {
            let (http, url) = (http.clone(), url.clone());
            set.spawn(async move {
                let id = t["id"].as_str().expect("a task id");
                let r = http
                    .post(format!("{url}/external-task/{id}/failure"))
                    .json(
                        &json!({"workerId": "bench", "errorMessage": "the bench failed it",
                                  "retries": 0, "retryTimeout": 0}),
                    )
                    .send()
                    .await
                    .expect("a failure");
                assert!(r.status().is_success(), "failure answered {}", r.status());
            });
        }
        while let Some(r) = set.join_next().await {
            r.expect("a failure");
            failed += 1;
        }
    }
    let seeded = began.elapsed();
    println!(
        "  seeded {instances} running instances over {definitions} definitions ({failed} \
         incidents) in {:.1} s ({:.0} starts/s)",
        seeded.as_secs_f64(),
        instances as f64 / seeded.as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (seeded_rss, seeded_peak) = memory(pid);
    println!(
        "  memory after seeding: {} (peak {})",
        mib(seeded_rss),
        mib(seeded_peak)
    );

    // The statistics, checked once against what was seeded.
    let all = get_json(
        &http,
        &format!("{url}/process-definition/statistics?incidents=true"),
    )
    .await;
    let all = all.as_array().expect("a list");
    let counted: u64 = all
        .iter()
        .map(|s| s["instances"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(counted, instances as u64, "every instance counted");
    let ids: Vec<String> = all
        .iter()
        .map(|s| s["id"].as_str().expect("an id").to_owned())
        .collect();
    let one = get_json(
        &http,
        &format!(
            "{url}/process-definition/{}/statistics?incidents=true",
            ids[0]
        ),
    )
    .await;
    let tokens: u64 = one
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| s["instances"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        tokens,
        instances.div_ceil(definitions) as u64,
        "every token of the first definition counted"
    );
    println!("Statistics, one request at a time");
    let list = time_get(
        &http,
        &[format!(
            "{url}/process-definition/statistics?incidents=true"
        )],
        repeats,
    )
    .await;
    print_times("GET /process-definition/statistics?incidents=true", &list);
    let per: Vec<String> = ids
        .iter()
        .map(|id| format!("{url}/process-definition/{id}/statistics?incidents=true"))
        .collect();
    let activities = time_get(&http, &per, repeats).await;
    print_times(
        &format!(
            "GET /process-definition/{{id}}/statistics?incidents=true ({} instances)",
            instances / definitions
        ),
        &activities,
    );

    // The console in a browser.
    if paints > 0 {
        match paint(&url, &key(definitions - 1), paints) {
            Ok(runs) => print_paints(&runs),
            Err(e) => println!("  browser: skipped ({e})"),
        }
    }
    let (after_rss, after_peak) = memory(pid);
    println!(
        "  memory after the statistics and the browser: {} (peak {})",
        mib(after_rss),
        mib(after_peak)
    );
    child.kill().await.expect("the server stops");
    let _ = child.wait().await;

    // The same database after a restart.
    let (mut child, pid, url) = common::serve_with(&dir, &[], &[]).await;
    ready(&http, &url).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (restart_rss, _) = memory(pid);
    println!(
        "After a restart on the seeded database: idle memory {}",
        mib(restart_rss)
    );
    let first = time_get(
        &http,
        &[format!(
            "{url}/process-definition/statistics?incidents=true"
        )],
        1,
    )
    .await;
    let first_one = time_get(
        &http,
        &[format!(
            "{url}/process-definition/{}/statistics?incidents=true",
            ids[0]
        )],
        1,
    )
    .await;
    println!(
        "  first GET /process-definition/statistics: {:.2} ms; first per-activity statistics: {:.2} ms",
        ms(first[0]),
        ms(first_one[0])
    );
    child.kill().await.expect("the server stops");
}

/// One browser run's figures, in milliseconds from navigation start.
struct Paint {
    first_contentful_paint: f64,
    rows: f64,
    statistics: f64,
}

/// Opens the processes view `runs` times in headless Chromium and reads the
/// figures `tests/console/paint.mjs` prints.
fn paint(url: &str, known_key: &str, runs: usize) -> Result<Vec<Paint>, String> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let setup_dir = target.join("e2e-console");
    let setup = std::process::Command::new("bash")
        .arg(root().join("tests/console/setup.sh"))
        .arg(&setup_dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("tests/console/setup.sh: {e}"))?;
    if !setup.status.success() {
        return Err(format!(
            "tests/console/setup.sh failed: {}",
            String::from_utf8_lossy(&setup.stderr)
        ));
    }
    let chromium = String::from_utf8_lossy(&setup.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let origin = url.find("/engine-rest").map_or(url, |i| &url[..i]);
    let output = std::process::Command::new("node")
        .arg(root().join("tests/console/paint.mjs"))
        .env("BATON_APP", format!("{origin}/app"))
        .env("BATON_KEY", known_key)
        .env("BATON_RUNS", runs.to_string())
        .env("BATON_NODE_MODULES", setup_dir.join("node/node_modules"))
        .env("BATON_CHROMIUM", chromium)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("node: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "paint.mjs failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut paints = Vec::new();
    for line in stdout.lines() {
        let Some(figures) = line.strip_prefix("PAINT ") else {
            continue;
        };
        let v: Value = serde_json::from_str(figures).map_err(|e| format!("{e}: {line}"))?;
        let f = |name: &str| v[name].as_f64().unwrap_or(f64::NAN);
        paints.push(Paint {
            first_contentful_paint: f("firstContentfulPaint"),
            rows: f("rows"),
            statistics: f("statistics"),
        });
    }
    Ok(paints)
}

fn print_paints(runs: &[Paint]) {
    println!(
        "The processes view in headless Chromium (a new browser context each run), ms from \
         navigation start"
    );
    println!("  run   first-contentful-paint   table rows shown   statistics request");
    for (i, p) in runs.iter().enumerate() {
        println!(
            "  {:>3}   {:>22.1}   {:>16.1}   {:>18.1}",
            i + 1,
            p.first_contentful_paint,
            p.rows,
            p.statistics
        );
    }
    let median = |f: fn(&Paint) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    println!(
        "  median {:>20.1}   {:>16.1}   {:>18.1}",
        median(|p| p.first_contentful_paint),
        median(|p| p.rows),
        median(|p| p.statistics)
    );
}
