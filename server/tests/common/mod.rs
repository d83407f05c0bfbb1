//! A Baton server on loopback over a real database file, and helpers to talk to
//! it as Camunda's clients do.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::time::Duration;

use baton_engine::{Config, Engine};
use baton_server::Options;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server; dropping it stops it.
pub struct Server {
    /// `http://127.0.0.1:PORT/engine-rest`.
    pub url: String,
    /// The address it listens on, for raw connections.
    pub addr: std::net::SocketAddr,
    /// A client with no default headers.
    pub http: Client,
    /// The engine behind it, for what the API cannot do yet.
    pub engine: Engine,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

/// Starts a server with default options.
pub async fn server() -> Server {
    server_with(Options::default()).await
}

/// Starts a server whose engine runs on a manual clock (standing at 2026-01-01),
/// which `POST /baton/clock` moves.
pub async fn server_manual() -> Server {
    let clock = std::sync::Arc::new(baton_engine::ManualClock::new(1_767_225_600_000));
    server_with(Options {
        manual_clock: Some(clock),
        ..Options::default()
    })
    .await
}

/// Starts a server with `options` on a fresh database file.
pub async fn server_with(options: Options) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::file(dir.path().join("baton.db"));
    if let Some(clock) = &options.manual_clock {
        config = config.clock(clock.clone());
    }
    let engine = Engine::open(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let base = options.base_path.clone();
    let handle = tokio::spawn(baton_server::serve(
        listener,
        engine.clone(),
        options,
        async move {
            stopped.await.ok();
        },
    ));
    Server {
        url: format!("http://{addr}{base}"),
        addr,
        engine,
        http: Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        stop: Some(stop),
        handle: Some(handle),
        _dir: dir,
    }
}

impl Server {
    /// Shuts down gracefully and waits until it has.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap().unwrap();
        }
    }

    /// `GET path`, answered as JSON with its status.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        read(
            self.http
                .get(format!("{}{path}", self.url))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        read(
            self.http
                .post(format!("{}{path}", self.url))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `PUT path` with a JSON body.
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        read(
            self.http
                .put(format!("{}{path}", self.url))
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        read(
            self.http
                .delete(format!("{}{path}", self.url))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Deploys `files` as Camunda Modeler does, returning the answer.
    pub async fn deploy(&self, name: &str, files: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut form = reqwest::multipart::Form::new()
            .text("deployment-name", name.to_owned())
            .text("deployment-source", "Camunda Modeler")
            .text("enable-duplicate-filtering", "true");
        for (file, xml) in files {
            let part = reqwest::multipart::Part::bytes(xml.as_bytes().to_vec())
                .file_name((*file).to_owned())
                .mime_str("text/xml")
                .unwrap();
            form = form.part((*file).to_owned(), part);
        }
        read(
            self.http
                .post(format!("{}/deployment/create", self.url))
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Deploys one model and returns its definition id.
    pub async fn deploy_model(&self, key: &str, xml: &str) -> String {
        let (status, body) = self.deploy(key, &[(&format!("{key}.bpmn"), xml)]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let defs = body["deployedProcessDefinitions"].as_object().unwrap();
        defs.keys().next().unwrap().clone()
    }

    /// Starts an instance of `key` with `variables`, returning its id.
    pub async fn start(&self, key: &str, variables: Value) -> String {
        let (status, body) = self
            .post(
                &format!("/process-definition/key/{key}/start"),
                json!({ "variables": variables }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Moves the manual clock by `offset` (an ISO 8601 duration), firing due timers.
    pub async fn advance(&self, offset: &str) -> Value {
        let (status, body) = self.post("/baton/clock", json!({ "offset": offset })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The state of an instance in history.
    pub async fn state(&self, instance: &str) -> String {
        let (_, h) = self
            .get(&format!("/history/process-instance/{instance}"))
            .await;
        h["state"].as_str().unwrap_or("missing").to_owned()
    }

    /// The ids of the activities an instance passed through (ended), in order.
    pub async fn passed(&self, instance: &str) -> Vec<String> {
        let (_, acts) = self
            .get(&format!(
                "/history/activity-instance?processInstanceId={instance}&finished=true"
            ))
            .await;
        acts.as_array()
            .unwrap()
            .iter()
            .map(|a| a["activityId"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Fetches and locks up to 10 tasks of `topic` for `worker`.
    pub async fn fetch(&self, worker: &str, topic: &str) -> Vec<Value> {
        let (status, body) = self
            .post(
                "/external-task/fetchAndLock",
                json!({"workerId": worker, "maxTasks": 10,
                       "topics": [{"topicName": topic, "lockDuration": 60000}]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array().unwrap().clone()
    }
}

/// A bare TCP connection to a server, to send exactly the bytes a test needs
/// (half a request, say) and to see when the server closes it.
pub struct Raw {
    stream: tokio::net::TcpStream,
    /// Bytes received and not yet consumed.
    buf: Vec<u8>,
}

/// One response read from a [`Raw`] connection.
#[derive(Debug)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// The header lines, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body, by `Content-Length`.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

impl Raw {
    /// Opens a connection to `addr`.
    pub async fn connect(addr: std::net::SocketAddr) -> Raw {
        Raw {
            stream: tokio::net::TcpStream::connect(addr).await.unwrap(),
            buf: Vec::new(),
        }
    }

    /// Sends `bytes` as they are.
    pub async fn send(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Reads more bytes; false once the server closed the connection (or reset it).
    async fn fill(&mut self) -> bool {
        use tokio::io::AsyncReadExt;
        let mut chunk = [0u8; 4096];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// Reads one response, or `None` if the connection closes before a whole one
    /// arrived. Panics if nothing happens within 10 s.
    pub async fn response(&mut self) -> Option<RawResponse> {
        tokio::time::timeout(Duration::from_secs(10), self.read_response())
            .await
            .expect("a response or a close within 10 s")
    }

    async fn read_response(&mut self) -> Option<RawResponse> {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            if !self.fill().await {
                return None;
            }
        };
        let head = String::from_utf8(self.buf[..head_end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map_or(0, |(_, v)| v.parse().unwrap());
        while self.buf.len() < head_end + 4 + length {
            if !self.fill().await {
                return None;
            }
        }
        let body = self.buf[head_end + 4..head_end + 4 + length].to_vec();
        self.buf.drain(..head_end + 4 + length);
        Some(RawResponse {
            status,
            headers,
            body,
        })
    }

    /// Waits until the server closes the connection, discarding anything it sends
    /// first; panics if it is still open after `limit`. Returns how long it took.
    pub async fn closed_within(&mut self, limit: Duration) -> Duration {
        let began = std::time::Instant::now();
        tokio::time::timeout(limit, async { while self.fill().await {} })
            .await
            .unwrap_or_else(|_| panic!("the server kept the connection open for {limit:?}"));
        began.elapsed()
    }
}

/// A response's status and JSON body (`null` when empty), after checking that any
/// body is exactly `application/json`.
pub async fn read(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.bytes().await.unwrap();
    if bytes.is_empty() {
        return (status, Value::Null);
    }
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "a JSON body must be exactly application/json"
    );
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// A model: start -> external task(s) of `topics` in sequence -> end.
pub fn tasks_model(key: &str, topics: &[&str]) -> String {
    let mut body = String::from(r#"<bpmn:startEvent id="start" />"#);
    let mut prev = "start".to_owned();
    for (i, topic) in topics.iter().enumerate() {
        let id = format!("task{i}");
        body.push_str(&format!(
            r#"<bpmn:serviceTask id="{id}" name="Task {i}" camunda:type="external" camunda:topic="{topic}"><bpmn:extensionElements><camunda:properties><camunda:property name="team" value="ops" /></camunda:properties></bpmn:extensionElements></bpmn:serviceTask><bpmn:sequenceFlow id="f{i}" sourceRef="{prev}" targetRef="{id}" />"#
        ));
        prev = id;
    }
    body.push_str(&format!(
        r#"<bpmn:endEvent id="end" /><bpmn:sequenceFlow id="fend" sourceRef="{prev}" targetRef="end" />"#
    ));
    model(key, &body)
}

/// A model with `body` as the process's content.
pub fn model(key: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="Process {key}" isExecutable="true">{body}</bpmn:process>
</bpmn:definitions>"#
    )
}

/// Whether `text` is a date as Camunda writes it: milliseconds and a `+hhmm` offset.
pub fn is_camunda_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 28
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && (b[23] == b'+' || b[23] == b'-')
        && b[24..].iter().all(u8::is_ascii_digit)
}

// Reading the router's registrations from `server/src/routes/*.rs`, for the tests
// that walk every endpoint (auth.rs, ops.rs).

/// The string literals of the file's `for base in [..]` array.
pub fn base_loop(text: &str) -> Vec<String> {
    let Some(at) = text.find("for base in [") else {
        return Vec::new();
    };
    let list = &text[at + "for base in [".len()..];
    let list = &list[..list.find(']').unwrap()];
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Where the parenthesis opened just before `text` closes.
pub fn closing_paren(text: &str) -> Option<usize> {
    let mut depth = 1;
    let mut in_string = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The first string literal of `text`, and what follows it.
pub fn first_string(text: &str) -> Option<(&str, &str)> {
    let open = text.find('"')?;
    let close = open + 1 + text[open + 1..].find('"')?;
    Some((&text[open + 1..close], &text[close + 1..]))
}
