//! Reads of tasks, in SQL on the read connections: the task list with every filter,
//! order, page and count in the database (the indexes of `0007_user_tasks.sql` serve
//! the task list's usual questions), identity links, comments, task variables and
//! task history.

use rusqlite::{Connection, OptionalExtension, Row, ToSql};

use super::{
    Comment, DelegationState, FormRef, HistoricTask, HistoricTaskQuery, HistoricTaskSort,
    IdentityLink, Task, TaskQuery, TaskSort,
};
use crate::authz::{Resource, perm};
use crate::error::{Error, Result};
use crate::runtime::Exec;
use crate::store::rows;
use crate::types::VariableInstance;
use crate::{filter, list};

/// Who may read a task: `READ` on the task or `READ_TASK` on its definition…
const TASK_READ: &[(Resource, u32, &str)] = &[
    (Resource::Task, perm::READ, "t.id"),
    (
        Resource::ProcessDefinition,
        perm::READ_TASK,
        "t.definition_key",
    ),
];

/// …or its assignee, owner, or a candidate (user or group), as Camunda's default
/// authorizations for a task's people grant.
const TASK_INVOLVED: &str = "t.assignee = ?U OR t.owner = ?U OR EXISTS (SELECT 1 FROM \
     task_candidate tc WHERE tc.task_id = t.id AND (tc.user_id = ?U OR tc.group_id ?G))";

/// Conditions under construction, with their numbered parameters.
#[derive(Default)]
struct Where {
    args: Vec<Box<dyn ToSql + Send>>,
}

impl Where {
    /// `clause` with each `?` numbered as the next parameter, taking `value`.
    fn arg<T: ToSql + Send + 'static>(&mut self, clause: &str, value: T) -> String {
        self.args.push(Box::new(value));
        clause.replace('?', &format!("?{}", self.args.len()))
    }

    /// `column IN (values)`, however many.
    fn any(&mut self, column: &str, values: &[String]) -> String {
        let (clause, params) = list::in_list(column, values, self.args.len() + 1);
        self.args.extend(params);
        clause
    }

    fn params(&self) -> Vec<&dyn ToSql> {
        self.args.iter().map(|a| a.as_ref() as &dyn ToSql).collect()
    }
}

/// Adds `clause` (with one parameter) to `out` when `value` is set.
fn opt<T: ToSql + Send + Clone + 'static>(
    w: &mut Where,
    out: &mut Vec<String>,
    clause: &str,
    value: &Option<T>,
) {
    if let Some(v) = value {
        out.push(w.arg(clause, v.clone()));
    }
}

/// Adds `clause` (a `GLOB` with one parameter) when `like` is set, the pattern
/// read as Camunda's `…Like` filters take it (`%`, `_`, `\` escapes,
/// case-sensitive), as every other list does ([`filter::like_to_glob`]).
fn pattern(w: &mut Where, out: &mut Vec<String>, clause: &str, like: &Option<String>) {
    if let Some(l) = like {
        out.push(w.arg(clause, filter::like_to_glob(l)));
    }
}

/// `column IN (values)` added to `out` when `values` is not empty.
fn any(w: &mut Where, out: &mut Vec<String>, column: &str, values: &[String]) {
    if !values.is_empty() {
        out.push(w.any(column, values));
    }
}

/// The task columns, in the order [`task_from`] reads them.
const COLUMNS: &str = "t.id, t.name, t.description, t.assignee, t.owner, t.delegation_state, \
     t.priority, t.create_time, t.last_updated, t.due_date, t.follow_up_date, t.instance_id, \
     t.execution_id, t.activity_instance_id, t.task_definition_key, t.definition_id, \
     t.definition_key, t.business_key, t.tenant_id, t.suspended, t.form_key, t.form_ref_key, \
     t.form_ref_binding, t.form_ref_version, t.parent_task_id";

