//! What the console reads: process-definition and activity statistics, the
//! activity-instance tree with its incidents, and a deployment's resources, in
//! Camunda's shapes (the key sets below are those Camunda 7.24's OpenAPI document
//! lists), after a known run: tokens waiting at several activities, a failed
//! external task and a timer job out of retries.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use baton_engine::{Group, User};
use baton_server::{Auth, Options};
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `ProcessDefinitionStatisticsResultDto`.
const DEFINITION_STATISTICS_KEYS: &[&str] = &[
    "@class",
    "definition",
    "failedJobs",
    "id",
    "incidents",
    "instances",
];

/// `ActivityStatisticsResultDto`.
const ACTIVITY_STATISTICS_KEYS: &[&str] = &["@class", "failedJobs", "id", "incidents", "instances"];

/// `IncidentStatisticsResultDto`.
const INCIDENT_STATISTICS_KEYS: &[&str] = &["incidentCount", "incidentType"];

/// `ProcessDefinitionDto`.
const DEFINITION_KEYS: &[&str] = &[
    "category",
    "deploymentId",
    "description",
    "diagram",
    "historyTimeToLive",
    "id",
    "key",
    "name",
    "resource",
    "startableInTasklist",
    "suspended",
    "tenantId",
    "version",
    "versionTag",
];

/// `ActivityInstanceDto`.
const ACTIVITY_INSTANCE_KEYS: &[&str] = &[
    "activityId",
    "activityName",
    "activityType",
    "childActivityInstances",
    "childTransitionInstances",
    "executionIds",
    "id",
    "incidentIds",
    "incidents",
    "name",
    "parentActivityInstanceId",
    "processDefinitionId",
    "processInstanceId",
];

/// `ActivityInstanceIncidentDto`.
const ACTIVITY_INSTANCE_INCIDENT_KEYS: &[&str] = &["activityId", "id"];

/// `DeploymentResourceDto`.
const RESOURCE_KEYS: &[&str] = &["deploymentId", "id", "name"];

const DEFINITION_CLASS: &str =
    "org.camunda.bpm.engine.rest.dto.repository.ProcessDefinitionStatisticsResultDto";
const ACTIVITY_CLASS: &str =
    "org.camunda.bpm.engine.rest.dto.repository.ActivityStatisticsResultDto";

/// The keys of a JSON object.
fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// Checks that `v` has exactly the keys `expected`.
fn has_keys(v: &Value, expected: &[&str]) {
    assert_eq!(keys(v), expected.iter().copied().collect(), "{v}");
}

/// A process forking into five branches: an external task `charge`, a user task
/// `approve`, a timer `wait` followed by a gateway that fails unless `missing` is
/// 1, a parallel multi-instance user task `review` (three instances), and a
/// subprocess with a user task `inner`.
fn fork_model(key: &str, name: &str) -> String {
    let body = r#"
    <bpmn:startEvent id="start" />
    <bpmn:parallelGateway id="split" />
    <bpmn:serviceTask id="charge" name="Charge" camunda:type="external" camunda:topic="charge" />
    <bpmn:userTask id="approve" name="Approve" />
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:exclusiveGateway id="gw" />
    <bpmn:userTask id="review" name="Review">
      <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="subStart" />
      <bpmn:userTask id="inner" />
      <bpmn:endEvent id="subEnd" />
      <bpmn:sequenceFlow id="s1" sourceRef="subStart" targetRef="inner" />
      <bpmn:sequenceFlow id="s2" sourceRef="inner" targetRef="subEnd" />
    </bpmn:subProcess>
    <bpmn:endEvent id="end1" /><bpmn:endEvent id="end2" /><bpmn:endEvent id="end3" />
    <bpmn:endEvent id="end4" /><bpmn:endEvent id="end5" />
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="split" />
    <bpmn:sequenceFlow id="f1" sourceRef="split" targetRef="charge" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="approve" />
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="wait" />
    <bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="review" />
    <bpmn:sequenceFlow id="f5" sourceRef="split" targetRef="sub" />
    <bpmn:sequenceFlow id="g1" sourceRef="charge" targetRef="end1" />
    <bpmn:sequenceFlow id="g2" sourceRef="approve" targetRef="end2" />
    <bpmn:sequenceFlow id="g3" sourceRef="wait" targetRef="gw" />
    <bpmn:sequenceFlow id="g4" sourceRef="gw" targetRef="end3"><bpmn:conditionExpression>${missing == 1}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="g5" sourceRef="review" targetRef="end4" />
    <bpmn:sequenceFlow id="g6" sourceRef="sub" targetRef="end5" />"#;
    model(key, body).replace(
        &format!("name=\"Process {key}\""),
        &format!("name=\"{name}\""),
    )
}

