//! Authorizations, as Camunda 7 keeps and checks them (migration 0012).
//!
//! An authorization says that a user, a group, or everyone (a *global* one) may
//! (a *grant*) or may not (a *revoke*) do something to a resource: a resource
//! type and an id, `*` standing for every id of the type. Permissions are bits
//! of one number, with Camunda's values, so what Camunda's tools write reads the
//! same here.
//!
//! # Which authorization decides
//!
//! For a user, a permission and a resource, the first of these that holds
//! decides, as in Camunda's `authCheck` query:
//!
//! 1. the user's own authorizations: a grant for the resource's id, a revoke
//!    for it, a grant for `*`, a revoke for `*`;
//! 2. the same four for the user's groups;
//! 3. the same four among the global authorizations;
//! 4. otherwise the permission is missing.
//!
//! As in Camunda's default (`authorizationCheckRevokes = auto`), revokes count only
//! when some revoke authorization concerns the user at all; a global one that
//! lacks a bit is a revoke only then.
//!
//! # Checking fast
//!
//! A user's authorizations are few, so [`Engine::grants`] reads them once into
//! [`Grants`] and keeps them until [`Engine::identity_generation`] moves. From
//! them [`Grants::access`] tells, for a resource type and a permission, which ids
//! are allowed: all but some, or only some ([`Access`]). A command checks its one
//! id against that; a list turns it into a `WHERE` condition on the id column,
//! so lists and counts hold only what the user may see, straight from SQL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};

use crate::Engine;
use crate::error::{Error, Result};
use crate::identity::Principal;
use crate::query::Filter;

/// A global authorization: for everyone (`userId` `*`).
pub const GLOBAL: i64 = 0;
/// A grant authorization.
pub const GRANT: i64 = 1;
/// A revoke authorization.
pub const REVOKE: i64 = 2;

/// Every permission bit: Camunda's `ALL`.
pub const ALL: u32 = i32::MAX as u32;

/// Permission bits by name, as Camunda numbers them (the same bit may have
/// another name on another resource type; see [`Resource::permission`]).
pub mod perm {
    /// `READ`.
    pub const READ: u32 = 2;
    /// `UPDATE`.
    pub const UPDATE: u32 = 4;
    /// `CREATE`.
    pub const CREATE: u32 = 8;
    /// `DELETE`.
    pub const DELETE: u32 = 16;
    /// `READ_TASK` (on a process definition).
    pub const READ_TASK: u32 = 64;
    /// `UPDATE_TASK` (on a process definition).
    pub const UPDATE_TASK: u32 = 128;
    /// `CREATE_INSTANCE` (on a process definition).
    pub const CREATE_INSTANCE: u32 = 256;
    /// `READ_INSTANCE` (on a process definition).
    pub const READ_INSTANCE: u32 = 512;
    /// `UPDATE_INSTANCE` (on a process definition).
    pub const UPDATE_INSTANCE: u32 = 1024;
    /// `DELETE_INSTANCE` (on a process definition).
    pub const DELETE_INSTANCE: u32 = 2048;
    /// `READ_HISTORY`.
    pub const READ_HISTORY: u32 = 4096;
    /// `TASK_WORK`.
    pub const TASK_WORK: u32 = 16384;
    /// `TASK_ASSIGN`.
    pub const TASK_ASSIGN: u32 = 32768;
}

/// A type of resource that authorizations name, with Camunda's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Resource {
    Application = 0,
    User = 1,
    Group = 2,
    GroupMembership = 3,
    Authorization = 4,
    Filter = 5,
    ProcessDefinition = 6,
    Task = 7,
    ProcessInstance = 8,
    Deployment = 9,
    DecisionDefinition = 10,
    Tenant = 11,
    TenantMembership = 12,
    Batch = 13,
    DecisionRequirementsDefinition = 14,
    Report = 15,
    Dashboard = 16,
    OperationLogCategory = 17,
    Optimize = 18,
    HistoricTask = 19,
    HistoricProcessInstance = 20,
    System = 21,
}

const RESOURCES: [Resource; 22] = [
    Resource::Application,
    Resource::User,
    Resource::Group,
    Resource::GroupMembership,
    Resource::Authorization,
    Resource::Filter,
    Resource::ProcessDefinition,
    Resource::Task,
    Resource::ProcessInstance,
    Resource::Deployment,
    Resource::DecisionDefinition,
    Resource::Tenant,
    Resource::TenantMembership,
    Resource::Batch,
    Resource::DecisionRequirementsDefinition,
    Resource::Report,
    Resource::Dashboard,
    Resource::OperationLogCategory,
    Resource::Optimize,
    Resource::HistoricTask,
    Resource::HistoricProcessInstance,
    Resource::System,
];

/// Camunda's `Permissions` values, which every resource type without its own
/// list takes.
const GENERIC: &[(&str, u32)] = &[
    ("READ", 2),
    ("UPDATE", 4),
    ("CREATE", 8),
    ("DELETE", 16),
    ("ACCESS", 32),
    ("READ_TASK", 64),
    ("UPDATE_TASK", 128),
    ("CREATE_INSTANCE", 256),
    ("READ_INSTANCE", 512),
    ("UPDATE_INSTANCE", 1024),
    ("DELETE_INSTANCE", 2048),
    ("READ_HISTORY", 4096),
    ("DELETE_HISTORY", 8192),
    ("TASK_WORK", 16384),
    ("TASK_ASSIGN", 32768),
    ("MIGRATE_INSTANCE", 65536),
];

