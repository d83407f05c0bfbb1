//! User tasks: the work people do in a process, as Camunda 7's task service runs it.
//!
//! A user task is a wait state. When a token reaches a `userTask`, the interpreter
//! evaluates its name, people, dates, priority and form and emits
//! `Effect::CreateUserTask`; the command layer writes a `task` row, its candidate
//! users and groups (`task_candidate`) and its history. Claiming, assigning,
//! delegating and updating change the row (and write identity-link history);
//! completing it deletes the row and moves the token on, as completing an external
//! task does. A boundary event or a cancellation that removes the waiting execution
//! deletes the task with Camunda's delete reason.
//!
//! This module holds the public types and the [`Engine`] methods; `cmd.rs` the
//! commands (run on the writer) and `query.rs` the reads (run on the read pool, in
//! SQL).
//!
//! ```no_run
//! # async fn example(engine: baton_engine::Engine) -> baton_engine::Result<()> {
//! use baton_engine::{TaskQuery, Value};
//!
//! // The first page of what "demo" may pick up, newest first.
//! let mine = engine
//!     .tasks(TaskQuery {
//!         candidate_user: Some("demo".into()),
//!         max_results: Some(15),
//!         ..TaskQuery::newest_first()
//!     })
//!     .await?;
//! if let Some(task) = mine.first() {
//!     engine.claim_task(&task.id, "demo").await?;
//!     engine
//!         .complete_task(&task.id, vec![("approved".into(), Value::Boolean(true))])
//!         .await?;
//! }
//! # Ok(())
//! # }
//! ```

mod cmd;
mod form;
mod query;

pub use form::TaskForm;

use crate::error::{Error, Result};
use crate::filter::VariableFilter;
use crate::limits;
use crate::types::{VariableInstance, Variables};
use crate::{Engine, Value};

/// An open user task.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Its id.
    pub id: String,
    /// Its name (the element's name, evaluated).
    pub name: Option<String>,
    /// Its description (the element's documentation, evaluated).
    pub description: Option<String>,
    /// Who works on it.
    pub assignee: Option<String>,
    /// Who delegated it, or who it was given to by an update.
    pub owner: Option<String>,
    /// Whether it was delegated, and whether the delegate is done.
    pub delegation_state: Option<DelegationState>,
    /// Its priority (50 unless the model or an update says otherwise).
    pub priority: i64,
    /// When it was created (epoch ms).
    pub created: i64,
    /// When it was last changed (epoch ms), if ever.
    pub last_updated: Option<i64>,
    /// When it is due (epoch ms).
    pub due: Option<i64>,
    /// When to follow it up (epoch ms).
    pub follow_up: Option<i64>,
    /// Its process instance.
    pub instance_id: String,
    /// The execution waiting for it; its local variables are the task's.
    pub execution_id: String,
    /// The user task's activity instance.
    pub activity_instance_id: String,
    /// The element id of the user task.
    pub task_definition_key: String,
    /// Its process definition.
    pub definition_id: String,
    /// Its process definition's key.
    pub definition_key: String,
    /// Its process instance's business key.
    pub business_key: Option<String>,
    /// Its tenant.
    pub tenant_id: Option<String>,
    /// Whether it is suspended.
    pub suspended: bool,
    /// `camunda:formKey`, evaluated.
    pub form_key: Option<String>,
    /// `camunda:formRef`: a Camunda Form by key.
    pub form_ref: Option<FormRef>,
    /// The task this one is a subtask of.
    pub parent_task_id: Option<String>,
}

/// A task's delegation state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelegationState {
    /// Delegated; the delegate has not resolved it yet.
    Pending,
    /// The delegate resolved it; it is back with its owner.
    Resolved,
}

