//! `/process-instance`: queries, get, delete, variables, the activity-instance tree.

use std::cmp::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use baton_engine::{InstanceQuery, ProcessInstance, Value};
use serde::Deserialize;
use serde_json::Value as Json;

use super::deployment::like;
use super::external_task::merged;
use super::known;
use crate::AppState;
use crate::dto::{ActivityInstanceDto, CountDto, InstanceDto};
use crate::error::{ApiError, ApiResult};
use crate::json::{Body, JsonOk, NoContent, parse_body};
use crate::lenient;
use crate::params::Params;
use crate::vars::{
    VariableIn, VariableOut, VariablesIn, data_response, read_variables, variables_out,
};

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

/// One `variables` filter: `name_op_value` in a query string, `{name, operator,
/// value}` in a body.
#[derive(Debug, Clone)]
struct VariableFilter {
    name: String,
    op: String,
    value: Json,
}

impl VariableFilter {
    fn parse(text: &str) -> ApiResult<VariableFilter> {
        let bad = || {
            ApiError::invalid(format!(
                "Cannot read variable filter '{text}': it must be name_operator_value"
            ))
        };
        for op in [
            "_eq_", "_neq_", "_gteq_", "_gt_", "_lteq_", "_lt_", "_like_",
        ] {
            if let Some(at) = text.find(op) {
                let value = &text[at + op.len()..];
                return Ok(VariableFilter {
                    name: text[..at].to_owned(),
                    op: op.trim_matches('_').to_owned(),
                    // A query string cannot say a value's type: numbers and booleans
                    // are read as such, everything else as text.
                    value: serde_json::from_str::<Json>(value)
                        .ok()
                        .filter(|v| v.is_number() || v.is_boolean())
                        .unwrap_or_else(|| Json::String(value.to_owned())),
                });
            }
        }
        Err(bad())
    }

    fn matches(&self, vars: &[(String, Value)]) -> bool {
        vars.iter()
            .filter(|(n, _)| *n == self.name)
            .any(|(_, v)| compare(v, &self.op, &self.value))
    }
}

fn compare(v: &Value, op: &str, wanted: &Json) -> bool {
    let actual = v.to_json();
    let order = match (&actual, wanted) {
        (Json::Number(a), Json::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Json::String(a), Json::String(b)) => Some(a.cmp(b)),
        (Json::Bool(a), Json::Bool(b)) => Some(a.cmp(b)),
        (Json::String(a), other) => Some(a.as_str().cmp(other.to_string().as_str())),
        _ => None,
    };
    match op {
        "eq" => order == Some(Ordering::Equal),
        "neq" => order != Some(Ordering::Equal),
        "gt" => order == Some(Ordering::Greater),
        "gteq" => matches!(order, Some(Ordering::Greater | Ordering::Equal)),
        "lt" => order == Some(Ordering::Less),
        "lteq" => matches!(order, Some(Ordering::Less | Ordering::Equal)),
        "like" => match (&actual, wanted) {
            (Json::String(a), Json::String(p)) => like(a, p),
            _ => false,
        },
        _ => false,
    }
}

async fn query(
    s: &AppState,
    p: &Params,
    filters: &[VariableFilter],
) -> ApiResult<Vec<ProcessInstance>> {
    let q = InstanceQuery {
        ids: p.list("processInstanceIds"),
        business_key: p.str("businessKey"),
        definition_id: p.str("processDefinitionId"),
        definition_key: p.str("processDefinitionKey"),
        super_instance_id: p.str("superProcessInstance"),
        sub_instance_id: p.str("subProcessInstance"),
        with_incident: p.flag("withIncident")?,
        ..InstanceQuery::default()
    };
    let keys = p.set("processDefinitionKeyIn");
    let not_keys = p.set("processDefinitionKeyNotIn");
    let roots_only = p.flag("rootProcessInstances")?;
    let tenants = super::Tenants::read(p)?;
    let business_like = p.str("businessKeyLike");
    let suspended = p.bool("suspended")?;
    let active = p.bool("active")?;
    let activities = p.set("activityIdIn");
    let mut out = Vec::new();
    for i in s.engine.instances(q).await? {
        let keep = (keys.is_empty() || keys.contains(&i.definition_key))
            && !not_keys.contains(&i.definition_key)
            && (!roots_only || i.super_instance_id.is_none())
            && tenants.admits(i.tenant_id.as_ref())
            && business_like
                .as_deref()
                .is_none_or(|l| i.business_key.as_deref().is_some_and(|b| like(b, l)))
            && suspended.is_none_or(|x| i.suspended == x)
            && active.is_none_or(|x| i.suspended != x);
        if !keep {
            continue;
        }
        if !filters.is_empty() {
            let vars: Vec<(String, Value)> = s
                .engine
                .variables(&i.id)
                .await?
                .into_iter()
                .map(|v| (v.name, v.value))
                .collect();
            if !filters.iter().all(|f| f.matches(&vars)) {
                continue;
            }
        }
        if !activities.is_empty() {
            let tree = s.engine.activity_instances(&i.id).await?;
            let mut stack = vec![&tree];
            let mut found = false;
            while let Some(node) = stack.pop() {
                found |= activities.contains(&node.activity_id);
                stack.extend(node.children.iter());
            }
            if !found {
                continue;
            }
        }
        out.push(i);
    }
    Ok(out)
}

fn query_filters(p: &Params) -> ApiResult<Vec<VariableFilter>> {
    p.list("variables")
        .iter()
        .map(|f| VariableFilter::parse(f))
        .collect()
}

#[derive(Debug, Deserialize)]
struct BodyFilter {
    #[serde(default, deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    operator: Option<String>,
    #[serde(default)]
    value: Json,
}

