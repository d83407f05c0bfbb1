//! The web console in a real headless browser.
//!
//! Starts `baton serve --auth basic` as its own process with a fresh database,
//! prepares processes with running instances, incidents, user tasks, forms of
//! every kind and a call activity through the REST API, then runs
//! `tests/console/drive.mjs` (playwright-core driving Debian's chromium, both
//! installed by `tests/console/setup.sh` on first use) to log in, look, edit,
//! retry, upload, claim, delegate, start through a start form, fill and submit
//! task forms, read the history and search, and checks through the REST API that
//! every action happened. Screenshots of each view land in
//! `target/console-screenshots/`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const ADMIN: (&str, &str) = ("admin", "console-secret");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/`, next to the profile directory holding the `baton` binary.
fn target() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_baton"))
        .parent()
        .and_then(Path::parent)
        .expect("the baton binary lives in target/<profile>/")
        .to_path_buf()
}

/// A process `id` that runs `steps` (each an element's id and XML) one after
/// another from the start event `s` (its XML `start`) to the end event `e`, laid
/// out left to right so that bpmn-js draws it.
fn chain(id: &str, name: &str, start: &str, steps: &[(&str, &str)]) -> String {
    let ids: Vec<&str> = std::iter::once("s")
        .chain(steps.iter().map(|(i, _)| *i))
        .chain(std::iter::once("e"))
        .collect();
    let mut elements = String::from(start);
    let mut shapes = String::new();
    let mut edges = String::new();
    for (i, (_, xml)) in steps.iter().enumerate() {
        elements.push_str(xml);
        let x = 190 + 160 * i;
        let step = ids[i + 1];
        shapes.push_str(&format!(
            r#"<bpmndi:BPMNShape id="{step}_di" bpmnElement="{step}"><dc:Bounds x="{x}" y="78" width="100" height="80" /></bpmndi:BPMNShape>"#
        ));
    }
    let end_x = 190 + 160 * steps.len();
    shapes.push_str(&format!(
        r#"<bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="100" y="100" width="36" height="36" /></bpmndi:BPMNShape>
           <bpmndi:BPMNShape id="e_di" bpmnElement="e"><dc:Bounds x="{end_x}" y="100" width="36" height="36" /></bpmndi:BPMNShape>"#
    ));
    elements.push_str(r#"<bpmn:endEvent id="e" />"#);
    for (i, pair) in ids.windows(2).enumerate() {
        let (from, to, n) = (pair[0], pair[1], i + 1);
        elements.push_str(&format!(
            r#"<bpmn:sequenceFlow id="f{n}" sourceRef="{from}" targetRef="{to}" />"#
        ));
        let x1 = if i == 0 { 136 } else { 290 + 160 * (i - 1) };
        let x2 = 190 + 160 * i;
        edges.push_str(&format!(
            r#"<bpmndi:BPMNEdge id="f{n}_di" bpmnElement="f{n}"><di:waypoint x="{x1}" y="118" /><di:waypoint x="{x2}" y="118" /></bpmndi:BPMNEdge>"#
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d_{id}" targetNamespace="t">
  <bpmn:process id="{id}" name="{name}" isExecutable="true">{elements}</bpmn:process>
  <bpmndi:BPMNDiagram id="dia_{id}">
    <bpmndi:BPMNPlane id="plane_{id}" bpmnElement="{id}">{shapes}{edges}</bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>"#
    )
}

/// An order: charged by a worker, approved by a clerk.
fn order(id: &str, name: &str) -> String {
    chain(
        id,
        name,
        r#"<bpmn:startEvent id="s" />"#,
        &[
            (
                "charge",
                r#"<bpmn:serviceTask id="charge" name="Charge" camunda:type="external" camunda:topic="charge" />"#,
            ),
            (
                "approve",
                r#"<bpmn:userTask id="approve" name="Approve" camunda:candidateGroups="clerks" />"#,
            ),
        ],
    )
}

/// A review with forms of every kind: a generated start form (with the
/// business-key field), a generated task form, and a Camunda Form on the last
/// task, which is the admin's.
fn review() -> String {
    chain(
        "console_review",
        "Console review",
        r#"<bpmn:startEvent id="s">
      <bpmn:extensionElements>
        <camunda:formData businessKey="ref">
          <camunda:formField id="ref" label="Reference" type="string">
            <camunda:validation><camunda:constraint name="required" /></camunda:validation>
          </camunda:formField>
          <camunda:formField id="amount" label="Amount" type="long">
            <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="max" config="10000" /></camunda:validation>
          </camunda:formField>
          <camunda:formField id="express" label="Express" type="boolean" />
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:startEvent>"#,
        &[
            (
                "review",
                r#"<bpmn:userTask id="review" name="Review" camunda:candidateGroups="clerks">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="decision" label="Decision" type="enum">
            <camunda:value id="approve" name="Approve" />
            <camunda:value id="reject" name="Reject" />
          </camunda:formField>
          <camunda:formField id="comment" label="Comment" type="string">
            <camunda:validation><camunda:constraint name="required" /></camunda:validation>
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:userTask>"#,
            ),
            (
                "archive",
                r#"<bpmn:userTask id="archive" name="Archive" camunda:assignee="admin" camunda:formRef="archive_form" camunda:formRefBinding="latest" />"#,
            ),
        ],
    )
}

/// A process that calls `console_order`.
fn parent() -> String {
    chain(
        "console_parent",
        "Console parent",
        r#"<bpmn:startEvent id="s" />"#,
        &[(
            "call",
            r#"<bpmn:callActivity id="call" name="Order" calledElement="console_order" />"#,
        )],
    )
}

/// The Camunda Form of the review's last task.
const ARCHIVE_FORM: &str = r#"{"id": "archive_form", "type": "default", "schemaVersion": 16,
  "components": [{"id": "Field_shelf", "type": "textfield", "key": "shelf", "label": "Shelf",
                  "validate": {"required": true}}]}"#;

/// A request to Baton as the admin.
struct Rest {
    http: reqwest::Client,
    url: String,
}

impl Rest {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .basic_auth(ADMIN.0, Some(ADMIN.1));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = res.status();
        let text = res.text().await.expect("a body");
        assert!(
            status.is_success(),
            "{method} {path} answered {status}: {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    /// Deploys `files` (name, content) in one deployment.
    async fn deploy(&self, files: &[(&str, &str)]) {
        let mut form = reqwest::multipart::Form::new().text("deployment-name", "console test");
        for (name, content) in files {
            form = form.part(
                (*name).to_owned(),
                reqwest::multipart::Part::text((*content).to_owned()).file_name((*name).to_owned()),
            );
        }
        let res = self
            .http
            .post(format!("{}/deployment/create", self.url))
            .basic_auth(ADMIN.0, Some(ADMIN.1))
            .multipart(form)
            .send()
            .await
            .expect("a deployment answer");
        let status = res.status();
        assert!(
            status.is_success(),
            "deploy: {status} {}",
            res.text().await.unwrap_or_default()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_looks_edits_retries_uploads_and_claims() {
    let setup = std::process::Command::new("bash")
        .arg(root().join("tests/console/setup.sh"))
        .arg(target().join("e2e-console"))
        .stdin(Stdio::null())
        .output()
        .expect("tests/console/setup.sh runs");
    assert!(
        setup.status.success(),
        "tests/console/setup.sh failed:\n{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let chromium = String::from_utf8_lossy(&setup.stdout)
        .lines()
        .last()
        .expect("the chromium path")
        .trim()
        .to_owned();

    let dir = tempfile::tempdir().expect("a temporary directory");
    let models = dir.path().join("models");
    std::fs::create_dir(&models).expect("a models folder");
    std::fs::write(
        models.join("console_order.bpmn"),
        order("console_order", "Console order"),
    )
    .expect("the model");
    std::fs::write(models.join("console_parent.bpmn"), parent()).expect("the caller");
    let mut baton = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--port", "0", "--auth", "basic", "--db"])
        .arg(dir.path().join("baton.db"))
        .arg("--admin-user")
        .arg(format!("{}:{}", ADMIN.0, ADMIN.1))
        .arg("--deploy")
        .arg(&models)
        .env_remove("BATON_BASE_PATH")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("baton serve starts");
    let mut lines = BufReader::new(baton.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("baton prints its address")
        .expect("a line")
        .expect("a line");
    let url = line
        .strip_prefix("Baton listening on ")
        .expect("the address line")
        .to_owned();
    let app = url.replace("/engine-rest", "/app");
    let rest = Rest {
        http: reqwest::Client::new(),
        url,
    };

    // The admin is a clerk too, so the group's task is theirs to claim.
    rest.post("/group/create", json!({"id": "clerks", "name": "Clerks"}))
        .await;
    rest.put("/group/clerks/members/admin", json!({})).await;
    // Two instances: one at the task (its charge done), one failed at charge.
    let start = |amount: i64| {
        let rest = &rest;
        async move {
            rest.post(
                "/process-definition/key/console_order/start",
                json!({"variables": {"amount": {"value": amount, "type": "Integer"}}}),
            )
            .await["id"]
                .as_str()
                .expect("an id")
                .to_owned()
        }
    };
    let done = start(10).await;
    let failed = start(99).await;
    let failed_too = start(98).await;
    rest.deploy(&[
        ("console_review.bpmn", &review()),
        ("archive.form", ARCHIVE_FORM),
    ])
    .await;
    let tasks = rest
        .post(
            "/external-task/fetchAndLock",
            json!({"workerId": "w", "maxTasks": 3, "topics": [{"topicName": "charge", "lockDuration": 60000}]}),
        )
        .await;
    for t in tasks.as_array().expect("tasks") {
        let id = t["id"].as_str().expect("a task id");
        if t["processInstanceId"] == done.as_str() {
            rest.post(
                &format!("/external-task/{id}/complete"),
                json!({"workerId": "w"}),
            )
            .await;
        } else {
            rest.post(
                &format!("/external-task/{id}/failure"),
                json!({"workerId": "w", "errorMessage": "card declined", "retries": 0}),
            )
            .await;
        }
    }
    let upload = dir.path().join("uploaded.bpmn");
    std::fs::write(&upload, order("uploaded_order", "Uploaded order")).expect("a file");
    let shots = target().join("console-screenshots");
    std::fs::create_dir_all(&shots).expect("a screenshot folder");

    let output = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new("node")
            .arg(root().join("tests/console/drive.mjs"))
            .env("BATON_APP", &app)
            .env("BATON_USER", ADMIN.0)
            .env("BATON_PASSWORD", ADMIN.1)
            .env(
                "BATON_NODE_MODULES",
                target().join("e2e-console/node/node_modules"),
            )
            .env("BATON_CHROMIUM", &chromium)
            .env("BATON_SCREENSHOTS", &shots)
            .env("BATON_INSTANCE", &failed)
            .env("BATON_UPLOAD", &upload)
            .stdin(Stdio::null())
            .output(),
    )
    .await
    .expect("the browser script finishes within two minutes")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "drive.mjs failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_str(
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("RESULT "))
            .expect("a RESULT line"),
    )
    .expect("RESULT is JSON");

    // What the person saw.
    let row = result["processRow"].as_array().expect("the process row");
    assert_eq!(row[0], "Console order", "{result}");
    assert_eq!(row[4], "3", "three running: {result}");
    assert_eq!(row[5], "2", "two incidents: {result}");
    assert_eq!(result["watermarkVisible"], true, "{result}");
    assert!(
        !result["badges"].as_array().expect("badges").is_empty(),
        "{result}"
    );

    // What they did, through the API.
    let amount = rest
        .get(&format!("/process-instance/{failed}/variables/amount"))
        .await;
    assert_eq!(amount["value"], 42, "the edited variable: {amount}");
    for instance in [&failed, &failed_too] {
        let charge = rest
            .get(&format!("/external-task?processInstanceId={instance}"))
            .await;
        assert_eq!(charge[0]["retries"], 1, "the retried incident: {charge}");
    }
    assert_eq!(rest.get("/incident/count").await["count"], 0);
    assert_eq!(result["validationShown"], true, "{result}");
    assert!(
        result["liveBadges"]
            .as_array()
            .is_some_and(|b| b.contains(&json!("3"))),
        "the badge counted the new instance: {result}"
    );
    let parent = result["parentInstance"].as_str().expect("the parent");
    let called = rest
        .get(&format!("/process-instance?superProcessInstance={parent}"))
        .await;
    assert_eq!(
        called[0]["id"], result["calledInstance"],
        "the called instance it linked to: {result}"
    );
    assert_eq!(
        result["found"],
        json!([failed]),
        "the variable search: {result}"
    );

    // The review went through its three forms: the start form...
    let review = result["reviewInstance"]
        .as_str()
        .expect("the started review");
    let started = rest
        .get(&format!("/history/process-instance/{review}"))
        .await;
    assert_eq!(started["businessKey"], "REV-1", "{started}");
    assert_eq!(started["state"], "COMPLETED", "{started}");
    let vars = rest
        .get(&format!(
            "/history/variable-instance?processInstanceId={review}&sortBy=variableName&sortOrder=asc"
        ))
        .await;
    let seen: Vec<(String, String, Value)> = vars
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap_or_default().to_owned(),
                v["type"].as_str().unwrap_or_default().to_owned(),
                v["value"].clone(),
            )
        })
        .collect();
    let want = |name: &str, ty: &str, value: Value| (name.to_owned(), ty.to_owned(), value);
    assert_eq!(
        seen,
        vec![
            // ...the review's generated task form, then the archive's Camunda Form.
            want("amount", "Long", json!(250)),
            want("comment", "String", json!("looks right")),
            want("decision", "String", json!("approve")),
            want("express", "Boolean", json!(true)),
            want("shelf", "String", json!("B-7")),
        ],
        "{vars}"
    );
    assert!(
        result["durationRows"].as_u64().unwrap_or(0) >= 2,
        "the duration picture: {result}"
    );
    let uploaded = rest.get("/process-definition?key=uploaded_order").await;
    assert_eq!(uploaded.as_array().map(Vec::len), Some(1), "the upload");
    let task = rest.get(&format!("/task?processInstanceId={done}")).await;
    assert_eq!(task[0]["owner"], ADMIN.0, "the claimed task: {task}");
    assert_eq!(task[0]["assignee"], "bob", "the delegated task: {task}");
    println!(
        "console first paint: {} ms",
        result["timings"]["processesFirstPaintMs"]
    );
    let _ = baton.start_kill();
}
