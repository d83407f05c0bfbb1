//! Id lists longer than SQLite's limit on bound parameters (32,766), over real HTTP
//! against a real database file: every list filter that reaches SQL must answer
//! exactly the rows it names, however many ids a request body carries.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// More ids than SQLite takes as separate parameters.
const LONG: usize = 40_003;

/// A list of [`LONG`] ids: `real` spread over made-up ones (at the start, the
/// middle and the end), so a match must come from the real ones.
fn padded(real: &[&str]) -> Vec<String> {
    let mut list: Vec<String> = (0..LONG - real.len())
        .map(|i| format!("missing-{i:05}-0000-0000-0000-000000000000"))
        .collect();
    for (n, id) in real.iter().enumerate() {
        let at = match n % 3 {
            0 => 0,
            1 => list.len() / 2,
            _ => list.len(),
        };
        list.insert(at, (*id).to_owned());
    }
    assert_eq!(list.len(), LONG);
    list
}

/// The `name` field of each object in a JSON array.
fn field(list: &Value, name: &str) -> BTreeSet<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("an array, not {list}"))
        .iter()
        .map(|x| x[name].as_str().unwrap().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Deploys `xml` for `tenant`, returning the definition id.
async fn deploy_for(s: &Server, key: &str, tenant: &str, xml: &str) -> String {
    let part = reqwest::multipart::Part::bytes(xml.as_bytes().to_vec())
        .file_name(format!("{key}.bpmn"))
        .mime_str("text/xml")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("deployment-name", key.to_owned())
        .text("tenant-id", tenant.to_owned())
        .part(format!("{key}.bpmn"), part);
    let (status, body) = read(
        s.http
            .post(format!("{}/deployment/create", s.url))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["deployedProcessDefinitions"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone()
}

async fn start_by_id(s: &Server, definition: &str) -> String {
    let (status, body) = s
        .post(
            &format!("/process-definition/{definition}/start"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn post_process_instance_takes_40003_process_instance_ids() {
    let s = server().await;
    s.deploy_model("p", &tasks_model("p", &["t"])).await;
    let mut started = Vec::new();
    for _ in 0..4 {
        started.push(s.start("p", json!({})).await);
    }
    let wanted = [
        started[0].as_str(),
        started[2].as_str(),
        started[3].as_str(),
    ];
    let ids = padded(&wanted);

    let (status, body) = s
        .post("/process-instance", json!({ "processInstanceIds": ids }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(field(&body, "id"), set(&wanted));

    let (status, body) = s
        .post(
            "/process-instance/count",
            json!({ "processInstanceIds": ids }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 3);

    // Paged: the limit and offset are bound after the list.
    let (status, body) = s
        .post(
            "/process-instance?firstResult=1&maxResults=1",
            json!({ "processInstanceIds": ids }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 1);

    // History filters the same list (in the server): the same answer.
    let (status, body) = s
        .post(
            "/history/process-instance",
            json!({ "processInstanceIds": ids }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(field(&body, "id"), set(&wanted));
    s.shutdown().await;
}

#[tokio::test]
async fn post_external_task_takes_40003_ids_instance_ids_and_tenant_ids() {
    let s = server().await;
    s.deploy_model("p", &tasks_model("p", &["t"])).await;
    let acme = deploy_for(&s, "q", "acme", &tasks_model("q", &["t"])).await;
    let a = s.start("p", json!({})).await;
    let b = s.start("p", json!({})).await;
    let c = s.start("p", json!({})).await;
    let d = start_by_id(&s, &acme).await;
    let (status, all) = s.get("/external-task").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let task_of = |instance: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|t| t["processInstanceId"] == instance)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (ta, tc, td) = (task_of(&a), task_of(&c), task_of(&d));

    let ids = padded(&[&ta, &tc]);
    let (status, body) = s
        .post("/external-task", json!({ "externalTaskIdIn": ids }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(field(&body, "id"), set(&[&ta, &tc]));
    let (status, body) = s
        .post("/external-task/count", json!({ "externalTaskIdIn": ids }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["count"], 2);

    let instances = padded(&[&b, &d]);
    let (status, body) = s
        .post(
            "/external-task",
            json!({ "processInstanceIdIn": instances }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(field(&body, "processInstanceId"), set(&[&b, &d]));

    let tenants = padded(&["acme"]);
    let (status, body) = s
        .post("/external-task", json!({ "tenantIdIn": tenants }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(field(&body, "id"), set(&[&td]));

    // All three at once: only what every list admits.
    let (status, body) = s
        .post(
            "/external-task",
            json!({ "externalTaskIdIn": ids, "processInstanceIdIn": instances,
                    "tenantIdIn": padded(&["acme", "other"]) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!([]),
        "ta and tc have no tenant; td is not in ids"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn fetch_and_lock_takes_40003_definition_ids_keys_and_tenant_ids() {
    let s = server().await;
    let p = s.deploy_model("p", &tasks_model("p", &["t"])).await;
    let q = s.deploy_model("q", &tasks_model("q", &["t"])).await;
    let r = deploy_for(&s, "r", "acme", &tasks_model("r", &["t"])).await;
    let ip = start_by_id(&s, &p).await;
    let iq = start_by_id(&s, &q).await;
    let ir = start_by_id(&s, &r).await;

    // Each fetch is checked to find exactly its task, then unlocks what it found,
    // so every fetch sees all three tasks and would lock them all if it ignored
    // its list.
    let fetch_one = |topic: Value| {
        let s = &s;
        async move {
            let (status, body) = s
                .post(
                    "/external-task/fetchAndLock",
                    json!({"workerId": "w", "maxTasks": 10, "topics": [topic]}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            for id in field(&body, "id") {
                let (status, _) = s
                    .post(&format!("/external-task/{id}/unlock"), json!({}))
                    .await;
                assert_eq!(status, StatusCode::NO_CONTENT);
            }
            field(&body, "processInstanceId")
        }
    };
    let topic =
        |list: &str, ids: Vec<String>| json!({"topicName": "t", "lockDuration": 60000, list: ids});
    assert_eq!(
        fetch_one(topic("processDefinitionIdIn", padded(&[&q]))).await,
        set(&[&iq])
    );
    assert_eq!(
        fetch_one(topic("processDefinitionKeyIn", padded(&["p", "x"]))).await,
        set(&[&ip])
    );
    assert_eq!(
        fetch_one(topic("tenantIdIn", padded(&["acme"]))).await,
        set(&[&ir])
    );
    assert_eq!(
        fetch_one(topic("processDefinitionIdIn", padded(&[&p, &q, &r]))).await,
        set(&[&ip, &iq, &ir])
    );
    s.shutdown().await;
}