fn task_from(r: &Row<'_>) -> rusqlite::Result<Task> {
    let delegation: Option<String> = r.get(5)?;
    let form_ref_key: Option<String> = r.get(21)?;
    let form_ref_binding: Option<String> = r.get(22)?;
    Ok(Task {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        assignee: r.get(3)?,
        owner: r.get(4)?,
        delegation_state: delegation.and_then(|d| DelegationState::parse(&d).ok()),
        priority: r.get(6)?,
        created: r.get(7)?,
        last_updated: r.get(8)?,
        due: r.get(9)?,
        follow_up: r.get(10)?,
        instance_id: r.get(11)?,
        execution_id: r.get(12)?,
        activity_instance_id: r.get(13)?,
        task_definition_key: r.get(14)?,
        definition_id: r.get(15)?,
        definition_key: r.get(16)?,
        business_key: r.get(17)?,
        tenant_id: r.get(18)?,
        suspended: r.get(19)?,
        form_key: r.get(20)?,
        form_ref: form_ref_key.map(|key| FormRef {
            key,
            binding: form_ref_binding.unwrap_or_else(|| "latest".to_owned()),
            version: r.get(23).ok().flatten(),
        }),
        parent_task_id: r.get(24)?,
    })
}

/// How the candidate filters are written: as a list of task ids to fetch
/// (`IN`, best when they name few tasks), or as a check of each task met while
/// walking the task list in its order (`EXISTS`, best when they name many and
/// only a page is wanted).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Candidates {
    Fetch,
    Check,
}

/// The candidate links `q` asks for, each a condition on `task_candidate`; a task
/// matches with any one of them.
fn candidate_links(q: &TaskQuery, w: &mut Where) -> Vec<String> {
    let mut any_of = Vec::new();
    if let Some(user) = &q.candidate_user {
        any_of.push(w.arg("user_id = ?", user.clone()));
        if !q.candidate_user_groups.is_empty() {
            any_of.push(w.any("group_id", &q.candidate_user_groups));
        }
    }
    if !q.candidate_groups.is_empty() {
        any_of.push(w.any("group_id", &q.candidate_groups));
    }
    if let Some(like) = &q.candidate_group_like {
        any_of.push(w.arg("group_id GLOB ?", filter::like_to_glob(like)));
    }
    any_of
}