impl DelegationState {
    /// Camunda's name: `PENDING` or `RESOLVED`.
    pub fn as_str(self) -> &'static str {
        match self {
            DelegationState::Pending => "PENDING",
            DelegationState::Resolved => "RESOLVED",
        }
    }

    /// Reads Camunda's name.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming any other text.
    pub fn parse(text: &str) -> Result<DelegationState> {
        match text {
            "PENDING" => Ok(DelegationState::Pending),
            "RESOLVED" => Ok(DelegationState::Resolved),
            other => Err(Error::Invalid(format!(
                "Valid values for property 'delegationState' are 'PENDING' or 'RESOLVED', but was '{other}'"
            ))),
        }
    }
}

/// A task's `camunda:formRef`: a Camunda Form by its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRef {
    /// The form's id (its key).
    pub key: String,
    /// `latest`, `deployment` or `version`.
    pub binding: String,
    /// The version, with the `version` binding.
    pub version: Option<i64>,
}

/// How task lists can be sorted (Camunda's `sortBy` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskSort {
    /// `instanceId`.
    InstanceId,
    /// `dueDate`.
    DueDate,
    /// `followUpDate`.
    FollowUpDate,
    /// `executionId`.
    ExecutionId,
    /// `assignee`.
    Assignee,
    /// `created`.
    Created,
    /// `lastUpdated`.
    LastUpdated,
    /// `description`.
    Description,
    /// `id`.
    Id,
    /// `name`.
    Name,
    /// `nameCaseInsensitive`.
    NameCaseInsensitive,
    /// `priority`.
    Priority,
    /// `tenantId`.
    TenantId,
}

impl TaskSort {
    /// Reads Camunda's `sortBy` value; `None` for one Baton does not know.
    pub fn parse(text: &str) -> Option<TaskSort> {
        Some(match text {
            "instanceId" => TaskSort::InstanceId,
            "dueDate" => TaskSort::DueDate,
            "followUpDate" => TaskSort::FollowUpDate,
            "executionId" => TaskSort::ExecutionId,
            "assignee" => TaskSort::Assignee,
            "created" => TaskSort::Created,
            "lastUpdated" => TaskSort::LastUpdated,
            "description" => TaskSort::Description,
            "id" => TaskSort::Id,
            "name" => TaskSort::Name,
            "nameCaseInsensitive" => TaskSort::NameCaseInsensitive,
            "priority" => TaskSort::Priority,
            "tenantId" => TaskSort::TenantId,
            _ => return None,
        })
    }
}