/// `ProcessDefinitionPermissions`.
const DEFINITION: &[(&str, u32)] = &[
    ("READ", 2),
    ("UPDATE", 4),
    ("DELETE", 16),
    ("RETRY_JOB", 32),
    ("READ_TASK", 64),
    ("UPDATE_TASK", 128),
    ("CREATE_INSTANCE", 256),
    ("READ_INSTANCE", 512),
    ("UPDATE_INSTANCE", 1024),
    ("DELETE_INSTANCE", 2048),
    ("READ_HISTORY", 4096),
    ("DELETE_HISTORY", 8192),
    ("TASK_WORK", 16384),
    ("TASK_ASSIGN", 32768),
    ("MIGRATE_INSTANCE", 65536),
    ("SUSPEND_INSTANCE", 131_072),
    ("UPDATE_INSTANCE_VARIABLE", 262_144),
];

/// `ProcessInstancePermissions`.
const INSTANCE: &[(&str, u32)] = &[
    ("READ", 2),
    ("UPDATE", 4),
    ("CREATE", 8),
    ("DELETE", 16),
    ("RETRY_JOB", 32),
    ("SUSPEND", 64),
    ("UPDATE_VARIABLE", 128),
];

/// `TaskPermissions`.
const TASK: &[(&str, u32)] = &[
    ("READ", 2),
    ("UPDATE", 4),
    ("CREATE", 8),
    ("DELETE", 16),
    ("UPDATE_VARIABLE", 32),
    ("READ_VARIABLE", 64),
    ("READ_HISTORY", 4096),
    ("TASK_WORK", 16384),
    ("TASK_ASSIGN", 32768),
];

impl Resource {
    /// The resource type with Camunda's number `n`.
    pub fn from_number(n: i64) -> Option<Resource> {
        RESOURCES.iter().copied().find(|r| *r as i64 == n)
    }

    /// Camunda's name for the type (`ProcessDefinition`), as 403 bodies carry it.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Application => "Application",
            Resource::User => "User",
            Resource::Group => "Group",
            Resource::GroupMembership => "GroupMembership",
            Resource::Authorization => "Authorization",
            Resource::Filter => "Filter",
            Resource::ProcessDefinition => "ProcessDefinition",
            Resource::Task => "Task",
            Resource::ProcessInstance => "ProcessInstance",
            Resource::Deployment => "Deployment",
            Resource::DecisionDefinition => "DecisionDefinition",
            Resource::Tenant => "Tenant",
            Resource::TenantMembership => "TenantMembership",
            Resource::Batch => "Batch",
            Resource::DecisionRequirementsDefinition => "DecisionRequirementsDefinition",
            Resource::Report => "Report",
            Resource::Dashboard => "Dashboard",
            Resource::OperationLogCategory => "OperationLogCategory",
            Resource::Optimize => "Optimize",
            Resource::HistoricTask => "HistoricTask",
            Resource::HistoricProcessInstance => "HistoricProcessInstance",
            Resource::System => "System",
        }
    }

    /// The type named `name` (Camunda's name, case-insensitive, with or without
    /// `-`/`_` between words).
    pub fn from_name(name: &str) -> Option<Resource> {
        let plain: String = name
            .chars()
            .filter(|c| *c != '-' && *c != '_' && *c != ' ')
            .collect();
        RESOURCES
            .iter()
            .copied()
            .find(|r| r.name().eq_ignore_ascii_case(&plain))
    }

    /// The permissions of this type, by name and bit.
    fn permissions(self) -> &'static [(&'static str, u32)] {
        match self {
            Resource::ProcessDefinition => DEFINITION,
            Resource::ProcessInstance => INSTANCE,
            Resource::Task => TASK,
            _ => GENERIC,
        }
    }

    /// The bit of permission `name` on this type (`ALL` and `NONE` included).
    pub fn permission(self, name: &str) -> Option<u32> {
        match name {
            "ALL" => Some(ALL),
            "NONE" => Some(0),
            _ => self
                .permissions()
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| *b),
        }
    }

    /// The name of permission bit `bit` on this type.
    pub fn permission_name(self, bit: u32) -> &'static str {
        self.permissions()
            .iter()
            .find(|(_, b)| *b == bit)
            .map_or("UNKNOWN", |(n, _)| n)
    }
}

/// One stored authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Its id.
    pub id: String,
    /// [`GLOBAL`], [`GRANT`] or [`REVOKE`].
    pub kind: i64,
    /// The user it is about (`*` for a global one); `None` for a group's.
    pub user_id: Option<String>,
    /// The group it is about; `None` for a user's.
    pub group_id: Option<String>,
    /// The resource type's number.
    pub resource_type: i64,
    /// The resource's id, or `*` for all.
    pub resource_id: String,
    /// The permission bits: granted ones for global and grant authorizations, the
    /// ones left (not revoked) for revoke authorizations.
    pub perms: u32,
    /// Its revision, counted from 1.
    pub revision: i64,
}

impl Authorization {
    /// The names of the permissions it grants (for global and grant ones) or
    /// revokes (for revoke ones), as Camunda lists them: `ALL` when every bit
    /// counts, `NONE` when none does.
    pub fn permission_names(&self) -> Vec<String> {
        let Some(resource) = Resource::from_number(self.resource_type) else {
            return Vec::new();
        };
        let effective = if self.kind == REVOKE {
            !self.perms & ALL
        } else {
            self.perms
        };
        if effective == ALL {
            return vec!["ALL".into()];
        }
        let names: Vec<String> = resource
            .permissions()
            .iter()
            .filter(|(_, b)| effective & b == *b)
            .map(|(n, _)| (*n).to_owned())
            .collect();
        if names.is_empty() {
            vec!["NONE".into()]
        } else {
            names
        }
    }
}

