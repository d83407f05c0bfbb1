//! Data-driven tests over the BPMN fixtures in `test_data/`.
//!
//! - Every model in `test_data/ok/` parses; `test_data/ok.txt` records what
//!   each holds and any warnings, so a change in what the parser reads shows
//!   up in review.
//! - A handful of models have a full dump of their parsed model next to them
//!   (`NAME.model.txt`).
//! - Every model in `test_data/err/` has its report, exactly as `baton
//!   validate` prints it, in `NAME.txt`.
//!
//! After an intended change, refresh the expected files with
//! `UPDATE_EXPECT=1 cargo test -p baton-bpmn --test fixtures` and read the diff.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use baton_bpmn::Problem;
use expect_test::expect_file;

/// The fixtures whose whole parsed model is snapshot.
const SNAPSHOTS: &[&str] = &[
    "hotel-reservation",
    "client-creation",
    "user-task-form-data",
    "call-activity-bindings",
    "input-output-mapping",
    "boundary-error-events",
    "multi-instance-sequential-collection",
];

fn test_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data")
}

/// The `.bpmn` files in `dir`, sorted by name.
fn models(dir: &Path) -> Vec<PathBuf> {
    let mut models: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the fixture folder exists")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "bpmn"))
        .collect();
    models.sort();
    models
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

fn report(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("{p}\n")).collect()
}

#[test]
fn valid_models_parse() {
    let dir = test_data().join("ok");
    let models = models(&dir);
    assert!(
        models.len() >= 30,
        "the issue asks for at least 30 fixtures"
    );
    let mut summary = String::new();
    for path in &models {
        let source = std::fs::read_to_string(path).expect("a readable fixture");
        let parsed = baton_bpmn::parse(&source).unwrap_or_else(|error| {
            panic!(
                "{} should be valid:\n{}",
                path.display(),
                report(error.problems())
            )
        });
        let definitions = &parsed.definitions;
        let (nodes, flows) = definitions
            .processes
            .iter()
            .fold((0, 0), |(n, f), p| (n + p.nodes.len(), f + p.flows.len()));
        let processes: Vec<&str> = definitions
            .processes
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        writeln!(
            summary,
            "{}: processes [{}], {nodes} nodes, {flows} flows, diagram: {}",
            stem(path),
            processes.join(", "),
            definitions.has_diagram
        )
        .expect("writing to a string");
        for warning in &parsed.warnings {
            writeln!(summary, "  {warning}").expect("writing to a string");
        }
        assert!(
            definitions.has_diagram,
            "{} is written as Camunda Modeler writes it, with a diagram",
            path.display()
        );
    }
    expect_file![test_data().join("ok.txt")].assert_eq(&summary);
}

#[test]
fn parsed_models_match_their_snapshots() {
    for name in SNAPSHOTS {
        let path = test_data().join("ok").join(format!("{name}.bpmn"));
        let source = std::fs::read_to_string(&path).expect("a readable fixture");
        let parsed = baton_bpmn::parse(&source).expect("a valid fixture");
        let dump = format!("{:#?}\n", parsed.definitions);
        expect_file![test_data().join("ok").join(format!("{name}.model.txt"))].assert_eq(&dump);
    }
}

#[test]
fn invalid_models_report_every_problem() {
    let dir = test_data().join("err");
    for path in models(&dir) {
        let source = std::fs::read(&path).expect("a readable fixture");
        let problems = match baton_bpmn::parse_bytes(&source, &baton_bpmn::Limits::default()) {
            Ok(parsed) => parsed.warnings,
            Err(error) => error.into_problems(),
        };
        assert!(
            !problems.is_empty(),
            "{} should raise a problem",
            path.display()
        );
        expect_file![dir.join(format!("{}.txt", stem(&path)))].assert_eq(&report(&problems));
    }
}
