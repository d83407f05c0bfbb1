//! `baton serve` as a user runs it: flags and `BATON_*` variables, `--deploy`,
//! restarts on the same file, refusal of invalid models, and a clean shutdown on
//! SIGTERM that answers waiting long polls.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

const MODEL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="served" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:serviceTask id="work" camunda:type="external" camunda:topic="work" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"#;

/// A running `baton serve` and the URL it printed.
struct Served {
    child: Child,
    url: String,
}

/// Starts `baton serve` with `args` and `envs`, and waits for its address line.
async fn serve(args: &[&str], envs: &[(&str, &str)]) -> Served {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    command.arg("serve");
    start(command, args, envs).await
}

/// Starts `baton serve` as [`serve`] does, but allowed only `files` open files
/// (`ulimit -n`, both the soft and the hard limit).
async fn serve_with_file_limit(files: u32, args: &[&str], envs: &[(&str, &str)]) -> Served {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!(r#"ulimit -n {files} && exec "$0" serve "$@""#))
        .arg(env!("CARGO_BIN_EXE_baton"));
    start(command, args, envs).await
}

/// Runs `command` with `args` and `envs` and waits for its address line.
async fn start(mut command: Command, args: &[&str], envs: &[(&str, &str)]) -> Served {
    let mut child = command
        .args(args)
        .envs(envs.iter().copied())
        .env_remove("BATON_PORT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("baton serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("baton serve prints its address within 20 s")
        .expect("stdout is readable")
        .expect("an address line");
    let url = line
        .strip_prefix("Baton listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    Served { child, url }
}

impl Served {
    async fn get(&self, path: &str) -> Value {
        reqwest::get(format!("{}{path}", self.url))
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON")
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .expect("POST")
            .json()
            .await
            .expect("JSON")
    }

    /// Sends SIGTERM and returns the exit status and stderr.
    async fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().expect("running").to_string();
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(kill.success());
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("baton exits within 20 s of SIGTERM")
            .expect("an exit status");
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut err).await.expect("stderr");
        }
        (status, err)
    }
}

fn write_model(dir: &Path, name: &str, xml: &str) {
    std::fs::create_dir_all(dir).expect("a folder");
    std::fs::write(dir.join(name), xml).expect("a model file");
}

#[tokio::test]
async fn environment_variables_configure_it_and_sigterm_answers_long_polls() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let models = dir.path().join("models");
    write_model(&models.join("nested"), "served.bpmn", MODEL);
    let baton = serve(
        &[],
        &[
            ("BATON_PORT", "0"),
            ("BATON_DB", ":memory:"),
            ("BATON_DEPLOY", models.to_str().expect("a UTF-8 path")),
            ("BATON_BASE_PATH", "/api/"),
        ],
    )
    .await;
    assert!(baton.url.ends_with("/api"), "{}", baton.url);
    assert_eq!(baton.get("/version").await["version"], "7.24.0");
    let defs = baton.get("/process-definition?key=served").await;
    assert_eq!(defs.as_array().expect("a list").len(), 1);

    // A long poll waits; SIGTERM answers it with `[]` and Baton exits 0.
    let url = baton.url.clone();
    let poll = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{url}/external-task/fetchAndLock"))
            .json(
                &json!({"workerId": "w", "maxTasks": 1, "asyncResponseTimeout": 60_000,
                          "topics": [{"topicName": "work", "lockDuration": 1000}]}),
            )
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, stderr) = baton.terminate().await;
    assert!(status.success(), "exit {status}: {stderr}");
    let answer = poll.await.expect("the poll task").expect("an answer");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.json::<Value>().await.expect("JSON"), json!([]));
}

#[tokio::test]
async fn a_clean_stop_leaves_only_the_file_and_a_restart_keeps_instances_and_versions() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("baton.db");
    let model = dir.path().join("served.bpmn");
    std::fs::write(&model, MODEL).expect("a model file");
    let args = [
        "--port",
        "0",
        "--db",
        db.to_str().expect("a UTF-8 path"),
        "--deploy",
        model.to_str().expect("a UTF-8 path"),
    ];
    let baton = serve(&args, &[]).await;
    let started = baton
        .post(
            "/process-definition/key/served/start",
            json!({"businessKey": "kept"}),
        )
        .await;
    let id = started["id"].as_str().expect("an instance id").to_owned();
    // Queried too, so that read connections are open when it stops.
    assert_eq!(
        baton.get(&format!("/process-instance/{id}")).await["id"],
        id
    );
    let (status, _) = baton.terminate().await;
    assert!(status.success());
    // A clean stop leaves the database file alone: the WAL was copied into it.
    for leftover in ["baton.db-wal", "baton.db-shm"] {
        assert!(
            !dir.path().join(leftover).exists(),
            "{leftover} is left after a clean stop"
        );
    }

    let baton = serve(&args, &[]).await;
    let defs = baton.get("/process-definition?key=served").await;
    assert_eq!(
        defs.as_array().expect("a list").len(),
        1,
        "unchanged: no new version"
    );
    let instance = baton.get(&format!("/process-instance/{id}")).await;
    assert_eq!(instance["businessKey"], "kept");
    let (status, _) = baton.terminate().await;
    assert!(status.success());
}

#[tokio::test]
async fn an_invalid_model_to_deploy_stops_it_with_the_problem() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let bad = MODEL.replace(r#"camunda:topic="work" "#, "");
    write_model(dir.path(), "bad.bpmn", &bad);
    write_model(dir.path(), "worse.bpmn", &bad.replace("served", "worse"));
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--port", "0", "--db", ":memory:", "--deploy"])
        .arg(dir.path())
        .output()
        .await
        .expect("baton runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.bpmn:6:"), "{stderr}");
    assert!(
        stderr.contains("worse.bpmn:6:"),
        "every invalid file: {stderr}"
    );
    assert!(stderr.contains("nothing was deployed"), "{stderr}");
    assert!(out.stdout.is_empty(), "it never listened");

    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--port", "0", "--db", ":memory:", "--deploy"])
        .arg(dir.path().join("missing"))
        .output()
        .await
        .expect("baton runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
}

