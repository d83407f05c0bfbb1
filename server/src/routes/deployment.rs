//! `/deployment`: create (multipart, as Camunda Modeler sends it), list, get, delete.

use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use baton_engine::{DeploymentQuery, DeploymentSort, NewDeployment, Sort};

use super::known;
use crate::AppState;
use crate::dto::{CountDto, DeploymentDto, DeploymentWithDefinitionsDto};
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
