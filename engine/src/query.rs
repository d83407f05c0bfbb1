//! Read-only queries. They run on read connections (WAL readers), never on the writer.
//!
//! Every list query filters, orders, pages and counts in SQL: a query struct of
//! [`crate::types`] becomes one `WHERE` clause ([`Filter`]), the list adds its
//! `ORDER BY` (the sort asked for, then the query's default order, so rows that
//! tie keep it) and `LIMIT … OFFSET …`, the count is `SELECT COUNT(*)` over the
//! same clause. List filters go through [`crate::list`], variable filters through
//! [`crate::filter`], `…Like` patterns through [`crate::filter::like_to_glob`].

use rusqlite::{Connection, OptionalExtension, ToSql, params};

use crate::Engine;
use crate::authz::{Resource, perm};
use crate::error::{Error, Result};
use crate::filter::{self, VariableFilter};
use crate::graph::Graph;
use crate::list;
use crate::runtime::{Exec, ExecKind, Wait, activity_type};
use crate::store::rows::{
    self, DEFINITION_COLUMNS, HI_ACTIVITY_COLUMNS, HI_INSTANCE_COLUMNS, INCIDENT_COLUMNS,
    TASK_COLUMNS,
};
use crate::types::*;

/// A WHERE clause under construction.
#[derive(Default)]
pub(crate) struct Filter {
    sql: String,
    args: Vec<Box<dyn ToSql + Send>>,
}

impl Filter {
    pub(crate) fn eq<T: ToSql + Send + Clone + 'static>(
        &mut self,
        column: &str,
        value: &Option<T>,
    ) {
        if let Some(v) = value {
            self.raw_arg(&format!("{column} = ?"), v.clone());
        }
    }

    pub(crate) fn raw(&mut self, clause: &str) {
        self.sql.push_str(if self.sql.is_empty() {
            " WHERE "
        } else {
            " AND "
        });
        self.sql.push_str(clause);
    }

    /// The condition `build` makes (without `WHERE`) and its parameters,
    /// numbered after `taken` parameters of a statement built by hand; `None`
    /// when it adds no condition.
    pub(crate) fn clause_after(
        taken: usize,
        build: impl FnOnce(&mut Filter),
    ) -> Option<(String, Vec<Box<dyn ToSql + Send>>)> {
        let mut f = Filter::default();
        f.args
            .extend((0..taken).map(|_| Box::new(rusqlite::types::Null) as Box<dyn ToSql + Send>));
        build(&mut f);
        if f.sql.is_empty() {
            return None;
        }
        let args = f.args.split_off(taken);
        Some((f.sql.trim_start_matches(" WHERE ").to_owned(), args))
    }

    /// Adds `value` as a parameter and answers its placeholder (`?N`).
    pub(crate) fn arg<T: ToSql + Send + 'static>(&mut self, value: T) -> String {
        self.args.push(Box::new(value));
        format!("?{}", self.args.len())
    }

    pub(crate) fn raw_arg<T: ToSql + Send + 'static>(&mut self, clause: &str, value: T) {
        self.args.push(Box::new(value));
        let n = self.args.len();
        self.raw(&clause.replace('?', &format!("?{n}")));
    }

    /// `column IN (…)` over `values` with its parameters added, for a clause of the
    /// caller's making.
    pub(crate) fn in_clause(&mut self, column: &str, values: &[String]) -> String {
        let (clause, params) = list::in_list(column, values, self.args.len() + 1);
        self.args.extend(params);
        clause
    }

    /// `column` is one of `values`, however many (see [`crate::list`]); an empty
    /// list filters nothing.
    pub(crate) fn any(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let clause = self.in_clause(column, values);
        self.raw(&clause);
    }

    /// `column` is none of `values`; an empty list filters nothing.
    pub(crate) fn none_of(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let clause = self.in_clause(column, values);
        self.raw(&format!("NOT ({clause})"));
    }

    /// `column` matches the `LIKE` pattern, as Camunda's `…Like` filters take it:
    /// `%` any text, `_` one character, `\` escapes the next, case-sensitive. A
    /// NULL never matches.
    pub(crate) fn like(&mut self, column: &str, pattern: &Option<String>) {
        if let Some(p) = pattern {
            self.raw_arg(&format!("{column} GLOB ?"), filter::like_to_glob(p));
        }
    }

    /// `tenantIdIn` and `withoutTenantId`: both must hold when both are given.
    pub(crate) fn tenants(&mut self, column: &str, ids: &[String], without: bool) {
        self.any(column, ids);
        if without {
            self.raw(&format!("{column} IS NULL"));
        }
    }

    /// `suspended` and `active` filters over a 0/1 `column`.
    pub(crate) fn suspension(
        &mut self,
        column: &str,
        suspended: Option<bool>,
        active: Option<bool>,
    ) {
        if let Some(s) = suspended {
            self.raw_arg(&format!("{column} = ?"), s);
        }
        if let Some(a) = active {
            self.raw_arg(&format!("{column} = ?"), !a);
        }
    }

    /// A time window: `column` at or after `after`, at or before `before` (both
    /// inclusive, as Camunda's; a NULL never matches).
    pub(crate) fn between(&mut self, column: &str, after: Option<i64>, before: Option<i64>) {
        if let Some(t) = after {
            self.raw_arg(&format!("{column} >= ?"), t);
        }
        if let Some(t) = before {
            self.raw_arg(&format!("{column} <= ?"), t);
        }
    }

    /// Some variable of the instance in `instance_column` matches `v`.
    pub(crate) fn variable(&mut self, instance_column: &str, v: &VariableFilter) -> Result<()> {
        let (clause, params) = filter::by_instance(v, instance_column, self.args.len() + 1)?;
        self.args.extend(params);
        self.raw(&clause);
        Ok(())
    }

    /// Appends `ORDER BY`: the terms of `sort` in its direction, then `default`.
    pub(crate) fn order(&mut self, sort: Option<(&[&str], bool)>, default: &str) {
        self.sql.push_str(" ORDER BY ");
        if let Some((terms, desc)) = sort {
            for t in terms {
                self.sql.push_str(t);
                self.sql.push_str(if desc { " DESC, " } else { " ASC, " });
            }
        }
        self.sql.push_str(default);
    }

    pub(crate) fn page(&mut self, first: usize, max: Option<usize>) {
        if first == 0 && max.is_none() {
            return;
        }
        let limit = max.map_or(-1, |m| i64::try_from(m).unwrap_or(i64::MAX));
        let offset = i64::try_from(first).unwrap_or(i64::MAX);
        self.args.push(Box::new(limit));
        self.args.push(Box::new(offset));
        let n = self.args.len();
        self.sql.push_str(&format!(" LIMIT ?{} OFFSET ?{n}", n - 1));
    }

    /// The rows of `head` (a `SELECT … FROM …`) with this clause, then `tail`.
    pub(crate) fn query<T>(
        &self,
        conn: &Connection,
        head: &str,
        tail: &str,
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let sql = format!("{head}{}{tail}", self.sql);
        let mut stmt = conn.prepare_cached(&sql)?;
        let params: Vec<&dyn ToSql> = self.args.iter().map(|a| a.as_ref() as &dyn ToSql).collect();
        let rows = stmt.query_map(params.as_slice(), f)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many rows of `table` this clause admits.
    pub(crate) fn count(&self, conn: &Connection, table: &str) -> Result<usize> {
        let n: i64 = self
            .query(conn, &format!("SELECT COUNT(*) FROM {table}"), "", |r| {
                r.get(0)
            })?
            .first()
            .copied()
            .unwrap_or(0);
        Ok(usize::try_from(n).unwrap_or(0))
    }
}