/// The conditions of `q` itself (not its `or` queries).
fn conditions(q: &TaskQuery, w: &mut Where, mode: Candidates) -> Result<Vec<String>> {
    let mut c = Vec::new();
    any(w, &mut c, "t.id", &q.task_ids);
    any(w, &mut c, "t.instance_id", &q.instance_ids);
    any(w, &mut c, "t.business_key", &q.business_keys);
    pattern(w, &mut c, "t.business_key GLOB ?", &q.business_key_like);
    opt(w, &mut c, "t.definition_id = ?", &q.definition_id);
    any(w, &mut c, "t.definition_key", &q.definition_keys);
    opt(
        w,
        &mut c,
        "t.definition_id IN (SELECT id FROM process_definition WHERE name = ?)",
        &q.definition_name,
    );
    opt(w, &mut c, "t.execution_id = ?", &q.execution_id);
    any(
        w,
        &mut c,
        "t.activity_instance_id",
        &q.activity_instance_ids,
    );
    any(w, &mut c, "t.task_definition_key", &q.task_definition_keys);
    pattern(
        w,
        &mut c,
        "t.task_definition_key GLOB ?",
        &q.task_definition_key_like,
    );
    opt(w, &mut c, "t.name = ?", &q.name);
    opt(w, &mut c, "t.name != ?", &q.name_not_equal);
    pattern(w, &mut c, "t.name GLOB ?", &q.name_like);
    pattern(w, &mut c, "t.name NOT GLOB ?", &q.name_not_like);
    opt(w, &mut c, "t.description = ?", &q.description);
    pattern(w, &mut c, "t.description GLOB ?", &q.description_like);
    any(w, &mut c, "t.assignee", &q.assignees);
    if !q.assignee_not_in.is_empty() {
        let clause = w.any("t.assignee", &q.assignee_not_in);
        c.push(format!("NOT {clause}"));
    }
    pattern(w, &mut c, "t.assignee GLOB ?", &q.assignee_like);
    opt(w, &mut c, "t.owner = ?", &q.owner);
    // Camunda's candidate filters are one condition: a candidate link to the user,
    // one of the groups or a group like the pattern (any of them), with the
    // `with…` requirements on that link, and the task unassigned unless
    // `include_assigned`; the `without…` filters another. Kept whole, an `or`
    // query ORs it as one filter.
    let unassigned = |term: String| {
        if q.include_assigned {
            term
        } else {
            format!("(t.assignee IS NULL AND {term})")
        }
    };
    let mut with = Vec::new();
    if q.with_candidate_groups {
        with.push("group_id IS NOT NULL");
    }
    if q.with_candidate_users {
        with.push("user_id IS NOT NULL");
    }
    let with = with.iter().map(|x| format!(" AND {x}")).collect::<String>();
    let any_of = candidate_links(q, w);
    if !any_of.is_empty() || !with.is_empty() {
        let links = if any_of.is_empty() {
            "1".to_owned()
        } else {
            format!("({})", any_of.join(" OR "))
        };
        c.push(unassigned(match mode {
            Candidates::Fetch => {
                format!("t.id IN (SELECT task_id FROM task_candidate WHERE {links}{with})")
            }
            Candidates::Check => format!(
                "EXISTS (SELECT 1 FROM task_candidate WHERE task_id = t.id AND {links}{with})"
            ),
        }));
    }
    let links = |column: &str| {
        format!(
            "NOT EXISTS (SELECT 1 FROM task_candidate c WHERE c.task_id = t.id AND c.{column} IS NOT NULL)"
        )
    };
    let mut without = Vec::new();
    if q.without_candidate_groups {
        without.push(links("group_id"));
    }
    if q.without_candidate_users {
        without.push(links("user_id"));
    }
    if !without.is_empty() {
        c.push(unassigned(without.join(" AND ")));
    }
    if let Some(user) = &q.involved_user {
        c.push(w.arg(
            "(t.assignee = ? OR t.owner = ? OR t.id IN \
             (SELECT task_id FROM task_candidate WHERE user_id = ?))",
            user.clone(),
        ));
    }
    if q.assigned {
        c.push("t.assignee IS NOT NULL".to_owned());
    }
    if q.unassigned {
        c.push("t.assignee IS NULL".to_owned());
    }
    opt(
        w,
        &mut c,
        "t.delegation_state = ?",
        &q.delegation_state.map(DelegationState::as_str),
    );
    opt(w, &mut c, "t.due_date = ?", &q.due);
    opt(w, &mut c, "t.due_date < ?", &q.due_before);
    opt(w, &mut c, "t.due_date > ?", &q.due_after);
    if q.without_due_date {
        c.push("t.due_date IS NULL".to_owned());
    }
    opt(w, &mut c, "t.follow_up_date = ?", &q.follow_up);
    opt(w, &mut c, "t.follow_up_date < ?", &q.follow_up_before);
    opt(
        w,
        &mut c,
        "(t.follow_up_date IS NULL OR t.follow_up_date < ?)",
        &q.follow_up_before_or_not_existent,
    );
    opt(w, &mut c, "t.follow_up_date > ?", &q.follow_up_after);
    opt(w, &mut c, "t.create_time = ?", &q.created);
    opt(w, &mut c, "t.create_time < ?", &q.created_before);
    opt(w, &mut c, "t.create_time > ?", &q.created_after);
    opt(w, &mut c, "t.last_updated > ?", &q.updated_after);
    opt(w, &mut c, "t.priority = ?", &q.priority);
    opt(w, &mut c, "t.priority >= ?", &q.min_priority);
    opt(w, &mut c, "t.priority <= ?", &q.max_priority);
    opt(w, &mut c, "t.suspended = ?", &q.suspended);
    any(w, &mut c, "t.tenant_id", &q.tenant_ids);
    if q.without_tenant_id {
        c.push("t.tenant_id IS NULL".to_owned());
    }
    opt(w, &mut c, "t.parent_task_id = ?", &q.parent_task_id);
    for f in &q.process_variables {
        let (clause, params) = filter::by_instance(f, "t.instance_id", w.args.len() + 1)?;
        w.args.extend(params);
        c.push(clause);
    }
    for f in &q.task_variables {
        let (clause, params) = filter::by_execution(f, "t.execution_id", w.args.len() + 1)?;
        w.args.extend(params);
        c.push(clause);
    }
    Ok(c)
}

