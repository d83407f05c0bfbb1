//! User tasks as Camunda 7 runs them: what a task is created with, what people do
//! to it, how boundary events, errors, escalations, multi-instance, subprocesses,
//! call activities and cancellation treat it, its history, and the task list's
//! queries. Each test runs the real engine on a database file.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use baton_engine::{
    Config, DelegationState, Engine, Error, HistoricTaskQuery, IdentityLink, ManualClock, Task,
    TaskQuery, TaskSort, TaskUpdate, Value, VariableFilter, VariableOp,
};
use common::*;

/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;
const DAY: i64 = 86_400_000;

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

/// An engine on a manual clock at [`T0`].
fn clocked() -> (Engine, Arc<ManualClock>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let engine =
        Engine::open(Config::file(dir.path().join("baton.db")).clock(clock.clone())).unwrap();
    (engine, clock, dir)
}

/// start -> `body` (an element `task`) -> end, as process `key`.
fn around(key: &str, body: &str) -> String {
    process(
        key,
        &format!(
            "{}{body}{}{}{}",
            start_ev("start"),
            end_ev("end"),
            flow("f1", "start", "task"),
            flow("f2", "task", "end")
        ),
    )
}

async fn tasks(engine: &Engine, q: TaskQuery) -> Vec<Task> {
    engine.tasks(q).await.unwrap()
}

async fn tasks_of_instance(engine: &Engine, instance: &str) -> Vec<Task> {
    tasks(
        engine,
        TaskQuery {
            instance_ids: vec![instance.to_owned()],
            ..TaskQuery::default()
        },
    )
    .await
}

async fn only_task(engine: &Engine, instance: &str) -> Task {
    let mut list = tasks_of_instance(engine, instance).await;
    assert_eq!(list.len(), 1, "{list:?}");
    list.remove(0)
}