/// The sort terms of `sort`, mapped by `terms`, with its direction.
fn sort_of<K: Copy>(
    sort: Option<Sort<K>>,
    terms: impl Fn(K) -> &'static [&'static str],
) -> Option<(&'static [&'static str], bool)> {
    sort.map(|s| (terms(s.by), s.descending))
}

/// An end time, ascending with unfinished ones last.
const END_TIME: &[&str] = &["end_time IS NULL", "end_time"];
/// A duration, ascending with unfinished ones last.
const DURATION: &[&str] = &["end_time IS NULL", "end_time - start_time"];

// ----- the WHERE clause and order of each query -----

/// Who may read a row of a running instance (an instance, a job): `READ` on the
/// instance or `READ_INSTANCE` on its definition, as Camunda's checks.
const READ_INSTANCE: &[(Resource, u32, &str)] = &[
    (Resource::ProcessInstance, perm::READ, "id"),
    (
        Resource::ProcessDefinition,
        perm::READ_INSTANCE,
        "definition_key",
    ),
];

/// [`READ_INSTANCE`] for a row that names its instance in `instance_id`.
const READ_TASK_INSTANCE: &[(Resource, u32, &str)] = &[
    (Resource::ProcessInstance, perm::READ, "instance_id"),
    (
        Resource::ProcessDefinition,
        perm::READ_INSTANCE,
        "definition_key",
    ),
];

/// Who may read history: `READ_HISTORY` on the definition.
const READ_HISTORY: &[(Resource, u32, &str)] = &[(
    Resource::ProcessDefinition,
    perm::READ_HISTORY,
    "definition_key",
)];

fn deployment_filter(q: &DeploymentQuery) -> Filter {
    let mut f = Filter::default();
    f.eq("id", &q.id);
    f.eq("name", &q.name);
    // Camunda's pattern over the name, a missing one read as empty.
    f.like("IFNULL(name, '')", &q.name_like);
    f.eq("source", &q.source);
    f.tenants("tenant_id", &q.tenant_ids, q.without_tenant_id);
    f.scope(
        &q.scope,
        &[(Resource::Deployment, perm::READ, "id")],
        Some("tenant_id"),
    );
    f
}

fn deployment_order(f: &mut Filter, sort: Option<Sort<DeploymentSort>>) {
    let terms = sort_of(sort, |by| match by {
        DeploymentSort::Id => &["id"],
        DeploymentSort::Name => &["name"],
        DeploymentSort::DeploymentTime => &["deploy_time"],
        DeploymentSort::TenantId => &["tenant_id"],
    });
    f.order(terms, "deploy_time DESC, id DESC");
}

fn definition_filter(q: &DefinitionQuery) -> Filter {
    let mut f = Filter::default();
    f.eq("id", &q.id);
    f.any("id", &q.ids);
    f.eq("key", &q.key);
    f.any("key", &q.keys);
    f.like("key", &q.key_like);
    f.eq("name", &q.name);
    f.like("name", &q.name_like);
    f.eq("version", &q.version);
    f.eq("deployment_id", &q.deployment_id);
    f.eq("version_tag", &q.version_tag);
    f.like("version_tag", &q.version_tag_like);
    f.eq("category", &q.category);
    f.like("category", &q.category_like);
    f.tenants("tenant_id", &q.tenant_ids, q.without_tenant_id);
    f.scope(
        &q.scope,
        &[(Resource::ProcessDefinition, perm::READ, "key")],
        Some("tenant_id"),
    );
    f.suspension("suspended", q.suspended, q.active);
    if q.latest_version {
        f.raw(
            "version = (SELECT MAX(version) FROM process_definition p2 \
             WHERE p2.key = process_definition.key AND p2.tenant_id IS process_definition.tenant_id)",
        );
    }
    f
}

