//! Operating the engine through the API: Camunda's metric sums
//! (`GET /metrics/{name}/sum`) and the OpenAPI document of the API itself
//! (`GET /openapi.json`). The Prometheus scrape and the health probes live at the
//! server's root, outside the base path (`crate::root`).

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use baton_engine::Activity;
use baton_engine::authz::{Resource, perm};
use serde::Serialize;

use crate::AppState;
use crate::error::ApiResult;
use crate::guard::Who;
use crate::json::JsonOk;
use crate::params::Params;

/// `/metrics/{name}/sum`, and `/openapi.json` describing the API at `base`.
pub(super) fn routes(base: &str) -> Router<AppState> {
    // Built on the first request for it: most servers are never asked.
    let base: Arc<str> = base.into();
    let document: Arc<OnceLock<Bytes>> = Arc::default();
    Router::new().route("/metrics/{name}/sum", get(sum)).route(
        "/openapi.json",
        get(move || {
            let document = document.clone();
            let base = base.clone();
            async move {
                let bytes = document.get_or_init(|| Bytes::from(super::openapi::document(&base)));
                ([(header::CONTENT_TYPE, "application/json")], bytes.clone())
            }
        }),
    )
}

/// Camunda's `MetricsResultDto`.
#[derive(Debug, Serialize)]
struct MetricsResultDto {
    result: u64,
}

/// Which of the engine's counts a Camunda metric name stands for. Camunda
/// answers 0 for a name nothing was counted under, a name it does not know
/// included; so does Baton, also for the names Camunda defines that Baton has
/// nothing to count for (decisions, job acquisition, history cleanup, task
/// workers).
fn count_of(name: &str, a: &Activity) -> u64 {
    match name {
        "activity-instance-start" | "flow-node-instances" => a.activities_started,
        "activity-instance-end" => a.activities_ended,
        "root-process-instance-start" | "process-instances" => a.root_instances_started,
        "job-successful" => a.jobs_fired,
        "job-failed" => a.jobs_failed,
        _ => 0,
    }
}

/// `GET /metrics/{name}/sum`: a metric counted since the engine opened, within
/// `startDate` (inclusive) and `endDate` (exclusive) when given, to the minute of
/// the commits (to the hour past two days). The counts are system-wide, so the
/// caller needs `READ` on `System` (the permission Camunda asks for its
/// telemetry data, which holds these counts).
async fn sum(
    who: Who,
    State(s): State<AppState>,
    Path(name): Path<String>,
    p: Params,
) -> ApiResult<impl IntoResponse> {
    who.need(&s, Resource::System, perm::READ, None).await?;
    let start = p.time("startDate")?;
    let end = p.time("endDate")?;
    let counts = s.engine.activity_between(start, end);
    Ok(JsonOk(MetricsResultDto {
        result: count_of(&name, &counts),
    }))
}
