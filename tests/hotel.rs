//! The hotel reservation example (`examples/hotel-reservation/`) under faults.
//!
//! Each test runs the example's whole system as separate processes, as
//! `run.sh` does: `baton serve` on a database file with the example's two
//! models, the four Flask services on free ports with their own SQLite files,
//! and one or two of the example's workers. It makes reservations through
//! Baton's REST API, breaks something, and then checks both sides: Baton's
//! history (every reservation ended exactly once, at the right end event, each
//! task once) and the services' own state (one booking and one room block per
//! reservation, matching Baton's variables; the services' call logs, where
//! every call carries the external task id as `X-Request-Id`).
//!
//! The faults of issue 6, one test each:
//! - the worker is SIGKILLed between a service call and its `complete`, and
//!   restarted: the task is delivered again, the service sees the same request
//!   twice and books once;
//! - the room service is down: the task fails with retries and a retry
//!   timeout and succeeds once the service is back; with the retries used up
//!   an incident appears, and setting retries resumes the instance;
//! - Baton is SIGKILLed mid-run and restarted on the same database file;
//! - the official client's worker and the hand-written polling worker run side
//!   by side: no task reaches a service twice.
//!
//! A fifth test runs `client.py`, the demo's five reservations.
//!
//! `examples/hotel-reservation/setup.sh` installs the pinned Python packages
//! into `target/hotel` on first use (about 15 s) and is a no-op afterwards.
//! Every process a test starts is killed when the test ends, also when it
//! panics; on failure the logs of all of them are printed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// How long a process may take to say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long reservations may take to end once nothing stands in their way.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How often conditions are polled.
const POLL: Duration = Duration::from_millis(25);

/// The services, each a process with its own port and database file.
const SERVICES: [&str; 4] = ["booking", "room", "restaurant", "client"];

/// The night the room service starts with fully booked (`--sold-out`).
const SOLD_OUT_NIGHT: &str = "2026-12-31";

const CONFIRMED: &str = "Event_ReservationConfirmed";
const NO_ROOM: &str = "Event_NoRoomAvailable";
const REJECTED: &str = "Event_ReservationRejected";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example() -> PathBuf {
    root().join("examples/hotel-reservation")
}

/// `target/hotel`, next to the profile directory holding the `baton` binary.
fn hotel_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_baton"))
        .parent()
        .and_then(Path::parent)
        .expect("the baton binary lives in target/<profile>/")
        .join("hotel")
}

