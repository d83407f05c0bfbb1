//! Metrics in the Prometheus text format (`GET /metrics`).
//!
//! Nothing here is counted twice: the engine counts what committed
//! ([`baton_engine::Engine::activity`], atomics the writer adds to after each
//! commit) and the sizes and times of its group commits
//! ([`baton_engine::Engine::commits`]); the server counts HTTP requests, in a
//! table of atomics made once at start, one cell per route template, method and
//! status class ([`Http`]). A scrape reads all of them, asks the database for the
//! two gauges that live there (jobs due, incidents open), and encodes the lot with
//! `prometheus-client`. No label carries an id: routes are the router's templates
//! (`/engine-rest/process-instance/{id}`), never the requested path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use baton_engine::{Activity, Commits, Histogram};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::AppState;

/// The `Content-Type` of a scrape: the Prometheus text format, version 0.0.4.
pub(crate) const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The methods counted apart; any other is counted as `OTHER`.
const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER",
];

/// Status classes.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// The route label of a request no route matched (an unknown path).
const UNMATCHED: &str = "unmatched";

/// HTTP requests by route template, method and status class: a fixed table of
/// atomic counters, so counting a request takes no lock.
#[derive(Debug)]
pub(crate) struct Http {
    /// Route template to its row.
    rows: HashMap<String, usize>,
    /// Row to route template; the last row is [`UNMATCHED`].
    names: Vec<String>,
    cells: Box<[AtomicU64]>,
}

impl Http {
    /// A table for these route templates (as the router matches them, the base
    /// path included).
    pub(crate) fn new(templates: impl IntoIterator<Item = String>) -> Http {
        let mut names: Vec<String> = Vec::new();
        let mut rows = HashMap::new();
        for t in templates {
            if !rows.contains_key(&t) {
                rows.insert(t.clone(), names.len());
                names.push(t);
            }
        }
        names.push(UNMATCHED.to_owned());
        let cells = (0..names.len() * METHODS.len() * CLASSES.len())
            .map(|_| AtomicU64::new(0))
            .collect();
        Http { rows, names, cells }
    }

