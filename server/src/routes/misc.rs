//! The engine list, the version, incidents, and message and signal shapes.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use crate::AppState;
use crate::dto::{CountDto, IncidentDto};
use crate::error::{ApiError, ApiResult};
use crate::json::{Body, JsonOk, NoContent};
use crate::params::Params;
use crate::vars::{VariablesIn, read_variables};
use baton_engine::IncidentQuery;

/// The Camunda REST version Baton follows.
pub(crate) const CAMUNDA_VERSION: &str = "7.24.0";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/engine", get(engines))
        .route("/version", get(version))
        .route("/incident", get(incidents))
        .route("/incident/count", get(incident_count))
        .route("/message", post(message))
        .route("/signal", post(signal))
}

async fn engines() -> JsonOk<Json> {
    JsonOk(json!([{"name": "default"}]))
}

async fn version() -> JsonOk<Json> {
    JsonOk(json!({"version": CAMUNDA_VERSION}))
}

fn incident_query(p: &Params) -> IncidentQuery {
    IncidentQuery {
        id: p.str("incidentId"),
        incident_type: p.str("incidentType"),
        process_instance_id: p.str("processInstanceId"),
        activity_id: p.str("activityId"),
        configuration: p.str("configuration"),
    }
}

const INCIDENT_SORTS: &[&str] = &[
    "incidentId",
    "incidentMessage",
    "incidentTimestamp",
    "incidentType",
    "executionId",
    "activityId",
    "processInstanceId",
    "processDefinitionId",
    "configuration",
    "tenantId",
];

async fn incidents(State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<Vec<IncidentDto>>> {
    let sorting = p.sorting(INCIDENT_SORTS)?;
    let paging = p.paging()?;
    let all = s.engine.incidents(incident_query(&p)).await?;
    let page = super::sort_and_page(
        all,
        sorting,
        |by, i| match by {
            "incidentId" => i.id.clone(),
            "incidentMessage" => i.message.clone().unwrap_or_default(),
            "incidentTimestamp" => format!("{:020}", i.timestamp),
            "incidentType" => i.incident_type.clone(),
            "executionId" => i.execution_id.clone(),
            "activityId" => i.activity_id.clone(),
            "processInstanceId" => i.process_instance_id.clone(),
            "processDefinitionId" => i.process_definition_id.clone(),
            "configuration" => i.configuration.clone().unwrap_or_default(),
            _ => i.tenant_id.clone().unwrap_or_default(),
        },
        paging,
    );
    Ok(JsonOk(page.iter().map(IncidentDto::from).collect()))
}

async fn incident_count(State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let count = s.engine.incidents(incident_query(&p)).await?.len();
    Ok(JsonOk(CountDto { count }))
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct MessageRequest {
    message_name: Option<String>,
    tenant_id: Option<String>,
    without_tenant_id: Option<bool>,
    #[serde(default)]
    all: bool,
    #[serde(default)]
    result_enabled: bool,
    correlation_keys: Option<VariablesIn>,
    local_correlation_keys: Option<VariablesIn>,
    process_variables: Option<VariablesIn>,
    process_variables_local: Option<VariablesIn>,
}

/// `POST /message`. Baton has no message events yet, so nothing can match: with
/// `all` that is no error (204, or `[]` with `resultEnabled`), otherwise the 400
/// Camunda answers when nothing matches.
async fn message(Body(req): Body<MessageRequest>) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let Some(name) = req.message_name.filter(|n| !n.is_empty()) else {
        return Err(ApiError::invalid("No message name given"));
    };
    if req.tenant_id.is_some() && req.without_tenant_id == Some(true) {
        return Err(ApiError::invalid(
            "Parameter 'tenantId' cannot be used together with parameter 'withoutTenantId'.",
        ));
    }
    for vars in [
        &req.correlation_keys,
        &req.local_correlation_keys,
        &req.process_variables,
        &req.process_variables_local,
    ] {
        read_variables(vars.as_ref())?;
    }
    if !req.all {
        return Err(ApiError::invalid(format!(
            "Cannot correlate message '{name}': No process definition or execution matches the parameters"
        )));
    }
    Ok(if req.result_enabled {
        JsonOk(json!([])).into_response()
    } else {
        NoContent.into_response()
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SignalRequest {
    name: Option<String>,
    tenant_id: Option<String>,
    without_tenant_id: Option<bool>,
    variables: Option<VariablesIn>,
}

/// `POST /signal`: always 204 (no process waits for signals yet).
async fn signal(Body(req): Body<SignalRequest>) -> ApiResult<NoContent> {
    if req.name.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::invalid("No signal name given"));
    }
    if req.tenant_id.is_some() && req.without_tenant_id == Some(true) {
        return Err(ApiError::invalid(
            "Parameter 'tenantId' cannot be used together with parameter 'withoutTenantId'.",
        ));
    }
    read_variables(req.variables.as_ref())?;
    Ok(NoContent)
}