/// Runs the example's `setup.sh` once for all the tests of this file and
/// answers the venv's python.
fn python() -> PathBuf {
    static SETUP: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let done = SETUP.get_or_init(|| {
        let dir = hotel_dir();
        let output = std::process::Command::new("bash")
            .arg(example().join("setup.sh"))
            .arg(&dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run examples/hotel-reservation/setup.sh: {e}"))?;
        if output.status.success() {
            Ok(dir.join("venv/bin/python"))
        } else {
            Err(format!(
                "examples/hotel-reservation/setup.sh failed ({}):\n{}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    });
    match done {
        Ok(python) => python.clone(),
        Err(message) => panic!("{message}"),
    }
}

/// A process a test started, with its stdout and stderr appended to `log`.
/// Dropping it SIGKILLs it.
struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
    /// Where the log stood when this process started: its ready line comes
    /// after, not a line of an earlier run of the same program.
    offset: u64,
}

impl Proc {
    fn spawn(name: &str, mut command: Command, log: PathBuf) -> Proc {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("a log file");
        let offset = file.metadata().expect("the log's size").len();
        let stderr = file.try_clone().expect("a second handle on the log");
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(stderr))
            .env("PYTHONUNBUFFERED", "1")
            .env("NO_COLOR", "1")
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            name: name.to_owned(),
            child,
            log,
            offset,
        }
    }

    /// Waits for the first line of this run containing `needle` and answers it.
    async fn ready(&mut self, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let text = std::fs::read(&self.log).unwrap_or_default();
            let ours = text.get(self.offset as usize..).unwrap_or_default();
            if let Some(line) = String::from_utf8_lossy(ours)
                .lines()
                .find(|line| line.contains(needle))
            {
                return line.to_owned();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}) before it was ready", self.name);
            }
            assert!(
                started.elapsed() < READY_TIMEOUT,
                "{} did not print {needle:?} within {READY_TIMEOUT:?}",
                self.name
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// SIGKILL, and wait until it is gone.
    async fn kill(mut self) {
        self.child
            .kill()
            .await
            .unwrap_or_else(|e| panic!("cannot kill {}: {e}", self.name));
    }
}

/// How a worker is started: which script, and its settings (see the
/// example's worker.py).
#[derive(Clone, Copy)]
struct Worker {
    script: &'static str,
    id: &'static str,
    lock_ms: u64,
    retries: u32,
    retry_timeout_ms: u64,
    /// Simulated work between the service call and `complete`.
    work_ms: u64,
}

impl Worker {
    /// worker.py, the official Python client.
    const OFFICIAL: Worker = Worker {
        script: "worker.py",
        id: "hotel-worker",
        lock_ms: 30_000,
        retries: 3,
        retry_timeout_ms: 1_000,
        work_ms: 0,
    };

    /// polling_worker.py, the hand-written fetchAndLock loop.
    const POLLING: Worker = Worker {
        script: "polling_worker.py",
        id: "hotel-polling-worker",
        ..Worker::OFFICIAL
    };

    /// What the worker prints once it polls.
    fn ready_line(&self) -> &'static str {
        if self.script == "worker.py" {
            "subscribed to"
        } else {
            "polling"
        }
    }
}

/// A reservation a test makes, and how it must end.
#[derive(Clone)]
struct Reservation {
    key: String,
    variables: Value,
    end: &'static str,
}

impl Reservation {
    /// A valid reservation for a stay of two nights that no other `n` overlaps,
    /// with a table when `n` is even; four guests' e-mails, so some clients
    /// return (or are looked up by two reservations at once).
    fn confirmed(key: &str, n: u32) -> Reservation {
        let month = 1 + n / 9;
        let day = 1 + (n % 9) * 3;
        Reservation {
            key: key.to_owned(),
            variables: json!({
                "guestName": format!("Guest {}", n % 4),
                "email": format!("guest{}@example.com", n % 4),
                "checkIn": format!("2027-{month:02}-{day:02}"),
                "checkOut": format!("2027-{month:02}-{:02}", day + 2),
                "guests": 1 + n % 3,
                "restaurant": n % 2 == 0,
            }),
            end: CONFIRMED,
        }
    }

    /// A stay over the sold-out night.
    fn no_room(key: &str, n: u32) -> Reservation {
        let mut reservation = Reservation::confirmed(key, n);
        reservation.variables["checkIn"] = json!("2026-12-30");
        reservation.variables["checkOut"] = json!("2027-01-02");
        reservation.end = NO_ROOM;
        reservation
    }

    /// An e-mail address without an @.
    fn invalid(key: &str, n: u32) -> Reservation {
        let mut reservation = Reservation::confirmed(key, n);
        reservation.variables["email"] = json!(format!("guest{n}.example.com"));
        reservation.end = REJECTED;
        reservation
    }

    fn restaurant(&self) -> bool {
        self.variables["restaurant"] == true
    }

    fn email(&self) -> &str {
        self.variables["email"].as_str().expect("an e-mail")
    }

    /// How often each activity of HotelReservationProcess must have run.
    fn activities(&self) -> BTreeMap<&'static str, usize> {
        let confirmed = usize::from(self.end == CONFIRMED);
        let validated = usize::from(self.end != REJECTED);
        BTreeMap::from([
            ("Task_ValidateInput", 1),
            ("Event_InvalidInput", 1 - validated),
            ("CallActivity_FindOrCreateClient", validated),
            ("Task_CheckRoomAvailability", validated),
            ("Task_BlockRoom", confirmed),
            (
                "Task_ReserveRestaurantTable",
                confirmed * usize::from(self.restaurant()),
            ),
            ("Task_CreateBooking", confirmed),
            (CONFIRMED, confirmed),
            (NO_ROOM, usize::from(self.end == NO_ROOM)),
            (REJECTED, 1 - validated),
        ])
    }
}

/// A service's process (absent while it is down) and its port, kept across
/// restarts.
struct Service {
    proc: Option<Proc>,
    port: u16,
}

/// One test's hotel: Baton, the services and the workers, in one temporary
/// directory. Dropping it kills every process; during a panic it prints their
/// logs first.
struct Hotel {
    dir: tempfile::TempDir,
    http: reqwest::Client,
    baton: Option<Proc>,
    baton_port: u16,
    /// `http://127.0.0.1:PORT/engine-rest`.
    url: String,
    services: BTreeMap<&'static str, Service>,
    workers: BTreeMap<&'static str, Proc>,
}

impl Drop for Hotel {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let mut logs: Vec<_> = std::fs::read_dir(self.dir.path())
            .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
            .unwrap_or_default();
        logs.retain(|path| path.extension().is_some_and(|ext| ext == "log"));
        logs.sort();
        for log in logs {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(200)..];
            eprintln!(
                "--- {} (last {} lines) ---\n{}",
                log.file_name().unwrap_or_default().to_string_lossy(),
                tail.len(),
                tail.join("\n")
            );
        }
    }
}

