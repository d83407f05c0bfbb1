//! The records the engine's API takes and returns.
//!
//! Times are milliseconds since the Unix epoch (UTC); [`crate::date`] formats them
//! as Camunda does. Field names follow Camunda's DTOs so the REST layer maps them
//! one to one.

use crate::value::Value;

/// Named variables, in the order given.
pub type Variables = Vec<(String, Value)>;

/// A deployment to create.
#[derive(Debug, Clone, Default)]
pub struct NewDeployment {
    /// `deployment-name`.
    pub name: Option<String>,
    /// `deployment-source`.
    pub source: Option<String>,
    /// `tenant-id`.
    pub tenant_id: Option<String>,
    /// The files: (name, content). Files not ending in `.bpmn` or `.bpmn20.xml` are
    /// stored but not parsed.
    pub resources: Vec<(String, Vec<u8>)>,
    /// `enable-duplicate-filtering`: when every resource equals the one of the same
    /// name in the latest deployment of the same name, nothing new is deployed.
    pub duplicate_filtering: bool,
    /// `deploy-changed-only`: only changed resources get new definition versions.
    pub changed_only: bool,
}

/// A deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Its source.
    pub source: Option<String>,
    /// Its tenant.
    pub tenant_id: Option<String>,
    /// When it was deployed.
    pub deployment_time: i64,
}

/// What a deployment call created.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentResult {
    /// The deployment (an earlier one when duplicate filtering found no change).
    pub deployment: Deployment,
    /// The process definitions it created (empty when nothing changed).
    pub definitions: Vec<ProcessDefinition>,
}

/// A process definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessDefinition {
    /// `key:version:uuid`.
    pub id: String,
    /// The process id in the model.
    pub key: String,
    /// 1 for the first deployment of the key, then one more per changed model.
    pub version: i64,
    /// The process's name.
    pub name: Option<String>,
    /// Its deployment.
    pub deployment_id: String,
    /// The resource it came from.
    pub resource_name: String,
    /// `camunda:versionTag`.
    pub version_tag: Option<String>,
    /// Its tenant.
    pub tenant_id: Option<String>,
    /// Whether it is suspended.
    pub suspended: bool,
    /// `camunda:isStartableInTasklist`.
    pub startable_in_tasklist: bool,
    /// `camunda:historyTimeToLive`, in days.
    pub history_time_to_live: Option<i64>,
    /// The `targetNamespace` of the definitions it was deployed from, which Camunda
    /// reports as its category.
    pub category: Option<String>,
}

/// Which process definition to start.
#[derive(Debug, Clone, PartialEq)]
pub enum DefinitionRef {
    /// By id.
    Id(String),
    /// The latest version of a key (in a tenant, or without one).
    Key {
        /// The key.
        key: String,
        /// The tenant; `None` means definitions without a tenant.
        tenant_id: Option<String>,
    },
}

/// A request to start a process instance.
#[derive(Debug, Clone)]
pub struct StartInstance {
    /// Which definition.
    pub definition: DefinitionRef,
    /// The business key.
    pub business_key: Option<String>,
    /// The initial variables.
    pub variables: Variables,
}

impl StartInstance {
    /// Starts the latest version of `key`.
    pub fn by_key(key: impl Into<String>) -> Self {
        StartInstance {
            definition: DefinitionRef::Key {
                key: key.into(),
                tenant_id: None,
            },
            business_key: None,
            variables: Vec::new(),
        }
    }

    /// Sets the business key.
    pub fn business_key(mut self, key: impl Into<String>) -> Self {
        self.business_key = Some(key.into());
        self
    }

    /// Adds a variable.
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.variables.push((name.into(), value.into()));
        self
    }
}

/// A process instance.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessInstance {
    /// Its id.
    pub id: String,
    /// Its definition.
    pub definition_id: String,
    /// Its definition's key.
    pub definition_key: String,
    /// Its business key.
    pub business_key: Option<String>,
    /// Its tenant.
    pub tenant_id: Option<String>,
    /// Whether it is suspended.
    pub suspended: bool,
    /// Whether it has ended (only a start call can answer an ended instance).
    pub ended: bool,
    /// The calling instance, for a called one.
    pub super_instance_id: Option<String>,
    /// The top-most calling instance (itself when not called).
    pub root_instance_id: String,
}

/// A node of an instance's activity-instance tree.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityInstance {
    /// The activity instance id (the instance id for the root).
    pub id: String,
    /// The enclosing activity instance id.
    pub parent_id: Option<String>,
    /// The element id (the definition id for the root).
    pub activity_id: String,
    /// Camunda's activity type (`processDefinition` for the root).
    pub activity_type: String,
    /// The element's name.
    pub activity_name: Option<String>,
    /// The executions of this activity instance.
    pub execution_ids: Vec<String>,
    /// Incident ids at this activity instance.
    pub incident_ids: Vec<String>,
    /// The activity instances inside it.
    pub children: Vec<ActivityInstance>,
    /// The tokens inside it parked at an asynchronous continuation, before an
    /// activity starts or after it ended.
    pub transitions: Vec<TransitionInstance>,
}