/// What a new or changed authorization says, as the REST API gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizationSpec {
    /// [`GLOBAL`], [`GRANT`] or [`REVOKE`].
    pub kind: i64,
    /// The permission names it grants or revokes.
    pub permissions: Vec<String>,
    /// The user (`*` for a global one).
    pub user_id: Option<String>,
    /// The group.
    pub group_id: Option<String>,
    /// The resource type's number.
    pub resource_type: i64,
    /// The resource's id, `*` for all.
    pub resource_id: Option<String>,
}

/// Filters of `GET /authorization`.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationQuery {
    /// Only this id.
    pub id: Option<String>,
    /// Only this type ([`GLOBAL`], [`GRANT`], [`REVOKE`]).
    pub kind: Option<i64>,
    /// Only these users' authorizations.
    pub user_ids: Vec<String>,
    /// Only these groups' authorizations.
    pub group_ids: Vec<String>,
    /// Only this resource type.
    pub resource_type: Option<i64>,
    /// Only this resource id.
    pub resource_id: Option<String>,
    /// Sort by: `resourceType` or `resourceId`, and descending when true.
    pub sort: Option<(String, bool)>,
    /// Rows to skip.
    pub first: usize,
    /// At most this many rows.
    pub max: Option<usize>,
    /// What the asking user may see ([`Scope`]); `None` for everything.
    pub scope: Option<Scope>,
}

const AUTH_COLUMNS: &str = "id, type, user_id, group_id, resource_type, resource_id, perms, rev";

fn auth_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Authorization> {
    Ok(Authorization {
        id: r.get(0)?,
        kind: r.get(1)?,
        user_id: r.get(2)?,
        group_id: r.get(3)?,
        resource_type: r.get(4)?,
        resource_id: r.get(5)?,
        perms: u32::try_from(r.get::<_, i64>(6)?).unwrap_or(0),
        revision: r.get(7)?,
    })
}

/// Which ids of a resource type a user may act on with a permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Every id but these.
    AllBut(Vec<String>),
    /// Only these ids.
    Only(Vec<String>),
}

impl Access {
    /// Whether id `id` is allowed.
    pub fn allows(&self, id: &str) -> bool {
        match self {
            Access::AllBut(denied) => !denied.iter().any(|d| d == id),
            Access::Only(allowed) => allowed.iter().any(|a| a == id),
        }
    }

    /// The ids this allows, and `more`.
    pub fn or(self, more: &[String]) -> Access {
        match self {
            Access::AllBut(denied) => {
                Access::AllBut(denied.into_iter().filter(|d| !more.contains(d)).collect())
            }
            Access::Only(mut allowed) => {
                allowed.extend(more.iter().cloned());
                allowed.sort();
                allowed.dedup();
                Access::Only(allowed)
            }
        }
    }

    /// The ids both allow.
    pub fn and(self, other: Access) -> Access {
        match (self, other) {
            (Access::AllBut(mut a), Access::AllBut(b)) => {
                a.extend(b);
                a.sort();
                a.dedup();
                Access::AllBut(a)
            }
            (Access::Only(a), Access::Only(b)) => {
                Access::Only(a.into_iter().filter(|x| b.contains(x)).collect())
            }
            (Access::AllBut(denied), Access::Only(allowed))
            | (Access::Only(allowed), Access::AllBut(denied)) => Access::Only(
                allowed
                    .into_iter()
                    .filter(|x| !denied.contains(x))
                    .collect(),
            ),
        }
    }

    /// Whether every id is allowed: what a permission without a resource id
    /// (such as creating a deployment) asks.
    pub fn allows_all(&self) -> bool {
        matches!(self, Access::AllBut(d) if d.is_empty())
    }

    /// Whether the default for ids not named is to allow: what a check on `*`
    /// asks, as Camunda checks a resource id that is `*` against `*` alone.
    fn allows_any_id(&self) -> bool {
        matches!(self, Access::AllBut(_))
    }
}

/// Whom an authorization row is about, relative to one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    User,
    Group,
    Global,
}

#[derive(Debug, Clone)]
struct Rule {
    level: Level,
    kind: i64,
    resource_type: i64,
    resource_id: String,
    perms: u32,
}

impl Rule {
    /// Whether this rule grants `perm` (all its bits).
    fn grants(&self, perm: u32) -> bool {
        self.kind != REVOKE && self.perms & perm == perm
    }

    /// Whether this rule takes `perm` away.
    fn revokes(&self, perm: u32) -> bool {
        (self.kind == REVOKE || self.kind == GLOBAL) && self.perms & perm != perm
    }
}

/// One user's authorizations, read once (see [`Engine::grants`]).
#[derive(Debug, Clone)]
pub struct Grants {
    user_id: String,
    /// The user's groups and tenants: Camunda's default authorizations let a
    /// user read their groups and tenants (and do anything to their own user).
    groups: Vec<String>,
    tenants: Vec<String>,
    admin: bool,
    rules: Vec<Rule>,
    /// Whether any revoke authorization concerns the user (Camunda's `auto`).
    revokes: bool,
}

impl Grants {
    /// Grants for an administrator: everything is allowed.
    pub fn admin(user_id: &str) -> Grants {
        Grants {
            user_id: user_id.to_owned(),
            groups: Vec::new(),
            tenants: Vec::new(),
            admin: true,
            rules: Vec::new(),
            revokes: false,
        }
    }

    /// The user they are for.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// Whether the user may do anything.
    pub fn is_admin(&self) -> bool {
        self.admin
    }

    /// Which ids of `resource` the user may act on with every permission whose
    /// bit is in `mask` (each permission decided on its own, then intersected).
    pub fn access(&self, resource: Resource, mask: u32) -> Access {
        if mask == ALL || mask.count_ones() <= 1 {
            return self.access_one(resource, mask);
        }
        let mut bits = (0..31).map(|i| 1u32 << i).filter(|b| mask & b != 0);
        let first = bits.next().map_or(0, |b| b);
        bits.fold(self.access_one(resource, first), |acc, b| {
            acc.and(self.access_one(resource, b))
        })
    }

