//! The Camunda 7 compatible REST API over the Baton engine.
//!
//! [`serve`] answers `/engine-rest` (or another base path) with Camunda's paths,
//! JSON shapes, date format, status codes and error bodies, so workers and tools
//! written for Camunda run unchanged. The crate holds no business logic: each
//! handler reads a request into an engine call and the answer (or error) back
//! into Camunda's shape.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use baton_engine::{Config, Engine};
//! let engine = Engine::open(Config::file("baton.db")).expect("open");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! // Serve until the future completes (here: never).
//! let stop = std::future::pending::<()>();
//! baton_server::serve(listener, engine, baton_server::Options::default(), stop).await
//! # }
//! ```

mod auth;
mod conn;
mod console;
mod dto;
mod error;
mod guard;
mod json;
mod lenient;
mod metrics;
mod params;
mod root;
mod routes;
mod task_dto;
mod vars;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body as HttpBody;
use axum::extract::Request;
use axum::http::Uri;
use baton_engine::Engine;
use tokio::sync::{Semaphore, watch};

pub use auth::{Auth, Oidc, OidcConfig, OidcError};
pub use baton_engine as engine;

/// How the server answers.
///
/// The bounds on connections (`header_timeout`, `idle_timeout`, `body_timeout`,
/// `max_connections`) are about the client sending, never about the server's
/// answer taking time: a long poll waits its whole `asyncResponseTimeout`. They
/// apply to [`serve`]; an application serving [`router`] itself brings its own.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the API lives: `/engine-rest` by default.
    pub base_path: String,
    /// The largest request body accepted, in bytes (larger ones get a 413).
    pub max_body_bytes: usize,
    /// How many `fetchAndLock` long polls may wait at once (Camunda allows 200);
    /// the next one is refused.
    pub max_parked_polls: usize,
    /// The engine's clock, when it is a manual one: `POST /baton/clock` moves it.
    pub manual_clock: Option<Arc<baton_engine::ManualClock>>,
    /// How long a client has to send a request's whole head (request line and
    /// headers), counted from the accept on a new connection and from the first
    /// byte on a kept-alive one; then the connection is closed. 20 s by default,
    /// the value of Tomcat's shipped `connectionTimeout` (what Camunda ran
    /// behind): a real client sends its head in one or two segments, and a
    /// thousand silent sockets are recycled within the minute. `None`: no bound.
    pub header_timeout: Option<Duration>,
    /// How long a kept-alive connection may wait for its next request before it
    /// is closed. 120 s by default: longer than the idle timeouts of common
    /// client connection pools (Node's 4 s, .NET's 60 s, Go's 90 s), so that the
    /// client, not the server, usually closes first and no request races a
    /// close; idle connections cost no file descriptors that are needed, since at
    /// [`Options::max_connections`] they are closed to make room. `None`: no bound.
    pub idle_timeout: Option<Duration>,
    /// How long a request body may go without a byte arriving while its handler
    /// waits for more; then the request is answered 408 and the connection
    /// closed. The bound is on each pause, not on the whole body (as nginx's
    /// `client_body_timeout` and Tomcat's), so a large deployment on a slow
    /// link still arrives. 30 s by default: clients send the body right after the
    /// head, and 30 s of silence means the sender is gone. `None`: no bound.
    pub body_timeout: Option<Duration>,
    /// The most connections served at once; [`serve`] also keeps it 64 below the
    /// process's open-files limit, for the database and the runtime. At the cap,
    /// the connection idle or stuck in a head the longest is closed to make room
    /// for a new one; when every connection is in the middle of a request, new
    /// ones wait in the kernel's listen queue until one ends. 10,000 by default,
    /// which bounds the memory connections hold (tens of kilobytes each).
    pub max_connections: usize,
    /// How requests prove who they come from: [`Auth::None`] by default. With
    /// any other setting, every request under the base path except
    /// `GET {base}/engine` must authenticate, or is answered 401; an
    /// authenticated request carries an `Arc<baton_engine::Principal>` in its
    /// extensions.
    pub auth: Auth,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            base_path: "/engine-rest".into(),
            max_body_bytes: 16 * 1024 * 1024,
            max_parked_polls: 200,
            manual_clock: None,
            header_timeout: Some(Duration::from_secs(20)),
            idle_timeout: Some(Duration::from_secs(120)),
            body_timeout: Some(Duration::from_secs(30)),
            max_connections: 10_000,
            auth: Auth::None,
        }
    }
}

/// Raises this process's soft limit on open files to its hard limit, as
/// servers commonly do at start, and returns the soft limit now in force
/// (`None` when unlimited or unknown). [`serve`] never changes the process's
/// limits itself; `baton serve` calls this first.
pub fn raise_open_files_limit() -> Option<u64> {
    conn::raise_open_files_limit()
}

/// What every handler shares, behind one `Arc`: axum clones the state for each
/// request.
pub(crate) type AppState = Arc<Api>;

/// The server's shared state.
pub(crate) struct Api {
    pub(crate) engine: Engine,
    /// Permits for waiting long polls.
    pub(crate) polls: Arc<Semaphore>,
    /// How many permits `polls` started with.
    pub(crate) max_parked_polls: usize,
    /// HTTP requests by route, method and status class.
    pub(crate) http: metrics::Http,
    /// Turns true when the server shuts down: waiting long polls answer at once.
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) base_path: Arc<str>,
    /// The manual clock `POST /baton/clock` moves, if the engine has one.
    pub(crate) manual_clock: Option<Arc<baton_engine::ManualClock>>,
    /// How requests are authenticated.
    pub(crate) auth: auth::Authenticator,
}

