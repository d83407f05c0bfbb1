//! Execution semantics checked against Camunda 7's behaviour, on a real database
//! file: gateways, subprocesses, call activities, errors, multi-instance, mappings,
//! variables and deployments, each with a small inline model.

mod common;

use std::collections::BTreeSet;

use baton_engine::{
    DefinitionQuery, Error, ExternalTaskQuery, HistoricInstanceQuery, NewDeployment, Value,
    Variables,
};
use common::*;

fn s(v: &str) -> Value {
    Value::String(v.into())
}

fn i(v: i32) -> Value {
    Value::Integer(v)
}

fn b(v: bool) -> Value {
    Value::Boolean(v)
}

fn set<T: Ord + Clone>(items: &[T]) -> BTreeSet<T> {
    items.iter().cloned().collect()
}

/// Variables sorted by name, to compare regardless of order.
fn sorted(list: &[(String, Value)]) -> Vec<(String, Value)> {
    let mut v = list.to_vec();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

async fn deploy_one(engine: &baton_engine::Engine, id: &str, body: &str) {
    deploy(engine, &[(&format!("{id}.bpmn"), &process(id, body))]).await;
}

// ----- 1. exclusive gateway -----

fn exclusive(id: &str, default: bool, conds: &[(&str, &str)]) -> String {
    let mut body = start_ev("start") + &gw("exclusive", "gw", default.then_some("fd"));
    body += &flow("f0", "start", "gw");
    for (n, (target, c)) in conds.iter().enumerate() {
        body += &end_ev(target);
        body += &cond(&format!("fc{n}"), "gw", target, c);
    }
    if default {
        body += &end_ev("end_default");
        body += &flow("fd", "gw", "end_default");
    }
    process(id, &body)
}

#[tokio::test]
async fn exclusive_gateway_takes_first_true_condition_in_document_order() {
    let (engine, _dir) = engine();
    let xml = exclusive(
        "xor",
        true,
        &[
            ("end_big", "${amount > 1000}"),
            ("end_mid", "${amount > 100}"),
        ],
    );
    deploy(&engine, &[("xor.bpmn", &xml)]).await;
    for (amount, end) in [(5000, "end_big"), (500, "end_mid"), (5, "end_default")] {
        let id = start(&engine, "xor", &[("amount", i(amount))]).await;
        assert_eq!(trail(&engine, &id).await, ["start", "gw", end], "{amount}");
        assert_eq!(state(&engine, &id).await, "COMPLETED");
        let hi = engine
            .historic_instances(HistoricInstanceQuery {
                id: Some(id.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(hi[0].end_activity_id.as_deref(), Some(end));
    }
}

#[tokio::test]
async fn exclusive_gateway_without_match_or_default_raises_an_incident() {
    let (engine, _dir) = engine();
    let xml = exclusive("xor", false, &[("end_big", "${amount > 1000}")]);
    deploy(&engine, &[("xor.bpmn", &xml)]).await;
    let id = start(&engine, "xor", &[("amount", i(1))]).await;
    assert!(running(&engine, &id).await);
    assert_eq!(state(&engine, &id).await, "ACTIVE");
    let incidents = incidents_of(&engine, &id).await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0].incident_type, "failedJob");
    assert_eq!(incidents[0].activity_id, "gw");
    assert!(
        incidents[0]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("'gw'"),
        "{incidents:?}"
    );
    // Deleting the stuck instance removes its incident.
    engine.delete_instance(&id, None).await.unwrap();
    assert!(incidents_of(&engine, &id).await.is_empty());
    assert_eq!(state(&engine, &id).await, "EXTERNALLY_TERMINATED");
}

#[tokio::test]
async fn exclusive_gateway_conditions_use_juel() {
    let (engine, _dir) = engine();
    let xml = exclusive(
        "xor",
        true,
        &[
            ("end_not", "${not approved}"),
            ("end_gold", "${tier == 'gold'}"),
            ("end_eq_and", "${tier eq 'silver' and amount gt 10}"),
            ("end_empty_or", "${empty list or amount lt 0}"),
            ("end_exec", "${execution.getVariable('x') == 'y'}"),
        ],
    );
    deploy(&engine, &[("xor.bpmn", &xml)]).await;
    let base = |approved: bool, tier: &str, amount: i32, list: &str, x: &str| {
        vec![
            ("approved", b(approved)),
            ("tier", s(tier)),
            ("amount", i(amount)),
            ("list", Value::Json(list.into())),
            ("x", s(x)),
        ]
    };
    let cases = [
        (base(false, "gold", 1, "[1]", "y"), "end_not"),
        (base(true, "gold", 1, "[1]", "y"), "end_gold"),
        (base(true, "silver", 11, "[1]", "y"), "end_eq_and"),
        (base(true, "silver", 10, "[]", "y"), "end_empty_or"),
        (base(true, "bronze", -1, "[1]", "y"), "end_empty_or"),
        (base(true, "bronze", 1, "[1]", "y"), "end_exec"),
        (base(true, "bronze", 1, "[1]", "z"), "end_default"),
    ];
    for (vars, end) in cases {
        let id = start(&engine, "xor", &vars).await;
        assert_eq!(trail(&engine, &id).await, ["start", "gw", end], "{vars:?}");
    }
}

#[tokio::test]
async fn unknown_variable_in_a_condition_raises_an_incident_naming_it() {
    let (engine, _dir) = engine();
    let xml = exclusive("xor", true, &[("end_a", "${missingVar > 3}")]);
    deploy(&engine, &[("xor.bpmn", &xml)]).await;
    let id = start(&engine, "xor", &[]).await;
    assert!(running(&engine, &id).await);
    let incidents = incidents_of(&engine, &id).await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0].incident_type, "failedJob");
    assert_eq!(incidents[0].activity_id, "gw");
    assert!(
        incidents[0]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("missingVar"),
        "{incidents:?}"
    );
}

// ----- 2. parallel gateway -----

fn parallel(id: &str, branches: &[&str]) -> String {
    let mut body = start_ev("start")
        + &gw("parallel", "fork", None)
        + &gw("parallel", "join", None)
        + &end_ev("end")
        + &flow("f0", "start", "fork")
        + &flow("f1", "join", "end");
    for t in branches {
        body += &ext(t, t);
        body += &flow(&format!("in_{t}"), "fork", t);
        body += &flow(&format!("out_{t}"), t, "join");
    }
    process(id, &body)
}

