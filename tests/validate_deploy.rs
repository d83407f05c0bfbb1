//! Validation and deployment never disagree: every model `baton validate` accepts
//! deploys, and every model deployment refuses, validation refused first, with
//! the same problems, each with a line and a column.
//!
//! The models are the fixtures of `bpmn/test_data/` and mutations of them that
//! put every kind of timer text (valid, invalid, expressions) into every timer
//! definition of every kind, and that take away or change the names of messages
//! and signals: deployment schedules a process's timer start events and
//! subscribes its message and signal start events, so these are what it reads
//! beyond the parse.

use std::path::Path;
use std::sync::Arc;

use baton::bpmn::{Limits, Problem};
use baton::engine::{Config, Engine, Error, ManualClock, NewDeployment};

/// 2026-03-10T08:30:00Z: the engine's clock while deploying.
const NOW: i64 = 1_773_131_400_000;

/// Timer texts: what Camunda Modeler users write, what they get wrong, and
/// expressions of every kind deployment can meet.
const TIMER_TEXTS: &[&str] = &[
    "PT5M",
    "P1D",
    "R10/PT5S",
    "R/PT5S",
    "R0/PT1S",
    "R3/PT10M",
    "R3/2030-01-01T00:00:00Z/PT1H",
    "R3/PT1H/2030-01-01T00:00:00Z",
    "R2/2020-01-01T00:00:00Z/PT1H",
    "PT1H/2030-01-01T00:00:00Z",
    "2030-01-01T00:00:00Z/PT1H",
    "2030-01-01T00:00:00Z/2030-01-02T00:00:00Z",
    "2030-01-01T00:00:00Z",
    "2030-01-01T10:00:00+02:00",
    "2030-01-01",
    "2020-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0 0/5 * * * ?",
    "0 0 9 ? * MON-FRI",
    "0 0 12 * * ? 2020",
    "P1000Y",
    "P2000Y",
    "PT5 M",
    "5 minutes",
    "R/PT0S",
    "R-1/PT1M",
    "0 60 * * * ?",
    "${'PT5M'}",
    "${'2030-01-01T00:00:00Z'}",
    "${'R3/PT1M'}",
    "R3/${'PT'}10M",
    "${now()}",
    "${dateTime()}",
    "${delay}",
    "#{cycle}",
    "${execution.getVariable('due')}",
    "${execution.getBusinessKey()}",
    "${1 + 1}",
    "${true ? 'PT5M' : 'PT1H'}",
    "${null}",
    "${x +}",
    "${bean.method()}",
    "${'tomorrow'}",
];

const TIMER_ELEMENTS: &[&str] = &["timeDate", "timeDuration", "timeCycle"];

/// Every fixture, by name and content.
fn fixtures() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("bpmn/test_data");
    let mut out = Vec::new();
    for dir in ["ok", "err"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("the fixture folder")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "bpmn"))
            .collect();
        paths.sort();
        for path in paths {
            let name = format!(
                "{dir}/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            out.push((name, std::fs::read_to_string(&path).expect("a fixture")));
        }
    }
    out
}

/// The byte ranges of the timer texts in `xml`: `(start of the element's name,
/// end of its text)`, and the element's prefix.
fn timer_texts(xml: &str) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    for element in TIMER_ELEMENTS {
        let mut from = 0;
        while let Some(at) = xml[from..].find(&format!(":{element}")) {
            let name = from + at + 1;
            from = name;
            let open = xml[..name].rfind('<').unwrap_or(0);
            let prefix = xml[open + 1..name - 1].to_owned();
            if prefix.starts_with('/') {
                continue; // a closing tag
            }
            let Some(text_start) = xml[name..].find('>').map(|i| name + i + 1) else {
                continue;
            };
            let Some(text_end) = xml[text_start..].find('<').map(|i| text_start + i) else {
                continue;
            };
            found.push((open, text_end, prefix));
        }
    }
    found
}

/// `xml` with the `name` of every message and signal declaration replaced by
/// `name` (`None`: taken away).
fn with_declaration_names(xml: &str, name: Option<&str>) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest
        .find(":message ")
        .into_iter()
        .chain(rest.find(":signal "))
        .min()
    {
        let tag_end = rest[at..].find('>').map_or(rest.len(), |i| at + i);
        let tag = &rest[at..tag_end];
        out.push_str(&rest[..at]);
        match tag.find(" name=\"") {
            Some(start) => {
                let value_end = tag[start + 7..]
                    .find('"')
                    .map_or(tag.len(), |i| start + 7 + i);
                out.push_str(&tag[..start]);
                if let Some(name) = name {
                    out.push_str(&format!(" name=\"{name}\""));
                }
                out.push_str(&tag[(value_end + 1).min(tag.len())..]);
            }
            None => out.push_str(tag),
        }
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    out
}