/// A process that ends as soon as it starts.
fn instant_model(key: &str) -> String {
    model(
        key,
        r#"<bpmn:startEvent id="start" /><bpmn:endEvent id="end" />
        <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end" />"#,
    )
}

/// The known run: two instances of `fork` version 1 (the first fails its external
/// task with no retries left and its timer job three times, the second's timer
/// leads to the end), a version 2 of `fork` without instances, and `instant`,
/// whose only instance has ended. Answers the server, the two instance ids and
/// the definition ids of `fork` 1, `fork` 2 and `instant`.
struct Run {
    s: Server,
    failing: String,
    passing: String,
    v1: String,
    v2: String,
    instant: String,
}

async fn known_run() -> Run {
    let s = server_manual().await;
    let v1 = s.deploy_model("fork", &fork_model("fork", "Fork")).await;
    let instant = s.deploy_model("instant", &instant_model("instant")).await;
    s.start("instant", json!({})).await;
    let failing = s.start("fork", json!({})).await;
    let passing = s.start("fork", json!({"missing": {"value": 1}})).await;

    // The first instance's external task fails with no retries left.
    let tasks = s.fetch("w", "charge").await;
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let task = tasks
        .iter()
        .find(|t| t["processInstanceId"] == failing.as_str())
        .unwrap();
    let (status, body) = s
        .post(
            &format!("/external-task/{}/failure", task["id"].as_str().unwrap()),
            json!({"workerId": "w", "errorMessage": "card declined", "retries": 0, "retryTimeout": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    // Both timers fire: the first instance's job fails until no retries are left.
    s.advance("PT1M").await;
    let (_, jobs) = s.get(&format!("/job?processInstanceId={failing}")).await;
    assert_eq!(jobs[0]["retries"], 0, "{jobs}");
    let (_, jobs) = s.get(&format!("/job?processInstanceId={passing}")).await;
    assert_eq!(jobs, json!([]));

    // A second version, with nothing running.
    let v2 = s.deploy_model("fork", &fork_model("fork", "Fork 2")).await;
    assert_ne!(v1, v2);
    Run {
        s,
        failing,
        passing,
        v1,
        v2,
        instant,
    }
}

/// The statistics row of definition `id`.
fn row<'a>(rows: &'a Value, id: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no row {id} in {rows}"))
}

#[tokio::test]
async fn definition_statistics_count_instances_failed_jobs_and_incidents_per_version() {
    let Run {
        s, v1, v2, instant, ..
    } = known_run().await;

    // Nothing asked: instances only, `failedJobs` 0 and `incidents` empty.
    let (status, rows) = s.get("/process-definition/statistics").await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    assert_eq!(rows.as_array().unwrap().len(), 3, "{rows}");
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "ordered by id, as Camunda's default");
    for r in rows.as_array().unwrap() {
        has_keys(r, DEFINITION_STATISTICS_KEYS);
        has_keys(&r["definition"], DEFINITION_KEYS);
        assert_eq!(r["@class"], DEFINITION_CLASS);
        assert_eq!(r["definition"]["id"], r["id"]);
        assert_eq!(r["failedJobs"], 0);
        assert_eq!(r["incidents"], json!([]));
    }
    let first = row(&rows, &v1);
    assert_eq!(first["instances"], 2);
    assert_eq!(first["definition"]["key"], "fork");
    assert_eq!(first["definition"]["version"], 1);
    assert_eq!(first["definition"]["name"], "Fork");
    assert_eq!(first["definition"]["resource"], "fork.bpmn");
    let (_, one) = s.get(&format!("/process-definition/{v1}")).await;
    assert_eq!(
        first["definition"], one,
        "the definition as GET /process-definition/{{id}}"
    );
    assert_eq!(row(&rows, &v2)["instances"], 0);
    assert_eq!(row(&rows, &v2)["definition"]["version"], 2);
    // An ended instance is not running.
    assert_eq!(row(&rows, &instant)["instances"], 0);

    // Everything asked.
    let (status, rows) = s
        .get("/process-definition/statistics?failedJobs=true&incidents=true")
        .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let first = row(&rows, &v1);
    assert_eq!(first["instances"], 2);
    assert_eq!(first["failedJobs"], 1);
    assert_eq!(
        first["incidents"],
        json!([
            {"incidentType": "failedExternalTask", "incidentCount": 1},
            {"incidentType": "failedJob", "incidentCount": 1}
        ])
    );
    for incident in first["incidents"].as_array().unwrap() {
        has_keys(incident, INCIDENT_STATISTICS_KEYS);
    }
    assert_eq!(row(&rows, &v2)["failedJobs"], 0);
    assert_eq!(row(&rows, &v2)["incidents"], json!([]));

    // One type; root incidents (every incident in Baton is its own root cause).
    let (_, rows) = s
        .get("/process-definition/statistics?incidentsForType=failedJob")
        .await;
    assert_eq!(
        row(&rows, &v1)["incidents"],
        json!([{"incidentType": "failedJob", "incidentCount": 1}])
    );
    assert_eq!(row(&rows, &v1)["failedJobs"], 0);
    let (_, rows) = s
        .get("/process-definition/statistics?rootIncidents=true")
        .await;
    assert_eq!(row(&rows, &v1)["incidents"].as_array().unwrap().len(), 2);
    // JAX-RS reads anything but `true` as false.
    let (_, rows) = s
        .get("/process-definition/statistics?incidents=yes&failedJobs=1")
        .await;
    assert_eq!(row(&rows, &v1)["incidents"], json!([]));
    assert_eq!(row(&rows, &v1)["failedJobs"], 0);
    s.shutdown().await;
}

#[tokio::test]
async fn two_incident_parameters_are_refused() {
    let s = server().await;
    let id = s.deploy_model("instant", &instant_model("instant")).await;
    for (query, a, b) in [
        (
            "incidents=true&incidentsForType=failedJob",
            "includeIncidents",
            "includeIncidentsForType",
        ),
        // Given is enough, whatever the value.
        (
            "incidents=false&incidentsForType=failedJob",
            "includeIncidents",
            "includeIncidentsForType",
        ),
        (
            "incidents=true&rootIncidents=true",
            "includeIncidents",
            "includeRootIncidents",
        ),
        (
            "rootIncidents=true&incidentsForType=x",
            "includeRootIncidents",
            "includeIncidentsForType",
        ),
    ] {
        let (status, body) = s
            .get(&format!("/process-definition/statistics?{query}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["type"], "InvalidRequestException");
        assert_eq!(
            body["message"],
            format!("Only one of the query parameter {a} or {b} can be set.")
        );
    }
    for path in [
        format!("/process-definition/{id}/statistics"),
        "/process-definition/key/instant/statistics".to_owned(),
    ] {
        let (status, body) = s
            .get(&format!("{path}?incidents=true&incidentsForType=failedJob"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(
            body["message"],
            "Only one of the query parameter includeIncidents or includeIncidentsForType can be set."
        );
        // `rootIncidents` is no parameter of the activity statistics.
        let (status, body) = s
            .get(&format!("{path}?incidents=true&rootIncidents=true"))
            .await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn activity_statistics_count_where_tokens_wait_jobs_failed_and_incidents_are() {
    let Run { s, v1, v2, .. } = known_run().await;

    let (status, rows) = s
        .get(&format!(
            "/process-definition/{v1}/statistics?failedJobs=true&incidents=true"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    for r in rows.as_array().unwrap() {
        has_keys(r, ACTIVITY_STATISTICS_KEYS);
        assert_eq!(r["@class"], ACTIVITY_CLASS);
    }
    // No row for scopes (the subprocess, the multi-instance body) or for an
    // activity nothing is at; the three inner instances of `review` count under
    // its own id.
    assert_eq!(
        rows,
        json!([
            {"@class": ACTIVITY_CLASS, "id": "approve", "instances": 2, "failedJobs": 0, "incidents": []},
            {"@class": ACTIVITY_CLASS, "id": "charge", "instances": 2, "failedJobs": 0,
             "incidents": [{"incidentType": "failedExternalTask", "incidentCount": 1}]},
            {"@class": ACTIVITY_CLASS, "id": "inner", "instances": 2, "failedJobs": 0, "incidents": []},
            {"@class": ACTIVITY_CLASS, "id": "review", "instances": 6, "failedJobs": 0, "incidents": []},
            {"@class": ACTIVITY_CLASS, "id": "wait", "instances": 1, "failedJobs": 1,
             "incidents": [{"incidentType": "failedJob", "incidentCount": 1}]}
        ])
    );

    // Nothing asked: the same rows, without failed jobs and incidents.
    let (_, plain) = s.get(&format!("/process-definition/{v1}/statistics")).await;
    let ids: Vec<&str> = plain
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["approve", "charge", "inner", "review", "wait"]);
    assert!(
        plain
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["failedJobs"] == 0 && r["incidents"] == json!([])),
        "{plain}"
    );

    // One incident type.
    let (_, typed) = s
        .get(&format!(
            "/process-definition/{v1}/statistics?incidentsForType=failedExternalTask"
        ))
        .await;
    let charge = row(&typed, "charge");
    assert_eq!(
        charge["incidents"],
        json!([{"incidentType": "failedExternalTask", "incidentCount": 1}])
    );
    assert_eq!(row(&typed, "wait")["incidents"], json!([]));

    // By key: the latest version, where nothing runs.
    let (status, latest) = s.get("/process-definition/key/fork/statistics").await;
    assert_eq!(status, StatusCode::OK, "{latest}");
    assert_eq!(latest, json!([]));
    let (_, empty) = s.get(&format!("/process-definition/{v2}/statistics")).await;
    assert_eq!(empty, json!([]));
    s.shutdown().await;
}

#[tokio::test]
async fn unknown_definitions_and_deployments_are_404() {
    let s = server().await;
    s.deploy_model("instant", &instant_model("instant")).await;
    let (status, body) = s.get("/process-definition/nope/statistics").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["type"], "InvalidRequestException");
    assert_eq!(body["message"], "No matching definition with id nope");
    let (status, body) = s.get("/process-definition/key/nope/statistics").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["type"], "RestException");
    assert_eq!(
        body["message"],
        "No matching process definition with key: nope and no tenant-id"
    );
    let (status, body) = s
        .get("/process-definition/key/instant/tenant-id/acme/statistics")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        body["message"],
        "No matching process definition with key: instant and tenant-id: acme"
    );

    let (status, body) = s.get("/deployment/nope/resources").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["type"], "InvalidRequestException");
    assert_eq!(
        body["message"],
        "Deployment resources for deployment id 'nope' do not exist."
    );
    let (status, body) = s.get("/deployment/nope/resources/r").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = s.get("/deployment/nope/resources/r/data").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        body["message"],
        "Deployment resource 'r' for deployment id 'nope' does not exist."
    );
    let (_, deployments) = s.get("/deployment").await;
    let deployment = deployments[0]["id"].as_str().unwrap();
    let (status, body) = s
        .get(&format!("/deployment/{deployment}/resources/r"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        body["message"],
        format!(
            "Deployment resource with resource id 'r' for deployment id '{deployment}' does not exist."
        )
    );
    s.shutdown().await;
}

/// Checks the activity-instance node `node` and its subtree against Camunda's
/// keys, for instance `instance` of definition `definition`.
fn check_tree(node: &Value, instance: &str, definition: &str) {
    has_keys(node, ACTIVITY_INSTANCE_KEYS);
    assert_eq!(node["processInstanceId"], instance);
    assert_eq!(node["processDefinitionId"], definition);
    assert_eq!(node["name"], node["activityName"]);
    assert_eq!(node["childTransitionInstances"], json!([]));
    let ids = node["incidentIds"].as_array().unwrap();
    let incidents = node["incidents"].as_array().unwrap();
    assert_eq!(ids.len(), incidents.len(), "{node}");
    for (id, incident) in ids.iter().zip(incidents) {
        has_keys(incident, ACTIVITY_INSTANCE_INCIDENT_KEYS);
        assert_eq!(&incident["id"], id);
        assert_eq!(incident["activityId"], node["activityId"]);
    }
    for child in node["childActivityInstances"].as_array().unwrap() {
        assert_eq!(child["parentActivityInstanceId"], node["id"]);
        check_tree(child, instance, definition);
    }
}

/// The child of `node` at activity `id`.
fn child<'a>(node: &'a Value, id: &str) -> &'a Value {
    node["childActivityInstances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["activityId"] == id)
        .unwrap_or_else(|| panic!("no child {id} in {node}"))
}

#[tokio::test]
async fn the_activity_instance_tree_names_its_incidents() {
    let Run {
        s,
        failing,
        passing,
        v1,
        ..
    } = known_run().await;
    let (status, tree) = s
        .get(&format!("/process-instance/{failing}/activity-instances"))
        .await;
    assert_eq!(status, StatusCode::OK, "{tree}");
    check_tree(&tree, &failing, &v1);
    assert_eq!(tree["id"], failing.as_str());
    assert_eq!(tree["activityId"], v1.as_str());
    assert_eq!(tree["activityType"], "processDefinition");
    assert_eq!(tree["parentActivityInstanceId"], Value::Null);
    assert_eq!(tree["name"], "Fork");

    let (_, incidents) = s
        .get(&format!("/incident?processInstanceId={failing}"))
        .await;
    let of_type = |t: &str| {
        incidents
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["incidentType"] == t)
            .unwrap()["id"]
            .clone()
    };
    let charge = child(&tree, "charge");
    assert_eq!(charge["name"], "Charge");
    assert_eq!(charge["activityType"], "serviceTask");
    assert_eq!(
        charge["incidentIds"],
        json!([of_type("failedExternalTask")])
    );
    assert_eq!(
        charge["incidents"],
        json!([{"id": of_type("failedExternalTask"), "activityId": "charge"}])
    );
    let wait = child(&tree, "wait");
    assert_eq!(
        wait["incidents"],
        json!([{"id": of_type("failedJob"), "activityId": "wait"}])
    );
    assert_eq!(child(&tree, "approve")["incidents"], json!([]));
    let body = child(&tree, "review#multiInstanceBody");
    assert_eq!(body["childActivityInstances"].as_array().unwrap().len(), 3);
    assert_eq!(
        child(child(&tree, "sub"), "inner")["incidentIds"],
        json!([])
    );

    let (_, other) = s
        .get(&format!("/process-instance/{passing}/activity-instances"))
        .await;
    check_tree(&other, &passing, &v1);
    s.shutdown().await;
}

/// Deploys `files` (name, bytes) as one deployment, answering its id.
async fn deploy_bytes(s: &Server, files: &[(&str, &[u8])]) -> String {
    let mut form = reqwest::multipart::Form::new().text("deployment-name", "files");
    for (name, bytes) in files {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name((*name).to_owned());
        form = form.part((*name).to_owned(), part);
    }
    let res = s
        .http
        .post(format!("{}/deployment/create", s.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_deployments_resources_are_listed_and_answered_as_deployed() {
    let s = server().await;
    let bpmn = instant_model("instant");
    let form = br#"{"id": "invoice", "type": "default", "components": []}"#;
    let binary: Vec<u8> = (0..=255u8).collect();
    let files: [(&str, &[u8]); 4] = [
        ("instant.bpmn", bpmn.as_bytes()),
        ("forms/invoice.form", form),
        ("notes.txt", b"plain words\n"),
        ("blob.bin", &binary),
    ];
    let deployment = deploy_bytes(&s, &files).await;

    let (status, list) = s.get(&format!("/deployment/{deployment}/resources")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "blob.bin",
            "forms/invoice.form",
            "instant.bpmn",
            "notes.txt"
        ]
    );
    for r in list {
        has_keys(r, RESOURCE_KEYS);
        assert_eq!(r["deploymentId"], deployment.as_str());
    }
    // The ids are stable: the same on the next read.
    let (_, again) = s.get(&format!("/deployment/{deployment}/resources")).await;
    assert_eq!(again.as_array().unwrap(), list);

    for (name, bytes) in files {
        let r = list.iter().find(|r| r["name"] == name).unwrap();
        let id = r["id"].as_str().unwrap();
        let (status, one) = s
            .get(&format!("/deployment/{deployment}/resources/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{one}");
        assert_eq!(&one, r);

        let res = s
            .http
            .get(format!(
                "{}/deployment/{deployment}/resources/{id}/data",
                s.url
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let header = |h: &str| res.headers()[h].to_str().unwrap().to_owned();
        let expected_type = match name {
            "instant.bpmn" => "application/xml",
            "notes.txt" => "text/plain",
            _ => "application/octet-stream",
        };
        assert_eq!(header("content-type"), expected_type, "{name}");
        let file = name.rsplit('/').next().unwrap();
        assert_eq!(
            header("content-disposition"),
            format!("attachment; filename={file}")
        );
        assert_eq!(res.bytes().await.unwrap().as_ref(), bytes, "{name}");
    }

    // Another deployment of the same file gets another id.
    let other = deploy_bytes(&s, &[("notes.txt", b"other words\n")]).await;
    let (_, others) = s.get(&format!("/deployment/{other}/resources")).await;
    let first_notes = list.iter().find(|r| r["name"] == "notes.txt").unwrap();
    assert_ne!(others[0]["id"], first_notes["id"]);
    // And a resource of one deployment is not found under another.
    let (status, _) = s
        .get(&format!(
            "/deployment/{other}/resources/{}/data",
            first_notes["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.shutdown().await;
}

/// `GET path` as `user` (password `pw`).
async fn get_as(s: &Server, user: &str, path: &str) -> (StatusCode, Value) {
    read(
        s.http
            .get(format!("{}{path}", s.url))
            .basic_auth(user, Some("pw"))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// `POST path` as `user` (password `pw`).
async fn post_as(s: &Server, user: &str, path: &str, body: Value) -> (StatusCode, Value) {
    read(
        s.http
            .post(format!("{}{path}", s.url))
            .basic_auth(user, Some("pw"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A server with `--auth basic`, user `admin` in `camunda-admin` and the other
/// `users` with no rights, each with password `pw`.
async fn server_with_users(users: &[&str]) -> Server {
    let s = server_with(Options {
        auth: Auth::Basic,
        ..Options::default()
    })
    .await;
    for user in std::iter::once(&"admin").chain(users) {
        s.engine
            .create_user(
                User {
                    id: (*user).into(),
                    ..User::default()
                },
                Some("pw"),
            )
            .await
            .unwrap();
    }
    s.engine
        .create_group(Group {
            id: baton_engine::ADMIN_GROUP.into(),
            ..Group::default()
        })
        .await
        .unwrap();
    s.engine
        .add_group_member(baton_engine::ADMIN_GROUP, "admin")
        .await
        .unwrap();
    s
}

/// Deploys a one-task model `key` as `admin`; its definition id.
async fn deploy_as_admin(s: &Server, key: &str) -> String {
    let mut form = reqwest::multipart::Form::new().text("deployment-name", key.to_owned());
    let part = reqwest::multipart::Part::bytes(tasks_model(key, &["work"]).into_bytes())
        .file_name(format!("{key}.bpmn"));
    form = form.part("file", part);
    let res = s
        .http
        .post(format!("{}/deployment/create", s.url))
        .basic_auth("admin", Some("pw"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["deployedProcessDefinitions"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone()
}

/// Starts an instance of `key` as `admin`; its id.
async fn start_as_admin(s: &Server, key: &str) -> String {
    let (status, body) = post_as(
        s,
        "admin",
        &format!("/process-definition/key/{key}/start"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Creates an authorization as `admin`: `kind` 1 grants, 2 revokes.
async fn authorize(s: &Server, kind: u8, user: &str, resource: u8, id: &str) -> String {
    let (status, body) = post_as(
        s,
        "admin",
        "/authorization/create",
        json!({"type": kind, "userId": user, "resourceType": resource, "resourceId": id,
               "permissions": ["READ"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn statistics_hold_only_what_the_user_may_read() {
    let s = server_with_users(&["mary"]).await;
    let mut ids = Vec::new();
    for key in ["visible", "hidden"] {
        ids.push(deploy_as_admin(&s, key).await);
        start_as_admin(&s, key).await;
    }
    let (visible, hidden) = (&ids[0], &ids[1]);

    // The administrator sees both.
    let (_, rows) = get_as(&s, "admin", "/process-definition/statistics").await;
    assert_eq!(rows.as_array().unwrap().len(), 2, "{rows}");

    // Mary may read nothing: no rows, and a 403 per definition.
    let (status, rows) = get_as(&s, "mary", "/process-definition/statistics").await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    assert_eq!(rows, json!([]));

    // READ on `visible`: its row only. Its instances count (as in Camunda, the
    // definition list counts what runs in the user's tenants), but per activity
    // only the instances she may read do, and those are none yet.
    let grant = authorize(&s, 1, "mary", 6, "visible").await;
    let (_, rows) = get_as(&s, "mary", "/process-definition/statistics").await;
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["id"], visible.as_str());
    assert_eq!(rows[0]["instances"], 1);
    let (status, body) = get_as(
        &s,
        "mary",
        &format!("/process-definition/{hidden}/statistics"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["type"], "AuthorizationException");
    let (status, body) = get_as(&s, "mary", "/process-definition/key/hidden/statistics").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, rows) = get_as(
        &s,
        "mary",
        &format!("/process-definition/{visible}/statistics"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    assert_eq!(rows, json!([]));

    // READ_INSTANCE too: the token waiting at the task counts.
    let res = s
        .http
        .put(format!("{}/authorization/{grant}", s.url))
        .basic_auth("admin", Some("pw"))
        .json(
            &json!({"userId": "mary", "resourceType": 6, "resourceId": "visible",
                      "permissions": ["READ", "READ_INSTANCE"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NO_CONTENT,
        "{}",
        res.text().await.unwrap()
    );
    let (_, rows) = get_as(&s, "mary", "/process-definition/key/visible/statistics").await;
    assert_eq!(
        rows,
        json!([{"@class": ACTIVITY_CLASS, "id": "task0", "instances": 1, "failedJobs": 0, "incidents": []}])
    );

    // Resources need READ on the deployment.
    let (_, deployments) = get_as(&s, "admin", "/deployment").await;
    let deployment = deployments[0]["id"].as_str().unwrap();
    let (status, body) = get_as(&s, "mary", &format!("/deployment/{deployment}/resources")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, list) = get_as(&s, "admin", &format!("/deployment/{deployment}/resources")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let resource = list[0]["id"].as_str().unwrap();
    let res = s
        .http
        .get(format!(
            "{}/deployment/{deployment}/resources/{resource}/data",
            s.url
        ))
        .basic_auth("mary", Some("pw"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    s.shutdown().await;
}

#[tokio::test]
async fn activity_statistics_count_the_instances_the_user_may_read() {
    let s = server_with_users(&["mary", "john"]).await;
    let id = deploy_as_admin(&s, "orders").await;
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(start_as_admin(&s, "orders").await);
    }
    let path = format!("/process-definition/{id}/statistics");
    let counted = |rows: &Value| -> u64 {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["instances"].as_u64().unwrap())
            .sum()
    };
    let (_, rows) = get_as(&s, "admin", &path).await;
    assert_eq!(counted(&rows), 3, "{rows}");

    // READ on the definition alone: no instance counts.
    for user in ["mary", "john"] {
        authorize(&s, 1, user, 6, "orders").await;
        let (status, rows) = get_as(&s, user, &path).await;
        assert_eq!(status, StatusCode::OK, "{rows}");
        assert_eq!(rows, json!([]));
    }

    // Mary may read the first instance: one token.
    authorize(&s, 1, "mary", 8, &instances[0]).await;
    let (_, rows) = get_as(&s, "mary", &path).await;
    assert_eq!(
        rows,
        json!([{"@class": ACTIVITY_CLASS, "id": "task0", "instances": 1, "failedJobs": 0, "incidents": []}])
    );

    // John may read every instance but the first: two.
    authorize(&s, 1, "john", 8, "*").await;
    authorize(&s, 2, "john", 8, &instances[0]).await;
    let (_, rows) = get_as(&s, "john", &path).await;
    assert_eq!(counted(&rows), 2, "{rows}");

    // An instance that ends stops counting.
    let (status, tasks) = post_as(
        &s,
        "admin",
        "/external-task/fetchAndLock",
        json!({"workerId": "w", "maxTasks": 10,
               "topics": [{"topicName": "work", "lockDuration": 60000}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tasks}");
    let task = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["processInstanceId"] == instances[1].as_str())
        .unwrap();
    let (status, body) = post_as(
        &s,
        "admin",
        &format!("/external-task/{}/complete", task["id"].as_str().unwrap()),
        json!({"workerId": "w"}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, rows) = get_as(&s, "john", &path).await;
    assert_eq!(counted(&rows), 1, "{rows}");
    let (_, rows) = get_as(&s, "admin", &path).await;
    assert_eq!(counted(&rows), 2, "{rows}");
    s.shutdown().await;
}