fn body_filters(body: &[u8]) -> ApiResult<Vec<VariableFilter>> {
    let json: Json = parse_body(body)?;
    let Some(list) = json.get("variables").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list: Vec<BodyFilter> = serde_json::from_value(list.clone())
        .map_err(|e| ApiError::invalid(format!("Cannot read the variables filter: {e}")))?;
    list.into_iter()
        .map(|f| {
            let (Some(name), Some(op)) = (f.name, f.operator) else {
                return Err(ApiError::invalid(
                    "Cannot read the variables filter: each needs a name and an operator",
                ));
            };
            if !OPERATORS.contains(&op.as_str()) {
                return Err(ApiError::invalid(format!(
                    "Invalid variable comparator specified: {op}"
                )));
            }
            Ok(VariableFilter {
                name,
                op,
                value: f.value,
            })
        })
        .collect()
}

/// The comparators of a `variables` filter, as Camunda names them.
const OPERATORS: &[&str] = &["eq", "neq", "gt", "gteq", "lt", "lteq", "like"];

const SORTS: &[&str] = &[
    "instanceId",
    "definitionKey",
    "definitionId",
    "tenantId",
    "businessKey",
];

fn page(all: Vec<ProcessInstance>, p: &Params) -> ApiResult<Vec<ProcessInstance>> {
    Ok(super::sort_and_page(
        all,
        p.sorting(SORTS)?,
        |by, i| match by {
            "definitionKey" => i.definition_key.clone(),
            "definitionId" => i.definition_id.clone(),
            "tenantId" => i.tenant_id.clone().unwrap_or_default(),
            "businessKey" => i.business_key.clone().unwrap_or_default(),
            _ => i.id.clone(),
        },
        p.paging()?,
    ))
}

async fn list_get(
    State(s): State<AppState>,
    headers: HeaderMap,
    p: Params,
) -> ApiResult<JsonOk<Vec<InstanceDto>>> {
    let all = query(&s, &p, &query_filters(&p)?).await?;
    let page = page(all, &p)?;
    p.refuse_unsupported("GET /process-instance", known::INSTANCE)?;
    let base = super::base_url(&s, &headers);
    Ok(JsonOk(
        page.iter()
            .map(|i| InstanceDto::new(i, Some(&base)))
            .collect(),
    ))
}

async fn list_post(
    State(s): State<AppState>,
    headers: HeaderMap,
    query_params: Params,
    body: Bytes,
) -> ApiResult<JsonOk<Vec<InstanceDto>>> {
    let p = merged(&body, &query_params)?;
    let all = query(&s, &p, &body_filters(&body)?).await?;
    let page = page(all, &p)?;
    p.refuse_unsupported("POST /process-instance", known::INSTANCE)?;
    let base = super::base_url(&s, &headers);
    Ok(JsonOk(
        page.iter()
            .map(|i| InstanceDto::new(i, Some(&base)))
            .collect(),
    ))
}

async fn count_get(State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let count = query(&s, &p, &query_filters(&p)?).await?.len();
    p.refuse_unsupported("GET /process-instance/count", known::INSTANCE)?;
    Ok(JsonOk(CountDto { count }))
}

async fn count_post(State(s): State<AppState>, body: Bytes) -> ApiResult<JsonOk<CountDto>> {
    let p = merged(&body, &Params::default())?.counting();
    let count = query(&s, &p, &body_filters(&body)?).await?.len();
    p.refuse_unsupported("POST /process-instance/count", known::INSTANCE)?;
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
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<InstanceDto>> {
    let i = s.engine.instance(&id).await.map_err(missing)?;
    Ok(JsonOk(InstanceDto::new(
        &i,
        Some(&super::base_url(&s, &headers)),
    )))
}

async fn delete(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<NoContent> {
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
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<JsonOk<std::collections::BTreeMap<String, VariableOut>>> {
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
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<Modifications>,
) -> ApiResult<NoContent> {
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
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    p: Params,
) -> ApiResult<JsonOk<VariableOut>> {
    let deserialize = p.jaxrs_flag("deserializeValue", true);
    let v = find_variable(&s, &id, &name).await?;
    Ok(JsonOk(VariableOut::new(&v, deserialize)))
}

async fn variable_data(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let value = find_variable(&s, &id, &name).await?;
    data_response(&name, value)
}

async fn put_variable(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    Body(v): Body<VariableIn>,
) -> ApiResult<NoContent> {
    let value = v.to_value(&name)?;
    s.engine
        .modify_variables(&id, None, vec![(name, value)], Vec::new())
        .await
        .map_err(missing)?;
    Ok(NoContent)
}

async fn delete_variable(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<NoContent> {
    s.engine
        .modify_variables(&id, None, Vec::new(), vec![name])
        .await
        .map_err(missing)?;
    Ok(NoContent)
}

async fn activity_instances(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<ActivityInstanceDto>> {
    let instance = s.engine.instance(&id).await.map_err(missing)?;
    let tree = s.engine.activity_instances(&id).await.map_err(missing)?;
    Ok(JsonOk(ActivityInstanceDto::new(
        &tree,
        &id,
        &instance.definition_id,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_filters_read_and_compare() {
        let vars = vec![
            ("amount".to_owned(), Value::Integer(50)),
            ("tier".to_owned(), Value::from("gold")),
        ];
        let check = |f: &str| VariableFilter::parse(f).expect("a filter").matches(&vars);
        assert!(check("amount_eq_50"));
        assert!(check("amount_gt_10"));
        assert!(!check("amount_lt_10"));
        assert!(check("amount_gteq_50"));
        assert!(check("tier_eq_gold"));
        assert!(check("tier_neq_silver"));
        assert!(check("tier_like_g%"));
        assert!(!check("missing_eq_1"));
        assert!(VariableFilter::parse("nonsense").is_err());
    }
}