/// `xml` with the timer text at `range` replaced by `<prefix:element>text`.
fn with_timer(xml: &str, range: &(usize, usize, String), element: &str, text: &str) -> String {
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;");
    let (start, end, prefix) = range;
    // The closing tag follows the text: rename it too.
    let rest = &xml[*end..];
    let close_end = rest.find('>').map_or(0, |i| i + 1);
    format!(
        "{}<{prefix}:{element}>{escaped}</{prefix}:{element}>{}",
        &xml[..*start],
        &rest[close_end..]
    )
}

fn report(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  {p}\n")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_and_deployment_agree_on_every_fixture_and_timer_text() {
    let clock = Arc::new(ManualClock::new(NOW));
    let engine = Engine::open(Config::memory().clock(clock)).expect("an in-memory engine");
    let mut models = Vec::new();
    for (name, xml) in fixtures() {
        for range in timer_texts(&xml) {
            for element in TIMER_ELEMENTS {
                for text in TIMER_TEXTS {
                    let mutated = with_timer(&xml, &range, element, text);
                    models.push((format!("{name} with <{element}>{text}"), mutated));
                }
            }
        }
        if xml.contains(":message ") || xml.contains(":signal ") {
            for (label, replacement) in [
                ("no names", None),
                ("expression names", Some("${name}")),
                ("empty names", Some("")),
            ] {
                models.push((
                    format!("{name} with {label}"),
                    with_declaration_names(&xml, replacement),
                ));
            }
        }
        models.push((name, xml));
    }
    assert!(models.len() > 1_000, "only {} models", models.len());

    let (mut valid, mut refused) = (0, 0);
    for (name, xml) in &models {
        let parsed = baton::bpmn::parse_bytes(xml.as_bytes(), &Limits::default());
        let deployed = engine
            .deploy(NewDeployment {
                resources: vec![("model.bpmn".into(), xml.clone().into_bytes())],
                ..Default::default()
            })
            .await;
        match (&parsed, deployed) {
            (Ok(_), Ok(_)) => valid += 1,
            (Err(invalid), Err(Error::Deployment { problems, .. })) => {
                assert_eq!(problems, invalid.problems(), "{name}");
                assert!(
                    problems.iter().all(|p| p.position.line > 0),
                    "{name}:\n{}",
                    report(&problems)
                );
                refused += 1;
            }
            (Ok(_), Err(error)) => {
                panic!("{name}: validation accepts it, deployment refuses it: {error}")
            }
            (Err(invalid), other) => panic!(
                "{name}: validation refuses it:\n{}deployment answers {other:?}",
                report(invalid.problems())
            ),
        }
    }
    // Both outcomes are exercised.
    assert!(
        valid > 200 && refused > 200,
        "{valid} valid, {refused} refused"
    );
}

/// Issue 13: the JavaScript client's order example starts with a timer start event
/// whose timeDuration is `R10/PT5S`. Camunda reads a timeDuration with
/// `DurationHelper`, whose first date after now is five seconds later, and repeats
/// only cycle timers: the process starts once, five seconds after deployment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeating_time_duration_starts_the_process_once_after_its_period() {
    use baton::engine::{InstanceQuery, JobQuery};

    let clock = Arc::new(ManualClock::new(NOW));
    let engine = Engine::open(Config::memory().clock(clock.clone())).expect("an engine");
    let xml = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("bpmn/test_data/ok/timer-duration-intervals.bpmn"),
    )
    .expect("the fixture");
    engine
        .deploy(NewDeployment {
            resources: vec![("intervals.bpmn".into(), xml)],
            ..Default::default()
        })
        .await
        .expect("deployed");
    let start_jobs = || {
        engine.jobs(JobQuery {
            activity_id: Some("StartEvent_1".into()),
            ..Default::default()
        })
    };
    let started = || {
        engine.instances(InstanceQuery {
            definition_key: Some("TimerDurationIntervalsProcess".into()),
            ..Default::default()
        })
    };
    let jobs = start_jobs().await.expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].due_date, NOW + 5_000);

    clock.advance(4_999);
    engine.run_due_jobs().await.expect("ran");
    assert!(started().await.expect("instances").is_empty());
    clock.advance(1);
    engine.run_due_jobs().await.expect("ran");
    assert_eq!(started().await.expect("instances").len(), 1);
    // Not again: a timeDuration does not repeat, whatever its R says.
    assert!(start_jobs().await.expect("jobs").is_empty());
    clock.advance(3_600_000);
    engine.run_due_jobs().await.expect("ran");
    assert_eq!(started().await.expect("instances").len(), 1);
}
