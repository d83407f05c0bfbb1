//! Start forms of `/process-definition` (by id, by key, by key and tenant):
//! `startForm`, `form-variables`, `submit-form` and `deployed-start-form`, as
//! Camunda's `ProcessDefinitionResourceImpl` answers them.
//!
//! The rules are the engine's (`baton_engine::form`); each route maps the
//! engine's errors the way Camunda's resource does, except that a client's
//! mistake Camunda answers with a 500 (a value a form refuses) is a 400 here.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use baton_engine::Error;
use baton_engine::form::{
    CamundaFormRef, DeployedForm, FormInfo, FormVariable, generated_start_form_key,
    generated_task_form_key,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use super::definition::latest;
use crate::AppState;
use crate::dto::InstanceDto;
use crate::error::{ApiError, ApiResult};
use crate::guard::{Op, Who};
use crate::json::{Body, JsonOk};
use crate::lenient;
use crate::params::Params;
use crate::vars::{VariablesIn, read_variables};
use baton_engine::authz::Target;

pub(super) fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for base in [
        "/process-definition/{id}",
        "/process-definition/key/{key}",
        "/process-definition/key/{key}/tenant-id/{tenant}",
    ] {
        router = router
            .route(&format!("{base}/startForm"), get(start_form))
            .route(&format!("{base}/form-variables"), get(form_variables))
            .route(&format!("{base}/submit-form"), post(submit_form))
            .route(
                &format!("{base}/deployed-start-form"),
                get(deployed_start_form),
            )
            .route(&format!("{base}/rendered-form"), get(rendered_start_form));
    }
    router
}

/// The path parameters of a route, by name: `id`, or `key` (and `tenant`).
type Named = Path<Vec<(String, String)>>;

/// The definition id the path names: the id itself, or the latest version of the
/// key (in the tenant, or without one), whose absence is Camunda's 404.
async fn definition_id(s: &AppState, Path(params): Named) -> ApiResult<String> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    match (get("id"), get("key")) {
        (Some(id), _) => Ok(id),
        (None, key) => {
            let key = key.unwrap_or_default();
            Ok(latest(s, &key, get("tenant").as_deref()).await?.id)
        }
    }
}

/// `camundaFormRef` of Camunda's `FormDto`.
#[derive(Debug, Serialize)]
struct CamundaFormRefDto {
    key: String,
    binding: String,
    version: Option<i64>,
}

impl From<&CamundaFormRef> for CamundaFormRefDto {
    fn from(r: &CamundaFormRef) -> Self {
        CamundaFormRefDto {
            key: r.key.clone(),
            binding: r.binding.clone(),
            version: r.version,
        }
    }
}

/// Camunda's `FormDto`: every key, null or not. The task routes answer
/// `GET /task/{id}/form` with [`FormDto::task`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FormDto {
    key: Option<String>,
    camunda_form_ref: Option<CamundaFormRefDto>,
    /// A Java process application's context path; Baton has none.
    context_path: Option<String>,
}

impl FormDto {
    /// The start form's DTO: a form with fields but no key and no reference gets
    /// Camunda's generated key.
    pub(crate) fn start(definition_id: &str, form: &FormInfo) -> FormDto {
        let mut key = form.key.clone();
        if key.as_deref().is_none_or(str::is_empty)
            && form.camunda_form_ref.is_none()
            && form.has_fields
        {
            key = Some(generated_start_form_key(definition_id));
        }
        FormDto {
            key,
            camunda_form_ref: form.camunda_form_ref.as_ref().map(Into::into),
            context_path: None,
        }
    }

