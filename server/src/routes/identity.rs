//! Camunda's identity resources over the engine's identity store: `/user`,
//! `/group`, `/tenant` and `/identity` (verify a password, a user's groups).
//! Authentication and authorization are issue 15's next steps.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use baton_engine::{Group, GroupQuery, Tenant, TenantQuery, User, UserQuery};
use serde::{Deserialize, Serialize};

use super::known;
use crate::AppState;
use crate::dto::CountDto;
use crate::error::{ApiError, ApiResult};
use crate::guard::Who;
use crate::json::{Body, JsonOk, NoContent};
use crate::lenient;
use crate::params::Params;
use baton_engine::authz::{Resource, Scope, perm};

/// The identity routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/user", get(users))
        .route("/user/count", get(user_count))
        .route("/user/create", post(create_user))
        .route("/user/{id}", axum::routing::delete(delete_user))
        .route("/user/{id}/profile", get(profile).put(update_profile))
        .route("/user/{id}/credentials", put(credentials))
        .route("/group", get(groups))
        .route("/group/count", get(group_count))
        .route("/group/create", post(create_group))
        .route(
            "/group/{id}",
            get(group).put(update_group).delete(delete_group),
        )
        .route(
            "/group/{id}/members/{user}",
            put(add_member).delete(remove_member),
        )
        .route("/tenant", get(tenants))
        .route("/tenant/count", get(tenant_count))
        .route("/tenant/create", post(create_tenant))
        .route(
            "/tenant/{id}",
            get(tenant).put(update_tenant).delete(delete_tenant),
        )
        .route(
            "/tenant/{id}/user-members/{user}",
            put(add_tenant_user).delete(remove_tenant_user),
        )
        .route(
            "/tenant/{id}/group-members/{group}",
            put(add_tenant_group).delete(remove_tenant_group),
        )
        .route("/identity/verify", post(verify))
        .route("/identity/groups", get(identity_groups))
}

/// Camunda's `UserProfileDto`.
#[derive(Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ProfileDto {
    #[serde(default, deserialize_with = "lenient::string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    first_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    last_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    email: Option<String>,
}

impl From<User> for ProfileDto {
    fn from(u: User) -> Self {
        ProfileDto {
            id: Some(u.id),
            first_name: u.first_name,
            last_name: u.last_name,
            email: u.email,
        }
    }
}

impl ProfileDto {
    fn user(self, id: Option<&str>) -> ApiResult<User> {
        let id = self
            .id
            .or_else(|| id.map(str::to_owned))
            .ok_or_else(|| ApiError::invalid("A user profile needs an id"))?;
        Ok(User {
            id,
            first_name: self.first_name,
            last_name: self.last_name,
            email: self.email,
        })
    }
}

/// Camunda's `UserCredentialsDto`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CredentialsDto {
    #[serde(default, deserialize_with = "lenient::string")]
    password: Option<String>,
    /// The caller's own current password: with authentication on, a password
    /// changes only when it is right, as in Camunda (so a leaked session alone
    /// cannot take over an account).
    #[serde(default, deserialize_with = "lenient::string")]
    authenticated_user_password: Option<String>,
}

/// Camunda's `UserDto`: a profile and credentials.
#[derive(Debug, Deserialize, Default)]
struct NewUserDto {
    #[serde(default)]
    profile: Option<ProfileDto>,
    #[serde(default)]
    credentials: Option<CredentialsDto>,
}

/// Camunda's `GroupDto`.
#[derive(Debug, Serialize, Deserialize, Default)]
struct GroupDto {
    #[serde(default, deserialize_with = "lenient::string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string", rename = "type")]
    kind: Option<String>,
}

impl From<Group> for GroupDto {
    fn from(g: Group) -> Self {
        GroupDto {
            id: Some(g.id),
            name: g.name,
            kind: g.kind,
        }
    }
}

fn user_query(p: &Params, scope: Option<Scope>) -> ApiResult<UserQuery> {
    let (first_result, max_results) = p.paging()?;
    let q = UserQuery {
        id: p.str("id"),
        ids: p.list("idIn"),
        first_name: p.str("firstName"),
        last_name: p.str("lastName"),
        email: p.str("email"),
        first_name_like: p.str("firstNameLike"),
        last_name_like: p.str("lastNameLike"),
        email_like: p.str("emailLike"),
        sort: p.sorting(&["userId", "firstName", "lastName", "email"])?,
        member_of_group: p.str("memberOfGroup"),
        member_of_tenant: p.str("memberOfTenant"),
        first_result,
        max_results,
        scope,
    };
    p.refuse_unsupported("GET /user", known::USER)?;
    Ok(q)
}

