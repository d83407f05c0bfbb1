//! Identity as Camunda's database identity service keeps it: users with a password
//! (only its argon2id hash stored), groups, tenants and memberships, on a real
//! database file.

#![allow(clippy::unwrap_used)]

mod common;

use baton_engine::{Config, Engine, Error, Group, GroupQuery, Tenant, User, UserQuery};
use common::*;

fn in_group(group: &str) -> UserQuery {
    UserQuery {
        member_of_group: Some(group.into()),
        ..UserQuery::default()
    }
}

fn user(id: &str) -> User {
    User {
        id: id.into(),
        first_name: Some("Demo".into()),
        ..User::default()
    }
}

#[tokio::test]
async fn users_groups_tenants_and_passwords() {
    let (engine, dir) = engine();
    engine
        .create_user(user("demo"), Some("demo"))
        .await
        .unwrap();
    engine.create_user(user("kermit"), None).await.unwrap();
    assert!(matches!(
        engine.create_user(user("demo"), Some("x")).await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        engine.create_user(user(" "), Some("x")).await,
        Err(Error::Invalid(_))
    ));

    // Passwords: only the right one, never for a user without one or an unknown user.
    assert!(engine.verify_password("demo", "demo").await.unwrap());
    assert!(!engine.verify_password("demo", "Demo").await.unwrap());
    assert!(!engine.verify_password("kermit", "").await.unwrap());
    assert!(!engine.verify_password("nobody", "demo").await.unwrap());
    engine.set_password("demo", "n3w").await.unwrap();
    assert!(!engine.verify_password("demo", "demo").await.unwrap());
    assert!(engine.verify_password("demo", "n3w").await.unwrap());
    assert!(matches!(
        engine.set_password("nobody", "x").await,
        Err(Error::NotFound(_))
    ));
    // The database holds a hash, not the password.
    drop(engine);
    let bytes = file_text(&dir.path().join("baton.db"));
    assert!(
        !bytes.contains("n3w"),
        "the password itself is never stored"
    );
    assert!(bytes.contains("$argon2id$"), "its hash is");
    let engine = Engine::open(Config::file(dir.path().join("baton.db"))).unwrap();

    // Groups and memberships.
    engine
        .create_group(Group {
            id: "sales".into(),
            name: Some("Sales".into()),
            kind: Some("WORKFLOW".into()),
        })
        .await
        .unwrap();
    engine.add_group_member("sales", "demo").await.unwrap();
    engine.add_group_member("sales", "demo").await.unwrap();
    assert!(matches!(
        engine.add_group_member("sales", "nobody").await,
        Err(Error::NotFound(_))
    ));
    let ids = |list: Vec<User>| list.into_iter().map(|u| u.id).collect::<Vec<_>>();
    assert_eq!(
        ids(engine.users(in_group("sales")).await.unwrap()),
        ["demo"]
    );
    assert_eq!(
        ids(engine.users(UserQuery::default()).await.unwrap()),
        ["demo", "kermit"]
    );
    assert_eq!(engine.groups_of("demo").await.unwrap(), ["sales"]);
    assert_eq!(engine.user_count(in_group("sales")).await.unwrap(), 1);

    // Tenants, through a user or a group.
    for t in ["north", "south"] {
        engine
            .create_tenant(Tenant {
                id: t.into(),
                name: None,
            })
            .await
            .unwrap();
    }
    engine
        .add_tenant_member("north", Some("kermit"), None)
        .await
        .unwrap();
    engine
        .add_tenant_member("south", None, Some("sales"))
        .await
        .unwrap();
    assert!(matches!(
        engine
            .add_tenant_member("south", Some("demo"), Some("sales"))
            .await,
        Err(Error::Invalid(_))
    ));
    assert_eq!(engine.tenants_of("demo").await.unwrap(), ["south"]);
    assert_eq!(engine.tenants_of("kermit").await.unwrap(), ["north"]);

    // A renamed user keeps its memberships; a deleted one loses them and its login.
    engine.update_user("demo", user("demo2")).await.unwrap();
    assert!(engine.user("demo").await.unwrap().is_none());
    assert_eq!(engine.tenants_of("demo2").await.unwrap(), ["south"]);
    assert!(engine.verify_password("demo2", "n3w").await.unwrap());
    engine.delete_user("demo2").await.unwrap();
    assert!(!engine.verify_password("demo2", "n3w").await.unwrap());
    assert!(engine.users(in_group("sales")).await.unwrap().is_empty());
    engine.delete_group("sales").await.unwrap();
    assert_eq!(engine.group_count(GroupQuery::default()).await.unwrap(), 0);
}

/// The database file's bytes as text (lossy), to look for what must not be there.
fn file_text(path: &std::path::Path) -> String {
    let mut all = std::fs::read(path).unwrap();
    let wal = path.with_extension("db-wal");
    if let Ok(more) = std::fs::read(wal) {
        all.extend(more);
    }
    String::from_utf8_lossy(&all).into_owned()
}
