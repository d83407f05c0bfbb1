//! `/deployment`: create (multipart, as Camunda Modeler sends it), list, get, delete,
//! and a deployment's resources (list, one, its bytes).

use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use baton_engine::{DeploymentQuery, DeploymentSort, NewDeployment, Sort};

use super::known;
use crate::AppState;
use crate::dto::{CountDto, DeploymentDto, DeploymentResourceDto, DeploymentWithDefinitionsDto};
use crate::error::{ApiError, ApiResult};
use crate::guard::{Op, Who};
use crate::json::{JsonOk, NoContent};
use crate::params::Params;
use baton_engine::authz::{Resource, Target, perm};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/deployment/create", post(create))
        .route("/deployment", get(list))
        .route("/deployment/count", get(count))
        .route("/deployment/{id}", get(one).delete(delete))
        .route("/deployment/{id}/resources", get(resources))
        .route("/deployment/{id}/resources/{resource}", get(resource))
        .route(
            "/deployment/{id}/resources/{resource}/data",
            get(resource_data),
        )
}

/// A multipart boolean, read as Camunda reads it (`Boolean.parseBoolean`): `true`
/// in any case is true, anything else false.
fn multipart_bool(text: &str) -> bool {
    text.eq_ignore_ascii_case("true")
}

/// `POST /deployment/create`: text parts configure the deployment; every other part
/// is a resource named after its file.
async fn create(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<JsonOk<DeploymentWithDefinitionsDto>> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::invalid(format!(
            "A deployment is a multipart/form-data request: {e}"
        ))
    })?;
    let mut d = NewDeployment::default();
    let bad_part = |e: axum::extract::multipart::MultipartError| {
        ApiError::new(
            e.status(),
            "InvalidRequestException",
            format!("Cannot read the multipart request: {}", e.body_text()),
        )
    };
    while let Some(field) = multipart.next_field().await.map_err(bad_part)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(bad_part)?;
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        match (name.as_str(), file) {
            ("deployment-name", None) => d.name = Some(text()),
            ("deployment-source", None) => d.source = Some(text()),
            ("tenant-id", None) => d.tenant_id = Some(text()).filter(|t| !t.is_empty()),
            ("deployment-activation-time", None) => {}
            ("enable-duplicate-filtering", None) => d.duplicate_filtering = multipart_bool(&text()),
            ("deploy-changed-only", None) => d.changed_only = multipart_bool(&text()),
            (_, Some(file)) if !file.is_empty() => d.resources.push((file, bytes.to_vec())),
            (_, _) => {
                return Err(ApiError::invalid(format!(
                    "No file name found in the deployment resource described by form parameter '{name}'."
                )));
            }
        }
    }
    if d.resources.is_empty() {
        return Err(ApiError::invalid(
            "No deployment resources contained in the form upload.",
        ));
    }
    who.need(&s, Resource::Deployment, perm::CREATE, None)
        .await?;
    who.may_use_tenant(d.tenant_id.as_deref(), "deploy")?;
    let result = s.engine.deploy(d).await?;
    Ok(JsonOk(DeploymentWithDefinitionsDto::new(
        &result.deployment,
        &result.definitions,
        &super::base_url(&s, &headers),
    )))
}

const SORTS: &[&str] = &["id", "name", "deploymentTime", "tenantId"];

/// The deployments a list or count names.
fn query(p: &Params) -> ApiResult<DeploymentQuery> {
    Ok(DeploymentQuery {
        name_like: p.str("nameLike"),
        source: p.str("source"),
        tenant_ids: p.list("tenantIdIn"),
        without_tenant_id: p.flag("withoutTenantId")?,
        id: p.str("id"),
        name: p.str("name"),
        ..DeploymentQuery::default()
    })
}

async fn list(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    p: Params,
) -> ApiResult<JsonOk<Vec<DeploymentDto>>> {
    let sort = p.sorting(SORTS)?.map(|(by, descending)| Sort {
        by: match by.as_str() {
            "id" => DeploymentSort::Id,
            "name" => DeploymentSort::Name,
            "deploymentTime" => DeploymentSort::DeploymentTime,
            _ => DeploymentSort::TenantId,
        },
        descending,
    });
    let (first_result, max_results) = p.paging()?;
    let q = DeploymentQuery {
        sort,
        first_result,
        max_results,
        scope: who.scope(&s).await?,
        ..query(&p)?
    };
    p.refuse_unsupported("GET /deployment", known::DEPLOYMENT)?;
    let page = s.engine.query_deployments(q).await?;
    let base = super::base_url(&s, &headers);
    Ok(JsonOk(
        page.iter()
            .map(|d| DeploymentDto::new(d, Some(&base)))
            .collect(),
    ))
}

async fn count(who: Who, State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let q = DeploymentQuery {
        scope: who.scope(&s).await?,
        ..query(&p)?
    };
    p.refuse_unsupported("GET /deployment/count", known::DEPLOYMENT)?;
    let count = s.engine.count_deployments(q).await?;
    Ok(JsonOk(CountDto { count }))
}