/// Filters, order and page of a task list. Every filter set must hold (and each
/// query of `or` must hold with any one of its filters, as Camunda's `orQueries`).
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// These tasks (`taskId`, `taskIdIn`).
    pub task_ids: Vec<String>,
    /// Of these process instances.
    pub instance_ids: Vec<String>,
    /// Of instances with one of these business keys.
    pub business_keys: Vec<String>,
    /// Of instances whose business key is `LIKE` this.
    pub business_key_like: Option<String>,
    /// Of this process definition.
    pub definition_id: Option<String>,
    /// Of definitions with one of these keys.
    pub definition_keys: Vec<String>,
    /// Of definitions whose name is this.
    pub definition_name: Option<String>,
    /// Of these executions.
    pub execution_id: Option<String>,
    /// Of these activity instances.
    pub activity_instance_ids: Vec<String>,
    /// Of these user task elements.
    pub task_definition_keys: Vec<String>,
    /// Of user task elements whose id is `LIKE` this.
    pub task_definition_key_like: Option<String>,
    /// Named this.
    pub name: Option<String>,
    /// Not named this.
    pub name_not_equal: Option<String>,
    /// With a name `LIKE` this.
    pub name_like: Option<String>,
    /// With a name not `LIKE` this.
    pub name_not_like: Option<String>,
    /// Described as this.
    pub description: Option<String>,
    /// With a description `LIKE` this.
    pub description_like: Option<String>,
    /// Assigned to one of these.
    pub assignees: Vec<String>,
    /// Assigned, but not to any of these (unassigned tasks do not match, as in
    /// Camunda's SQL).
    pub assignee_not_in: Vec<String>,
    /// Assigned to someone `LIKE` this.
    pub assignee_like: Option<String>,
    /// Owned by this user.
    pub owner: Option<String>,
    /// That this user may pick up: unassigned, with the user or one of
    /// `candidate_user_groups` as a candidate.
    pub candidate_user: Option<String>,
    /// The groups of `candidate_user`, when known.
    pub candidate_user_groups: Vec<String>,
    /// Unassigned, with one of these groups as a candidate.
    pub candidate_groups: Vec<String>,
    /// Unassigned, with a candidate group `LIKE` this.
    pub candidate_group_like: Option<String>,
    /// With the candidate filters, assigned tasks too.
    pub include_assigned: bool,
    /// Where this user is the assignee, the owner or a candidate.
    pub involved_user: Option<String>,
    /// Only assigned tasks.
    pub assigned: bool,
    /// Only unassigned tasks.
    pub unassigned: bool,
    /// Only tasks with a candidate group.
    pub with_candidate_groups: bool,
    /// Only tasks without a candidate group.
    pub without_candidate_groups: bool,
    /// Only tasks with a candidate user.
    pub with_candidate_users: bool,
    /// Only tasks without a candidate user.
    pub without_candidate_users: bool,
    /// In this delegation state.
    pub delegation_state: Option<DelegationState>,
    /// Due exactly then (epoch ms).
    pub due: Option<i64>,
    /// Due before then.
    pub due_before: Option<i64>,
    /// Due after then.
    pub due_after: Option<i64>,
    /// Without a due date.
    pub without_due_date: bool,
    /// To follow up exactly then.
    pub follow_up: Option<i64>,
    /// To follow up before then.
    pub follow_up_before: Option<i64>,
    /// To follow up before then, or never.
    pub follow_up_before_or_not_existent: Option<i64>,
    /// To follow up after then.
    pub follow_up_after: Option<i64>,
    /// Created exactly then.
    pub created: Option<i64>,
    /// Created before then.
    pub created_before: Option<i64>,
    /// Created after then.
    pub created_after: Option<i64>,
    /// Last updated after then.
    pub updated_after: Option<i64>,
    /// With exactly this priority.
    pub priority: Option<i64>,
    /// With at least this priority.
    pub min_priority: Option<i64>,
    /// With at most this priority.
    pub max_priority: Option<i64>,
    /// Suspended (`Some(true)`) or active (`Some(false)`) only.
    pub suspended: Option<bool>,
    /// Of these tenants.
    pub tenant_ids: Vec<String>,
    /// Of no tenant.
    pub without_tenant_id: bool,
    /// Subtasks of this task.
    pub parent_task_id: Option<String>,
    /// Filters on the variables of the task's process instance (any scope), each of
    /// which must hold (Camunda's `processVariables`).
    pub process_variables: Vec<VariableFilter>,
    /// Filters on the task's own local variables (Camunda's `taskVariables`).
    pub task_variables: Vec<VariableFilter>,
    /// Further queries, each of which must hold with any one of its filters.
    pub or: Vec<TaskQuery>,
    /// The order: each key ascending (`false`) or descending (`true`); by id when empty.
    pub sort: Vec<(TaskSort, bool)>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

impl TaskQuery {
    /// A query for every task, newest first (the task list's usual order).
    pub fn newest_first() -> TaskQuery {
        TaskQuery {
            sort: vec![(TaskSort::Created, true)],
            ..TaskQuery::default()
        }
    }
}

/// A full update of a task's own fields (Camunda's `PUT /task/{id}`): every field
/// is written, `None` clearing it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskUpdate {
    /// The name.
    pub name: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The priority.
    pub priority: i64,
    /// The assignee.
    pub assignee: Option<String>,
    /// The owner.
    pub owner: Option<String>,
    /// The delegation state.
    pub delegation_state: Option<DelegationState>,
    /// The due date (epoch ms).
    pub due: Option<i64>,
    /// The follow-up date (epoch ms).
    pub follow_up: Option<i64>,
    /// The parent task.
    pub parent_task_id: Option<String>,
    /// The tenant (a task of a process instance keeps its instance's).
    pub tenant_id: Option<String>,
}