/// The WHERE clause of `q`: its own conditions, all of them, and for each of its
/// `or` queries any one of that query's conditions.
fn where_clause(q: &TaskQuery, w: &mut Where, mode: Candidates) -> Result<String> {
    let mut all = conditions(q, w, mode)?;
    if let Some((clause, params)) = crate::query::Filter::clause_after(w.args.len(), |f| {
        f.scope_or(&q.scope, TASK_READ, TASK_INVOLVED, Some("t.tenant_id"));
    }) {
        w.args.extend(params);
        all.push(clause);
    }
    for or in &q.or {
        let some = conditions(or, w, Candidates::Fetch)?;
        if !some.is_empty() {
            all.push(format!("({})", some.join(" OR ")));
        }
    }
    Ok(if all.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", all.join(" AND "))
    })
}

fn order_by<S: Copy>(sort: &[(S, bool)], column: impl Fn(S) -> &'static str, id: &str) -> String {
    let mut keys: Vec<String> = sort
        .iter()
        .map(|&(s, desc)| format!("{} {}", column(s), if desc { "DESC" } else { "ASC" }))
        .collect();
    // Ties are broken by id, so pages never overlap.
    if !keys.iter().any(|k| k.starts_with(&format!("{id} "))) {
        keys.push(format!("{id} ASC"));
    }
    format!(" ORDER BY {}", keys.join(", "))
}

fn page(w: &mut Where, first: usize, max: Option<usize>) -> String {
    let limit = max.map_or(-1, |m| i64::try_from(m).unwrap_or(i64::MAX));
    let offset = i64::try_from(first).unwrap_or(i64::MAX);
    let l = w.arg("?", limit);
    let o = w.arg("?", offset);
    format!(" LIMIT {l} OFFSET {o}")
}

fn task_column(s: TaskSort) -> &'static str {
    match s {
        TaskSort::InstanceId => "t.instance_id",
        TaskSort::DueDate => "t.due_date",
        TaskSort::FollowUpDate => "t.follow_up_date",
        TaskSort::ExecutionId => "t.execution_id",
        TaskSort::Assignee => "t.assignee",
        TaskSort::Created => "t.create_time",
        TaskSort::LastUpdated => "t.last_updated",
        TaskSort::Description => "t.description",
        TaskSort::Id => "t.id",
        TaskSort::Name => "t.name",
        TaskSort::NameCaseInsensitive => "LOWER(t.name)",
        TaskSort::Priority => "t.priority",
        TaskSort::TenantId => "t.tenant_id",
    }
}

pub(super) fn task(c: &Connection, id: &str) -> Result<Task> {
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM task t WHERE t.id = ?1"))?
        .query_row([id], task_from)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("No matching task with id {id}")))
}

/// Above how many candidate links a page of the task list newest (or oldest) first
/// is found by walking the tasks in creation order rather than by fetching every
/// linked task and sorting them. Fetching costs a lookup per link; walking costs
/// about a lookup per task until the page is full, so it wins once the links are a
/// large enough share of the tasks for a page to fill quickly (a group's inbox).
const WALK_ABOVE: i64 = 400;

/// The largest page (with what it skips) worth walking for.
const WALK_PAGE: usize = 1_000;