async fn users(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<ProfileDto>>> {
    let q = user_query(&p, who.scope(&s).await?)?;
    let list = s.engine.users(q).await?;
    Ok(JsonOk(list.into_iter().map(ProfileDto::from).collect()))
}

async fn user_count(who: Who, State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let q = user_query(&p, who.scope(&s).await?)?;
    let count = s.engine.user_count(q).await?;
    Ok(JsonOk(count.into()))
}

fn no_user(id: &str) -> ApiError {
    ApiError::not_found(format!("User with id {id} does not exist"))
}

async fn create_user(
    who: Who,
    State(s): State<AppState>,
    Body(req): Body<NewUserDto>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::User, perm::CREATE, None).await?;
    let user = req.profile.unwrap_or_default().user(None)?;
    let password = req.credentials.and_then(|c| c.password);
    s.engine.create_user(user, password.as_deref()).await?;
    Ok(NoContent)
}

async fn profile(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<ProfileDto>> {
    let user = s
        .engine
        .users(UserQuery {
            id: Some(id.clone()),
            scope: who.scope(&s).await?,
            ..UserQuery::default()
        })
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| no_user(&id))?;
    Ok(JsonOk(user.into()))
}

async fn update_profile(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<ProfileDto>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::User, perm::UPDATE, Some(&id))
        .await?;
    let user = req.user(Some(&id))?;
    s.engine.update_user(&id, user).await.map_err(|e| match e {
        baton_engine::Error::NotFound(_) => no_user(&id),
        other => other.into(),
    })?;
    Ok(NoContent)
}

async fn credentials(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<CredentialsDto>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::User, perm::UPDATE, Some(&id))
        .await?;
    if let Some(me) = &who.0 {
        let given = req.authenticated_user_password.unwrap_or_default();
        if !s.engine.verify_password(&me.user_id, &given).await? {
            return Err(ApiError::invalid(
                "The given authenticated user password is not valid.",
            ));
        }
    }
    let password = req
        .password
        .ok_or_else(|| ApiError::invalid("A password is required"))?;
    s.engine
        .set_password(&id, &password)
        .await
        .map_err(|e| match e {
            baton_engine::Error::NotFound(_) => no_user(&id),
            other => other.into(),
        })?;
    Ok(NoContent)
}

async fn delete_user(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::User, perm::DELETE, Some(&id))
        .await?;
    if s.engine.user(&id).await?.is_none() {
        return Err(no_user(&id));
    }
    s.engine.delete_user(&id).await?;
    Ok(NoContent)
}

fn group_query(p: &Params, scope: Option<Scope>) -> ApiResult<GroupQuery> {
    let (first_result, max_results) = p.paging()?;
    let q = GroupQuery {
        id: p.str("id"),
        ids: p.list("idIn"),
        name: p.str("name"),
        name_like: p.str("nameLike"),
        kind: p.str("type"),
        member: p.str("member"),
        member_of_tenant: p.str("memberOfTenant"),
        sort: p.sorting(&["id", "name", "type"])?,
        first_result,
        max_results,
        scope,
    };
    p.refuse_unsupported("GET /group", known::GROUP)?;
    Ok(q)
}

async fn groups(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<GroupDto>>> {
    let q = group_query(&p, who.scope(&s).await?)?;
    let list = s.engine.groups(q).await?;
    Ok(JsonOk(list.into_iter().map(GroupDto::from).collect()))
}

async fn group_count(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<CountDto>> {
    let q = group_query(&p, who.scope(&s).await?)?;
    let count = s.engine.group_count(q).await?;
    Ok(JsonOk(count.into()))
}

fn no_group(id: &str) -> ApiError {
    ApiError::not_found(format!("Group with id {id} does not exist"))
}

async fn create_group(
    who: Who,
    State(s): State<AppState>,
    Body(req): Body<GroupDto>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::Group, perm::CREATE, None).await?;
    let id = req
        .id
        .ok_or_else(|| ApiError::invalid("A group needs an id"))?;
    s.engine
        .create_group(Group {
            id,
            name: req.name,
            kind: req.kind,
        })
        .await?;
    Ok(NoContent)
}

async fn group(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<GroupDto>> {
    let found = s
        .engine
        .groups(GroupQuery {
            id: Some(id.clone()),
            scope: who.scope(&s).await?,
            ..GroupQuery::default()
        })
        .await?;
    let group = found.into_iter().next().ok_or_else(|| no_group(&id))?;
    Ok(JsonOk(group.into()))
}

async fn update_group(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<GroupDto>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::Group, perm::UPDATE, Some(&id))
        .await?;
    s.engine
        .update_group(
            &id,
            Group {
                id: id.clone(),
                name: req.name,
                kind: req.kind,
            },
        )
        .await
        .map_err(|e| match e {
            baton_engine::Error::NotFound(_) => no_group(&id),
            other => other.into(),
        })?;
    Ok(NoContent)
}

async fn delete_group(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::Group, perm::DELETE, Some(&id))
        .await?;
    let count = s
        .engine
        .group_count(GroupQuery {
            id: Some(id.clone()),
            ..GroupQuery::default()
        })
        .await?;
    if count == 0 {
        return Err(no_group(&id));
    }
    s.engine.delete_group(&id).await?;
    Ok(NoContent)
}