fn definition_order(f: &mut Filter, sort: Option<Sort<DefinitionSort>>) {
    let terms = sort_of(sort, |by| match by {
        DefinitionSort::Category => &["category"],
        DefinitionSort::Key => &["key"],
        DefinitionSort::Id => &["id"],
        DefinitionSort::Name => &["name"],
        DefinitionSort::Version => &["version"],
        DefinitionSort::DeploymentId => &["deployment_id"],
        DefinitionSort::DeployTime => &[
            "(SELECT d.deploy_time FROM deployment d WHERE d.id = process_definition.deployment_id)",
        ],
        DefinitionSort::TenantId => &["tenant_id"],
        DefinitionSort::VersionTag => &["version_tag"],
    });
    f.order(terms, "key, version, id");
}

/// The element an execution of the instance's tree (`state`, an array of `Exec`)
/// is at, as the activity-instance tree names it: a multi-instance body as
/// `id#multiInstanceBody`; the root has none.
const EXEC_ACTIVITY: &str = "CASE json_extract(exec.value, '$.kind') \
     WHEN 'MiBody' THEN json_extract(exec.value, '$.activity') || '#multiInstanceBody' \
     ELSE json_extract(exec.value, '$.activity') END";

fn instance_filter(q: &InstanceQuery) -> Result<Filter> {
    let mut f = Filter::default();
    f.any("id", &q.ids);
    f.eq("business_key", &q.business_key);
    f.like("business_key", &q.business_key_like);
    f.eq("definition_id", &q.definition_id);
    f.eq("definition_key", &q.definition_key);
    f.any("definition_key", &q.definition_keys);
    f.none_of("definition_key", &q.definition_keys_not_in);
    f.eq("super_instance_id", &q.super_instance_id);
    if let Some(sub) = &q.sub_instance_id {
        f.raw_arg(
            "id = (SELECT super_instance_id FROM process_instance s WHERE s.id = ?)",
            sub.clone(),
        );
    }
    if q.roots_only {
        f.raw("super_instance_id IS NULL");
    }
    if q.with_incident {
        f.raw("EXISTS (SELECT 1 FROM incident i WHERE i.instance_id = process_instance.id)");
    }
    f.tenants("tenant_id", &q.tenant_ids, q.without_tenant_id);
    f.scope(&q.scope, READ_INSTANCE, Some("tenant_id"));
    f.suspension("suspended", q.suspended, q.active);
    if !q.activity_ids.is_empty() {
        // The instance's own execution tree is where every token rests, whatever it
        // waits for (a task, a join, a message, a timer, a called instance, a failed
        // step), with or without history; the root is named by the definition id,
        // as in the activity-instance tree.
        let execs = f.in_clause(EXEC_ACTIVITY, &q.activity_ids);
        let root = f.in_clause("process_instance.definition_id", &q.activity_ids);
        f.raw(&format!(
            "({root} OR EXISTS (SELECT 1 FROM json_each(process_instance.state) exec \
             WHERE {execs}))"
        ));
    }
    for v in &q.variables {
        f.variable("process_instance.id", v)?;
    }
    Ok(f)
}

fn instance_order(f: &mut Filter, sort: Option<Sort<InstanceSort>>) {
    let terms = sort_of(sort, |by| match by {
        InstanceSort::InstanceId => &["id"],
        InstanceSort::DefinitionKey => &["definition_key"],
        InstanceSort::DefinitionId => &["definition_id"],
        InstanceSort::TenantId => &["tenant_id"],
        InstanceSort::BusinessKey => &["business_key"],
    });
    f.order(terms, "start_time, id");
}

fn external_task_filter(q: &ExternalTaskQuery, now: i64) -> Filter {
    let mut f = Filter::default();
    f.eq("id", &q.id);
    f.any("id", &q.ids);
    f.eq("topic", &q.topic);
    f.eq("worker_id", &q.worker_id);
    f.eq("instance_id", &q.process_instance_id);
    f.any("instance_id", &q.process_instance_ids);
    f.eq("definition_id", &q.process_definition_id);
    f.eq("definition_key", &q.process_definition_key);
    f.eq("activity_id", &q.activity_id);
    f.any("activity_id", &q.activity_ids);
    f.eq("execution_id", &q.execution_id);
    f.any("tenant_id", &q.tenant_ids);
    f.scope(&q.scope, READ_TASK_INSTANCE, Some("tenant_id"));
    f.suspension("suspended", q.suspended, q.active);
    if q.locked {
        f.raw_arg("lock_expiration > ?", now);
    }
    if q.not_locked {
        f.raw_arg("(lock_expiration IS NULL OR lock_expiration <= ?)", now);
    }
    if q.with_retries_left {
        f.raw("(retries IS NULL OR retries > 0)");
    }
    if q.no_retries_left {
        f.raw("retries = 0");
    }
    if let Some(p) = q.priority_higher_than_or_equals {
        f.raw_arg("priority >= ?", p);
    }
    if let Some(p) = q.priority_lower_than_or_equals {
        f.raw_arg("priority <= ?", p);
    }
    f
}

fn external_task_order(f: &mut Filter, sort: Option<Sort<ExternalTaskSort>>) {
    let terms = sort_of(sort, |by| match by {
        ExternalTaskSort::Id => &["id"],
        ExternalTaskSort::LockExpirationTime => &["lock_expiration"],
        ExternalTaskSort::ProcessInstanceId => &["instance_id"],
        ExternalTaskSort::ProcessDefinitionId => &["definition_id"],
        ExternalTaskSort::ProcessDefinitionKey => &["definition_key"],
        ExternalTaskSort::TenantId => &["tenant_id"],
        ExternalTaskSort::Priority => &["priority"],
        ExternalTaskSort::CreateTime => &["create_time"],
    });
    f.order(terms, "create_time, id");
}

/// The key of an incident's definition: its id is `key:version:uuid`.
const INCIDENT_DEFINITION_KEY: &str = "CASE WHEN instr(definition_id, ':') > 0 \
     THEN substr(definition_id, 1, instr(definition_id, ':') - 1) ELSE definition_id END";

