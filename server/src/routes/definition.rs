//! `/process-definition`: list, get (by id, by key, by key and tenant), XML, start.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use baton_engine::{
    DefinitionQuery, DefinitionRef, DefinitionSort, IncidentsWanted, ProcessDefinition, Sort,
    StartInstance, StatisticsQuery,
};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::known;
use crate::AppState;
use crate::dto::{
    ActivityStatisticsDto, CountDto, DefinitionDto, DefinitionStatisticsDto, InstanceDto,
};
use crate::error::{ApiError, ApiResult};
use crate::guard::{Op, Who};
use crate::json::{Body, JsonOk};
use crate::lenient;
use crate::params::Params;
use crate::vars::{VariablesIn, read_variables, variables_out};
use baton_engine::authz::{Owner, Target};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/process-definition", get(list))
        .route("/process-definition/count", get(count))
        .route("/process-definition/statistics", get(statistics))
        .route("/process-definition/{id}", get(by_id))
        .route("/process-definition/{id}/xml", get(xml_by_id))
        .route("/process-definition/{id}/diagram", get(diagram))
        .route("/process-definition/{id}/start", post(start_by_id))
        .route(
            "/process-definition/{id}/statistics",
            get(activity_statistics_by_id),
        )
        .route("/process-definition/key/{key}", get(by_key))
        .route("/process-definition/key/{key}/xml", get(xml_by_key))
        .route("/process-definition/key/{key}/diagram", get(diagram_by_key))
        .route("/process-definition/key/{key}/start", post(start_by_key))
        .route(
            "/process-definition/key/{key}/statistics",
            get(activity_statistics_by_key),
        )
        .route(
            "/process-definition/key/{key}/tenant-id/{tenant}",
            get(by_key_tenant),
        )
        .route(
            "/process-definition/key/{key}/tenant-id/{tenant}/xml",
            get(xml_by_key_tenant),
        )
        .route(
            "/process-definition/key/{key}/tenant-id/{tenant}/start",
            post(start_by_key_tenant),
        )
        .route(
            "/process-definition/key/{key}/tenant-id/{tenant}/statistics",
            get(activity_statistics_by_key_tenant),
        )
}

const SORTS: &[&str] = &[
    "category",
    "key",
    "id",
    "name",
    "version",
    "deploymentId",
    "deployTime",
    "tenantId",
    "versionTag",
];

/// The definitions a list or count names.
fn query(p: &Params) -> ApiResult<DefinitionQuery> {
    Ok(DefinitionQuery {
        id: p.str("processDefinitionId"),
        key: p.str("key"),
        name: p.str("name"),
        // `ver` and `latest` are the older names Camunda still takes.
        version: p.int("version")?.or(p.int("ver")?),
        latest_version: p.flag("latestVersion")? || p.flag("latest")?,
        deployment_id: p.str("deploymentId"),
        version_tag: p.str("versionTag"),
        tenant_ids: p.list("tenantIdIn"),
        without_tenant_id: p.flag("withoutTenantId")?,
        ids: p.list("processDefinitionIdIn"),
        keys: p.list("keysIn"),
        key_like: p.str("keyLike"),
        name_like: p.str("nameLike"),
        version_tag_like: p.str("versionTagLike"),
        category: p.str("category"),
        category_like: p.str("categoryLike"),
        suspended: p.bool("suspended")?,
        active: p.bool("active")?,
        ..DefinitionQuery::default()
    })
}