/// A link between a task and a user or group: a candidate, or the assignee or
/// owner (which are the task's own fields, shown as links).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityLink {
    /// The user, for a user link.
    pub user_id: Option<String>,
    /// The group, for a group link.
    pub group_id: Option<String>,
    /// `candidate`, `assignee` or `owner`.
    pub kind: String,
}

/// A comment on a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Its id.
    pub id: String,
    /// Who wrote it, when known.
    pub user_id: Option<String>,
    /// The task.
    pub task_id: Option<String>,
    /// The task's process instance.
    pub instance_id: Option<String>,
    /// When (epoch ms).
    pub time: i64,
    /// What it says.
    pub message: String,
    /// The top-most calling instance of the task's instance.
    pub root_instance_id: Option<String>,
}

/// A task in history: open or ended.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricTask {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Its last assignee.
    pub assignee: Option<String>,
    /// Its last owner.
    pub owner: Option<String>,
    /// Its priority.
    pub priority: i64,
    /// Its due date.
    pub due: Option<i64>,
    /// Its follow-up date.
    pub follow_up: Option<i64>,
    /// When it was created.
    pub start_time: i64,
    /// When it ended.
    pub end_time: Option<i64>,
    /// How long it was open (ms), once it ended.
    pub duration: Option<i64>,
    /// `completed`, `deleted`, or the reason its instance was cancelled with.
    pub delete_reason: Option<String>,
    /// Its process instance.
    pub instance_id: String,
    /// Its execution.
    pub execution_id: String,
    /// Its activity instance.
    pub activity_instance_id: String,
    /// The user task element.
    pub task_definition_key: String,
    /// Its process definition.
    pub definition_id: String,
    /// Its process definition's key.
    pub definition_key: String,
    /// The top-most calling instance.
    pub root_instance_id: String,
    /// Its tenant.
    pub tenant_id: Option<String>,
    /// Its parent task.
    pub parent_task_id: Option<String>,
    /// `Created`, `Updated`, `Completed` or `Deleted`.
    pub state: String,
}

/// How historic task lists can be sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoricTaskSort {
    /// `taskId`.
    Id,
    /// `activityInstanceId`.
    ActivityInstanceId,
    /// `processDefinitionId`.
    DefinitionId,
    /// `processInstanceId`.
    InstanceId,
    /// `executionId`.
    ExecutionId,
    /// `duration`.
    Duration,
    /// `endTime`.
    EndTime,
    /// `startTime`.
    StartTime,
    /// `taskName`.
    Name,
    /// `taskDescription`.
    Description,
    /// `assignee`.
    Assignee,
    /// `owner`.
    Owner,
    /// `dueDate`.
    DueDate,
    /// `followUpDate`.
    FollowUpDate,
    /// `deleteReason`.
    DeleteReason,
    /// `taskDefinitionKey`.
    TaskDefinitionKey,
    /// `priority`.
    Priority,
    /// `tenantId`.
    TenantId,
}

impl HistoricTaskSort {
    /// Reads Camunda's `sortBy` value; `None` for one Baton does not know.
    pub fn parse(text: &str) -> Option<HistoricTaskSort> {
        Some(match text {
            "taskId" => HistoricTaskSort::Id,
            "activityInstanceId" => HistoricTaskSort::ActivityInstanceId,
            "processDefinitionId" => HistoricTaskSort::DefinitionId,
            "processInstanceId" => HistoricTaskSort::InstanceId,
            "executionId" => HistoricTaskSort::ExecutionId,
            "duration" => HistoricTaskSort::Duration,
            "endTime" => HistoricTaskSort::EndTime,
            "startTime" => HistoricTaskSort::StartTime,
            "taskName" => HistoricTaskSort::Name,
            "taskDescription" => HistoricTaskSort::Description,
            "assignee" => HistoricTaskSort::Assignee,
            "owner" => HistoricTaskSort::Owner,
            "dueDate" => HistoricTaskSort::DueDate,
            "followUpDate" => HistoricTaskSort::FollowUpDate,
            "deleteReason" => HistoricTaskSort::DeleteReason,
            "taskDefinitionKey" => HistoricTaskSort::TaskDefinitionKey,
            "priority" => HistoricTaskSort::Priority,
            "tenantId" => HistoricTaskSort::TenantId,
            _ => return None,
        })
    }
}

