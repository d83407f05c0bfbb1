//! The codebase's invariants, checked on every `cargo test`.
//!
//! Conventions that live only in a contributing guide drift; conventions a
//! test enforces do not. In the style of rust-analyzer's tidy test, this file
//! walks the repository's Rust sources and its resolved dependency graph and
//! fails, naming the file and line, when one of them is broken:
//!
//! - every `.rs` file opens with a `//!` comment saying why it exists;
//! - no debugging leftovers (`dbg!` calls), no silenced tests (ignore or
//!   should-panic attributes), no trailing whitespace, no tabs;
//! - no `todo!` or `unimplemented!` outside tests;
//! - the crates depend on each other in one direction only: the parser knows
//!   nothing of execution, the engine knows nothing of HTTP, and nothing
//!   depends on the server;
//! - `Cargo.lock` is committed and every member inherits the workspace lints;
//! - every dependency can be used under a permissive licence;
//! - every REST handler takes the caller (`who: Who`), so none can skip the
//!   authorization and tenant checks;
//! - the console's vendored third-party files are exactly what
//!   `scripts/vendor-console.sh` recorded, each with its licence beside it.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What `baton-bpmn` must never pull in, even indirectly. The parser knows
/// nothing of execution: no async runtime, no database, no HTTP. That keeps
/// it small enough to embed in an editor or a linter, cheap to fuzz, and
/// honest about its job (turning XML into a model). Any `baton-*` crate is
/// forbidden as well; see [`BATON_PREFIX`].
const BPMN_FORBIDDEN: &[&str] = &["tokio", "rusqlite", "axum", "hyper"];

/// The prefix of the workspace's own crates: the parser depends on none of
/// them, since every other one sits on top of it.
const BATON_PREFIX: &str = "baton-";

/// What `baton-engine` must never pull in, even indirectly. The engine knows
/// nothing of HTTP: the REST server is a thin layer over the engine's API,
/// and the engine must stay usable embedded, with no web stack attached.
const ENGINE_FORBIDDEN: &[&str] = &["axum", "hyper", "http", "baton-server"];

/// The top of the stack, which the crates below must never depend on, not
/// even as a dev-dependency: a test of the engine through the REST API
/// belongs in the server.
const SERVER: &str = "baton-server";

/// The crates below [`SERVER`].
const BELOW_SERVER: &[&str] = &["baton-bpmn", "baton-engine"];

/// The needles below are assembled with `concat!` so that this file, which
/// names them, does not match them itself.
const DBG: &str = concat!("dbg", "!(");
const IGNORE: &str = concat!("#[", "ignore");
const SHOULD_PANIC: &str = concat!("#[", "should_panic");
const TODO: &str = concat!("todo", "!(");
const UNIMPLEMENTED: &str = concat!("unimplemented", "!(");
const CFG_TEST: &str = concat!("#[cfg(", "test)]");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `dir`, skipping `target/` and hidden directories,
/// sorted so that failures come in a stable order.
fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry"))
        .collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        let kind = entry.file_type().expect("a file type");
        if kind.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, files);
            }
        } else if kind.is_file() && name.ends_with(".rs") {
            files.push(path);
        }
    }
}

/// Each Rust source: its path relative to the root, for messages, and its text.
fn sources() -> Vec<(String, String)> {
    let root = root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(
        files.len() > 5,
        "found only {} .rs files under {}",
        files.len(),
        root.display()
    );
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let relative = path
                .strip_prefix(&root)
                .expect("a path under the root")
                .display()
                .to_string();
            (relative, text)
        })
        .collect()
}

/// Whether a whole file is test code: an integration test, or a test
/// module kept in its own file.
fn is_test_file(relative: &str) -> bool {
    let path = Path::new(relative);
    path.components().any(|c| c.as_os_str() == "tests")
        || path
            .file_name()
            .is_some_and(|name| name == "tests.rs" || name == "test.rs")
}

/// Fails with every violation found, one per line.
fn report(what: &str, violations: &[String]) {
    assert!(
        violations.is_empty(),
        "{what}:\n{}\n",
        violations.join("\n")
    );
}

#[test]
fn every_file_says_why_it_exists() {
    let violations: Vec<String> = sources()
        .into_iter()
        .filter(|(_, text)| !text.starts_with("//!"))
        .map(|(path, _)| format!("{path}:1: does not start with a `//!` comment"))
        .collect();
    report(
        "every .rs file must open with a `//!` comment explaining why it exists",
        &violations,
    );
}

