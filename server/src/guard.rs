//! Who may do what: the authorization and tenant checks every handler makes.
//!
//! With authentication on, the authentication layer puts the caller's
//! [`Principal`] into the request; handlers take it as [`Who`]. Without
//! authentication there is none and nothing is checked, and a member of
//! `camunda-admin` passes every check, as in Camunda. Otherwise:
//!
//! - a list or count passes [`Who::scope`] into its engine query, which keeps in
//!   SQL only the rows the caller may read and whose tenant is none or theirs;
//! - a command or a read of one thing calls [`Who::may`] with its [`Target`] and
//!   [`Op`] before it runs: a thing of another tenant is answered as unknown
//!   (404, as Camunda's tenant-checked queries leave it out), and a missing
//!   permission is Camunda's 403 naming every permission that would have
//!   allowed it (`missingAuthorizations`);
//! - a check with no one thing to name (creating a deployment, a user) calls
//!   [`Who::require`].
//!
//! Which permissions an operation asks for follows Camunda's
//! `AuthorizationCommandChecker`: `READ` on an instance or `READ_INSTANCE` on its
//! definition, and so on (see [`Op`]).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use baton_engine::Principal;
use baton_engine::authz::{Owner, Resource, Scope, Target, perm};

use crate::Api;
use crate::error::{ApiError, ApiResult};

/// The caller: the authenticated principal, or none when authentication is off.
#[derive(Debug, Clone, Default)]
pub(crate) struct Who(pub(crate) Option<Arc<Principal>>);

impl<S: Send + Sync> FromRequestParts<S> for Who {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Who(parts.extensions.get::<Arc<Principal>>().cloned()))
    }
}

/// One permission that would allow an operation: a permission bit on a
/// resource type, for one id or (`None`) for the type as a whole.
#[derive(Debug, Clone)]
pub(crate) struct Need {
    resource: Resource,
    perm: u32,
    id: Option<String>,
}

impl Need {
    /// Permission `perm` on `resource` `id` (`None`: on every id, as creating
    /// asks).
    pub(crate) fn new(resource: Resource, perm: u32, id: Option<&str>) -> Need {
        Need {
            resource,
            perm,
            id: id.map(str::to_owned),
        }
    }
}

/// What a handler does to its [`Target`], and so which permissions it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `READ` on the instance or `READ_INSTANCE` on its definition.
    ReadInstance,
    /// `UPDATE` on the instance or `UPDATE_INSTANCE` on its definition.
    UpdateInstance,
    /// `DELETE` on the instance or `DELETE_INSTANCE` on its definition.
    DeleteInstance,
    /// `READ` on the task or `READ_TASK` on its definition.
    ReadTask,
    /// `UPDATE` on the task or `UPDATE_TASK` on its definition.
    UpdateTask,
    /// `TASK_WORK` or `UPDATE` on the task, or `TASK_WORK` or `UPDATE_TASK` on
    /// its definition (complete, resolve, submit a form, throw an error).
    WorkTask,
    /// `TASK_ASSIGN` or `UPDATE` on the task, or `TASK_ASSIGN` or `UPDATE_TASK`
    /// on its definition (claim, unclaim, assign, delegate, identity links).
    AssignTask,
    /// `READ` on the definition.
    ReadDefinition,
    /// `CREATE` on process instances and `CREATE_INSTANCE` on the definition.
    CreateInstance,
    /// `READ` on the deployment.
    ReadDeployment,
    /// `DELETE` on the deployment.
    DeleteDeployment,
    /// `READ_HISTORY` on the definition.
    ReadHistory,
}

impl Who {
    /// The principal whose checks count: none without authentication or for an
    /// administrator.
    fn checked(&self) -> Option<&Arc<Principal>> {
        self.0.as_ref().filter(|p| !p.is_admin())
    }

    /// Whether any check applies to the caller (authentication is on and they
    /// are not an administrator): handlers skip lookups made only for checks
    /// otherwise.
    pub(crate) fn checks(&self) -> bool {
        self.checked().is_some()
    }

    /// The scope lists and counts apply for the caller (`None`: everything).
    pub(crate) async fn scope(&self, s: &Api) -> ApiResult<Option<Scope>> {
        let Some(p) = self.checked() else {
            return Ok(None);
        };
        let grants = s.engine.grants(p).await?;
        Ok(Scope::of(p.clone(), grants))
    }

    /// Requires, for each group of `all`, one of its permissions; a 403 naming
    /// the first group's permissions otherwise.
    pub(crate) async fn require(&self, s: &Api, all: &[&[Need]]) -> ApiResult<()> {
        let Some(p) = self.checked() else {
            return Ok(());
        };
        let grants = s.engine.grants(p).await?;
        let groups: Vec<Vec<(Resource, u32, Option<&str>)>> = all
            .iter()
            .map(|any| {
                any.iter()
                    .map(|n| (n.resource, n.perm, n.id.as_deref()))
                    .collect()
            })
            .collect();
        let groups: Vec<&[(Resource, u32, Option<&str>)]> =
            groups.iter().map(Vec::as_slice).collect();
        Ok(grants.require(&p.user_id, &groups)?)
    }

    /// Requires `perm` on `resource` `id` (`None`: on all of the type).
    pub(crate) async fn need(
        &self,
        s: &Api,
        resource: Resource,
        perm: u32,
        id: Option<&str>,
    ) -> ApiResult<()> {
        self.require(s, &[&[Need::new(resource, perm, id)]]).await
    }