#[tokio::test]
async fn slow_connections_under_a_low_file_limit_neither_starve_others_nor_stay_open() {
    // Bounds of 3 s: a normal request must be answered well before any slow
    // connection could have timed out, so only making room for it can answer it.
    let bound = Duration::from_secs(3);
    let baton = serve_with_file_limit(
        256,
        &[
            "--port",
            "0",
            "--db",
            ":memory:",
            "--header-timeout",
            "3s",
            "--idle-timeout",
            "3s",
        ],
        &[("BATON_BODY_TIMEOUT", "3s")],
    )
    .await;
    let addr = baton
        .url
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .expect("an address")
        .to_owned();
    // 360 connections, far more than 256 open files (and few enough that all of
    // them fit in the kernel's backlog of a server that stopped accepting): 100
    // stop in the middle of a body, 130 in the middle of a header, 130 send
    // nothing.
    let mut slow = Vec::new();
    for i in 0..360 {
        let mut tcp = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::TcpStream::connect(&addr),
        )
        .await
        .expect("the server takes connections")
        .expect("a connection");
        let sent: &[u8] = match i {
            0..100 => {
                b"POST /engine-rest/signal HTTP/1.1\r\nHost: baton\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\": "
            }
            100..230 => b"GET /engine-rest/version HTTP/1.1\r\nHost: bat",
            _ => b"",
        };
        tcp.write_all(sent).await.expect("sent");
        slow.push((i < 100, tcp));
    }

    // A normal request is answered at once.
    let answer = tokio::time::timeout(
        bound * 2 / 3,
        reqwest::get(format!("{}/version", baton.url)),
    )
    .await
    .expect("a normal request is answered while the slow connections are open")
    .expect("GET /version");
    assert_eq!(answer.status(), 200);

    // Every slow connection is closed, those with half a body after a 408.
    let mut closing = tokio::task::JoinSet::new();
    for (half_body, mut tcp) in slow {
        closing.spawn(async move {
            let mut received = Vec::new();
            let read =
                tokio::time::timeout(Duration::from_secs(20), tcp.read_to_end(&mut received)).await;
            assert!(read.is_ok(), "a slow connection is still open after 20 s");
            if half_body {
                let text = String::from_utf8_lossy(&received);
                assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
            }
        });
    }
    while let Some(done) = closing.join_next().await {
        done.expect("a slow connection");
    }
    let (status, stderr) = baton.terminate().await;
    assert!(status.success(), "exit {status}: {stderr}");
}

#[tokio::test]
async fn a_database_file_replaced_under_it_stops_it_with_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_model(dir.path(), "served.bpmn", MODEL);
    let db = dir.path().join("b.db");
    let mut served = serve(
        &[
            "--port",
            "0",
            "--db",
            db.to_str().expect("a UTF-8 path"),
            "--deploy",
            dir.path()
                .join("served.bpmn")
                .to_str()
                .expect("a UTF-8 path"),
        ],
        &[],
    )
    .await;
    let started = served
        .post("/process-definition/key/served/start", json!({}))
        .await;
    assert!(started["id"].is_string(), "{started}");

    // A backup moved into place over the live file: another file, same name.
    let restored = dir.path().join("restored.db");
    std::fs::write(&restored, b"a restored database").expect("a file");
    std::fs::rename(&restored, &db).expect("moved over the database");

    // Idle, it notices within its 50 ms look, and exits.
    let status = tokio::time::timeout(Duration::from_secs(20), served.child.wait())
        .await
        .expect("baton stops by itself")
        .expect("an exit status");
    assert_eq!(status.code(), Some(1), "an error exit");
    let mut err = String::new();
    if let Some(mut e) = served.child.stderr.take() {
        e.read_to_string(&mut err).await.expect("stderr");
    }
    assert!(err.contains("b.db was replaced by another file"), "{err}");
    assert_eq!(
        std::fs::read(&db).expect("the new file"),
        b"a restored database",
        "the file now at the path is not written"
    );
}

#[tokio::test]
async fn the_default_log_says_what_was_deployed_and_sums_up_activity() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_model(dir.path(), "served.bpmn", MODEL);
    let baton = serve(
        &[
            "--port",
            "0",
            "--db",
            ":memory:",
            "--deploy",
            dir.path()
                .join("served.bpmn")
                .to_str()
                .expect("a UTF-8 path"),
            "--summary-every",
            "200ms",
        ],
        &[],
    )
    .await;
    for _ in 0..3 {
        baton
            .post("/process-definition/key/served/start", json!({}))
            .await;
    }
    // Two summaries' time: one with the starts, then a quiet one that logs nothing.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (status, stderr) = baton.terminate().await;
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("deployed served v1 (served.bpmn)"),
        "{stderr}"
    );
    let summaries: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("in the last 200 ms"))
        .collect();
    // The starts fall in one period, or straddle two; the quiet ones log nothing.
    assert!(
        (1..=2).contains(&summaries.len()),
        "only when something happened: {stderr}"
    );
    let started: u64 = summaries
        .iter()
        .filter_map(|l| {
            let (_, rest) = l.split_once("instances_started=")?;
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert_eq!(started, 3, "{stderr}");
    assert!(
        summaries
            .iter()
            .all(|l| l.contains(" 0 external task(s) completed, 0 incident(s)")),
        "{stderr}"
    );
}
