//! `/process-instance`: queries, get, delete, variables, the activity-instance tree.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use baton_engine::{InstanceQuery, InstanceSort, Sort, Value, VariableFilter};
use serde::Deserialize;

use super::external_task::merged;
use super::{filters, known};
use crate::AppState;
use crate::dto::{ActivityInstanceDto, CountDto, InstanceDto};
use crate::error::{ApiError, ApiResult};
use crate::guard::{Op, Who};
use crate::json::{Body, JsonOk, NoContent};
use crate::lenient;
use crate::params::Params;
use crate::vars::{
    VariableIn, VariableOut, VariablesIn, data_response, read_variables, variables_out,
};
use baton_engine::authz::Target;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/process-instance", get(list_get).post(list_post))
        .route("/process-instance/count", get(count_get).post(count_post))
        .route("/process-instance/{id}", get(one).delete(delete))
        .route(
            "/process-instance/{id}/variables",
            get(variables).post(modify_variables),
        )
        .route(
            "/process-instance/{id}/variables/{name}",
            get(variable).put(put_variable).delete(delete_variable),
        )
        .route(
            "/process-instance/{id}/variables/{name}/data",
            get(variable_data),
        )
        .route(
            "/process-instance/{id}/activity-instances",
            get(activity_instances),
        )
}

/// The query a list or count names: every filter, the sort and the page.
fn query(p: &Params, variables: Vec<VariableFilter>) -> ApiResult<InstanceQuery> {
    let mut q = InstanceQuery {
        ids: p.list("processInstanceIds"),
        business_key: p.str("businessKey"),
        business_key_like: p.str("businessKeyLike"),
        definition_id: p.str("processDefinitionId"),
        definition_key: p.str("processDefinitionKey"),
        definition_keys: p.list("processDefinitionKeyIn"),
        definition_keys_not_in: p.list("processDefinitionKeyNotIn"),
        super_instance_id: p.str("superProcessInstance"),
        sub_instance_id: p.str("subProcessInstance"),
        roots_only: p.flag("rootProcessInstances")?,
        with_incident: p.flag("withIncident")?,
        activity_ids: p.list("activityIdIn"),
        variables,
        tenant_ids: p.list("tenantIdIn"),
        without_tenant_id: p.flag("withoutTenantId")?,
        suspended: p.bool("suspended")?,
        active: p.bool("active")?,
        ..InstanceQuery::default()
    };
    q.sort = sort(p)?;
    (q.first_result, q.max_results) = p.paging()?;
    Ok(q)
}

fn sort(p: &Params) -> ApiResult<Option<Sort<InstanceSort>>> {
    Ok(p.sorting(SORTS)?.map(|(by, descending)| Sort {
        by: match by.as_str() {
            "definitionKey" => InstanceSort::DefinitionKey,
            "definitionId" => InstanceSort::DefinitionId,
            "tenantId" => InstanceSort::TenantId,
            "businessKey" => InstanceSort::BusinessKey,
            _ => InstanceSort::InstanceId,
        },
        descending,
    }))
}

const SORTS: &[&str] = &[
    "instanceId",
    "definitionKey",
    "definitionId",
    "tenantId",
    "businessKey",
];

async fn list_get(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    p: Params,
) -> ApiResult<JsonOk<Vec<InstanceDto>>> {
    let scope = who.scope(&s).await?;
    let mut q = query(&p, filters::from_query(&p, "variables")?)?;
    q.scope = scope;
    p.refuse_unsupported("GET /process-instance", known::INSTANCE)?;
    let page = s.engine.instances(q).await?;
    let base = super::base_url(&s, &headers);
    Ok(JsonOk(
        page.iter()
            .map(|i| InstanceDto::new(i, Some(&base)))
            .collect(),
    ))
}

async fn list_post(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    query_params: Params,
    body: Bytes,
) -> ApiResult<JsonOk<Vec<InstanceDto>>> {
    let p = merged(&body, &query_params)?;
    let scope = who.scope(&s).await?;
    let mut q = query(&p, filters::from_body(&body, "variables")?)?;
    q.scope = scope;
    p.refuse_unsupported("POST /process-instance", known::INSTANCE)?;
    let page = s.engine.instances(q).await?;
    let base = super::base_url(&s, &headers);
    Ok(JsonOk(
        page.iter()
            .map(|i| InstanceDto::new(i, Some(&base)))
            .collect(),
    ))
}

async fn count_get(who: Who, State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let scope = who.scope(&s).await?;
    let mut q = query(&p, filters::from_query(&p, "variables")?)?;
    q.scope = scope;
    p.refuse_unsupported("GET /process-instance/count", known::INSTANCE)?;
    let count = s.engine.count_instances(q).await?;
    Ok(JsonOk(CountDto { count }))
}

