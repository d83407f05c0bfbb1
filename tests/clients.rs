//! Real Camunda client libraries against `baton serve`, end to end.
//!
//! Each test starts `baton serve` as a separate process on a free port with a
//! fresh database file (the models of `tests/clients/models` deployed at
//! start), drives it with a pinned client the way its users do, checks the
//! outcome through the REST API from Rust as well, and stops Baton with
//! SIGTERM, which must end it cleanly.
//!
//! The clients (see `tests/clients/`):
//! - `camunda-external-task-client-python3` 4.5.0: complete, failure, BPMN error;
//! - a hand-written worker on `requests`: fetchAndLock per topic, complete;
//! - `camunda-external-task-client-js` 3.1.0: typed variables, unlock, lock,
//!   extendLock, failure, BPMN error;
//! - `pycamunda` 0.6.1: deployment, start, queries, incidents, deletion; and its
//!   task calls (lists, claim, delegate, resolve, update, identity links,
//!   comments, local variables, complete) in `pycamunda_tasks.py`;
//! - `curl` sending what Camunda Modeler sends: a deployment, a start, and an
//!   invalid model;
//! - the Python client's own examples (`python_examples.py`: tasks_example,
//!   fetch_and_execute, bpmn_error_example, event_subprocess_example,
//!   correlate_message, start_process, get_process_instance) and the JavaScript
//!   client's order example (`js/order.mjs`), each written the way the example uses
//!   its client, on models of our own that do what the examples' models do
//!   (`tests/clients/examples/`);
//! - with `--auth basic`: pycamunda, the Python client and the JavaScript client
//!   logging in as a worker granted only what it needs (`auth_clients.py`,
//!   `js/auth.mjs`).
//!
//! `tests/clients/setup.sh` installs the clients into `target/e2e` on first use
//! (about half a minute; only the pip and npm registries are contacted) and is a
//! no-op afterwards. A script that hangs is killed after [`SCRIPT_TIMEOUT`]; its
//! output and Baton's log are printed with every failure.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

/// How long a client script may run before it is killed. The scripts give up on
/// their own after `BATON_SCRIPT_DEADLINE` seconds, so they can say why.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// What the scripts are told: a little less than [`SCRIPT_TIMEOUT`].
const SCRIPT_DEADLINE_SECS: &str = "45";

/// How long Baton may take to print its address, and to stop after SIGTERM.
const BATON_TIMEOUT: Duration = Duration::from_secs(30);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn clients() -> PathBuf {
    root().join("tests/clients")
}

/// `target/e2e`, next to the profile directory holding the `baton` binary.
fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_baton"))
        .parent()
        .and_then(Path::parent)
        .expect("the baton binary lives in target/<profile>/")
        .join("e2e")
}