    /// Which ids of `resource` the user may act on with permission `perm`: what
    /// the rules say, and the ids Camunda's default authorizations (written when
    /// a user, group or tenant is created) give every user: anything on their
    /// own user, `READ` on their groups and tenants.
    fn access_one(&self, resource: Resource, perm: u32) -> Access {
        let ruled = self.ruled(resource, perm);
        let own: &[String] = match resource {
            Resource::User => std::slice::from_ref(&self.user_id),
            Resource::Group if perm == perm::READ => &self.groups,
            Resource::Tenant if perm == perm::READ => &self.tenants,
            _ => &[],
        };
        if own.is_empty() { ruled } else { ruled.or(own) }
    }

    /// Which ids of `resource` the rules let the user act on with `perm`.
    fn ruled(&self, resource: Resource, perm: u32) -> Access {
        if self.admin {
            return Access::AllBut(Vec::new());
        }
        let ty = resource as i64;
        let mut decided: Vec<(String, bool)> = Vec::new();
        for level in [Level::User, Level::Group, Level::Global] {
            let rules: Vec<&Rule> = self
                .rules
                .iter()
                .filter(|r| r.level == level && r.resource_type == ty)
                .collect();
            // Specific ids first: a grant before a revoke, each id decided once.
            for want_grant in [true, false] {
                for r in rules.iter().filter(|r| r.resource_id != "*") {
                    let hit = if want_grant {
                        r.grants(perm)
                    } else {
                        self.revokes && r.revokes(perm)
                    };
                    if hit && !decided.iter().any(|(id, _)| *id == r.resource_id) {
                        decided.push((r.resource_id.clone(), want_grant));
                    }
                }
            }
            let wildcard = rules.iter().filter(|r| r.resource_id == "*");
            let mut default = None;
            for r in wildcard.clone() {
                if r.grants(perm) {
                    default = Some(true);
                }
            }
            if default.is_none() && self.revokes && wildcard.clone().any(|r| r.revokes(perm)) {
                default = Some(false);
            }
            if let Some(allow) = default {
                return access_from(decided, allow);
            }
        }
        access_from(decided, false)
    }

    /// Requires, for each group of `all`, one of its permissions (see
    /// [`Scope::require`]), for user `user`.
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] naming the first group that fails.
    pub fn require(&self, user: &str, all: &[&[(Resource, u32, Option<&str>)]]) -> Result<()> {
        for any in all {
            if !any.iter().any(|(r, p, id)| self.allows(*r, *p, *id)) {
                return Err(Error::Forbidden(crate::error::Forbidden {
                    user_id: user.to_owned(),
                    missing: any
                        .iter()
                        .map(|(r, p, id)| {
                            (
                                r.permission_name(*p).to_owned(),
                                r.name().to_owned(),
                                id.map(str::to_owned),
                            )
                        })
                        .collect(),
                }));
            }
        }
        Ok(())
    }

    /// Whether the user may act on id `id` of `resource` with `perm`; `None` for a
    /// check without an id (every id, as a create asks).
    pub fn allows(&self, resource: Resource, perm: u32, id: Option<&str>) -> bool {
        let access = self.access(resource, perm);
        match id {
            Some("*") => access.allows_any_id(),
            Some(id) => access.allows(id),
            None => access.allows_any_id(),
        }
    }
}

fn access_from(decided: Vec<(String, bool)>, default: bool) -> Access {
    let ids = decided
        .into_iter()
        .filter(|(_, allow)| *allow != default)
        .map(|(id, _)| id)
        .collect();
    if default {
        Access::AllBut(ids)
    } else {
        Access::Only(ids)
    }
}

/// What the asking user may see, for list and count queries: their grants and
/// tenants. A query with a scope holds only rows the user may read, decided in
/// its SQL.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The user, groups and tenants.
    pub principal: Arc<Principal>,
    /// The user's authorizations.
    pub grants: Arc<Grants>,
}

impl Scope {
    /// Whether the user may see data of `tenant` (none, or one of theirs).
    pub fn sees_tenant(&self, tenant: Option<&str>) -> bool {
        tenant.is_none_or(|t| self.principal.tenants.iter().any(|m| m == t))
    }

    /// Requires, for each group of `all`, one of its permissions (a resource
    /// type, a permission bit, an id or `None` for the type as a whole).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] naming the first group that fails.
    pub fn require(&self, all: &[&[(Resource, u32, Option<&str>)]]) -> Result<()> {
        self.grants.require(&self.principal.user_id, all)
    }

    /// The scope of `principal` with `grants`; `None` for an administrator, who
    /// sees everything.
    pub fn of(principal: Arc<Principal>, grants: Arc<Grants>) -> Option<Scope> {
        (!grants.is_admin()).then_some(Scope { principal, grants })
    }
}

impl Filter {
    /// Keeps the rows the scope's user may read: one of `checks` holds (a
    /// resource type, a permission bit and the SQL expression of the row's id for
    /// that type), and the row's tenant, read from `tenant_column`, is none or one
    /// of the user's.
    pub(crate) fn scope(
        &mut self,
        scope: &Option<Scope>,
        checks: &[(Resource, u32, &str)],
        tenant_column: Option<&str>,
    ) {
        let Some(s) = scope else { return };
        if let Some(clause) = self.granted(s, checks) {
            self.raw(&clause);
        }
        if let Some(column) = tenant_column {
            self.tenant_scope(s, column);
        }
    }