    /// A task form's DTO (`GET /task/{id}/form`): a form with fields but no key gets
    /// Camunda's generated key (Camunda's task resource does not look at the form
    /// reference for that, unlike its start-form resource).
    #[allow(dead_code)] // for `GET /task/{id}/form`, which the task routes add (issue 14)
    pub(crate) fn task(task_id: &str, form: &FormInfo) -> FormDto {
        let mut key = form.key.clone();
        if key.as_deref().is_none_or(str::is_empty) && form.has_fields {
            key = Some(generated_task_form_key(task_id));
        }
        FormDto {
            key,
            camunda_form_ref: form.camunda_form_ref.as_ref().map(Into::into),
            context_path: None,
        }
    }
}

/// Form variables as Camunda answers them: a map by name of typed values, whose
/// type is named also for a null value. The task routes append the task's other
/// variables to it for `GET /task/{id}/form-variables`.
pub(crate) fn form_variables_out(variables: Vec<FormVariable>) -> Map<String, Json> {
    variables
        .into_iter()
        .map(|v| {
            let body = json!({
                "type": v.type_name,
                "value": v.value.to_json(),
                "valueInfo": v.value.value_info(),
            });
            (v.name, body)
        })
        .collect()
}

/// A deployed form as Camunda answers it, with its content type; the engine's
/// errors as Camunda's REST layer raises them itself (without a code): a missing
/// form or resource a 404, a key that references no deployed form a 400. The task
/// routes answer `GET /task/{id}/deployed-form` with it.
pub(crate) fn deployed_form_response(
    form: baton_engine::Result<DeployedForm>,
) -> ApiResult<Response> {
    let form = form.map_err(|e| match e {
        Error::NotFound(m) => ApiError::not_found(m),
        Error::Invalid(m) => ApiError::invalid(m),
        other => other.into(),
    })?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, form.content_type)],
        form.bytes,
    )
        .into_response())
}

/// `GET …/startForm`. Camunda answers any engine error (an unknown id, a process
/// without a start form) with a 400 naming the definition.
async fn start_form(
    who: Who,
    State(s): State<AppState>,
    path: Named,
) -> ApiResult<JsonOk<FormDto>> {
    let id = definition_id(&s, path).await?;
    who.may(&s, Target::Definition(&id), Op::ReadDefinition)
        .await?;
    let start = s.engine.start_form(&id).await.map_err(|e| match e {
        e if e.is_client_error() => ApiError::invalid(format!(
            "Cannot get start form data for process definition {id}"
        ))
        .with_code(0),
        other => other.into(),
    })?;
    Ok(JsonOk(FormDto::start(&start.definition_id, &start.form)))
}

/// `GET …/form-variables?variableNames=a,b`: the fields' typed defaults.
async fn form_variables(
    who: Who,
    State(s): State<AppState>,
    path: Named,
    p: Params,
) -> ApiResult<JsonOk<Map<String, Json>>> {
    let id = definition_id(&s, path).await?;
    who.may(&s, Target::Definition(&id), Op::ReadDefinition)
        .await?;
    let names: Option<Vec<String>> = p
        .str("variableNames")
        .map(|n| n.split(',').map(str::to_owned).collect());
    // Form values are never serialized objects, so deserializing changes nothing.
    p.jaxrs_flag("deserializeValues", true);
    let variables = s
        .engine
        .start_form_variables(&id, names.as_deref())
        .await
        .map_err(|e| match e {
            // The engine's own exceptions, which Camunda answers with their type.
            Error::NotFound(m) => {
                ApiError::new(StatusCode::BAD_REQUEST, "NotFoundException", m).with_code(0)
            }
            Error::Invalid(m) if m.starts_with("No startFormHandler") => {
                ApiError::new(StatusCode::BAD_REQUEST, "NullValueException", m).with_code(0)
            }
            other => other.into(),
        })?;
    Ok(JsonOk(form_variables_out(variables)))
}

/// The body of `POST …/submit-form`: Camunda's `StartProcessInstanceFormDto`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SubmitRequest {
    variables: Option<VariablesIn>,
    #[serde(default, deserialize_with = "lenient::string")]
    business_key: Option<String>,
}

