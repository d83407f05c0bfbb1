//! `/execution/{id}/localVariables`: the variables local to one execution, which is
//! where the JavaScript client downloads a `File` variable's bytes from
//! (`/execution/{processInstanceId}/localVariables/{name}/data`).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use baton_engine::Value;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::guard::{Op, Who};
use crate::json::JsonOk;
use crate::params::Params;
use crate::vars::{VariableOut, data_response, variables_out};
use baton_engine::authz::Target;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/execution/{id}/localVariables", get(variables))
        .route("/execution/{id}/localVariables/{name}", get(variable))
        .route("/execution/{id}/localVariables/{name}/data", get(data))
}

/// The variables local to execution `id`.
async fn local(s: &AppState, id: &str) -> ApiResult<Vec<(String, Value)>> {
    Ok(s.engine
        .execution_variables(id)
        .await?
        .into_iter()
        .map(|v| (v.name, v.value))
        .collect())
}

async fn find(s: &AppState, id: &str, name: &str) -> ApiResult<Value> {
    local(s, id)
        .await?
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "execution variable with name {name} does not exist"
            ))
        })
}

async fn variables(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<JsonOk<BTreeMap<String, VariableOut>>> {
    who.may(&s, Target::Execution(&id), Op::ReadInstance)
        .await?;
    let deserialize = p.bool("deserializeValues")?.unwrap_or(true);
    Ok(JsonOk(variables_out(&local(&s, &id).await?, deserialize)))
}

async fn variable(
    who: Who,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    p: Params,
) -> ApiResult<JsonOk<VariableOut>> {
    who.may(&s, Target::Execution(&id), Op::ReadInstance)
        .await?;
    let deserialize = p.bool("deserializeValue")?.unwrap_or(true);
    let v = find(&s, &id, &name).await?;
    Ok(JsonOk(VariableOut::new(&v, deserialize)))
}

async fn data(
    who: Who,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    who.may(&s, Target::Execution(&id), Op::ReadInstance)
        .await?;
    let value = find(&s, &id, &name).await?;
    data_response(&name, value)
}
