//! The routes at the server's root, outside the base path, where scrapers and
//! orchestrators look for them:
//!
//! - `GET /metrics`: every metric in the Prometheus text format
//!   ([`crate::metrics`]). With authentication on it asks for credentials like
//!   the API (the same layer, so the same 401), and the caller needs `READ` on
//!   `System`, as for Camunda's metric sums: the counts are system-wide.
//! - `GET /health`: alive, 200 while the process serves requests; open.
//! - `GET /ready`: ready, 200 while the database answers (it was opened and
//!   migrated before the server started) and the engine has not stopped; 503
//!   once it has (its database file was replaced or deleted), so an orchestrator
//!   takes the instance out of service. Open: probes carry no credentials.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use baton_engine::authz::{Resource, perm};
use serde_json::json;

use crate::AppState;
use crate::error::ApiResult;
use crate::guard::Who;
use crate::json::JsonOk;

/// How long `/ready` waits for the database before it answers 503.
const READY_WITHIN: Duration = Duration::from_secs(5);

/// `/metrics` (behind the authentication layer), `/health` and `/ready`.
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/metrics", get(metrics))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::authenticate,
        ))
        .route("/health", get(health))
        .route("/ready", get(ready))
}

async fn metrics(who: Who, State(s): State<AppState>) -> ApiResult<Response> {
    who.need(&s, Resource::System, perm::READ, None).await?;
    let text = crate::metrics::render(&s).await;
    Ok(([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response())
}

async fn health() -> JsonOk<serde_json::Value> {
    JsonOk(json!({"status": "UP"}))
}

async fn ready(State(s): State<AppState>) -> Response {
    // The reasons name no file: probes come without credentials.
    let answer = match s.engine.check() {
        Err(e) => {
            tracing::debug!(error = %e, "not ready");
            Err("the engine stopped (see its log)")
        }
        Ok(()) => match tokio::time::timeout(READY_WITHIN, s.engine.schema_version()).await {
            Ok(Ok(version)) => Ok(version),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "not ready: the database cannot be read");
                Err("the database cannot be read (see the log)")
            }
            Err(_) => Err("the database did not answer in time"),
        },
    };
    match answer {
        Ok(version) => JsonOk(json!({"status": "UP", "schemaVersion": version})).into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            json!({"status": "DOWN", "reason": reason}).to_string(),
        )
            .into_response(),
    }
}