/// Filters, order and page of a historic task list.
#[derive(Debug, Clone, Default)]
pub struct HistoricTaskQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// This task.
    pub task_id: Option<String>,
    /// Of these process instances.
    pub instance_ids: Vec<String>,
    /// Of this execution.
    pub execution_id: Option<String>,
    /// Of these activity instances.
    pub activity_instance_ids: Vec<String>,
    /// Of this process definition.
    pub definition_id: Option<String>,
    /// Of definitions with one of these keys.
    pub definition_keys: Vec<String>,
    /// Of these user task elements.
    pub task_definition_keys: Vec<String>,
    /// Named this.
    pub name: Option<String>,
    /// With a name `LIKE` this.
    pub name_like: Option<String>,
    /// Described as this.
    pub description: Option<String>,
    /// With a description `LIKE` this.
    pub description_like: Option<String>,
    /// Last assigned to this user.
    pub assignee: Option<String>,
    /// Last assigned to someone `LIKE` this.
    pub assignee_like: Option<String>,
    /// Owned by this user.
    pub owner: Option<String>,
    /// Ended with this delete reason.
    pub delete_reason: Option<String>,
    /// Where this user was ever assignee, owner or candidate.
    pub involved_user: Option<String>,
    /// Only ended tasks.
    pub finished: bool,
    /// Only open tasks.
    pub unfinished: bool,
    /// Only tasks assigned to someone.
    pub assigned: bool,
    /// Only tasks never assigned.
    pub unassigned: bool,
    /// With exactly this priority.
    pub priority: Option<i64>,
    /// Due before then (epoch ms).
    pub due_before: Option<i64>,
    /// Due after then.
    pub due_after: Option<i64>,
    /// Started before then.
    pub started_before: Option<i64>,
    /// Started after then.
    pub started_after: Option<i64>,
    /// Ended before then.
    pub finished_before: Option<i64>,
    /// Ended after then.
    pub finished_after: Option<i64>,
    /// Of these tenants.
    pub tenant_ids: Vec<String>,
    /// Of no tenant.
    pub without_tenant_id: bool,
    /// The order: each key ascending (`false`) or descending (`true`); by id when empty.
    pub sort: Vec<(HistoricTaskSort, bool)>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// What became of a task's variables when it completed, for
/// [`Engine::complete_task_returning`].
pub type VariablesAfter = Vec<(String, Value)>;

impl Engine {
    /// The open task `id`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task.
    pub async fn task(&self, id: &str) -> Result<Task> {
        let id = id.to_owned();
        self.read(move |c| query::task(c, &id)).await
    }

    /// Open tasks matching `q`, in its order and page.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a variable filter whose value cannot be compared;
    /// otherwise only storage errors.
    pub async fn tasks(&self, q: TaskQuery) -> Result<Vec<Task>> {
        self.read(move |c| query::tasks(c, &q)).await
    }

    /// How many open tasks match `q` (its page ignored).
    ///
    /// # Errors
    ///
    /// As [`Engine::tasks`].
    pub async fn task_count(&self, q: TaskQuery) -> Result<u64> {
        self.read(move |c| query::task_count(c, &q)).await
    }

    /// `user` claims task `id`: it becomes the assignee. Claiming a task one holds
    /// already changes nothing; candidacy is not checked, as in Camunda.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task; [`Error::Invalid`] when someone else
    /// holds it ("Task 'X' is already claimed by someone else.").
    pub async fn claim_task(&self, id: &str, user: &str) -> Result<()> {
        let (id, user) = (id.to_owned(), user.to_owned());
        self.command(move |ctx| ctx.claim_task(&id, Some(&user), true))
            .await
    }