/// How the candidate filters of `q` are best written, by how many links they name.
fn candidate_mode(c: &Connection, q: &TaskQuery) -> Result<Candidates> {
    let sorted_by_creation = matches!(q.sort.first(), Some((TaskSort::Created, _)));
    let small_page = q
        .max_results
        .is_some_and(|m| m.saturating_add(q.first_result) <= WALK_PAGE);
    let has_candidates = q.candidate_user.is_some()
        || !q.candidate_groups.is_empty()
        || q.candidate_group_like.is_some();
    if !(sorted_by_creation && small_page && has_candidates) {
        return Ok(Candidates::Fetch);
    }
    // How many links the candidate filters name together, up to the threshold.
    let mut w = Where::default();
    let links = candidate_links(q, &mut w);
    let n: i64 = c
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM task_candidate WHERE {} LIMIT {})",
            links.join(" OR "),
            WALK_ABOVE + 1
        ))?
        .query_row(w.params().as_slice(), |r| r.get(0))?;
    Ok(if n > WALK_ABOVE {
        Candidates::Check
    } else {
        Candidates::Fetch
    })
}

pub(super) fn tasks(c: &Connection, q: &TaskQuery) -> Result<Vec<Task>> {
    let mode = candidate_mode(c, q)?;
    let mut w = Where::default();
    let filter = where_clause(q, &mut w, mode)?;
    let order = order_by(&q.sort, task_column, "t.id");
    let page = page(&mut w, q.first_result, q.max_results);
    // Walking means walking the creation-time index, whatever else is filtered.
    let from = match mode {
        Candidates::Check => "task t INDEXED BY task_created",
        Candidates::Fetch => "task t",
    };
    // The page's ids first, from the indexes where they can answer (a filter by
    // instance, a walk by creation time), then only those rows: sorting whole rows
    // would read every matching task.
    let sql = format!(
        "SELECT {COLUMNS} FROM task t WHERE t.id IN \
         (SELECT t.id FROM {from}{filter}{order}{page}){order}"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(w.params().as_slice(), task_from)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn task_count(c: &Connection, q: &TaskQuery) -> Result<u64> {
    let mut w = Where::default();
    let filter = where_clause(q, &mut w, Candidates::Fetch)?;
    let sql = format!("SELECT COUNT(*) FROM task t{filter}");
    let n: i64 = c
        .prepare_cached(&sql)?
        .query_row(w.params().as_slice(), |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(super) fn identity_links(
    c: &Connection,
    id: &str,
    kind: Option<&str>,
) -> Result<Vec<IdentityLink>> {
    let t = task(c, id)?;
    let wants = |k: &str| kind.is_none_or(|x| x == k);
    let mut out = Vec::new();
    for (k, user) in [("assignee", &t.assignee), ("owner", &t.owner)] {
        if let Some(user) = user {
            if wants(k) {
                out.push(IdentityLink {
                    user_id: Some(user.clone()),
                    group_id: None,
                    kind: k.to_owned(),
                });
            }
        }
    }
    if wants("candidate") {
        let mut stmt = c.prepare_cached(
            "SELECT user_id, group_id FROM task_candidate WHERE task_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(IdentityLink {
                user_id: r.get(0)?,
                group_id: r.get(1)?,
                kind: "candidate".to_owned(),
            })
        })?;
        for link in rows {
            out.push(link?);
        }
    }
    Ok(out)
}

pub(super) fn comments(c: &Connection, id: &str) -> Result<Vec<Comment>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, user_id, task_id, instance_id, time, message, root_instance_id \
         FROM task_comment WHERE task_id = ?1 ORDER BY time, rowid",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(Comment {
            id: r.get(0)?,
            user_id: r.get(1)?,
            task_id: r.get(2)?,
            instance_id: r.get(3)?,
            time: r.get(4)?,
            message: r.get(5)?,
            root_instance_id: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The variables task `id` sees (`local`: only its own), by name.
pub(super) fn task_variables(
    c: &Connection,
    id: &str,
    local: bool,
) -> Result<Vec<VariableInstance>> {
    let t = task(c, id)?;
    // The task's execution and the scopes around it, nearest first.
    let mut chain = vec![t.execution_id.clone()];
    if !local {
        let state: String = c
            .prepare_cached("SELECT state FROM process_instance WHERE id = ?1")?
            .query_row([&t.instance_id], |r| r.get(0))?;
        let execs: Vec<Exec> = serde_json::from_str(&state)
            .map_err(|e| Error::Internal(format!("unreadable instance state: {e}")))?;
        let mut at = t.execution_id.clone();
        while let Some(parent) = execs
            .iter()
            .find(|e| e.id == at)
            .and_then(|e| e.parent.clone())
        {
            chain.push(parent.clone());
            at = parent;
        }
        if !chain.contains(&t.instance_id) {
            chain.push(t.instance_id.clone());
        }
    }
    let mut stmt = c.prepare_cached(
        "SELECT id, name, type, value, info, instance_id, execution_id FROM variable \
         WHERE instance_id = ?1 ORDER BY name",
    )?;
    let rows = stmt.query_map([&t.instance_id], |r| {
        let kind: String = r.get(2)?;
        let info: Option<String> = r.get(4)?;
        Ok(VariableInstance {
            id: r.get(0)?,
            name: r.get(1)?,
            value: rows::value_from(&kind, r.get_ref(3)?, info.as_deref()),
            process_instance_id: r.get(5)?,
            execution_id: r.get(6)?,
        })
    })?;
    let mut seen: Vec<(usize, VariableInstance)> = Vec::new();
    for v in rows {
        let v = v?;
        let Some(depth) = chain.iter().position(|e| *e == v.execution_id) else {
            continue;
        };
        match seen.iter_mut().find(|(_, s)| s.name == v.name) {
            Some(slot) if slot.0 > depth => *slot = (depth, v),
            Some(_) => {}
            None => seen.push((depth, v)),
        }
    }
    Ok(seen.into_iter().map(|(_, v)| v).collect())
}

const HI_COLUMNS: &str = "h.id, h.name, h.description, h.assignee, h.owner, h.priority, \
     h.due_date, h.follow_up_date, h.start_time, h.end_time, h.delete_reason, h.instance_id, \
     h.execution_id, h.activity_instance_id, h.task_definition_key, h.definition_id, \
     h.definition_key, h.root_instance_id, h.tenant_id, h.parent_task_id, h.state";

fn historic_from(r: &Row<'_>) -> rusqlite::Result<HistoricTask> {
    let start: i64 = r.get(8)?;
    let end: Option<i64> = r.get(9)?;
    Ok(HistoricTask {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        assignee: r.get(3)?,
        owner: r.get(4)?,
        priority: r.get(5)?,
        due: r.get(6)?,
        follow_up: r.get(7)?,
        start_time: start,
        end_time: end,
        duration: end.map(|e| e - start),
        delete_reason: r.get(10)?,
        instance_id: r.get(11)?,
        execution_id: r.get(12)?,
        activity_instance_id: r.get(13)?,
        task_definition_key: r.get(14)?,
        definition_id: r.get(15)?,
        definition_key: r.get(16)?,
        root_instance_id: r.get(17)?,
        tenant_id: r.get(18)?,
        parent_task_id: r.get(19)?,
        state: r.get(20)?,
    })
}

fn historic_where(q: &HistoricTaskQuery, w: &mut Where) -> String {
    let mut c = Vec::new();
    opt(w, &mut c, "h.id = ?", &q.task_id);
    any(w, &mut c, "h.instance_id", &q.instance_ids);
    opt(w, &mut c, "h.execution_id = ?", &q.execution_id);
    any(
        w,
        &mut c,
        "h.activity_instance_id",
        &q.activity_instance_ids,
    );
    opt(w, &mut c, "h.definition_id = ?", &q.definition_id);
    any(w, &mut c, "h.definition_key", &q.definition_keys);
    any(w, &mut c, "h.task_definition_key", &q.task_definition_keys);
    opt(w, &mut c, "h.name = ?", &q.name);
    pattern(w, &mut c, "h.name GLOB ?", &q.name_like);
    opt(w, &mut c, "h.description = ?", &q.description);
    pattern(w, &mut c, "h.description GLOB ?", &q.description_like);
    opt(w, &mut c, "h.assignee = ?", &q.assignee);
    pattern(w, &mut c, "h.assignee GLOB ?", &q.assignee_like);
    opt(w, &mut c, "h.owner = ?", &q.owner);
    opt(w, &mut c, "h.delete_reason = ?", &q.delete_reason);
    if let Some(user) = &q.involved_user {
        c.push(w.arg(
            "(h.assignee = ? OR h.owner = ? OR h.id IN \
             (SELECT task_id FROM hi_identity_link WHERE user_id = ?))",
            user.clone(),
        ));
    }
    if q.finished {
        c.push("h.end_time IS NOT NULL".to_owned());
    }
    if q.unfinished {
        c.push("h.end_time IS NULL".to_owned());
    }
    if q.assigned {
        c.push("h.assignee IS NOT NULL".to_owned());
    }
    if q.unassigned {
        c.push("h.assignee IS NULL".to_owned());
    }
    opt(w, &mut c, "h.priority = ?", &q.priority);
    opt(w, &mut c, "h.due_date < ?", &q.due_before);
    opt(w, &mut c, "h.due_date > ?", &q.due_after);
    opt(w, &mut c, "h.start_time < ?", &q.started_before);
    opt(w, &mut c, "h.start_time > ?", &q.started_after);
    opt(w, &mut c, "h.end_time < ?", &q.finished_before);
    opt(w, &mut c, "h.end_time > ?", &q.finished_after);
    any(w, &mut c, "h.tenant_id", &q.tenant_ids);
    if q.without_tenant_id {
        c.push("h.tenant_id IS NULL".to_owned());
    }
    if let Some((clause, params)) = crate::query::Filter::clause_after(w.args.len(), |f| {
        f.scope(
            &q.scope,
            &[(
                Resource::ProcessDefinition,
                perm::READ_HISTORY,
                "h.definition_key",
            )],
            Some("h.tenant_id"),
        );
    }) {
        w.args.extend(params);
        c.push(clause);
    }
    if c.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", c.join(" AND "))
    }
}

