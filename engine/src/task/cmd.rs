//! User-task commands, run on the writer inside a command's savepoint: creating
//! and deleting task rows for the interpreter's effects, and every change a person
//! makes (claim, delegate, resolve, complete, update, links, comments, variables),
//! each with its history.

use rusqlite::{OptionalExtension, params};

use super::{Comment, DelegationState, IdentityLink, TaskUpdate, VariablesAfter};
use crate::command::Ctx;
use crate::error::{Error, Result};
use crate::runtime::{UserTaskSpec, Wait, find_task_escalation_catch};
use crate::types::Variables;

/// What the commands need of an open task's row.
struct Open {
    instance: String,
    exec: String,
    assignee: Option<String>,
    owner: Option<String>,
    delegation: Option<String>,
    suspended: bool,
    definition_id: String,
    definition_key: String,
    tenant_id: Option<String>,
}

/// Camunda's answer for a task id it does not know, in the commands.
fn no_task(id: &str) -> Error {
    Error::NotFound(format!("Cannot find task with id {id}: task is null"))
}

impl Ctx<'_, '_> {
    /// Writes the task the interpreter created for instance `instance`, its
    /// candidates, and its history.
    pub(crate) fn create_user_task(&mut self, instance: &str, spec: &UserTaskSpec) -> Result<()> {
        let inst = self.inst(instance)?;
        let g = inst.graph.clone();
        let (bk, tenant, root) = (
            inst.business_key.clone(),
            inst.tenant_id.clone(),
            inst.root_instance_id.clone(),
        );
        let (key, binding, version) = match &spec.form_ref {
            Some((k, b, v)) => (Some(k.as_str()), Some(b.as_str()), *v),
            None => (None, None, None),
        };
        self.conn
            .prepare_cached(
                "INSERT INTO task (id, name, description, assignee, priority, create_time, \
                 due_date, follow_up_date, instance_id, execution_id, activity_instance_id, \
                 task_definition_key, definition_id, definition_key, business_key, tenant_id, \
                 form_key, form_ref_key, form_ref_binding, form_ref_version) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
                 ?17, ?18, ?19, ?20)",
            )?
            .execute(params![
                spec.id,
                spec.name,
                spec.description,
                spec.assignee,
                spec.priority,
                self.now,
                spec.due,
                spec.follow_up,
                instance,
                spec.exec,
                spec.activity_instance_id,
                spec.activity_id,
                g.id,
                g.key,
                bk,
                tenant,
                spec.form_key,
                key,
                binding,
                version,
            ])?;
        for user in &spec.candidate_users {
            self.insert_candidate(&spec.id, Some(user), None)?;
        }
        for group in &spec.candidate_groups {
            self.insert_candidate(&spec.id, None, Some(group))?;
        }
        if self.shared.history {
            self.conn
                .prepare_cached(
                    "INSERT INTO hi_task (id, name, description, assignee, priority, due_date, \
                     follow_up_date, start_time, instance_id, execution_id, \
                     activity_instance_id, task_definition_key, definition_id, definition_key, \
                     root_instance_id, tenant_id, state) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, \
                     ?16, 'Created')",
                )?
                .execute(params![
                    spec.id,
                    spec.name,
                    spec.description,
                    spec.assignee,
                    spec.priority,
                    spec.due,
                    spec.follow_up,
                    self.now,
                    instance,
                    spec.exec,
                    spec.activity_instance_id,
                    spec.activity_id,
                    g.id,
                    g.key,
                    root,
                    tenant,
                ])?;
            let open = Open {
                instance: instance.to_owned(),
                exec: spec.exec.clone(),
                assignee: None,
                owner: None,
                delegation: None,
                suspended: false,
                definition_id: g.id.clone(),
                definition_key: g.key.clone(),
                tenant_id: tenant,
            };
            if let Some(a) = &spec.assignee {
                self.link_history(&spec.id, &open, "assignee", Some(a), None, "add")?;
            }
            for user in &spec.candidate_users {
                self.link_history(&spec.id, &open, "candidate", Some(user), None, "add")?;
            }
            for group in &spec.candidate_groups {
                self.link_history(&spec.id, &open, "candidate", None, Some(group), "add")?;
            }
        }
        Ok(())
    }

    /// Deletes task `id` (its activity was cancelled, or it completed), ending its
    /// history with `reason`. A task already gone is left alone.
    pub(crate) fn delete_user_task(&mut self, id: &str, reason: &str) -> Result<()> {
        let deleted = self
            .conn
            .prepare_cached("DELETE FROM task WHERE id = ?1")?
            .execute([id])?;
        if deleted == 0 {
            return Ok(());
        }
        self.conn
            .prepare_cached("DELETE FROM task_candidate WHERE task_id = ?1")?
            .execute([id])?;
        if self.shared.history {
            let state = if reason == "completed" {
                "Completed"
            } else {
                "Deleted"
            };
            self.conn
                .prepare_cached(
                    "UPDATE hi_task SET end_time = ?2, delete_reason = ?3, state = ?4 \
                     WHERE id = ?1",
                )?
                .execute(params![id, self.now, reason, state])?;
        }
        Ok(())
    }

    fn insert_candidate(&self, task: &str, user: Option<&str>, group: Option<&str>) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO task_candidate (task_id, user_id, group_id) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![task, user, group])?;
        Ok(())
    }

    /// The whole open task `id`, or Camunda's not-found error.
    pub(crate) fn task_row(&self, id: &str) -> Result<super::Task> {
        super::query::task(self.conn, id).map_err(|e| match e {
            Error::NotFound(_) => no_task(id),
            other => other,
        })
    }

    /// The open task `id`, or Camunda's not-found error.
    fn open_task(&self, id: &str) -> Result<Open> {
        self.conn
            .prepare_cached(
                "SELECT instance_id, execution_id, assignee, owner, delegation_state, suspended, \
                 definition_id, definition_key, tenant_id FROM task WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Open {
                    instance: r.get(0)?,
                    exec: r.get(1)?,
                    assignee: r.get(2)?,
                    owner: r.get(3)?,
                    delegation: r.get(4)?,
                    suspended: r.get(5)?,
                    definition_id: r.get(6)?,
                    definition_key: r.get(7)?,
                    tenant_id: r.get(8)?,
                })
            })
            .optional()?
            .ok_or_else(|| no_task(id))
    }

    /// A history row for a change of one of task `id`'s identity links.
    fn link_history(
        &self,
        id: &str,
        task: &Open,
        kind: &str,
        user: Option<&str>,
        group: Option<&str>,
        operation: &str,
    ) -> Result<()> {
        if !self.shared.history {
            return Ok(());
        }
        self.conn
            .prepare_cached(
                "INSERT INTO hi_identity_link (id, time, type, user_id, group_id, task_id, \
                 definition_id, definition_key, operation, instance_id, root_instance_id, \
                 tenant_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
                 (SELECT root_instance_id FROM hi_task WHERE id = ?6), ?11)",
            )?
            .execute(params![
                crate::new_id(),
                self.now,
                kind,
                user,
                group,
                id,
                task.definition_id,
                task.definition_key,
                operation,
                task.instance,
                task.tenant_id,
            ])?;
        Ok(())
    }

    /// Sets the task's assignee (and owner, delegation state) to what `after` says,
    /// with the history of each change.
    fn set_people(
        &mut self,
        id: &str,
        before: &Open,
        assignee: Option<&str>,
        owner: Option<&str>,
        delegation: Option<&str>,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE task SET assignee = ?2, owner = ?3, delegation_state = ?4, \
                 last_updated = ?5 WHERE id = ?1",
            )?
            .execute(params![id, assignee, owner, delegation, self.now])?;
        if self.shared.history {
            self.conn
                .prepare_cached(
                    "UPDATE hi_task SET assignee = ?2, owner = ?3, state = 'Updated' WHERE id = ?1",
                )?
                .execute(params![id, assignee, owner])?;
            for (kind, old, new) in [
                ("assignee", before.assignee.as_deref(), assignee),
                ("owner", before.owner.as_deref(), owner),
            ] {
                if old != new {
                    if let Some(old) = old {
                        self.link_history(id, before, kind, Some(old), None, "delete")?;
                    }
                    if let Some(new) = new {
                        self.link_history(id, before, kind, Some(new), None, "add")?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Claims (`check`: someone else's task is refused), unclaims (`user` none) or
    /// assigns task `id`.
    pub(crate) fn claim_task(&mut self, id: &str, user: Option<&str>, check: bool) -> Result<()> {
        let task = self.open_task(id)?;
        if check {
            if let Some(holder) = &task.assignee {
                if Some(holder.as_str()) != user {
                    return Err(Error::Invalid(format!(
                        "Task '{id}' is already claimed by someone else."
                    )));
                }
                return Ok(());
            }
        }
        if task.assignee.as_deref() == user {
            return Ok(());
        }
        let (owner, delegation) = (task.owner.clone(), task.delegation.clone());
        self.set_people(id, &task, user, owner.as_deref(), delegation.as_deref())
    }

    /// Delegates task `id` to `user`.
    pub(crate) fn delegate_task(&mut self, id: &str, user: &str) -> Result<()> {
        let task = self.open_task(id)?;
        let owner = task.owner.clone().or_else(|| task.assignee.clone());
        self.set_people(
            id,
            &task,
            Some(user),
            owner.as_deref(),
            Some(DelegationState::Pending.as_str()),
        )
    }

    /// Resolves task `id`: back to its owner, `RESOLVED`, after setting `variables`.
    pub(crate) fn resolve_task(&mut self, id: &str, variables: &Variables) -> Result<()> {
        let task = self.open_task(id)?;
        self.set_from_task(&task, variables)?;
        let owner = task.owner.clone();
        self.set_people(
            id,
            &task,
            owner.as_deref(),
            owner.as_deref(),
            Some(DelegationState::Resolved.as_str()),
        )?;
        self.step(&task.instance, |run| run.variables_changed())
    }

    /// Sets `variables` as Camunda's `task.setVariables` does: each on the nearest
    /// scope from the task's execution that has it, else the process instance.
    fn set_from_task(&mut self, task: &Open, variables: &Variables) -> Result<()> {
        let inst = self.inst(&task.instance)?;
        for (name, value) in variables {
            inst.set_variable(&task.exec, name, value.clone());
        }
        Ok(())
    }

    /// Checks the task's execution still waits for it, and that the task is not
    /// suspended.
    fn waiting(&mut self, id: &str, task: &Open, verb: &str) -> Result<()> {
        if task.suspended {
            return Err(Error::Invalid(format!(
                "Cannot {verb} task {id}: task is suspended"
            )));
        }
        let inst = self.inst(&task.instance)?;
        match inst.exec(&task.exec) {
            Some(e) if matches!(&e.wait, Wait::UserTask(t) if t == id) => Ok(()),
            _ => Err(Error::Internal(format!(
                "user task {id} has no waiting execution"
            ))),
        }
    }

    /// Completes task `id`; with `snapshot`, answers the variables it saw once
    /// `variables` were set.
    pub(crate) fn complete_task(
        &mut self,
        id: &str,
        variables: &Variables,
        snapshot: bool,
    ) -> Result<VariablesAfter> {
        let task = self.open_task(id)?;
        self.waiting(id, &task, "complete")?;
        self.set_from_task(&task, variables)?;
        let seen = if snapshot {
            self.inst(&task.instance)?.visible_variables(&task.exec)
        } else {
            Vec::new()
        };
        self.delete_user_task(id, "completed")?;
        self.activity.tasks_completed += 1;
        let exec = task.exec.clone();
        self.step(&task.instance, |run| run.complete(&exec))?;
        Ok(seen)
    }

    /// Overwrites task `id`'s own fields.
    pub(crate) fn update_task(&mut self, id: &str, u: &TaskUpdate) -> Result<()> {
        let task = self.open_task(id)?;
        // A task of a process instance keeps the instance's tenant, as in Camunda,
        // which refuses to change it; a different one is refused here too.
        if u.tenant_id.is_some() && u.tenant_id != task.tenant_id {
            return Err(Error::Invalid(format!(
                "Cannot change tenantId of Task '{id}'. Current tenant id '{}', Tenant id to set '{}'",
                task.tenant_id.as_deref().unwrap_or("null"),
                u.tenant_id.as_deref().unwrap_or("null"),
            )));
        }
        let delegation = u.delegation_state.map(DelegationState::as_str);
        self.set_people(
            id,
            &task,
            u.assignee.as_deref(),
            u.owner.as_deref(),
            delegation,
        )?;
        self.conn
            .prepare_cached(
                "UPDATE task SET name = ?2, description = ?3, priority = ?4, due_date = ?5, \
                 follow_up_date = ?6, parent_task_id = ?7, last_updated = ?8 WHERE id = ?1",
            )?
            .execute(params![
                id,
                u.name,
                u.description,
                u.priority,
                u.due,
                u.follow_up,
                u.parent_task_id,
                self.now
            ])?;
        if self.shared.history {
            self.conn
                .prepare_cached(
                    "UPDATE hi_task SET name = ?2, description = ?3, priority = ?4, \
                     due_date = ?5, follow_up_date = ?6, parent_task_id = ?7, state = 'Updated' \
                     WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    u.name,
                    u.description,
                    u.priority,
                    u.due,
                    u.follow_up,
                    u.parent_task_id
                ])?;
        }
        Ok(())
    }

    /// Throws BPMN error `code` from task `id`.
    pub(crate) fn task_bpmn_error(
        &mut self,
        id: &str,
        code: &str,
        message: Option<&str>,
        variables: &Variables,
    ) -> Result<()> {
        if code.trim().is_empty() {
            return Err(Error::Invalid(
                "errorCode cannot be null or empty".to_owned(),
            ));
        }
        let task = self.open_task(id)?;
        self.waiting(id, &task, "throw a BPMN error from")?;
        self.set_from_task(&task, variables)?;
        self.delete_user_task(id, "deleted")?;
        let exec = task.exec.clone();
        self.step(&task.instance, |run| run.throw_error(&exec, code, message))
    }

    /// Throws escalation `code` from task `id`.
    pub(crate) fn task_bpmn_escalation(
        &mut self,
        id: &str,
        code: &str,
        variables: &Variables,
    ) -> Result<()> {
        if code.trim().is_empty() {
            return Err(Error::Invalid(
                "escalationCode cannot be null or empty".to_owned(),
            ));
        }
        let task = self.open_task(id)?;
        self.waiting(id, &task, "throw an escalation from")?;
        let inst = self.inst(&task.instance)?;
        let Some(found) = find_task_escalation_catch(inst, &task.exec, code) else {
            let activity = inst
                .exec(&task.exec)
                .map(|e| e.activity.clone())
                .unwrap_or_default();
            return Err(Error::Invalid(format!(
                "Execution with id '{activity}' throws an escalation event with escalationCode \
                 '{code}', but no escalation handler was defined."
            )));
        };
        self.set_from_task(&task, variables)?;
        self.step(&task.instance, |run| run.throw_escalation(found, code))
    }

    /// Adds (`add`) or removes an identity link of task `id`.
    pub(crate) fn change_identity_link(
        &mut self,
        id: &str,
        link: &IdentityLink,
        add: bool,
    ) -> Result<()> {
        let task = self.open_task(id)?;
        let (user, group) = (link.user_id.as_deref(), link.group_id.as_deref());
        match link.kind.as_str() {
            "assignee" | "owner" => {
                if group.is_some() {
                    return Err(Error::Invalid(format!(
                        "Incompatible usage: cannot use type '{}' together with a groupId",
                        link.kind
                    )));
                }
                let value = if add { user } else { None };
                let (mut assignee, mut owner) = (task.assignee.clone(), task.owner.clone());
                if link.kind == "assignee" {
                    assignee = value.map(str::to_owned);
                } else {
                    owner = value.map(str::to_owned);
                }
                let delegation = task.delegation.clone();
                self.set_people(
                    id,
                    &task,
                    assignee.as_deref(),
                    owner.as_deref(),
                    delegation.as_deref(),
                )
            }
            "candidate" => {
                if user.is_some() == group.is_some() {
                    return Err(Error::Invalid(
                        "Either userId or groupId has to be provided, not both and not neither"
                            .to_owned(),
                    ));
                }
                let exists: bool = self
                    .conn
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM task_candidate WHERE task_id = ?1 \
                         AND user_id IS ?2 AND group_id IS ?3)",
                    )?
                    .query_row(params![id, user, group], |r| r.get(0))?;
                if add && !exists {
                    self.insert_candidate(id, user, group)?;
                } else if !add && exists {
                    self.conn
                        .prepare_cached(
                            "DELETE FROM task_candidate WHERE task_id = ?1 AND user_id IS ?2 \
                             AND group_id IS ?3",
                        )?
                        .execute(params![id, user, group])?;
                } else {
                    return Ok(());
                }
                self.conn
                    .prepare_cached("UPDATE task SET last_updated = ?2 WHERE id = ?1")?
                    .execute(params![id, self.now])?;
                let operation = if add { "add" } else { "delete" };
                self.link_history(id, &task, "candidate", user, group, operation)
            }
            other => Err(Error::Invalid(format!(
                "Identity link type '{other}' is not supported: use candidate, assignee or owner"
            ))),
        }
    }

    /// Adds a comment to task `id`.
    pub(crate) fn add_comment(
        &mut self,
        id: &str,
        user: Option<&str>,
        message: &str,
    ) -> Result<Comment> {
        let task = self.open_task(id)?;
        if message.is_empty() {
            return Err(Error::Invalid("message is null".to_owned()));
        }
        let root = self.inst(&task.instance)?.root_instance_id.clone();
        let comment = Comment {
            id: crate::new_id(),
            user_id: user.map(str::to_owned),
            task_id: Some(id.to_owned()),
            instance_id: Some(task.instance.clone()),
            time: self.now,
            message: message.to_owned(),
            root_instance_id: Some(root),
        };
        self.conn
            .prepare_cached(
                "INSERT INTO task_comment (id, task_id, instance_id, user_id, time, message, \
                 root_instance_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                comment.id,
                comment.task_id,
                comment.instance_id,
                comment.user_id,
                comment.time,
                comment.message,
                comment.root_instance_id
            ])?;
        Ok(comment)
    }

    /// Sets and removes variables from task `id`.
    pub(crate) fn modify_task_variables(
        &mut self,
        id: &str,
        local: bool,
        set: &Variables,
        remove: &[String],
    ) -> Result<()> {
        let task = self.open_task(id)?;
        let inst = self.inst(&task.instance)?;
        for (name, value) in set {
            if local {
                inst.set_local(&task.exec, name, value.clone());
            } else {
                inst.set_variable(&task.exec, name, value.clone());
            }
        }
        for name in remove {
            if local {
                inst.remove_var(&task.exec, name);
            } else {
                // The nearest scope that has it, as Camunda's removeVariable.
                let mut at = Some(task.exec.clone());
                while let Some(e) = at {
                    if inst.remove_var(&e, name) {
                        break;
                    }
                    at = inst.exec(&e).and_then(|x| x.parent.clone());
                }
            }
        }
        self.step(&task.instance, |run| run.variables_changed())
    }
}