    /// Like [`Filter::scope`], with one more way in: `extra`, a condition in
    /// which `?U` stands for the user's id and `?G` for the list of their groups
    /// (a task's assignee, owner and candidates may read it whatever the
    /// authorizations say).
    pub(crate) fn scope_or(
        &mut self,
        scope: &Option<Scope>,
        checks: &[(Resource, u32, &str)],
        extra: &str,
        tenant_column: Option<&str>,
    ) {
        let Some(s) = scope else { return };
        if let Some(granted) = self.granted(s, checks) {
            let user = self.arg(s.principal.user_id.clone());
            let groups = self.in_clause("", &s.principal.groups);
            let extra = extra
                .replace("?G", groups.trim_start())
                .replace("?U", &user);
            self.raw(&format!("({granted} OR ({extra}))"));
        }
        if let Some(column) = tenant_column {
            self.tenant_scope(s, column);
        }
    }

    /// The condition under which one of `checks` holds; `None` when one holds
    /// for every row.
    fn granted(&mut self, s: &Scope, checks: &[(Resource, u32, &str)]) -> Option<String> {
        let mut alternatives = Vec::new();
        for (resource, perm, column) in checks {
            match s.grants.access(*resource, *perm) {
                Access::AllBut(denied) if denied.is_empty() => return None,
                Access::AllBut(denied) => {
                    let clause = self.in_clause(column, &denied);
                    alternatives.push(format!("NOT ({clause})"));
                }
                Access::Only(allowed) if allowed.is_empty() => {}
                Access::Only(allowed) => alternatives.push(self.in_clause(column, &allowed)),
            }
        }
        Some(if alternatives.is_empty() {
            "0".to_owned()
        } else {
            format!("({})", alternatives.join(" OR "))
        })
    }

    fn tenant_scope(&mut self, scope: &Scope, column: &str) {
        let clause = self.in_clause(column, &scope.principal.tenants);
        self.raw(&format!("({column} IS NULL OR {clause})"));
    }
}

/// The cache of [`Engine::grants`]: per user and group list, with the identity
/// generation it was read at.
#[derive(Default)]
pub(crate) struct GrantCache {
    entries: Mutex<HashMap<GrantKey, (u64, Arc<Grants>)>>,
}

/// A user, their groups and their tenants.
type GrantKey = (String, Vec<String>, Vec<String>);

/// Entries kept at most; past it the cache starts again empty.
const GRANT_CACHE_ENTRIES: usize = 10_000;

impl Engine {
    /// The authorizations of `principal`'s user, their groups and everyone,
    /// read once per [`Engine::identity_generation`] and kept. An administrator
    /// ([`Principal::is_admin`]) gets [`Grants::admin`].
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn grants(&self, principal: &Principal) -> Result<Arc<Grants>> {
        if principal.is_admin() {
            return Ok(Arc::new(Grants::admin(&principal.user_id)));
        }
        let generation = self.identity_generation();
        let key = (
            principal.user_id.clone(),
            principal.groups.clone(),
            principal.tenants.clone(),
        );
        let cache = &self.inner.shared.grant_cache;
        if let Some((g, grants)) = cache
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            && *g == generation
        {
            return Ok(grants.clone());
        }
        let who = principal.clone();
        let grants = Arc::new(self.read(move |c| read_grants(c, &who)).await?);
        let mut entries = cache.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= GRANT_CACHE_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (generation, grants.clone()));
        Ok(grants)
    }

    /// Creates an authorization and answers it.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an authorization Camunda refuses: a global one
    /// with a group or a user other than `*`, a grant or revoke with `*` as its
    /// user or with both or neither of a user and a group, an unknown resource
    /// type or permission name; and for one that says the same as an existing
    /// one (same type, user or group, resource type and id).
    pub async fn create_authorization(&self, spec: AuthorizationSpec) -> Result<Authorization> {
        let mut auth = checked(&spec)?;
        auth.id = crate::id::new_id();
        let row = auth.clone();
        self.identity_command(move |ctx| {
            refuse_duplicate(ctx.conn, &row, None)?;
            ctx.conn
                .prepare_cached(
                    "INSERT INTO id_authorization (id, type, user_id, group_id, resource_type, \
                     resource_id, perms, rev) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)",
                )?
                .execute(params![
                    row.id,
                    row.kind,
                    row.user_id,
                    row.group_id,
                    row.resource_type,
                    row.resource_id,
                    i64::from(row.perms)
                ])?;
            Ok(())
        })
        .await?;
        Ok(auth)
    }

    /// Replaces authorization `id` with `spec` (its type stays: Camunda ignores a
    /// changed type on update).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown id; [`Error::Invalid`] as
    /// [`Engine::create_authorization`].
    pub async fn update_authorization(&self, id: &str, mut spec: AuthorizationSpec) -> Result<()> {
        let Some(existing) = self.authorization(id).await? else {
            return Err(Error::NotFound(format!(
                "Authorization with id {id} does not exist."
            )));
        };
        spec.kind = existing.kind;
        let mut row = checked(&spec)?;
        row.id = id.to_owned();
        self.identity_command(move |ctx| {
            refuse_duplicate(ctx.conn, &row, Some(&row.id))?;
            let changed = ctx
                .conn
                .prepare_cached(
                    "UPDATE id_authorization SET user_id = ?2, group_id = ?3, resource_type = ?4, \
                     resource_id = ?5, perms = ?6, rev = rev + 1 WHERE id = ?1",
                )?
                .execute(params![
                    row.id,
                    row.user_id,
                    row.group_id,
                    row.resource_type,
                    row.resource_id,
                    i64::from(row.perms)
                ])?;
            if changed == 0 {
                return Err(Error::NotFound(format!(
                    "Authorization with id {} does not exist.",
                    row.id
                )));
            }
            Ok(())
        })
        .await
    }

    /// Deletes authorization `id`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown id.
    pub async fn delete_authorization(&self, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.identity_command(move |ctx| {
            let n = ctx
                .conn
                .prepare_cached("DELETE FROM id_authorization WHERE id = ?1")?
                .execute([&id])?;
            if n == 0 {
                return Err(Error::NotFound(format!(
                    "Authorization with id {id} does not exist."
                )));
            }
            Ok(())
        })
        .await
    }

    /// Authorization `id`, if it exists.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn authorization(&self, id: &str) -> Result<Option<Authorization>> {
        let id = id.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {AUTH_COLUMNS} FROM id_authorization WHERE id = ?1"
            ))?
            .query_row([&id], auth_row)
            .optional()?)
        })
        .await
    }

    /// The authorizations `q` selects, in its order and page.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an unknown sort key.
    pub async fn authorizations(&self, q: AuthorizationQuery) -> Result<Vec<Authorization>> {
        self.read(move |c| {
            let mut f = authorization_filter(&q);
            let sort = match q.sort.as_ref().map(|(k, d)| (k.as_str(), *d)) {
                None => None,
                Some(("resourceType", d)) => Some((&["resource_type"][..], d)),
                Some(("resourceId", d)) => Some((&["resource_id"][..], d)),
                Some((other, _)) => {
                    return Err(Error::Invalid(format!(
                        "Cannot set query parameter 'sortBy' to value '{other}'"
                    )));
                }
            };
            f.order(sort, "id");
            f.page(q.first, q.max);
            f.query(
                c,
                &format!("SELECT {AUTH_COLUMNS} FROM id_authorization"),
                "",
                auth_row,
            )
        })
        .await
    }

    /// How many authorizations `q` selects (its paging aside).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn authorization_count(&self, q: AuthorizationQuery) -> Result<u64> {
        self.read(move |c| Ok(authorization_filter(&q).count(c, "id_authorization")? as u64))
            .await
    }
}