fn historic_column(s: HistoricTaskSort) -> &'static str {
    match s {
        HistoricTaskSort::Id => "h.id",
        HistoricTaskSort::ActivityInstanceId => "h.activity_instance_id",
        HistoricTaskSort::DefinitionId => "h.definition_id",
        HistoricTaskSort::InstanceId => "h.instance_id",
        HistoricTaskSort::ExecutionId => "h.execution_id",
        HistoricTaskSort::Duration => "(h.end_time - h.start_time)",
        HistoricTaskSort::EndTime => "h.end_time",
        HistoricTaskSort::StartTime => "h.start_time",
        HistoricTaskSort::Name => "h.name",
        HistoricTaskSort::Description => "h.description",
        HistoricTaskSort::Assignee => "h.assignee",
        HistoricTaskSort::Owner => "h.owner",
        HistoricTaskSort::DueDate => "h.due_date",
        HistoricTaskSort::FollowUpDate => "h.follow_up_date",
        HistoricTaskSort::DeleteReason => "h.delete_reason",
        HistoricTaskSort::TaskDefinitionKey => "h.task_definition_key",
        HistoricTaskSort::Priority => "h.priority",
        HistoricTaskSort::TenantId => "h.tenant_id",
    }
}

pub(super) fn historic_tasks(c: &Connection, q: &HistoricTaskQuery) -> Result<Vec<HistoricTask>> {
    let mut w = Where::default();
    let filter = historic_where(q, &mut w);
    let order = order_by(&q.sort, historic_column, "h.id");
    let page = page(&mut w, q.first_result, q.max_results);
    let sql = format!("SELECT {HI_COLUMNS} FROM hi_task h{filter}{order}{page}");
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(w.params().as_slice(), historic_from)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn historic_task_count(c: &Connection, q: &HistoricTaskQuery) -> Result<u64> {
    let mut w = Where::default();
    let filter = historic_where(q, &mut w);
    let n: i64 = c
        .prepare_cached(&format!("SELECT COUNT(*) FROM hi_task h{filter}"))?
        .query_row(w.params().as_slice(), |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}