#[tokio::test]
async fn parallel_fork_and_join_two_and_three_branches() {
    let (engine, _dir) = engine();
    deploy(
        &engine,
        &[
            ("p2.bpmn", &parallel("p2", &["a", "b"])),
            ("p3.bpmn", &parallel("p3", &["c", "d", "e"])),
        ],
    )
    .await;
    let id = start(&engine, "p2", &[]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["a", "b"]);
    complete_at(&engine, &id, "b", vec![], vec![]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["a"]);
    assert!(running(&engine, &id).await, "join fired early");
    complete_at(&engine, &id, "a", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
    // Camunda records one join activity instance per arriving token.
    assert_eq!(
        trail(&engine, &id).await,
        ["start", "fork", "a", "b", "join", "join", "end"]
    );

    let id = start(&engine, "p3", &[]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["c", "d", "e"]);
    complete_at(&engine, &id, "d", vec![], vec![]).await;
    complete_at(&engine, &id, "c", vec![], vec![]).await;
    assert!(running(&engine, &id).await, "join fired early");
    assert_eq!(open_tasks(&engine, &id).await, ["e"]);
    complete_at(&engine, &id, "e", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
    let t = trail(&engine, &id).await;
    assert_eq!(t.iter().filter(|a| *a == "join").count(), 3, "{t:?}");
    assert_eq!(t.last().map(String::as_str), Some("end"));
}

#[tokio::test]
async fn nested_parallel_forks_join_in_order() {
    let (engine, _dir) = engine();
    let body = [
        start_ev("start"),
        gw("parallel", "fork1", None),
        gw("parallel", "fork2", None),
        gw("parallel", "join2", None),
        gw("parallel", "join1", None),
        ext("a", "a"),
        ext("b", "b"),
        ext("c", "c"),
        ext("after", "after"),
        end_ev("end"),
        flow("f0", "start", "fork1"),
        flow("f1", "fork1", "fork2"),
        flow("f2", "fork1", "c"),
        flow("f3", "fork2", "a"),
        flow("f4", "fork2", "b"),
        flow("f5", "a", "join2"),
        flow("f6", "b", "join2"),
        flow("f7", "join2", "join1"),
        flow("f8", "c", "join1"),
        flow("f9", "join1", "after"),
        flow("f10", "after", "end"),
    ]
    .concat();
    deploy_one(&engine, "nested", &body).await;
    let id = start(&engine, "nested", &[]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["a", "b", "c"]);
    complete_at(&engine, &id, "c", vec![], vec![]).await;
    complete_at(&engine, &id, "a", vec![], vec![]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["b"]);
    complete_at(&engine, &id, "b", vec![], vec![]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
    complete_at(&engine, &id, "after", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
}

#[tokio::test]
async fn loop_back_into_a_parallel_fork_does_not_fire_the_join_early() {
    let (engine, _dir) = engine();
    // start -> merge -> fork -> (a, b) -> join -> check -> (again: merge | done: end)
    let body = [
        start_ev("start"),
        gw("exclusive", "merge", None),
        gw("parallel", "fork", None),
        gw("parallel", "join", None),
        gw("exclusive", "check", Some("done")),
        ext("a", "a"),
        ext("b", "b"),
        end_ev("end"),
        flow("f0", "start", "merge"),
        flow("fm", "merge", "fork"),
        flow("f1", "fork", "a"),
        flow("f2", "fork", "b"),
        flow("f3", "a", "join"),
        flow("f4", "b", "join"),
        flow("f5", "join", "check"),
        cond("again", "check", "merge", "${round lt 2}"),
        flow("done", "check", "end"),
    ]
    .concat();
    deploy_one(&engine, "loop", &body).await;
    let id = start(&engine, "loop", &[("round", i(0))]).await;
    for round in 1..=2 {
        assert_eq!(open_tasks(&engine, &id).await, ["a", "b"], "round {round}");
        complete_at(&engine, &id, "a", vec![("round".into(), i(round))], vec![]).await;
        assert!(running(&engine, &id).await);
        assert_eq!(open_tasks(&engine, &id).await, ["b"], "round {round}");
        complete_at(&engine, &id, "b", vec![], vec![]).await;
    }
    assert_eq!(state(&engine, &id).await, "COMPLETED");
    let t = trail(&engine, &id).await;
    assert_eq!(t.iter().filter(|a| *a == "fork").count(), 2, "{t:?}");
    assert_eq!(t.iter().filter(|a| *a == "a").count(), 2, "{t:?}");
    assert_eq!(t.iter().filter(|a| *a == "check").count(), 2, "{t:?}");
}

#[tokio::test]
async fn a_branch_looping_on_itself_keeps_the_join_waiting() {
    let (engine, _dir) = engine();
    // fork -> a -> join; fork -> b -> check -> (retry: b | ok: join)
    let body = [
        start_ev("start"),
        gw("parallel", "fork", None),
        gw("parallel", "join", None),
        gw("exclusive", "check", Some("ok")),
        ext("a", "a"),
        ext("b", "b"),
        end_ev("end"),
        flow("f0", "start", "fork"),
        flow("f1", "fork", "a"),
        flow("f2", "fork", "b"),
        flow("f3", "a", "join"),
        flow("f4", "b", "check"),
        cond("retry", "check", "b", "${retry}"),
        flow("ok", "check", "join"),
        flow("f5", "join", "end"),
    ]
    .concat();
    deploy_one(&engine, "retrying", &body).await;
    let id = start(&engine, "retrying", &[]).await;
    complete_at(&engine, &id, "a", vec![], vec![]).await;
    for _ in 0..2 {
        complete_at(&engine, &id, "b", vec![("retry".into(), b(true))], vec![]).await;
        assert_eq!(open_tasks(&engine, &id).await, ["b"]);
    }
    complete_at(&engine, &id, "b", vec![("retry".into(), b(false))], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
    assert_eq!(
        trail(&engine, &id).await,
        [
            "start", "fork", "a", "b", "join", "check", "b", "check", "b", "check", "join", "end"
        ]
    );
}

// ----- 3. inclusive gateway -----

fn inclusive(id: &str) -> String {
    // fork -> a (x > 0), b (y > 0), c (z > 0), default -> d; all join.
    let mut body = start_ev("start")
        + &gw("inclusive", "fork", Some("fd"))
        + &gw("inclusive", "join", None)
        + &end_ev("end")
        + &flow("f0", "start", "fork")
        + &flow("f1", "join", "end");
    for (t, v) in [("a", "x"), ("b", "y"), ("c", "z")] {
        body += &ext(t, t);
        body += &cond(&format!("in_{t}"), "fork", t, &format!("${{{v} > 0}}"));
        body += &flow(&format!("out_{t}"), t, "join");
    }
    body += &ext("d", "d");
    body += &flow("fd", "fork", "d");
    body += &flow("out_d", "d", "join");
    process(id, &body)
}

#[tokio::test]
async fn inclusive_gateway_forks_on_true_conditions_and_joins_them() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("or.bpmn", &inclusive("or"))]).await;
    let id = start(&engine, "or", &[("x", i(1)), ("y", i(0)), ("z", i(1))]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["a", "c"]);
    complete_at(&engine, &id, "c", vec![], vec![]).await;
    assert!(running(&engine, &id).await, "join fired before a arrived");
    assert_eq!(open_tasks(&engine, &id).await, ["a"]);
    complete_at(&engine, &id, "a", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
    let t = trail(&engine, &id).await;
    assert_eq!(t.iter().filter(|a| *a == "end").count(), 1, "{t:?}");
    assert_eq!(t.iter().filter(|a| *a == "join").count(), 2, "{t:?}");
    assert_eq!(
        set(&t),
        set(&["start", "fork", "a", "c", "join", "end"].map(String::from)),
    );

    // None true: the default flow.
    let id = start(&engine, "or", &[("x", i(0)), ("y", i(0)), ("z", i(0))]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["d"]);
    complete_at(&engine, &id, "d", vec![], vec![]).await;
    assert_eq!(
        trail(&engine, &id).await,
        ["start", "fork", "d", "join", "end"]
    );
}

#[tokio::test]
async fn an_inclusive_join_reached_by_two_flows_of_one_split_fires_once() {
    // Found by the interpreter's property test: both conditional flows of the
    // split go straight to the join, inside a parallel branch. The join must take
    // both tokens at once; it fired once per token, and the parallel join after it
    // then kept a token for ever.
    let (engine, _dir) = engine();
    let body = [
        start_ev("start"),
        gw("parallel", "fork", None),
        gw("inclusive", "split", None),
        gw("inclusive", "merge", None),
        gw("parallel", "join", None),
        ext("after", "after"),
        end_ev("end"),
        flow("f0", "start", "fork"),
        flow("f1", "fork", "split"),
        flow("f2", "fork", "join"),
        cond("c1", "split", "merge", "${true}"),
        cond("c2", "split", "merge", "${true}"),
        flow("f3", "merge", "join"),
        flow("f4", "join", "after"),
        flow("f5", "after", "end"),
    ]
    .concat();
    deploy_one(&engine, "twice", &body).await;
    let id = start(&engine, "twice", &[]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
    complete_at(&engine, &id, "after", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
    let t = trail(&engine, &id).await;
    assert_eq!(t.iter().filter(|a| *a == "merge").count(), 2, "{t:?}");
    assert_eq!(t.iter().filter(|a| *a == "after").count(), 1, "{t:?}");
}

#[tokio::test]
async fn inclusive_join_waits_for_a_pending_branch() {
    let (engine, _dir) = engine();
    // fork -> slow task -> join; fork -> join directly (arrives at once).
    let body = [
        start_ev("start"),
        gw("inclusive", "fork", None),
        gw("inclusive", "join", None),
        ext("slow", "slow"),
        ext("after", "after"),
        end_ev("end"),
        flow("f0", "start", "fork"),
        cond("f1", "fork", "slow", "${true}"),
        cond("f2", "fork", "join", "${true}"),
        flow("f3", "slow", "join"),
        flow("f4", "join", "after"),
        flow("f5", "after", "end"),
    ]
    .concat();
    deploy_one(&engine, "wait", &body).await;
    let id = start(&engine, "wait", &[]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["slow"]);
    complete_at(&engine, &id, "slow", vec![], vec![]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
    complete_at(&engine, &id, "after", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
    let t = trail(&engine, &id).await;
    assert_eq!(t.iter().filter(|a| *a == "after").count(), 1, "{t:?}");
}

// ----- 4. conditional flows out of a task -----

#[tokio::test]
async fn conditional_flows_out_of_a_task_fork_implicitly() {
    let (engine, _dir) = engine();
    let body = [
        start_ev("start"),
        ext("t", "t"),
        ext("x", "x"),
        ext("y", "y"),
        ext("z", "z"),
        end_ev("end_x"),
        end_ev("end_y"),
        end_ev("end_z"),
        flow("f0", "start", "t"),
        cond("fx", "t", "x", "${n > 1}"),
        cond("fy", "t", "y", "${n > 2}"),
        cond("fz", "t", "z", "${n > 100}"),
        flow("fx2", "x", "end_x"),
        flow("fy2", "y", "end_y"),
        flow("fz2", "z", "end_z"),
    ]
    .concat();
    deploy_one(&engine, "cf", &body).await;
    let id = start(&engine, "cf", &[]).await;
    complete_at(&engine, &id, "t", vec![("n".into(), i(5))], vec![]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["x", "y"]);
    complete_at(&engine, &id, "x", vec![], vec![]).await;
    assert!(running(&engine, &id).await);
    complete_at(&engine, &id, "y", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
}

#[tokio::test]
async fn an_activity_default_flow_is_taken_only_when_no_condition_holds() {
    let (engine, _dir) = engine();
    let body = [
        start_ev("start"),
        r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="t" default="fd" />"#
            .to_owned(),
        ext("x", "x"),
        ext("d", "d"),
        end_ev("end_x"),
        end_ev("end_d"),
        flow("f0", "start", "t"),
        cond("fx", "t", "x", "${n > 1}"),
        flow("fd", "t", "d"),
        flow("fx2", "x", "end_x"),
        flow("fd2", "d", "end_d"),
    ]
    .concat();
    deploy_one(&engine, "df", &body).await;
    let taken = start(&engine, "df", &[]).await;
    complete_at(&engine, &taken, "t", vec![("n".into(), i(5))], vec![]).await;
    assert_eq!(open_tasks(&engine, &taken).await, ["x"]);
    let defaulted = start(&engine, "df", &[]).await;
    complete_at(&engine, &defaulted, "t", vec![("n".into(), i(0))], vec![]).await;
    assert_eq!(open_tasks(&engine, &defaulted).await, ["d"]);
}

// ----- 5. embedded subprocesses and terminate end events -----

fn io(inputs: &[(&str, &str)], outputs: &[(&str, &str)]) -> String {
    let mut x = String::from("<bpmn:extensionElements><camunda:inputOutput>");
    for (name, value) in inputs {
        x += &format!(r#"<camunda:inputParameter name="{name}">{value}</camunda:inputParameter>"#);
    }
    for (name, value) in outputs {
        x +=
            &format!(r#"<camunda:outputParameter name="{name}">{value}</camunda:outputParameter>"#);
    }
    x + "</camunda:inputOutput></bpmn:extensionElements>"
}

fn sub(id: &str, extension: &str, inner: &str) -> String {
    format!(r#"<bpmn:subProcess id="{id}">{extension}{inner}</bpmn:subProcess>"#)
}

#[tokio::test]
async fn subprocess_local_variables_end_with_it() {
    let (engine, _dir) = engine();
    let inner = [
        start_ev("s_start"),
        ext("inner", "inner"),
        ext("inner2", "inner2"),
        end_ev("s_end"),
        chain("sf", &["s_start", "inner", "inner2", "s_end"]),
    ]
    .concat();
    let body = [
        start_ev("start"),
        sub("sub", &io(&[("localVar", "${base + 1}")], &[]), &inner),
        ext("after", "after"),
        end_ev("end"),
        chain("f", &["start", "sub", "after", "end"]),
    ]
    .concat();
    deploy_one(&engine, "subp", &body).await;
    let id = start(&engine, "subp", &[("base", i(41))]).await;
    let locked = lock(&engine, "inner").await;
    assert_eq!(locked.len(), 1);
    assert_eq!(
        sorted(&locked[0].variables),
        sorted(&[
            ("base".to_owned(), i(41)),
            ("localVar".to_owned(), Value::Long(42))
        ])
    );
    assert_eq!(
        runtime_vars(&engine, &id, true).await,
        [("base".to_owned(), i(41))]
    );
    assert_eq!(
        runtime_vars(&engine, &id, false).await,
        [
            ("base".to_owned(), i(41)),
            ("localVar".to_owned(), Value::Long(42))
        ]
    );
    // Global variables go to the instance, local ones to the subprocess scope.
    engine
        .complete(
            &locked[0].task.id,
            "w",
            vars(&[("global", i(1))]),
            vars(&[("local", i(2))]),
        )
        .await
        .unwrap();
    let scoped: Vec<(String, bool)> = engine
        .variables(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.name, v.execution_id == id))
        .collect();
    assert_eq!(
        scoped,
        [
            ("base".to_owned(), true),
            ("global".to_owned(), true),
            ("local".to_owned(), false),
            ("localVar".to_owned(), false)
        ]
    );
    complete_at(&engine, &id, "inner2", vec![], vec![]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
    assert_eq!(
        runtime_vars(&engine, &id, false).await,
        [("base".to_owned(), i(41)), ("global".to_owned(), i(1))]
    );
    complete_at(&engine, &id, "after", vec![], vec![]).await;
    assert_eq!(
        trail(&engine, &id).await,
        [
            "start", "sub", "s_start", "inner", "inner2", "s_end", "after", "end"
        ]
    );
    assert_eq!(state(&engine, &id).await, "COMPLETED");
}

fn terminate(id: &str) -> String {
    format!(r#"<bpmn:endEvent id="{id}"><bpmn:terminateEventDefinition /></bpmn:endEvent>"#)
}

#[tokio::test]
async fn terminate_inside_a_subprocess_ends_only_the_subprocess() {
    let (engine, _dir) = engine();
    let inner = [
        start_ev("s_start"),
        gw("parallel", "s_fork", None),
        ext("x", "x"),
        ext("y", "y"),
        end_ev("s_end"),
        terminate("s_term"),
        flow("sf0", "s_start", "s_fork"),
        flow("sf1", "s_fork", "x"),
        flow("sf2", "s_fork", "y"),
        flow("sf3", "x", "s_end"),
        flow("sf4", "y", "s_term"),
    ]
    .concat();
    let body = [
        start_ev("start"),
        sub("sub", "", &inner),
        ext("after", "after"),
        end_ev("end"),
        chain("f", &["start", "sub", "after", "end"]),
    ]
    .concat();
    deploy_one(&engine, "subterm", &body).await;
    let id = start(&engine, "subterm", &[]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["x", "y"]);
    complete_at(&engine, &id, "y", vec![], vec![]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
    let hist = engine.historic_activities(&id).await.unwrap();
    let x = hist.iter().find(|a| a.activity_id == "x").unwrap();
    assert!(x.canceled && x.end_time.is_some(), "{x:?}");
    let s = hist.iter().find(|a| a.activity_id == "sub").unwrap();
    assert!(!s.canceled && s.end_time.is_some(), "{s:?}");
    complete_at(&engine, &id, "after", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
}

#[tokio::test]
async fn terminate_at_top_level_ends_the_instance_and_deletes_other_tasks() {
    let (engine, _dir) = engine();
    let body = [
        start_ev("start"),
        gw("parallel", "fork", None),
        ext("a", "a"),
        ext("b", "b"),
        end_ev("end"),
        terminate("term"),
        flow("f0", "start", "fork"),
        flow("f1", "fork", "a"),
        flow("f2", "fork", "b"),
        flow("f3", "a", "end"),
        flow("f4", "b", "term"),
    ]
    .concat();
    deploy_one(&engine, "topterm", &body).await;
    let id = start(&engine, "topterm", &[]).await;
    let kept = start(&engine, "topterm", &[]).await;
    let a = tasks_of(&engine, &id).await.remove(0);
    complete_at(&engine, &id, "b", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
    assert!(!running(&engine, &id).await);
    assert!(tasks_of(&engine, &id).await.is_empty());
    assert!(engine.external_task(&a.id).await.is_err());
    assert_eq!(open_tasks(&engine, &kept).await, ["a", "b"]);
    let hist = engine.historic_activities(&id).await.unwrap();
    let ha = hist.iter().find(|h| h.activity_id == "a").unwrap();
    assert!(ha.canceled, "{ha:?}");
    let hi = engine
        .historic_instances(HistoricInstanceQuery {
            id: Some(id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(hi[0].end_activity_id.as_deref(), Some("term"));
}

// ----- 6. call activities -----

fn child(id: &str, topic: &str) -> String {
    process(
        id,
        &[
            start_ev("c_start"),
            ext("c_task", topic),
            end_ev("c_end"),
            chain("cf", &["c_start", "c_task", "c_end"]),
        ]
        .concat(),
    )
}

fn caller(id: &str, call: &str) -> String {
    process(
        id,
        &[
            start_ev("start"),
            call.to_owned(),
            ext("after", &format!("{id}_after")),
            end_ev("end"),
            chain("f", &["start", "call", "after", "end"]),
        ]
        .concat(),
    )
}

async fn children_of(
    engine: &baton_engine::Engine,
    parent: &str,
) -> Vec<baton_engine::HistoricProcessInstance> {
    engine
        .historic_instances(HistoricInstanceQuery {
            super_instance_id: Some(parent.into()),
            ..Default::default()
        })
        .await
        .expect("historic instances")
}

#[tokio::test]
async fn call_activity_maps_variables_in_and_out() {
    let (engine, _dir) = engine();
    let mapped = r#"<bpmn:callActivity id="call" calledElement="child">
      <bpmn:extensionElements>
        <camunda:in source="a" target="x" />
        <camunda:in sourceExpression="${a + 10}" target="y" />
        <camunda:in businessKey="${execution.getProcessBusinessKey()}" />
        <camunda:out source="r" target="res" />
      </bpmn:extensionElements></bpmn:callActivity>"#;
    let all = r#"<bpmn:callActivity id="call" calledElement="child">
      <bpmn:extensionElements>
        <camunda:in variables="all" />
        <camunda:out variables="all" />
      </bpmn:extensionElements></bpmn:callActivity>"#;
    deploy(
        &engine,
        &[
            ("child.bpmn", &child("child", "c")),
            ("mapped.bpmn", &caller("mapped", mapped)),
            ("all.bpmn", &caller("all", all)),
        ],
    )
    .await;

    let parent = engine
        .start(
            baton_engine::StartInstance::by_key("mapped")
                .business_key("bk-1")
                .variable("a", 1)
                .variable("b", 2),
        )
        .await
        .unwrap()
        .id;
    let kids = children_of(&engine, &parent).await;
    assert_eq!(kids.len(), 1, "{:?}", incidents_of(&engine, &parent).await);
    let kid = kids[0].id.clone();
    assert_eq!(kids[0].business_key.as_deref(), Some("bk-1"));
    assert_eq!(kids[0].state, "ACTIVE");
    let call = engine
        .historic_activities(&parent)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.activity_id == "call")
        .unwrap();
    assert_eq!(
        call.called_process_instance_id.as_deref(),
        Some(kid.as_str())
    );
    let locked = lock(&engine, "c").await;
    assert_eq!(locked.len(), 1);
    assert_eq!(locked[0].task.process_instance_id, kid);
    assert_eq!(
        sorted(&locked[0].variables),
        // JUEL adds integers as longs.
        sorted(&[("x".to_owned(), i(1)), ("y".to_owned(), Value::Long(11))])
    );
    engine
        .complete(
            &locked[0].task.id,
            "w",
            vars(&[("r", i(42)), ("other", i(7))]),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(state(&engine, &kid).await, "COMPLETED");
    assert_eq!(open_tasks(&engine, &parent).await, ["after"]);
    assert_eq!(
        runtime_vars(&engine, &parent, false).await,
        [
            ("a".to_owned(), i(1)),
            ("b".to_owned(), i(2)),
            ("res".to_owned(), i(42))
        ]
    );

    let parent = start(&engine, "all", &[("a", i(1)), ("b", i(2))]).await;
    let locked = lock(&engine, "c").await;
    assert_eq!(
        sorted(&locked[0].variables),
        sorted(&[("a".to_owned(), i(1)), ("b".to_owned(), i(2))])
    );
    engine
        .complete(&locked[0].task.id, "w", vars(&[("r", i(42))]), vec![])
        .await
        .unwrap();
    assert_eq!(
        runtime_vars(&engine, &parent, false).await,
        [
            ("a".to_owned(), i(1)),
            ("b".to_owned(), i(2)),
            ("r".to_owned(), i(42))
        ]
    );
    complete_at(&engine, &parent, "after", vec![], vec![]).await;
    assert_eq!(
        trail(&engine, &parent).await,
        ["start", "call", "after", "end"]
    );
}

#[tokio::test]
async fn call_activity_binding_latest_or_version() {
    let (engine, _dir) = engine();
    let latest = r#"<bpmn:callActivity id="call" calledElement="child" />"#;
    let pinned = r#"<bpmn:callActivity id="call" calledElement="child" camunda:calledElementBinding="version" camunda:calledElementVersion="1" />"#;
    deploy(&engine, &[("child.bpmn", &child("child", "v1"))]).await;
    deploy(&engine, &[("child.bpmn", &child("child", "v2"))]).await;
    deploy(
        &engine,
        &[
            ("latest.bpmn", &caller("latest", latest)),
            ("pinned.bpmn", &caller("pinned", pinned)),
        ],
    )
    .await;
    let a = start(&engine, "latest", &[]).await;
    let kid = children_of(&engine, &a).await.remove(0);
    assert_eq!(kid.process_definition_version, 2);
    assert_eq!(lock(&engine, "v2").await.len(), 1);
    let b = start(&engine, "pinned", &[]).await;
    let kid = children_of(&engine, &b).await.remove(0);
    assert_eq!(kid.process_definition_version, 1);
    let locked = lock(&engine, "v1").await;
    assert_eq!(locked.len(), 1);
    engine
        .complete(&locked[0].task.id, "w", vec![], vec![])
        .await
        .unwrap();
    assert_eq!(open_tasks(&engine, &b).await, ["after"]);
}

#[tokio::test]
async fn call_activity_to_a_missing_process_raises_an_incident() {
    let (engine, _dir) = engine();
    let call = r#"<bpmn:callActivity id="call" calledElement="nowhere" />"#;
    deploy(&engine, &[("lost.bpmn", &caller("lost", call))]).await;
    let id = start(&engine, "lost", &[]).await;
    assert!(running(&engine, &id).await);
    let incidents = incidents_of(&engine, &id).await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0].incident_type, "failedJob");
    assert_eq!(incidents[0].activity_id, "call");
    assert!(
        incidents[0]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("nowhere"),
        "{incidents:?}"
    );
    assert!(children_of(&engine, &id).await.is_empty());
}

// ----- 7. BPMN errors -----

fn error_boundary(id: &str, host: &str, error_ref: Option<&str>, extra: &str) -> String {
    let r = error_ref.map_or(String::new(), |r| format!(r#" errorRef="{r}""#));
    format!(
        r#"<bpmn:boundaryEvent id="{id}" attachedToRef="{host}"><bpmn:errorEventDefinition{r} {extra}/></bpmn:boundaryEvent>"#
    )
}

fn error_end(id: &str) -> String {
    format!(
        r#"<bpmn:endEvent id="{id}"><bpmn:errorEventDefinition errorRef="err_invalid" /></bpmn:endEvent>"#
    )
}

#[tokio::test]
async fn worker_error_is_caught_by_the_matching_boundary_first() {
    let (engine, _dir) = engine();
    let body = [
        start_ev("start"),
        ext("t", "t"),
        end_ev("end"),
        // The catch-all comes first in the document; the specific one still wins.
        error_boundary("catch_all", "t", None, ""),
        error_boundary(
            "catch_invalid",
            "t",
            Some("err_invalid"),
            r#"camunda:errorCodeVariable="code" camunda:errorMessageVariable="msg""#,
        ),
        ext("on_invalid", "on_invalid"),
        ext("on_other", "on_other"),
        chain("f", &["start", "t", "end"]),
        flow("fi", "catch_invalid", "on_invalid"),
        flow("fo", "catch_all", "on_other"),
    ]
    .concat();
    deploy_one(&engine, "errs", &body).await;

    let id = start(&engine, "errs", &[]).await;
    let t = lock(&engine, "t").await.remove(0);
    engine
        .handle_bpmn_error(
            &t.task.id,
            "w",
            "INVALID",
            Some("bad input"),
            vars(&[("detail", s("x"))]),
        )
        .await
        .unwrap();
    assert_eq!(open_tasks(&engine, &id).await, ["on_invalid"]);
    assert_eq!(
        runtime_vars(&engine, &id, false).await,
        [
            ("code".to_owned(), s("INVALID")),
            ("detail".to_owned(), s("x")),
            ("msg".to_owned(), s("bad input"))
        ]
    );
    assert_eq!(
        trail(&engine, &id).await,
        ["start", "t", "catch_invalid", "on_invalid"]
    );
    let hist = engine.historic_activities(&id).await.unwrap();
    assert!(hist[1].canceled, "{:?}", hist[1]);
    assert_eq!(hist[2].activity_type, "boundaryError");

    let id = start(&engine, "errs", &[]).await;
    let t = lock(&engine, "t").await.remove(0);
    engine
        .handle_bpmn_error(&t.task.id, "w", "OTHER", None, vec![])
        .await
        .unwrap();
    assert_eq!(open_tasks(&engine, &id).await, ["on_other"]);
    assert_eq!(
        trail(&engine, &id).await,
        ["start", "t", "catch_all", "on_other"]
    );
}

#[tokio::test]
async fn error_end_event_in_a_subprocess_is_caught_on_the_subprocess() {
    let (engine, _dir) = engine();
    let inner = [
        start_ev("s_start"),
        ext("inner", "inner"),
        error_end("s_error"),
        chain("sf", &["s_start", "inner", "s_error"]),
    ]
    .concat();
    let body = [
        start_ev("start"),
        sub("sub", "", &inner),
        end_ev("end"),
        error_boundary("caught", "sub", Some("err_invalid"), ""),
        ext("handled", "handled"),
        end_ev("end_handled"),
        chain("f", &["start", "sub", "end"]),
        chain("h", &["caught", "handled", "end_handled"]),
    ]
    .concat();
    deploy_one(&engine, "suberr", &body).await;
    let id = start(&engine, "suberr", &[]).await;
    complete_at(&engine, &id, "inner", vec![], vec![]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["handled"]);
    complete_at(&engine, &id, "handled", vec![], vec![]).await;
    assert_eq!(
        trail(&engine, &id).await,
        [
            "start",
            "sub",
            "s_start",
            "inner",
            "s_error",
            "caught",
            "handled",
            "end_handled"
        ]
    );
    assert_eq!(state(&engine, &id).await, "COMPLETED");
}

#[tokio::test]
async fn error_from_a_called_instance_is_caught_on_the_call_activity() {
    let (engine, _dir) = engine();
    let failing = process(
        "failing",
        &[
            start_ev("c_start"),
            ext("c_task", "c"),
            error_end("c_error"),
            chain("cf", &["c_start", "c_task", "c_error"]),
        ]
        .concat(),
    );
    let parent = process(
        "parent",
        &[
            start_ev("start"),
            r#"<bpmn:callActivity id="call" calledElement="failing" />"#.to_owned(),
            ext("after", "after"),
            end_ev("end"),
            error_boundary(
                "caught",
                "call",
                Some("err_invalid"),
                r#"camunda:errorCodeVariable="code""#,
            ),
            ext("handled", "handled"),
            end_ev("end_handled"),
            chain("f", &["start", "call", "after", "end"]),
            chain("h", &["caught", "handled", "end_handled"]),
        ]
        .concat(),
    );
    deploy(
        &engine,
        &[("failing.bpmn", &failing), ("parent.bpmn", &parent)],
    )
    .await;
    let id = start(&engine, "parent", &[]).await;
    let kid = children_of(&engine, &id).await.remove(0).id;
    complete_at(&engine, &kid, "c_task", vec![], vec![]).await;
    assert_eq!(state(&engine, &kid).await, "INTERNALLY_TERMINATED");
    assert!(!running(&engine, &kid).await);
    assert_eq!(open_tasks(&engine, &id).await, ["handled"]);
    assert_eq!(
        runtime_vars(&engine, &id, false).await,
        [("code".to_owned(), s("INVALID"))]
    );
    complete_at(&engine, &id, "handled", vec![], vec![]).await;
    assert_eq!(
        trail(&engine, &id).await,
        ["start", "call", "caught", "handled", "end_handled"]
    );
    assert_eq!(state(&engine, &id).await, "COMPLETED");
    assert_eq!(trail(&engine, &kid).await, ["c_start", "c_task", "c_error"]);
}

#[tokio::test]
async fn uncaught_error_ends_the_token() {
    let (engine, _dir) = engine();
    let body = [
        start_ev("start"),
        gw("parallel", "fork", None),
        ext("t", "t"),
        ext("u", "u"),
        end_ev("end_t"),
        end_ev("end_u"),
        flow("f0", "start", "fork"),
        flow("f1", "fork", "t"),
        flow("f2", "fork", "u"),
        flow("f3", "t", "end_t"),
        flow("f4", "u", "end_u"),
    ]
    .concat();
    deploy_one(&engine, "uncaught", &body).await;
    let id = start(&engine, "uncaught", &[]).await;
    let t = lock(&engine, "t").await.remove(0);
    engine
        .handle_bpmn_error(&t.task.id, "w", "NOBODY", None, vec![])
        .await
        .unwrap();
    assert!(running(&engine, &id).await);
    assert_eq!(open_tasks(&engine, &id).await, ["u"]);
    complete_at(&engine, &id, "u", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
    assert!(!trail(&engine, &id).await.contains(&"end_t".to_owned()));
}

// ----- 8. multi-instance -----

fn mi(
    parallel_or_seq: &str,
    attrs: &str,
    completion: Option<&str>,
    cardinality: Option<&str>,
) -> String {
    let mut x = format!(
        r#"<bpmn:multiInstanceLoopCharacteristics{} {attrs}>"#,
        if parallel_or_seq == "seq" {
            r#" isSequential="true""#
        } else {
            ""
        }
    );
    if let Some(c) = cardinality {
        x += &format!("<bpmn:loopCardinality>{c}</bpmn:loopCardinality>");
    }
    if let Some(c) = completion {
        x += &format!(
            r#"<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">{c}</bpmn:completionCondition>"#
        );
    }
    x + "</bpmn:multiInstanceLoopCharacteristics>"
}

fn mi_ext(id: &str, topic: &str, loop_xml: &str) -> String {
    format!(
        r#"<bpmn:serviceTask id="{id}" camunda:type="external" camunda:topic="{topic}">{loop_xml}</bpmn:serviceTask>"#
    )
}

fn mi_process(id: &str, loop_xml: &str) -> String {
    process(
        id,
        &[
            start_ev("start"),
            mi_ext("t", "t", loop_xml),
            ext("after", &format!("{id}_after")),
            end_ev("end"),
            chain("f", &["start", "t", "after", "end"]),
        ]
        .concat(),
    )
}

#[tokio::test]
async fn parallel_multi_instance_with_cardinality() {
    let (engine, _dir) = engine();
    deploy(
        &engine,
        &[(
            "par.bpmn",
            &mi_process("par", &mi("par", "", None, Some("3"))),
        )],
    )
    .await;
    let id = start(&engine, "par", &[]).await;
    let locked = lock(&engine, "t").await;
    assert_eq!(locked.len(), 3);
    let counters: BTreeSet<i32> = locked
        .iter()
        .map(
            |t| match t.variables.iter().find(|(n, _)| n == "loopCounter") {
                Some((_, Value::Integer(c))) => *c,
                other => panic!("loopCounter: {other:?}"),
            },
        )
        .collect();
    assert_eq!(counters, BTreeSet::from([0, 1, 2]));
    // loopCounter is local to each instance, not in the process scope.
    assert!(runtime_vars(&engine, &id, true).await.is_empty());
    for (n, t) in locked.iter().enumerate() {
        assert!(open_tasks(&engine, &id).await.iter().all(|a| a == "t"));
        engine
            .complete(&t.task.id, "w", vec![], vec![])
            .await
            .unwrap();
        if n < 2 {
            assert_eq!(open_tasks(&engine, &id).await.len(), 2 - n);
        }
    }
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
    assert!(runtime_vars(&engine, &id, false).await.is_empty());
    complete_at(&engine, &id, "after", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
    let hist = engine.historic_activities(&id).await.unwrap();
    let body: Vec<_> = hist
        .iter()
        .filter(|a| a.activity_type == "multiInstanceBody")
        .collect();
    assert_eq!(body.len(), 1);
    assert_eq!(body[0].activity_id, "t#multiInstanceBody");
    assert_eq!(
        hist.iter()
            .filter(|a| a.activity_id == "t" && a.end_time.is_some() && !a.canceled)
            .count(),
        3
    );
}

#[tokio::test]
async fn sequential_multi_instance_over_a_collection() {
    let (engine, _dir) = engine();
    let l = mi(
        "seq",
        r#"camunda:collection="${items}" camunda:elementVariable="item""#,
        None,
        None,
    );
    deploy(&engine, &[("seq.bpmn", &mi_process("seq", &l))]).await;
    let id = start(
        &engine,
        "seq",
        &[("items", Value::Json(r#"["a","b","c"]"#.into()))],
    )
    .await;
    let mut seen = Vec::new();
    for n in 0..3 {
        let locked = lock(&engine, "t").await;
        assert_eq!(locked.len(), 1, "one at a time");
        let get = |name: &str| {
            locked[0]
                .variables
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("loopCounter"), Some(i(n)));
        seen.push(get("item"));
        engine
            .complete(&locked[0].task.id, "w", vec![], vec![])
            .await
            .unwrap();
    }
    assert_eq!(seen, [Some(s("a")), Some(s("b")), Some(s("c"))]);
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
}

#[tokio::test]
async fn completion_condition_cancels_the_remaining_instances() {
    let (engine, _dir) = engine();
    let l = mi("par", "", Some("${nrOfCompletedInstances >= 2}"), Some("3"));
    deploy(&engine, &[("cc.bpmn", &mi_process("cc", &l))]).await;
    let id = start(&engine, "cc", &[]).await;
    let locked = lock(&engine, "t").await;
    assert_eq!(locked.len(), 3);
    engine
        .complete(&locked[0].task.id, "w", vec![], vec![])
        .await
        .unwrap();
    assert_eq!(open_tasks(&engine, &id).await, ["t", "t"]);
    engine
        .complete(&locked[2].task.id, "w", vec![], vec![])
        .await
        .unwrap();
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
    assert!(engine.external_task(&locked[1].task.id).await.is_err());
    let hist = engine.historic_activities(&id).await.unwrap();
    let canceled: Vec<_> = hist.iter().filter(|a| a.canceled).collect();
    assert_eq!(canceled.len(), 1, "{canceled:?}");
    assert_eq!(
        canceled[0].task_id.as_deref(),
        Some(locked[1].task.id.as_str())
    );
}

#[tokio::test]
async fn multi_instance_subprocess_and_call_activity() {
    let (engine, _dir) = engine();
    let inner = [
        start_ev("s_start"),
        ext("inner", "inner"),
        end_ev("s_end"),
        chain("sf", &["s_start", "inner", "s_end"]),
    ]
    .concat();
    let l = mi("par", "", None, Some("2"));
    let subp = process(
        "misub",
        &[
            start_ev("start"),
            format!(r#"<bpmn:subProcess id="sub">{l}{inner}</bpmn:subProcess>"#),
            ext("after", "misub_after"),
            end_ev("end"),
            chain("f", &["start", "sub", "after", "end"]),
        ]
        .concat(),
    );
    let call = format!(
        r#"<bpmn:callActivity id="call" calledElement="child"><bpmn:extensionElements><camunda:in source="loopCounter" target="n" /></bpmn:extensionElements>{l}</bpmn:callActivity>"#
    );
    deploy(
        &engine,
        &[
            ("misub.bpmn", &subp),
            ("child.bpmn", &child("child", "c")),
            ("micall.bpmn", &caller("micall", &call)),
        ],
    )
    .await;

    let id = start(&engine, "misub", &[]).await;
    let locked = lock(&engine, "inner").await;
    assert_eq!(locked.len(), 2);
    for t in &locked {
        engine
            .complete(&t.task.id, "w", vec![], vec![])
            .await
            .unwrap();
    }
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
    let t = trail(&engine, &id).await;
    assert_eq!(t.iter().filter(|a| *a == "sub").count(), 2, "{t:?}");
    assert_eq!(t.iter().filter(|a| *a == "inner").count(), 2, "{t:?}");

    let id = start(&engine, "micall", &[]).await;
    let kids = children_of(&engine, &id).await;
    assert_eq!(kids.len(), 2);
    let locked = lock(&engine, "c").await;
    assert_eq!(locked.len(), 2);
    let ns: BTreeSet<String> = locked
        .iter()
        .map(|t| format!("{:?}", t.variables))
        .collect();
    assert_eq!(
        ns,
        BTreeSet::from([
            format!("{:?}", [("n".to_owned(), i(0))]),
            format!("{:?}", [("n".to_owned(), i(1))])
        ])
    );
    engine
        .complete(&locked[0].task.id, "w", vec![], vec![])
        .await
        .unwrap();
    assert!(open_tasks(&engine, &id).await.is_empty());
    engine
        .complete(&locked[1].task.id, "w", vec![], vec![])
        .await
        .unwrap();
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
}

// ----- 9. input/output mappings on a task -----

#[tokio::test]
async fn task_input_output_mappings() {
    let (engine, _dir) = engine();
    let mapping = io(
        &[("greeting", "hello"), ("amountIn", "${amount}")],
        &[("total", "${result * 2}")],
    );
    let body = [
        start_ev("start"),
        format!(
            r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="t">{mapping}</bpmn:serviceTask>"#
        ),
        ext("after", "after"),
        end_ev("end"),
        chain("f", &["start", "t", "after", "end"]),
    ]
    .concat();
    deploy_one(&engine, "iomap", &body).await;
    let id = start(&engine, "iomap", &[("amount", i(5))]).await;
    let locked = lock(&engine, "t").await;
    assert_eq!(
        sorted(&locked[0].variables),
        [
            ("amount".to_owned(), i(5)),
            ("amountIn".to_owned(), i(5)),
            ("greeting".to_owned(), s("hello"))
        ]
    );
    assert_eq!(
        runtime_vars(&engine, &id, true).await,
        [("amount".to_owned(), i(5))]
    );
    engine
        .complete(
            &locked[0].task.id,
            "w",
            vars(&[("g", b(true))]),
            vars(&[("result", i(21))]),
        )
        .await
        .unwrap();
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
    // JUEL multiplies integers as longs.
    assert_eq!(
        runtime_vars(&engine, &id, false).await,
        [
            ("amount".to_owned(), i(5)),
            ("g".to_owned(), b(true)),
            ("total".to_owned(), Value::Long(42))
        ]
    );
}

// ----- 10. variables -----

#[tokio::test]
async fn local_and_global_variables_of_a_completed_task() {
    let (engine, _dir) = engine();
    // Outside any concurrency or subprocess, the task's execution is the process
    // instance itself (as in Camunda), so local variables land there too.
    let body = [
        start_ev("start"),
        ext("a", "a"),
        ext("b", "b"),
        end_ev("end"),
        chain("f", &["start", "a", "b", "end"]),
    ]
    .concat();
    deploy_one(&engine, "two", &body).await;
    let id = start(&engine, "two", &[("x", i(1))]).await;
    complete_at(
        &engine,
        &id,
        "a",
        vars(&[("x", i(2)), ("fresh", s("g"))]),
        vars(&[("mine", s("l"))]),
    )
    .await;
    let all = engine.variables(&id).await.unwrap();
    let names: Vec<(&str, &Value)> = all.iter().map(|v| (v.name.as_str(), &v.value)).collect();
    assert_eq!(names, [("fresh", &s("g")), ("mine", &s("l")), ("x", &i(2))]);
    assert!(all.iter().all(|v| v.execution_id == id), "{all:?}");
}

#[tokio::test]
async fn typed_values_round_trip() {
    let (engine, _dir) = engine();
    deploy(&engine, &[("p2.bpmn", &parallel("p2", &["a", "b"]))]).await;
    let typed = vec![
        ("bytes".to_owned(), Value::Bytes(vec![0, 1, 2, 255])),
        ("date".to_owned(), Value::Date(1_700_000_000_123)),
        ("double".to_owned(), Value::Double(2.5)),
        ("json".to_owned(), Value::Json(r#"{"k":[1,2]}"#.into())),
        ("long".to_owned(), Value::Long(1 << 40)),
        ("null".to_owned(), Value::Null),
        (
            "object".to_owned(),
            Value::Object {
                value: r#"["x"]"#.into(),
                object_type_name: Some("java.util.ArrayList".into()),
                serialization_format: Some("application/json".into()),
            },
        ),
        ("short".to_owned(), Value::Short(7)),
        ("xml".to_owned(), Value::Xml("<a/>".into())),
    ];
    let refs: Vec<(&str, Value)> = typed.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    let id = start(&engine, "p2", &refs).await;
    let locked = lock(&engine, "a").await;
    assert_eq!(sorted(&locked[0].variables), typed);
    let stored: Vec<(String, Value)> = engine
        .variables(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.name, v.value))
        .collect();
    assert_eq!(stored, typed);
    // Written back by a worker, then read from history after the end.
    let renamed: Variables = typed
        .iter()
        .map(|(n, v)| (format!("w_{n}"), v.clone()))
        .collect();
    engine
        .complete(&locked[0].task.id, "w", renamed.clone(), vec![])
        .await
        .unwrap();
    complete_at(&engine, &id, "b", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
    for (name, value) in renamed.iter().chain(typed.iter()) {
        assert_eq!(
            hvar(&engine, &id, name).await.as_ref(),
            Some(value),
            "{name}"
        );
    }
}

// ----- 11. deployments and versions -----

async fn deploy_result(
    engine: &baton_engine::Engine,
    name: &str,
    docs: &[(&str, &str)],
    duplicate_filtering: bool,
) -> baton_engine::Result<baton_engine::DeploymentResult> {
    engine
        .deploy(NewDeployment {
            name: Some(name.into()),
            resources: docs
                .iter()
                .map(|(n, x)| ((*n).to_owned(), x.as_bytes().to_vec()))
                .collect(),
            duplicate_filtering,
            ..NewDeployment::default()
        })
        .await
}

#[tokio::test]
async fn redeploying_versions_keeps_running_instances_on_their_version() {
    let (engine, _dir) = engine();
    let v1 = child("ver", "one");
    let v2 = child("ver", "two");
    let d1 = deploy_result(&engine, "d", &[("ver.bpmn", &v1)], true)
        .await
        .unwrap();
    assert_eq!(d1.definitions.len(), 1);
    assert_eq!(d1.definitions[0].version, 1);
    let old = start(&engine, "ver", &[]).await;

    // Unchanged: filtered, the old deployment answers.
    let again = deploy_result(&engine, "d", &[("ver.bpmn", &v1)], true)
        .await
        .unwrap();
    assert_eq!(again.deployment.id, d1.deployment.id);
    assert!(again.definitions.is_empty());

    let d2 = deploy_result(&engine, "d", &[("ver.bpmn", &v2)], true)
        .await
        .unwrap();
    assert_ne!(d2.deployment.id, d1.deployment.id);
    assert_eq!(d2.definitions[0].version, 2);
    let new = start(&engine, "ver", &[]).await;

    let old_task = tasks_of(&engine, &old).await.remove(0);
    assert_eq!(old_task.process_definition_id, d1.definitions[0].id);
    assert_eq!(old_task.topic, "one");
    let new_task = tasks_of(&engine, &new).await.remove(0);
    assert_eq!(new_task.process_definition_id, d2.definitions[0].id);
    assert_eq!(new_task.topic, "two");
    complete_at(&engine, &old, "c_task", vec![], vec![]).await;
    assert_eq!(trail(&engine, &old).await, ["c_start", "c_task", "c_end"]);
    let defs = engine
        .definitions(DefinitionQuery {
            key: Some("ver".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let versions: BTreeSet<i64> = defs.iter().map(|d| d.version).collect();
    assert_eq!(versions, BTreeSet::from([1, 2]));
}

#[tokio::test]
async fn an_invalid_model_deploys_nothing() {
    let (engine, _dir) = engine();
    let good = child("good", "g");
    let bad = process(
        "bad",
        &[start_ev("start"), flow("f", "start", "nowhere")].concat(),
    );
    let err = deploy_result(
        &engine,
        "d",
        &[("good.bpmn", &good), ("bad.bpmn", &bad)],
        false,
    )
    .await
    .unwrap_err();
    match &err {
        Error::Deployment { resource, problems } => {
            assert_eq!(resource, "bad.bpmn");
            assert!(!problems.is_empty());
            assert!(
                problems.iter().any(|p| p.message.contains("nowhere")),
                "{problems:?}"
            );
        }
        other => panic!("expected a deployment error, got {other:?}"),
    }
    assert!(
        engine
            .definitions(DefinitionQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(engine.deployments(None, None).await.unwrap().is_empty());
    assert!(
        engine
            .external_tasks(ExternalTaskQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
}

// ----- more call-activity edges -----

#[tokio::test]
async fn errors_from_called_instances_immediate_or_uncaught() {
    let (engine, _dir) = engine();
    // The child throws as soon as it starts, inside the parent's start command.
    let instant = process(
        "instant",
        &[
            start_ev("c_start"),
            error_end("c_error"),
            flow("cf", "c_start", "c_error"),
        ]
        .concat(),
    );
    let caught = process(
        "caught_parent",
        &[
            start_ev("start"),
            r#"<bpmn:callActivity id="call" calledElement="instant" />"#.to_owned(),
            end_ev("end"),
            error_boundary("catch", "call", None, ""),
            ext("handled", "handled"),
            end_ev("end_handled"),
            chain("f", &["start", "call", "end"]),
            chain("h", &["catch", "handled", "end_handled"]),
        ]
        .concat(),
    );
    // Nobody catches: the child's token ends, the child completes, the parent goes on.
    let uncaught = process(
        "uncaught_parent",
        &[
            start_ev("start"),
            r#"<bpmn:callActivity id="call" calledElement="instant" />"#.to_owned(),
            ext("after", "after"),
            end_ev("end"),
            chain("f", &["start", "call", "after", "end"]),
        ]
        .concat(),
    );
    deploy(
        &engine,
        &[
            ("instant.bpmn", &instant),
            ("caught.bpmn", &caught),
            ("uncaught.bpmn", &uncaught),
        ],
    )
    .await;
    let id = start(&engine, "caught_parent", &[]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["handled"]);
    let kid = children_of(&engine, &id).await.remove(0);
    assert_eq!(kid.state, "INTERNALLY_TERMINATED");
    assert!(engine.instance(&kid.id).await.is_err());

    let id = start(&engine, "uncaught_parent", &[]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
    let kid = children_of(&engine, &id).await.remove(0);
    assert_eq!(kid.state, "COMPLETED");
}

#[tokio::test]
async fn deleting_a_caller_deletes_its_called_instance() {
    let (engine, _dir) = engine();
    let call = r#"<bpmn:callActivity id="call" calledElement="child" />"#;
    deploy(
        &engine,
        &[
            ("child.bpmn", &child("child", "c")),
            ("parent.bpmn", &caller("parent", call)),
        ],
    )
    .await;
    let id = start(&engine, "parent", &[]).await;
    let kid = children_of(&engine, &id).await.remove(0).id;
    assert_eq!(open_tasks(&engine, &kid).await, ["c_task"]);
    engine
        .delete_instance(&id, Some("no longer needed".into()))
        .await
        .unwrap();
    assert_eq!(state(&engine, &id).await, "EXTERNALLY_TERMINATED");
    assert_eq!(state(&engine, &kid).await, "EXTERNALLY_TERMINATED");
    let hk = children_of(&engine, &id).await.remove(0);
    assert_eq!(hk.delete_reason.as_deref(), Some("no longer needed"));
    assert!(engine.instance(&kid).await.is_err());
    assert!(tasks_of(&engine, &kid).await.is_empty());
    let hist = engine.historic_activities(&id).await.unwrap();
    assert!(hist.iter().any(|a| a.activity_id == "call" && a.canceled));
}

#[tokio::test]
async fn inclusive_join_does_not_wait_for_a_branch_that_cannot_reach_it() {
    let (engine, _dir) = engine();
    let body = [
        start_ev("start"),
        gw("inclusive", "fork", None),
        gw("inclusive", "join", None),
        ext("a", "a"),
        ext("b", "b"),
        ext("c", "c"),
        ext("after", "after"),
        end_ev("end"),
        end_ev("end_c"),
        flow("f0", "start", "fork"),
        cond("fa", "fork", "a", "${true}"),
        cond("fb", "fork", "b", "${true}"),
        cond("fc", "fork", "c", "${true}"),
        flow("fa2", "a", "join"),
        flow("fb2", "b", "join"),
        flow("fc2", "c", "end_c"),
        flow("f1", "join", "after"),
        flow("f2", "after", "end"),
    ]
    .concat();
    deploy_one(&engine, "partial", &body).await;
    let id = start(&engine, "partial", &[]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["a", "b", "c"]);
    complete_at(&engine, &id, "a", vec![], vec![]).await;
    assert_eq!(open_tasks(&engine, &id).await, ["b", "c"]);
    complete_at(&engine, &id, "b", vec![], vec![]).await;
    // c cannot reach the join: it fires without it.
    assert_eq!(open_tasks(&engine, &id).await, ["after", "c"]);
    complete_at(&engine, &id, "c", vec![], vec![]).await;
    complete_at(&engine, &id, "after", vec![], vec![]).await;
    assert_eq!(state(&engine, &id).await, "COMPLETED");
}

#[tokio::test]
async fn error_on_one_multi_instance_task_cancels_the_whole_body() {
    let (engine, _dir) = engine();
    let body = [
        start_ev("start"),
        mi_ext("t", "t", &mi("par", "", None, Some("3"))),
        end_ev("end"),
        error_boundary("catch", "t", Some("err_invalid"), ""),
        ext("handled", "handled"),
        end_ev("end_handled"),
        chain("f", &["start", "t", "end"]),
        chain("h", &["catch", "handled", "end_handled"]),
    ]
    .concat();
    deploy_one(&engine, "mierr", &body).await;
    let id = start(&engine, "mierr", &[]).await;
    let locked = lock(&engine, "t").await;
    assert_eq!(locked.len(), 3);
    engine
        .handle_bpmn_error(&locked[1].task.id, "w", "INVALID", None, vec![])
        .await
        .unwrap();
    assert_eq!(open_tasks(&engine, &id).await, ["handled"]);
    assert!(runtime_vars(&engine, &id, false).await.is_empty());
    let hist = engine.historic_activities(&id).await.unwrap();
    let canceled: BTreeSet<&str> = hist
        .iter()
        .filter(|a| a.canceled)
        .map(|a| a.activity_id.as_str())
        .collect();
    assert_eq!(canceled, BTreeSet::from(["t", "t#multiInstanceBody"]));
    assert_eq!(
        hist.iter()
            .filter(|a| a.activity_id == "t" && a.canceled)
            .count(),
        3
    );
}

#[tokio::test]
async fn the_activity_instance_tree_shows_bodies_and_their_instances() {
    let (engine, _dir) = engine();
    let loop_xml = mi("par", "", None, Some("2"));
    deploy(&engine, &[("tree.bpmn", &mi_process("tree", &loop_xml))]).await;
    let id = start(&engine, "tree", &[]).await;
    let tree = engine.activity_instances(&id).await.unwrap();
    assert_eq!(tree.id, id);
    assert_eq!(tree.activity_type, "processDefinition");
    assert!(
        tree.activity_id.starts_with("tree:1:"),
        "{}",
        tree.activity_id
    );
    let [body] = &tree.children[..] else {
        panic!("one body expected: {tree:?}")
    };
    assert_eq!(body.activity_id, "t#multiInstanceBody");
    assert_eq!(body.activity_type, "multiInstanceBody");
    assert_eq!(body.parent_id.as_deref(), Some(id.as_str()));
    let kinds: Vec<(&str, &str)> = body
        .children
        .iter()
        .map(|c| (c.activity_id.as_str(), c.activity_type.as_str()))
        .collect();
    assert_eq!(kinds, [("t", "serviceTask"), ("t", "serviceTask")]);
    let task_ids: Vec<String> = tasks_of(&engine, &id)
        .await
        .into_iter()
        .map(|t| t.activity_instance_id)
        .collect();
    let mut tree_ids: Vec<String> = body.children.iter().map(|c| c.id.clone()).collect();
    tree_ids.sort();
    let mut task_ids = task_ids;
    task_ids.sort();
    assert_eq!(tree_ids, task_ids);
}

#[tokio::test]
async fn an_element_baton_cannot_run_yet_parks_the_token_with_an_incident_of_its_own() {
    let (engine, _dir) = engine();
    let body = format!(
        r#"{}<bpmn:intermediateThrowEvent id="approve"><bpmn:compensateEventDefinition /></bpmn:intermediateThrowEvent>{}{}{}"#,
        start_ev("s"),
        end_ev("e"),
        flow("f1", "s", "approve"),
        flow("f2", "approve", "e")
    );
    deploy(&engine, &[("u.bpmn", &process("u", &body))]).await;
    let id = start(&engine, "u", &[]).await;
    let incidents = incidents_of(&engine, &id).await;
    let [incident] = &incidents[..] else {
        panic!("one incident expected: {incidents:?}")
    };
    // Not `failedJob`: there is no job to retry.
    assert_eq!(incident.incident_type, "unsupportedElement");
    assert_eq!(incident.activity_id, "approve");
    let message = incident.message.as_deref().unwrap_or_default();
    assert!(message.contains("'approve'"), "{message}");
    assert!(message.contains("baton validate"), "{message}");
    assert!(running(&engine, &id).await, "the token waits there");
}