impl Hotel {
    /// Starts Baton and the four services on free ports.
    async fn start() -> Hotel {
        let python = python();
        let mut hotel = Hotel {
            dir: tempfile::tempdir().expect("a temporary directory"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .expect("an HTTP client"),
            baton: None,
            baton_port: 0,
            url: String::new(),
            services: BTreeMap::new(),
            workers: BTreeMap::new(),
        };
        let mut starting = Vec::new();
        for name in SERVICES {
            starting.push((name, hotel.spawn_service(&python, name, 0)));
        }
        hotel.start_baton().await;
        for (name, mut proc) in starting {
            let port = Hotel::service_port(&proc.ready("listening on").await);
            hotel.services.insert(
                name,
                Service {
                    proc: Some(proc),
                    port,
                },
            );
        }
        hotel
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// `baton serve` on the test's database file, on the port it had before
    /// (a free one the first time).
    async fn start_baton(&mut self) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
        command
            .arg("serve")
            .args(["--port", &self.baton_port.to_string(), "--db"])
            .arg(self.path("baton.db"))
            .arg("--deploy")
            .arg(example().join("models"))
            .env_remove("BATON_BASE_PATH")
            .env_remove("BATON_BIND")
            .env_remove("BATON_DURABILITY");
        let mut baton = Proc::spawn("baton serve", command, self.path("baton.log"));
        let line = baton.ready("Baton listening on ").await;
        let url = line
            .strip_prefix("Baton listening on ")
            .filter(|url| url.starts_with("http://127.0.0.1:") && url.ends_with("/engine-rest"))
            .unwrap_or_else(|| panic!("unexpected line {line:?}"));
        self.baton_port = url["http://127.0.0.1:".len()..url.len() - "/engine-rest".len()]
            .parse()
            .expect("a port in Baton's address");
        self.url = url.to_owned();
        self.baton = Some(baton);
    }

    async fn kill_baton(&mut self) {
        self.baton.take().expect("Baton is running").kill().await;
    }

    fn spawn_service(&self, python: &Path, name: &str, port: u16) -> Proc {
        let mut command = Command::new(python);
        command
            .arg(example().join(format!("services/{name}_service.py")))
            .args(["--port", &port.to_string(), "--db"])
            .arg(self.path(&format!("{name}.db")))
            .current_dir(self.dir.path());
        if name == "room" {
            command.args(["--rooms", "5", "--sold-out", SOLD_OUT_NIGHT]);
        }
        Proc::spawn(
            &format!("the {name} service"),
            command,
            self.path(&format!("{name}.log")),
        )
    }

    fn service_port(line: &str) -> u16 {
        line.rsplit_once(':')
            .and_then(|(_, port)| port.trim().parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"))
    }

    /// Restarts a service on its port and database file.
    async fn start_service(&mut self, name: &'static str) {
        let port = self.services[name].port;
        let mut proc = self.spawn_service(&python(), name, port);
        let line = proc.ready("listening on").await;
        assert_eq!(Hotel::service_port(&line), port, "{line}");
        self.services.get_mut(name).expect("a known service").proc = Some(proc);
    }

    async fn kill_service(&mut self, name: &'static str) {
        let service = self.services.get_mut(name).expect("a known service");
        service.proc.take().expect("the service is up").kill().await;
    }

    fn service_url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}", self.services[name].port)
    }

    async fn start_worker(&mut self, worker: Worker) {
        let mut command = Command::new(python());
        command
            .arg(example().join(worker.script))
            .current_dir(self.dir.path())
            .env("BATON_URL", &self.url)
            .env("HOTEL_WORKER_ID", worker.id)
            .env("HOTEL_LOCK_MS", worker.lock_ms.to_string())
            .env("HOTEL_RETRIES", worker.retries.to_string())
            .env(
                "HOTEL_RETRY_TIMEOUT_MS",
                worker.retry_timeout_ms.to_string(),
            )
            .env("HOTEL_WORK_MS", worker.work_ms.to_string())
            .env("HOTEL_SLEEP_SECONDS", "0.5");
        for name in SERVICES {
            command.env(
                format!("{}_URL", name.to_uppercase()),
                self.service_url(name),
            );
        }
        let mut proc = Proc::spawn(worker.id, command, self.path(&format!("{}.log", worker.id)));
        proc.ready(worker.ready_line()).await;
        self.workers.insert(worker.id, proc);
    }

    async fn kill_worker(&mut self, id: &str) {
        self.workers
            .remove(id)
            .expect("the worker is running")
            .kill()
            .await;
    }

