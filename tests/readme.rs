//! The README's console examples, run as a reader would run them.
//!
//! Every ```` ```console ```` block of README.md is a session: `$ ` starts a command
//! (a trailing `\` continues it on the next line), the lines after it are what it
//! prints, with `...` standing for anything, and a line in parentheses is a comment.
//! Each block runs in a fresh folder that holds the repository's `bpmn/` and
//! `examples/`, with this build's `baton` first on the `PATH`. Two things differ from
//! a reader's terminal, and only these: `cargo run --release -- ` runs this build's
//! `baton` instead of building a release, and a `baton serve` runs in the background
//! on a free port, which then stands in for the README's `8080` everywhere in the
//! block. Every command's output must match what the README shows.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// One command of a session and what the README says it prints.
#[derive(Debug)]
struct Step {
    command: String,
    expected: String,
}

/// The console blocks of `readme`, each a list of steps.
fn sessions(readme: &str) -> Vec<Vec<Step>> {
    let mut sessions = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "```console" {
            continue;
        }
        let mut steps: Vec<Step> = Vec::new();
        let mut continued = false;
        for line in lines.by_ref() {
            if line.trim() == "```" {
                break;
            }
            if continued {
                let step = steps.last_mut().expect("a command before its continuation");
                step.command.push('\n');
                step.command.push_str(line);
                continued = line.ends_with('\\');
            } else if let Some(command) = line.strip_prefix("$ ") {
                steps.push(Step {
                    command: command.to_owned(),
                    expected: String::new(),
                });
                continued = command.ends_with('\\');
            } else if !line.trim().is_empty() && !line.trim_start().starts_with('(') {
                if let Some(step) = steps.last_mut() {
                    step.expected.push_str(line.trim_start());
                }
            }
        }
        sessions.push(steps);
    }
    sessions
}

/// Whether `text` matches `pattern`, in which `...` stands for any text.
fn matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    let (first, rest) = parts.split_first().expect("split yields a part");
    let Some(mut text) = text.strip_prefix(first) else {
        return false;
    };
    for (i, part) in rest.iter().enumerate() {
        if i + 1 == rest.len() {
            return text.ends_with(part);
        }
        match text.find(part) {
            Some(at) => text = &text[at + part.len()..],
            None => return false,
        }
    }
    text.is_empty()
}

/// Output as the README writes it: lines joined, their indentation dropped.
fn flatten(output: &str) -> String {
    output.lines().map(str::trim_start).collect()
}

/// A `baton serve` of the README, running in the background until dropped.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` (a `baton serve ...` line) in `dir` on a free port; answers the
/// process and the address it printed.
fn serve(command: &str, dir: &Path, path: &str) -> (Served, String) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("exec {command} --port 0"))
        .current_dir(dir)
        .env("PATH", path)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("baton serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("baton serve prints its address");
    (Served(child), line.trim().to_owned())
}

/// Marks the end of a command's output without changing `$?` for the next one.
const END: &str = "@@README-STEP-END@@";

#[test]
fn the_readme_console_examples_run_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let sessions = sessions(&readme);
    assert!(sessions.len() >= 3, "{sessions:?}");

    let bin = tempfile::tempdir().expect("a folder");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_baton"), bin.path().join("baton"))
        .expect("baton on the PATH");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );

    for steps in sessions {
        let dir = tempfile::tempdir().expect("a folder");
        for shared in ["bpmn", "examples"] {
            std::os::unix::fs::symlink(root.join(shared), dir.path().join(shared))
                .expect("the repository's models");
        }
        let mut servers = Vec::new();
        let mut address = None;
        let mut script = String::new();
        let mut checked = Vec::new();
        for step in &steps {
            let command = step.command.replace("cargo run --release -- ", "baton ");
            if command.starts_with("baton serve") {
                let (served, line) = serve(&command, dir.path(), &path);
                let at = line
                    .split("http://")
                    .nth(1)
                    .and_then(|a| a.split('/').next())
                    .unwrap_or_else(|| panic!("`{command}` printed `{line}`"))
                    .to_owned();
                let expected = step.expected.replace("127.0.0.1:8080", &at);
                assert!(matches(&expected, &line), "`{command}` printed `{line}`");
                address = Some(at);
                servers.push(served);
                continue;
            }
            let command = match &address {
                Some(at) => command.replace("127.0.0.1:8080", at),
                None => command,
            };
            script.push_str(&format!(
                "{command}\n__status=$?; printf '\\n{END}\\n'; (exit $__status)\n"
            ));
            checked.push((command, step));
        }
        let out = Command::new("bash")
            .arg("-c")
            .arg(&script)
            .current_dir(dir.path())
            .env("PATH", &path)
            .output()
            .expect("bash runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let outputs: Vec<&str> = stdout.split(&format!("\n{END}\n")).collect();
        for (i, (command, step)) in checked.iter().enumerate() {
            let actual = flatten(outputs.get(i).copied().unwrap_or_default());
            let expected = match &address {
                Some(at) => step.expected.replace("127.0.0.1:8080", at),
                None => step.expected.clone(),
            };
            assert!(
                matches(&expected, &actual),
                "`{command}`\nprinted:  {actual}\nREADME:   {expected}\nstderr: {stderr}"
            );
        }
        drop(servers);
    }
}

#[test]
fn a_pattern_matches_with_ellipses_only() {
    assert!(matches("abc", "abc"));
    assert!(!matches("abc", "abcd"));
    assert!(matches("a...c", "abbbc"));
    assert!(matches("...", "anything"));
    assert!(matches(
        "{\"id\":\"...\",\"x\":1}",
        "{\"id\":\"42\",\"x\":1}"
    ));
    assert!(!matches(
        "{\"id\":\"...\",\"x\":1}",
        "{\"id\":\"42\",\"x\":2}"
    ));
    assert!(matches("", ""));
    assert!(!matches("", "output the README does not show"));
}