fn incident_filter(q: &IncidentQuery) -> Filter {
    let mut f = Filter::default();
    f.eq("id", &q.id);
    f.eq("type", &q.incident_type);
    f.eq("message", &q.message);
    f.like("message", &q.message_like);
    f.eq("instance_id", &q.process_instance_id);
    f.eq("definition_id", &q.process_definition_id);
    f.any(INCIDENT_DEFINITION_KEY, &q.process_definition_keys);
    f.eq("execution_id", &q.execution_id);
    f.eq("activity_id", &q.activity_id);
    f.eq("configuration", &q.configuration);
    f.between("create_time", q.timestamp_after, q.timestamp_before);
    f.tenants("tenant_id", &q.tenant_ids, q.without_tenant_id);
    f.scope(
        &q.scope,
        &[
            (Resource::ProcessInstance, perm::READ, "instance_id"),
            (
                Resource::ProcessDefinition,
                perm::READ_INSTANCE,
                INCIDENT_DEFINITION_KEY,
            ),
        ],
        Some("tenant_id"),
    );
    f
}

fn incident_order(f: &mut Filter, sort: Option<Sort<IncidentSort>>) {
    let terms = sort_of(sort, |by| match by {
        IncidentSort::Id => &["id"],
        IncidentSort::Message => &["message"],
        IncidentSort::Timestamp => &["create_time"],
        IncidentSort::Type => &["type"],
        IncidentSort::ExecutionId => &["execution_id"],
        IncidentSort::ActivityId => &["activity_id"],
        IncidentSort::ProcessInstanceId => &["instance_id"],
        IncidentSort::ProcessDefinitionId => &["definition_id"],
        IncidentSort::Configuration => &["configuration"],
        IncidentSort::TenantId => &["tenant_id"],
    });
    f.order(terms, "create_time, id");
}

/// The WHERE clause of a job query; its job definition is looked up on `c`, since
/// a job definition id is derived from a definition and an element, not stored.
pub(crate) fn job_filter(c: &Connection, q: &JobQuery, now: i64) -> Result<Filter> {
    let mut f = Filter::default();
    f.eq("id", &q.id);
    f.any("id", &q.ids);
    f.eq("instance_id", &q.process_instance_id);
    f.any("instance_id", &q.process_instance_ids);
    f.eq("execution_id", &q.execution_id);
    f.eq("definition_id", &q.process_definition_id);
    f.eq("definition_key", &q.process_definition_key);
    f.eq("activity_id", &q.activity_id);
    f.eq("exception", &q.exception_message);
    f.tenants("tenant_id", &q.tenant_ids, q.without_tenant_id);
    f.scope(&q.scope, READ_TASK_INSTANCE, Some("tenant_id"));
    if q.with_retries_left {
        f.raw("retries > 0");
    }
    if q.no_retries_left {
        f.raw("retries = 0");
    }
    if q.executable {
        f.raw_arg("retries > 0 AND due <= ?", now);
    }
    if q.messages {
        // Every job is a timer: there are no message jobs.
        f.raw("0");
    }
    if q.suspended {
        f.raw("suspended = 1");
    }
    if q.active {
        f.raw("suspended = 0");
    }
    if q.with_exception {
        f.raw("exception IS NOT NULL");
    }
    if let Some(wanted) = &q.job_definition_id {
        type Kinds = (String, String, String, String, String);
        let kinds: Vec<Kinds> = c
            .prepare_cached(
                "SELECT DISTINCT definition_id, activity_id, kind, \
                 CASE kind WHEN 'async' THEN timer_kind ELSE '' END, \
                 CASE kind WHEN 'async' THEN timer_text ELSE '' END FROM job",
            )?
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let found = kinds.into_iter().find(|(d, a, k, tk, tt)| {
            crate::events::job_definition_id(d, &crate::events::job_definition_key(a, k, tk, tt))
                == *wanted
        });
        match found {
            Some((d, a, k, tk, tt)) => {
                f.raw_arg("definition_id = ?", d);
                f.raw_arg("activity_id = ?", a);
                f.raw_arg("kind = ?", k.clone());
                if k == "async" {
                    f.raw_arg("timer_kind = ?", tk);
                    f.raw_arg("timer_text = ?", tt);
                }
            }
            None => f.raw("0"),
        }
    }
    Ok(f)
}

pub(crate) fn job_order(f: &mut Filter, sort: Option<Sort<JobSort>>) {
    let terms = sort_of(sort, |by| match by {
        JobSort::Id => &["id"],
        JobSort::DueDate => &["due"],
        JobSort::Retries => &["retries"],
        JobSort::ProcessInstanceId => &["instance_id"],
    });
    f.order(terms, "due, create_time, id");
}

fn historic_instance_filter(q: &HistoricInstanceQuery) -> Filter {
    let mut f = Filter::default();
    f.eq("id", &q.id);
    f.any("id", &q.ids);
    f.none_of("id", &q.ids_not_in);
    f.eq("business_key", &q.business_key);
    f.any("business_key", &q.business_keys);
    f.like("business_key", &q.business_key_like);
    f.eq("definition_key", &q.definition_key);
    f.any("definition_key", &q.definition_keys);
    f.none_of("definition_key", &q.definition_keys_not_in);
    f.eq("definition_id", &q.definition_id);
    f.eq("super_instance_id", &q.super_instance_id);
    f.eq("root_instance_id", &q.root_instance_id);
    if q.roots_only {
        f.raw("super_instance_id IS NULL");
    }
    if q.finished {
        f.raw("end_time IS NOT NULL");
    }
    if q.unfinished {
        f.raw("end_time IS NULL");
    }
    f.any("state", &q.states);
    f.between("start_time", q.started_after, q.started_before);
    f.between("end_time", q.finished_after, q.finished_before);
    f.tenants("tenant_id", &q.tenant_ids, q.without_tenant_id);
    f.scope(&q.scope, READ_HISTORY, Some("tenant_id"));
    f
}

