//! `/authorization`: Camunda's authorizations (list, count, create, get, update,
//! delete) and `check`, over [`baton_engine::authz`].

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use baton_engine::Principal;
use baton_engine::authz::{Authorization, AuthorizationQuery, AuthorizationSpec, Resource, perm};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::dto::CountDto;
use crate::error::{ApiError, ApiResult};
use crate::guard::Who;
use crate::json::{Body, JsonOk, NoContent};
use crate::lenient;
use crate::params::Params;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/authorization", get(list))
        .route("/authorization/count", get(count))
        .route("/authorization/create", post(create))
        .route("/authorization/check", get(check))
        .route("/authorization/{id}", get(one).put(update).delete(delete))
}

/// Camunda's `AuthorizationDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizationDto {
    id: String,
    #[serde(rename = "type")]
    kind: i64,
    permissions: Vec<String>,
    user_id: Option<String>,
    group_id: Option<String>,
    resource_type: i64,
    resource_id: String,
    removal_time: Option<String>,
    root_process_instance_id: Option<String>,
}

impl From<Authorization> for AuthorizationDto {
    fn from(a: Authorization) -> Self {
        AuthorizationDto {
            permissions: a.permission_names(),
            id: a.id,
            kind: a.kind,
            user_id: a.user_id,
            group_id: a.group_id,
            resource_type: a.resource_type,
            resource_id: a.resource_id,
            removal_time: None,
            root_process_instance_id: None,
        }
    }
}

/// The body of create and update.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AuthorizationIn {
    #[serde(rename = "type", default, deserialize_with = "lenient::int")]
    kind: Option<i64>,
    #[serde(default)]
    permissions: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::string")]
    user_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    group_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    resource_type: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    resource_id: Option<String>,
}

impl AuthorizationIn {
    fn spec(self) -> ApiResult<AuthorizationSpec> {
        let resource_type = self
            .resource_type
            .ok_or_else(|| ApiError::invalid("An authorization needs a resourceType"))?;
        Ok(AuthorizationSpec {
            kind: self.kind.unwrap_or(baton_engine::authz::GRANT),
            permissions: self.permissions.unwrap_or_default(),
            user_id: self.user_id,
            group_id: self.group_id,
            resource_type,
            resource_id: self.resource_id,
        })
    }
}

/// The query parameters `GET /authorization` takes.
const KNOWN: &[&str] = &[
    "id",
    "type",
    "userIdIn",
    "groupIdIn",
    "resourceType",
    "resourceId",
    "sortBy",
    "sortOrder",
    "firstResult",
    "maxResults",
];

async fn query(who: &Who, s: &AppState, p: &Params) -> ApiResult<AuthorizationQuery> {
    let (first, max) = p.paging()?;
    let q = AuthorizationQuery {
        id: p.str("id"),
        kind: p.int("type")?,
        user_ids: p.list("userIdIn"),
        group_ids: p.list("groupIdIn"),
        resource_type: p.int("resourceType")?,
        resource_id: p.str("resourceId"),
        sort: p.sorting(&["resourceType", "resourceId"])?,
        first,
        max,
        scope: who.scope(s).await?,
    };
    p.refuse_unsupported("GET /authorization", KNOWN)?;
    Ok(q)
}

