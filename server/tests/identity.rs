//! Camunda's identity resources over real HTTP: users with passwords, groups and
//! memberships, verifying a password, and a user's groups.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn users_groups_and_passwords_over_rest() {
    let s = server().await;
    let (st, b) = s
        .post(
            "/user/create",
            json!({"profile": {"id": "demo", "firstName": "Demo", "lastName": "Demo",
                               "email": "demo@example.org"},
                   "credentials": {"password": "demo"}}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (st, b) = s
        .post(
            "/user/create",
            json!({"profile": {"id": "mary"}, "credentials": {"password": "m"}}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (st, b) = s
        .post("/user/create", json!({"profile": {"id": "demo"}}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "a second demo: {b}");

    let (st, profile) = s.get("/user/demo/profile").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        profile,
        json!({"id": "demo", "firstName": "Demo", "lastName": "Demo", "email": "demo@example.org"})
    );
    let (st, b) = s.get("/user/nobody/profile").await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    assert_eq!(b["message"], "User with id nobody does not exist");

    // Passwords: right, wrong, unknown user (the same answer), then changed.
    let verify = |user: &str, password: &str| {
        let s = &s;
        let body = json!({"username": user, "password": password});
        async move {
            let (st, b) = s.post("/identity/verify", body).await;
            assert_eq!(st, StatusCode::OK, "{b}");
            b["authenticated"].as_bool().unwrap()
        }
    };
    assert!(verify("demo", "demo").await);
    assert!(!verify("demo", "wrong").await);
    assert!(!verify("nobody", "demo").await);
    let (st, b) = s
        .put("/user/demo/credentials", json!({"password": "n3w"}))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    assert!(!verify("demo", "demo").await);
    assert!(verify("demo", "n3w").await);

    // Groups and members.
    let (st, b) = s
        .post(
            "/group/create",
            json!({"id": "sales", "name": "Sales", "type": "WORKFLOW"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    for user in ["demo", "mary"] {
        let (st, b) = s
            .put(&format!("/group/sales/members/{user}"), json!({}))
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    }
    let (st, b) = s.put("/group/sales/members/nobody", json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    let (_, g) = s.get("/group/sales").await;
    assert_eq!(
        g,
        json!({"id": "sales", "name": "Sales", "type": "WORKFLOW"})
    );
    let (_, list) = s.get("/user?memberOfGroup=sales&maxResults=1").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, count) = s.get("/user/count?memberOfGroup=sales").await;
    assert_eq!(count["count"], 2);
    let (_, groups) = s.get("/group?member=demo").await;
    assert_eq!(groups[0]["id"], "sales");
    let (_, info) = s.get("/identity/groups?userId=demo").await;
    assert_eq!(info["groups"], json!([{"id": "sales", "name": "Sales"}]));
    assert_eq!(info["groupUsers"][0]["id"], "mary");
    assert_eq!(info["groupUsers"][0]["displayName"], "mary");

    // A sort Camunda does not have is refused by name, never ignored.
    let (st, b) = s.get("/user?sortBy=shoeSize&sortOrder=asc").await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["message"].as_str().unwrap().contains("'sortBy'"), "{b}");

    // Profiles change; deleted users and members are gone.
    let (st, b) = s
        .put(
            "/user/mary/profile",
            json!({"id": "mary", "firstName": "Mary"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (_, info) = s.get("/identity/groups?userId=demo").await;
    assert_eq!(info["groupUsers"][0]["displayName"], "Mary");
    let (st, _) = s.delete("/group/sales/members/mary").await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, count) = s.get("/user/count?memberOfGroup=sales").await;
    assert_eq!(count["count"], 1);
    let (st, _) = s.delete("/user/demo").await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = s.delete("/user/demo").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(!verify("demo", "n3w").await);
    let (st, _) = s.delete("/group/sales").await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = s.get("/group/sales").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tenants_and_their_members_over_rest() {
    let s = server().await;
    for (path, body) in [
        ("/user/create", json!({"profile": {"id": "ann"}})),
        ("/user/create", json!({"profile": {"id": "bob"}})),
        ("/group/create", json!({"id": "north-staff"})),
        ("/tenant/create", json!({"id": "north", "name": "North"})),
        ("/tenant/create", json!({"id": "south", "name": "South"})),
    ] {
        let (st, b) = s.post(path, body).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{path}: {b}");
    }
    let (st, b) = s.post("/tenant/create", json!({"id": "north"})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    for path in [
        "/group/north-staff/members/bob",
        "/tenant/north/group-members/north-staff",
        "/tenant/south/user-members/ann",
    ] {
        let (st, b) = s.put(path, json!({})).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{path}: {b}");
    }
    let (st, b) = s.put("/tenant/south/user-members/nobody", json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    let (_, t) = s.get("/tenant/north").await;
    assert_eq!(t, json!({"id": "north", "name": "North"}));
    let ids = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(s.get("/tenant?userMember=ann").await.1), ["south"]);
    assert!(ids(s.get("/tenant?userMember=bob").await.1).is_empty());
    assert_eq!(
        ids(s
            .get("/tenant?userMember=bob&includingGroupsOfUser=true")
            .await
            .1),
        ["north"]
    );
    assert_eq!(ids(s.get("/user?memberOfTenant=south").await.1), ["ann"]);
    assert_eq!(
        ids(s.get("/group?memberOfTenant=north").await.1),
        ["north-staff"]
    );
    assert_eq!(s.get("/tenant/count?nameLike=%25orth").await.1["count"], 1);
    let (st, _) = s
        .put("/tenant/north", json!({"id": "north", "name": "Norden"}))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(s.get("/tenant/north").await.1["name"], "Norden");
    let (st, _) = s.delete("/tenant/south/user-members/ann").await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert!(ids(s.get("/tenant?userMember=ann").await.1).is_empty());
    let (st, _) = s.delete("/tenant/south").await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = s.get("/tenant/south").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = s.delete("/tenant/south").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn user_group_and_tenant_lists_sort_and_match_patterns() {
    let s = server().await;
    for (id, first, last, email) in [
        ("ann", "Ann", "Zeta", "ann@acme.org"),
        ("bob", "Bob", "Young", "bob@other.org"),
        ("cid", "Cid", "Xavier", "cid@acme.org"),
    ] {
        let (st, b) = s
            .post(
                "/user/create",
                json!({"profile": {"id": id, "firstName": first, "lastName": last, "email": email}}),
            )
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    }
    let ids = |b: &serde_json::Value| -> Vec<String> {
        b.as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, b) = s.get("/user?sortBy=lastName&sortOrder=asc").await;
    assert_eq!(ids(&b), ["cid", "bob", "ann"]);
    let (_, b) = s.get("/user?sortBy=firstName&sortOrder=desc").await;
    assert_eq!(ids(&b), ["cid", "bob", "ann"]);
    let (_, b) = s.get("/user?emailLike=%25%40acme.org").await;
    assert_eq!(ids(&b), ["ann", "cid"]);
    let (_, b) = s.get("/user?firstNameLike=B%25&lastNameLike=%25ung").await;
    assert_eq!(ids(&b), ["bob"]);
    let (_, b) = s.get("/user/count?emailLike=%25acme%25").await;
    assert_eq!(b["count"], 2);
    let (st, b) = s.get("/user?sortBy=shoeSize&sortOrder=asc").await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");

    for (id, name) in [("g1", "Zulu"), ("g2", "Alpha")] {
        let (st, b) = s
            .post(
                "/group/create",
                json!({"id": id, "name": name, "type": "WORKFLOW"}),
            )
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
        let (st, b) = s
            .post(
                "/tenant/create",
                json!({"id": format!("t{id}"), "name": name}),
            )
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    }
    let (_, b) = s.get("/group?sortBy=name&sortOrder=asc").await;
    assert_eq!(ids(&b), ["g2", "g1"]);
    let (_, b) = s.get("/tenant?sortBy=name&sortOrder=desc").await;
    assert_eq!(ids(&b), ["tg1", "tg2"]);
}