/// The API as a router, for embedding in an application's own axum server.
/// `shutdown` answers waiting long polls when it turns true.
pub fn router(engine: Engine, options: &Options, shutdown: watch::Receiver<bool>) -> axum::Router {
    let base_path = options.base_path.trim_end_matches('/');
    let state = Arc::new(Api {
        engine,
        polls: Arc::new(Semaphore::new(options.max_parked_polls)),
        max_parked_polls: options.max_parked_polls,
        http: metrics::Http::new(routes::templates(base_path)),
        shutdown,
        base_path: base_path.into(),
        manual_clock: options.manual_clock.clone(),
        auth: auth::Authenticator::new(&options.auth),
    });
    routes::router(state, options)
}

/// Serves the API on `listener` until `signal` completes, then shuts down
/// gracefully: waiting long polls answer `[]`, requests in flight finish, idle
/// connections close, and the call returns once every connection is closed.
///
/// Connections are served over HTTP/1.1 with the bounds and the cap of
/// [`Options`]. An error accepting a connection (such as running out of file
/// descriptors) is logged, and accepting resumes after a pause that grows from
/// 50 ms to 1 s while the errors go on.
///
/// # Errors
///
/// None today: the `Result` is kept for errors a future listener may report.
pub async fn serve(
    listener: tokio::net::TcpListener,
    engine: Engine,
    options: Options,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let app = conn::App {
        router: router(engine, &options, stopped),
        base: options.base_path.trim_end_matches('/').into(),
    };
    let (cap, files) = conn::connection_cap(options.max_connections);
    tracing::info!(
        max_connections = cap,
        open_files_limit = files,
        "serving at most {cap} connections at once"
    );
    let bounds = conn::Bounds {
        header: options.header_timeout,
        idle: options.idle_timeout,
        body: options.body_timeout,
    };
    conn::serve(
        listener,
        app,
        bounds,
        conn::Registry::new(cap),
        stop,
        signal,
    )
    .await;
    Ok(())
}

/// Rewrites the request path: `{base}/engine/default/…` becomes `{base}/…`
/// (Camunda's alias for the default engine), and the empty segments a client's
/// base URL ending in `/` leaves (before, inside and right after the base path,
/// around the alias) and a trailing `/` go. An empty segment further in stays:
/// it stands where an id belongs (`/external-task//complete`), and the router
/// answers it with a 404 naming that id. A path outside the base path loses every
/// empty segment (it answers 404 either way).
pub(crate) fn normalise(mut req: Request<HttpBody>, base: &str) -> Request<HttpBody> {
    let uri = req.uri();
    let path = uri.path();
    let clean = clean_path(path, base);
    if clean != path {
        let with_query = match uri.query() {
            Some(q) => format!("{clean}?{q}"),
            None => clean,
        };
        let mut parts = uri.clone().into_parts();
        if let Ok(pq) = with_query.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req
}

/// The path [`normalise`] makes of `path`.
fn clean_path(path: &str, base: &str) -> String {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let skip_empty = |mut i: usize| {
        while segments.get(i).is_some_and(|s| s.is_empty()) {
            i += 1;
        }
        i
    };
    let mut at = 0;
    for wanted in base.split('/').filter(|s| !s.is_empty()) {
        at = skip_empty(at);
        if segments.get(at) != Some(&wanted) {
            let mut all = String::new();
            for segment in segments.iter().filter(|s| !s.is_empty()) {
                all.push('/');
                all.push_str(segment);
            }
            return if all.is_empty() { "/".to_owned() } else { all };
        }
        at += 1;
    }
    at = skip_empty(at);
    // The alias `/engine/default`, with any empty segments around it.
    if segments.get(at) == Some(&"engine") {
        let next = skip_empty(at + 1);
        if segments.get(next) == Some(&"default") {
            at = skip_empty(next + 1);
        }
    }
    let mut rest = &segments[at.min(segments.len())..];
    while let Some((_, before)) = rest.split_last().filter(|(last, _)| last.is_empty()) {
        rest = before;
    }
    let mut clean = base.trim_end_matches('/').to_owned();
    for segment in rest {
        clean.push('/');
        clean.push_str(segment);
    }
    if clean.is_empty() {
        clean.push('/');
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> String {
        let req = Request::builder()
            .uri(p)
            .body(HttpBody::empty())
            .expect("a request");
        normalise(req, "/engine-rest").uri().to_string()
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(
            path("/engine-rest//external-task"),
            "/engine-rest/external-task"
        );
        assert_eq!(
            path("//engine-rest///external-task/fetchAndLock/?x=1"),
            "/engine-rest/external-task/fetchAndLock?x=1"
        );
        assert_eq!(
            path("/engine-rest//engine//default//version"),
            "/engine-rest/version"
        );
        assert_eq!(
            path("/engine-rest/external-task//complete"),
            "/engine-rest/external-task//complete",
            "an empty segment where an id belongs stays"
        );
        assert_eq!(path("/other//x/"), "/other/x");
        assert_eq!(path("/engine-rest/"), "/engine-rest");
        assert_eq!(path("/engine-rest/engine/default/"), "/engine-rest");
        assert_eq!(path("/engine-rest/version/"), "/engine-rest/version");
        assert_eq!(
            path("/engine-rest/engine/default/process-definition?key=a"),
            "/engine-rest/process-definition?key=a"
        );
        assert_eq!(path("/engine-rest/engine"), "/engine-rest/engine");
        assert_eq!(
            path("/engine-rest/engine/defaults"),
            "/engine-rest/engine/defaults"
        );
        assert_eq!(path("/"), "/");
    }
}
