//! Authorization over real HTTP with `--auth basic`: what a clerk, a worker and an
//! administrator may see and do, Camunda's 403 body, `/authorization` and its
//! `check`, tenants kept apart, and grants taking effect on the very next request.

#![allow(clippy::unwrap_used)]

mod common;

use baton_engine::{ADMIN_GROUP, Group, User};
use baton_server::{Auth, Options};
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// Someone calling the API with HTTP Basic credentials.
struct Caller {
    http: Client,
    url: String,
    user: String,
    password: String,
}

impl Caller {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .basic_auth(&self.user, Some(&self.password));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    async fn deploy(&self, files: &[(&str, &str)], tenant: Option<&str>) -> (StatusCode, Value) {
        let mut form = reqwest::multipart::Form::new().text("deployment-name", "test");
        if let Some(t) = tenant {
            form = form.text("tenant-id", t.to_owned());
        }
        for (file, xml) in files {
            let part = reqwest::multipart::Part::bytes(xml.as_bytes().to_vec())
                .file_name((*file).to_owned())
                .mime_str("text/xml")
                .unwrap();
            form = form.part((*file).to_owned(), part);
        }
        let res = self
            .http
            .post(format!("{}/deployment/create", self.url))
            .basic_auth(&self.user, Some(&self.password))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// A server with basic authentication, an administrator `admin`, a clerk `mary`
/// in group `clerks`, and a worker `wendy`, each with password `pw`.
async fn secured() -> (Server, Caller, Caller, Caller) {
    let s = server_with(Options {
        auth: Auth::Basic,
        ..Options::default()
    })
    .await;
    for user in ["admin", "mary", "wendy"] {
        s.engine
            .create_user(
                User {
                    id: user.into(),
                    ..User::default()
                },
                Some("pw"),
            )
            .await
            .unwrap();
    }
    for group in [ADMIN_GROUP, "clerks"] {
        s.engine
            .create_group(Group {
                id: group.into(),
                ..Group::default()
            })
            .await
            .unwrap();
    }
    s.engine
        .add_group_member(ADMIN_GROUP, "admin")
        .await
        .unwrap();
    s.engine.add_group_member("clerks", "mary").await.unwrap();
    let caller = |user: &str| Caller {
        http: s.http.clone(),
        url: s.url.clone(),
        user: user.into(),
        password: "pw".into(),
    };
    let (admin, mary, wendy) = (caller("admin"), caller("mary"), caller("wendy"));
    (s, admin, mary, wendy)
}

const MODEL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="KEY" isExecutable="true">
    <bpmn:startEvent id="s" />
    <bpmn:serviceTask id="charge" camunda:type="external" camunda:topic="charge" />
    <bpmn:userTask id="approve" camunda:candidateGroups="clerks" />
    <bpmn:endEvent id="e" />
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="charge" />
    <bpmn:sequenceFlow id="f2" sourceRef="charge" targetRef="approve" />
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"#;

fn model(key: &str) -> String {
    MODEL.replace("KEY", key)
}

async fn start(c: &Caller, key: &str) -> String {
    let (st, b) = c
        .post(&format!("/process-definition/key/{key}/start"), json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

async fn fetch(c: &Caller) -> Vec<Value> {
    let (st, b) = c
        .post(
            "/external-task/fetchAndLock",
            json!({"workerId": c.user, "maxTasks": 10,
                   "topics": [{"topicName": "charge", "lockDuration": 60000}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b.as_array().unwrap().clone()
}

async fn grant(admin: &Caller, body: Value) -> String {
    let (st, b) = admin.post("/authorization/create", body).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_worker_works_only_on_what_it_is_granted() {
    let (_s, admin, _mary, wendy) = secured().await;
    let (st, b) = admin
        .deploy(
            &[
                ("order.bpmn", &model("order")),
                ("audit.bpmn", &model("audit")),
            ],
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let order = start(&admin, "order").await;
    start(&admin, "audit").await;

    // Nothing granted: nothing to fetch, nothing to see, and Camunda's 403 for a
    // command on something she cannot touch.
    assert!(fetch(&wendy).await.is_empty());
    let (_, list) = wendy.get("/process-instance").await;
    assert_eq!(list, json!([]));
    let (_, count) = wendy.get("/process-instance/count").await;
    assert_eq!(count, json!({"count": 0}));
    let (st, b) = wendy.get(&format!("/process-instance/{order}")).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["type"], "AuthorizationException");
    assert_eq!(b["userId"], "wendy");
    assert_eq!(
        b["missingAuthorizations"],
        json!([
            {"permissionName": "READ", "resourceName": "ProcessInstance", "resourceId": order},
            {"permissionName": "READ_INSTANCE", "resourceName": "ProcessDefinition", "resourceId": "order"}
        ])
    );
    let (st, b) = wendy.deploy(&[("x.bpmn", &model("x"))], None).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(
        b["message"],
        "The user with id 'wendy' does not have 'CREATE' permission on resource 'Deployment'."
    );

    // READ_INSTANCE and UPDATE_INSTANCE on `order`: its task, and only its, takes
    // effect on the very next request.
    grant(
        &admin,
        json!({"type": 1, "userId": "wendy", "resourceType": 6, "resourceId": "order",
               "permissions": ["READ_INSTANCE", "UPDATE_INSTANCE"]}),
    )
    .await;
    let tasks = fetch(&wendy).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["processInstanceId"], order.as_str());
    let (st, b) = wendy
        .post(
            &format!(
                "/external-task/{}/complete",
                tasks[0]["id"].as_str().unwrap()
            ),
            json!({"workerId": "wendy"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (_, list) = wendy.get("/process-instance").await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    // The audit task is hers to see in no list and to touch by no id.
    let (_, all) = admin.get("/external-task?topicName=charge").await;
    let audit_task = all.as_array().unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (st, b) = wendy
        .post(
            &format!("/external-task/{audit_task}/complete"),
            json!({"workerId": "wendy"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    let (_, mine) = wendy.get("/external-task").await;
    assert_eq!(mine, json!([]));
}

#[tokio::test]
async fn a_clerk_reads_and_works_the_tasks_she_is_a_candidate_for() {
    let (_s, admin, mary, wendy) = secured().await;
    admin.deploy(&[("order.bpmn", &model("order"))], None).await;
    let order = start(&admin, "order").await;
    let locked = fetch(&admin).await;
    admin
        .post(
            &format!(
                "/external-task/{}/complete",
                locked[0]["id"].as_str().unwrap()
            ),
            json!({"workerId": "admin"}),
        )
        .await;
    let (_, tasks) = mary.get("/task").await;
    assert_eq!(tasks.as_array().unwrap().len(), 1, "{tasks}");
    let task = tasks[0]["id"].as_str().unwrap().to_owned();
    let (_, none) = wendy.get("/task").await;
    assert_eq!(none, json!([]));
    let (st, _) = wendy
        .post(&format!("/task/{task}/claim"), json!({"userId": "wendy"}))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let (st, b) = mary
        .post(&format!("/task/{task}/claim"), json!({"userId": "mary"}))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (st, b) = mary.get(&format!("/task/{task}/variables")).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, b) = mary
        .post(&format!("/task/{task}/complete"), json!({}))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (_, h) = admin
        .get(&format!("/history/process-instance/{order}"))
        .await;
    assert_eq!(h["state"], "COMPLETED");
    // History needs READ_HISTORY: the clerk has none.
    let (st, _) = mary
        .get(&format!("/history/process-instance/{order}"))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, list) = mary.get("/history/task").await;
    assert_eq!(list, json!([]));
}

/// `GET /authorization/check?{query}` as `c`: whether authorized.
async fn check(c: &Caller, query: &str) -> bool {
    let (st, b) = c.get(&format!("/authorization/check?{query}")).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b["authorized"].as_bool().unwrap()
}

#[tokio::test]
async fn authorizations_over_rest_and_their_check() {
    let (_s, admin, mary, wendy) = secured().await;
    let id = grant(
        &admin,
        json!({"type": 1, "groupId": "clerks", "resourceType": 6, "resourceId": "*",
               "permissions": ["READ", "CREATE_INSTANCE"]}),
    )
    .await;
    let (st, one) = admin.get(&format!("/authorization/{id}")).await;
    assert_eq!(st, StatusCode::OK, "{one}");
    assert_eq!(
        one,
        json!({"id": id, "type": 1, "permissions": ["READ", "CREATE_INSTANCE"],
               "userId": null, "groupId": "clerks", "resourceType": 6, "resourceId": "*",
               "removalTime": null, "rootProcessInstanceId": null})
    );
    let revoke = grant(
        &admin,
        json!({"type": 2, "userId": "mary", "resourceType": 6, "resourceId": "secret",
               "permissions": ["READ"]}),
    )
    .await;
    let (_, revoked) = admin.get(&format!("/authorization/{revoke}")).await;
    assert_eq!(revoked["permissions"], json!(["READ"]));

    assert!(
        check(
            &mary,
            "permissionName=READ&resourceName=ProcessDefinition&resourceType=6&resourceId=order"
        )
        .await
    );
    assert!(
        !check(
            &mary,
            "permissionName=READ&resourceName=ProcessDefinition&resourceType=6&resourceId=secret"
        )
        .await
    );
    assert!(
        !check(
            &mary,
            "permissionName=DELETE&resourceName=ProcessDefinition&resourceType=6&resourceId=order"
        )
        .await
    );
    assert!(
        !check(
            &wendy,
            "permissionName=READ&resourceName=ProcessDefinition&resourceType=6&resourceId=order"
        )
        .await
    );
    // Another user's check needs READ on authorizations: the admin has it.
    assert!(
        check(
            &admin,
            "permissionName=READ&resourceType=6&resourceId=order&userId=mary"
        )
        .await
    );
    let (st, _) = wendy
        .get("/authorization/check?permissionName=READ&resourceType=6&resourceId=order&userId=mary")
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Lists: everything for the admin; nothing for a user without READ on them.
    let (_, all) = admin.get("/authorization").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, count) = admin.get("/authorization/count?type=2").await;
    assert_eq!(count, json!({"count": 1}));
    let (_, none) = wendy.get("/authorization").await;
    assert_eq!(none, json!([]));

    // Update, delete; bad input changes nothing.
    let (st, b) = admin
        .put(
            &format!("/authorization/{id}"),
            json!({"groupId": "clerks", "resourceType": 6, "resourceId": "*", "permissions": ["ALL"]}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    assert!(
        check(
            &mary,
            "permissionName=DELETE&resourceType=6&resourceId=order"
        )
        .await
    );
    for bad in [
        json!({"type": 0, "userId": "mary", "resourceType": 6, "permissions": ["READ"]}),
        json!({"type": 1, "userId": "*", "resourceType": 6, "permissions": ["READ"]}),
        json!({"type": 1, "userId": "mary", "resourceType": 6, "permissions": ["FLY"]}),
        json!({"type": 1, "userId": "mary", "groupId": "clerks", "resourceType": 6}),
        json!({"type": 1, "userId": "mary"}),
        json!({"type": "grant", "userId": "mary", "resourceType": 6}),
    ] {
        let (st, b) = admin.post("/authorization/create", bad.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}: {b}");
    }
    let (st, _) = wendy
        .post(
            "/authorization/create",
            json!({"type": 1, "userId": "wendy", "resourceType": 6, "permissions": ["ALL"]}),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "no one grants themselves anything"
    );
    let (_, count) = admin.get("/authorization/count").await;
    assert_eq!(count, json!({"count": 2}));
    let (st, _) = admin.delete(&format!("/authorization/{id}")).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = admin.delete(&format!("/authorization/{id}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(!check(&mary, "permissionName=READ&resourceType=6&resourceId=order").await);
}

#[tokio::test]
async fn tenants_see_and_touch_only_their_own() {
    let (s, admin, mary, _wendy) = secured().await;
    for t in ["acme", "globex"] {
        let (st, b) = admin
            .post("/tenant/create", json!({"id": t, "name": t}))
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    }
    s.engine
        .add_tenant_member("acme", Some("mary"), None)
        .await
        .unwrap();
    for t in ["acme", "globex"] {
        let (st, b) = admin
            .deploy(&[("order.bpmn", &model("order"))], Some(t))
            .await;
        assert_eq!(st, StatusCode::OK, "{b}");
    }
    let start_in = |t: &'static str| {
        let admin = &admin;
        async move {
            let (st, b) = admin
                .post(
                    &format!("/process-definition/key/order/tenant-id/{t}/start"),
                    json!({}),
                )
                .await;
            assert_eq!(st, StatusCode::OK, "{b}");
            b["id"].as_str().unwrap().to_owned()
        }
    };
    let acme = start_in("acme").await;
    let globex = start_in("globex").await;
    // Everything on every instance, globally: tenants still keep them apart.
    grant(
        &admin,
        json!({"type": 0, "userId": "*", "resourceType": 8, "resourceId": "*", "permissions": ["ALL"]}),
    )
    .await;
    grant(
        &admin,
        json!({"type": 0, "userId": "*", "resourceType": 6, "resourceId": "*", "permissions": ["ALL"]}),
    )
    .await;
    let (_, list) = mary.get("/process-instance").await;
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [acme.as_str()]);
    let (st, b) = mary.get(&format!("/process-instance/{globex}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
    let (st, _) = mary.delete(&format!("/process-instance/{globex}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, defs) = mary.get("/process-definition?key=order").await;
    assert_eq!(defs.as_array().unwrap().len(), 1);
    assert_eq!(defs[0]["tenantId"], "acme");
    // Deploying for a tenant she is not in is refused, even with CREATE granted.
    grant(
        &admin,
        json!({"type": 1, "userId": "mary", "resourceType": 9, "resourceId": "*", "permissions": ["CREATE"]}),
    )
    .await;
    let (st, b) = mary
        .deploy(&[("x.bpmn", &model("x"))], Some("globex"))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{b}");
    let (st, b) = mary.deploy(&[("x.bpmn", &model("x"))], Some("acme")).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (_, all) = admin.get("/process-instance/count").await;
    assert_eq!(all["count"], 2, "the administrator sees every tenant");
}

#[tokio::test]
async fn users_change_their_own_password_with_the_current_one_and_no_one_elses() {
    let (_s, admin, mary, wendy) = secured().await;
    // Her own profile and password are hers, as Camunda's default authorizations
    // make them; another user's are not.
    let (st, b) = mary.get("/user/mary/profile").await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, _) = mary.get("/user/wendy/profile").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, users) = mary.get("/user").await;
    assert_eq!(users.as_array().unwrap().len(), 1, "{users}");
    let (_, groups) = mary.get("/group").await;
    assert_eq!(
        groups,
        json!([{"id": "clerks", "name": null, "type": null}])
    );
    let (st, _) = mary
        .put(
            "/user/wendy/credentials",
            json!({"password": "mine-now", "authenticatedUserPassword": "pw"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, b) = mary
        .put(
            "/user/mary/credentials",
            json!({"password": "n3w", "authenticatedUserPassword": "wrong"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(
        b["message"],
        "The given authenticated user password is not valid."
    );
    let (st, _) = wendy.get("/version").await;
    assert_eq!(st, StatusCode::OK, "wendy's password is untouched");
    let (st, b) = mary
        .put(
            "/user/mary/credentials",
            json!({"password": "n3w", "authenticatedUserPassword": "pw"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (st, _) = mary.get("/version").await;
    assert_eq!(
        st,
        StatusCode::UNAUTHORIZED,
        "the old password stops at once"
    );
    // The administrator changes anyone's, with their own password.
    let (st, b) = admin
        .put(
            "/user/mary/credentials",
            json!({"password": "pw", "authenticatedUserPassword": "pw"}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (st, _) = mary.get("/version").await;
    assert_eq!(st, StatusCode::OK);
}