fn historic_instance_order(f: &mut Filter, sort: Option<Sort<HistoricInstanceSort>>) {
    let terms = sort_of(sort, |by| match by {
        HistoricInstanceSort::InstanceId => &["id"],
        HistoricInstanceSort::DefinitionId => &["definition_id"],
        HistoricInstanceSort::DefinitionKey => &["definition_key"],
        HistoricInstanceSort::DefinitionName => &["definition_name"],
        HistoricInstanceSort::DefinitionVersion => &["definition_version"],
        HistoricInstanceSort::BusinessKey => &["business_key"],
        HistoricInstanceSort::StartTime => &["start_time"],
        HistoricInstanceSort::EndTime => END_TIME,
        HistoricInstanceSort::Duration => DURATION,
        HistoricInstanceSort::TenantId => &["tenant_id"],
    });
    f.order(terms, "start_time, id");
}

fn historic_activity_filter(q: &HistoricActivityQuery) -> Filter {
    let mut f = Filter::default();
    f.any("instance_id", &q.process_instance_ids);
    f.eq("definition_id", &q.process_definition_id);
    f.eq("definition_key", &q.process_definition_key);
    f.eq("id", &q.activity_instance_id);
    f.eq("activity_id", &q.activity_id);
    f.eq("activity_name", &q.activity_name);
    f.like("activity_name", &q.activity_name_like);
    f.eq("activity_type", &q.activity_type);
    f.eq("execution_id", &q.execution_id);
    if q.finished {
        f.raw("end_time IS NOT NULL");
    }
    if q.unfinished {
        f.raw("end_time IS NULL");
    }
    if q.canceled {
        f.raw("canceled = 1");
    }
    if q.complete_scope {
        f.raw("complete_scope = 1");
    }
    f.between("start_time", q.started_after, q.started_before);
    f.between("end_time", q.finished_after, q.finished_before);
    f.tenants("tenant_id", &q.tenant_ids, q.without_tenant_id);
    f.scope(&q.scope, READ_HISTORY, Some("tenant_id"));
    f
}

fn historic_activity_order(f: &mut Filter, sort: Option<Sort<HistoricActivitySort>>) {
    let terms = sort_of(sort, |by| match by {
        HistoricActivitySort::ActivityInstanceId => &["id"],
        HistoricActivitySort::InstanceId => &["instance_id"],
        HistoricActivitySort::ExecutionId => &["execution_id"],
        HistoricActivitySort::ActivityId => &["activity_id"],
        HistoricActivitySort::ActivityName => &["activity_name"],
        HistoricActivitySort::ActivityType => &["activity_type"],
        HistoricActivitySort::StartTime => &["start_time"],
        HistoricActivitySort::EndTime => END_TIME,
        HistoricActivitySort::Duration => DURATION,
        HistoricActivitySort::DefinitionId => &["definition_id"],
        HistoricActivitySort::Occurrence => &["seq"],
        HistoricActivitySort::TenantId => &["tenant_id"],
    });
    // Instance ids are time-ordered: instances as they started, each one's
    // activities as they started (the index on (instance_id, seq) gives this order).
    f.order(terms, "instance_id, seq");
}

fn historic_variable_filter(q: &HistoricVariableQuery) -> Filter {
    let mut f = Filter::default();
    f.any("instance_id", &q.process_instance_ids);
    f.eq("definition_id", &q.process_definition_id);
    f.eq("definition_key", &q.process_definition_key);
    f.eq("name", &q.name);
    f.any("name", &q.names);
    f.like("name", &q.name_like);
    f.tenants("tenant_id", &q.tenant_ids, q.without_tenant_id);
    f.scope(&q.scope, READ_HISTORY, Some("tenant_id"));
    f
}

fn historic_variable_order(f: &mut Filter, sort: Option<Sort<HistoricVariableSort>>) {
    let terms = sort_of(sort, |by| match by {
        HistoricVariableSort::InstanceId => &["instance_id"],
        HistoricVariableSort::VariableName => &["name"],
        HistoricVariableSort::TenantId => &["tenant_id"],
    });
    f.order(terms, "instance_id, name, id");
}

