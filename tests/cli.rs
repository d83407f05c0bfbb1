//! `baton validate` as users and CI pipelines run it: the real binary on real
//! files, checking the printed format and the exit code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(kind: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("bpmn/test_data")
        .join(kind)
        .join(format!("{name}.bpmn"))
}

fn baton(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("validate")
        .args(args)
        .output()
        .expect("baton runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

#[test]
fn a_valid_file_exits_zero_with_a_summary() {
    let file = fixture("ok", "hotel-reservation");
    let output = baton(&[&file]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        format!(
            "{}: valid: 1 executable process, 14 flow nodes\n",
            file.display()
        )
    );
}

#[test]
fn problems_are_printed_file_line_col_severity_code_message() {
    let file = fixture("err", "many-problems");
    let output = baton(&[&file]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let prefix = format!("{}:", file.display());
    assert!(lines.len() > 5, "every problem is printed:\n{text}");
    for line in &lines[..lines.len() - 1] {
        let rest = line
            .strip_prefix(&prefix)
            .expect("each line starts with the file");
        let mut parts = rest.splitn(3, ':');
        let line_number: u32 = parts
            .next()
            .and_then(|l| l.parse().ok())
            .expect("a line number");
        let column: u32 = parts.next().and_then(|c| c.parse().ok()).expect("a column");
        assert!(line_number >= 1 && column >= 1);
        let message = parts.next().expect("a message").trim_start();
        assert!(
            message.starts_with("error[") || message.starts_with("warning["),
            "{line}"
        );
    }
    assert_eq!(
        lines.last().copied(),
        Some(format!("{}: invalid: 7 errors, 1 warning", file.display()).as_str())
    );
    assert!(text.contains("error[java-only]: serviceTask 'Activity_1ic3jge' has camunda:class"));
}

#[test]
fn warnings_alone_do_not_fail() {
    let file = fixture("err", "exclusive-gateway-unconditioned");
    let output = baton(&[&file]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains(": warning[unconditioned-flow]: "));
}

#[test]
fn one_bad_file_among_good_ones_fails_the_run_and_each_file_is_summarised() {
    let good = fixture("ok", "client-creation");
    let bad = fixture("err", "no-start-event");
    let output = baton(&[&good, &bad, &good]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert_eq!(text.matches(": valid: ").count(), 2, "{text}");
    assert_eq!(text.matches(": invalid: ").count(), 1, "{text}");
}

#[test]
fn an_unreadable_file_is_named_and_fails() {
    let missing = Path::new("no/such/model.bpmn");
    let output = baton(&[missing]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).starts_with("no/such/model.bpmn: error: cannot read the file: "));
}

#[test]
fn hostile_files_are_refused() {
    for name in ["billion-laughs", "external-entity", "doctype-entities"] {
        let output = baton(&[&fixture("err", name)]);
        assert_eq!(output.status.code(), Some(1));
        assert!(stdout(&output).contains("error[doctype]"), "{name}");
    }
}

#[test]
fn no_file_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("validate")
        .output()
        .expect("baton runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("FILE"));
}

#[test]
fn a_folder_stands_for_the_models_in_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let nested = dir.path().join("nested");
    std::fs::create_dir(&nested).expect("a folder");
    std::fs::copy(fixture("ok", "hotel-reservation"), nested.join("a.bpmn")).expect("copy");
    std::fs::copy(fixture("ok", "client-creation"), dir.path().join("b.bpmn")).expect("copy");
    std::fs::write(dir.path().join("notes.txt"), "not a model").expect("write");
    let output = baton(&[dir.path()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let out = stdout(&output);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.contains("a.bpmn: valid") && out.contains("b.bpmn: valid"),
        "{out}"
    );

    let empty = tempfile::tempdir().expect("a temporary directory");
    let output = baton(&[empty.path()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no .bpmn files"));
}
