//! Where tokens wait, as the activity statistics count it: the writer's
//! `waiting_token` rows (migration 0013) agree, after every kind of step, with
//! the running instances' execution trees read as the statistics read them before
//! that table (`json_each` over `process_instance.state`).

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use baton_engine::{DefinitionQuery, Engine, ExternalTaskQuery, StatisticsQuery, Value};
use common::*;
use rusqlite::{Connection, OpenFlags};

/// `(definition, activity, instance, tokens)` rows.
type Rows = Vec<(String, String, String, i64)>;

/// The writer's rows.
fn stored(c: &Connection) -> Rows {
    c.prepare(
        "SELECT definition_id, activity_id, instance_id, tokens FROM waiting_token \
         ORDER BY 1, 2, 3",
    )
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// The same, read from the execution trees: an execution of kind `Activity` or
/// `MiInner` waiting for anything but a join.
fn from_trees(c: &Connection) -> Rows {
    c.prepare(
        "SELECT process_instance.definition_id, json_extract(exec.value, '$.activity'), \
         process_instance.id, COUNT(*) \
         FROM process_instance, json_each(process_instance.state) exec \
         WHERE json_extract(exec.value, '$.kind') IN ('Activity', 'MiInner') \
         AND IFNULL(json_extract(exec.value, '$.wait'), 'Join') <> 'Join' \
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    )
    .unwrap()
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// Checks that the rows agree with the trees, and the engine's activity
/// statistics with both; answers the rows.
async fn agree(engine: &Engine, db: &Path) -> Rows {
    let c = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let rows = stored(&c);
    assert_eq!(rows, from_trees(&c));
    for d in engine
        .definitions(DefinitionQuery::default())
        .await
        .unwrap()
    {
        let counted: Vec<(String, u64)> = engine
            .activity_statistics(&d.id, StatisticsQuery::default())
            .await
            .unwrap()
            .into_iter()
            .filter(|s| s.instances > 0)
            .map(|s| (s.activity_id, s.instances))
            .collect();
        let mut expected: Vec<(String, u64)> = Vec::new();
        for (def, activity, _, n) in &rows {
            if *def != d.id {
                continue;
            }
            match expected.iter_mut().find(|(a, _)| a == activity) {
                Some(e) => e.1 += *n as u64,
                None => expected.push((activity.clone(), *n as u64)),
            }
        }
        expected.sort();
        assert_eq!(counted, expected, "definition {}", d.id);
    }
    rows
}

/// Completes every external task of `topic`, locked for worker `w` already or now.
async fn finish(engine: &Engine, topic: &str) {
    lock(engine, topic).await;
    let tasks = engine
        .external_tasks(ExternalTaskQuery {
            topic: Some(topic.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    for t in tasks {
        engine
            .complete(&t.id, "w", vars(&[]), vars(&[]))
            .await
            .unwrap();
    }
}

/// The tokens of `instance` waiting at `activity` (0 when none).
fn tokens(rows: &Rows, instance: &str, activity: &str) -> i64 {
    rows.iter()
        .find(|(_, a, i, _)| i == instance && a == activity)
        .map_or(0, |r| r.3)
}

/// A parallel split into: `a` and `b` joining before `c`; a parallel
/// multi-instance task `m` (three instances); a subprocess with task `inner`; a
/// call activity `call` of `child`; a timer `wait`; a gateway `gw` that fails
/// unless `pass` is set.
fn mix() -> String {
    process(
        "mix",
        &[
            start_ev("start"),
            gw("parallel", "split", None),
            ext("a", "a"),
            ext("b", "b"),
            gw("parallel", "join", None),
            ext("c", "c"),
            r#"<bpmn:serviceTask id="m" camunda:type="external" camunda:topic="m">
              <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>
            </bpmn:serviceTask>"#
                .to_owned(),
            format!(
                r#"<bpmn:subProcess id="sub">{}{}{}{}</bpmn:subProcess>"#,
                start_ev("subStart"),
                ext("inner", "inner"),
                end_ev("subEnd"),
                chain("s", &["subStart", "inner", "subEnd"])
            ),
            r#"<bpmn:callActivity id="call" calledElement="child" />"#.to_owned(),
            r#"<bpmn:intermediateCatchEvent id="wait">
              <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
            </bpmn:intermediateCatchEvent>"#
                .to_owned(),
            gw("exclusive", "gw", None),
            end_ev("end"),
            flow("f0", "start", "split"),
            flow("f1", "split", "a"),
            flow("f2", "split", "b"),
            flow("f3", "a", "join"),
            flow("f4", "b", "join"),
            flow("f5", "join", "c"),
            flow("f6", "c", "end"),
            flow("f7", "split", "m"),
            flow("f8", "m", "end"),
            flow("f9", "split", "sub"),
            flow("f10", "sub", "end"),
            flow("f11", "split", "call"),
            flow("f12", "call", "end"),
            flow("f13", "split", "wait"),
            flow("f14", "wait", "end"),
            flow("f15", "split", "gw"),
            cond("f16", "gw", "end", "${pass == 1}"),
        ]
        .concat(),
    )
}

#[tokio::test]
async fn waiting_tokens_follow_every_kind_of_step() {
    let (engine, dir) = engine();
    let db = dir.path().join("baton.db");
    deploy(
        &engine,
        &[("mix.bpmn", &mix()), ("child.bpmn", &one_task("child"))],
    )
    .await;
    let passing = start(&engine, "mix", &[("pass", Value::Integer(1))]).await;
    let failing = start(&engine, "mix", &[]).await;
    let deleted = start(&engine, "mix", &[("pass", Value::Integer(1))]).await;
    let rows = agree(&engine, &db).await;
    for (activity, n) in [
        ("a", 1),
        ("b", 1),
        ("c", 0),
        ("m", 3),
        ("inner", 1),
        ("call", 1),
        ("wait", 1),
        ("gw", 0),
        ("sub", 0),
    ] {
        assert_eq!(tokens(&rows, &passing, activity), n, "{activity}");
    }
    // The failed gateway is where the failing instance waits.
    assert_eq!(tokens(&rows, &failing, "gw"), 1);
    // Each called instance waits at its task.
    assert_eq!(rows.iter().filter(|r| r.1 == "work").count(), 3);

    // `a` done: the token at the join is not counted.
    complete_at(&engine, &passing, "a", vars(&[]), vars(&[])).await;
    let rows = agree(&engine, &db).await;
    assert_eq!(tokens(&rows, &passing, "a"), 0);
    assert_eq!(tokens(&rows, &passing, "join"), 0);

    // One instance of `m` done: two left.
    complete_at(&engine, &passing, "m", vars(&[]), vars(&[])).await;
    let rows = agree(&engine, &db).await;
    assert_eq!(tokens(&rows, &passing, "m"), 2);

    // `b` done: the join goes on to `c`.
    complete_at(&engine, &passing, "b", vars(&[]), vars(&[])).await;
    let rows = agree(&engine, &db).await;
    assert_eq!(tokens(&rows, &passing, "c"), 1);

    // Deleting an instance takes its rows, and its called instance's.
    let children = rows.iter().filter(|r| r.1 == "work").count();
    engine.delete_instance(&deleted, None).await.unwrap();
    let rows = agree(&engine, &db).await;
    assert!(rows.iter().all(|r| r.2 != deleted), "{rows:?}");
    assert_eq!(rows.iter().filter(|r| r.1 == "work").count(), children - 1);

    // Every external task of the passing instance and its child done, the
    // timer left: the instance waits only there.
    for topic in ["c", "m", "inner", "work"] {
        finish(&engine, topic).await;
    }
    let rows = agree(&engine, &db).await;
    let left: Vec<&str> = rows
        .iter()
        .filter(|r| r.2 == passing)
        .map(|r| r.1.as_str())
        .collect();
    assert_eq!(left, ["wait"]);

    // A failed job's instance keeps its place; an ended one has none.
    engine.delete_instance(&passing, None).await.unwrap();
    let rows = agree(&engine, &db).await;
    assert!(rows.iter().all(|r| r.2 == failing), "{rows:?}");
    drop(engine);
}
