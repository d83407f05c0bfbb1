//! `/job-definition`: what jobs each element of each deployed definition makes
//! (timers, asynchronous continuations), with the ids their jobs name. Listed,
//! filtered, sorted and paged here from the engine's derived definitions; a user
//! sees those of the process definitions they may read, as in Camunda.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use baton_engine::DefinitionQuery;
use baton_engine::job_definitions::JobDefinition;
use serde::Serialize;

use super::known;
use crate::AppState;
use crate::dto::CountDto;
use crate::error::{ApiError, ApiResult};
use crate::guard::Who;
use crate::json::JsonOk;
use crate::params::Params;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/job-definition", get(list))
        .route("/job-definition/count", get(count))
        .route("/job-definition/{id}", get(one))
}

/// Camunda's `JobDefinitionDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct JobDefinitionDto {
    id: String,
    process_definition_id: String,
    process_definition_key: String,
    activity_id: String,
    job_type: String,
    job_configuration: String,
    suspended: bool,
    /// Baton keeps no job priorities.
    overriding_job_priority: Option<i64>,
    tenant_id: Option<String>,
    deployment_id: String,
}

impl From<&JobDefinition> for JobDefinitionDto {
    fn from(d: &JobDefinition) -> Self {
        JobDefinitionDto {
            id: d.id.clone(),
            process_definition_id: d.process_definition_id.clone(),
            process_definition_key: d.process_definition_key.clone(),
            activity_id: d.activity_id.clone(),
            job_type: d.job_type.clone(),
            job_configuration: d.job_configuration.clone(),
            suspended: d.suspended,
            overriding_job_priority: None,
            tenant_id: d.tenant_id.clone(),
            deployment_id: d.deployment_id.clone(),
        }
    }
}

const SORTS: &[&str] = &[
    "jobDefinitionId",
    "activityId",
    "processDefinitionId",
    "processDefinitionKey",
    "jobType",
    "jobConfiguration",
    "tenantId",
];

/// The job definitions the caller may see that match the query's filters.
async fn matching(who: &Who, s: &AppState, p: &Params) -> ApiResult<Vec<JobDefinition>> {
    let id = p.str("jobDefinitionId");
    let activities = p.list("activityIdIn");
    let job_type = p.str("jobType");
    let configuration = p.str("jobConfiguration");
    let tenants = p.list("tenantIdIn");
    let without_tenant = p.flag("withoutTenantId")?;
    let with_untenanted = p.flag("includeJobDefinitionsWithoutTenantId")?;
    let active = p.flag("active")?;
    let suspended = p.flag("suspended")?;
    let with_priority = p.flag("withOverridingJobPriority")?;
    let q = DefinitionQuery {
        id: p.str("processDefinitionId"),
        key: p.str("processDefinitionKey"),
        scope: who.scope(s).await?,
        ..DefinitionQuery::default()
    };
    let all = s.engine.job_definitions(q).await?;
    Ok(all
        .into_iter()
        .filter(|d| id.as_ref().is_none_or(|i| *i == d.id))
        .filter(|d| activities.is_empty() || activities.contains(&d.activity_id))
        .filter(|d| job_type.as_ref().is_none_or(|t| *t == d.job_type))
        .filter(|d| {
            configuration
                .as_ref()
                .is_none_or(|c| *c == d.job_configuration)
        })
        .filter(|d| {
            let tenant_ok = tenants.is_empty()
                || d.tenant_id.as_ref().is_some_and(|t| tenants.contains(t))
                || (with_untenanted && d.tenant_id.is_none());
            tenant_ok && (!without_tenant || d.tenant_id.is_none())
        })
        .filter(|d| (!active || !d.suspended) && (!suspended || d.suspended))
        // No job definition has an overriding priority in Baton.
        .filter(|_| !with_priority)
        .collect())
}

async fn list(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<JobDefinitionDto>>> {
    let mut found = matching(&who, &s, &p).await?;
    if let Some((by, descending)) = p.sorting(SORTS)? {
        let key = |d: &JobDefinition| -> String {
            match by.as_str() {
                "jobDefinitionId" => d.id.clone(),
                "activityId" => d.activity_id.clone(),
                "processDefinitionId" => d.process_definition_id.clone(),
                "processDefinitionKey" => d.process_definition_key.clone(),
                "jobType" => d.job_type.clone(),
                "jobConfiguration" => d.job_configuration.clone(),
                _ => d.tenant_id.clone().unwrap_or_default(),
            }
        };
        found.sort_by_key(key);
        if descending {
            found.reverse();
        }
    }
    let (first, max) = p.paging()?;
    p.refuse_unsupported("GET /job-definition", known::JOB_DEFINITION)?;
    Ok(JsonOk(
        found
            .iter()
            .skip(first)
            .take(max.unwrap_or(usize::MAX))
            .map(JobDefinitionDto::from)
            .collect(),
    ))
}

async fn count(who: Who, State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let found = matching(&who, &s, &p).await?;
    p.refuse_unsupported("GET /job-definition/count", known::JOB_DEFINITION)?;
    Ok(JsonOk(CountDto { count: found.len() }))
}

async fn one(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<JobDefinitionDto>> {
    let all = s
        .engine
        .job_definitions(DefinitionQuery {
            scope: who.scope(&s).await?,
            ..DefinitionQuery::default()
        })
        .await?;
    let found = all.iter().find(|d| d.id == id).ok_or_else(|| {
        ApiError::not_found(format!("Job Definition with id {id} does not exist"))
    })?;
    Ok(JsonOk(found.into()))
}