async fn list(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<DefinitionDto>>> {
    let sort = p.sorting(SORTS)?.map(|(by, descending)| Sort {
        by: match by.as_str() {
            "key" => DefinitionSort::Key,
            "id" => DefinitionSort::Id,
            "name" => DefinitionSort::Name,
            "version" => DefinitionSort::Version,
            "deploymentId" => DefinitionSort::DeploymentId,
            "deployTime" => DefinitionSort::DeployTime,
            "tenantId" => DefinitionSort::TenantId,
            "versionTag" => DefinitionSort::VersionTag,
            _ => DefinitionSort::Category,
        },
        descending,
    });
    let (first_result, max_results) = p.paging()?;
    let q = DefinitionQuery {
        sort,
        first_result,
        max_results,
        scope: who.scope(&s).await?,
        ..query(&p)?
    };
    p.refuse_unsupported("GET /process-definition", known::DEFINITION)?;
    let page = s.engine.definitions(q).await?;
    Ok(JsonOk(page.iter().map(DefinitionDto::from).collect()))
}

async fn count(who: Who, State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let q = DefinitionQuery {
        scope: who.scope(&s).await?,
        ..query(&p)?
    };
    p.refuse_unsupported("GET /process-definition/count", known::DEFINITION)?;
    let count = s.engine.count_definitions(q).await?;
    Ok(JsonOk(CountDto { count }))
}

/// The latest version of `key` in `tenant` (or without a tenant), or Camunda's 404
/// (a `RestException` it raises itself, so without a code).
pub(crate) async fn latest(
    s: &AppState,
    key: &str,
    tenant: Option<&str>,
) -> ApiResult<ProcessDefinition> {
    let q = DefinitionQuery {
        key: Some(key.to_owned()),
        latest_version: true,
        without_tenant_id: tenant.is_none(),
        tenant_ids: tenant.map(str::to_owned).into_iter().collect(),
        ..DefinitionQuery::default()
    };
    s.engine
        .definitions(q)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            ApiError::rest_not_found(match tenant {
                None => format!("No matching process definition with key: {key} and no tenant-id"),
                Some(t) => {
                    format!("No matching process definition with key: {key} and tenant-id: {t}")
                }
            })
        })
}

