//! Authorizations as Camunda 7 checks them: who sees which instances, tasks and
//! definitions in lists and counts (decided in SQL), which external tasks a worker
//! may fetch, tenants kept apart, signals and messages refused whole for a user who
//! may not move every receiver on, and grants read again after every change. Each
//! test runs the real engine on a database file.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use baton_engine::authz::{
    AuthorizationQuery, AuthorizationSpec, GLOBAL, GRANT, REVOKE, Resource, Scope,
};
use baton_engine::{
    DefinitionQuery, DefinitionRef, Engine, Error, FetchAndLock, Group, InstanceQuery,
    MessageCorrelation, NewDeployment, SignalThrow, StartInstance, TaskQuery, Tenant, TopicRequest,
    User,
};
use common::*;

fn ext_process(key: &str) -> String {
    process(
        key,
        &format!(
            "{}{}{}{}{}",
            start_ev("s"),
            ext("t", "work"),
            end_ev("e"),
            flow("f1", "s", "t"),
            flow("f2", "t", "e")
        ),
    )
}

async fn grant(
    engine: &Engine,
    kind: i64,
    who: (&str, &str),
    resource: Resource,
    id: &str,
    perms: &[&str],
) -> String {
    let (user, group) = who;
    engine
        .create_authorization(AuthorizationSpec {
            kind,
            permissions: perms.iter().map(|p| (*p).to_owned()).collect(),
            user_id: (!user.is_empty()).then(|| user.to_owned()),
            group_id: (!group.is_empty()).then(|| group.to_owned()),
            resource_type: resource as i64,
            resource_id: Some(id.to_owned()),
        })
        .await
        .unwrap()
        .id
}

async fn scope_of(engine: &Engine, user: &str) -> Option<Scope> {
    let p = Arc::new(engine.principal(user, &[]).await.unwrap());
    let g = engine.grants(&p).await.unwrap();
    Scope::of(p, g)
}

async fn setup() -> (Engine, tempfile::TempDir) {
    let (engine, dir) = engine();
    deploy(
        &engine,
        &[("a.bpmn", &ext_process("a")), ("b.bpmn", &ext_process("b"))],
    )
    .await;
    engine
        .create_user(
            User {
                id: "wendy".into(),
                ..User::default()
            },
            Some("pw"),
        )
        .await
        .unwrap();
    engine
        .create_group(Group {
            id: "workers".into(),
            ..Group::default()
        })
        .await
        .unwrap();
    engine.add_group_member("workers", "wendy").await.unwrap();
    (engine, dir)
}

