//! Asynchronous continuations (`camunda:asyncBefore`, `camunda:asyncAfter`): the
//! command that reaches one commits with the token parked and a job due; the job
//! continues in a transaction of its own, is retried when it fails, and raises a
//! `failedJob` incident at 0 retries, which new retries resolve.
//!
//! Most tests open the engine outside a tokio runtime, so that no job executor
//! runs and each job runs when the test says (`run_due_jobs`); the last lets the
//! executor run them on its own.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use baton_engine::{Config, Engine, JobQuery, ManualClock, Value};
use common::*;

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// An engine without a job executor, on a manual clock, and a runtime to drive it.
fn quiet_engine() -> (
    Engine,
    Arc<ManualClock>,
    tokio::runtime::Runtime,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    // Opened outside any runtime: no job executor is started.
    let engine =
        Engine::open(Config::file(dir.path().join("baton.db")).clock(clock.clone())).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    (engine, clock, rt, dir)
}

async fn jobs(engine: &Engine, instance: &str) -> Vec<baton_engine::Job> {
    engine
        .jobs(JobQuery {
            process_instance_id: Some(instance.to_owned()),
            ..JobQuery::default()
        })
        .await
        .unwrap()
}

/// The element ids of the transition instances of `instance`'s activity tree.
async fn parked(engine: &Engine, instance: &str) -> Vec<String> {
    fn walk(node: &baton_engine::ActivityInstance, out: &mut Vec<String>) {
        out.extend(node.transitions.iter().map(|t| t.activity_id.clone()));
        for c in &node.children {
            walk(c, out);
        }
    }
    let tree = engine.activity_instances(instance).await.unwrap();
    let mut out = Vec::new();
    walk(&tree, &mut out);
    out
}

/// The id of the job definition of `activity` with `configuration`.
async fn job_definition(engine: &Engine, activity: &str, configuration: &str) -> String {
    engine
        .job_definitions(baton_engine::DefinitionQuery::default())
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.activity_id == activity && d.job_configuration == configuration)
        .unwrap()
        .id
}

fn model(key: &str, attributes: &str, task: &str) -> String {
    model_with(key, attributes, task, "")
}

/// [`model`] with `inner` XML inside the task.
fn model_with(key: &str, attributes: &str, task: &str, inner: &str) -> String {
    process(
        key,
        &[
            start_ev("start"),
            format!(
                r#"<bpmn:serviceTask id="work" {attributes} {task}>{inner}</bpmn:serviceTask>"#
            ),
            ext("next", "next"),
            end_ev("end"),
            flow("f1", "start", "work"),
            flow("f2", "work", "next"),
            flow("f3", "next", "end"),
        ]
        .concat(),
    )
}

const EXTERNAL: &str = r#"camunda:type="external" camunda:topic="work""#;

#[test]
fn async_before_parks_the_token_until_its_job_runs() {
    let (engine, _clock, rt, _dir) = quiet_engine();
    rt.block_on(async {
        deploy(
            &engine,
            &[(
                "a.bpmn",
                &model("a", r#"camunda:asyncBefore="true""#, EXTERNAL),
            )],
        )
        .await;
        let id = start(&engine, "a", &[]).await;
        // The start committed with the token before `work`: no task yet, a job due.
        assert!(open_tasks(&engine, &id).await.is_empty());
        let pending = jobs(&engine, &id).await;
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].activity_id, "work");
        assert_eq!(pending[0].retries, 3);
        assert_eq!(pending[0].due_date, T0);
        assert_eq!(
            pending[0].job_definition_id,
            job_definition(&engine, "work", "async-before").await
        );
        assert_eq!(parked(&engine, &id).await, ["work"]);
        assert_eq!(trail(&engine, &id).await, ["start"], "work has not started");

        assert_eq!(engine.run_due_jobs().await.unwrap(), 1);
        assert_eq!(open_tasks(&engine, &id).await, ["work"]);
        assert!(jobs(&engine, &id).await.is_empty());
        assert!(parked(&engine, &id).await.is_empty());
        work(&engine, "work", vars(&[])).await;
        assert_eq!(open_tasks(&engine, &id).await, ["next"]);
    });
}