    /// Whether the caller may see data of `tenant` (data without one, or one
    /// of theirs).
    pub(crate) fn sees_tenant(&self, tenant: Option<&str>) -> bool {
        match (self.checked(), tenant) {
            (None, _) | (_, None) => true,
            (Some(p), Some(t)) => p.tenants.iter().any(|m| m == t),
        }
    }

    /// Requires that the caller may create data for `tenant`; a 403 otherwise.
    pub(crate) fn may_use_tenant(&self, tenant: Option<&str>, what: &str) -> ApiResult<()> {
        if self.sees_tenant(tenant) {
            return Ok(());
        }
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "AuthorizationException",
            format!(
                "Cannot {what} for tenant '{}': the user is not a member of it.",
                tenant.unwrap_or_default()
            ),
        ))
    }

    /// Requires that the caller may do `op` to `target`. An unknown target
    /// passes (the handler answers it as unknown); one of another tenant is
    /// answered as unknown here.
    pub(crate) async fn may(&self, s: &Api, target: Target<'_>, op: Op) -> ApiResult<()> {
        if !self.checks() {
            return Ok(());
        }
        let Some(owner) = s.engine.owner_of(target).await? else {
            return Ok(());
        };
        self.may_owned(s, target, &owner, op).await
    }

    /// [`Who::may`], when the handler has read what `target` belongs to itself.
    pub(crate) async fn may_owned(
        &self,
        s: &Api,
        target: Target<'_>,
        owner: &Owner,
        op: Op,
    ) -> ApiResult<()> {
        let Some(p) = self.checked() else {
            return Ok(());
        };
        if !self.sees_tenant(owner.tenant_id.as_deref()) {
            return Err(unknown(target));
        }
        if owner
            .people
            .as_ref()
            .is_some_and(|people| people.involves(p))
            && matches!(
                op,
                Op::ReadTask | Op::UpdateTask | Op::WorkTask | Op::AssignTask
            )
        {
            return Ok(());
        }
        let needs = needs(op, owner);
        let groups: Vec<&[Need]> = needs.iter().map(Vec::as_slice).collect();
        self.require(s, &groups).await
    }
}

/// The permissions `op` needs on `owner`: for each group, one of them.
fn needs(op: Op, o: &Owner) -> Vec<Vec<Need>> {
    use Resource::{Deployment, ProcessDefinition as Def, ProcessInstance as Inst, Task};
    let inst = o.instance_id.as_deref();
    let key = o.definition_key.as_deref();
    let id = Some(o.id.as_str());
    let one = |v: Vec<Need>| vec![v];
    match op {
        Op::ReadInstance => one(vec![
            Need::new(Inst, perm::READ, inst),
            Need::new(Def, perm::READ_INSTANCE, key),
        ]),
        Op::UpdateInstance => one(vec![
            Need::new(Inst, perm::UPDATE, inst),
            Need::new(Def, perm::UPDATE_INSTANCE, key),
        ]),
        Op::DeleteInstance => one(vec![
            Need::new(Inst, perm::DELETE, inst),
            Need::new(Def, perm::DELETE_INSTANCE, key),
        ]),
        Op::ReadTask => one(vec![
            Need::new(Task, perm::READ, id),
            Need::new(Def, perm::READ_TASK, key),
        ]),
        Op::UpdateTask => one(vec![
            Need::new(Task, perm::UPDATE, id),
            Need::new(Def, perm::UPDATE_TASK, key),
        ]),
        Op::WorkTask => one(vec![
            Need::new(Task, perm::TASK_WORK, id),
            Need::new(Task, perm::UPDATE, id),
            Need::new(Def, perm::TASK_WORK, key),
            Need::new(Def, perm::UPDATE_TASK, key),
        ]),
        Op::AssignTask => one(vec![
            Need::new(Task, perm::TASK_ASSIGN, id),
            Need::new(Task, perm::UPDATE, id),
            Need::new(Def, perm::TASK_ASSIGN, key),
            Need::new(Def, perm::UPDATE_TASK, key),
        ]),
        Op::ReadDefinition => one(vec![Need::new(Def, perm::READ, key)]),
        Op::CreateInstance => vec![
            vec![Need::new(Inst, perm::CREATE, None)],
            vec![Need::new(Def, perm::CREATE_INSTANCE, key)],
        ],
        Op::ReadDeployment => one(vec![Need::new(Deployment, perm::READ, id)]),
        Op::DeleteDeployment => one(vec![Need::new(Deployment, perm::DELETE, id)]),
        Op::ReadHistory => one(vec![Need::new(Def, perm::READ_HISTORY, key)]),
    }
}

/// The 404 a target of another tenant gets: the same words as an unknown one.
fn unknown(target: Target<'_>) -> ApiError {
    let message = match target {
        Target::Instance(id) | Target::Execution(id) => {
            format!("Process instance with id {id} does not exist")
        }
        Target::ExternalTask(id) => format!("External task with id {id} does not exist"),
        Target::Job(id) => format!("Job with id {id} does not exist"),
        Target::Task(id) | Target::HistoricTask(id) => format!("No matching task with id {id}"),
        Target::Definition(id) => format!("No matching definition with id {id}"),
        Target::Deployment(id) => format!("Deployment with id '{id}' does not exist"),
    };
    ApiError::from(baton_engine::Error::NotFound(message))
}