/// A token between activities: parked at an asynchronous continuation
/// (`camunda:asyncBefore` or `asyncAfter`), as Camunda's `TransitionInstance`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionInstance {
    /// Its id (its execution's id, as in Camunda).
    pub id: String,
    /// The activity instance it is in.
    pub parent_id: String,
    /// The element it is parked at.
    pub activity_id: String,
    /// Camunda's activity type of that element.
    pub activity_type: String,
    /// That element's name.
    pub activity_name: Option<String>,
    /// Its execution.
    pub execution_id: String,
    /// The incidents of its job.
    pub incident_ids: Vec<String>,
}

/// An external task.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalTask {
    /// Its id.
    pub id: String,
    /// Its topic.
    pub topic: String,
    /// The worker holding or last holding its lock.
    pub worker_id: Option<String>,
    /// When its lock (or retry timeout) expires.
    pub lock_expiration_time: Option<i64>,
    /// Retries left; `None` until a failure sets them.
    pub retries: Option<i64>,
    /// The last failure's message.
    pub error_message: Option<String>,
    /// Its priority.
    pub priority: i64,
    /// Its process instance.
    pub process_instance_id: String,
    /// Its execution.
    pub execution_id: String,
    /// Its element id.
    pub activity_id: String,
    /// Its activity instance.
    pub activity_instance_id: String,
    /// Its process definition.
    pub process_definition_id: String,
    /// Its process definition's key.
    pub process_definition_key: String,
    /// Its process definition's version tag.
    pub process_definition_version_tag: Option<String>,
    /// The instance's business key.
    pub business_key: Option<String>,
    /// Its tenant.
    pub tenant_id: Option<String>,
    /// Whether it is suspended.
    pub suspended: bool,
    /// When it was created.
    pub create_time: i64,
}

/// A task handed to a worker by `fetch_and_lock`, with the variables it asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct LockedTask {
    /// The task, as locked.
    pub task: ExternalTask,
    /// The last failure's details.
    pub error_details: Option<String>,
    /// The variables visible from the task's execution (or only those asked for).
    pub variables: Variables,
}

/// One topic of a `fetch_and_lock` request.
#[derive(Debug, Clone, Default)]
pub struct TopicRequest {
    /// The topic name.
    pub topic: String,
    /// How long the lock lasts, in milliseconds.
    pub lock_duration: i64,
    /// Which variables to return; `None` means all.
    pub variables: Option<Vec<String>>,
    /// Only the task execution's local variables.
    pub local_variables: bool,
    /// Only tasks of instances with this business key.
    pub business_key: Option<String>,
    /// Only tasks of this definition.
    pub process_definition_id: Option<String>,
    /// Only tasks of these definitions.
    pub process_definition_ids: Vec<String>,
    /// Only tasks of this definition key.
    pub process_definition_key: Option<String>,
    /// Only tasks of these definition keys.
    pub process_definition_keys: Vec<String>,
    /// Only tasks of definitions with this version tag.
    pub process_definition_version_tag: Option<String>,
    /// Only tasks without a tenant.
    pub without_tenant_id: bool,
    /// Only tasks of these tenants.
    pub tenant_ids: Vec<String>,
    /// Only tasks whose instance has these variable values.
    pub process_variables: Variables,
}

/// A `fetch_and_lock` request.
#[derive(Debug, Clone, Default)]
pub struct FetchAndLock {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// The worker locking the tasks.
    pub worker_id: String,
    /// The most tasks to lock.
    pub max_tasks: usize,
    /// Highest priority first.
    pub use_priority: bool,
    /// Newest first (Camunda's `sorting` by `createTime` `desc`); oldest first
    /// otherwise. Within a priority, when `use_priority` is set.
    pub newest_first: bool,
    /// The topics, each with its own options.
    pub topics: Vec<TopicRequest>,
}

/// A worker's failure report.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    /// The failure message.
    pub error_message: Option<String>,
    /// Details (a stack trace, say).
    pub error_details: Option<String>,
    /// Retries left; 0 raises an incident.
    pub retries: i64,
    /// Milliseconds before the task may be fetched again.
    pub retry_timeout: i64,
    /// Variables to set on the task's execution.
    pub variables: Variables,
    /// Variables to set local to it.
    pub local_variables: Variables,
}

