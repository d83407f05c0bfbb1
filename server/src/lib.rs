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

mod dto;
mod error;
mod json;
mod params;
mod routes;
mod vars;

use std::future::Future;
use std::sync::Arc;

use axum::body::Body as HttpBody;
use axum::extract::Request;
use axum::http::Uri;
use axum::serve::ListenerExt;
use baton_engine::Engine;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt as _;

pub use baton_engine as engine;

/// How the server answers.
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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            base_path: "/engine-rest".into(),
            max_body_bytes: 16 * 1024 * 1024,
            max_parked_polls: 200,
            manual_clock: None,
        }
    }
}

/// What every handler shares, behind one `Arc`: axum clones the state for each
/// request.
pub(crate) type AppState = Arc<Api>;

/// The server's shared state.
pub(crate) struct Api {
    pub(crate) engine: Engine,
    /// Permits for waiting long polls.
    pub(crate) polls: Arc<Semaphore>,
    /// Turns true when the server shuts down: waiting long polls answer at once.
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) base_path: Arc<str>,
    /// The manual clock `POST /baton/clock` moves, if the engine has one.
    pub(crate) manual_clock: Option<Arc<baton_engine::ManualClock>>,
}

/// The API as a router, for embedding in an application's own axum server.
/// `shutdown` answers waiting long polls when it turns true.
pub fn router(engine: Engine, options: &Options, shutdown: watch::Receiver<bool>) -> axum::Router {
    let state = Arc::new(Api {
        engine,
        polls: Arc::new(Semaphore::new(options.max_parked_polls)),
        shutdown,
        base_path: options.base_path.trim_end_matches('/').into(),
        manual_clock: options.manual_clock.clone(),
    });
    routes::router(state, options)
}

/// Serves the API on `listener` until `signal` completes, then shuts down
/// gracefully: waiting long polls answer `[]`, requests in flight finish, and
/// the call returns once every connection is closed.
///
/// # Errors
///
/// An I/O error from the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    engine: Engine,
    options: Options,
    signal: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let app = router(engine, &options, stopped);
    let base = options.base_path.trim_end_matches('/').to_owned();
    // Paths are normalised before routing, so the router sees one spelling.
    let service = app.map_request(move |req: Request<HttpBody>| normalise(req, &base));
    // Answers go out at once rather than waiting for the previous segment's ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, tower::make::Shared::new(service))
        .with_graceful_shutdown(async move {
            signal.await;
            tracing::info!("shutting down: answering long polls, finishing requests");
            stop.send_replace(true);
        })
        .await
}

/// Rewrites the request path: doubled slashes become one, a trailing slash goes,
/// and `{base}/engine/default/…` becomes `{base}/…` (Camunda's alias for the
/// default engine).
fn normalise(mut req: Request<HttpBody>, base: &str) -> Request<HttpBody> {
    let uri = req.uri();
    let path = uri.path();
    let mut clean = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        clean.push('/');
        clean.push_str(segment);
    }
    if clean.is_empty() {
        clean.push('/');
    }
    let alias = format!("{base}/engine/default");
    if clean == alias {
        clean = base.to_owned();
    } else if let Some(rest) = clean.strip_prefix(&alias).filter(|r| r.starts_with('/')) {
        clean = format!("{base}{rest}");
    }
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