    /// A request to Baton; answers the status and the JSON body (`null` when
    /// empty, a string when not JSON).
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.url)
        };
        let mut request = self.http.request(method.clone(), &url);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.expect("a response body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// `GET` of Baton's API (or of a full URL); must answer 200.
    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path} answered {status}: {body}");
        body
    }

    /// `GET` of a service's route; must answer 200.
    async fn service(&self, name: &str, path: &str) -> Value {
        self.get(&format!("{}{path}", self.service_url(name))).await
    }

    /// The service's log of calls on `route`, each with the external task id
    /// (`requestId`), business key and worker (`caller`).
    async fn calls(&self, name: &str, route: &str) -> Vec<Value> {
        self.service(name, &format!("/calls?route={route}"))
            .await
            .as_array()
            .expect("a list of calls")
            .clone()
    }

    /// Starts a HotelReservationProcess instance; answers its id.
    async fn reserve(&self, reservation: &Reservation) -> String {
        let variables: serde_json::Map<String, Value> = reservation
            .variables
            .as_object()
            .expect("variables")
            .iter()
            .map(|(name, value)| {
                let kind = match value {
                    Value::Bool(_) => "Boolean",
                    Value::Number(_) => "Integer",
                    _ => "String",
                };
                (name.clone(), json!({"value": value, "type": kind}))
            })
            .collect();
        let (status, started) = self
            .call(
                reqwest::Method::POST,
                "/process-definition/key/HotelReservationProcess/start",
                Some(&json!({"businessKey": reservation.key, "variables": variables})),
            )
            .await;
        assert_eq!(status, 200, "{started}");
        started["id"].as_str().expect("an instance id").to_owned()
    }

    async fn reserve_all(&self, reservations: &[Reservation]) -> Vec<String> {
        let mut ids = Vec::new();
        for reservation in reservations {
            ids.push(self.reserve(reservation).await);
        }
        ids
    }

    /// Baton's state, for failure messages.
    async fn state(&self) -> String {
        let mut state = String::new();
        for path in ["/process-instance", "/external-task", "/incident"] {
            let (status, body) = self.call(reqwest::Method::GET, path, None).await;
            state.push_str(&format!("GET {path}: {status} {body}\n"));
        }
        state
    }

    /// Polls `check` until it answers `Some`, or panics after `timeout` with
    /// what it waited for and Baton's state.
    async fn wait_for<T, F, Fut>(&self, what: &str, timeout: Duration, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let started = Instant::now();
        loop {
            if let Some(value) = check().await {
                return value;
            }
            if started.elapsed() > timeout {
                panic!(
                    "timed out after {timeout:?} waiting for {what}\n{}",
                    self.state().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The history of every HotelReservationProcess instance.
    async fn reservations(&self) -> Vec<Value> {
        self.get("/history/process-instance?processDefinitionKey=HotelReservationProcess")
            .await
            .as_array()
            .expect("a list of instances")
            .clone()
    }

    /// Waits until `count` reservations have ended.
    async fn wait_until_ended(&self, count: usize) {
        self.wait_for(
            &format!("{count} reservations to end"),
            SETTLE_TIMEOUT,
            || async {
                let ended = self
                    .reservations()
                    .await
                    .iter()
                    .filter(|i| i["state"] != "ACTIVE")
                    .count();
                (ended >= count).then_some(())
            },
        )
        .await;
    }

    /// A finished instance's variables, from the history.
    async fn variables(&self, instance: &str) -> BTreeMap<String, Value> {
        self.get(&format!(
            "/history/variable-instance?processInstanceId={instance}"
        ))
        .await
        .as_array()
        .expect("a list of variables")
        .iter()
        .map(|v| {
            let name = v["name"].as_str().expect("a variable name").to_owned();
            (name, v["value"].clone())
        })
        .collect()
    }

    /// Checks that exactly `expected` happened, in Baton and in the services:
    /// one instance per reservation, completed at its end event, each activity
    /// run once; one client look-up per validated reservation; the bookings,
    /// room blocks and table reservations the services hold are exactly those
    /// of the confirmed reservations, and agree with Baton's variables; no
    /// incident, no task or instance left over.
    async fn assert_outcomes(&self, expected: &[Reservation]) {
        let instances = self.reservations().await;
        let mut by_key: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
        for instance in &instances {
            by_key
                .entry(instance["businessKey"].as_str().expect("a business key"))
                .or_default()
                .push(instance);
        }
        assert_eq!(
            by_key.keys().copied().collect::<BTreeSet<_>>(),
            expected.iter().map(|r| r.key.as_str()).collect(),
            "the reservations Baton knows"
        );
        let lookups = self
            .get("/history/process-instance?processDefinitionKey=ClientCreationProcess")
            .await;
        let lookups = lookups.as_array().expect("a list of instances");
        let mut clients_by_email: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();

        for reservation in expected {
            let key = reservation.key.as_str();
            let found = &by_key[key];
            assert_eq!(found.len(), 1, "{key}: one instance, not {found:?}");
            let instance = found[0];
            let id = instance["id"].as_str().expect("an instance id");
            assert_eq!(instance["state"], "COMPLETED", "{key}: {instance}");

            let activities = self
                .get(&format!(
                    "/history/activity-instance?processInstanceId={id}"
                ))
                .await;
            let mut ran: BTreeMap<&'static str, usize> = reservation
                .activities()
                .keys()
                .map(|activity| (*activity, 0))
                .collect();
            let mut called = Value::Null;
            for activity in activities.as_array().expect("a list of activities") {
                let activity_id = activity["activityId"].as_str().expect("an activity id");
                if activity_id == "CallActivity_FindOrCreateClient" {
                    called = activity["calledProcessInstanceId"].clone();
                }
                if let Some(count) = ran.get_mut(activity_id) {
                    *count += 1;
                    assert!(
                        activity["endTime"].is_string(),
                        "{key}: {activity_id} never ended: {activity}"
                    );
                }
            }
            assert_eq!(ran, reservation.activities(), "{key}: what ran, in history");

            let variables = self.variables(id).await;
            let (status, booking) = self
                .call(
                    reqwest::Method::GET,
                    &format!("{}/bookings/{key}", self.service_url("booking")),
                    None,
                )
                .await;
            let client_lookups: Vec<&Value> =
                lookups.iter().filter(|l| l["businessKey"] == key).collect();
            if reservation.end == REJECTED {
                assert_eq!(status, 404, "{key}: booked although rejected: {booking}");
                assert!(
                    variables["rejectionReason"]
                        .as_str()
                        .is_some_and(|r| r.contains("e-mail")),
                    "{key}: {variables:?}"
                );
                assert!(client_lookups.is_empty(), "{key}: {client_lookups:?}");
                continue;
            }
            // The call activity: one ClientCreationProcess with the business key.
            assert_eq!(client_lookups.len(), 1, "{key}: {client_lookups:?}");
            assert_eq!(client_lookups[0]["superProcessInstanceId"], id, "{key}");
            assert_eq!(
                client_lookups[0]["id"], called,
                "{key}: calledProcessInstanceId"
            );
            assert_eq!(client_lookups[0]["state"], "COMPLETED", "{key}");
            let client = variables["client_id"].as_str().unwrap_or_else(|| {
                panic!("{key}: no client_id in {variables:?}");
            });
            clients_by_email
                .entry(reservation.email())
                .or_default()
                .insert(client.to_owned());
            if reservation.end == NO_ROOM {
                assert_eq!(status, 404, "{key}: booked with no room: {booking}");
                assert_eq!(variables["roomAvailable"], false, "{key}");
                continue;
            }
            assert_eq!(status, 200, "{key}: no booking: {booking}");
            assert_eq!(booking["bookingId"], variables["bookingId"], "{key}");
            assert_eq!(booking["roomNumber"], variables["roomNumber"], "{key}");
            assert_eq!(booking["clientId"], client, "{key}");
            assert_eq!(
                booking["checkIn"], reservation.variables["checkIn"],
                "{key}"
            );
            if reservation.restaurant() {
                assert_eq!(booking["tableNumber"], variables["tableNumber"], "{key}");
                assert!(booking["tableNumber"].is_number(), "{key}: {booking}");
            } else {
                assert_eq!(booking["tableNumber"], Value::Null, "{key}");
            }
        }
        assert_eq!(
            lookups.len(),
            expected.iter().filter(|r| r.end != REJECTED).count(),
            "one client look-up per validated reservation: {lookups:?}"
        );

        // One client per e-mail, whichever reservation created it.
        let clients = self.service("client", "/clients").await;
        let clients = clients.as_array().expect("a list of clients");
        assert_eq!(clients.len(), clients_by_email.len(), "{clients:?}");
        for client in clients {
            let email = client["email"].as_str().expect("an e-mail");
            assert_eq!(
                clients_by_email
                    .get(email)
                    .map(|ids| ids.iter().map(String::as_str).collect::<Vec<_>>()),
                Some(vec![client["clientId"].as_str().expect("a client id")]),
                "the client_id Baton's instances got for {email}"
            );
        }

        // The services hold exactly the confirmed reservations, once each.
        let confirmed: Vec<&str> = expected
            .iter()
            .filter(|r| r.end == CONFIRMED)
            .map(|r| r.key.as_str())
            .collect();
        let mut confirmed_sorted = confirmed.clone();
        confirmed_sorted.sort_unstable();
        let with_table: Vec<&str> = expected
            .iter()
            .filter(|r| r.end == CONFIRMED && r.restaurant())
            .map(|r| r.key.as_str())
            .collect();
        let mut with_table_sorted = with_table.clone();
        with_table_sorted.sort_unstable();
        let ids = |list: Value| -> Vec<String> {
            let mut keys: Vec<String> = list
                .as_array()
                .expect("a list")
                .iter()
                .map(|item| item["reservationId"].as_str().expect("an id").to_owned())
                .filter(|key| !key.starts_with("house-"))
                .collect();
            keys.sort_unstable();
            keys
        };
        assert_eq!(
            ids(self.service("booking", "/bookings").await),
            confirmed_sorted,
            "bookings"
        );
        assert_eq!(
            ids(self.service("room", "/blocks").await),
            confirmed_sorted,
            "room blocks"
        );
        assert_eq!(
            ids(self.service("restaurant", "/reservations").await),
            with_table_sorted,
            "tables"
        );

        // Nothing left over in Baton.
        assert_eq!(self.get("/incident/count").await["count"], 0, "incidents");
        assert_eq!(self.get("/external-task/count").await["count"], 0, "tasks");
        assert_eq!(
            self.get("/process-instance/count").await["count"],
            0,
            "running instances"
        );
    }
}

/// Every call in `calls`, grouped by the external task that made it.
fn by_task(calls: &[Value]) -> BTreeMap<String, Vec<&Value>> {
    let mut grouped: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for call in calls {
        let task = call["requestId"].as_str().expect("a request id").to_owned();
        grouped.entry(task).or_default().push(call);
    }
    grouped
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_between_a_service_call_and_complete_books_each_reservation_once() {
    let mut hotel = Hotel::start().await;
    // A short lock, so the dead worker's tasks come back soon; 300 ms of work
    // after each service call, so the worker can be caught in between.
    let worker = Worker {
        lock_ms: 2_000,
        work_ms: 300,
        ..Worker::OFFICIAL
    };
    hotel.start_worker(worker).await;
    let reservations: Vec<Reservation> = (0..8)
        .map(|n| Reservation::confirmed(&format!("kill-worker-{n}"), n))
        .collect();
    hotel.reserve_all(&reservations).await;

    // Wait for a booking the service has made while Baton still has its task.
    let (task, key) = hotel
        .wait_for(
            "a create-booking call whose task is not completed",
            SETTLE_TIMEOUT,
            || async {
                for call in hotel.calls("booking", "/bookings").await {
                    let task = call["requestId"].as_str().expect("a task id");
                    let (status, _) = hotel
                        .call(
                            reqwest::Method::GET,
                            &format!("/external-task/{task}"),
                            None,
                        )
                        .await;
                    if status == 200 {
                        let key = call["businessKey"].as_str().expect("a business key");
                        return Some((task.to_owned(), key.to_owned()));
                    }
                }
                None
            },
        )
        .await;
    hotel.kill_worker(worker.id).await;
    let before = hotel
        .reservations()
        .await
        .iter()
        .filter(|i| i["state"] == "COMPLETED")
        .count();
    assert!(
        before < reservations.len(),
        "the run ended before the worker was killed"
    );
    let booking = hotel.service("booking", &format!("/bookings/{key}")).await;
    assert_eq!(booking["reservationId"], key.as_str());
    let task_now = hotel.get(&format!("/external-task/{task}")).await;
    assert_eq!(task_now["workerId"], worker.id, "{task_now}");

    hotel.start_worker(worker).await;
    hotel.wait_until_ended(reservations.len()).await;
    hotel.assert_outcomes(&reservations).await;

    // The task the dead worker held came back once its lock ran out: the
    // booking service saw the same task twice and booked once.
    let calls = hotel.calls("booking", "/bookings").await;
    let grouped = by_task(&calls);
    let repeated = &grouped[&task];
    assert_eq!(repeated.len(), 2, "{repeated:?}");
    assert!(repeated.iter().all(|c| c["businessKey"] == key.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_room_service_down_means_retries_then_an_incident_that_new_retries_resolve() {
    let mut hotel = Hotel::start().await;
    let worker = Worker {
        retries: 3,
        retry_timeout_ms: 1_500,
        ..Worker::OFFICIAL
    };
    hotel.start_worker(worker).await;
    hotel.kill_service("room").await;

    // Down for a while: the task fails, waits out its retry timeout, and
    // succeeds once the service is back.
    let first = Reservation::confirmed("room-down-1", 1);
    let instance = hotel.reserve(&first).await;
    let task = hotel
        .wait_for(
            "check-room-availability to fail",
            SETTLE_TIMEOUT,
            || async {
                let tasks = hotel
                    .get(&format!("/external-task?processInstanceId={instance}"))
                    .await;
                tasks
                    .as_array()
                    .expect("a list of tasks")
                    .iter()
                    .find(|t| t["activityId"] == "Task_CheckRoomAvailability" && t["retries"] == 3)
                    .cloned()
            },
        )
        .await;
    let task_id = task["id"].as_str().expect("a task id").to_owned();
    assert_eq!(task["errorMessage"], "room service unavailable", "{task}");
    let (status, details) = hotel
        .call(
            reqwest::Method::GET,
            &format!("/external-task/{task_id}/errorDetails"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{details}");
    assert!(
        details
            .as_str()
            .is_some_and(|d| d.contains("/availability")),
        "{details}"
    );
    // Within its retry timeout the task is nobody's to fetch.
    let (status, fetched) = hotel
        .call(
            reqwest::Method::POST,
            "/external-task/fetchAndLock",
            Some(&json!({"workerId": "probe", "maxTasks": 10,
                         "topics": [{"topicName": "check-room-availability", "lockDuration": 1000}]})),
        )
        .await;
    assert_eq!(
        (status, &fetched),
        (200, &json!([])),
        "fetched during the retry timeout"
    );
    assert_eq!(
        hotel
            .get(&format!("/incident?processInstanceId={instance}"))
            .await,
        json!([])
    );
    hotel.start_service("room").await;
    hotel.wait_until_ended(1).await;
    let checks = hotel.calls("room", "/availability").await;
    assert_eq!(by_task(&checks)[&task_id].len(), 1, "{checks:?}");

    // Down for longer: the retries run out, and an incident waits for us.
    hotel.kill_service("room").await;
    let second = Reservation::confirmed("room-down-2", 2);
    let instance = hotel.reserve(&second).await;
    let incident = hotel
        .wait_for("an incident", SETTLE_TIMEOUT, || async {
            let incidents = hotel
                .get(&format!("/incident?processInstanceId={instance}"))
                .await;
            incidents.as_array().and_then(|list| list.first().cloned())
        })
        .await;
    assert_eq!(incident["incidentType"], "failedExternalTask", "{incident}");
    assert_eq!(
        incident["activityId"], "Task_CheckRoomAvailability",
        "{incident}"
    );
    assert_eq!(
        incident["incidentMessage"], "room service unavailable",
        "{incident}"
    );
    let task_id = incident["configuration"]
        .as_str()
        .expect("the external task's id")
        .to_owned();
    let task = hotel.get(&format!("/external-task/{task_id}")).await;
    assert_eq!(task["retries"], 0, "{task}");

    // The service is back, but a task without retries stays where it is.
    hotel.start_service("room").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let history = hotel
        .get(&format!("/history/process-instance/{instance}"))
        .await;
    assert_eq!(history["state"], "ACTIVE", "{history}");
    assert_eq!(hotel.get("/incident/count").await["count"], 1);
    let checks = hotel.calls("room", "/availability").await;
    assert!(!by_task(&checks).contains_key(&task_id), "{checks:?}");

    // New retries: the incident is resolved and the reservation goes on.
    let (status, body) = hotel
        .call(
            reqwest::Method::PUT,
            &format!("/external-task/{task_id}/retries"),
            Some(&json!({"retries": 2})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    hotel.wait_until_ended(2).await;
    let checks = hotel.calls("room", "/availability").await;
    assert_eq!(by_task(&checks)[&task_id].len(), 1, "{checks:?}");
    hotel.assert_outcomes(&[first, second]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baton_killed_mid_run_and_restarted_on_its_database_finishes_every_reservation_once() {
    let mut hotel = Hotel::start().await;
    let worker = Worker {
        lock_ms: 3_000,
        work_ms: 100,
        ..Worker::OFFICIAL
    };
    hotel.start_worker(worker).await;
    let mut reservations: Vec<Reservation> = (0..10)
        .map(|n| Reservation::confirmed(&format!("kill-baton-{n}"), n))
        .collect();
    reservations.push(Reservation::no_room("kill-baton-no-room", 10));
    reservations.push(Reservation::invalid("kill-baton-invalid", 11));
    hotel.reserve_all(&reservations).await;

    hotel
        .wait_for("three bookings", SETTLE_TIMEOUT, || async {
            let bookings = hotel.service("booking", "/bookings").await;
            (bookings.as_array().map_or(0, Vec::len) >= 3).then_some(())
        })
        .await;
    let completed: BTreeMap<String, Value> = hotel
        .reservations()
        .await
        .into_iter()
        .filter(|i| i["state"] == "COMPLETED")
        .map(|i| (i["id"].as_str().expect("an id").to_owned(), i))
        .collect();
    hotel.kill_baton().await;
    assert!(
        completed.len() < reservations.len(),
        "the run ended before Baton was killed"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    hotel.start_baton().await;

    // Restarting with the same models deploys nothing new.
    assert_eq!(
        hotel.get("/process-definition/count").await["count"],
        2,
        "definitions after the restart"
    );
    // What Baton had acknowledged as completed stayed completed.
    for (id, before) in &completed {
        let after = hotel.get(&format!("/history/process-instance/{id}")).await;
        assert_eq!(after["state"], "COMPLETED", "{after}");
        assert_eq!(after["endTime"], before["endTime"], "{after}");
    }
    hotel.wait_until_ended(reservations.len()).await;
    hotel.assert_outcomes(&reservations).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_side_by_side_never_do_a_task_twice() {
    let mut hotel = Hotel::start().await;
    // Long locks: no task may come back to anyone; a little work, so both
    // workers get their share.
    let official = Worker {
        lock_ms: 60_000,
        work_ms: 20,
        ..Worker::OFFICIAL
    };
    let polling = Worker {
        lock_ms: 60_000,
        work_ms: 20,
        ..Worker::POLLING
    };
    hotel.start_worker(official).await;
    hotel.start_worker(polling).await;
    let mut reservations: Vec<Reservation> = (0..14)
        .map(|n| Reservation::confirmed(&format!("side-by-side-{n}"), n))
        .collect();
    reservations.push(Reservation::no_room("side-by-side-no-room-1", 14));
    reservations.push(Reservation::no_room("side-by-side-no-room-2", 15));
    reservations.push(Reservation::invalid("side-by-side-invalid-1", 16));
    reservations.push(Reservation::invalid("side-by-side-invalid-2", 17));
    hotel.reserve_all(&reservations).await;
    hotel.wait_until_ended(reservations.len()).await;
    hotel.assert_outcomes(&reservations).await;

    // Every task reached its service once; the calls per route are exactly
    // the tasks the instances ran.
    let validated = reservations.iter().filter(|r| r.end != REJECTED).count();
    let confirmed = reservations.iter().filter(|r| r.end == CONFIRMED).count();
    let tables = reservations
        .iter()
        .filter(|r| r.end == CONFIRMED && r.restaurant())
        .count();
    let mut callers = BTreeSet::new();
    for (service, route, expected) in [
        ("client", "/clients", None),
        ("room", "/availability", Some(validated)),
        ("room", "/blocks", Some(confirmed)),
        ("restaurant", "/reservations", Some(tables)),
        ("booking", "/bookings", Some(confirmed)),
    ] {
        let calls = hotel.calls(service, route).await;
        let grouped = by_task(&calls);
        for (task, calls) in &grouped {
            assert_eq!(
                calls.len(),
                1,
                "{service} {route}: task {task} twice: {calls:?}"
            );
        }
        if let Some(expected) = expected {
            assert_eq!(grouped.len(), expected, "{service} {route}: {calls:?}");
        }
        callers.extend(
            calls
                .iter()
                .map(|c| c["caller"].as_str().expect("a caller").to_owned()),
        );
    }
    // search-client for each validated reservation, create-client for some.
    let client_calls = hotel.calls("client", "/clients").await;
    let searches = client_calls.iter().filter(|c| c["method"] == "GET").count();
    assert_eq!(searches, validated, "{client_calls:?}");
    assert_eq!(
        callers,
        BTreeSet::from([official.id.to_owned(), polling.id.to_owned()]),
        "both workers worked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_client_makes_five_reservations_that_end_as_documented() {
    let mut hotel = Hotel::start().await;
    hotel.start_worker(Worker::OFFICIAL).await;
    let output = tokio::time::timeout(
        Duration::from_secs(90),
        Command::new(python())
            .arg(example().join("client.py"))
            .args(["--baton", &hotel.url, "--prefix", "demo", "--timeout", "60"])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("client.py finishes")
    .expect("client.py runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "client.py failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    for line in [
        "demo-1: Reservation confirmed: booking B-",
        "demo-2: Reservation confirmed: booking B-",
        "demo-3: Reservation rejected: email 'alan.example.com' is not an e-mail address",
        "demo-4: No room available",
        "demo-5: Reservation confirmed: booking B-",
        "(returning client)",
    ] {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}");
    }

    let reservation = |n: u32, end, email: &str, restaurant: bool| Reservation {
        key: format!("demo-{n}"),
        variables: json!({"email": email, "restaurant": restaurant, "checkIn": Value::Null}),
        end,
    };
    let mut expected = vec![
        reservation(1, CONFIRMED, "ada@example.com", true),
        reservation(2, CONFIRMED, "grace@example.com", false),
        reservation(3, REJECTED, "alan.example.com", false),
        reservation(4, NO_ROOM, "katherine@example.com", true),
        reservation(5, CONFIRMED, "ada@example.com", true),
    ];
    // The check-in dates, as the client sent them.
    for (n, check_in) in [(1, "2026-10-01"), (2, "2026-10-02"), (5, "2026-11-10")] {
        expected[n - 1].variables["checkIn"] = json!(check_in);
    }
    hotel.assert_outcomes(&expected).await;

    // Ada came back: the second time the client service found her.
    let instances = hotel.reservations().await;
    let instance = |key: &str| {
        instances
            .iter()
            .find(|i| i["businessKey"] == key)
            .and_then(|i| i["id"].as_str())
            .expect("the instance")
            .to_owned()
    };
    let first = hotel.variables(&instance("demo-1")).await;
    let again = hotel.variables(&instance("demo-5")).await;
    assert_eq!(first["returningClient"], false, "{first:?}");
    assert_eq!(again["returningClient"], true, "{again:?}");
    assert_eq!(first["client_id"], again["client_id"]);
    assert_eq!(
        hotel
            .calls("client", "/clients")
            .await
            .iter()
            .filter(|c| c["method"] == "POST")
            .count(),
        3
    );
}