/// Filters for external task queries; every set field must match. By default the
/// answer is ordered by creation time.
#[derive(Debug, Clone, Default)]
pub struct ExternalTaskQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// This task.
    pub id: Option<String>,
    /// These tasks.
    pub ids: Vec<String>,
    /// This topic.
    pub topic: Option<String>,
    /// Locked by this worker.
    pub worker_id: Option<String>,
    /// Only tasks whose lock has not expired.
    pub locked: bool,
    /// Only tasks that are not locked (or whose lock expired).
    pub not_locked: bool,
    /// Only tasks with retries left (or unset).
    pub with_retries_left: bool,
    /// Only tasks with no retries left.
    pub no_retries_left: bool,
    /// Of this instance.
    pub process_instance_id: Option<String>,
    /// Of these instances.
    pub process_instance_ids: Vec<String>,
    /// Of this definition.
    pub process_definition_id: Option<String>,
    /// Of this definition key.
    pub process_definition_key: Option<String>,
    /// At this element.
    pub activity_id: Option<String>,
    /// At one of these elements.
    pub activity_ids: Vec<String>,
    /// At this execution.
    pub execution_id: Option<String>,
    /// With a priority of at least this.
    pub priority_higher_than_or_equals: Option<i64>,
    /// With a priority of at most this.
    pub priority_lower_than_or_equals: Option<i64>,
    /// Of these tenants.
    pub tenant_ids: Vec<String>,
    /// Only suspended tasks (`Some(true)`) or only active ones (`Some(false)`).
    pub suspended: Option<bool>,
    /// Only active tasks (`Some(true)`) or only suspended ones (`Some(false)`).
    pub active: Option<bool>,
    /// The order of the answer; each query documents its default.
    pub sort: Option<Sort<ExternalTaskSort>>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// What external tasks can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalTaskSort {
    /// The task id.
    Id,
    /// When its lock expires (tasks never locked first).
    LockExpirationTime,
    /// Its process instance id.
    ProcessInstanceId,
    /// Its definition id.
    ProcessDefinitionId,
    /// Its definition key.
    ProcessDefinitionKey,
    /// Its tenant (tasks without one first).
    TenantId,
    /// Its priority.
    Priority,
    /// When it was created.
    CreateTime,
}

/// Filters for process definition queries. By default the answer is ordered by
/// key, then version.
#[derive(Debug, Clone, Default)]
pub struct DefinitionQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// This definition.
    pub id: Option<String>,
    /// These definitions.
    pub ids: Vec<String>,
    /// This key.
    pub key: Option<String>,
    /// These keys.
    pub keys: Vec<String>,
    /// Keys matching this pattern (SQL `LIKE`: `%` any text, `_` one character,
    /// `\` escapes; case-sensitive).
    pub key_like: Option<String>,
    /// This name.
    pub name: Option<String>,
    /// Names matching this pattern (as `key_like`).
    pub name_like: Option<String>,
    /// This version.
    pub version: Option<i64>,
    /// Only the latest version of each key.
    pub latest_version: bool,
    /// Of this deployment.
    pub deployment_id: Option<String>,
    /// With this version tag.
    pub version_tag: Option<String>,
    /// With a version tag matching this pattern (as `key_like`).
    pub version_tag_like: Option<String>,
    /// With this category.
    pub category: Option<String>,
    /// With a category matching this pattern (as `key_like`).
    pub category_like: Option<String>,
    /// Of these tenants.
    pub tenant_ids: Vec<String>,
    /// Only those without a tenant.
    pub without_tenant_id: bool,
    /// Only suspended definitions (`Some(true)`) or only active ones (`Some(false)`).
    pub suspended: Option<bool>,
    /// Only active definitions (`Some(true)`) or only suspended ones (`Some(false)`).
    pub active: Option<bool>,
    /// The order of the answer; each query documents its default.
    pub sort: Option<Sort<DefinitionSort>>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// What process definitions can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefinitionSort {
    /// The category.
    Category,
    /// The key.
    Key,
    /// The id.
    Id,
    /// The name.
    Name,
    /// The version.
    Version,
    /// The deployment id.
    DeploymentId,
    /// When its deployment was made.
    DeployTime,
    /// The tenant.
    TenantId,
    /// The version tag.
    VersionTag,
}

/// Filters for deployment queries. By default the answer is ordered newest first.
#[derive(Debug, Clone, Default)]
pub struct DeploymentQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// This deployment.
    pub id: Option<String>,
    /// With this name.
    pub name: Option<String>,
    /// With a name matching this pattern (SQL `LIKE`, as [`DefinitionQuery::key_like`];
    /// a deployment without a name has the empty one).
    pub name_like: Option<String>,
    /// With this source.
    pub source: Option<String>,
    /// Of these tenants.
    pub tenant_ids: Vec<String>,
    /// Only those without a tenant.
    pub without_tenant_id: bool,
    /// The order of the answer; each query documents its default.
    pub sort: Option<Sort<DeploymentSort>>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// What deployments can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentSort {
    /// The id.
    Id,
    /// The name.
    Name,
    /// When it was made.
    DeploymentTime,
    /// The tenant.
    TenantId,
}

/// The order of a query's answer: by `by`, ascending unless `descending`. Rows
/// that tie keep the query's default order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<K> {
    /// What to order by.
    pub by: K,
    /// Largest first.
    pub descending: bool,
}