async fn list(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<AuthorizationDto>>> {
    let q = query(&who, &s, &p).await?;
    let found = s.engine.authorizations(q).await?;
    Ok(JsonOk(found.into_iter().map(Into::into).collect()))
}

async fn count(who: Who, State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let q = query(&who, &s, &p).await?;
    Ok(JsonOk(s.engine.authorization_count(q).await?.into()))
}

fn no_authorization(id: &str) -> ApiError {
    ApiError::not_found(format!("Authorization with id {id} does not exist."))
}

async fn one(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<AuthorizationDto>> {
    let found = s
        .engine
        .authorizations(AuthorizationQuery {
            id: Some(id.clone()),
            scope: who.scope(&s).await?,
            ..AuthorizationQuery::default()
        })
        .await?;
    let a = found
        .into_iter()
        .next()
        .ok_or_else(|| no_authorization(&id))?;
    Ok(JsonOk(a.into()))
}

async fn create(
    who: Who,
    State(s): State<AppState>,
    Body(req): Body<AuthorizationIn>,
) -> ApiResult<JsonOk<AuthorizationDto>> {
    who.need(&s, Resource::Authorization, perm::CREATE, None)
        .await?;
    let created = s.engine.create_authorization(req.spec()?).await?;
    Ok(JsonOk(created.into()))
}

async fn update(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<AuthorizationIn>,
) -> ApiResult<NoContent> {
    if s.engine.authorization(&id).await?.is_none() {
        return Err(no_authorization(&id));
    }
    who.need(&s, Resource::Authorization, perm::UPDATE, Some(&id))
        .await?;
    s.engine.update_authorization(&id, req.spec()?).await?;
    Ok(NoContent)
}

async fn delete(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<NoContent> {
    if s.engine.authorization(&id).await?.is_none() {
        return Err(no_authorization(&id));
    }
    who.need(&s, Resource::Authorization, perm::DELETE, Some(&id))
        .await?;
    s.engine.delete_authorization(&id).await?;
    Ok(NoContent)
}

/// Camunda's `AuthorizationCheckResultDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckDto {
    permission_name: String,
    resource_name: String,
    resource_id: Option<String>,
    authorized: bool,
}

/// `GET /authorization/check`: whether the caller (or, for someone allowed to
/// read authorizations, `userId` with `groupIds`) has a permission.
async fn check(
    who: Who,
    State(s): State<AppState>,
    _headers: HeaderMap,
    p: Params,
) -> ApiResult<JsonOk<CheckDto>> {
    let permission_name = p
        .str("permissionName")
        .ok_or_else(|| ApiError::invalid("Query parameter 'permissionName' cannot be null"))?;
    let resource_type = p
        .int("resourceType")?
        .ok_or_else(|| ApiError::invalid("Query parameter 'resourceType' cannot be null"))?;
    let resource_name = p.str("resourceName");
    let resource_id = p.str("resourceId");
    let resource = Resource::from_number(resource_type)
        .ok_or_else(|| ApiError::invalid(format!("Unknown resource type {resource_type}.")))?;
    let bit = resource.permission(&permission_name).ok_or_else(|| {
        ApiError::invalid(format!(
            "The permission '{permission_name}' is not valid for '{}' resource type.",
            resource.name()
        ))
    })?;
    // Camunda reads the value too, and names the permission by its name.
    let _ = p.str("permissionValue");
    let asked_user = p.str("userId");
    let asked_groups = p.list("groupIds");
    let principal: Principal = match (&who.0, asked_user) {
        (None, None) => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "InvalidRequestException",
                "You must be authenticated in order to use this resource.",
            ));
        }
        (Some(me), None) => (**me).clone(),
        (me, Some(user)) => {
            if me.as_ref().is_none_or(|m| m.user_id != user) {
                who.need(&s, Resource::Authorization, perm::READ, None)
                    .await?;
            }
            let mut p = s.engine.principal(&user, &asked_groups).await?;
            if !asked_groups.is_empty() {
                p.groups = asked_groups;
            }
            p
        }
    };
    p.refuse_unsupported(
        "GET /authorization/check",
        &[
            "permissionName",
            "permissionValue",
            "resourceName",
            "resourceType",
            "resourceId",
            "userId",
            "groupIds",
        ],
    )?;
    let grants = s.engine.grants(&principal).await?;
    let authorized = grants.allows(resource, bit, resource_id.as_deref());
    Ok(JsonOk(CheckDto {
        permission_name,
        resource_name: resource_name.unwrap_or_else(|| resource.name().to_owned()),
        resource_id,
        authorized,
    }))
}