async fn instance_ids(engine: &Engine, scope: Option<Scope>) -> Vec<String> {
    let mut ids: Vec<String> = engine
        .instances(InstanceQuery {
            scope,
            ..InstanceQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn lists_hold_only_what_the_user_may_read_and_counts_agree() {
    let (engine, _dir) = setup().await;
    let a1 = start(&engine, "a", &[]).await;
    let a2 = start(&engine, "a", &[]).await;
    let b1 = start(&engine, "b", &[]).await;

    // Nothing granted: nothing seen.
    assert!(
        instance_ids(&engine, scope_of(&engine, "wendy").await)
            .await
            .is_empty()
    );

    // READ_INSTANCE on definition a, through the group.
    grant(
        &engine,
        GRANT,
        ("", "workers"),
        Resource::ProcessDefinition,
        "a",
        &["READ_INSTANCE"],
    )
    .await;
    let mut want = vec![a1.clone(), a2.clone()];
    want.sort();
    assert_eq!(
        instance_ids(&engine, scope_of(&engine, "wendy").await).await,
        want
    );
    let count = engine
        .count_instances(InstanceQuery {
            scope: scope_of(&engine, "wendy").await,
            ..InstanceQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(count, 2);

    // READ on one instance of b, for the user herself.
    grant(
        &engine,
        GRANT,
        ("wendy", ""),
        Resource::ProcessInstance,
        &b1,
        &["READ"],
    )
    .await;
    assert_eq!(
        instance_ids(&engine, scope_of(&engine, "wendy").await)
            .await
            .len(),
        3
    );

    // A user revoke on a1 beats the group's grant on its definition... only for the
    // instance resource: READ_INSTANCE on the definition still lets her see it, as in
    // Camunda (either permission suffices).
    grant(
        &engine,
        REVOKE,
        ("wendy", ""),
        Resource::ProcessInstance,
        &a1,
        &["READ"],
    )
    .await;
    assert_eq!(
        instance_ids(&engine, scope_of(&engine, "wendy").await)
            .await
            .len(),
        3
    );
    // A user revoke of READ_INSTANCE on definition a beats the group's grant.
    grant(
        &engine,
        REVOKE,
        ("wendy", ""),
        Resource::ProcessDefinition,
        "a",
        &["READ_INSTANCE"],
    )
    .await;
    assert_eq!(
        instance_ids(&engine, scope_of(&engine, "wendy").await).await,
        vec![b1.clone()]
    );

    // Definitions need READ on the definition.
    let defs = engine
        .definitions(DefinitionQuery {
            scope: scope_of(&engine, "wendy").await,
            ..DefinitionQuery::default()
        })
        .await
        .unwrap();
    assert!(defs.is_empty());
    grant(
        &engine,
        GLOBAL,
        ("*", ""),
        Resource::ProcessDefinition,
        "*",
        &["READ"],
    )
    .await;
    let defs = engine
        .definitions(DefinitionQuery {
            scope: scope_of(&engine, "wendy").await,
            ..DefinitionQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(defs.len(), 2);

    // Without a scope, everything.
    assert_eq!(instance_ids(&engine, None).await.len(), 3);
}

#[tokio::test]
async fn a_worker_fetches_only_what_it_may_read_and_update() {
    let (engine, _dir) = setup().await;
    start(&engine, "a", &[]).await;
    start(&engine, "b", &[]).await;
    let fetch = |scope: Option<Scope>| {
        let engine = engine.clone();
        async move {
            engine
                .fetch_and_lock(FetchAndLock {
                    worker_id: "w".into(),
                    max_tasks: 10,
                    topics: vec![TopicRequest {
                        topic: "work".into(),
                        lock_duration: 60_000,
                        ..TopicRequest::default()
                    }],
                    scope,
                    ..FetchAndLock::default()
                })
                .await
                .unwrap()
        }
    };
    // READ_INSTANCE alone is not enough to lock.
    grant(
        &engine,
        GRANT,
        ("wendy", ""),
        Resource::ProcessDefinition,
        "a",
        &["READ_INSTANCE"],
    )
    .await;
    assert!(fetch(scope_of(&engine, "wendy").await).await.is_empty());
    // With UPDATE_INSTANCE too, a's task, and only it.
    let id = engine
        .authorizations(AuthorizationQuery {
            user_ids: vec!["wendy".into()],
            ..AuthorizationQuery::default()
        })
        .await
        .unwrap()[0]
        .id
        .clone();
    engine
        .update_authorization(
            &id,
            AuthorizationSpec {
                permissions: vec!["READ_INSTANCE".into(), "UPDATE_INSTANCE".into()],
                user_id: Some("wendy".into()),
                resource_type: Resource::ProcessDefinition as i64,
                resource_id: Some("a".into()),
                ..AuthorizationSpec::default()
            },
        )
        .await
        .unwrap();
    let got = fetch(scope_of(&engine, "wendy").await).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].task.process_definition_key, "a");
}

#[tokio::test]
async fn tenants_are_kept_apart_even_with_a_global_grant() {
    let (engine, _dir) = setup().await;
    engine
        .deploy(NewDeployment {
            name: Some("t".into()),
            tenant_id: Some("acme".into()),
            resources: vec![("c.bpmn".into(), ext_process("c").into_bytes())],
            ..NewDeployment::default()
        })
        .await
        .unwrap();
    let c1 = engine
        .start(StartInstance {
            definition: DefinitionRef::Key {
                key: "c".into(),
                tenant_id: Some("acme".into()),
            },
            business_key: None,
            variables: Vec::new(),
        })
        .await
        .unwrap()
        .id;
    let a1 = start(&engine, "a", &[]).await;
    grant(
        &engine,
        GLOBAL,
        ("*", ""),
        Resource::ProcessInstance,
        "*",
        &["READ"],
    )
    .await;
    assert_eq!(
        instance_ids(&engine, scope_of(&engine, "wendy").await).await,
        vec![a1.clone()]
    );
    engine
        .create_tenant(Tenant {
            id: "acme".into(),
            name: None,
        })
        .await
        .unwrap();
    engine
        .add_tenant_member("acme", None, Some("workers"))
        .await
        .unwrap();
    let mut want = vec![a1, c1];
    want.sort();
    assert_eq!(
        instance_ids(&engine, scope_of(&engine, "wendy").await).await,
        want
    );
}

#[tokio::test]
async fn a_task_is_seen_by_its_candidates_assignee_and_owner() {
    let (engine, _dir) = setup().await;
    let xml = process(
        "u",
        &format!(
            "{}{}{}{}{}",
            start_ev("s"),
            r#"<bpmn:userTask id="ut" camunda:candidateGroups="workers" />"#,
            end_ev("e"),
            flow("f1", "s", "ut"),
            flow("f2", "ut", "e")
        ),
    );
    deploy(&engine, &[("u.bpmn", &xml)]).await;
    start(&engine, "u", &[]).await;
    let tasks = |user: &'static str| {
        let engine = engine.clone();
        async move {
            engine
                .tasks(TaskQuery {
                    scope: scope_of(&engine, user).await,
                    ..TaskQuery::default()
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(tasks("wendy").await.len(), 1);
    engine
        .create_user(
            User {
                id: "olga".into(),
                ..User::default()
            },
            None,
        )
        .await
        .unwrap();
    assert!(tasks("olga").await.is_empty());
    let id = tasks("wendy").await[0].id.clone();
    engine.set_task_assignee(&id, Some("olga")).await.unwrap();
    assert_eq!(tasks("olga").await.len(), 1);
}

#[tokio::test]
async fn a_signal_the_user_may_not_deliver_everywhere_is_refused_whole() {
    let (engine, _dir) = setup().await;
    let catcher = |key: &str| {
        process(
            key,
            &format!(
                r#"{}<bpmn:intermediateCatchEvent id="c"><bpmn:signalEventDefinition signalRef="sig" /></bpmn:intermediateCatchEvent>{}{}{}"#,
                start_ev("s"),
                end_ev("e"),
                flow("f1", "s", "c"),
                flow("f2", "c", "e")
            ),
        )
        .replace(
            "<bpmn:process",
            r#"<bpmn:signal id="sig" name="go" /><bpmn:process"#,
        )
    };
    deploy(
        &engine,
        &[("x.bpmn", &catcher("x")), ("y.bpmn", &catcher("y"))],
    )
    .await;
    let x = start(&engine, "x", &[]).await;
    let y = start(&engine, "y", &[]).await;
    grant(
        &engine,
        GRANT,
        ("wendy", ""),
        Resource::ProcessDefinition,
        "x",
        &["UPDATE_INSTANCE"],
    )
    .await;
    let err = engine
        .throw_signal(SignalThrow {
            name: "go".into(),
            scope: scope_of(&engine, "wendy").await,
            ..SignalThrow::default()
        })
        .await
        .unwrap_err();
    let Error::Forbidden(f) = err else {
        panic!("{err:?}")
    };
    assert_eq!(f.user_id, "wendy");
    assert!(
        f.missing
            .iter()
            .any(|m| m.1 == "ProcessInstance" && m.2.as_deref() == Some(y.as_str()))
    );
    assert!(running(&engine, &x).await && running(&engine, &y).await);

    // A message to x alone is hers to send.
    engine
        .correlate_message(MessageCorrelation {
            name: "nothing-waits-for-this".into(),
            all: true,
            scope: scope_of(&engine, "wendy").await,
            ..MessageCorrelation::default()
        })
        .await
        .unwrap();
    grant(
        &engine,
        GRANT,
        ("wendy", ""),
        Resource::ProcessDefinition,
        "y",
        &["UPDATE_INSTANCE"],
    )
    .await;
    engine
        .throw_signal(SignalThrow {
            name: "go".into(),
            scope: scope_of(&engine, "wendy").await,
            ..SignalThrow::default()
        })
        .await
        .unwrap();
    assert!(!running(&engine, &x).await && !running(&engine, &y).await);
}

#[tokio::test]
async fn bad_authorizations_are_refused_and_change_nothing() {
    let (engine, _dir) = setup().await;
    let bad = [
        AuthorizationSpec {
            kind: GLOBAL,
            user_id: Some("wendy".into()),
            resource_type: 6,
            ..AuthorizationSpec::default()
        },
        AuthorizationSpec {
            kind: GRANT,
            user_id: Some("*".into()),
            resource_type: 6,
            ..AuthorizationSpec::default()
        },
        AuthorizationSpec {
            kind: GRANT,
            resource_type: 6,
            ..AuthorizationSpec::default()
        },
        AuthorizationSpec {
            kind: GRANT,
            user_id: Some("u".into()),
            group_id: Some("g".into()),
            resource_type: 6,
            ..AuthorizationSpec::default()
        },
        AuthorizationSpec {
            kind: GRANT,
            user_id: Some("u".into()),
            resource_type: 99,
            ..AuthorizationSpec::default()
        },
        AuthorizationSpec {
            kind: GRANT,
            user_id: Some("u".into()),
            resource_type: 6,
            permissions: vec!["FLY".into()],
            ..AuthorizationSpec::default()
        },
        AuthorizationSpec {
            kind: 7,
            user_id: Some("u".into()),
            resource_type: 6,
            ..AuthorizationSpec::default()
        },
    ];
    for spec in bad {
        let err = engine.create_authorization(spec.clone()).await.unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{spec:?}: {err:?}");
    }
    grant(
        &engine,
        GRANT,
        ("wendy", ""),
        Resource::ProcessDefinition,
        "a",
        &["READ"],
    )
    .await;
    let dup = engine
        .create_authorization(AuthorizationSpec {
            kind: GRANT,
            user_id: Some("wendy".into()),
            resource_type: 6,
            resource_id: Some("a".into()),
            permissions: vec!["UPDATE".into()],
            ..AuthorizationSpec::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(dup, Error::Invalid(_)));
    assert_eq!(
        engine
            .authorization_count(AuthorizationQuery::default())
            .await
            .unwrap(),
        1
    );
}