/// Filters for process instance queries. By default the answer is ordered by
/// start time.
#[derive(Debug, Clone, Default)]
pub struct InstanceQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// These instances.
    pub ids: Vec<String>,
    /// With this business key.
    pub business_key: Option<String>,
    /// With a business key matching this pattern (SQL `LIKE`, as
    /// [`DefinitionQuery::key_like`]).
    pub business_key_like: Option<String>,
    /// Of this definition.
    pub definition_id: Option<String>,
    /// Of this definition key.
    pub definition_key: Option<String>,
    /// Of one of these definition keys.
    pub definition_keys: Vec<String>,
    /// Of none of these definition keys.
    pub definition_keys_not_in: Vec<String>,
    /// Called by this instance.
    pub super_instance_id: Option<String>,
    /// Calling this instance.
    pub sub_instance_id: Option<String>,
    /// Only instances no other instance called.
    pub roots_only: bool,
    /// With an open incident.
    pub with_incident: bool,
    /// With an execution at one of these elements (an element id; a multi-instance
    /// body as `id#multiInstanceBody`), read from the instance's execution tree, so
    /// every kind of wait state counts, with or without history.
    pub activity_ids: Vec<String>,
    /// With variables matching every one of these filters.
    pub variables: Vec<crate::filter::VariableFilter>,
    /// Of these tenants.
    pub tenant_ids: Vec<String>,
    /// Only those without a tenant.
    pub without_tenant_id: bool,
    /// Only suspended instances (`Some(true)`) or only active ones (`Some(false)`).
    pub suspended: Option<bool>,
    /// Only active instances (`Some(true)`) or only suspended ones (`Some(false)`).
    pub active: Option<bool>,
    /// The order of the answer; each query documents its default.
    pub sort: Option<Sort<InstanceSort>>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// What process instances can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceSort {
    /// The id.
    InstanceId,
    /// The definition key.
    DefinitionKey,
    /// The definition id.
    DefinitionId,
    /// The tenant.
    TenantId,
    /// The business key.
    BusinessKey,
}

/// A variable of a running instance.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableInstance {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: Value,
    /// Its process instance.
    pub process_instance_id: String,
    /// The execution it is local to.
    pub execution_id: String,
}

/// An open incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Its id.
    pub id: String,
    /// `failedExternalTask`, `failedJob`...
    pub incident_type: String,
    /// What went wrong.
    pub message: Option<String>,
    /// When it was raised.
    pub timestamp: i64,
    /// Its process instance.
    pub process_instance_id: String,
    /// Its execution.
    pub execution_id: String,
    /// Its element.
    pub activity_id: String,
    /// Its process definition.
    pub process_definition_id: String,
    /// The external task id, for `failedExternalTask`.
    pub configuration: Option<String>,
    /// Its tenant.
    pub tenant_id: Option<String>,
}

/// Filters for incident queries. By default the answer is ordered by creation time.
#[derive(Debug, Clone, Default)]
pub struct IncidentQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// This incident.
    pub id: Option<String>,
    /// Of this type.
    pub incident_type: Option<String>,
    /// With this message.
    pub message: Option<String>,
    /// With a message matching this pattern (SQL `LIKE`, as
    /// [`DefinitionQuery::key_like`]).
    pub message_like: Option<String>,
    /// Of this instance.
    pub process_instance_id: Option<String>,
    /// Of this definition.
    pub process_definition_id: Option<String>,
    /// Of one of these definition keys.
    pub process_definition_keys: Vec<String>,
    /// At this execution.
    pub execution_id: Option<String>,
    /// At this element.
    pub activity_id: Option<String>,
    /// With this configuration (an external task id).
    pub configuration: Option<String>,
    /// Raised at or after this time.
    pub timestamp_after: Option<i64>,
    /// Raised at or before this time.
    pub timestamp_before: Option<i64>,
    /// Of these tenants.
    pub tenant_ids: Vec<String>,
    /// Only those without a tenant.
    pub without_tenant_id: bool,
    /// The order of the answer; each query documents its default.
    pub sort: Option<Sort<IncidentSort>>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// What incidents can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentSort {
    /// The id.
    Id,
    /// The message.
    Message,
    /// When it was raised.
    Timestamp,
    /// Its type.
    Type,
    /// Its execution.
    ExecutionId,
    /// Its element.
    ActivityId,
    /// Its process instance.
    ProcessInstanceId,
    /// Its definition.
    ProcessDefinitionId,
    /// Its configuration.
    Configuration,
    /// Its tenant.
    TenantId,
}

/// A process instance in history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricProcessInstance {
    /// Its id.
    pub id: String,
    /// Its business key.
    pub business_key: Option<String>,
    /// Its definition.
    pub process_definition_id: String,
    /// Its definition key.
    pub process_definition_key: String,
    /// Its definition version.
    pub process_definition_version: i64,
    /// Its definition name.
    pub process_definition_name: Option<String>,
    /// When it started.
    pub start_time: i64,
    /// When it ended.
    pub end_time: Option<i64>,
    /// The start event.
    pub start_activity_id: Option<String>,
    /// The end event it ended at.
    pub end_activity_id: Option<String>,
    /// The calling instance.
    pub super_process_instance_id: Option<String>,
    /// The top-most calling instance.
    pub root_process_instance_id: String,
    /// Its tenant.
    pub tenant_id: Option<String>,
    /// `ACTIVE`, `COMPLETED`, `EXTERNALLY_TERMINATED`, `INTERNALLY_TERMINATED`.
    pub state: String,
    /// Why it was cancelled.
    pub delete_reason: Option<String>,
}