#[test]
fn no_leftovers_and_no_silenced_tests() {
    let mut violations = Vec::new();
    for (path, text) in sources() {
        for (index, line) in text.split('\n').enumerate() {
            let line_number = index + 1;
            let mut found = |message: &str| {
                violations.push(format!("{path}:{line_number}: {message}"));
            };
            if line.contains(DBG) {
                found("a `dbg!` call");
            }
            if line.contains(IGNORE) {
                found("an ignored test: fix it or delete it");
            }
            if line.contains(SHOULD_PANIC) {
                found("a should-panic test: assert on a returned error instead");
            }
            if line.ends_with(char::is_whitespace) {
                found("trailing whitespace (or a CRLF line ending)");
            }
            if line.contains('\t') {
                found("a tab: indent with spaces");
            }
        }
    }
    report("leftovers in the sources", &violations);
}

#[test]
fn no_todo_outside_tests() {
    let mut violations = Vec::new();
    for (path, text) in sources() {
        if is_test_file(&path) {
            continue;
        }
        for (index, line) in text.split('\n').enumerate() {
            // By convention a file's tests are its last item, so whatever
            // follows the first `#[cfg(test)]` is test code.
            if line.trim_start().starts_with(CFG_TEST) {
                break;
            }
            for needle in [TODO, UNIMPLEMENTED] {
                if line.contains(needle) {
                    violations.push(format!("{path}:{}: `{needle}` outside tests", index + 1));
                }
            }
        }
    }
    report("unfinished code outside tests", &violations);
}

/// REST handlers that take no caller: each answers the same to everyone who got
/// past authentication (or, for `GET /engine`, to anyone).
const UNGUARDED_HANDLERS: &[&str] = &[
    // `GET /engine` and `GET /version`: what the server is.
    "server/src/routes/misc.rs: engines",
    "server/src/routes/misc.rs: version",
    // `GET /baton/clock`: the engine's time.
    "server/src/routes/job.rs: clock",
    // `POST /identity/verify`: checks a password it is given, as Camunda's does
    // without an authorization check.
    "server/src/routes/identity.rs: verify",
    // The layer answering an empty id segment with a 404, before any handler.
    "server/src/routes/mod.rs: empty_segment",
];

#[test]
fn every_rest_handler_takes_the_caller() {
    let mut violations = Vec::new();
    let mut handlers = 0;
    for (path, text) in sources() {
        if !path.starts_with("server/src/routes/") {
            continue;
        }
        let mut rest = text.as_str();
        while let Some(at) = rest.find("async fn ") {
            rest = &rest[at + "async fn ".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let signature = rest.split(')').next().unwrap_or_default();
            let handler = signature.contains("State(");
            let label = format!("{path}: {name}");
            handlers += usize::from(handler);
            if handler
                && !signature.contains("who: Who")
                && !UNGUARDED_HANDLERS.contains(&label.as_str())
            {
                violations.push(format!(
                    "{label} serves a request without taking `who: Who` (see server/src/guard.rs)"
                ));
            }
        }
    }
    assert!(
        handlers > 100,
        "only {handlers} handlers found: is the search broken?"
    );
    report("handlers without the caller", &violations);
}

#[test]
fn vendored_console_assets_match_their_checksums() {
    let vendor = root().join("console/vendor");
    let sums = std::fs::read_to_string(vendor.join("SHA256SUMS"))
        .expect("console/vendor/SHA256SUMS, written by scripts/vendor-console.sh");
    let mut violations = Vec::new();
    let mut listed = BTreeSet::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let Some((hash, name)) = line.split_once("  ") else {
            violations.push(format!("SHA256SUMS: unreadable line {line:?}"));
            continue;
        };
        listed.insert(name.to_owned());
        match std::fs::read(vendor.join(name)) {
            Ok(bytes) => {
                let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
                let actual: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
                if actual != hash {
                    violations.push(format!(
                        "console/vendor/{name} changed: run scripts/vendor-console.sh rather \
                         than editing a vendored file"
                    ));
                }
            }
            Err(e) => violations.push(format!("console/vendor/{name}: {e}")),
        }
    }
    // Every vendored package carries its licence, and nothing unlisted hides there.
    let mut files = Vec::new();
    let mut stack = vec![vendor.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a vendor folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.join("LICENSE").is_file() {
                    violations.push(format!("{}: no LICENSE", path.display()));
                }
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    for file in files {
        let name = file
            .strip_prefix(&vendor)
            .expect("under vendor")
            .to_string_lossy()
            .replace('\\', "/");
        if name != "SHA256SUMS" && !listed.contains(&name) {
            violations.push(format!("console/vendor/{name} is not in SHA256SUMS"));
        }
    }
    assert!(
        listed.len() >= 4,
        "SHA256SUMS lists only {} files",
        listed.len()
    );
    report("vendored console assets", &violations);
}

#[test]
fn cargo_lock_is_committed() {
    let lock = root().join("Cargo.lock");
    assert!(
        lock.is_file(),
        "{} is missing: Baton ships binaries, so its lock file is part of the source",
        lock.display()
    );
}

/// The resolved dependency graph, from `cargo metadata`.
struct Graph {
    /// Package id to package name.
    names: HashMap<String, String>,
    /// Package id to its dependencies: (package id, whether it is a normal
    /// dependency, as opposed to only a dev- or build-dependency).
    deps: HashMap<String, Vec<(String, bool)>>,
    /// The workspace members: package name to package id and manifest path.
    members: HashMap<String, (String, PathBuf)>,
    /// Package name and version to its SPDX licence expression (empty when none).
    licenses: Vec<(String, String)>,
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("cargo metadata: no string `{key}` in {value}"))
}