async fn by_id(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<DefinitionDto>> {
    who.may(&s, Target::Definition(&id), Op::ReadDefinition)
        .await?;
    let d = s
        .engine
        .definition(&id)
        .await
        .map_err(|e| no_matching_definition(e, &id))?;
    Ok(JsonOk((&d).into()))
}

async fn by_key(
    who: Who,
    State(s): State<AppState>,
    Path(key): Path<String>,
) -> ApiResult<JsonOk<DefinitionDto>> {
    Ok(JsonOk((&readable(&who, &s, &key, None).await?).into()))
}

async fn by_key_tenant(
    who: Who,
    State(s): State<AppState>,
    Path((key, tenant)): Path<(String, String)>,
) -> ApiResult<JsonOk<DefinitionDto>> {
    Ok(JsonOk(
        (&readable(&who, &s, &key, Some(&tenant)).await?).into(),
    ))
}

/// [`latest`], when the caller may read it.
async fn readable(
    who: &Who,
    s: &AppState,
    key: &str,
    tenant: Option<&str>,
) -> ApiResult<ProcessDefinition> {
    let d = latest(s, key, tenant).await?;
    who.may(s, Target::Definition(&d.id), Op::ReadDefinition)
        .await?;
    Ok(d)
}

/// Camunda answers a definition and its XML for an unknown id with a 404
/// `InvalidRequestException` wrapping the engine's `NotFoundException` (so code 0).
fn no_matching_definition(e: baton_engine::Error, id: &str) -> ApiError {
    match e {
        baton_engine::Error::NotFound(_) => {
            ApiError::engine_not_found(format!("No matching definition with id {id}"))
        }
        other => other.into(),
    }
}

/// The engine's `NotFoundException` for an unknown definition id, as Camunda's
/// deployment cache words it.
fn no_deployed_definition(id: &str) -> String {
    format!("no deployed process definition found with id '{id}': processDefinition is null")
}

async fn xml(s: &AppState, id: &str) -> ApiResult<JsonOk<Json>> {
    let bytes = s
        .engine
        .definition_xml(id)
        .await
        .map_err(|e| no_matching_definition(e, id))?;
    Ok(JsonOk(json!({
        "id": id,
        "bpmn20Xml": String::from_utf8_lossy(&bytes),
    })))
}

async fn xml_by_id(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<Json>> {
    who.may(&s, Target::Definition(&id), Op::ReadDefinition)
        .await?;
    xml(&s, &id).await
}

async fn xml_by_key(
    who: Who,
    State(s): State<AppState>,
    Path(key): Path<String>,
) -> ApiResult<JsonOk<Json>> {
    let d = readable(&who, &s, &key, None).await?;
    xml(&s, &d.id).await
}

async fn xml_by_key_tenant(
    who: Who,
    State(s): State<AppState>,
    Path((key, tenant)): Path<(String, String)>,
) -> ApiResult<JsonOk<Json>> {
    let d = readable(&who, &s, &key, Some(&tenant)).await?;
    xml(&s, &d.id).await
}

/// No diagram images are stored: 204, as Camunda answers for a definition without one.
/// An unknown id is the engine's `NotFoundException`, which Camunda answers 400.
async fn diagram(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    who.may(&s, Target::Definition(&id), Op::ReadDefinition)
        .await?;
    s.engine.definition(&id).await.map_err(|e| match e {
        baton_engine::Error::NotFound(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "NotFoundException",
            no_deployed_definition(&id),
        )
        .with_code(0),
        other => other.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn diagram_by_key(
    who: Who,
    State(s): State<AppState>,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    readable(&who, &s, &key, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct StartRequest {
    variables: Option<VariablesIn>,
    #[serde(default, deserialize_with = "lenient::string")]
    business_key: Option<String>,
    #[serde(default, deserialize_with = "lenient::flag")]
    with_variables_in_return: bool,
    start_instructions: Option<Vec<Json>>,
}

async fn start(
    who: &Who,
    s: &AppState,
    headers: &HeaderMap,
    definition: DefinitionRef,
    req: StartRequest,
) -> ApiResult<Response> {
    if who.checks() {
        match &definition {
            DefinitionRef::Id(id) => {
                who.may(s, Target::Definition(id), Op::CreateInstance)
                    .await?;
            }
            DefinitionRef::Key { key, tenant_id } => {
                // The definition read here is the one the start will take.
                if let Ok(d) = latest(s, key, tenant_id.as_deref()).await {
                    let owner = Owner {
                        id: d.id.clone(),
                        definition_key: Some(d.key.clone()),
                        tenant_id: d.tenant_id.clone(),
                        ..Owner::default()
                    };
                    who.may_owned(s, Target::Definition(&d.id), &owner, Op::CreateInstance)
                        .await?;
                }
            }
        }
    }
    if req
        .start_instructions
        .as_ref()
        .is_some_and(|i| !i.is_empty())
    {
        return Err(ApiError::invalid(
            "startInstructions are not supported by Baton: an instance starts at its none start event",
        ));
    }
    let variables = read_variables(req.variables.as_ref())?;
    let started = s
        .engine
        .start(StartInstance {
            definition: definition.clone(),
            business_key: req.business_key.filter(|k| !k.is_empty()),
            variables,
        })
        .await;
    let instance = match (started, definition) {
        (Ok(instance), _) => instance,
        // Camunda looks a key up itself first: a 404 without a code.
        (Err(baton_engine::Error::NotFound(m)), DefinitionRef::Key { .. }) => {
            return Err(ApiError::rest_not_found(m));
        }
        // An unknown id fails in the engine (Camunda answers that 500; it is the
        // caller's mistake, so Baton answers 404 with Camunda's body).
        (Err(baton_engine::Error::NotFound(_)), DefinitionRef::Id(id)) => {
            return Err(ApiError::rest_not_found(format!(
                "Cannot instantiate process definition {id}: {}",
                no_deployed_definition(&id)
            ))
            .with_code(0));
        }
        // Camunda names the definition by its id, also when started by key.
        (Err(e), DefinitionRef::Id(id)) => {
            return Err(ApiError::from(e)
                .prefixed(&format!("Cannot instantiate process definition {id}: ")));
        }
        (Err(e), DefinitionRef::Key { key, tenant_id }) => {
            let label = latest(s, &key, tenant_id.as_deref())
                .await
                .map_or(key, |d| d.id);
            return Err(ApiError::from(e)
                .prefixed(&format!("Cannot instantiate process definition {label}: ")));
        }
    };
    let mut dto = InstanceDto::new(&instance, Some(&super::base_url(s, headers)));
    if req.with_variables_in_return {
        let vars = super::instance_variables(s, &instance).await?;
        dto = dto.with_variables(variables_out(&vars, true));
    }
    Ok(JsonOk(dto).into_response())
}

async fn start_by_id(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(req): Body<StartRequest>,
) -> ApiResult<Response> {
    start(&who, &s, &headers, DefinitionRef::Id(id), req).await
}

async fn start_by_key(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
    Body(req): Body<StartRequest>,
) -> ApiResult<Response> {
    let definition = DefinitionRef::Key {
        key,
        tenant_id: None,
    };
    start(&who, &s, &headers, definition, req).await
}

async fn start_by_key_tenant(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((key, tenant)): Path<(String, String)>,
    Body(req): Body<StartRequest>,
) -> ApiResult<Response> {
    let definition = DefinitionRef::Key {
        key,
        tenant_id: Some(tenant),
    };
    start(&who, &s, &headers, definition, req).await
}

/// What the statistics parameters ask to count. Camunda's resource methods take
/// them as JAX-RS parameters (`Boolean.valueOf`, so anything but `true` is false)
/// and refuse two incident parameters given together, whatever their values;
/// `rootIncidents` (`root`) is a parameter of the definition list only.
fn statistics_query(p: &Params, root: bool) -> ApiResult<StatisticsQuery> {
    let incidents = p.str("incidents").is_some();
    let for_type = p.str("incidentsForType");
    let root_incidents = root && p.str("rootIncidents").is_some();
    let conflict = match (incidents, for_type.is_some(), root_incidents) {
        (true, true, _) => Some(("includeIncidents", "includeIncidentsForType")),
        (true, _, true) => Some(("includeIncidents", "includeRootIncidents")),
        (_, true, true) => Some(("includeRootIncidents", "includeIncidentsForType")),
        _ => None,
    };
    if let Some((a, b)) = conflict {
        return Err(ApiError::invalid(format!(
            "Only one of the query parameter {a} or {b} can be set."
        )));
    }
    let wanted = if p.jaxrs_flag("incidents", false) {
        IncidentsWanted::All
    } else if let Some(t) = for_type {
        IncidentsWanted::OfType(t)
    } else if root && p.jaxrs_flag("rootIncidents", false) {
        IncidentsWanted::Root
    } else {
        IncidentsWanted::None
    };
    Ok(StatisticsQuery {
        failed_jobs: p.jaxrs_flag("failedJobs", false),
        incidents: wanted,
        scope: None,
    })
}

/// `GET /process-definition/statistics`: every definition version the caller may
/// read, with its running instances (and failed jobs and incidents, as asked),
/// counted in their tenants.
async fn statistics(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<DefinitionStatisticsDto>>> {
    let q = StatisticsQuery {
        scope: who.scope(&s).await?,
        ..statistics_query(&p, true)?
    };
    p.refuse_unsupported(
        "GET /process-definition/statistics",
        known::DEFINITION_STATISTICS,
    )?;
    let rows = s.engine.definition_statistics(q).await?;
    Ok(JsonOk(rows.iter().map(Into::into).collect()))
}

/// The activity statistics of definition `id`, for a caller who may read it:
/// only the instances, jobs and incidents they may read count.
async fn activity_statistics(
    who: &Who,
    s: &AppState,
    id: &str,
    q: StatisticsQuery,
) -> ApiResult<JsonOk<Vec<ActivityStatisticsDto>>> {
    let q = StatisticsQuery {
        scope: who.scope(s).await?,
        ..q
    };
    let rows = s
        .engine
        .activity_statistics(id, q)
        .await
        .map_err(|e| no_matching_definition(e, id))?;
    Ok(JsonOk(rows.iter().map(Into::into).collect()))
}

/// The statistics query of a per-definition statistics request, its
/// parameters checked.
fn activity_statistics_query(p: &Params) -> ApiResult<StatisticsQuery> {
    let q = statistics_query(p, false)?;
    p.refuse_unsupported(
        "GET /process-definition/{id}/statistics",
        known::ACTIVITY_STATISTICS,
    )?;
    Ok(q)
}

/// `GET /process-definition/{id}/statistics`. Camunda answers an unknown id with
/// an empty list (or, with authorization on, a 500); Baton answers it as
/// `GET /process-definition/{id}` does, 404.
async fn activity_statistics_by_id(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<JsonOk<Vec<ActivityStatisticsDto>>> {
    let q = activity_statistics_query(&p)?;
    who.may(&s, Target::Definition(&id), Op::ReadDefinition)
        .await?;
    activity_statistics(&who, &s, &id, q).await
}

/// `GET /process-definition/key/{key}/statistics`: of the latest version without
/// a tenant.
async fn activity_statistics_by_key(
    who: Who,
    State(s): State<AppState>,
    Path(key): Path<String>,
    p: Params,
) -> ApiResult<JsonOk<Vec<ActivityStatisticsDto>>> {
    let d = readable(&who, &s, &key, None).await?;
    let q = activity_statistics_query(&p)?;
    activity_statistics(&who, &s, &d.id, q).await
}

/// `GET /process-definition/key/{key}/tenant-id/{tenant}/statistics`.
async fn activity_statistics_by_key_tenant(
    who: Who,
    State(s): State<AppState>,
    Path((key, tenant)): Path<(String, String)>,
    p: Params,
) -> ApiResult<JsonOk<Vec<ActivityStatisticsDto>>> {
    let d = readable(&who, &s, &key, Some(&tenant)).await?;
    let q = activity_statistics_query(&p)?;
    activity_statistics(&who, &s, &d.id, q).await
}