/// Filters for historic process instance queries. By default the answer is
/// ordered by start time.
#[derive(Debug, Clone, Default)]
pub struct HistoricInstanceQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// This instance.
    pub id: Option<String>,
    /// These instances.
    pub ids: Vec<String>,
    /// None of these instances.
    pub ids_not_in: Vec<String>,
    /// With this business key.
    pub business_key: Option<String>,
    /// With one of these business keys.
    pub business_keys: Vec<String>,
    /// With a business key matching this pattern (SQL `LIKE`, as
    /// [`DefinitionQuery::key_like`]).
    pub business_key_like: Option<String>,
    /// Of this definition key.
    pub definition_key: Option<String>,
    /// Of one of these definition keys.
    pub definition_keys: Vec<String>,
    /// Of none of these definition keys.
    pub definition_keys_not_in: Vec<String>,
    /// Of this definition.
    pub definition_id: Option<String>,
    /// Only finished ones.
    pub finished: bool,
    /// Only unfinished ones.
    pub unfinished: bool,
    /// In one of these states (`ACTIVE`, `COMPLETED`, `EXTERNALLY_TERMINATED`,
    /// `INTERNALLY_TERMINATED`).
    pub states: Vec<String>,
    /// Called by this instance.
    pub super_instance_id: Option<String>,
    /// Under this top-most calling instance.
    pub root_instance_id: Option<String>,
    /// Only instances no other instance called.
    pub roots_only: bool,
    /// Started at or before this time.
    pub started_before: Option<i64>,
    /// Started at or after this time.
    pub started_after: Option<i64>,
    /// Finished at or before this time.
    pub finished_before: Option<i64>,
    /// Finished at or after this time.
    pub finished_after: Option<i64>,
    /// Of these tenants.
    pub tenant_ids: Vec<String>,
    /// Only those without a tenant.
    pub without_tenant_id: bool,
    /// The order of the answer; each query documents its default.
    pub sort: Option<Sort<HistoricInstanceSort>>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// What historic process instances can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoricInstanceSort {
    /// The id.
    InstanceId,
    /// The definition id.
    DefinitionId,
    /// The definition key.
    DefinitionKey,
    /// The definition name.
    DefinitionName,
    /// The definition version.
    DefinitionVersion,
    /// The business key.
    BusinessKey,
    /// When it started.
    StartTime,
    /// When it ended (unfinished ones last).
    EndTime,
    /// How long it ran (unfinished ones last).
    Duration,
    /// The tenant.
    TenantId,
}

/// Filters for historic activity instance queries. By default the answer is in the
/// order the activities started.
#[derive(Debug, Clone, Default)]
pub struct HistoricActivityQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// Of one of these process instances.
    pub process_instance_ids: Vec<String>,
    /// Of this definition.
    pub process_definition_id: Option<String>,
    /// Of this definition key.
    pub process_definition_key: Option<String>,
    /// This activity instance.
    pub activity_instance_id: Option<String>,
    /// Of this element.
    pub activity_id: Option<String>,
    /// With this name.
    pub activity_name: Option<String>,
    /// With a name matching this pattern (SQL `LIKE`, as
    /// [`DefinitionQuery::key_like`]).
    pub activity_name_like: Option<String>,
    /// Of this type (Camunda's, such as `serviceTask`).
    pub activity_type: Option<String>,
    /// At this execution.
    pub execution_id: Option<String>,
    /// Only finished ones.
    pub finished: bool,
    /// Only unfinished ones.
    pub unfinished: bool,
    /// Only cancelled ones.
    pub canceled: bool,
    /// Only those that completed their scope.
    pub complete_scope: bool,
    /// Started at or before this time.
    pub started_before: Option<i64>,
    /// Started at or after this time.
    pub started_after: Option<i64>,
    /// Finished at or before this time.
    pub finished_before: Option<i64>,
    /// Finished at or after this time.
    pub finished_after: Option<i64>,
    /// Of these tenants.
    pub tenant_ids: Vec<String>,
    /// Only those without a tenant.
    pub without_tenant_id: bool,
    /// The order of the answer; each query documents its default.
    pub sort: Option<Sort<HistoricActivitySort>>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// What historic activity instances can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoricActivitySort {
    /// The activity instance id.
    ActivityInstanceId,
    /// The process instance id.
    InstanceId,
    /// The execution id.
    ExecutionId,
    /// The element id.
    ActivityId,
    /// The element name.
    ActivityName,
    /// The activity type.
    ActivityType,
    /// When it started.
    StartTime,
    /// When it ended (unfinished ones last).
    EndTime,
    /// How long it ran (unfinished ones last).
    Duration,
    /// The definition id.
    DefinitionId,
    /// The order the activities started in.
    Occurrence,
    /// The tenant.
    TenantId,
}