fn authorization_filter(q: &AuthorizationQuery) -> Filter {
    let mut f = Filter::default();
    f.eq("id", &q.id);
    f.eq("type", &q.kind);
    f.any("user_id", &q.user_ids);
    f.any("group_id", &q.group_ids);
    f.eq("resource_type", &q.resource_type);
    f.eq("resource_id", &q.resource_id);
    f.scope(&q.scope, &[(Resource::Authorization, 2, "id")], None);
    f
}

/// The authorization `spec` describes, checked as Camunda's
/// `AuthorizationEntity` and `SaveAuthorizationCmd` check it.
fn checked(spec: &AuthorizationSpec) -> Result<Authorization> {
    let invalid = |m: String| Err(Error::Invalid(m));
    if ![GLOBAL, GRANT, REVOKE].contains(&spec.kind) {
        return invalid(format!(
            "Authorization type {} is not one of 0 (global), 1 (grant) and 2 (revoke).",
            spec.kind
        ));
    }
    let Some(resource) = Resource::from_number(spec.resource_type) else {
        return invalid(format!("Unknown resource type {}.", spec.resource_type));
    };
    let user = spec.user_id.as_deref().filter(|u| !u.is_empty());
    let group = spec.group_id.as_deref().filter(|g| !g.is_empty());
    match (spec.kind, user, group) {
        (GLOBAL, Some("*"), None) => {}
        (GLOBAL, _, _) => {
            return invalid(
                "ENGINE-03087 Cannot create authorization of type GLOBAL: userId must be '*' \
                 and groupId must be null."
                    .into(),
            );
        }
        (_, Some("*"), _) => {
            return invalid(
                "ENGINE-03086 Cannot use '*' as userId for an authorization of type GRANT or \
                 REVOKE; use type 0 (global)."
                    .into(),
            );
        }
        (_, Some(_), None) | (_, None, Some(_)) => {}
        _ => {
            return invalid(
                "Authorization must either have a 'userId' or a 'groupId', not both nor neither."
                    .into(),
            );
        }
    }
    let mut bits = 0u32;
    for name in &spec.permissions {
        let Some(bit) = resource.permission(name) else {
            return invalid(format!(
                "The permission '{name}' is not valid for '{}' resource type.",
                resource.name()
            ));
        };
        bits |= bit;
    }
    let perms = if spec.kind == REVOKE {
        ALL & !bits
    } else {
        bits
    };
    let resource_id = spec
        .resource_id
        .clone()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "*".into());
    Ok(Authorization {
        id: String::new(),
        kind: spec.kind,
        user_id: user.map(str::to_owned),
        group_id: group.map(str::to_owned),
        resource_type: spec.resource_type,
        resource_id,
        perms,
        revision: 1,
    })
}

/// Refuses a second authorization of the same type for the same user or group
/// on the same resource, as Camunda's unique constraint does.
fn refuse_duplicate(c: &Connection, a: &Authorization, except: Option<&str>) -> Result<()> {
    let other: Option<String> = c
        .prepare_cached(
            "SELECT id FROM id_authorization WHERE type = ?1 AND user_id IS ?2 AND group_id IS ?3 \
             AND resource_type = ?4 AND resource_id = ?5 AND id IS NOT ?6",
        )?
        .query_row(
            params![
                a.kind,
                a.user_id,
                a.group_id,
                a.resource_type,
                a.resource_id,
                except
            ],
            |r| r.get(0),
        )
        .optional()?;
    match other {
        Some(id) => Err(Error::Invalid(format!(
            "An authorization of this type for this {} and resource exists already: {id}.",
            if a.user_id.is_some() { "user" } else { "group" }
        ))),
        None => Ok(()),
    }
}

