//! The routes, one module per Camunda resource.

mod authorization;
mod definition;
mod deployment;
mod execution;
mod external_task;
mod filters;
mod form;
mod history;
mod history_task;
mod identity;
mod instance;
mod job;
mod job_definition;
mod known;
mod misc;
mod openapi;
mod ops;
mod task;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::IntoResponse;

use crate::error::ApiError;
use crate::{AppState, Options};

/// Every route under the base path, with Camunda-shaped answers for unknown paths,
/// and the console (`/app`, outside the base path).
pub(crate) fn router(state: AppState, options: &Options) -> Router {
    let base = state.base_path.to_string();
    let api = Router::new()
        .merge(misc::routes())
        .merge(deployment::routes())
        .merge(definition::routes())
        .merge(form::routes())
        .merge(external_task::routes())
        .merge(execution::routes())
        .merge(instance::routes())
        .merge(history::routes())
        .merge(job::routes())
        .merge(job_definition::routes())
        .merge(identity::routes())
        .merge(authorization::routes())
        .merge(task::routes())
        .merge(history_task::routes())
        .merge(ops::routes(&base))
        .fallback(unknown_path)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            empty_segment,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::authenticate,
        ))
        .layer(axum::middleware::from_fn(log_request));
    let root = crate::root::routes(&state).merge(crate::console::routes());
    let all = if base.is_empty() {
        api.merge(root)
    } else {
        Router::new()
            .merge(root)
            .nest(&base, api)
            .fallback(unknown_path)
    };
    // Last, so that it wraps every route (nesting flattens the API's routes into
    // this router, each under its whole template) and the fallbacks: each request
    // is counted once, under the template it matched.
    all.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        crate::metrics::count,
    ))
    .with_state(state)
}

/// The route templates requests are counted under: every endpoint under the
/// base path, and the routes at the root.
pub(crate) fn templates(base: &str) -> Vec<String> {
    openapi::ENDPOINTS
        .iter()
        .map(|e| format!("{base}{}", e.path))
        .chain(["/metrics", "/health", "/ready"].map(str::to_owned))
        .collect()
}

/// Logs each request at debug level (`RUST_LOG=baton_server=debug`), and client
/// errors at info, server faults at warn.
async fn log_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let began = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let micros = began.elapsed().as_micros();
    if status >= 500 {
        tracing::warn!(%method, %path, status, micros, "request failed");
    } else if status >= 400 {
        tracing::info!(%method, %path, status, micros, "request refused");
    } else {
        tracing::debug!(%method, %path, status, micros, "request");
    }
    response
}

/// A 404 for a path with an empty segment where an id belongs
/// (`/external-task//complete`), naming the missing id, before routing could take
/// the path for another one. [`crate::normalise`] has already removed the empty
/// segments a base URL ending in `/` leaves.
async fn empty_segment(
    axum::extract::State(s): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // Under the base path, axum shows the path without it.
    let path = request.uri().path();
    let Some(at) = path.find("//") else {
        return next.run(request).await;
    };
    let full = format!("{}{path}", s.base_path);
    let owner = path[..at].rsplit('/').next().unwrap_or_default();
    let missing = match owner {
        "external-task" => "external task id".to_owned(),
        "process-instance" => "process instance id".to_owned(),
        "process-definition" => "process definition id".to_owned(),
        "key" => "process definition key".to_owned(),
        "tenant-id" => "tenant id".to_owned(),
        "deployment" => "deployment id".to_owned(),
        "job" => "job id".to_owned(),
        "incident" => "incident id".to_owned(),
        "variables" => "variable name".to_owned(),
        "" => "resource".to_owned(),
        other => format!("id after '{other}'"),
    };
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NotFoundException",
        format!(
            "No {missing} in {} {full}: the path has an empty segment where the {missing} belongs",
            request.method()
        ),
    )
    .into_response()
}

async fn unknown_path(method: Method, uri: Uri) -> impl IntoResponse {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NotFoundException",
        format!("No resource at {method} {}", uri.path()),
    )
}

async fn wrong_method(method: Method, uri: Uri) -> impl IntoResponse {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "NotAllowedException",
        format!("{} does not allow {method}", uri.path()),
    )
}

/// An instance's own variables (its root scope), also once it ended: what
/// `withVariablesInReturn` and `variablesInResultEnabled` answer.
pub(crate) async fn instance_variables(
    s: &AppState,
    instance: &baton_engine::ProcessInstance,
) -> crate::error::ApiResult<Vec<(String, baton_engine::Value)>> {
    Ok(if instance.ended {
        s.engine
            .historic_variables(&instance.id)
            .await?
            .into_iter()
            .filter(|v| v.state == "CREATED")
            .map(|v| (v.name, v.value))
            .collect()
    } else {
        s.engine
            .variables(&instance.id)
            .await?
            .into_iter()
            .filter(|v| v.execution_id == instance.id)
            .map(|v| (v.name, v.value))
            .collect()
    })
}

/// The body of `PUT …/retries`, for external tasks and jobs.
#[derive(Debug, serde::Deserialize, Default)]
pub(crate) struct RetriesRequest {
    #[serde(default, deserialize_with = "crate::lenient::int")]
    retries: Option<i64>,
}

impl RetriesRequest {
    /// The retries, which must be given (the engine refuses negative ones).
    pub(crate) fn retries(&self) -> crate::error::ApiResult<i64> {
        self.retries
            .ok_or_else(|| ApiError::invalid("The number of retries cannot be null."))
    }
}

/// The URL of the API as the client reached it, for `links`.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}{}", state.base_path)
}