/// Filters for historic variable queries. By default the answer is ordered by
/// process instance, then name.
#[derive(Debug, Clone, Default)]
pub struct HistoricVariableQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// Of one of these process instances.
    pub process_instance_ids: Vec<String>,
    /// Of this definition.
    pub process_definition_id: Option<String>,
    /// Of this definition key.
    pub process_definition_key: Option<String>,
    /// With this name.
    pub name: Option<String>,
    /// With one of these names.
    pub names: Vec<String>,
    /// With a name matching this pattern (SQL `LIKE`, as [`DefinitionQuery::key_like`]).
    pub name_like: Option<String>,
    /// Of these tenants.
    pub tenant_ids: Vec<String>,
    /// Only those without a tenant.
    pub without_tenant_id: bool,
    /// The order of the answer; each query documents its default.
    pub sort: Option<Sort<HistoricVariableSort>>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// What historic variables can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoricVariableSort {
    /// The process instance id.
    InstanceId,
    /// The name.
    VariableName,
    /// The tenant.
    TenantId,
}

/// An activity instance in history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricActivityInstance {
    /// Its id.
    pub id: String,
    /// The enclosing activity instance.
    pub parent_activity_instance_id: Option<String>,
    /// The element.
    pub activity_id: String,
    /// The element's name.
    pub activity_name: Option<String>,
    /// Camunda's activity type.
    pub activity_type: String,
    /// Its process instance.
    pub process_instance_id: String,
    /// Its execution.
    pub execution_id: String,
    /// Its process definition.
    pub process_definition_id: String,
    /// Its process definition key.
    pub process_definition_key: String,
    /// The external task, for an external task activity.
    pub task_id: Option<String>,
    /// The called instance, for a call activity.
    pub called_process_instance_id: Option<String>,
    /// When it started.
    pub start_time: i64,
    /// When it ended.
    pub end_time: Option<i64>,
    /// Whether it was cancelled.
    pub canceled: bool,
    /// Whether it completed its scope.
    pub complete_scope: bool,
    /// Its tenant.
    pub tenant_id: Option<String>,
    /// The top-most calling instance of its instance (the instance itself when it was
    /// not called).
    pub root_process_instance_id: Option<String>,
}

/// A variable in history: its latest value, also after its instance ended.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricVariable {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its latest value.
    pub value: Value,
    /// Its process instance.
    pub process_instance_id: String,
    /// The execution it was local to.
    pub execution_id: String,
    /// Its process definition.
    pub process_definition_id: String,
    /// Its process definition key.
    pub process_definition_key: String,
    /// When it was created.
    pub create_time: i64,
    /// `CREATED` or `DELETED`.
    pub state: String,
    /// Its tenant.
    pub tenant_id: Option<String>,
    /// The activity instance of its scope (the process instance id for a process
    /// variable).
    pub activity_instance_id: Option<String>,
    /// The top-most calling instance.
    pub root_process_instance_id: Option<String>,
}

/// A message to correlate: to the executions waiting for it, or to the message
/// start events of the latest definitions.
#[derive(Debug, Clone, Default)]
pub struct MessageCorrelation {
    /// The message name.
    pub name: String,
    /// Only instances with this business key (and, for a start event, the new
    /// instance's business key).
    pub business_key: Option<String>,
    /// Only this instance.
    pub process_instance_id: Option<String>,
    /// Only instances whose variables have these values.
    pub correlation_keys: Variables,
    /// Only executions whose local variables have these values.
    pub local_correlation_keys: Variables,
    /// Variables to set on the instance before the token moves on.
    pub process_variables: Variables,
    /// Variables to set local to the receiving execution.
    pub process_variables_local: Variables,
    /// Every match, rather than exactly one.
    pub all: bool,
    /// Only definitions and instances of this tenant.
    pub tenant_id: Option<String>,
    /// Only definitions and instances without a tenant.
    pub without_tenant_id: bool,
    /// The asking user's scope: only their tenants' receivers (and those
    /// without a tenant) count, and each receiver needs its permission (see
    /// [`crate::authz`]); `None` for no checks.
    pub scope: Option<crate::authz::Scope>,
}

/// A signal to throw (see [`crate::Engine::throw_signal`]).
#[derive(Debug, Clone, Default)]
pub struct SignalThrow {
    /// The signal name.
    pub name: String,
    /// Variables for every receiver.
    pub variables: Variables,
    /// Only receivers of this tenant.
    pub tenant_id: Option<String>,
    /// Only receivers without a tenant.
    pub without_tenant_id: bool,
    /// The asking user's scope, as [`MessageCorrelation::scope`].
    pub scope: Option<crate::authz::Scope>,
}