async fn add_member(
    who: Who,
    State(s): State<AppState>,
    Path((group, user)): Path<(String, String)>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::GroupMembership, perm::CREATE, Some(&group))
        .await?;
    s.engine.add_group_member(&group, &user).await?;
    Ok(NoContent)
}

async fn remove_member(
    who: Who,
    State(s): State<AppState>,
    Path((group, user)): Path<(String, String)>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::GroupMembership, perm::DELETE, Some(&group))
        .await?;
    s.engine.remove_group_member(&group, &user).await?;
    Ok(NoContent)
}

/// Camunda's `BasicUserCredentialsDto`.
#[derive(Debug, Deserialize, Default)]
struct VerifyRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    username: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    password: Option<String>,
}

/// Camunda's `AuthenticationResult`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifyDto {
    authenticated_user: Option<String>,
    authenticated: bool,
    tenants: Option<Vec<String>>,
    groups: Option<Vec<String>>,
}

async fn verify(
    State(s): State<AppState>,
    Body(req): Body<VerifyRequest>,
) -> ApiResult<JsonOk<VerifyDto>> {
    let (Some(user), Some(password)) = (req.username, req.password) else {
        return Err(ApiError::invalid("Username and password are required"));
    };
    let ok = s.engine.verify_password(&user, &password).await?;
    Ok(JsonOk(VerifyDto {
        authenticated_user: Some(user),
        authenticated: ok,
        tenants: None,
        groups: None,
    }))
}

/// One of a user's groups, in `GET /identity/groups`.
#[derive(Debug, Serialize)]
struct IdentityGroupDto {
    id: String,
    name: Option<String>,
}

/// A fellow member, in `GET /identity/groups`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupUserDto {
    id: String,
    first_name: Option<String>,
    last_name: Option<String>,
    display_name: String,
}

/// Camunda's `GroupInfoDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupInfoDto {
    groups: Vec<IdentityGroupDto>,
    group_users: Vec<GroupUserDto>,
}