/// `POST …/submit-form`: starts an instance with the form's checked and
/// converted variables, answering it as `/start` does.
async fn submit_form(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    path: Named,
    Body(req): Body<SubmitRequest>,
) -> ApiResult<JsonOk<InstanceDto>> {
    let id = definition_id(&s, path).await?;
    who.may(&s, Target::Definition(&id), Op::CreateInstance)
        .await?;
    let variables = read_variables(req.variables.as_ref())?;
    let business_key = req.business_key.filter(|k| !k.is_empty());
    let prefix = format!("Cannot instantiate process definition {id}: ");
    let instance = s
        .engine
        .submit_start_form(&id, business_key, variables)
        .await
        .map_err(|e| match e {
            // Camunda answers an unknown id with a 500; it is the caller's mistake.
            Error::NotFound(_) => ApiError::rest_not_found(format!(
                "{prefix}no deployed process definition found with id '{id}': \
                 processDefinition is null"
            ))
            .with_code(0),
            other => ApiError::from(other).prefixed(&prefix),
        })?;
    Ok(JsonOk(InstanceDto::new(
        &instance,
        Some(&super::base_url(&s, &headers)),
    )))
}

/// `GET …/deployed-start-form`: the start form's deployed resource, a Camunda
/// Form as `application/json`, an embedded form as `application/xhtml+xml`.
async fn deployed_start_form(
    who: Who,
    State(s): State<AppState>,
    path: Named,
) -> ApiResult<Response> {
    let id = definition_id(&s, path).await?;
    who.may(&s, Target::Definition(&id), Op::ReadDefinition)
        .await?;
    deployed_form_response(s.engine.deployed_start_form(&id).await)
}

/// `GET …/rendered-form`: the start event's generated form (`camunda:formData`)
/// as HTML in Camunda's markup, or Camunda's 404 when it has no form fields.
async fn rendered_start_form(
    who: Who,
    State(s): State<AppState>,
    path: Named,
) -> ApiResult<Response> {
    let id = definition_id(&s, path).await?;
    who.may(&s, Target::Definition(&id), Op::ReadDefinition)
        .await?;
    let html = s
        .engine
        .rendered_start_form(&id)
        .await
        .map_err(|e| match e {
            Error::NotFound(m) => ApiError::not_found(m),
            Error::Invalid(m) => ApiError::invalid(m),
            other => other.into(),
        })?;
    rendered_form_response(html, || {
        format!("No matching rendered start form for process definition with the id {id} found.")
    })
}

/// A rendered form as `application/xhtml+xml`, as Camunda answers it, or a 404
/// with `missing`'s message when there is none.
pub(crate) fn rendered_form_response(
    html: Option<String>,
    missing: impl FnOnce() -> String,
) -> ApiResult<Response> {
    let html = html.ok_or_else(|| ApiError::not_found(missing()))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/xhtml+xml")],
        html,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_camundas_for_start_and_task_forms() {
        let with_ref = FormInfo {
            camunda_form_ref: Some(CamundaFormRef {
                key: "f".into(),
                binding: "latest".into(),
                version: None,
            }),
            has_fields: true,
            ..FormInfo::default()
        };
        // A start form with a reference keeps no key; a task form gets one anyway.
        assert_eq!(FormDto::start("p:1:u", &with_ref).key, None);
        assert_eq!(
            FormDto::task("t1", &with_ref).key.as_deref(),
            Some("embedded:engine://engine/:engine/task/t1/rendered-form")
        );
        let plain = FormInfo::default();
        assert_eq!(FormDto::task("t1", &plain).key, None);
        let fields = FormInfo {
            key: Some(String::new()),
            has_fields: true,
            ..FormInfo::default()
        };
        assert_eq!(
            FormDto::start("p:1:u", &fields).key.as_deref(),
            Some("embedded:engine://engine/:engine/process-definition/p:1:u/rendered-form")
        );
    }
}