#[tokio::test]
async fn a_user_task_is_created_with_its_expressions_evaluated() {
    let (engine, _clock, _dir) = clocked();
    let task = r#"<bpmn:userTask id="task" name="Approve ${order}" camunda:assignee="${boss}"
        camunda:candidateUsers="kermit, ${helper}" camunda:candidateGroups="${groups}"
        camunda:dueDate="P2D" camunda:followUpDate="${followUp}" camunda:priority="${prio}"
        camunda:formKey="embedded:deployment:approve.html">
        <bpmn:documentation>Order ${order}</bpmn:documentation></bpmn:userTask>"#;
    deploy(&engine, &[("u.bpmn", &around("u", task))]).await;
    let id = start(
        &engine,
        "u",
        &[
            ("order", s("A-1")),
            ("boss", s("fozzie")),
            ("helper", s("gonzo")),
            ("groups", Value::Json(r#"["sales","management"]"#.into())),
            ("followUp", s("2026-01-05T10:00:00Z")),
            ("prio", s("70")),
        ],
    )
    .await;
    let t = only_task(&engine, &id).await;
    assert_eq!(t.name.as_deref(), Some("Approve A-1"));
    assert_eq!(t.description.as_deref(), Some("Order A-1"));
    assert_eq!(t.assignee.as_deref(), Some("fozzie"));
    assert_eq!(t.due, Some(T0 + 2 * DAY));
    assert_eq!(t.follow_up, Some(T0 + 4 * DAY + 10 * 3_600_000));
    assert_eq!(t.priority, 70);
    assert_eq!(t.created, T0);
    assert_eq!(
        t.form_key.as_deref(),
        Some("embedded:deployment:approve.html")
    );
    assert_eq!(t.task_definition_key, "task");
    assert_eq!(t.definition_key, "u");
    assert_eq!(t.last_updated, None);
    let links = engine.task_identity_links(&t.id, None).await.unwrap();
    let shown: Vec<(String, Option<String>, Option<String>)> = links
        .into_iter()
        .map(|l| (l.kind, l.user_id, l.group_id))
        .collect();
    assert_eq!(
        shown,
        [
            ("assignee".into(), Some("fozzie".into()), None),
            ("candidate".into(), Some("kermit".into()), None),
            ("candidate".into(), Some("gonzo".into()), None),
            ("candidate".into(), None, Some("sales".into())),
            ("candidate".into(), None, Some("management".into())),
        ]
    );
    // The activity's history names its task.
    let acts = engine.historic_activities(&id).await.unwrap();
    let act = acts.iter().find(|a| a.activity_id == "task").unwrap();
    assert_eq!(act.task_id.as_deref(), Some(t.id.as_str()));
    assert_eq!(act.activity_type, "userTask");
    // A plain task gets Camunda's default priority.
    deploy(
        &engine,
        &[("p.bpmn", &around("plain", r#"<bpmn:userTask id="task" />"#))],
    )
    .await;
    let id = start(&engine, "plain", &[]).await;
    let t = only_task(&engine, &id).await;
    assert_eq!(
        (t.priority, t.name, t.assignee, t.due),
        (50, None, None, None)
    );
}

#[tokio::test]
async fn a_bad_due_date_raises_an_incident_naming_it() {
    let (engine, _dir) = engine();
    let task = r#"<bpmn:userTask id="task" camunda:dueDate="${due}" />"#;
    deploy(&engine, &[("u.bpmn", &around("u", task))]).await;
    let id = start(&engine, "u", &[("due", s("next tuesday"))]).await;
    let incidents = incidents_of(&engine, &id).await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let message = incidents[0].message.clone().unwrap_or_default();
    assert!(
        message.contains("camunda:dueDate 'next tuesday'"),
        "{message}"
    );
    assert!(tasks_of_instance(&engine, &id).await.is_empty());
}

#[tokio::test]
async fn completing_sets_variables_from_the_task_and_moves_on() {
    let (engine, _dir) = engine();
    let body = format!(
        r#"{}<bpmn:userTask id="task" camunda:assignee="demo" />{}{}{}{}"#,
        start_ev("start"),
        ext("after", "after"),
        end_ev("end"),
        flow("f1", "start", "task"),
        chain("g", &["task", "after", "end"])
    );
    deploy(&engine, &[("u.bpmn", &process("u", &body))]).await;
    let id = start(&engine, "u", &[("amount", Value::Integer(5))]).await;
    let t = only_task(&engine, &id).await;
    let seen = engine
        .complete_task_returning(&t.id, vars(&[("approved", Value::Boolean(true))]))
        .await
        .unwrap();
    assert!(seen.contains(&("approved".into(), Value::Boolean(true))));
    assert!(seen.contains(&("amount".into(), Value::Integer(5))));
    assert!(tasks_of_instance(&engine, &id).await.is_empty());
    assert_eq!(open_tasks(&engine, &id).await, ["after"]);
    let root = runtime_vars(&engine, &id, true).await;
    assert!(root.contains(&("approved".into(), Value::Boolean(true))));
    let history = engine
        .historic_tasks(HistoricTaskQuery {
            task_id: Some(t.id.clone()),
            ..HistoricTaskQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].delete_reason.as_deref(), Some("completed"));
    assert_eq!(history[0].state, "Completed");
    assert!(history[0].end_time.is_some() && history[0].duration.is_some());
    assert_eq!(history[0].assignee.as_deref(), Some("demo"));
    // The task is gone: completing it again is a not-found error.
    let again = engine.complete_task(&t.id, vec![]).await.unwrap_err();
    assert!(matches!(again, Error::NotFound(_)), "{again:?}");
}

#[tokio::test]
async fn claim_unclaim_assign_delegate_and_resolve() {
    let (engine, _dir) = engine();
    deploy(
        &engine,
        &[("u.bpmn", &around("u", r#"<bpmn:userTask id="task" />"#))],
    )
    .await;
    let id = start(&engine, "u", &[]).await;
    let t = only_task(&engine, &id).await;
    engine.claim_task(&t.id, "kermit").await.unwrap();
    // Claiming one's own task again is fine; someone else's is refused.
    engine.claim_task(&t.id, "kermit").await.unwrap();
    let err = engine.claim_task(&t.id, "gonzo").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Task '{}' is already claimed by someone else.", t.id)
    );
    assert_eq!(
        engine.task(&t.id).await.unwrap().assignee.as_deref(),
        Some("kermit")
    );
    engine.unclaim_task(&t.id).await.unwrap();
    assert_eq!(engine.task(&t.id).await.unwrap().assignee, None);
    engine
        .set_task_assignee(&t.id, Some("fozzie"))
        .await
        .unwrap();
    engine
        .set_task_assignee(&t.id, Some("piggy"))
        .await
        .unwrap();
    let now = engine.task(&t.id).await.unwrap();
    assert_eq!(now.assignee.as_deref(), Some("piggy"));
    assert!(now.last_updated.is_some());

    engine.delegate_task(&t.id, "gonzo").await.unwrap();
    let d = engine.task(&t.id).await.unwrap();
    assert_eq!(d.owner.as_deref(), Some("piggy"));
    assert_eq!(d.assignee.as_deref(), Some("gonzo"));
    assert_eq!(d.delegation_state, Some(DelegationState::Pending));
    engine
        .resolve_task(&t.id, vars(&[("checked", Value::Boolean(true))]))
        .await
        .unwrap();
    let r = engine.task(&t.id).await.unwrap();
    assert_eq!(r.assignee.as_deref(), Some("piggy"));
    assert_eq!(r.delegation_state, Some(DelegationState::Resolved));
    assert!(
        runtime_vars(&engine, &id, true)
            .await
            .contains(&("checked".into(), Value::Boolean(true)))
    );
    // Every change of the assignee and owner is in history.
    assert!(
        engine
            .historic_tasks(HistoricTaskQuery {
                involved_user: Some("gonzo".into()),
                ..HistoricTaskQuery::default()
            })
            .await
            .unwrap()
            .len()
            == 1
    );
}

#[tokio::test]
async fn an_update_overwrites_every_field_and_keeps_the_tenant() {
    let (engine, _dir) = engine();
    deploy(
        &engine,
        &[(
            "u.bpmn",
            &around(
                "u",
                r#"<bpmn:userTask id="task" name="n" camunda:priority="80" />"#,
            ),
        )],
    )
    .await;
    let id = start(&engine, "u", &[]).await;
    let t = only_task(&engine, &id).await;
    engine
        .update_task(
            &t.id,
            TaskUpdate {
                description: Some("now described".into()),
                assignee: Some("kermit".into()),
                due: Some(T0),
                ..TaskUpdate::default()
            },
        )
        .await
        .unwrap();
    let u = engine.task(&t.id).await.unwrap();
    // Everything not given is cleared, as a PUT in Camunda; priority becomes 0.
    assert_eq!(u.name, None);
    assert_eq!(u.priority, 0);
    assert_eq!(u.description.as_deref(), Some("now described"));
    assert_eq!(u.assignee.as_deref(), Some("kermit"));
    assert_eq!(u.due, Some(T0));
    let err = engine
        .update_task(
            &t.id,
            TaskUpdate {
                tenant_id: Some("other".into()),
                ..TaskUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    assert_eq!(
        engine.task(&t.id).await.unwrap().assignee.as_deref(),
        Some("kermit"),
        "a refused update changes nothing"
    );
}

/// A user task with a boundary event `boundary` (its inner XML) leading to `out`.
fn guarded(key: &str, boundary: &str, interrupting: bool) -> String {
    process(
        key,
        &format!(
            r#"{}<bpmn:userTask id="task" />{}{}
            <bpmn:boundaryEvent id="b" attachedToRef="task" cancelActivity="{interrupting}">{boundary}</bpmn:boundaryEvent>
            {}{}{}{}"#,
            start_ev("start"),
            end_ev("end"),
            ext("out", "out"),
            flow("f1", "start", "task"),
            flow("f2", "task", "end"),
            flow("f3", "b", "out"),
            r#"<bpmn:endEvent id="outEnd" /><bpmn:sequenceFlow id="f4" sourceRef="out" targetRef="outEnd" />"#
        ),
    )
}

#[tokio::test]
async fn a_timer_on_a_user_task_deletes_it_or_leaves_it() {
    let (engine, clock, _dir) = clocked();
    let timer = r#"<bpmn:timerEventDefinition><bpmn:timeDuration>P2D</bpmn:timeDuration></bpmn:timerEventDefinition>"#;
    deploy(
        &engine,
        &[
            ("i.bpmn", &guarded("remind", timer, true)),
            ("n.bpmn", &guarded("nudge", timer, false)),
        ],
    )
    .await;
    let interrupted = start(&engine, "remind", &[]).await;
    let nudged = start(&engine, "nudge", &[]).await;
    let gone = only_task(&engine, &interrupted).await;
    assert_eq!(
        engine
            .jobs(baton_engine::JobQuery::default())
            .await
            .unwrap()
            .len(),
        2
    );
    clock.advance(2 * DAY);
    // The job executor may fire them first; either way both fire once.
    engine.run_due_jobs().await.unwrap();
    for _ in 0..200 {
        if open_tasks(&engine, &nudged).await.len() == 1
            && open_tasks(&engine, &interrupted).await.len() == 1
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(tasks_of_instance(&engine, &interrupted).await.is_empty());
    assert_eq!(open_tasks(&engine, &interrupted).await, ["out"]);
    let h = engine
        .historic_tasks(HistoricTaskQuery {
            task_id: Some(gone.id.clone()),
            ..HistoricTaskQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(h[0].delete_reason.as_deref(), Some("deleted"));
    assert_eq!(h[0].state, "Deleted");
    assert_eq!(h[0].end_time, Some(T0 + 2 * DAY));
    // The non-interrupting timer leaves the task open beside its path.
    assert_eq!(tasks_of_instance(&engine, &nudged).await.len(), 1);
    assert_eq!(open_tasks(&engine, &nudged).await, ["out"]);
}

#[tokio::test]
async fn bpmn_errors_and_escalations_thrown_from_a_task() {
    let (engine, _dir) = engine();
    let error = r#"<bpmn:errorEventDefinition errorRef="err_invalid" />"#;
    let escalation = r#"<bpmn:escalationEventDefinition escalationRef="esc" />"#;
    let with_escalation = |key: &str, interrupting: bool| {
        guarded(key, escalation, interrupting).replace(
            "<bpmn:process",
            r#"<bpmn:escalation id="esc" escalationCode="LATE" /><bpmn:process"#,
        )
    };
    deploy(
        &engine,
        &[
            ("e.bpmn", &guarded("err", error, true)),
            ("x.bpmn", &with_escalation("escalate", true)),
            ("y.bpmn", &with_escalation("escn", false)),
        ],
    )
    .await;
    let e = start(&engine, "err", &[]).await;
    let t = only_task(&engine, &e).await;
    let err = engine
        .task_bpmn_error(&t.id, "", None, vec![])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    engine
        .task_bpmn_error(&t.id, "INVALID", Some("no"), vars(&[("why", s("bad"))]))
        .await
        .unwrap();
    assert!(tasks_of_instance(&engine, &e).await.is_empty());
    assert_eq!(open_tasks(&engine, &e).await, ["out"]);
    assert!(
        runtime_vars(&engine, &e, true)
            .await
            .contains(&("why".into(), s("bad")))
    );

    let x = start(&engine, "escalate", &[]).await;
    let t = only_task(&engine, &x).await;
    let err = engine
        .task_bpmn_escalation(&t.id, "OTHER", vec![])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no escalation handler"), "{err}");
    assert_eq!(
        tasks_of_instance(&engine, &x).await.len(),
        1,
        "nothing changed"
    );
    engine
        .task_bpmn_escalation(&t.id, "LATE", vec![])
        .await
        .unwrap();
    assert!(tasks_of_instance(&engine, &x).await.is_empty());
    assert_eq!(open_tasks(&engine, &x).await, ["out"]);

    let y = start(&engine, "escn", &[]).await;
    let t = only_task(&engine, &y).await;
    engine
        .task_bpmn_escalation(&t.id, "LATE", vec![])
        .await
        .unwrap();
    assert_eq!(tasks_of_instance(&engine, &y).await.len(), 1);
    assert_eq!(open_tasks(&engine, &y).await, ["out"]);
}

#[tokio::test]
async fn multi_instance_subprocesses_calls_and_cancellation() {
    let (engine, _dir) = engine();
    let parallel = r#"<bpmn:userTask id="task" camunda:assignee="${person}">
        <bpmn:multiInstanceLoopCharacteristics camunda:collection="${people}" camunda:elementVariable="person" />
        </bpmn:userTask>"#;
    let sequential = r#"<bpmn:userTask id="task" camunda:assignee="${person}">
        <bpmn:multiInstanceLoopCharacteristics isSequential="true" camunda:collection="${people}" camunda:elementVariable="person" />
        </bpmn:userTask>"#;
    let sub = r#"<bpmn:subProcess id="task"><bpmn:startEvent id="s2" /><bpmn:userTask id="inner" />
        <bpmn:endEvent id="e2" /><bpmn:sequenceFlow id="g1" sourceRef="s2" targetRef="inner" />
        <bpmn:sequenceFlow id="g2" sourceRef="inner" targetRef="e2" /></bpmn:subProcess>"#;
    let call = r#"<bpmn:callActivity id="task" calledElement="sub" />"#;
    deploy(
        &engine,
        &[
            ("p.bpmn", &around("par", parallel)),
            ("s.bpmn", &around("seq", sequential)),
            ("sp.bpmn", &around("sub", sub)),
            ("c.bpmn", &around("call", call)),
        ],
    )
    .await;
    let people = Value::Json(r#"["a","b","c"]"#.into());
    let par = start(&engine, "par", &[("people", people.clone())]).await;
    let list = tasks_of_instance(&engine, &par).await;
    let mut who: Vec<String> = list.iter().filter_map(|t| t.assignee.clone()).collect();
    who.sort();
    assert_eq!(who, ["a", "b", "c"]);
    for t in &list {
        engine.complete_task(&t.id, vec![]).await.unwrap();
    }
    assert!(!running(&engine, &par).await);

    let seq = start(&engine, "seq", &[("people", people)]).await;
    for expected in ["a", "b", "c"] {
        let t = only_task(&engine, &seq).await;
        assert_eq!(t.assignee.as_deref(), Some(expected));
        engine.complete_task(&t.id, vec![]).await.unwrap();
    }
    assert!(!running(&engine, &seq).await);

    // A task in a subprocess, and one in a called instance: completing each ends all.
    let sp = start(&engine, "sub", &[]).await;
    let t = only_task(&engine, &sp).await;
    assert_eq!(t.task_definition_key, "inner");
    engine.complete_task(&t.id, vec![]).await.unwrap();
    assert!(!running(&engine, &sp).await);
    let caller = start(&engine, "call", &[]).await;
    let called = tasks(
        &engine,
        TaskQuery {
            definition_keys: vec!["sub".into()],
            ..TaskQuery::default()
        },
    )
    .await;
    assert_eq!(called.len(), 1);
    engine.complete_task(&called[0].id, vec![]).await.unwrap();
    assert!(!running(&engine, &caller).await);

    // Cancelling an instance deletes its tasks, with the reason it was given.
    let doomed = start(&engine, "sub", &[]).await;
    let t = only_task(&engine, &doomed).await;
    engine
        .delete_instance(&doomed, Some("no longer needed".into()))
        .await
        .unwrap();
    assert!(engine.task(&t.id).await.is_err());
    let h = engine
        .historic_tasks(HistoricTaskQuery {
            task_id: Some(t.id.clone()),
            ..HistoricTaskQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(h[0].delete_reason.as_deref(), Some("no longer needed"));
}

#[tokio::test]
async fn task_variables_are_local_to_the_task_or_go_to_the_nearest_scope() {
    let (engine, _dir) = engine();
    deploy(
        &engine,
        &[("u.bpmn", &around("u", r#"<bpmn:userTask id="task" />"#))],
    )
    .await;
    let id = start(&engine, "u", &[("shared", Value::Integer(1))]).await;
    let t = only_task(&engine, &id).await;
    engine
        .modify_task_variables(&t.id, true, vars(&[("draft", s("x"))]), vec![])
        .await
        .unwrap();
    engine
        .modify_task_variables(&t.id, false, vars(&[("shared", Value::Integer(2))]), vec![])
        .await
        .unwrap();
    let local: Vec<String> = engine
        .task_local_variables(&t.id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(local, ["draft"]);
    let all: Vec<(String, Value)> = engine
        .task_variables(&t.id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.name, v.value))
        .collect();
    assert_eq!(
        all,
        [
            ("draft".into(), s("x")),
            ("shared".into(), Value::Integer(2))
        ]
    );
    // The local variable leaves with the task.
    engine.complete_task(&t.id, vec![]).await.unwrap();
    assert!(!running(&engine, &id).await);
    assert!(hvar(&engine, &id, "draft").await.is_some());
}

#[tokio::test]
async fn the_task_list_filters_sorts_pages_and_counts() {
    let (engine, clock, _dir) = clocked();
    let task = r#"<bpmn:userTask id="task" name="${title}" camunda:assignee="${who}"
        camunda:candidateUsers="${users}" camunda:candidateGroups="${groups}" camunda:priority="${prio}" />"#;
    deploy(&engine, &[("u.bpmn", &around("u", task))]).await;
    let mut ids = Vec::new();
    for (title, who, users, groups, prio) in [
        ("one", "", "kermit", "sales", 10),
        ("two", "", "gonzo", "management", 20),
        ("three", "piggy", "kermit", "sales", 30),
        ("four", "", "", "sales,management", 40),
    ] {
        clock.advance(1000);
        let who = if who.is_empty() { Value::Null } else { s(who) };
        let id = start(
            &engine,
            "u",
            &[
                ("title", s(title)),
                ("who", who),
                ("users", s(users)),
                ("groups", s(groups)),
                ("prio", Value::Integer(prio)),
            ],
        )
        .await;
        ids.push(only_task(&engine, &id).await.id);
    }
    let names =
        |list: Vec<Task>| -> Vec<String> { list.into_iter().filter_map(|t| t.name).collect() };
    let q = |f: &dyn Fn(&mut TaskQuery)| {
        let mut q = TaskQuery::newest_first();
        f(&mut q);
        q
    };
    // Candidate user: unassigned tasks only, unless assigned ones are asked for too;
    // the user's groups count when given.
    let kermit = q(&|q| q.candidate_user = Some("kermit".into()));
    assert_eq!(names(tasks(&engine, kermit.clone()).await), ["one"]);
    let mut with_assigned = kermit.clone();
    with_assigned.include_assigned = true;
    assert_eq!(names(tasks(&engine, with_assigned).await), ["three", "one"]);
    let mut with_groups = kermit;
    with_groups.candidate_user_groups = vec!["management".into()];
    assert_eq!(
        names(tasks(&engine, with_groups).await),
        ["four", "two", "one"]
    );
    let sales = q(&|q| q.candidate_groups = vec!["sales".into()]);
    assert_eq!(names(tasks(&engine, sales.clone()).await), ["four", "one"]);
    assert_eq!(engine.task_count(sales).await.unwrap(), 2);
    let piggy = q(&|q| q.assignees = vec!["piggy".into()]);
    assert_eq!(engine.task_count(piggy).await.unwrap(), 1);
    let involved = q(&|q| q.involved_user = Some("gonzo".into()));
    assert_eq!(names(tasks(&engine, involved).await), ["two"]);
    // Sorts, pages, priority bounds and or-queries.
    let by_priority = q(&|q| {
        q.sort = vec![(TaskSort::Priority, false)];
        q.first_result = 1;
        q.max_results = Some(2);
    });
    assert_eq!(names(tasks(&engine, by_priority).await), ["two", "three"]);
    let bounded = q(&|q| {
        q.min_priority = Some(20);
        q.max_priority = Some(30);
    });
    assert_eq!(names(tasks(&engine, bounded).await), ["three", "two"]);
    let either = q(&|q| {
        q.or = vec![TaskQuery {
            name: Some("one".into()),
            assignees: vec!["piggy".into()],
            ..TaskQuery::default()
        }];
    });
    assert_eq!(names(tasks(&engine, either).await), ["three", "one"]);
    let like = q(&|q| q.name_like = Some("t%".into()));
    assert_eq!(names(tasks(&engine, like).await), ["three", "two"]);
    let created = q(&|q| q.created_after = Some(T0 + 2500));
    assert_eq!(names(tasks(&engine, created).await), ["four", "three"]);
    // Identity links change what the candidate queries find.
    engine
        .add_task_identity_link(
            &ids[1],
            IdentityLink {
                user_id: None,
                group_id: Some("sales".into()),
                kind: "candidate".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        engine
            .task_count(q(&|q| q.candidate_groups = vec!["sales".into()]))
            .await
            .unwrap(),
        3
    );
    let both = IdentityLink {
        user_id: Some("a".into()),
        group_id: Some("b".into()),
        kind: "candidate".into(),
    };
    assert!(matches!(
        engine.add_task_identity_link(&ids[1], both).await,
        Err(Error::Invalid(_))
    ));
}

#[tokio::test]
async fn comments_stay_with_the_task() {
    let (engine, _dir) = engine();
    deploy(
        &engine,
        &[("u.bpmn", &around("u", r#"<bpmn:userTask id="task" />"#))],
    )
    .await;
    let id = start(&engine, "u", &[]).await;
    let t = only_task(&engine, &id).await;
    let c = engine
        .add_task_comment(&t.id, Some("kermit"), "looks fine")
        .await
        .unwrap();
    assert_eq!(c.instance_id.as_deref(), Some(id.as_str()));
    assert!(matches!(
        engine.add_task_comment(&t.id, None, "").await,
        Err(Error::Invalid(_))
    ));
    engine.complete_task(&t.id, vec![]).await.unwrap();
    let list = engine.task_comments(&t.id).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].message, "looks fine");
    assert_eq!(list[0].user_id.as_deref(), Some("kermit"));
}

/// A group's inbox with more links than the walk threshold is found by walking the
/// tasks newest first; the page must be the one fetching all of them would give.
#[tokio::test]
async fn a_large_group_inbox_pages_as_a_small_one() {
    let (engine, clock, _dir) = clocked();
    let task = r#"<bpmn:userTask id="task" name="${n}" camunda:assignee="${who}"
        camunda:candidateGroups="big" camunda:candidateUsers="${user}" />"#;
    deploy(&engine, &[("u.bpmn", &around("u", task))]).await;
    let (mut expected, mut unassigned) = (Vec::new(), Vec::new());
    for n in 0..450 {
        clock.advance(10);
        let who = if n % 3 == 0 {
            s("someone")
        } else {
            Value::Null
        };
        let user = if n % 2 == 0 { "even" } else { "odd" };
        start(
            &engine,
            "u",
            &[
                ("n", s(&format!("{n:03}"))),
                ("who", who),
                ("user", s(user)),
            ],
        )
        .await;
        if n % 3 != 0 {
            unassigned.push(format!("{n:03}"));
            if n % 2 == 0 {
                expected.push(format!("{n:03}"));
            }
        }
    }
    expected.reverse();
    unassigned.reverse();
    // The group alone names 450 tasks: its pages are walked for.
    for (first, max) in [(0, 15), (15, 15), (290, 15), (0, 1000)] {
        let page = tasks(
            &engine,
            TaskQuery {
                candidate_groups: vec!["big".into()],
                first_result: first,
                max_results: Some(max),
                ..TaskQuery::newest_first()
            },
        )
        .await;
        let names: Vec<String> = page.into_iter().filter_map(|t| t.name).collect();
        let want: Vec<String> = unassigned.iter().skip(first).take(max).cloned().collect();
        assert_eq!(names, want, "group page {first}+{max}");
    }
    // A user who names fewer: they are fetched.
    for (first, max) in [(0, 15), (15, 15), (140, 15), (0, 1000)] {
        let page = tasks(
            &engine,
            TaskQuery {
                candidate_user: Some("even".into()),
                first_result: first,
                max_results: Some(max),
                ..TaskQuery::newest_first()
            },
        )
        .await;
        let names: Vec<String> = page.into_iter().filter_map(|t| t.name).collect();
        let want: Vec<String> = expected.iter().skip(first).take(max).cloned().collect();
        assert_eq!(names, want, "page {first}+{max}");
    }
    let count = engine
        .task_count(TaskQuery {
            candidate_groups: vec!["big".into()],
            ..TaskQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(count, 300);
}

#[tokio::test]
async fn tasks_are_found_by_their_instances_and_their_own_variables() {
    let (engine, _dir) = engine();
    deploy(
        &engine,
        &[(
            "u.bpmn",
            &around("u", r#"<bpmn:userTask id="task" name="${region}" />"#),
        )],
    )
    .await;
    for (region, amount) in [("north", 10), ("south", 20), ("north", 30)] {
        start(
            &engine,
            "u",
            &[("region", s(region)), ("amount", Value::Long(amount))],
        )
        .await;
    }
    let with = |process: Vec<VariableFilter>, task: Vec<VariableFilter>| TaskQuery {
        process_variables: process,
        task_variables: task,
        sort: vec![(TaskSort::Name, false)],
        ..TaskQuery::default()
    };
    let north = with(
        vec![VariableFilter::new("region", VariableOp::Eq, s("north"))],
        vec![],
    );
    assert_eq!(tasks(&engine, north.clone()).await.len(), 2);
    assert_eq!(engine.task_count(north).await.unwrap(), 2);
    let big = with(
        vec![VariableFilter::new(
            "amount",
            VariableOp::Gt,
            Value::Integer(15),
        )],
        vec![],
    );
    let names: Vec<String> = tasks(&engine, big)
        .await
        .into_iter()
        .filter_map(|t| t.name)
        .collect();
    assert_eq!(names, ["north", "south"]);
    // A task's own variable, not its instance's.
    let one = tasks(&engine, with(vec![], vec![])).await.remove(0);
    engine
        .modify_task_variables(
            &one.id,
            true,
            vars(&[("draft", Value::Boolean(true))]),
            vec![],
        )
        .await
        .unwrap();
    let drafts = with(
        vec![],
        vec![VariableFilter::new(
            "draft",
            VariableOp::Eq,
            Value::Boolean(true),
        )],
    );
    let found = tasks(&engine, drafts).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, one.id);
    let by_instance_var_as_task_var = with(
        vec![],
        vec![VariableFilter::new("region", VariableOp::Eq, s("north"))],
    );
    assert!(tasks(&engine, by_instance_var_as_task_var).await.is_empty());
}

#[tokio::test]
async fn deleting_a_deployment_with_cascade_removes_its_tasks_and_their_history() {
    let (engine, _dir) = engine();
    deploy(
        &engine,
        &[(
            "u.bpmn",
            &around("u", r#"<bpmn:userTask id="task" camunda:assignee="a" />"#),
        )],
    )
    .await;
    let id = start(&engine, "u", &[]).await;
    let t = only_task(&engine, &id).await;
    engine.add_task_comment(&t.id, None, "note").await.unwrap();
    let deployment = engine.deployments(None, None).await.unwrap().remove(0).id;
    engine.delete_deployment(&deployment, true).await.unwrap();
    assert!(engine.task(&t.id).await.is_err());
    let history = engine
        .historic_tasks(HistoricTaskQuery::default())
        .await
        .unwrap();
    assert!(history.is_empty(), "{history:?}");
    assert!(engine.task_comments(&t.id).await.unwrap().is_empty());
}

/// Message, signal and conditional boundary events on a user task: each
/// interrupts it (the task is deleted) or runs beside it.
#[tokio::test]
async fn message_signal_and_conditional_boundaries_on_a_user_task() {
    let (engine, _dir) = engine();
    let message = r#"<bpmn:messageEventDefinition messageRef="cancelled" />"#;
    let signal = r#"<bpmn:signalEventDefinition signalRef="alarm" />"#;
    let condition = r#"<bpmn:conditionalEventDefinition><bpmn:condition xsi:type="bpmn:tFormalExpression">${urgent}</bpmn:condition></bpmn:conditionalEventDefinition>"#;
    let declared = |xml: String| {
        xml.replace(
            "<bpmn:process",
            r#"<bpmn:message id="cancelled" name="cancelled" /><bpmn:signal id="alarm" name="alarm" /><bpmn:process"#,
        )
    };
    deploy(
        &engine,
        &[
            ("m.bpmn", &declared(guarded("msg", message, true))),
            ("s.bpmn", &declared(guarded("sig", signal, false))),
            ("c.bpmn", &declared(guarded("cond", condition, true))),
        ],
    )
    .await;
    let m = start(&engine, "msg", &[]).await;
    let s_ = start(&engine, "sig", &[]).await;
    let c = start(&engine, "cond", &[("urgent", Value::Boolean(false))]).await;
    engine
        .correlate_message(baton_engine::MessageCorrelation {
            name: "cancelled".into(),
            process_instance_id: Some(m.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(tasks_of_instance(&engine, &m).await.is_empty());
    assert_eq!(open_tasks(&engine, &m).await, ["out"]);

    engine.signal("alarm", vec![]).await.unwrap();
    assert_eq!(
        tasks_of_instance(&engine, &s_).await.len(),
        1,
        "not interrupting"
    );
    assert_eq!(open_tasks(&engine, &s_).await, ["out"]);

    // Setting the variable from the task makes the condition true: it interrupts.
    let t = only_task(&engine, &c).await;
    engine
        .modify_task_variables(
            &t.id,
            false,
            vars(&[("urgent", Value::Boolean(true))]),
            vec![],
        )
        .await
        .unwrap();
    assert!(tasks_of_instance(&engine, &c).await.is_empty());
    assert_eq!(open_tasks(&engine, &c).await, ["out"]);
    let h = engine
        .historic_tasks(HistoricTaskQuery {
            task_id: Some(t.id.clone()),
            ..HistoricTaskQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(h[0].delete_reason.as_deref(), Some("deleted"));
}
