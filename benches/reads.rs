//! Memory under a burst of concurrent read queries, measured from outside:
//! `cargo bench --bench reads`.
//!
//! Starts `baton serve` as its own process on a fresh database file, starts
//! `INSTANCES` instances with a few variables each, then sends `BURST` read queries
//! at once (instance, history and variable lists of every instance, so each answer
//! is large), and prints the server's resident memory (`VmRSS`) at idle, at its peak
//! during the burst (`VmHWM`), and at intervals after it, with how long the burst
//! took. What matters is that the peak is bounded and that memory comes back near
//! its idle level afterwards.
//!
//! Optional arguments: `--burst N` (default 2,000), `--instances N` (default 2,000).

use std::time::{Duration, Instant};

use serde_json::json;

mod common;
use common::memory;

/// Threads of a process.
fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, Iterator::count)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let burst = arg(&args, "--burst", 2_000);
    let instances = arg(&args, "--instances", 2_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (_child, pid, url) = common::serve(dir.path()).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(burst)
        .timeout(Duration::from_secs(600))
        .build()
        .expect("a client");

    // Instances with a few variables each, 64 at a time.
    let mut started = 0;
    while started < instances {
        let batch: Vec<_> = (started..instances.min(started + 64))
            .map(|i| {
                let (http, url) = (http.clone(), url.clone());
                tokio::spawn(async move {
                    let vars = json!({
                        "order": {"value": format!("order-{i}")},
                        "amount": {"value": i, "type": "Long"},
                        "note": {"value": "x".repeat(200)},
                    });
                    http.post(format!("{url}/process-definition/key/simple/start"))
                        .json(&json!({ "variables": vars, "businessKey": format!("bk-{i}") }))
                        .send()
                        .await
                        .expect("start")
                        .error_for_status()
                        .expect("started");
                })
            })
            .collect();
        started += batch.len();
        for start in batch {
            start.await.expect("a start");
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (idle, _) = memory(pid);
    let idle_threads = threads(pid);

    let queries = [
        "/history/process-instance",
        "/process-instance",
        "/history/variable-instance",
        "/external-task",
        "/history/activity-instance?activityType=serviceTask",
    ];
    let at = Instant::now();
    let requests: Vec<_> = (0..burst)
        .map(|i| {
            let (http, url) = (http.clone(), url.clone());
            let path = queries[i % queries.len()];
            tokio::spawn(async move {
                let body = http
                    .get(format!("{url}{path}"))
                    .send()
                    .await
                    .expect("a query")
                    .error_for_status()
                    .expect("answered")
                    .bytes()
                    .await
                    .expect("a body");
                body.len()
            })
        })
        .collect();
    let mut bytes = 0;
    for r in requests {
        bytes += r.await.expect("a query task");
    }
    let took = at.elapsed();
    let (after, peak) = memory(pid);
    let busy_threads = threads(pid);
    let mut later = Vec::new();
    for wait in [1u64, 5, 15] {
        let already: u64 = later.iter().map(|(w, _, _)| *w).sum();
        tokio::time::sleep(Duration::from_secs(wait - already)).await;
        let (rss, _) = memory(pid);
        later.push((wait - already, rss, threads(pid)));
    }
    // mimalloc hands freed pages back to the system on a thread's next allocations,
    // so a server that goes on answering returns to its working size.
    for _ in 0..50 {
        http.get(format!("{url}/process-instance/count"))
            .send()
            .await
            .expect("a count")
            .error_for_status()
            .expect("counted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (trickle, _) = memory(pid);

    println!(
        "{burst} concurrent queries over {instances} instances: {:.2} s, {:.0} MiB answered",
        took.as_secs_f64(),
        bytes as f64 / 1024.0 / 1024.0
    );
    println!("| when | resident memory | threads |");
    println!("| --- | --- | --- |");
    println!("| idle, before | {} | {idle_threads} |", mib(idle));
    println!("| peak during the burst | {} | |", mib(peak));
    println!(
        "| at the end of the burst | {} | {busy_threads} |",
        mib(after)
    );
    let mut elapsed = 0;
    for (wait, rss, t) in later {
        elapsed += wait;
        println!("| {elapsed} s after, no requests | {} | {t} |", mib(rss));
    }
    println!(
        "| then after 50 small requests | {} | {} |",
        mib(trickle),
        threads(pid)
    );
}