fn array_of<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("cargo metadata: no array `{key}` in {value}"))
}

fn metadata() -> Graph {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(root())
        .output()
        .expect("cannot run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata: not JSON");

    let packages = array_of(&json, "packages");
    let names: HashMap<String, String> = packages
        .iter()
        .map(|p| (str_of(p, "id").to_owned(), str_of(p, "name").to_owned()))
        .collect();
    let manifests: HashMap<&str, &str> = packages
        .iter()
        .map(|p| (str_of(p, "id"), str_of(p, "manifest_path")))
        .collect();
    let members = array_of(&json, "workspace_members")
        .iter()
        .map(|id| {
            let id = id
                .as_str()
                .expect("cargo metadata: a member id is not a string");
            (
                names[id].clone(),
                (id.to_owned(), PathBuf::from(manifests[id])),
            )
        })
        .collect();

    let mut deps = HashMap::new();
    for node in array_of(&json["resolve"], "nodes") {
        let edges = array_of(node, "deps")
            .iter()
            .map(|dep| {
                let normal = array_of(dep, "dep_kinds")
                    .iter()
                    .any(|kind| kind["kind"].is_null());
                (str_of(dep, "pkg").to_owned(), normal)
            })
            .collect();
        deps.insert(str_of(node, "id").to_owned(), edges);
    }
    let licenses = packages
        .iter()
        .map(|p| {
            (
                format!("{} {}", str_of(p, "name"), str_of(p, "version")),
                p["license"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    Graph {
        names,
        deps,
        members,
        licenses,
    }
}

impl Graph {
    /// The id of the workspace member `name`.
    fn member_id(&self, name: &str) -> &str {
        let (id, _) = self
            .members
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not a workspace member"));
        assert!(
            self.deps.contains_key(id),
            "{name} is not in the resolved graph"
        );
        id
    }

    /// The names of every package `name` depends on, directly or not,
    /// through normal dependencies only or (when `any_kind`) through
    /// dev- and build-dependencies as well.
    fn reachable(&self, name: &str, any_kind: bool) -> BTreeSet<&str> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![self.member_id(name)];
        while let Some(id) = todo.pop() {
            for (dep, normal) in self.deps.get(id).map_or(&[][..], Vec::as_slice) {
                if (*normal || any_kind) && seen.insert(dep.as_str()) {
                    todo.push(dep);
                }
            }
        }
        seen.into_iter().map(|id| self.names[id].as_str()).collect()
    }
}

#[test]
fn crates_depend_on_each_other_in_one_direction() {
    let graph = metadata();

    // The walk finds what it should, so an empty answer below means something.
    let bpmn = graph.reachable("baton-bpmn", false);
    assert!(bpmn.contains("quick-xml"), "baton-bpmn: {bpmn:?}");
    let server = graph.reachable(SERVER, false);
    assert!(server.contains("baton-bpmn"), "{SERVER}: {server:?}");

    let mut violations = Vec::new();
    for dep in &bpmn {
        if BPMN_FORBIDDEN.contains(dep) || dep.starts_with(BATON_PREFIX) {
            violations.push(format!(
                "baton-bpmn depends on {dep}: the parser knows nothing of execution"
            ));
        }
    }
    for dep in graph.reachable("baton-engine", false) {
        if ENGINE_FORBIDDEN.contains(&dep) {
            violations.push(format!(
                "baton-engine depends on {dep}: the engine knows nothing of HTTP"
            ));
        }
    }
    for below in BELOW_SERVER {
        if graph.reachable(below, true).contains(SERVER) {
            violations.push(format!(
                "{below} depends on {SERVER}, even if only for tests or builds: \
                 nothing depends on the server"
            ));
        }
    }
    report("the dependency direction is broken", &violations);
}

/// The licences a dependency may be used under: permissive ones only. Unicode-3.0
/// is the Unicode data licence (MIT-like); it reaches the graph through
/// `unicode-ident`, which every derive macro uses, and through the IDNA tables of
/// `url` in the test-only HTTP client.
const ALLOWED_LICENSES: &[&str] = &[
    "MIT",
    "Apache-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Unlicense",
    "Zlib",
    "0BSD",
    "Unicode-3.0",
];

/// Whether an SPDX expression (`A OR B`, `A AND B`, parentheses, the old `A/B`,
/// `A WITH exception`) can be satisfied with [`ALLOWED_LICENSES`] alone.
fn license_allowed(expression: &str) -> bool {
    fn or(tokens: &[String], at: &mut usize) -> bool {
        let mut ok = and(tokens, at);
        while tokens.get(*at).is_some_and(|t| t == "OR") {
            *at += 1;
            ok |= and(tokens, at);
        }
        ok
    }
    fn and(tokens: &[String], at: &mut usize) -> bool {
        let mut ok = term(tokens, at);
        while tokens.get(*at).is_some_and(|t| t == "AND") {
            *at += 1;
            ok &= term(tokens, at);
        }
        ok
    }
    fn term(tokens: &[String], at: &mut usize) -> bool {
        let Some(token) = tokens.get(*at) else {
            return false;
        };
        *at += 1;
        if token == "(" {
            let ok = or(tokens, at);
            *at += 1; // ")"
            return ok;
        }
        if tokens.get(*at).is_some_and(|t| t == "WITH") {
            *at += 2; // An exception only widens what the licence allows.
        }
        ALLOWED_LICENSES.contains(&token.as_str())
    }
    let spaced = expression
        .replace('/', " OR ")
        .replace('(', " ( ")
        .replace(')', " ) ");
    let tokens: Vec<String> = spaced.split_whitespace().map(str::to_owned).collect();
    let mut at = 0;
    !tokens.is_empty() && or(&tokens, &mut at) && at == tokens.len()
}

#[test]
fn every_dependency_has_a_permissive_licence() {
    let graph = metadata();
    let own: BTreeSet<&str> = graph.members.keys().map(String::as_str).collect();
    let violations: Vec<String> = graph
        .licenses
        .iter()
        .filter(|(package, _)| !own.contains(package.split(' ').next().unwrap_or("")))
        .filter(|(_, license)| !license_allowed(license))
        .map(|(package, license)| format!("{package}: licence `{license}`"))
        .collect();
    report("a dependency is not permissively licensed", &violations);
}

#[test]
fn licence_expressions_are_read_as_spdx() {
    assert!(license_allowed("MIT OR Apache-2.0"));
    assert!(license_allowed("MIT/Apache-2.0"));
    assert!(license_allowed("Apache-2.0 WITH LLVM-exception OR MIT"));
    assert!(license_allowed("(MIT OR Apache-2.0) AND Unicode-3.0"));
    assert!(license_allowed("MIT OR Apache-2.0 OR LGPL-2.1-or-later"));
    assert!(!license_allowed("AGPL-3.0-only"));
    assert!(!license_allowed("MIT AND GPL-2.0"));
    assert!(!license_allowed(""));
}

/// Whether a manifest inherits the workspace lints: `[lints]` with
/// `workspace = true`, or `lints.workspace = true` outside any table.
fn inherits_workspace_lints(manifest: &str) -> bool {
    let mut table = String::new();
    for line in manifest.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.starts_with('[') {
            table = compact;
        } else if (table == "[lints]" && compact == "workspace=true")
            || (table.is_empty() && compact == "lints.workspace=true")
        {
            return true;
        }
    }
    false
}

#[test]
fn every_member_inherits_the_workspace_lints() {
    let graph = metadata();
    assert!(
        graph.members.len() >= 4,
        "expected the four crates among the members: {:?}",
        graph.members.keys()
    );
    let mut violations = Vec::new();
    let mut members: Vec<_> = graph.members.iter().collect();
    members.sort();
    for (name, (_, manifest)) in members {
        let text = std::fs::read_to_string(manifest)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
        if !inherits_workspace_lints(&text) {
            violations.push(format!(
                "{}: {name} lacks `[lints] workspace = true`",
                manifest.display()
            ));
        }
    }
    report("every member must inherit the workspace lints", &violations);
}

#[test]
fn the_lints_check_reads_manifests_as_cargo_does() {
    assert!(inherits_workspace_lints(
        "[package]\nname = \"a\"\n\n[lints]\nworkspace = true\n"
    ));
    assert!(inherits_workspace_lints(
        "lints.workspace = true\n[package]\n"
    ));
    assert!(inherits_workspace_lints(
        "[lints]\n  workspace=true # inherited\n"
    ));
    assert!(!inherits_workspace_lints("[package]\nworkspace = true\n"));
    assert!(!inherits_workspace_lints("[lints]\n# workspace = true\n"));
    assert!(!inherits_workspace_lints(
        "[lints.rust]\nworkspace = true\n"
    ));
}
