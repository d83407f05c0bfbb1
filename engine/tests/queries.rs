//! The engine's list queries without history: `activity_ids` reads each
//! instance's execution tree, and variable filters the `variable` table, so both
//! answer the same whether history is kept or not.

#![allow(clippy::unwrap_used)]

mod common;

use baton_engine::{
    Config, Engine, InstanceQuery, InstanceSort, Sort, Value, VariableFilter, VariableOp,
};
use common::*;

/// start -> fork -> (external task `work` | timer `wait`) -> join -> end.
fn waiting() -> String {
    process(
        "waits",
        &[
            start_ev("start"),
            gw("parallel", "fork", None),
            ext("work", "work"),
            r#"<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"#.to_owned(),
            gw("parallel", "join", None),
            end_ev("end"),
            flow("f0", "start", "fork"),
            flow("f1", "fork", "work"),
            flow("f2", "fork", "wait"),
            flow("f3", "work", "join"),
            flow("f4", "wait", "join"),
            flow("f5", "join", "end"),
        ]
        .concat(),
    )
}

#[tokio::test]
async fn instance_queries_need_no_history() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(Config::file(dir.path().join("baton.db")).history(false)).unwrap();
    deploy(
        &engine,
        &[("w.bpmn", &waiting()), ("o.bpmn", &one_task("other"))],
    )
    .await;
    let waits = start(&engine, "waits", &[("n", Value::Integer(3))]).await;
    let other = start(&engine, "other", &[("n", Value::from("3"))]).await;
    assert!(
        engine
            .historic_instances(Default::default())
            .await
            .unwrap()
            .is_empty(),
        "no history kept"
    );
    let at = |activities: &[&str]| InstanceQuery {
        activity_ids: activities.iter().map(|a| (*a).to_owned()).collect(),
        ..InstanceQuery::default()
    };
    let found = |q: InstanceQuery| {
        let engine = engine.clone();
        async move {
            let list: Vec<String> = engine
                .instances(q.clone())
                .await
                .unwrap()
                .into_iter()
                .map(|i| i.id)
                .collect();
            // A count ignores paging.
            let all = engine.count_instances(q.clone()).await.unwrap();
            assert_eq!(all.min(q.max_results.unwrap_or(usize::MAX)), list.len());
            list
        }
    };
    assert_eq!(found(at(&["wait"])).await, [waits.as_str()]);
    assert_eq!(found(at(&["work"])).await, [waits.clone(), other.clone()]);
    assert!(found(at(&["join", "start"])).await.is_empty());

    let typed = |value: Value| InstanceQuery {
        variables: vec![VariableFilter::new("n", VariableOp::Eq, value)],
        ..InstanceQuery::default()
    };
    assert_eq!(
        found(typed(Value::Long(3))).await,
        [waits.clone(), other.clone()]
    );
    assert_eq!(found(typed(Value::from("3"))).await, [other.as_str()]);
    let sorted = InstanceQuery {
        sort: Some(Sort {
            by: InstanceSort::DefinitionKey,
            descending: true,
        }),
        max_results: Some(1),
        ..InstanceQuery::default()
    };
    assert_eq!(found(sorted).await, [waits.as_str()]);
    let bad = typed(Value::Bytes(vec![1]));
    assert!(engine.instances(bad).await.is_err());
}