#[test]
fn async_after_ends_the_activity_then_leaves_in_a_job_of_its_own() {
    let (engine, _clock, rt, _dir) = quiet_engine();
    rt.block_on(async {
        deploy(
            &engine,
            &[(
                "b.bpmn",
                &model("b", r#"camunda:asyncAfter="true""#, EXTERNAL),
            )],
        )
        .await;
        let id = start(&engine, "b", &[]).await;
        assert_eq!(work(&engine, "work", vars(&[])).await, 1);
        // `work` ended (history), the token waits after it.
        assert!(open_tasks(&engine, &id).await.is_empty());
        assert_eq!(parked(&engine, &id).await, ["work"]);
        let acts = engine.historic_activities(&id).await.unwrap();
        let w = acts.iter().find(|a| a.activity_id == "work").unwrap();
        assert!(w.end_time.is_some(), "{w:?}");
        let pending = jobs(&engine, &id).await;
        assert_eq!(pending.len(), 1);
        assert_eq!(
            pending[0].job_definition_id,
            job_definition(&engine, "work", "async-after").await,
            "the job names its job definition"
        );

        assert_eq!(engine.run_due_jobs().await.unwrap(), 1);
        assert_eq!(open_tasks(&engine, &id).await, ["next"]);
        let t = trail(&engine, &id).await;
        assert_eq!(t.iter().filter(|a| *a == "work").count(), 1, "{t:?}");
    });
}

#[test]
fn a_failing_continuation_rolls_back_is_retried_and_raises_an_incident_that_retries_resolve() {
    let (engine, clock, rt, _dir) = quiet_engine();
    rt.block_on(async {
        let model = model_with(
            "c",
            r#"camunda:asyncBefore="true""#,
            r#"camunda:expression="${amount > 0}""#,
            "<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>R2/PT5M\
             </camunda:failedJobRetryTimeCycle></bpmn:extensionElements>",
        );
        deploy(&engine, &[("c.bpmn", &model)]).await;
        let id = start(&engine, "c", &[]).await;

        // First run: `amount` is unknown, the step fails and nothing of it stays.
        assert_eq!(engine.run_due_jobs().await.unwrap(), 1);
        let job = jobs(&engine, &id).await.remove(0);
        assert_eq!(job.retries, 1);
        assert!(
            job.exception_message
                .as_deref()
                .unwrap_or("")
                .contains("amount"),
            "{job:?}"
        );
        assert_eq!(job.due_date, T0 + 5 * 60_000, "retried five minutes later");
        assert!(incidents_of(&engine, &id).await.is_empty());
        assert_eq!(parked(&engine, &id).await, ["work"]);
        assert_eq!(
            trail(&engine, &id).await,
            ["start"],
            "the failed step left no trace"
        );
        assert_eq!(engine.run_due_jobs().await.unwrap(), 0, "not due yet");

        // The last retry fails too: a failedJob incident naming the job.
        clock.advance(300_000);
        assert_eq!(engine.run_due_jobs().await.unwrap(), 1);
        let job = jobs(&engine, &id).await.remove(0);
        assert_eq!(job.retries, 0);
        let incidents = incidents_of(&engine, &id).await;
        assert_eq!(incidents.len(), 1);
        assert_eq!(incidents[0].incident_type, "failedJob");
        assert_eq!(incidents[0].configuration.as_deref(), Some(job.id.as_str()));
        assert_eq!(incidents[0].activity_id, "work");

        // Fix the data, give the job a retry: the incident is resolved and it runs.
        engine
            .modify_variables(
                &id,
                None,
                vars(&[("amount", Value::Integer(5))]),
                Vec::new(),
            )
            .await
            .unwrap();
        engine.set_job_retries(&job.id, 1).await.unwrap();
        assert!(incidents_of(&engine, &id).await.is_empty());
        // It is due when its retry wait is over, as after every failure.
        clock.advance(300_000);
        assert_eq!(engine.run_due_jobs().await.unwrap(), 1);
        assert_eq!(open_tasks(&engine, &id).await, ["next"]);
        assert!(jobs(&engine, &id).await.is_empty());
    });
}

#[test]
fn cancelling_an_instance_removes_its_pending_continuation() {
    let (engine, _clock, rt, _dir) = quiet_engine();
    rt.block_on(async {
        deploy(
            &engine,
            &[(
                "d.bpmn",
                &model("d", r#"camunda:asyncBefore="true""#, EXTERNAL),
            )],
        )
        .await;
        let id = start(&engine, "d", &[]).await;
        assert_eq!(jobs(&engine, &id).await.len(), 1);
        engine.delete_instance(&id, None).await.unwrap();
        assert!(jobs(&engine, &id).await.is_empty());
        assert_eq!(engine.run_due_jobs().await.unwrap(), 0);
    });
}

#[test]
fn async_before_on_the_start_event_and_on_a_multi_instance_activity() {
    let (engine, _clock, rt, _dir) = quiet_engine();
    rt.block_on(async {
        let body = [
            r#"<bpmn:startEvent id="start" camunda:asyncBefore="true" />"#.to_owned(),
            r#"<bpmn:serviceTask id="each" camunda:asyncBefore="true" camunda:type="external" camunda:topic="each">
                 <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>
               </bpmn:serviceTask>"#
                .to_owned(),
            end_ev("end"),
            flow("f1", "start", "each"),
            flow("f2", "each", "end"),
        ]
        .concat();
        deploy(&engine, &[("e.bpmn", &process("e", &body))]).await;
        let id = start(&engine, "e", &[]).await;
        // Nothing ran: not even the start event.
        assert!(trail(&engine, &id).await.is_empty());
        assert_eq!(parked(&engine, &id).await, ["start"]);
        let first = jobs(&engine, &id).await.remove(0);
        engine.execute_job(&first.id).await.unwrap();
        // Each of the three instances waits for its own job.
        assert_eq!(jobs(&engine, &id).await.len(), 3);
        assert!(open_tasks(&engine, &id).await.is_empty());
        assert_eq!(engine.run_due_jobs().await.unwrap(), 3);
        assert_eq!(open_tasks(&engine, &id).await, ["each", "each", "each"]);
        assert_eq!(work(&engine, "each", vars(&[])).await, 3);
        assert_eq!(state(&engine, &id).await, "COMPLETED");
    });
}

#[tokio::test]
async fn the_job_executor_runs_continuations_on_its_own() {
    let (engine, _dir) = engine();
    deploy(
        &engine,
        &[(
            "f.bpmn",
            &model(
                "f",
                r#"camunda:asyncBefore="true" camunda:asyncAfter="true""#,
                EXTERNAL,
            ),
        )],
    )
    .await;
    let id = start(&engine, "f", &[]).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while open_tasks(&engine, &id).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the job never ran");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    work(&engine, "work", vars(&[])).await;
    while open_tasks(&engine, &id).await != ["next"] {
        assert!(
            std::time::Instant::now() < deadline,
            "the job after never ran"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn a_multi_instance_body_waits_before_and_after_with_multi_instance_async() {
    let (engine, _clock, rt, _dir) = quiet_engine();
    rt.block_on(async {
        let body = [
            start_ev("start"),
            r#"<bpmn:serviceTask id="each" camunda:type="external" camunda:topic="each">
                 <bpmn:multiInstanceLoopCharacteristics camunda:asyncBefore="true" camunda:asyncAfter="true">
                   <bpmn:loopCardinality>2</bpmn:loopCardinality>
                 </bpmn:multiInstanceLoopCharacteristics>
               </bpmn:serviceTask>"#
                .to_owned(),
            ext("next", "next"),
            end_ev("end"),
            flow("f1", "start", "each"),
            flow("f2", "each", "next"),
            flow("f3", "next", "end"),
        ]
        .concat();
        deploy(&engine, &[("g.bpmn", &process("g", &body))]).await;
        let id = start(&engine, "g", &[]).await;
        // One job for the body, none per instance.
        assert_eq!(jobs(&engine, &id).await.len(), 1);
        assert_eq!(parked(&engine, &id).await, ["each"]);
        assert_eq!(engine.run_due_jobs().await.unwrap(), 1);
        assert_eq!(open_tasks(&engine, &id).await, ["each", "each"]);
        assert_eq!(work(&engine, "each", vars(&[])).await, 2);
        // The body ended; a job takes it on.
        assert!(open_tasks(&engine, &id).await.is_empty());
        assert_eq!(parked(&engine, &id).await, ["each"]);
        assert_eq!(engine.run_due_jobs().await.unwrap(), 1);
        assert_eq!(open_tasks(&engine, &id).await, ["next"]);
    });
}