async fn count_post(
    who: Who,
    State(s): State<AppState>,
    body: Bytes,
) -> ApiResult<JsonOk<CountDto>> {
    let p = merged(&body, &Params::default())?.counting();
    let scope = who.scope(&s).await?;
    let mut q = query(&p, filters::from_body(&body, "variables")?)?;
    q.scope = scope;
    p.refuse_unsupported("POST /process-instance/count", known::INSTANCE)?;
    let count = s.engine.count_instances(q).await?;
    Ok(JsonOk(CountDto { count }))
}

/// Camunda answers an unknown instance with a 404 `InvalidRequestException`.
fn missing(e: baton_engine::Error) -> ApiError {
    match e {
        baton_engine::Error::NotFound(m) => ApiError::not_found(m),
        other => other.into(),
    }
}

async fn one(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<InstanceDto>> {
    who.may(&s, Target::Instance(&id), Op::ReadInstance).await?;
    let i = s.engine.instance(&id).await.map_err(missing)?;
    Ok(JsonOk(InstanceDto::new(
        &i,
        Some(&super::base_url(&s, &headers)),
    )))
}

async fn delete(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Instance(&id), Op::DeleteInstance)
        .await?;
    let fail_if_missing = p.jaxrs_flag("failIfNotExists", true);
    match s.engine.delete_instance(&id, p.str("deleteReason")).await {
        Ok(()) => Ok(NoContent),
        Err(baton_engine::Error::NotFound(_)) if !fail_if_missing => Ok(NoContent),
        // The engine's NotFoundException, wrapped by Camunda's REST layer: code 0.
        Err(baton_engine::Error::NotFound(_)) => Err(ApiError::engine_not_found(format!(
            "No process instance found for id '{id}': processInstance is null"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The variables of the instance's own scope.
async fn root_variables(s: &AppState, id: &str) -> ApiResult<Vec<(String, Value)>> {
    s.engine.instance(id).await.map_err(missing)?;
    Ok(s.engine
        .variables(id)
        .await?
        .into_iter()
        .filter(|v| v.execution_id == id)
        .map(|v| (v.name, v.value))
        .collect())
}

async fn variables(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<JsonOk<std::collections::BTreeMap<String, VariableOut>>> {
    who.may(&s, Target::Instance(&id), Op::ReadInstance).await?;
    let deserialize = p.jaxrs_flag("deserializeValues", true);
    let vars = root_variables(&s, &id).await?;
    Ok(JsonOk(variables_out(&vars, deserialize)))
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct Modifications {
    pub(crate) modifications: Option<VariablesIn>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub(crate) deletions: Option<Vec<String>>,
}

async fn modify_variables(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<Modifications>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Instance(&id), Op::UpdateInstance)
        .await?;
    let set = read_variables(req.modifications.as_ref())?;
    s.engine
        .modify_variables(&id, None, set, req.deletions.unwrap_or_default())
        .await
        .map_err(missing)?;
    Ok(NoContent)
}

async fn find_variable(s: &AppState, id: &str, name: &str) -> ApiResult<Value> {
    root_variables(s, id)
        .await?
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "process instance variable with name {name} does not exist"
            ))
        })
}

async fn variable(
    who: Who,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    p: Params,
) -> ApiResult<JsonOk<VariableOut>> {
    who.may(&s, Target::Instance(&id), Op::ReadInstance).await?;
    let deserialize = p.jaxrs_flag("deserializeValue", true);
    let v = find_variable(&s, &id, &name).await?;
    Ok(JsonOk(VariableOut::new(&v, deserialize)))
}

async fn variable_data(
    who: Who,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    who.may(&s, Target::Instance(&id), Op::ReadInstance).await?;
    let value = find_variable(&s, &id, &name).await?;
    data_response(&name, value)
}

async fn put_variable(
    who: Who,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    Body(v): Body<VariableIn>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Instance(&id), Op::UpdateInstance)
        .await?;
    let value = v.to_value(&name)?;
    s.engine
        .modify_variables(&id, None, vec![(name, value)], Vec::new())
        .await
        .map_err(missing)?;
    Ok(NoContent)
}

async fn delete_variable(
    who: Who,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Instance(&id), Op::UpdateInstance)
        .await?;
    s.engine
        .modify_variables(&id, None, Vec::new(), vec![name])
        .await
        .map_err(missing)?;
    Ok(NoContent)
}

async fn activity_instances(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<ActivityInstanceDto>> {
    who.may(&s, Target::Instance(&id), Op::ReadInstance).await?;
    let instance = s.engine.instance(&id).await.map_err(missing)?;
    let tree = s.engine.activity_instances(&id).await.map_err(missing)?;
    Ok(JsonOk(ActivityInstanceDto::new(
        &tree,
        &id,
        &instance.definition_id,
    )))
}