impl Engine {
    /// Runs `f` on a read connection of the pool.
    pub(crate) async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        self.inner.store.read(f).await
    }

    /// Deployments with `id` and `name` (when given), newest first.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn deployments(
        &self,
        id: Option<String>,
        name: Option<String>,
    ) -> Result<Vec<Deployment>> {
        self.query_deployments(DeploymentQuery {
            id,
            name,
            ..DeploymentQuery::default()
        })
        .await
    }

    /// Deployments matching `q`, newest first unless it sorts.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn query_deployments(&self, q: DeploymentQuery) -> Result<Vec<Deployment>> {
        self.read(move |c| {
            let mut f = deployment_filter(&q);
            deployment_order(&mut f, q.sort);
            f.page(q.first_result, q.max_results);
            f.query(
                c,
                "SELECT id, name, source, tenant_id, deploy_time FROM deployment",
                "",
                |r| {
                    Ok(Deployment {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        source: r.get(2)?,
                        tenant_id: r.get(3)?,
                        deployment_time: r.get(4)?,
                    })
                },
            )
        })
        .await
    }

    /// How many deployments match `q` (its sort and paging aside).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn count_deployments(&self, q: DeploymentQuery) -> Result<usize> {
        self.read(move |c| deployment_filter(&q).count(c, "deployment"))
            .await
    }

    /// Process definitions matching `q`, by key then version unless it sorts.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn definitions(&self, q: DefinitionQuery) -> Result<Vec<ProcessDefinition>> {
        self.read(move |c| {
            let mut f = definition_filter(&q);
            definition_order(&mut f, q.sort);
            f.page(q.first_result, q.max_results);
            f.query(
                c,
                &format!("SELECT {DEFINITION_COLUMNS} FROM process_definition"),
                "",
                rows::definition_from,
            )
        })
        .await
    }

    /// How many process definitions match `q` (its sort and paging aside).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn count_definitions(&self, q: DefinitionQuery) -> Result<usize> {
        self.read(move |c| definition_filter(&q).count(c, "process_definition"))
            .await
    }

    /// One process definition.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is none with `id`.
    pub async fn definition(&self, id: &str) -> Result<ProcessDefinition> {
        let q = DefinitionQuery {
            id: Some(id.to_owned()),
            ..DefinitionQuery::default()
        };
        self.definitions(q)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("No matching definition with id {id}")))
    }

    /// The BPMN XML a definition was deployed with.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no definition with `id`.
    pub async fn definition_xml(&self, id: &str) -> Result<Vec<u8>> {
        let id = id.to_owned();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT r.bytes FROM process_definition d JOIN resource r \
                 ON r.deployment_id = d.deployment_id AND r.name = d.resource_name WHERE d.id = ?1",
            )?
            .query_row([&id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("No matching definition with id {id}")))
        })
        .await
    }

    /// Running process instances matching `q`, by start time unless it sorts.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a variable filter whose value cannot be compared
    /// ([`VariableFilter::check`]); storage errors.
    pub async fn instances(&self, q: InstanceQuery) -> Result<Vec<ProcessInstance>> {
        q.variables.iter().try_for_each(VariableFilter::check)?;
        self.read(move |c| {
            let mut f = instance_filter(&q)?;
            instance_order(&mut f, q.sort);
            f.page(q.first_result, q.max_results);
            f.query(
                c,
                "SELECT id, definition_id, definition_key, business_key, tenant_id, suspended, \
                 super_instance_id, root_instance_id FROM process_instance",
                "",
                |r| {
                    Ok(ProcessInstance {
                        id: r.get(0)?,
                        definition_id: r.get(1)?,
                        definition_key: r.get(2)?,
                        business_key: r.get(3)?,
                        tenant_id: r.get(4)?,
                        suspended: r.get(5)?,
                        ended: false,
                        super_instance_id: r.get(6)?,
                        root_instance_id: r.get(7)?,
                    })
                },
            )
        })
        .await
    }

    /// How many running process instances match `q` (its sort and paging aside).
    ///
    /// # Errors
    ///
    /// As [`Engine::instances`].
    pub async fn count_instances(&self, q: InstanceQuery) -> Result<usize> {
        q.variables.iter().try_for_each(VariableFilter::check)?;
        self.read(move |c| instance_filter(&q)?.count(c, "process_instance"))
            .await
    }

    /// One running instance.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no instance with `id` is running.
    pub async fn instance(&self, id: &str) -> Result<ProcessInstance> {
        let q = InstanceQuery {
            ids: vec![id.to_owned()],
            ..InstanceQuery::default()
        };
        self.instances(q)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("Process instance with id {id} does not exist")))
    }

    /// External tasks matching `q`, by creation unless it sorts.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn external_tasks(&self, q: ExternalTaskQuery) -> Result<Vec<ExternalTask>> {
        let now = self.now();
        self.read(move |c| {
            let mut f = external_task_filter(&q, now);
            external_task_order(&mut f, q.sort);
            f.page(q.first_result, q.max_results);
            f.query(
                c,
                &format!("SELECT {TASK_COLUMNS} FROM external_task"),
                "",
                rows::task_from,
            )
        })
        .await
    }

    /// How many external tasks match `q` (its sort and paging aside).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn count_external_tasks(&self, q: ExternalTaskQuery) -> Result<usize> {
        let now = self.now();
        self.read(move |c| external_task_filter(&q, now).count(c, "external_task"))
            .await
    }

    /// One external task and its last failure's details.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no task with `id`.
    pub async fn external_task(&self, id: &str) -> Result<(ExternalTask, Option<String>)> {
        let id = id.to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM external_task WHERE id = ?1"
            ))?
            .query_row([&id], |r| Ok((rows::task_from(r)?, r.get(18)?)))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("External task with id {id} does not exist")))
        })
        .await
    }

    /// The distinct topics of external tasks.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn topic_names(&self) -> Result<Vec<String>> {
        self.external_task_topics(ExternalTaskQuery::default())
            .await
    }

    /// The distinct topics of the external tasks matching `q` (its sort and paging
    /// aside), in order.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn external_task_topics(&self, q: ExternalTaskQuery) -> Result<Vec<String>> {
        let now = self.now();
        self.read(move |c| {
            external_task_filter(&q, now).query(
                c,
                "SELECT DISTINCT topic FROM external_task",
                " ORDER BY topic",
                |r| r.get(0),
            )
        })
        .await
    }

    /// Open incidents matching `q`, by creation unless it sorts.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn incidents(&self, q: IncidentQuery) -> Result<Vec<Incident>> {
        self.read(move |c| {
            let mut f = incident_filter(&q);
            incident_order(&mut f, q.sort);
            f.page(q.first_result, q.max_results);
            f.query(
                c,
                &format!("SELECT {INCIDENT_COLUMNS} FROM incident"),
                "",
                rows::incident_from,
            )
        })
        .await
    }

    /// How many open incidents match `q` (its sort and paging aside).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn count_incidents(&self, q: IncidentQuery) -> Result<usize> {
        self.read(move |c| incident_filter(&q).count(c, "incident"))
            .await
    }

    /// The variables of a running instance, every scope.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn variables(&self, instance_id: &str) -> Result<Vec<VariableInstance>> {
        self.variables_where("instance_id = ?", instance_id).await
    }

    /// The variables local to execution `execution_id` (the instance's own, for the
    /// instance id). Variables live in scope executions only: a task without input
    /// mappings has none of its own.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn execution_variables(&self, execution_id: &str) -> Result<Vec<VariableInstance>> {
        self.variables_where("execution_id = ?", execution_id).await
    }

    async fn variables_where(
        &self,
        clause: &'static str,
        id: &str,
    ) -> Result<Vec<VariableInstance>> {
        let id = id.to_owned();
        self.read(move |c| {
            let mut f = Filter::default();
            f.raw_arg(clause, id);
            f.query(
                c,
                "SELECT id, name, type, value, info, instance_id, execution_id FROM variable",
                " ORDER BY name",
                |r| {
                    let t: String = r.get(2)?;
                    let info: Option<String> = r.get(4)?;
                    Ok(VariableInstance {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        value: rows::value_from(&t, r.get_ref(3)?, info.as_deref()),
                        process_instance_id: r.get(5)?,
                        execution_id: r.get(6)?,
                    })
                },
            )
        })
        .await
    }

    /// Historic process instances matching `q`, by start time unless it sorts.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn historic_instances(
        &self,
        q: HistoricInstanceQuery,
    ) -> Result<Vec<HistoricProcessInstance>> {
        self.read(move |c| {
            let mut f = historic_instance_filter(&q);
            historic_instance_order(&mut f, q.sort);
            f.page(q.first_result, q.max_results);
            f.query(
                c,
                &format!("SELECT {HI_INSTANCE_COLUMNS} FROM hi_process_instance"),
                "",
                rows::historic_instance_from,
            )
        })
        .await
    }

    /// How many historic process instances match `q` (its sort and paging aside).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn count_historic_instances(&self, q: HistoricInstanceQuery) -> Result<usize> {
        self.read(move |c| historic_instance_filter(&q).count(c, "hi_process_instance"))
            .await
    }

    /// The historic activity instances of a process instance, in the order they started.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn historic_activities(
        &self,
        instance_id: &str,
    ) -> Result<Vec<HistoricActivityInstance>> {
        self.query_historic_activities(HistoricActivityQuery {
            process_instance_ids: vec![instance_id.to_owned()],
            ..HistoricActivityQuery::default()
        })
        .await
    }

    /// Historic activity instances matching `q`: by process instance (as they
    /// started), each one's in the order they started, unless it sorts.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn query_historic_activities(
        &self,
        q: HistoricActivityQuery,
    ) -> Result<Vec<HistoricActivityInstance>> {
        self.read(move |c| {
            let mut f = historic_activity_filter(&q);
            historic_activity_order(&mut f, q.sort);
            f.page(q.first_result, q.max_results);
            f.query(
                c,
                &format!("SELECT {HI_ACTIVITY_COLUMNS} FROM hi_activity_instance"),
                "",
                rows::historic_activity_from,
            )
        })
        .await
    }

    /// How many historic activity instances match `q` (its sort and paging aside).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn count_historic_activities(&self, q: HistoricActivityQuery) -> Result<usize> {
        self.read(move |c| historic_activity_filter(&q).count(c, "hi_activity_instance"))
            .await
    }

    /// The historic variables of a process instance (their latest values), by name.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn historic_variables(&self, instance_id: &str) -> Result<Vec<HistoricVariable>> {
        self.query_historic_variables(HistoricVariableQuery {
            process_instance_ids: vec![instance_id.to_owned()],
            ..HistoricVariableQuery::default()
        })
        .await
    }

    /// Historic variables (their latest values) matching `q`, by process instance
    /// then name unless it sorts.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn query_historic_variables(
        &self,
        q: HistoricVariableQuery,
    ) -> Result<Vec<HistoricVariable>> {
        self.read(move |c| {
            let mut f = historic_variable_filter(&q);
            historic_variable_order(&mut f, q.sort);
            f.page(q.first_result, q.max_results);
            f.query(
                c,
                "SELECT id, name, type, value, info, instance_id, execution_id, definition_id, \
                 definition_key, create_time, state, tenant_id, \
                 CASE WHEN execution_id = instance_id THEN instance_id ELSE \
                   (SELECT a.id FROM hi_activity_instance a WHERE a.instance_id = hi_variable.instance_id \
                    AND a.execution_id = hi_variable.execution_id ORDER BY a.seq LIMIT 1) END, \
                 (SELECT p.root_instance_id FROM hi_process_instance p WHERE p.id = hi_variable.instance_id) \
                 FROM hi_variable",
                "",
                |r| {
                    let t: String = r.get(2)?;
                    let info: Option<String> = r.get(4)?;
                    Ok(HistoricVariable {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        value: rows::value_from(&t, r.get_ref(3)?, info.as_deref()),
                        process_instance_id: r.get(5)?,
                        execution_id: r.get(6)?,
                        process_definition_id: r.get(7)?,
                        process_definition_key: r.get(8)?,
                        create_time: r.get(9)?,
                        state: r.get(10)?,
                        tenant_id: r.get(11)?,
                        activity_instance_id: r.get(12)?,
                        root_process_instance_id: r.get(13)?,
                    })
                },
            )
        })
        .await
    }

    /// How many historic variables match `q` (its sort and paging aside).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn count_historic_variables(&self, q: HistoricVariableQuery) -> Result<usize> {
        self.read(move |c| historic_variable_filter(&q).count(c, "hi_variable"))
            .await
    }

    /// The activity-instance tree of a running instance.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no instance with `id` is running.
    pub async fn activity_instances(&self, instance_id: &str) -> Result<ActivityInstance> {
        let id = instance_id.to_owned();
        let shared = self.inner.shared.clone();
        let (graph, state) = self
            .read(move |c| {
                let (def, state): (String, String) = c
                    .prepare_cached(
                        "SELECT definition_id, state FROM process_instance WHERE id = ?1",
                    )?
                    .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?
                    .ok_or_else(|| {
                        Error::NotFound(format!("Process instance with id {id} does not exist"))
                    })?;
                let graph = match shared.cache.get(&def) {
                    Some(g) => g,
                    None => crate::command::load_graph(c, &shared.cache, &def)?,
                };
                Ok((graph, state))
            })
            .await?;
        let execs: Vec<Exec> = serde_json::from_str(&state)
            .map_err(|e| Error::Internal(format!("unreadable instance state: {e}")))?;
        let incidents = self
            .incidents(IncidentQuery {
                process_instance_id: Some(instance_id.to_owned()),
                ..IncidentQuery::default()
            })
            .await?;
        fn build(
            execs: &[Exec],
            e: &Exec,
            parent: Option<String>,
            graph: &Graph,
            incidents: &[Incident],
        ) -> ActivityInstance {
            let id = e.activity_instance_id();
            let parked = |c: &Exec| matches!(c.wait, Wait::Async { .. });
            let mine = || {
                execs
                    .iter()
                    .filter(|c| c.parent.as_deref() == Some(e.id.as_str()))
            };
            let children = mine()
                .filter(|c| !parked(c))
                .map(|c| build(execs, c, Some(id.clone()), graph, incidents))
                .collect();
            // An execution parked at an asynchronous continuation is not an activity
            // instance (yet, or any more), but a transition instance, as in Camunda.
            let transitions = mine()
                .filter(|c| parked(c))
                .map(|c| {
                    let node = graph.node_id(&c.activity).map(|n| graph.process.node(n));
                    TransitionInstance {
                        id: c.id.clone(),
                        parent_id: id.clone(),
                        activity_id: c.activity.clone(),
                        activity_type: node.map_or("unknown", activity_type).to_owned(),
                        activity_name: node.and_then(|n| n.name.clone()),
                        execution_id: c.id.clone(),
                        incident_ids: incidents
                            .iter()
                            .filter(|i| i.execution_id == c.id)
                            .map(|i| i.id.clone())
                            .collect(),
                    }
                })
                .collect();
            let node = graph.node_id(&e.activity).map(|n| graph.process.node(n));
            let (activity_id, activity_type, activity_name) = match e.kind {
                ExecKind::Root => (
                    graph.id.clone(),
                    "processDefinition".to_owned(),
                    graph.process.name.clone(),
                ),
                ExecKind::MiBody => (
                    format!("{}#multiInstanceBody", e.activity),
                    "multiInstanceBody".to_owned(),
                    node.and_then(|n| n.name.clone()),
                ),
                ExecKind::Activity | ExecKind::MiInner => (
                    e.activity.clone(),
                    node.map_or("unknown", activity_type).to_owned(),
                    node.and_then(|n| n.name.clone()),
                ),
            };
            ActivityInstance {
                parent_id: parent,
                activity_id,
                activity_type,
                activity_name,
                execution_ids: vec![e.id.clone()],
                incident_ids: incidents
                    .iter()
                    .filter(|i| i.execution_id == e.id)
                    .map(|i| i.id.clone())
                    .collect(),
                children,
                transitions,
                id,
            }
        }
        let root = execs
            .iter()
            .find(|e| e.kind == ExecKind::Root)
            .ok_or_else(|| Error::Internal("instance without a root".into()))?;
        Ok(build(&execs, root, None, &graph, &incidents))
    }
}