fn read_grants(c: &Connection, who: &Principal) -> Result<Grants> {
    let user = who.user_id.as_str();
    let group_list = serde_json::Value::from(who.groups.clone()).to_string();
    let mut stmt = c.prepare_cached(
        "SELECT type, user_id, resource_type, resource_id, perms FROM id_authorization \
         WHERE user_id = ?1 OR user_id = '*' \
         OR group_id IN (SELECT value FROM json_each(?2))",
    )?;
    let rows = stmt.query_map(params![user, group_list], |r| {
        let kind: i64 = r.get(0)?;
        let rule_user: Option<String> = r.get(1)?;
        let level = match (kind, rule_user.as_deref()) {
            (GLOBAL, _) => Level::Global,
            (_, Some(_)) => Level::User,
            _ => Level::Group,
        };
        Ok(Rule {
            level,
            kind,
            resource_type: r.get(2)?,
            resource_id: r.get(3)?,
            perms: u32::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
        })
    })?;
    let rules: Vec<Rule> = rows.collect::<rusqlite::Result<_>>()?;
    let revokes = rules.iter().any(|r| r.kind == REVOKE);
    Ok(Grants {
        user_id: user.to_owned(),
        groups: who.groups.clone(),
        tenants: who.tenants.clone(),
        admin: false,
        rules,
        revokes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(level: Level, kind: i64, id: &str, perms: u32) -> Rule {
        Rule {
            level,
            kind,
            resource_type: Resource::ProcessDefinition as i64,
            resource_id: id.into(),
            perms,
        }
    }

    fn grants(rules: Vec<Rule>) -> Grants {
        let revokes = rules.iter().any(|r| r.kind == REVOKE);
        Grants {
            user_id: "u".into(),
            groups: vec!["g".into()],
            tenants: Vec::new(),
            admin: false,
            rules,
            revokes,
        }
    }

    const READ: u32 = 2;

    #[test]
    fn two_permissions_allow_the_ids_both_allow() {
        let g = grants(vec![
            rule(Level::User, GRANT, "a", READ),
            rule(Level::User, GRANT, "b", READ),
            rule(Level::Group, GRANT, "*", 4),
            rule(Level::User, REVOKE, "b", ALL & !4),
        ]);
        assert_eq!(
            g.access(Resource::ProcessDefinition, READ | 4),
            Access::Only(vec!["a".into()])
        );
    }

    #[test]
    fn a_user_may_do_anything_to_themselves_and_read_their_groups() {
        let g = grants(vec![]);
        assert!(g.allows(Resource::User, 16, Some("u")));
        assert!(!g.allows(Resource::User, READ, Some("v")));
        assert!(g.allows(Resource::Group, READ, Some("g")));
        assert!(!g.allows(Resource::Group, 4, Some("g")));
    }

    #[test]
    fn nothing_granted_allows_nothing() {
        let g = grants(vec![]);
        assert_eq!(
            g.access(Resource::ProcessDefinition, READ),
            Access::Only(vec![])
        );
    }

    #[test]
    fn a_user_grant_on_one_id_allows_that_id_only() {
        let g = grants(vec![rule(Level::User, GRANT, "a", READ)]);
        assert!(g.allows(Resource::ProcessDefinition, READ, Some("a")));
        assert!(!g.allows(Resource::ProcessDefinition, READ, Some("b")));
        assert!(!g.allows(Resource::ProcessDefinition, 4, Some("a")));
    }

    #[test]
    fn a_user_revoke_beats_a_group_grant_and_a_global_grant() {
        let g = grants(vec![
            rule(Level::User, REVOKE, "a", ALL & !READ),
            rule(Level::Group, GRANT, "*", READ),
            rule(Level::Global, GLOBAL, "*", ALL),
        ]);
        assert_eq!(
            g.access(Resource::ProcessDefinition, READ),
            Access::AllBut(vec!["a".into()])
        );
    }

    #[test]
    fn a_user_wildcard_grant_beats_a_group_revoke_of_one_id() {
        let g = grants(vec![
            rule(Level::User, GRANT, "*", READ),
            rule(Level::Group, REVOKE, "a", ALL & !READ),
        ]);
        assert!(g.allows(Resource::ProcessDefinition, READ, Some("a")));
    }

    #[test]
    fn a_group_grant_of_one_id_beats_a_global_revoke() {
        let g = grants(vec![
            rule(Level::Group, GRANT, "a", READ),
            rule(Level::Global, GLOBAL, "*", 0),
            rule(Level::User, REVOKE, "z", ALL & !4),
        ]);
        assert_eq!(
            g.access(Resource::ProcessDefinition, READ),
            Access::Only(vec!["a".into()])
        );
    }

    #[test]
    fn a_global_rule_without_the_bit_revokes_only_when_revokes_exist() {
        // Without any revoke authorization, Camunda's `auto` mode skips revoke
        // checks: the global wildcard grant decides.
        let without = grants(vec![
            rule(Level::Global, GLOBAL, "a", 4),
            rule(Level::Global, GLOBAL, "*", READ),
        ]);
        assert!(without.allows(Resource::ProcessDefinition, READ, Some("a")));
        let with = grants(vec![
            rule(Level::Global, GLOBAL, "a", 4),
            rule(Level::Global, GLOBAL, "*", READ),
            rule(Level::User, REVOKE, "z", ALL & !4),
        ]);
        assert!(!with.allows(Resource::ProcessDefinition, READ, Some("a")));
        assert!(with.allows(Resource::ProcessDefinition, READ, Some("b")));
    }

    #[test]
    fn a_check_without_an_id_needs_the_wildcard() {
        let g = grants(vec![rule(Level::User, GRANT, "a", READ)]);
        assert!(!g.allows(Resource::ProcessDefinition, READ, None));
        let g = grants(vec![rule(Level::Group, GRANT, "*", READ)]);
        assert!(g.allows(Resource::ProcessDefinition, READ, None));
    }

    #[test]
    fn revoke_names_list_the_revoked_permissions() {
        let a = Authorization {
            id: "x".into(),
            kind: REVOKE,
            user_id: Some("u".into()),
            group_id: None,
            resource_type: Resource::ProcessDefinition as i64,
            resource_id: "*".into(),
            perms: ALL & !(2 | 256),
            revision: 1,
        };
        assert_eq!(a.permission_names(), vec!["READ", "CREATE_INSTANCE"]);
    }

    #[test]
    fn resource_names_read_in_any_spelling() {
        assert_eq!(
            Resource::from_name("process-definition"),
            Some(Resource::ProcessDefinition)
        );
        assert_eq!(
            Resource::from_name("ProcessInstance"),
            Some(Resource::ProcessInstance)
        );
        assert_eq!(Resource::from_name("nope"), None);
    }
}

/// What a command or a read of one thing names, for its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// A process instance, running or (for history) finished.
    Instance(&'a str),
    /// An execution (its instance's).
    Execution(&'a str),
    /// An external task.
    ExternalTask(&'a str),
    /// A job.
    Job(&'a str),
    /// A user task.
    Task(&'a str),
    /// A task in history.
    HistoricTask(&'a str),
    /// A process definition by id.
    Definition(&'a str),
    /// A deployment.
    Deployment(&'a str),
}

/// What a [`Target`] belongs to: its instance, its definition's key, its
/// tenant, and, for a task, the people a task's default permissions go to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owner {
    /// The target's id (a task's, an instance's, …).
    pub id: String,
    /// The process instance it belongs to (none for a definition or deployment).
    pub instance_id: Option<String>,
    /// The key of its process definition (none for a deployment).
    pub definition_key: Option<String>,
    /// Its tenant.
    pub tenant_id: Option<String>,
    /// For a task: its assignee and owner, and its candidate users and groups.
    pub people: Option<TaskPeople>,
}

/// A task's assignee, owner and candidates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskPeople {
    /// The assignee.
    pub assignee: Option<String>,
    /// The owner.
    pub owner: Option<String>,
    /// Candidate users.
    pub users: Vec<String>,
    /// Candidate groups.
    pub groups: Vec<String>,
}

impl TaskPeople {
    /// Whether `p` is the assignee, the owner, a candidate user or in a candidate
    /// group: Camunda's default authorizations let them read and work on the task.
    pub fn involves(&self, p: &Principal) -> bool {
        let me = Some(p.user_id.as_str());
        self.assignee.as_deref() == me
            || self.owner.as_deref() == me
            || self.users.contains(&p.user_id)
            || self.groups.iter().any(|g| p.groups.contains(g))
    }
}

impl Engine {
    /// What `target` belongs to, or `None` when it does not exist (the command
    /// itself then answers that).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn owner_of(&self, target: Target<'_>) -> Result<Option<Owner>> {
        let (sql, id) = match target {
            Target::Instance(id) => (
                "SELECT id, id, definition_key, tenant_id FROM process_instance WHERE id = ?1 \
                 UNION ALL SELECT id, id, definition_key, tenant_id FROM hi_process_instance \
                 WHERE id = ?1 LIMIT 1",
                id,
            ),
            Target::Execution(id) => (
                "SELECT ?1, id, definition_key, tenant_id FROM process_instance WHERE id = ?1 \
                 OR id = (SELECT instance_id FROM variable WHERE execution_id = ?1 LIMIT 1) \
                 LIMIT 1",
                id,
            ),
            Target::ExternalTask(id) => (
                "SELECT id, instance_id, definition_key, tenant_id FROM external_task WHERE id = ?1",
                id,
            ),
            Target::Job(id) => (
                "SELECT id, instance_id, definition_key, tenant_id FROM job WHERE id = ?1",
                id,
            ),
            Target::Task(id) => (
                "SELECT id, instance_id, definition_key, tenant_id, assignee, owner FROM task \
                 WHERE id = ?1",
                id,
            ),
            Target::HistoricTask(id) => (
                "SELECT id, instance_id, definition_key, tenant_id FROM hi_task WHERE id = ?1",
                id,
            ),
            Target::Definition(id) => (
                "SELECT id, NULL, key, tenant_id FROM process_definition WHERE id = ?1",
                id,
            ),
            Target::Deployment(id) => (
                "SELECT id, NULL, NULL, tenant_id FROM deployment WHERE id = ?1",
                id,
            ),
        };
        let is_task = matches!(target, Target::Task(_));
        let id = id.to_owned();
        self.read(move |c| {
            let found = c
                .prepare_cached(sql)?
                .query_row([&id], |r| {
                    Ok(Owner {
                        id: r.get(0)?,
                        instance_id: r.get(1)?,
                        definition_key: r.get(2)?,
                        tenant_id: r.get(3)?,
                        people: if is_task {
                            Some(TaskPeople {
                                assignee: r.get(4)?,
                                owner: r.get(5)?,
                                ..TaskPeople::default()
                            })
                        } else {
                            None
                        },
                    })
                })
                .optional()?;
            let Some(mut owner) = found else {
                return Ok(None);
            };
            if let Some(people) = owner.people.as_mut() {
                let mut stmt = c.prepare_cached(
                    "SELECT user_id, group_id FROM task_candidate WHERE task_id = ?1",
                )?;
                let rows = stmt.query_map([&id], |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                    ))
                })?;
                for row in rows {
                    match row? {
                        (Some(u), _) => people.users.push(u),
                        (None, Some(g)) => people.groups.push(g),
                        (None, None) => {}
                    }
                }
            }
            Ok(Some(owner))
        })
        .await
    }
}
