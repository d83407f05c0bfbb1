//! The task list under load, measured from outside: `cargo bench --bench tasks`.
//!
//! Starts `baton serve` as its own process on a fresh database file and opens
//! `TASKS` user tasks (one per instance, 64 clients starting them), spread over
//! 1,000 users and 50 groups: task `i` has candidate user `u{i % 1000}` and
//! candidate group `g{i % 50}`, every fourth one is assigned to `u{(i / 4) % 1000}`,
//! and each instance has a variable `region` (`r{i % 100}`). Then it asks, one
//! request at a time, `SAMPLES` times each with a different user or value:
//!
//! - `GET /task?candidateUser=u&sortBy=created&sortOrder=desc&maxResults=15`, the
//!   first page of a user's group inbox;
//! - `GET /task?candidateGroup=g&sortBy=created&sortOrder=desc&maxResults=15`;
//! - `GET /task/count?assignee=u`;
//! - `GET /task?processVariables=region_eq_r&sortBy=created&sortOrder=desc&maxResults=15`
//!   and its count;
//!
//! and prints p50 and p99 of each answer's time, with the time the tasks took to
//! open. The goal is a p99 under 10 ms for each.
//!
//! Optional argument: `--tasks N` (default 100,000).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;

const SAMPLES: usize = 300;
const USERS: usize = 1_000;
const GROUPS: usize = 50;
const REGIONS: usize = 100;

const MODEL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="bench">
  <bpmn:process id="review" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="check" name="Check ${region}" camunda:assignee="${assignee}"
      camunda:candidateUsers="${user}" camunda:candidateGroups="${group}" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"#;

/// A query's path for sample `k`.
type Query = Box<dyn Fn(usize) -> String>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Sends `SAMPLES` GETs of `path(k)` one after another; p50 and p99.
async fn measure(
    http: &reqwest::Client,
    url: &str,
    path: impl Fn(usize) -> String,
) -> (Duration, Duration, usize) {
    let mut times = Vec::with_capacity(SAMPLES);
    let mut found = 0;
    for k in 0..SAMPLES {
        let sent = Instant::now();
        let r = http
            .get(format!("{url}{}", path(k)))
            .send()
            .await
            .expect("a query");
        assert!(r.status().is_success(), "{}: {}", path(k), r.status());
        let body: Value = r.json().await.expect("json");
        times.push(sent.elapsed());
        found += body
            .as_array()
            .map_or_else(|| body["count"].as_u64().unwrap_or(0) as usize, Vec::len);
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99), found)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let tasks: usize = args
        .iter()
        .position(|a| a == "--tasks")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (_child, _pid, url) = common::serve_models(dir.path(), &[("review.bpmn", MODEL)]).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(128)
        .build()
        .expect("a client");

    let opened = Instant::now();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let clients: Vec<_> = (0..64)
        .map(|_| {
            let (http, url, next) = (http.clone(), url.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= tasks {
                        break;
                    }
                    let assignee = if i % 4 == 0 {
                        json!({"value": format!("u{}", (i / 4) % USERS)})
                    } else {
                        json!({"value": null})
                    };
                    let r = http
                        .post(format!("{url}/process-definition/key/review/start"))
                        .json(&json!({"variables": {
                            "assignee": assignee,
                            "user": {"value": format!("u{}", i % USERS)},
                            "group": {"value": format!("g{}", i % GROUPS)},
                            "region": {"value": format!("r{}", i % REGIONS)},
                        }}))
                        .send()
                        .await
                        .expect("a start");
                    assert!(r.status().is_success(), "start: {}", r.status());
                }
            })
        })
        .collect();
    for c in clients {
        c.await.expect("a client");
    }
    let opened = opened.elapsed();
    let count: Value = http
        .get(format!("{url}/task/count"))
        .send()
        .await
        .expect("count")
        .json()
        .await
        .expect("json");
    assert_eq!(count["count"].as_u64(), Some(tasks as u64));

    println!("Task list: baton serve on loopback, database file, synchronous=FULL");
    println!(
        "  {tasks} open tasks over {USERS} users and {GROUPS} groups, opened in {:.1} s ({:.0} per s)",
        opened.as_secs_f64(),
        tasks as f64 / opened.as_secs_f64()
    );
    let queries: Vec<(&str, Query)> = vec![
        (
            "candidateUser, created desc, 15",
            Box::new(|k| {
                format!(
                    "/task?candidateUser=u{}&sortBy=created&sortOrder=desc&maxResults=15",
                    k * 7 % USERS
                )
            }),
        ),
        (
            "candidateGroup, created desc, 15",
            Box::new(|k| {
                format!(
                    "/task?candidateGroup=g{}&sortBy=created&sortOrder=desc&maxResults=15",
                    k % GROUPS
                )
            }),
        ),
        (
            "count, assignee",
            Box::new(|k| format!("/task/count?assignee=u{}", k * 7 % USERS)),
        ),
        (
            "processVariables, created desc, 15",
            Box::new(|k| {
                format!(
                    "/task?processVariables=region_eq_r{}&sortBy=created&sortOrder=desc&maxResults=15",
                    k % REGIONS
                )
            }),
        ),
        (
            "count, processVariables",
            Box::new(|k| format!("/task/count?processVariables=region_eq_r{}", k % REGIONS)),
        ),
    ];
    for (name, path) in queries {
        let (p50, p99, found) = measure(&http, &url, path).await;
        println!(
            "  {name:<40} p50 {:>6.2} ms  p99 {:>6.2} ms  ({} found per query)",
            ms(p50),
            ms(p99),
            found / SAMPLES
        );
    }
}