    /// Takes the assignee off task `id`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task.
    pub async fn unclaim_task(&self, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.command(move |ctx| ctx.claim_task(&id, None, false))
            .await
    }

    /// Sets (or with `None` removes) the assignee of task `id`, whoever held it.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task.
    pub async fn set_task_assignee(&self, id: &str, user: Option<&str>) -> Result<()> {
        let (id, user) = (id.to_owned(), user.map(str::to_owned));
        self.command(move |ctx| ctx.claim_task(&id, user.as_deref(), false))
            .await
    }

    /// Delegates task `id` to `user`: the assignee becomes the owner (unless there is
    /// one), `user` the assignee, and the task is `PENDING`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task.
    pub async fn delegate_task(&self, id: &str, user: &str) -> Result<()> {
        let (id, user) = (id.to_owned(), user.to_owned());
        self.command(move |ctx| ctx.delegate_task(&id, &user)).await
    }

    /// The delegate of task `id` is done: it is `RESOLVED` and back with its owner;
    /// `variables` are set on it first.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task; [`Error::Invalid`] past the
    /// [`limits`] on variables.
    pub async fn resolve_task(&self, id: &str, variables: Variables) -> Result<()> {
        limits::check(&[&variables], 0)?;
        let id = id.to_owned();
        self.command(move |ctx| ctx.resolve_task(&id, &variables))
            .await
    }

    /// Completes task `id`: `variables` are set from the task (on the nearest scope
    /// that has each, else the process instance), and the token moves on.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task; [`Error::Invalid`] for a suspended
    /// one, or past the [`limits`] on variables.
    pub async fn complete_task(&self, id: &str, variables: Variables) -> Result<()> {
        limits::check(&[&variables], 0)?;
        let id = id.to_owned();
        self.command(move |ctx| ctx.complete_task(&id, &variables, false).map(|_| ()))
            .await
    }

    /// As [`Engine::complete_task`], answering the variables the task saw once
    /// `variables` were set (Camunda's `withVariablesInReturn`).
    ///
    /// # Errors
    ///
    /// As [`Engine::complete_task`].
    pub async fn complete_task_returning(
        &self,
        id: &str,
        variables: Variables,
    ) -> Result<VariablesAfter> {
        limits::check(&[&variables], 0)?;
        let id = id.to_owned();
        self.command(move |ctx| ctx.complete_task(&id, &variables, true))
            .await
    }

    /// Overwrites task `id`'s own fields with `update` (Camunda's `PUT /task/{id}`).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task.
    pub async fn update_task(&self, id: &str, update: TaskUpdate) -> Result<()> {
        let id = id.to_owned();
        self.command(move |ctx| ctx.update_task(&id, &update)).await
    }

    /// Throws BPMN error `code` from task `id`: `variables` are set, the task is
    /// deleted, and the error goes to the nearest catching boundary event or event
    /// subprocess (an uncaught one ends the execution, as from an external task).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task; [`Error::Invalid`] for an empty code.
    pub async fn task_bpmn_error(
        &self,
        id: &str,
        code: &str,
        message: Option<&str>,
        variables: Variables,
    ) -> Result<()> {
        limits::check(&[&variables], 0)?;
        let (id, code, message) = (id.to_owned(), code.to_owned(), message.map(str::to_owned));
        self.command(move |ctx| ctx.task_bpmn_error(&id, &code, message.as_deref(), &variables))
            .await
    }

    /// Throws escalation `code` from task `id`: `variables` are set, and the nearest
    /// catching boundary event (on the task or around it) or escalation event
    /// subprocess takes it; an interrupting one deletes the task, a non-interrupting
    /// one leaves it open.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task; [`Error::Invalid`] for an empty code,
    /// or when nothing catches it (as Camunda refuses it).
    pub async fn task_bpmn_escalation(
        &self,
        id: &str,
        code: &str,
        variables: Variables,
    ) -> Result<()> {
        limits::check(&[&variables], 0)?;
        let (id, code) = (id.to_owned(), code.to_owned());
        self.command(move |ctx| ctx.task_bpmn_escalation(&id, &code, &variables))
            .await
    }