/// What a correlated message reached.
#[derive(Debug, Clone, PartialEq)]
pub enum CorrelationResult {
    /// A waiting execution of an instance.
    Execution {
        /// The execution that received it.
        execution_id: String,
        /// Its instance, after the message moved it on.
        instance: ProcessInstance,
    },
    /// A message start event: the new instance.
    ProcessDefinition(ProcessInstance),
}

/// A job: a timer waiting to fire.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Its id.
    pub id: String,
    /// Its job definition: the same for every job of one timer activity of one
    /// process definition.
    pub job_definition_id: String,
    /// When it falls due.
    pub due_date: i64,
    /// Its instance (`None` for a timer start event).
    pub process_instance_id: Option<String>,
    /// The execution it belongs to.
    pub execution_id: Option<String>,
    /// The timer event.
    pub activity_id: String,
    /// Its definition.
    pub process_definition_id: String,
    /// Its definition key.
    pub process_definition_key: String,
    /// Retries left; at 0 it has an incident and does not run.
    pub retries: i64,
    /// The last failure's message.
    pub exception_message: Option<String>,
    /// Whether it is suspended.
    pub suspended: bool,
    /// Its priority.
    pub priority: i64,
    /// Its tenant.
    pub tenant_id: Option<String>,
    /// When it was created.
    pub create_time: i64,
}

/// Filters for job queries. By default the answer is ordered by due date.
#[derive(Debug, Clone, Default)]
pub struct JobQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything.
    pub scope: Option<crate::authz::Scope>,
    /// This job.
    pub id: Option<String>,
    /// These jobs.
    pub ids: Vec<String>,
    /// Of this job definition.
    pub job_definition_id: Option<String>,
    /// Of this instance.
    pub process_instance_id: Option<String>,
    /// Of one of these instances.
    pub process_instance_ids: Vec<String>,
    /// At this execution.
    pub execution_id: Option<String>,
    /// Of this definition.
    pub process_definition_id: Option<String>,
    /// Of this definition key.
    pub process_definition_key: Option<String>,
    /// At this element.
    pub activity_id: Option<String>,
    /// Only jobs with retries left.
    pub with_retries_left: bool,
    /// Only jobs without retries left.
    pub no_retries_left: bool,
    /// Only jobs due now.
    pub executable: bool,
    /// Only message jobs (asynchronous continuations): none yet, every job is a timer.
    pub messages: bool,
    /// Only suspended jobs.
    pub suspended: bool,
    /// Only active jobs.
    pub active: bool,
    /// Only jobs whose last run failed.
    pub with_exception: bool,
    /// Whose last run failed with this message.
    pub exception_message: Option<String>,
    /// Of these tenants.
    pub tenant_ids: Vec<String>,
    /// Only those without a tenant.
    pub without_tenant_id: bool,
    /// The order of the answer; each query documents its default.
    pub sort: Option<Sort<JobSort>>,
    /// Skip this many.
    pub first_result: usize,
    /// Return at most this many.
    pub max_results: Option<usize>,
}

/// What jobs can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobSort {
    /// The id.
    Id,
    /// When it falls due.
    DueDate,
    /// Retries left.
    Retries,
    /// Its process instance (start-event timers first).
    ProcessInstanceId,
}

/// What the engine has done since it opened, counted at each commit (so a command
/// that failed counts for nothing): for a periodic summary in a log, and for the
/// server's metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    /// Process instances started (called ones included).
    pub instances_started: u64,
    /// Process instances started that no other instance called (Camunda's
    /// `root-process-instance-start`).
    pub root_instances_started: u64,
    /// Process instances that ended (completed, or cancelled from outside or inside).
    pub instances_ended: u64,
    /// Activity instances started: every flow node entered, a multi-instance
    /// body too (Camunda's `activity-instance-start`).
    pub activities_started: u64,
    /// Activity instances that ended, completed or cancelled (Camunda's
    /// `activity-instance-end`).
    pub activities_ended: u64,
    /// External tasks locked by `fetchAndLock` (or an in-process handler's fetch).
    pub tasks_fetched: u64,
    /// External tasks completed by workers.
    pub tasks_completed: u64,
    /// External task failures reported by workers.
    pub tasks_failed: u64,
    /// BPMN errors thrown by external task workers.
    pub bpmn_errors: u64,
    /// Jobs (timers) that fired and whose step succeeded (Camunda's `job-successful`).
    pub jobs_fired: u64,
    /// Job runs whose step failed, each costing a retry (Camunda's `job-failed`).
    pub jobs_failed: u64,
    /// Incidents raised.
    pub incidents: u64,
}

impl Activity {
    /// How many counts an [`Activity`] holds.
    pub(crate) const LEN: usize = 12;

