//! What the benches that drive `baton serve` from outside share: the model, the
//! server process, and its memory as `/proc` reports it. Each bench uses a part.

#![allow(dead_code)]

use std::path::Path;
use std::process::Stdio;

use tokio::io::AsyncBufReadExt;

/// start -> external task (topic `step`) -> end, as process `simple`.
pub(crate) const MODEL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="bench">
  <bpmn:process id="simple" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:serviceTask id="work" camunda:type="external" camunda:topic="step" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"#;

/// `baton serve` on a fresh database file in `dir`, with [`MODEL`] deployed: the
/// process, its pid and the API's URL once it printed it.
pub(crate) async fn serve(dir: &Path) -> (tokio::process::Child, u32, String) {
    serve_models(dir, &[("simple.bpmn", MODEL)]).await
}

/// As [`serve`], deploying `models` (file name, XML) instead.
pub(crate) async fn serve_models(
    dir: &Path,
    models: &[(&str, &str)],
) -> (tokio::process::Child, u32, String) {
    serve_with(dir, models, &[]).await
}

/// As [`serve_models`], with more arguments for `baton serve` (`--auth basic`).
pub(crate) async fn serve_with(
    dir: &Path,
    models: &[(&str, &str)],
    args: &[&str],
) -> (tokio::process::Child, u32, String) {
    let mut command = tokio::process::Command::new(binary());
    command
        .args(["serve", "--port", "0", "--db"])
        .arg(dir.join("bench.db"))
        .args(args);
    for (name, xml) in models {
        let model = dir.join(name);
        std::fs::write(&model, xml).expect("the model");
        command.arg("--deploy").arg(&model);
    }
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("baton serve");
    let pid = child.id().expect("a pid");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = lines
        .next_line()
        .await
        .expect("stdout")
        .expect("the address line");
    let url = line
        .rsplit(' ')
        .next()
        .expect("an address")
        .trim()
        .to_owned();
    (child, pid, url)
}

/// The `baton` binary the benches start: the one Cargo built with them, or the one
/// `BATON_BENCH_BINARY` names (to run the same driver against another build).
pub(crate) fn binary() -> std::path::PathBuf {
    std::env::var_os("BATON_BENCH_BINARY")
        .map_or_else(|| env!("CARGO_BIN_EXE_baton").into(), Into::into)
}

/// `VmRSS` and `VmHWM` of a process, in KiB.
pub(crate) fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
