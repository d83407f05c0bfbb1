//! Operating Baton over real HTTP: the Prometheus scrape at `/metrics` after a
//! known run (exact counts), Camunda's `/metrics/{name}/sum` with and without
//! dates, `/health` and `/ready` (and `/ready` answering 503 once the database
//! file was replaced), who may read the metrics with `--auth basic`, and the
//! OpenAPI document: complete against the routes the router registers, and its
//! main shapes against real answers.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use baton_engine::{ADMIN_GROUP, Config, Engine, Group, User};
use baton_server::{Auth, Options};
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `http://addr` of a server: its root, outside the base path.
fn root(s: &Server) -> String {
    format!("http://{}", s.addr)
}

/// A scrape: each sample (`name{label="value",…}` with the labels sorted) and
/// its value.
async fn scrape(s: &Server) -> BTreeMap<String, f64> {
    let res = s
        .http
        .get(format!("{}/metrics", root(s)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    parse(&res.text().await.unwrap())
}

fn parse(text: &str) -> BTreeMap<String, f64> {
    let mut samples = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let key = match series.split_once('{') {
            None => series.to_owned(),
            Some((name, labels)) => {
                let mut labels: Vec<&str> = labels.trim_end_matches('}').split("\",").collect();
                for l in &mut labels {
                    *l = l.trim_end_matches('"');
                }
                labels.sort_unstable();
                let labels: Vec<String> = labels.iter().map(|l| format!("{l}\"")).collect();
                format!("{name}{{{}}}", labels.join(","))
            }
        };
        samples.insert(key, value.parse().unwrap());
    }
    samples
}

fn get(samples: &BTreeMap<String, f64>, key: &str) -> f64 {
    *samples
        .get(key)
        .unwrap_or_else(|| panic!("no sample {key} in {samples:#?}"))
}

fn timer_model() -> String {
    model(
        "timed",
        r#"<bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait" />
        <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
        <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e" /><bpmn:endEvent id="e" />"#,
    )
}

/// On a manual clock at 2026-01-01T00:00Z: three instances of start -> external
/// task -> end, their tasks fetched at once, two completed and one failed with
/// no retries left (an incident); one instance waiting on a one-hour timer,
/// fired by moving the clock two hours on.
async fn known_run(s: &Server) -> Vec<String> {
    s.deploy_model("work", &tasks_model("work", &["work"]))
        .await;
    s.deploy_model("timed", &timer_model()).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(s.start("work", json!({})).await);
    }
    ids.push(s.start("timed", json!({})).await);
    let tasks = s.fetch("w", "work").await;
    assert_eq!(tasks.len(), 3);
    for t in &tasks[..2] {
        let (st, b) = s
            .post(
                &format!("/external-task/{}/complete", t["id"].as_str().unwrap()),
                json!({"workerId": "w"}),
            )
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    }
    let (st, b) = s
        .post(
            &format!(
                "/external-task/{}/failure",
                tasks[2]["id"].as_str().unwrap()
            ),
            json!({"workerId": "w", "errorMessage": "broken", "retries": 0, "retryTimeout": 0}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    s.advance("PT2H").await;
    assert_eq!(s.state(&ids[3]).await, "COMPLETED");
    ids
}

#[tokio::test]
async fn a_scrape_after_a_known_run_counts_exactly_what_happened() {
    let s = server_manual().await;
    let ids = known_run(&s).await;
    let (st, _) = s.get("/no-such-thing").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let m = scrape(&s).await;
    for (name, value) in [
        ("baton_process_instances_started_total", 4.0),
        ("baton_process_instances_ended_total", 3.0),
        // Per work instance: start and task entered, start left; per completed
        // one also the task left, the end entered and left. The timed instance:
        // start, timer and end entered and left.
        (
            "baton_activity_instances_started_total",
            3.0 * 2.0 + 2.0 + 3.0,
        ),
        (
            "baton_activity_instances_ended_total",
            3.0 + 2.0 * 2.0 + 3.0,
        ),
        ("baton_external_tasks_fetched_total", 3.0),
        ("baton_external_tasks_completed_total", 2.0),
        ("baton_external_tasks_failed_total", 1.0),
        ("baton_external_task_bpmn_errors_total", 0.0),
        ("baton_jobs_fired_total", 1.0),
        ("baton_jobs_failed_total", 0.0),
        ("baton_jobs_due", 0.0),
        ("baton_incidents_raised_total", 1.0),
        ("baton_incidents_open{type=\"failedExternalTask\"}", 1.0),
        ("baton_long_polls_parked", 0.0),
    ] {
        assert_eq!(get(&m, name), value, "{name}");
    }
    let http = |method: &str, route: &str, status: &str| {
        get(
            &m,
            &format!(
                "baton_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(
        http(
            "POST",
            "/engine-rest/process-definition/key/{key}/start",
            "2xx"
        ),
        4.0
    );
    assert_eq!(http("POST", "/engine-rest/deployment/create", "2xx"), 2.0);
    assert_eq!(
        http("POST", "/engine-rest/external-task/{id}/complete", "2xx"),
        2.0
    );
    assert_eq!(
        http("POST", "/engine-rest/external-task/{id}/failure", "2xx"),
        1.0
    );
    assert_eq!(http("GET", "unmatched", "4xx"), 1.0);
    for id in &ids {
        assert!(
            !m.keys().any(|k| k.contains(id.as_str())),
            "a label holds {id}"
        );
    }
    // Group commits: every command committed in some group; sizes and times are
    // histograms with a count, a sum and cumulative buckets.
    let groups = get(&m, "baton_group_commit_size_count");
    assert!(groups >= 1.0);
    assert!(get(&m, "baton_group_commit_size_sum") >= groups);
    assert_eq!(
        get(&m, "baton_group_commit_size_bucket{le=\"+Inf\"}"),
        groups
    );
    assert_eq!(get(&m, "baton_group_commit_seconds_count"), groups);
    assert_eq!(
        get(&m, "baton_group_commit_seconds_bucket{le=\"+Inf\"}"),
        groups
    );

    // The scrape itself is counted from the next one on.
    let again = scrape(&s).await;
    assert_eq!(
        get(
            &again,
            "baton_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"2xx\"}"
        ),
        1.0
    );
    s.shutdown().await;
}

#[tokio::test]
async fn camunda_metric_sums_count_since_start_within_the_dates() {
    let s = server_manual().await;
    known_run(&s).await;
    let srv = &s;
    let sum = |name: &str, query: &str| {
        let url = format!("/metrics/{name}/sum{query}");
        async move {
            let (st, b) = srv.get(&url).await;
            assert_eq!(st, StatusCode::OK, "{url}: {b}");
            assert_eq!(b.as_object().unwrap().len(), 1, "{b}");
            b["result"].as_u64().unwrap()
        }
    };
    assert_eq!(sum("activity-instance-start", "").await, 11);
    assert_eq!(sum("flow-node-instances", "").await, 11);
    assert_eq!(sum("activity-instance-end", "").await, 10);
    assert_eq!(sum("root-process-instance-start", "").await, 4);
    assert_eq!(sum("process-instances", "").await, 4);
    assert_eq!(sum("job-successful", "").await, 1);
    assert_eq!(sum("job-failed", "").await, 0);
    // Defined by Camunda, nothing to count in Baton; unknown: 0, as Camunda.
    assert_eq!(sum("executed-decision-elements", "").await, 0);
    assert_eq!(sum("no-such-metric", "").await, 0);
    // The timer fired at 02:00: the end event's start, the timer's and the end's
    // ends committed then, all else at 00:00.
    let one = "2026-01-01T01:00:00.000%2B0000";
    assert_eq!(
        sum("activity-instance-start", &format!("?startDate={one}")).await,
        1
    );
    assert_eq!(
        sum("activity-instance-end", &format!("?startDate={one}")).await,
        2
    );
    assert_eq!(
        sum("activity-instance-start", &format!("?endDate={one}")).await,
        10
    );
    assert_eq!(
        sum(
            "activity-instance-start",
            "?startDate=2026-01-01T00:00:00.000%2B0000&endDate=2026-01-01T00:01:00.000%2B0000"
        )
        .await,
        10
    );
    assert_eq!(
        sum(
            "root-process-instance-start",
            "?startDate=2026-01-01T00:01:00.000%2B0000"
        )
        .await,
        0
    );
    let (st, b) = s
        .get("/metrics/activity-instance-start/sum?startDate=yesterday")
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["type"], "InvalidRequestException");
    s.shutdown().await;
}

#[tokio::test]
async fn a_parked_long_poll_shows_in_the_gauge_while_it_waits() {
    let s = server().await;
    let http = s.http.clone();
    let url = format!("{}/external-task/fetchAndLock", s.url);
    let poll = tokio::spawn(async move {
        http.post(url)
            .json(
                &json!({"workerId": "w", "maxTasks": 1, "asyncResponseTimeout": 3000,
                          "topics": [{"topicName": "nothing", "lockDuration": 1000}]}),
            )
            .send()
            .await
            .unwrap()
            .status()
    });
    let mut parked = 0.0;
    for _ in 0..100 {
        parked = get(&scrape(&s).await, "baton_long_polls_parked");
        if parked > 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(parked, 1.0);
    assert_eq!(poll.await.unwrap(), StatusCode::OK);
    assert_eq!(get(&scrape(&s).await, "baton_long_polls_parked"), 0.0);
    s.shutdown().await;
}

#[tokio::test]
async fn health_and_readiness_are_open_and_small() {
    let s = server_with(Options {
        auth: Auth::Basic,
        ..Options::default()
    })
    .await;
    for (path, body) in [
        ("/health", json!({"status": "UP"})),
        ("/ready", json!({"status": "UP", "schemaVersion": 12})),
    ] {
        let res = s
            .http
            .get(format!("{}{path}", root(&s)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["content-type"], "application/json");
        let got: Value = res.json().await.unwrap();
        assert_eq!(got["status"], body["status"], "{path}: {got}");
        if path == "/ready" {
            assert!(got["schemaVersion"].as_i64().unwrap() >= 12, "{got}");
        }
    }
    s.shutdown().await;
}

/// A server on the database file `db`, with default options.
async fn serve_file(db: &Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let engine = Engine::open(Config::file(db)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(baton_server::serve(
        listener,
        engine,
        Options::default(),
        async move {
            stopped.await.ok();
        },
    ));
    (format!("http://{addr}"), stop)
}

#[tokio::test]
async fn readiness_fails_once_the_database_file_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ready.db");
    let (url, stop) = serve_file(&db).await;
    let http = reqwest::Client::new();
    let ready = || async {
        let res = http.get(format!("{url}/ready")).send().await.unwrap();
        let status = res.status();
        (status, res.json::<Value>().await.unwrap())
    };
    assert_eq!(ready().await.0, StatusCode::OK);

    // A backup moved into place over the live file.
    let restored = dir.path().join("restored.db");
    std::fs::write(&restored, b"a restored database").unwrap();
    std::fs::rename(&restored, &db).unwrap();

    let (status, body) = ready().await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "DOWN");
    assert!(
        !body.to_string().contains("ready.db"),
        "an open probe names no file: {body}"
    );
    // Alive all the same: the process still serves.
    let health = http.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    stop.send(()).ok();
}

#[tokio::test]
async fn with_auth_the_metrics_need_read_on_system() {
    let s = server_with(Options {
        auth: Auth::Basic,
        ..Options::default()
    })
    .await;
    for user in ["admin", "prom", "mary"] {
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
    s.engine
        .create_group(Group {
            id: ADMIN_GROUP.into(),
            ..Group::default()
        })
        .await
        .unwrap();
    s.engine
        .add_group_member(ADMIN_GROUP, "admin")
        .await
        .unwrap();
    let send = |path: String, user: Option<&str>| {
        let mut req = s.http.get(path);
        if let Some(u) = user {
            req = req.basic_auth(u, Some("pw"));
        }
        async move { req.send().await.unwrap().status() }
    };
    let scrape_url = format!("{}/metrics", root(&s));
    let sum_url = format!("{}/metrics/activity-instance-start/sum", s.url);
    for url in [&scrape_url, &sum_url] {
        assert_eq!(
            send(url.clone(), None).await,
            StatusCode::UNAUTHORIZED,
            "{url}"
        );
        assert_eq!(
            send(url.clone(), Some("mary")).await,
            StatusCode::FORBIDDEN,
            "{url}"
        );
        assert_eq!(
            send(url.clone(), Some("admin")).await,
            StatusCode::OK,
            "{url}"
        );
        assert_eq!(
            send(url.clone(), Some("prom")).await,
            StatusCode::FORBIDDEN,
            "{url}"
        );
    }
    // READ on System (resource type 21) lets a scraper in.
    let res = s
        .http
        .post(format!("{}/authorization/create", s.url))
        .basic_auth("admin", Some("pw"))
        .json(
            &json!({"type": 1, "permissions": ["READ"], "userId": "prom",
                      "resourceType": 21, "resourceId": "*"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    for url in [&scrape_url, &sum_url] {
        assert_eq!(
            send(url.clone(), Some("prom")).await,
            StatusCode::OK,
            "{url}"
        );
    }
    // The probes stay open.
    assert_eq!(
        send(format!("{}/health", root(&s)), None).await,
        StatusCode::OK
    );
    assert_eq!(
        send(format!("{}/ready", root(&s)), None).await,
        StatusCode::OK
    );
    s.shutdown().await;
}

#[tokio::test]
async fn with_an_empty_base_path_the_root_routes_sit_beside_the_api() {
    let s = server_with(Options {
        base_path: String::new(),
        ..Options::default()
    })
    .await;
    let m = scrape(&s).await;
    assert_eq!(get(&m, "baton_process_instances_started_total"), 0.0);
    let (st, doc) = s.get("/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(doc["servers"][0]["url"], "/");
    let (st, v) = s.get("/version").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    s.shutdown().await;
}

// ----- the OpenAPI document -----

/// Every route the router registers: each `.route("path", get(..).post(..))` of
/// `src/routes/*.rs`, with the bases of a `for base in [..]` loop put in for
/// `{base}` (the same reading as `auth.rs`'s walk over every route).
fn registered() -> BTreeSet<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().path();
        if file.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let bases = base_loop(&text);
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            let args_start = &rest[at + ".route(".len()..];
            let end = closing_paren(args_start).unwrap();
            let args = &args_start[..end];
            let (path, after) = first_string(args).unwrap();
            let methods = methods(after);
            assert!(!methods.is_empty(), "{}: {args}", file.display());
            let paths: Vec<String> = if path.contains("{base}") {
                bases.iter().map(|b| path.replace("{base}", b)).collect()
            } else {
                vec![path.to_owned()]
            };
            for p in paths {
                for m in &methods {
                    found.insert((m.clone(), p.clone()));
                }
            }
            rest = &args_start[end..];
        }
    }
    found
}

fn methods(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for name in ["get", "post", "put", "delete", "patch", "options"] {
        let call = format!("{name}(");
        let mut from = 0;
        while let Some(at) = text[from..].find(&call) {
            let at = from + at;
            let before = text[..at].chars().next_back();
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                out.push(name.to_owned());
            }
            from = at + call.len();
        }
    }
    out
}

/// The document's operations: method and path.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_served() {
    let s = server().await;
    let res = s
        .http
        .get(format!("{}/openapi.json", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/json");
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    assert_eq!(doc["servers"][0]["url"], "/engine-rest");
    let registered = registered();
    let documented = documented(&doc);
    assert!(registered.len() >= 160, "{}", registered.len());
    let missing: Vec<_> = registered.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "served but not in openapi.json: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "in openapi.json but not served: {extra:?}"
    );

    // And the router answers each: no listed operation reaches the fallbacks.
    for (method, path) in &documented {
        let concrete: Vec<&str> = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "some-id" } else { seg })
            .collect();
        let url = format!("{}{}", s.url, concrete.join("/"));
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let res = s
            .http
            .request(method.clone(), &url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {url}");
        assert!(!text.contains("No resource at"), "{method} {url}: {text}");
        assert!(!status.is_server_error(), "{method} {url}: {status} {text}");
    }
    // Every `$ref` names a schema of the document.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &piece[..piece.find('"').unwrap()];
        assert!(schemas.contains_key(name), "{name} is not defined");
    }
    s.shutdown().await;
}

/// The property names of schema `name` in the document.
fn properties(doc: &Value, name: &str) -> BTreeSet<String> {
    doc["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no schema {name}"))
        .keys()
        .cloned()
        .collect()
}

/// The required property names of schema `name` in the document.
fn required(doc: &Value, name: &str) -> BTreeSet<String> {
    doc["components"]["schemas"][name]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_documents_shapes_are_the_answers_shapes() {
    let s = server_manual().await;
    let (_, deployed) = s
        .deploy("work", &[("work.bpmn", &tasks_model("work", &["work"]))])
        .await;
    let (_, doc) = s.get("/openapi.json").await;
    let mut checked = Vec::new();
    // Every key of the answer is a property, and every required property (not
    // nullable, so never left out) a key.
    let mut check = |schema: &str, answer: &Value| {
        let keys = keys(answer);
        let properties = properties(&doc, schema);
        let extra: Vec<_> = keys.difference(&properties).collect();
        assert!(extra.is_empty(), "{schema} lacks {extra:?}: {answer}");
        let required = required(&doc, schema);
        let missing: Vec<_> = required.difference(&keys).collect();
        assert!(
            missing.is_empty(),
            "{schema} requires {missing:?}: {answer}"
        );
        checked.push(schema.to_owned());
    };
    check("DeploymentWithDefinitionsDto", &deployed);
    let deployment = deployed["id"].as_str().unwrap();
    let (_, d) = s.get(&format!("/deployment/{deployment}")).await;
    check("DeploymentDto", &d);
    let (_, def) = s.get("/process-definition/key/work").await;
    check("ProcessDefinitionDto", &def);
    let (_, xml) = s.get("/process-definition/key/work/xml").await;
    check("ProcessDefinitionXmlDto", &xml);
    let (_, inst) = s
        .post(
            "/process-definition/key/work/start",
            json!({"variables": {"n": {"value": 1, "type": "Integer"}}}),
        )
        .await;
    check("ProcessInstanceWithVariablesDto", &inst);
    let (_, listed) = s.get("/process-instance").await;
    check("ProcessInstanceDto", &listed[0]);
    let (_, engines) = s.get("/engine").await;
    check("ProcessEngineDto", &engines[0]);
    let (_, version) = s.get("/version").await;
    check("VersionDto", &version);
    let id = inst["id"].as_str().unwrap().to_owned();
    let (_, one) = s.get(&format!("/process-instance/{id}/variables/n")).await;
    check("VariableValueDto", &one);
    let (_, tree) = s
        .get(&format!("/process-instance/{id}/activity-instances"))
        .await;
    check("ActivityInstanceDto", &tree);
    let (_, tasks) = s.get("/external-task").await;
    check("ExternalTaskDto", &tasks[0]);
    let locked = s.fetch("w", "work").await;
    check("LockedExternalTaskDto", &locked[0]);
    let task = locked[0]["id"].as_str().unwrap();
    s.post(
        &format!("/external-task/{task}/failure"),
        json!({"workerId": "w", "errorMessage": "x", "retries": 0, "retryTimeout": 0}),
    )
    .await;
    let (_, incidents) = s.get("/incident").await;
    check("IncidentDto", &incidents[0]);
    let (_, count) = s.get("/incident/count").await;
    check("CountResultDto", &count);
    let (_, hist) = s.get(&format!("/history/process-instance/{id}")).await;
    check("HistoricProcessInstanceDto", &hist);
    let (_, acts) = s.get("/history/activity-instance").await;
    check("HistoricActivityInstanceDto", &acts[0]);
    let (_, vars) = s.get("/history/variable-instance").await;
    check("HistoricVariableInstanceDto", &vars[0]);
    let (_, sum) = s.get("/metrics/activity-instance-start/sum").await;
    check("MetricsResultDto", &sum);
    let (_, err) = s.get("/process-instance/nope").await;
    check("ExceptionDto", &err);
    let (_, stats) = s
        .get("/process-definition/statistics?failedJobs=true&incidents=true")
        .await;
    check("ProcessDefinitionStatisticsResultDto", &stats[0]);
    check("IncidentStatisticsResultDto", &stats[0]["incidents"][0]);
    let (_, per_activity) = s
        .get("/process-definition/key/work/statistics?incidents=true")
        .await;
    check("ActivityStatisticsResultDto", &per_activity[0]);
    let (_, resources) = s.get(&format!("/deployment/{deployment}/resources")).await;
    check("DeploymentResourceDto", &resources[0]);
    s.deploy_model("timed", &timer_model()).await;
    s.start("timed", json!({})).await;
    let (_, jobs) = s.get("/job").await;
    check("JobDto", &jobs[0]);
    for (path, schema, body) in [
        (
            "/user/create",
            "",
            json!({"profile": {"id": "u1", "firstName": "U"}, "credentials": {"password": "pw"}}),
        ),
        (
            "/group/create",
            "",
            json!({"id": "g1", "name": "G", "type": "T"}),
        ),
        ("/tenant/create", "", json!({"id": "t1", "name": "T"})),
    ] {
        let (st, b) = s.post(path, body).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{path} {schema}: {b}");
    }
    let (_, user) = s.get("/user/u1/profile").await;
    check("UserProfileDto", &user);
    let (_, group) = s.get("/group/g1").await;
    check("GroupDto", &group);
    let (_, tenant) = s.get("/tenant/t1").await;
    check("TenantDto", &tenant);
    let (_, auth) = s
        .post(
            "/authorization/create",
            json!({"type": 1, "permissions": ["READ"], "userId": "u1", "resourceType": 21, "resourceId": "*"}),
        )
        .await;
    check("AuthorizationDto", &auth);
    let (_, verified) = s
        .post(
            "/identity/verify",
            json!({"username": "u1", "password": "pw"}),
        )
        .await;
    check("AuthenticationResult", &verified);
    let (_, memberships) = s.get("/identity/groups?userId=u1").await;
    check("IdentityGroupMembershipsDto", &memberships);
    assert!(checked.len() >= 20, "{checked:?}");
    s.shutdown().await;
}