    /// The identity links of task `id`: its assignee and owner, then its candidate
    /// users and groups; only those of `kind` when given.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task.
    pub async fn task_identity_links(
        &self,
        id: &str,
        kind: Option<&str>,
    ) -> Result<Vec<IdentityLink>> {
        let (id, kind) = (id.to_owned(), kind.map(str::to_owned));
        self.read(move |c| query::identity_links(c, &id, kind.as_deref()))
            .await
    }

    /// Adds an identity link to task `id`: a candidate user or group, or (with kind
    /// `assignee` or `owner`) sets that field.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task; [`Error::Invalid`] for a link with
    /// both or neither of a user and a group.
    pub async fn add_task_identity_link(&self, id: &str, link: IdentityLink) -> Result<()> {
        let id = id.to_owned();
        self.command(move |ctx| ctx.change_identity_link(&id, &link, true))
            .await
    }

    /// Removes an identity link from task `id` (see [`Engine::add_task_identity_link`]).
    ///
    /// # Errors
    ///
    /// As [`Engine::add_task_identity_link`].
    pub async fn delete_task_identity_link(&self, id: &str, link: IdentityLink) -> Result<()> {
        let id = id.to_owned();
        self.command(move |ctx| ctx.change_identity_link(&id, &link, false))
            .await
    }

    /// The comments on task `id`, oldest first. A task that ended keeps its
    /// comments; an id no task ever had answers none.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn task_comments(&self, id: &str) -> Result<Vec<Comment>> {
        let id = id.to_owned();
        self.read(move |c| query::comments(c, &id)).await
    }

    /// Adds a comment by `user` to the open task `id`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task; [`Error::Invalid`] for an empty message.
    pub async fn add_task_comment(
        &self,
        id: &str,
        user: Option<&str>,
        message: &str,
    ) -> Result<Comment> {
        let (id, user, message) = (id.to_owned(), user.map(str::to_owned), message.to_owned());
        self.command(move |ctx| ctx.add_comment(&id, user.as_deref(), &message))
            .await
    }

    /// The variables task `id` sees: its own, then those of each enclosing scope
    /// up to the process instance (the nearest of a name wins), by name.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task.
    pub async fn task_variables(&self, id: &str) -> Result<Vec<VariableInstance>> {
        let id = id.to_owned();
        self.read(move |c| query::task_variables(c, &id, false))
            .await
    }

    /// The variables local to task `id`, by name.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task.
    pub async fn task_local_variables(&self, id: &str) -> Result<Vec<VariableInstance>> {
        let id = id.to_owned();
        self.read(move |c| query::task_variables(c, &id, true))
            .await
    }

    /// Sets and removes variables from task `id`: `local` ones on the task itself,
    /// else each on the nearest scope that has it (the process instance if none),
    /// as Camunda's task variables do.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task; [`Error::Invalid`] past the
    /// [`limits`] on variables.
    pub async fn modify_task_variables(
        &self,
        id: &str,
        local: bool,
        set: Variables,
        remove: Vec<String>,
    ) -> Result<()> {
        limits::check(&[&set], remove.len())?;
        let id = id.to_owned();
        self.command(move |ctx| ctx.modify_task_variables(&id, local, &set, &remove))
            .await
    }

    /// Tasks in history matching `q`, in its order and page.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn historic_tasks(&self, q: HistoricTaskQuery) -> Result<Vec<HistoricTask>> {
        self.read(move |c| query::historic_tasks(c, &q)).await
    }

    /// How many tasks in history match `q` (its page ignored).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn historic_task_count(&self, q: HistoricTaskQuery) -> Result<u64> {
        self.read(move |c| query::historic_task_count(c, &q)).await
    }
}
