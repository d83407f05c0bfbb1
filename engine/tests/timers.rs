//! Timers across restarts, and the job executor firing on its own.

mod common;

use std::sync::Arc;
use std::time::Duration;

use baton_engine::{Config, Engine, HistoricInstanceQuery, JobQuery, ManualClock};
use common::*;

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const HOUR: i64 = 3_600_000;

fn timer_process(key: &str, duration: &str) -> String {
    process(
        key,
        &format!(
            r#"<bpmn:startEvent id="start" />
<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>{duration}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:endEvent id="end" />{}{}"#,
            flow("f1", "start", "wait"),
            flow("f2", "wait", "end")
        ),
    )
}

/// The business keys of the ended instances, in the order their timers fired: the
/// end event's execution ids are time-ordered UUIDs, created as each timer fired
/// (the clock stands still, so end times cannot tell).
async fn ended_in_order(engine: &Engine) -> Vec<String> {
    let done = engine
        .historic_instances(HistoricInstanceQuery {
            finished: true,
            ..HistoricInstanceQuery::default()
        })
        .await
        .expect("history");
    let mut fired = Vec::new();
    for h in done {
        let end = engine
            .historic_activities(&h.id)
            .await
            .expect("activities")
            .into_iter()
            .find(|a| a.activity_id == "end")
            .expect("an ended instance passed its end event");
        fired.push((end.execution_id, h.business_key.expect("a business key")));
    }
    fired.sort();
    fired.into_iter().map(|(_, key)| key).collect()
}

#[tokio::test]
async fn timers_due_while_stopped_fire_once_after_a_restart_in_due_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.db");
    let clock = Arc::new(ManualClock::new(T0));
    {
        let engine = Engine::open(Config::file(&path).clock(clock.clone())).unwrap();
        deploy(
            &engine,
            &[
                ("a.bpmn", &timer_process("late", "PT2H")),
                ("b.bpmn", &timer_process("early", "PT1H")),
                ("c.bpmn", &timer_process("later", "PT5H")),
            ],
        )
        .await;
        for key in ["late", "early", "later"] {
            engine
                .start(baton_engine::StartInstance::by_key(key).business_key(key))
                .await
                .unwrap();
        }
        assert_eq!(engine.jobs(JobQuery::default()).await.unwrap().len(), 3);
    }
    // Three hours later, on a new engine: two timers are overdue, one is not.
    clock.set(T0 + 3 * HOUR);
    let engine = Engine::open(Config::file(&path).clock(clock.clone())).unwrap();
    let mut waited = 0;
    while ended_in_order(&engine).await.len() < 2 {
        assert!(
            waited < 200,
            "the job executor did not fire the overdue timers"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += 1;
    }
    assert_eq!(ended_in_order(&engine).await, ["early", "late"]);
    let left = engine.jobs(JobQuery::default()).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].due_date, T0 + 5 * HOUR);
    // Running due jobs again fires nothing twice.
    assert_eq!(engine.run_due_jobs().await.unwrap(), 0);
    assert_eq!(ended_in_order(&engine).await.len(), 2);
}

#[tokio::test]
async fn the_executor_fires_a_timer_on_the_system_clock() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("t.bpmn", &timer_process("soon", "PT0.2S"))]).await;
    engine
        .start(baton_engine::StartInstance::by_key("soon").business_key("soon"))
        .await
        .unwrap();
    let mut waited = 0;
    while ended_in_order(&engine).await.is_empty() {
        assert!(waited < 500, "the timer did not fire within 5 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
        waited += 1;
    }
}