async fn identity_groups(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<GroupInfoDto>> {
    let user = p
        .str("userId")
        .ok_or_else(|| ApiError::invalid("No user id was supplied"))?;
    let scope = who.scope(&s).await?;
    let groups = s
        .engine
        .groups(GroupQuery {
            member: Some(user.clone()),
            scope: scope.clone(),
            ..GroupQuery::default()
        })
        .await?;
    let mut group_users: Vec<GroupUserDto> = Vec::new();
    for g in &groups {
        let members = s
            .engine
            .users(UserQuery {
                member_of_group: Some(g.id.clone()),
                scope: scope.clone(),
                ..UserQuery::default()
            })
            .await?;
        for u in members {
            if u.id == user || group_users.iter().any(|x| x.id == u.id) {
                continue;
            }
            let display_name = match (&u.first_name, &u.last_name) {
                (Some(f), Some(l)) => format!("{f} {l}"),
                (Some(f), None) => f.clone(),
                (None, Some(l)) => l.clone(),
                (None, None) => u.id.clone(),
            };
            group_users.push(GroupUserDto {
                id: u.id,
                first_name: u.first_name,
                last_name: u.last_name,
                display_name,
            });
        }
    }
    Ok(JsonOk(GroupInfoDto {
        groups: groups
            .into_iter()
            .map(|g| IdentityGroupDto {
                id: g.id,
                name: g.name,
            })
            .collect(),
        group_users,
    }))
}

/// Camunda's `TenantDto`.
#[derive(Debug, Serialize, Deserialize, Default)]
struct TenantDto {
    #[serde(default, deserialize_with = "lenient::string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    name: Option<String>,
}

impl From<Tenant> for TenantDto {
    fn from(t: Tenant) -> Self {
        TenantDto {
            id: Some(t.id),
            name: t.name,
        }
    }
}

fn tenant_query(p: &Params, scope: Option<Scope>) -> ApiResult<TenantQuery> {
    let (first_result, max_results) = p.paging()?;
    let q = TenantQuery {
        id: p.str("id"),
        ids: p.list("idIn"),
        name: p.str("name"),
        name_like: p.str("nameLike"),
        user_member: p.str("userMember"),
        group_member: p.str("groupMember"),
        include_membership_groups: p.flag("includingGroupsOfUser")?,
        sort: p.sorting(&["id", "name"])?,
        first_result,
        max_results,
        scope,
    };
    p.refuse_unsupported("GET /tenant", known::TENANT)?;
    Ok(q)
}

async fn tenants(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<TenantDto>>> {
    let q = tenant_query(&p, who.scope(&s).await?)?;
    let list = s.engine.tenants(q).await?;
    Ok(JsonOk(list.into_iter().map(TenantDto::from).collect()))
}

async fn tenant_count(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<CountDto>> {
    let q = tenant_query(&p, who.scope(&s).await?)?;
    let count = s.engine.tenant_count(q).await?;
    Ok(JsonOk(count.into()))
}

fn no_tenant(id: &str) -> ApiError {
    ApiError::not_found(format!("Tenant with id {id} does not exist"))
}

async fn create_tenant(
    who: Who,
    State(s): State<AppState>,
    Body(req): Body<TenantDto>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::Tenant, perm::CREATE, None).await?;
    let id = req
        .id
        .ok_or_else(|| ApiError::invalid("A tenant needs an id"))?;
    s.engine
        .create_tenant(Tenant { id, name: req.name })
        .await?;
    Ok(NoContent)
}

async fn tenant(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<TenantDto>> {
    let found = s
        .engine
        .tenants(TenantQuery {
            id: Some(id.clone()),
            scope: who.scope(&s).await?,
            ..TenantQuery::default()
        })
        .await?;
    let tenant = found.into_iter().next().ok_or_else(|| no_tenant(&id))?;
    Ok(JsonOk(tenant.into()))
}

async fn update_tenant(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<TenantDto>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::Tenant, perm::UPDATE, Some(&id))
        .await?;
    s.engine
        .update_tenant(&id, req.name)
        .await
        .map_err(|e| match e {
            baton_engine::Error::NotFound(_) => no_tenant(&id),
            other => other.into(),
        })?;
    Ok(NoContent)
}

async fn delete_tenant(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::Tenant, perm::DELETE, Some(&id))
        .await?;
    let count = s
        .engine
        .tenant_count(TenantQuery {
            id: Some(id.clone()),
            ..TenantQuery::default()
        })
        .await?;
    if count == 0 {
        return Err(no_tenant(&id));
    }
    s.engine.delete_tenant(&id).await?;
    Ok(NoContent)
}

async fn add_tenant_user(
    who: Who,
    State(s): State<AppState>,
    Path((tenant, user)): Path<(String, String)>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::TenantMembership, perm::CREATE, Some(&tenant))
        .await?;
    s.engine
        .add_tenant_member(&tenant, Some(&user), None)
        .await?;
    Ok(NoContent)
}

async fn remove_tenant_user(
    who: Who,
    State(s): State<AppState>,
    Path((tenant, user)): Path<(String, String)>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::TenantMembership, perm::DELETE, Some(&tenant))
        .await?;
    s.engine
        .remove_tenant_member(&tenant, Some(&user), None)
        .await?;
    Ok(NoContent)
}

async fn add_tenant_group(
    who: Who,
    State(s): State<AppState>,
    Path((tenant, group)): Path<(String, String)>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::TenantMembership, perm::CREATE, Some(&tenant))
        .await?;
    s.engine
        .add_tenant_member(&tenant, None, Some(&group))
        .await?;
    Ok(NoContent)
}

async fn remove_tenant_group(
    who: Who,
    State(s): State<AppState>,
    Path((tenant, group)): Path<(String, String)>,
) -> ApiResult<NoContent> {
    who.need(&s, Resource::TenantMembership, perm::DELETE, Some(&tenant))
        .await?;
    s.engine
        .remove_tenant_member(&tenant, None, Some(&group))
        .await?;
    Ok(NoContent)
}