/// Runs `tests/clients/setup.sh` once for all the tests of this file (they run
/// in parallel threads; the others wait) and answers the directory it filled.
fn setup() -> &'static Path {
    static SETUP: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let done = SETUP.get_or_init(|| {
        let dir = e2e_dir();
        let output = std::process::Command::new("bash")
            .arg(clients().join("setup.sh"))
            .arg(&dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run tests/clients/setup.sh: {e}"))?;
        if output.status.success() {
            Ok(dir)
        } else {
            Err(format!(
                "tests/clients/setup.sh failed ({}):\n{}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    });
    match done {
        Ok(dir) => dir,
        Err(message) => panic!("{message}"),
    }
}

/// A running `baton serve`.
struct Baton {
    child: tokio::process::Child,
    /// Kept open: Baton's stdout must not turn into a broken pipe.
    _stdout: Lines<BufReader<ChildStdout>>,
    /// `http://127.0.0.1:PORT/engine-rest`.
    url: String,
    dir: tempfile::TempDir,
    http: reqwest::Client,
    /// The user and password every request from Rust sends, when Baton runs
    /// with `--auth basic`.
    login: Option<(String, String)>,
}

impl Baton {
    /// Starts Baton on a free port with a new database and the test models, and
    /// waits for the line with its address.
    async fn start() -> Baton {
        Baton::start_with(&[]).await
    }

    /// As [`Baton::start`], with more `baton serve` arguments.
    async fn start_with(args: &[&str]) -> Baton {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let log = std::fs::File::create(dir.path().join("baton.log")).expect("a log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .arg("serve")
            .args(["--port", "0", "--db"])
            .arg(dir.path().join("baton.db"))
            .arg("--deploy")
            .arg(clients().join("models"))
            .args(args)
            .env_remove("BATON_BASE_PATH")
            .env_remove("BATON_BIND")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("baton serve starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("a piped stdout")).lines();
        let line = tokio::time::timeout(BATON_TIMEOUT, stdout.next_line()).await;
        let mut baton = Baton {
            child,
            _stdout: stdout,
            url: String::new(),
            dir,
            http: reqwest::Client::new(),
            login: None,
        };
        match line {
            Ok(Ok(Some(line))) => match line.strip_prefix("Baton listening on ") {
                Some(url)
                    if url.starts_with("http://127.0.0.1:") && url.ends_with("/engine-rest") =>
                {
                    baton.url = url.to_owned();
                }
                _ => panic!("unexpected first line {line:?}\n{}", baton.log()),
            },
            other => panic!(
                "baton serve printed no address ({other:?})\n{}",
                baton.log()
            ),
        }
        baton
    }

    /// Baton's stderr so far.
    fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("baton.log")).unwrap_or_default();
        format!("--- baton serve log ---\n{text}")
    }

    /// SIGTERM; Baton must exit 0.
    async fn stop(mut self) {
        let pid = self.child.id().expect("baton serve is still running");
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(kill.success(), "kill -TERM {pid} failed");
        let status = tokio::time::timeout(BATON_TIMEOUT, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("baton serve ignored SIGTERM\n{}", self.log()))
            .expect("waiting for baton serve");
        assert!(
            status.success(),
            "baton serve exited with {status} after SIGTERM\n{}",
            self.log()
        );
    }

    /// Runs a client script with `BATON_URL` (and the paths the scripts need)
    /// and answers the JSON of its `RESULT ` line. Panics with the script's
    /// output and Baton's log if it fails or hangs.
    async fn run(&self, what: &str, program: &Path, args: &[&OsStr]) -> Value {
        self.run_with(what, program, args, &[]).await
    }

    /// As [`Baton::run`], with more environment variables.
    async fn run_with(
        &self,
        what: &str,
        program: &Path,
        args: &[&OsStr],
        env: &[(&str, &str)],
    ) -> Value {
        let e2e = setup();
        let mut child = Command::new(program)
            .args(args)
            .envs(env.iter().copied())
            .current_dir(root())
            .env("BATON_URL", &self.url)
            .env("BATON_NODE_MODULES", e2e.join("node/node_modules"))
            .env("BATON_DEPLOY_DIR", clients().join("deploy"))
            .env("BATON_SCRIPT_DEADLINE", SCRIPT_DEADLINE_SECS)
            .env("PYTHONUNBUFFERED", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what} ({}): {e}", program.display()));
        let stdout = tokio::spawn(read_all(child.stdout.take().expect("a piped stdout")));
        let stderr = tokio::spawn(read_all(child.stderr.take().expect("a piped stderr")));
        let status = match tokio::time::timeout(SCRIPT_TIMEOUT, child.wait()).await {
            Ok(status) => Some(status.expect("waiting for the script")),
            Err(_) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                None
            }
        };
        let stdout = stdout.await.expect("the stdout reader");
        let stderr = stderr.await.expect("the stderr reader");
        let report = || {
            format!(
                "--- {what} stdout ---\n{stdout}\n--- {what} stderr ---\n{stderr}\n{}",
                self.log()
            )
        };
        match status {
            None => panic!(
                "{what} did not finish within {SCRIPT_TIMEOUT:?} and was killed. Clients stall \
                 when Baton answers them with an error (the Python client sleeps after any \
                 error), so look for one below.\n{}",
                report()
            ),
            Some(status) if !status.success() => panic!("{what} failed ({status})\n{}", report()),
            Some(_) => {}
        }
        let result = stdout
            .lines()
            .find_map(|line| line.strip_prefix("RESULT "))
            .unwrap_or_else(|| panic!("{what} printed no RESULT line\n{}", report()));
        serde_json::from_str(result)
            .unwrap_or_else(|e| panic!("{what}'s RESULT: {e}\n{}", report()))
    }

    /// A request under the API, with [`Baton::login`]'s credentials if any.
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.url));
        match &self.login {
            Some((user, password)) => request.basic_auth(user, Some(password)),
            None => request,
        }
    }

    /// `GET` under the API; must answer 200 with JSON.
    async fn get(&self, path: &str) -> Value {
        let response = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status();
        let text = response.text().await.expect("a response body");
        assert_eq!(status, 200, "GET {path} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    /// `POST` of a JSON body under the API; answers the status and the body.
    async fn post(&self, path: &str, body: &Value) -> (u16, String) {
        let response = self
            .request(reqwest::Method::POST, path)
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = response.status().as_u16();
        (status, response.text().await.expect("a response body"))
    }

    /// Checks that `instance` completed, at exactly the end event `end`.
    async fn assert_completed_at(&self, instance: &str, end: &str) {
        let history = self
            .get(&format!("/history/process-instance/{instance}"))
            .await;
        assert_eq!(history["state"], "COMPLETED", "{history}");
        assert_eq!(self.end_events(instance).await, [end], "{instance}");
    }

    /// The end events `instance` reached, from the activity history.
    async fn end_events(&self, instance: &str) -> Vec<String> {
        let activities = self
            .get(&format!(
                "/history/activity-instance?processInstanceId={instance}"
            ))
            .await;
        activities
            .as_array()
            .expect("a list of activity instances")
            .iter()
            .filter(|a| a["activityType"] == "noneEndEvent")
            .map(|a| a["activityId"].as_str().expect("an activity id").to_owned())
            .collect()
    }

    /// `instance`'s variables from the history, as `name -> {type, value}`.
    async fn variables(&self, instance: &str) -> serde_json::Map<String, Value> {
        let list = self
            .get(&format!(
                "/history/variable-instance?processInstanceId={instance}"
            ))
            .await;
        list.as_array()
            .expect("a list of variables")
            .iter()
            .map(|v| {
                let name = v["name"].as_str().expect("a variable name").to_owned();
                (name, json!({"type": v["type"], "value": v["value"]}))
            })
            .collect()
    }
}

async fn read_all(mut stream: impl AsyncRead + Unpin) -> String {
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes).await;
    String::from_utf8_lossy(&bytes).into_owned()
}

fn python() -> PathBuf {
    setup().join("venv/bin/python")
}

fn id(result: &Value, name: &str) -> String {
    result[name]
        .as_str()
        .unwrap_or_else(|| panic!("no instance {name} in {result}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_client_completes_fails_and_throws_bpmn_errors() {
    let baton = Baton::start().await;
    let script = clients().join("python_client.py");
    let ids = baton
        .run("python_client.py", &python(), &[script.as_os_str()])
        .await;

    baton
        .assert_completed_at(&id(&ids, "small"), "End_Small")
        .await;
    baton
        .assert_completed_at(&id(&ids, "paid"), "End_Paid")
        .await;
    baton
        .assert_completed_at(&id(&ids, "declined"), "End_Declined")
        .await;

    // The client sends untyped values, `{"value": v}`: Camunda infers the types.
    let paid = baton.variables(&id(&ids, "paid")).await;
    assert_eq!(paid["amount"], json!({"type": "Integer", "value": 500}));
    assert_eq!(
        paid["customer"],
        json!({"type": "String", "value": "Grace"})
    );
    assert_eq!(paid["score"], json!({"type": "Integer", "value": 1000}));
    assert_eq!(paid["charged"], json!({"type": "Boolean", "value": true}));
    assert_eq!(
        paid["receipt"],
        json!({"type": "String", "value": "R-order-2"})
    );
    let declined = baton.variables(&id(&ids, "declined")).await;
    assert_eq!(
        declined["declineReason"],
        json!({"type": "String", "value": "expired"})
    );
    assert_eq!(
        declined["retryable"],
        json!({"type": "Boolean", "value": false})
    );
    assert!(!declined.contains_key("receipt"), "{declined:?}");

    // Failed twice (retries 1, then 0): an incident, and the instance waits.
    let flaky = id(&ids, "flaky");
    let history = baton
        .get(&format!("/history/process-instance/{flaky}"))
        .await;
    assert_eq!(history["state"], "ACTIVE", "{history}");
    let tasks = baton
        .get(&format!("/external-task?processInstanceId={flaky}"))
        .await;
    let task = &tasks[0];
    assert_eq!(task["retries"], 0, "{tasks}");
    assert_eq!(task["errorMessage"], "service unavailable", "{tasks}");
    let details = baton
        .http
        .get(format!(
            "{}/external-task/{}/errorDetails",
            baton.url,
            task["id"].as_str().expect("a task id")
        ))
        .send()
        .await
        .expect("GET errorDetails");
    assert_eq!(details.status(), 200);
    assert_eq!(
        details.text().await.expect("a body"),
        "HTTP 503 from the billing service"
    );
    let incidents = baton
        .get(&format!("/incident?processInstanceId={flaky}"))
        .await;
    assert_eq!(incidents.as_array().map(Vec::len), Some(1), "{incidents}");
    assert_eq!(incidents[0]["incidentType"], "failedExternalTask");
    assert_eq!(incidents[0]["activityId"], "Activity_CallService");
    let tree = baton
        .get(&format!("/process-instance/{flaky}/activity-instances"))
        .await;
    assert_eq!(
        tree["childActivityInstances"][0]["incidentIds"][0], incidents[0]["id"],
        "{tree}"
    );

    baton.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_requests_worker_polls_each_topic_and_completes() {
    let baton = Baton::start().await;
    let script = clients().join("requests_worker.py");
    let ids = baton
        .run("requests_worker.py", &python(), &[script.as_os_str()])
        .await;

    for number in [1, 2, 3, 4, 5, 6, 8] {
        let end = if number % 2 == 0 {
            "End_Archived"
        } else {
            "End_Rejected"
        };
        baton
            .assert_completed_at(&id(&ids, &number.to_string()), end)
            .await;
    }
    let finished = baton
        .get("/history/process-instance/count?processDefinitionKey=req_chain&finished=true")
        .await;
    assert_eq!(finished["count"], 7);
    let left = baton.get("/external-task/count").await;
    assert_eq!(left["count"], 0);
    let archived = baton.variables(&id(&ids, "4")).await;
    assert_eq!(
        archived["archiveId"],
        json!({"type": "String", "value": "ARCH-4"})
    );

    baton.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_client_types_variables_and_unlocks_fails_and_throws() {
    let baton = Baton::start().await;
    let script = clients().join("js/worker.mjs");
    let ids = baton
        .run("js/worker.mjs", Path::new("node"), &[script.as_os_str()])
        .await;

    baton
        .assert_completed_at(&id(&ids, "freight"), "End_Freight")
        .await;
    baton
        .assert_completed_at(&id(&ids, "moon"), "End_NoCourier")
        .await;
    baton
        .assert_completed_at(&id(&ids, "parcel"), "End_Parcel")
        .await;

    // The client's lowercase types, stored as Camunda's.
    let freight = baton.variables(&id(&ids, "freight")).await;
    for (name, expected) in [
        ("weight", json!({"type": "Integer", "value": 20})),
        ("fragile", json!({"type": "Boolean", "value": true})),
        ("volume", json!({"type": "Double", "value": 1.5})),
        (
            "serial",
            json!({"type": "Long", "value": 1_099_511_627_776_i64}),
        ),
        (
            "packedAt",
            json!({"type": "Date", "value": "2024-03-01T10:15:30.123+0000"}),
        ),
        ("packer", json!({"type": "String", "value": "js-worker"})),
    ] {
        assert_eq!(freight[name], expected, "{name}");
    }
    assert_eq!(freight["parcel"]["type"], "Json");
    let parcel: Value =
        serde_json::from_str(freight["parcel"]["value"].as_str().expect("JSON as text"))
            .expect("the JSON variable parses");
    assert_eq!(
        parcel,
        json!({"items": 5, "labels": ["fragile", "this side up"]})
    );
    let moon = baton.variables(&id(&ids, "moon")).await;
    assert_eq!(moon["reason"], json!({"type": "String", "value": "moon"}));
    assert!(!moon.contains_key("trackingId"), "{moon:?}");
    assert_eq!(baton.get("/incident/count").await["count"], 0);

    baton.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pycamunda_deploys_starts_queries_and_deletes() {
    let baton = Baton::start().await;
    let script = clients().join("pycamunda_client.py");
    let ids = baton
        .run("pycamunda_client.py", &python(), &[script.as_os_str()])
        .await;

    baton
        .assert_completed_at(&id(&ids, "shipped"), "End_Shipped")
        .await;
    baton
        .assert_completed_at(&id(&ids, "sold_out"), "End_OutOfStock")
        .await;
    let broken = id(&ids, "broken");
    let history = baton
        .get(&format!("/history/process-instance/{broken}"))
        .await;
    assert_eq!(history["state"], "EXTERNALLY_TERMINATED", "{history}");
    // Deployed twice with duplicate filtering: one deployment, one version.
    let deployments = baton.get("/deployment?name=pycamunda%20order").await;
    assert_eq!(
        deployments.as_array().map(Vec::len),
        Some(1),
        "{deployments}"
    );
    let definitions = baton
        .get("/process-definition/count?key=pycamunda_order")
        .await;
    assert_eq!(definitions["count"], 1);
    assert_eq!(baton.get("/incident/count").await["count"], 0);

    baton.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pycamunda_works_user_tasks_through_the_task_api() {
    let baton = Baton::start().await;
    let script = clients().join("pycamunda_tasks.py");
    let ids = baton
        .run("pycamunda_tasks.py", &python(), &[script.as_os_str()])
        .await;

    baton
        .assert_completed_at(&id(&ids, "done"), "End_Done")
        .await;
    let kept = id(&ids, "kept");
    let open = baton.get(&format!("/task?processInstanceId={kept}")).await;
    assert_eq!(open[0]["taskDefinitionKey"], "Activity_Review", "{open}");
    assert_eq!(open[0]["assignee"], "bob", "{open}");
    let history = baton
        .get(&format!(
            "/history/task?processInstanceId={}",
            id(&ids, "done")
        ))
        .await;
    let assignees: Vec<&Value> = history
        .as_array()
        .expect("a list")
        .iter()
        .map(|h| &h["assignee"])
        .collect();
    assert!(assignees.contains(&&json!("frank")), "{history}");

    baton.stop().await;
}

/// `curl` with the arguments given, answering the status and the JSON body
/// (`null` when empty).
async fn curl(args: &[&str]) -> (u16, Value) {
    let output = tokio::time::timeout(
        SCRIPT_TIMEOUT,
        Command::new("curl")
            .args(["-sS", "-w", "\n%{http_code}"])
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("curl {args:?} timed out"))
    .expect("curl runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "curl {args:?} failed: {}{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (body, status) = text.rsplit_once('\n').expect("the status line");
    let status = status.parse().expect("an HTTP status");
    let body = if body.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("curl {args:?}: {e}: {body}"))
    };
    (status, body)
}

/// A deployment exactly as Camunda Modeler sends it.
async fn modeler_deploy(baton: &Baton, file: &str) -> (u16, Value) {
    let path = clients().join("deploy").join(file);
    let name = file.trim_end_matches(".bpmn");
    curl(&[
        "-X",
        "POST",
        "-H",
        "Accept: application/json",
        "-F",
        &format!("deployment-name={name}"),
        "-F",
        "deployment-source=Camunda Modeler",
        "-F",
        "enable-duplicate-filtering=true",
        "-F",
        &format!("{file}=@{};filename={file};type=text/xml", path.display()),
        &format!("{}/deployment/create", baton.url),
    ])
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camunda_modeler_deploys_starts_and_sees_parse_errors() {
    let baton = Baton::start().await;
    let url = &baton.url;
    let accept = "Accept: application/json";

    // Modeler checks the connection first.
    let (status, deployments) =
        curl(&["-H", accept, &format!("{url}/deployment?maxResults=0")]).await;
    assert_eq!((status, deployments), (200, json!([])));
    let (status, version) = curl(&["-H", accept, &format!("{url}/version")]).await;
    assert_eq!(status, 200, "{version}");
    assert!(
        version["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("7.")),
        "{version}"
    );

    let (status, deployed) = modeler_deploy(&baton, "diagram_1.bpmn").await;
    assert_eq!(status, 200, "{deployed}");
    assert_eq!(deployed["name"], "diagram_1", "{deployed}");
    assert_eq!(deployed["source"], "Camunda Modeler", "{deployed}");
    let definitions = deployed["deployedProcessDefinitions"]
        .as_object()
        .expect("the new definitions");
    assert_eq!(definitions.len(), 1, "{deployed}");
    let (definition_id, definition) = definitions.iter().next().expect("one definition");
    assert_eq!(definition["key"], "modeler_invoice");
    assert_eq!(definition["resource"], "diagram_1.bpmn");
    assert_eq!(definition["version"], 1);

    // Deploying again changes nothing.
    let (status, again) = modeler_deploy(&baton, "diagram_1.bpmn").await;
    assert_eq!(status, 200, "{again}");
    assert!(
        again["deployedProcessDefinitions"]
            .as_object()
            .is_none_or(serde_json::Map::is_empty),
        "{again}"
    );
    let count = baton
        .get("/process-definition/count?key=modeler_invoice")
        .await;
    assert_eq!(count["count"], 1);

    // "Start process instance" in the deploy dialog.
    let (status, started) = curl(&[
        "-X",
        "POST",
        "-H",
        accept,
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"businessKey":"INV-1","variables":{"amount":{"value":120,"type":"Integer"}}}"#,
        &format!("{url}/process-definition/{definition_id}/start"),
    ])
    .await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["businessKey"], "INV-1", "{started}");
    assert_eq!(started["definitionId"], definition_id.as_str(), "{started}");
    let instance = started["id"].as_str().expect("an instance id").to_owned();

    // A worker approves; the instance ends at End_Approved.
    let (status, tasks) = baton
        .post(
            "/external-task/fetchAndLock",
            &json!({"workerId": "rust", "maxTasks": 1,
                    "topics": [{"topicName": "modeler-approve", "lockDuration": 10000}]}),
        )
        .await;
    assert_eq!(status, 200, "{tasks}");
    let tasks: Value = serde_json::from_str(&tasks).expect("JSON");
    assert_eq!(tasks[0]["processInstanceId"], instance.as_str(), "{tasks}");
    assert_eq!(tasks[0]["variables"]["amount"]["value"], 120, "{tasks}");
    let task = tasks[0]["id"].as_str().expect("a task id");
    let (status, body) = baton
        .post(
            &format!("/external-task/{task}/complete"),
            &json!({"workerId": "rust",
                    "variables": {"approved": {"value": true, "type": "Boolean"}}}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    baton.assert_completed_at(&instance, "End_Approved").await;

    // An invalid model: what Modeler shows in its deploy dialog.
    let (status, error) = modeler_deploy(&baton, "invalid.bpmn").await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["type"], "ParseException", "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("ENGINE-09005 Could not parse BPMN process.")),
        "{error}"
    );
    let errors = &error["details"]["invalid.bpmn"]["errors"];
    assert_eq!(errors.as_array().map(Vec::len), Some(1), "{error}");
    assert_eq!(
        errors[0]["mainBpmnElementId"], "Activity_NoTopic",
        "{error}"
    );
    assert_eq!(errors[0]["line"], 7, "{error}");
    assert!(
        errors[0]["column"].as_u64().is_some_and(|c| c >= 1),
        "{error}"
    );
    assert!(errors[0]["message"].is_string(), "{error}");
    assert!(
        error["details"]["invalid.bpmn"]["warnings"].is_array(),
        "{error}"
    );
    let count = baton.get("/deployment/count?name=invalid").await;
    assert_eq!(count["count"], 0, "nothing is deployed");

    baton.stop().await;
}

/// The open external tasks of `instance`, by activity.
async fn open_activities(baton: &Baton, instance: &str) -> Vec<String> {
    let tasks = baton
        .get(&format!("/external-task?processInstanceId={instance}"))
        .await;
    tasks
        .as_array()
        .expect("a list of tasks")
        .iter()
        .map(|t| t["activityId"].as_str().expect("an activity id").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_clients_examples_run_unchanged() {
    let baton = Baton::start().await;
    let script = clients().join("python_examples.py");
    let ids = baton
        .run("python_examples.py", &python(), &[script.as_os_str()])
        .await;

    // tasks_example.py and fetch_and_execute.py, with worker ids 0, 1 and 2.
    for role in ["subscribed", "fetched"] {
        baton.assert_completed_at(&id(&ids, role), "End").await;
        let vars = baton.variables(&id(&ids, role)).await;
        assert_eq!(vars["success"], json!({"type": "Boolean", "value": true}));
    }

    // bpmn_error_example.py: each image where its answer sent it.
    let images = &ids["images"];
    let poor = id(images, "poor_quality.png");
    assert_eq!(
        open_activities(&baton, &poor).await,
        ["ENHANCE_IMAGE_QUALITY"]
    );
    let vars = baton.variables(&poor).await;
    assert_eq!(vars["quality_code"]["value"], "POOR_QUALITY_IMAGE");
    assert_eq!(vars["quality_description"]["value"], "Image quality is bad");
    assert_eq!(vars["img_rejection_code"]["value"], "POOR_QUALITY_CODE_XX");
    let approved = id(images, "holiday.jpg");
    assert_eq!(open_activities(&baton, &approved).await, ["APPROVE_IMAGE"]);
    let rejected = id(images, "drawing.gif");
    assert_eq!(open_activities(&baton, &rejected).await, ["REJECT_IMAGE"]);
    assert_eq!(
        baton.variables(&rejected).await["rejection_code"]["value"],
        "INVALID_IMAGE"
    );
    let corrupt = id(images, "corrupt.png");
    let incidents = baton
        .get(&format!("/incident?processInstanceId={corrupt}"))
        .await;
    assert_eq!(
        incidents[0]["incidentType"], "failedExternalTask",
        "{incidents}"
    );
    assert_eq!(incidents[0]["incidentMessage"], "Cannot validate image");

    // event_subprocess_example.py and correlate_message.py: the message interrupted
    // the second step.
    for (role, task) in [("event_subprocess", "CLEAN_UP"), ("correlated", "CANCEL")] {
        assert_eq!(
            open_activities(&baton, &id(&ids, role)).await,
            [task],
            "{role}"
        );
    }
    baton.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_clients_order_example_runs_unchanged() {
    let baton = Baton::start_with(&["--clock", "manual"]).await;
    let script = clients().join("js/order.mjs");
    let ids = baton
        .run("js/order.mjs", Path::new("node"), &[script.as_os_str()])
        .await;
    for role in ["processScope", "local"] {
        // The condition on the subprocess saw the completed variables before the
        // task left: the order ended at the boundary's end event.
        baton.assert_completed_at(&id(&ids, role), "Stored").await;
        let vars = baton.variables(&id(&ids, role)).await;
        assert_eq!(vars["invoice"]["type"], "File", "{role}");
        assert_eq!(vars["date"]["type"], "Date", "{role}");
    }
    // The file keeps its name.
    let history = baton
        .get(&format!(
            "/history/variable-instance?processInstanceId={}&variableName=invoice",
            id(&ids, "processScope")
        ))
        .await;
    assert_eq!(history[0]["valueInfo"]["filename"], "invoice.txt");
    baton.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_log_in_with_basic_credentials_and_work_within_their_grants() {
    let mut baton =
        Baton::start_with(&["--auth", "basic", "--admin-user", "admin:admin-secret"]).await;
    // Without credentials, nothing but `GET /engine`.
    let bare = baton
        .http
        .get(format!("{}/process-definition", baton.url))
        .send()
        .await
        .expect("GET without credentials");
    assert_eq!(bare.status(), 401);
    assert_eq!(
        bare.headers()["www-authenticate"],
        "Basic realm=\"default\""
    );
    baton.login = Some(("admin".into(), "admin-secret".into()));

    // A worker that may start and work req_chain, and nothing else.
    let (status, body) = baton
        .post(
            "/user/create",
            &json!({"profile": {"id": "worker"}, "credentials": {"password": "worker-secret"}}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    for grant in [
        json!({"type": 1, "userId": "worker", "resourceType": 8, "resourceId": "*",
               "permissions": ["CREATE"]}),
        json!({"type": 1, "userId": "worker", "resourceType": 6, "resourceId": "req_chain",
               "permissions": ["READ", "CREATE_INSTANCE", "READ_INSTANCE", "UPDATE_INSTANCE"]}),
    ] {
        let (status, body) = baton.post("/authorization/create", &grant).await;
        assert_eq!(status, 200, "{body}");
    }
    let env = [
        ("BATON_USER", "worker"),
        ("BATON_PASSWORD", "worker-secret"),
    ];

    let script = clients().join("auth_clients.py");
    let python_run = baton
        .run_with("auth_clients.py", &python(), &[script.as_os_str()], &env)
        .await;
    let instance = id(&python_run, "instance");
    let script = clients().join("js/auth.mjs");
    let js_run = baton
        .run_with(
            "js/auth.mjs",
            Path::new("node"),
            &[script.as_os_str()],
            &env,
        )
        .await;
    assert_eq!(js_run["archived"], instance.as_str(), "{js_run}");
    baton.assert_completed_at(&instance, "End_Archived").await;
    baton.stop().await;
}