    /// The counts in field order.
    pub(crate) fn to_array(self) -> [u64; Activity::LEN] {
        [
            self.instances_started,
            self.root_instances_started,
            self.instances_ended,
            self.activities_started,
            self.activities_ended,
            self.tasks_fetched,
            self.tasks_completed,
            self.tasks_failed,
            self.bpmn_errors,
            self.jobs_fired,
            self.jobs_failed,
            self.incidents,
        ]
    }

    /// The counts of [`Activity::to_array`] back.
    pub(crate) fn from_array(a: [u64; Activity::LEN]) -> Activity {
        let [
            instances_started,
            root_instances_started,
            instances_ended,
            activities_started,
            activities_ended,
            tasks_fetched,
            tasks_completed,
            tasks_failed,
            bpmn_errors,
            jobs_fired,
            jobs_failed,
            incidents,
        ] = a;
        Activity {
            instances_started,
            root_instances_started,
            instances_ended,
            activities_started,
            activities_ended,
            tasks_fetched,
            tasks_completed,
            tasks_failed,
            bpmn_errors,
            jobs_fired,
            jobs_failed,
            incidents,
        }
    }

    /// Each count of both, joined by `f`.
    fn zip(self, other: Activity, f: impl Fn(u64, u64) -> u64) -> Activity {
        let (a, b) = (self.to_array(), other.to_array());
        Activity::from_array(std::array::from_fn(|i| f(a[i], b[i])))
    }

    /// Both counts together.
    pub fn plus(self, other: Activity) -> Activity {
        self.zip(other, u64::saturating_add)
    }

    /// What happened between `earlier` and this count.
    pub fn since(self, earlier: Activity) -> Activity {
        self.zip(earlier, u64::saturating_sub)
    }
}

/// Which incidents a statistics query counts ([`StatisticsQuery::incidents`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum IncidentsWanted {
    /// None: every row's incident list stays empty.
    #[default]
    None,
    /// Every incident, by type.
    All,
    /// Only incidents of this type.
    OfType(String),
    /// Only root incidents (an incident that no other caused). Baton raises no
    /// cascading incidents, so these are all of them.
    Root,
}

/// What a process-definition or activity statistics query counts beside the
/// running instances.
#[derive(Debug, Clone, Default)]
pub struct StatisticsQuery {
    /// What the asking user may see (see [`crate::authz::Scope`]); `None` for
    /// everything. Per definition it keeps the definitions the user may read and
    /// counts what lies in their tenants; per activity it counts only the
    /// instances, jobs and incidents the user may read.
    pub scope: Option<crate::authz::Scope>,
    /// Count the jobs without retries left (`failedJobs`).
    pub failed_jobs: bool,
    /// Which incidents to count, by type.
    pub incidents: IncidentsWanted,
}

/// How many open incidents of one type a statistics row counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentCount {
    /// The incident type (`failedJob`, `failedExternalTask`, ...).
    pub incident_type: String,
    /// How many.
    pub count: u64,
}

/// One process definition version with what runs of it.
#[derive(Debug, Clone, PartialEq)]
pub struct DefinitionStatistics {
    /// The definition.
    pub definition: ProcessDefinition,
    /// Its running process instances.
    pub instances: u64,
    /// Its jobs without retries left (0 unless asked for).
    pub failed_jobs: u64,
    /// Its open incidents by type, by type name (empty unless asked for).
    pub incidents: Vec<IncidentCount>,
}

/// One activity of a process definition where something is: a token waiting, a
/// job without retries left or an open incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityStatistics {
    /// The activity's element id.
    pub activity_id: String,
    /// The activity instances waiting there, over all running instances.
    pub instances: u64,
    /// Its jobs without retries left (0 unless asked for).
    pub failed_jobs: u64,
    /// Its open incidents by type, by type name (empty unless asked for).
    pub incidents: Vec<IncidentCount>,
}

/// A file of a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentResource {
    /// Its id: derived from the deployment id and the name, so it is the same on
    /// every read and across restarts.
    pub id: String,
    /// Its file name, as deployed.
    pub name: String,
    /// Its deployment.
    pub deployment_id: String,
}

/// A histogram's reading: how many observations fell at or below each bound
/// (cumulative, as Prometheus counts them), how many there were and their sum.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Histogram {
    /// Each upper bound with the observations at or below it, in increasing order
    /// of bound; the observations above the last bound are `count` less the last.
    pub buckets: Vec<(f64, u64)>,
    /// How many observations.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
}

/// The writer's group commits since the engine opened: how many commands each
/// committed group held, and how long each took from its `BEGIN` to its
/// `COMMIT`'s return (with durable commits, the `fsync` included).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Commits {
    /// Commands per committed group.
    pub size: Histogram,
    /// Seconds per committed group.
    pub seconds: Histogram,
}

/// What waits in the database now, for gauges: read with one query each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Backlog {
    /// Jobs due now that have retries left and are not suspended (the job
    /// executor fires them as soon as it can).
    pub jobs_due: u64,
    /// Open incidents, by type (`failedExternalTask`, `failedJob`, ...), sorted.
    pub incidents_open: Vec<(String, u64)>,
}