impl Engine {
    /// The `camunda:properties` of an element (what `fetchAndLock` answers as a
    /// task's `extensionProperties`), in document order.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown definition; an unknown element has none.
    pub async fn extension_properties(
        &self,
        definition_id: &str,
        activity_id: &str,
    ) -> Result<Vec<(String, String)>> {
        let shared = self.inner.shared.clone();
        let graph = match shared.cache.get(definition_id) {
            Some(g) => g,
            None => {
                let def = definition_id.to_owned();
                self.read(move |c| crate::command::load_graph(c, &shared.cache, &def))
                    .await?
            }
        };
        Ok(graph
            .node_id(activity_id)
            .map(|n| {
                graph
                    .process
                    .node(n)
                    .properties
                    .iter()
                    .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl Engine {
    /// When the next task of `topics` that is locked now (by a worker, or by a retry
    /// timeout) becomes fetchable: the earliest future lock expiration among them, if
    /// any. Long polls sleep until then, since an expiring lock sends no wake-up.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn next_lock_expiration(&self, topics: &[String]) -> Result<Option<i64>> {
        let now = self.now();
        let topics = topics.to_vec();
        self.read(move |c| {
            let mut earliest: Option<i64> = None;
            let mut stmt = c.prepare_cached(
                "SELECT MIN(lock_expiration) FROM external_task WHERE topic = ?1 \
                 AND lock_expiration > ?2 AND (retries IS NULL OR retries > 0) AND suspended = 0",
            )?;
            for topic in &topics {
                let next: Option<i64> = stmt.query_row(params![topic, now], |r| r.get(0))?;
                earliest = match (earliest, next) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            Ok(earliest)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    /// The steps of `EXPLAIN QUERY PLAN` for the historic instance list `q`.
    async fn plan(engine: &Engine, q: HistoricInstanceQuery) -> Vec<String> {
        engine
            .read(move |c| {
                let mut f = historic_instance_filter(&q);
                historic_instance_order(&mut f, q.sort);
                f.page(q.first_result, q.max_results);
                f.query(
                    c,
                    &format!(
                        "EXPLAIN QUERY PLAN SELECT {HI_INSTANCE_COLUMNS} FROM hi_process_instance"
                    ),
                    "",
                    |r| r.get(3),
                )
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_history_list_walks_the_start_time_index() {
        let engine = Engine::open(Config::memory()).unwrap();
        for q in [
            HistoricInstanceQuery {
                max_results: Some(15),
                ..HistoricInstanceQuery::default()
            },
            HistoricInstanceQuery {
                started_after: Some(0),
                ..HistoricInstanceQuery::default()
            },
        ] {
            let steps = plan(&engine, q).await;
            assert!(
                steps
                    .iter()
                    .any(|s| s.contains("USING INDEX hi_process_instance_start")),
                "{steps:?}"
            );
            assert!(
                !steps.iter().any(|s| s == "USE TEMP B-TREE FOR ORDER BY"),
                "{steps:?}"
            );
        }
    }
}