async fn one(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<DeploymentDto>> {
    who.may(&s, Target::Deployment(&id), Op::ReadDeployment)
        .await?;
    let found = s.engine.deployments(Some(id.clone()), None).await?;
    let d = found
        .first()
        .ok_or_else(|| ApiError::not_found(format!("Deployment with id '{id}' does not exist")))?;
    Ok(JsonOk(DeploymentDto::new(
        d,
        Some(&super::base_url(&s, &headers)),
    )))
}

async fn delete(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Deployment(&id), Op::DeleteDeployment)
        .await?;
    // Camunda compares the first value with "true", exactly.
    let cascade = p.str("cascade").as_deref() == Some("true");
    match s.engine.delete_deployment(&id, cascade).await {
        Ok(()) => Ok(NoContent),
        // Camunda's own lookup, worded as it words it ("do not exist").
        Err(baton_engine::Error::NotFound(_)) => Err(ApiError::not_found(format!(
            "Deployment with id '{id}' do not exist"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The resources of deployment `id`, for a caller who may read it; Camunda's 404
/// when there are none (an unknown deployment).
async fn readable_resources(
    who: &Who,
    s: &AppState,
    id: &str,
) -> ApiResult<Vec<baton_engine::DeploymentResource>> {
    who.may(s, Target::Deployment(id), Op::ReadDeployment)
        .await?;
    let found = s.engine.deployment_resources(id).await?;
    if found.is_empty() {
        return Err(ApiError::not_found(format!(
            "Deployment resources for deployment id '{id}' do not exist."
        )));
    }
    Ok(found)
}

/// `GET /deployment/{id}/resources`: the deployment's files, by name.
async fn resources(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<Vec<DeploymentResourceDto>>> {
    let found = readable_resources(&who, &s, &id).await?;
    Ok(JsonOk(found.iter().map(Into::into).collect()))
}

/// `GET /deployment/{id}/resources/{resource}`: one file of the deployment.
async fn resource(
    who: Who,
    State(s): State<AppState>,
    Path((id, resource)): Path<(String, String)>,
) -> ApiResult<JsonOk<DeploymentResourceDto>> {
    let found = readable_resources(&who, &s, &id).await?;
    let r = found.iter().find(|r| r.id == resource).ok_or_else(|| {
        ApiError::not_found(format!(
            "Deployment resource with resource id '{resource}' for deployment id '{id}' does not exist."
        ))
    })?;
    Ok(JsonOk(r.into()))
}

/// The content type Camunda's `DeploymentResourcesResourceImpl` answers a
/// resource with, by the extension of its name (after its last dot, as written);
/// `application/octet-stream` for any other.
fn media_type(name: &str) -> &'static str {
    let extension = name.rsplit('.').next().unwrap_or_default();
    match extension {
        "bpmn" | "cmmn" | "dmn" | "xml" => "application/xml",
        "json" => "application/json",
        "gif" => "image/gif",
        "jpeg" | "jpe" | "jpg" => "image/jpeg",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "tiff" | "tif" => "image/tiff",
        "groovy" | "java" | "js" | "php" | "py" | "rb" | "txt" => "text/plain",
        "html" => "text/html",
        _ => "application/octet-stream",
    }
}

/// The `Content-Disposition` of resource `name`: an attachment named after its
/// last path segment (either slash), as Camunda's; a name a header cannot carry
/// is replaced by `data`, Camunda's name for a resource without one.
fn disposition(name: &str) -> HeaderValue {
    let file = name.rsplit(['/', '\\']).next().unwrap_or_default();
    HeaderValue::from_bytes(format!("attachment; filename={file}").as_bytes())
        .unwrap_or_else(|_| HeaderValue::from_static("attachment; filename=data"))
}

/// `GET /deployment/{id}/resources/{resource}/data`: the file's bytes as deployed,
/// with Camunda's content type for its extension. Camunda answers an unknown
/// resource with a 500 (the engine's `NullValueException`); Baton answers it with
/// the 404 Camunda's REST layer words for it.
async fn resource_data(
    who: Who,
    State(s): State<AppState>,
    Path((id, resource)): Path<(String, String)>,
) -> ApiResult<Response> {
    who.may(&s, Target::Deployment(&id), Op::ReadDeployment)
        .await?;
    let (r, bytes) = s
        .engine
        .deployment_resource_data(&id, &resource)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Deployment resource '{resource}' for deployment id '{id}' does not exist."
            ))
        })?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(media_type(&r.name)),
            ),
            (header::CONTENT_DISPOSITION, disposition(&r.name)),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_typed_by_their_extension_as_camunda_types_them() {
        assert_eq!(media_type("order.bpmn"), "application/xml");
        assert_eq!(media_type("a/b/c.dmn"), "application/xml");
        assert_eq!(media_type("form.json"), "application/json");
        // Camunda's map has no `form`: a Camunda Form is served as bytes.
        assert_eq!(media_type("invoice.form"), "application/octet-stream");
        assert_eq!(media_type("logo.png"), "image/png");
        assert_eq!(media_type("page.html"), "text/html");
        // As written: Camunda's lookup is case-sensitive.
        assert_eq!(media_type("ORDER.BPMN"), "application/octet-stream");
        assert_eq!(media_type("README"), "application/octet-stream");
    }

    #[test]
    fn the_attachment_is_named_after_the_last_path_segment() {
        assert_eq!(disposition("forms/a.form"), "attachment; filename=a.form");
        assert_eq!(disposition("forms\\b.bpmn"), "attachment; filename=b.bpmn");
        assert_eq!(disposition("bad\nname"), "attachment; filename=data");
    }
}