    /// Counts one answered request.
    fn add(&self, route: Option<&str>, method: &Method, status: StatusCode) {
        let row = route
            .and_then(|r| self.rows.get(r).copied())
            .unwrap_or(self.names.len() - 1);
        let method = METHODS
            .iter()
            .position(|m| *m == method.as_str())
            .unwrap_or(METHODS.len() - 1);
        let class = usize::from(status.as_u16() / 100)
            .clamp(1, CLASSES.len())
            .saturating_sub(1);
        let cell = (row * METHODS.len() + method) * CLASSES.len() + class;
        if let Some(c) = self.cells.get(cell) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Every cell that counted something: route, method, status class, count.
    fn read(&self) -> Vec<(String, &'static str, &'static str, u64)> {
        let mut out = Vec::new();
        for (i, cell) in self.cells.iter().enumerate() {
            let n = cell.load(Ordering::Relaxed);
            if n == 0 {
                continue;
            }
            let class = i % CLASSES.len();
            let method = (i / CLASSES.len()) % METHODS.len();
            let row = i / (CLASSES.len() * METHODS.len());
            out.push((self.names[row].clone(), METHODS[method], CLASSES[class], n));
        }
        out
    }
}

/// The middleware that counts every request by its route template.
pub(crate) async fn count(State(s): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let response = next.run(request).await;
    s.http.add(
        route.as_ref().map(MatchedPath::as_str),
        &method,
        response.status(),
    );
    response
}

/// What the database says at a scrape; `None` when it could not be read (the
/// engine stopped), and the gauges are then left out.
#[derive(Debug, Default)]
pub(crate) struct Stored {
    /// Jobs due now, with retries left and not suspended.
    pub(crate) jobs_due: u64,
    /// Open incidents by type.
    pub(crate) incidents_open: Vec<(String, u64)>,
}

/// One scrape's reading of every metric.
#[derive(Debug)]
struct Reading {
    activity: Activity,
    commits: Commits,
    parked_polls: u64,
    stored: Option<Stored>,
    http: Vec<(String, &'static str, &'static str, u64)>,
}

/// The engine's counters: name, help, count.
fn counters(a: &Activity) -> [(&'static str, &'static str, u64); 11] {
    [
        (
            "baton_process_instances_started",
            "Process instances started, called ones included.",
            a.instances_started,
        ),
        (
            "baton_process_instances_ended",
            "Process instances that ended: completed, or cancelled from outside or inside.",
            a.instances_ended,
        ),
        (
            "baton_activity_instances_started",
            "Activity instances started (every flow node entered).",
            a.activities_started,
        ),
        (
            "baton_activity_instances_ended",
            "Activity instances that ended, completed or cancelled.",
            a.activities_ended,
        ),
        (
            "baton_external_tasks_fetched",
            "External tasks locked by fetchAndLock.",
            a.tasks_fetched,
        ),
        (
            "baton_external_tasks_completed",
            "External tasks completed by workers.",
            a.tasks_completed,
        ),
        (
            "baton_external_tasks_failed",
            "External task failures reported by workers.",
            a.tasks_failed,
        ),
        (
            "baton_external_task_bpmn_errors",
            "BPMN errors thrown by external task workers.",
            a.bpmn_errors,
        ),
        (
            "baton_jobs_fired",
            "Jobs (timers) that fired and whose step succeeded.",
            a.jobs_fired,
        ),
        (
            "baton_jobs_failed",
            "Job runs whose step failed, each costing a retry.",
            a.jobs_failed,
        ),
        ("baton_incidents_raised", "Incidents raised.", a.incidents),
    ]
}

fn histogram(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    h: &Histogram,
) -> Result<(), std::fmt::Error> {
    encoder
        .encode_descriptor(name, help, None, MetricType::Histogram)?
        .encode_histogram::<NoLabelSet>(h.sum, h.count, &h.buckets, None)
}

impl Collector for Reading {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (name, help, n) in counters(&self.activity) {
            encoder
                .encode_descriptor(name, help, None, MetricType::Counter)?
                .encode_counter::<NoLabelSet, _, u64>(&n, None)?;
        }
        encoder
            .encode_descriptor(
                "baton_long_polls_parked",
                "fetchAndLock long polls waiting for tasks now.",
                None,
                MetricType::Gauge,
            )?
            .encode_gauge(&self.parked_polls)?;
        if let Some(stored) = &self.stored {
            encoder
                .encode_descriptor(
                    "baton_jobs_due",
                    "Jobs due now that have retries left and are not suspended.",
                    None,
                    MetricType::Gauge,
                )?
                .encode_gauge(&stored.jobs_due)?;
            let mut open = encoder.encode_descriptor(
                "baton_incidents_open",
                "Open incidents, by type.",
                None,
                MetricType::Gauge,
            )?;
            for (kind, n) in &stored.incidents_open {
                open.encode_family(&[("type", kind.as_str())])?
                    .encode_gauge(n)?;
            }
        }
        histogram(
            &mut encoder,
            "baton_group_commit_size",
            "Commands per committed group (one transaction, one fsync).",
            &self.commits.size,
        )?;
        histogram(
            &mut encoder,
            "baton_group_commit_seconds",
            "Time from a group's BEGIN to its COMMIT's return.",
            &self.commits.seconds,
        )?;
        let mut http = encoder.encode_descriptor(
            "baton_http_requests",
            "HTTP requests answered, by route template, method and status class.",
            None,
            MetricType::Counter,
        )?;
        for (route, method, class, n) in &self.http {
            http.encode_family(&[
                ("route", route.as_str()),
                ("method", method),
                ("status", class),
            ])?
            .encode_counter::<NoLabelSet, _, u64>(n, None)?;
        }
        Ok(())
    }
}

/// The scrape's text.
pub(crate) async fn render(s: &AppState) -> String {
    let stored = match s.engine.backlog().await {
        Ok(b) => Some(Stored {
            jobs_due: b.jobs_due,
            incidents_open: b.incidents_open,
        }),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the gauges kept in the database");
            None
        }
    };
    let parked = s
        .max_parked_polls
        .saturating_sub(s.polls.available_permits());
    let reading = Reading {
        activity: s.engine.activity(),
        commits: s.engine.commits(),
        parked_polls: u64::try_from(parked).unwrap_or(u64::MAX),
        stored,
        http: s.http.read(),
    };
    let mut registry = Registry::default();
    registry.register_collector(Box::new(reading));
    let mut text = String::new();
    if let Err(e) = prometheus_client::encoding::prometheus_text::encode(&mut text, &registry) {
        tracing::warn!(error = %e, "metrics: cannot encode");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_land_in_their_cells() {
        let http = Http::new(["/a/{id}".to_owned(), "/b".to_owned()]);
        http.add(Some("/a/{id}"), &Method::GET, StatusCode::OK);
        http.add(Some("/a/{id}"), &Method::GET, StatusCode::NO_CONTENT);
        http.add(Some("/a/{id}"), &Method::POST, StatusCode::NOT_FOUND);
        http.add(Some("/nowhere"), &Method::GET, StatusCode::NOT_FOUND);
        http.add(
            None,
            &Method::from_bytes(b"BREW").expect("a method"),
            StatusCode::INTERNAL_SERVER_ERROR,
        );
        let mut read = http.read();
        read.sort();
        assert_eq!(
            read,
            vec![
                ("/a/{id}".to_owned(), "GET", "2xx", 2),
                ("/a/{id}".to_owned(), "POST", "4xx", 1),
                (UNMATCHED.to_owned(), "GET", "4xx", 1),
                (UNMATCHED.to_owned(), "OTHER", "5xx", 1),
            ]
        );
    }
}
