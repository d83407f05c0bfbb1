//! The engine list, the version, incidents, messages, signals and conditions.

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::known;
use crate::AppState;
use crate::dto::{CountDto, IncidentDto, InstanceDto};
use crate::error::{ApiError, ApiResult};
use crate::guard::Who;
use crate::json::{Body, JsonOk, NoContent};
use crate::lenient;
use crate::params::Params;
use crate::vars::{VariablesIn, read_variables, variables_out};
use baton_engine::{
    CorrelationResult, IncidentQuery, IncidentSort, MessageCorrelation, SignalThrow, Sort,
};

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
        .route("/condition", post(condition))
}

async fn engines() -> JsonOk<Json> {
    JsonOk(json!([{"name": "default"}]))
}

async fn version() -> JsonOk<Json> {
    JsonOk(json!({"version": CAMUNDA_VERSION}))
}

/// The incidents a list or count names.
fn incident_query(p: &Params) -> ApiResult<IncidentQuery> {
    Ok(IncidentQuery {
        id: p.str("incidentId"),
        incident_type: p.str("incidentType"),
        process_instance_id: p.str("processInstanceId"),
        activity_id: p.str("activityId"),
        configuration: p.str("configuration"),
        tenant_ids: p.list("tenantIdIn"),
        without_tenant_id: p.flag("withoutTenantId")?,
        message: p.str("incidentMessage"),
        message_like: p.str("incidentMessageLike"),
        timestamp_after: p.time("incidentTimestampAfter")?,
        timestamp_before: p.time("incidentTimestampBefore")?,
        process_definition_keys: p.list("processDefinitionKeyIn"),
        process_definition_id: p.str("processDefinitionId"),
        execution_id: p.str("executionId"),
        ..IncidentQuery::default()
    })
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

async fn incidents(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<IncidentDto>>> {
    let sort = p.sorting(INCIDENT_SORTS)?.map(|(by, descending)| Sort {
        by: match by.as_str() {
            "incidentId" => IncidentSort::Id,
            "incidentMessage" => IncidentSort::Message,
            "incidentTimestamp" => IncidentSort::Timestamp,
            "incidentType" => IncidentSort::Type,
            "executionId" => IncidentSort::ExecutionId,
            "activityId" => IncidentSort::ActivityId,
            "processInstanceId" => IncidentSort::ProcessInstanceId,
            "processDefinitionId" => IncidentSort::ProcessDefinitionId,
            "configuration" => IncidentSort::Configuration,
            _ => IncidentSort::TenantId,
        },
        descending,
    });
    let (first_result, max_results) = p.paging()?;
    let q = IncidentQuery {
        sort,
        first_result,
        max_results,
        scope: who.scope(&s).await?,
        ..incident_query(&p)?
    };
    p.refuse_unsupported("GET /incident", known::INCIDENT)?;
    let page = s.engine.incidents(q).await?;
    Ok(JsonOk(page.iter().map(IncidentDto::from).collect()))
}

async fn incident_count(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let q = IncidentQuery {
        scope: who.scope(&s).await?,
        ..incident_query(&p)?
    };
    p.refuse_unsupported("GET /incident/count", known::INCIDENT)?;
    let count = s.engine.count_incidents(q).await?;
    Ok(JsonOk(CountDto { count }))
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct MessageRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    message_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    business_key: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    process_instance_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    tenant_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::flag")]
    without_tenant_id: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    all: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    result_enabled: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    variables_in_result_enabled: bool,
    correlation_keys: Option<VariablesIn>,
    local_correlation_keys: Option<VariablesIn>,
    process_variables: Option<VariablesIn>,
    process_variables_local: Option<VariablesIn>,
}

/// `POST /message`: 204, or with `resultEnabled` 200 and what it reached.
async fn message(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    Body(req): Body<MessageRequest>,
) -> ApiResult<Response> {
    let Some(name) = req.message_name.filter(|n| !n.is_empty()) else {
        return Err(ApiError::invalid("No message name supplied"));
    };
    if req.tenant_id.is_some() && req.without_tenant_id {
        return Err(ApiError::invalid(
            "Parameter 'tenantId' cannot be used together with parameter 'withoutTenantId'.",
        ));
    }
    if req.variables_in_result_enabled && !req.result_enabled {
        return Err(ApiError::invalid(
            "Parameter 'variablesInResultEnabled' cannot be used without 'resultEnabled' set to true.",
        ));
    }
    let correlation = MessageCorrelation {
        name,
        business_key: req.business_key.filter(|k| !k.is_empty()),
        process_instance_id: req.process_instance_id,
        correlation_keys: read_variables(req.correlation_keys.as_ref())?,
        local_correlation_keys: read_variables(req.local_correlation_keys.as_ref())?,
        process_variables: read_variables(req.process_variables.as_ref())?,
        process_variables_local: read_variables(req.process_variables_local.as_ref())?,
        all: req.all,
        tenant_id: req.tenant_id,
        without_tenant_id: req.without_tenant_id,
        scope: who.scope(&s).await?,
    };
    let results = s
        .engine
        .correlate_message(correlation)
        .await
        .map_err(|e| match e {
            // Camunda answers a MismatchingMessageCorrelationException with a
            // RestException built on it, whose message is the cause's toString().
            baton_engine::Error::Invalid(m) if m.starts_with("Cannot correlate ") => {
                ApiError::invalid(format!(
                    "org.camunda.bpm.engine.MismatchingMessageCorrelationException: {m}"
                ))
                .kind("RestException")
                .with_code(0)
            }
            other => other.into(),
        })?;
    if !req.result_enabled {
        return Ok(NoContent.into_response());
    }
    let base = super::base_url(&s, &headers);
    let mut out = Vec::new();
    for r in &results {
        let (kind, instance, execution) = match r {
            CorrelationResult::Execution {
                execution_id,
                instance,
            } => ("Execution", instance, Some(execution_id)),
            CorrelationResult::ProcessDefinition(instance) => ("ProcessDefinition", instance, None),
        };
        let mut entry = json!({
            "resultType": kind,
            "processInstance": if kind == "ProcessDefinition" {
                serde_json::to_value(InstanceDto::new(instance, Some(&base))).unwrap_or(Json::Null)
            } else {
                Json::Null
            },
            "execution": execution.map(|id| json!({
                "id": id,
                "processInstanceId": instance.id,
                "ended": instance.ended,
                "tenantId": instance.tenant_id,
            })),
        });
        if req.variables_in_result_enabled {
            let vars = super::instance_variables(&s, instance).await?;
            entry["variables"] =
                serde_json::to_value(variables_out(&vars, true)).unwrap_or(Json::Null);
        }
        out.push(entry);
    }
    Ok(JsonOk(out).into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SignalRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    tenant_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::flag")]
    without_tenant_id: bool,
    variables: Option<VariablesIn>,
}

/// `POST /signal`: always 204, whoever receives it.
async fn signal(
    who: Who,
    State(s): State<AppState>,
    Body(req): Body<SignalRequest>,
) -> ApiResult<NoContent> {
    let Some(name) = req.name.filter(|n| !n.is_empty()) else {
        return Err(ApiError::invalid("No signal name given"));
    };
    if req.tenant_id.is_some() && req.without_tenant_id {
        return Err(ApiError::invalid(
            "Parameter 'tenantId' cannot be used together with parameter 'withoutTenantId'.",
        ));
    }
    let variables = read_variables(req.variables.as_ref())?;
    s.engine
        .throw_signal(SignalThrow {
            name,
            variables,
            tenant_id: req.tenant_id,
            without_tenant_id: req.without_tenant_id,
            scope: who.scope(&s).await?,
        })
        .await?;
    Ok(NoContent)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ConditionRequest {
    variables: Option<VariablesIn>,
    #[serde(default, deserialize_with = "lenient::string")]
    business_key: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    process_definition_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    tenant_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::flag")]
    without_tenant_id: bool,
}

/// `POST /condition`: starts every latest definition whose conditional start event
/// holds for the variables; answers the started instances (none when no condition
/// holds). Without any conditional start event to evaluate, a 400.
async fn condition(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    Body(req): Body<ConditionRequest>,
) -> ApiResult<JsonOk<Vec<InstanceDto>>> {
    if req.tenant_id.is_some() && req.without_tenant_id {
        return Err(ApiError::invalid(
            "Parameter 'tenantId' cannot be used together with parameter 'withoutTenantId'.",
        ));
    }
    let variables = read_variables(req.variables.as_ref())?;
    let key = match &req.process_definition_id {
        // Camunda looks the definition up in its deployment cache: an unknown id is
        // the engine's NotFoundException, a 400 with code 0.
        Some(id) => Some(
            s.engine
                .definition(id)
                .await
                .map_err(|e| match e {
                    baton_engine::Error::NotFound(_) => ApiError::new(
                        axum::http::StatusCode::BAD_REQUEST,
                        "NotFoundException",
                        format!(
                            "no deployed process definition found with id '{id}': \
                             processDefinition is null"
                        ),
                    )
                    .with_code(0),
                    other => other.into(),
                })?
                .key,
        ),
        None => None,
    };
    let started = s
        .engine
        .evaluate_conditions(
            key,
            variables,
            req.business_key,
            req.tenant_id,
            who.scope(&s).await?,
        )
        .await
        .map_err(|e| match e {
            // Camunda's `DefaultConditionHandler` raises a ProcessEngineException,
            // which its REST layer answers 500; it is the caller's mistake, so Baton
            // answers 400 with Camunda's type and message.
            baton_engine::Error::NotFound(_) => ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "ProcessEngineException",
                match &req.process_definition_id {
                    Some(id) => format!(
                        "ENGINE-13042 Process definition with id '{id}' does not declare \
                         conditional start event."
                    ),
                    None => "ENGINE-13043 No subscriptions were found during evaluation of \
                             the conditional start events."
                        .to_owned(),
                },
            )
            .with_code(0),
            other => other.into(),
        })?;
    let base = super::base_url(&s, &headers);
    Ok(JsonOk(
        started
            .iter()
            .map(|i| InstanceDto::new(i, Some(&base)))
            .collect(),
    ))
}
