//! The interpreter: moves an instance's tokens until each rests, and says what
//! must change outside the instance.
//!
//! [`Run`] works on one loaded [`Instance`] and one trigger (start, task done,
//! BPMN error, child ended...). It never touches the database: everything that
//! concerns other rows or other instances (external tasks, incidents, history,
//! called instances) is returned as [`Effect`]s, which the command layer
//! (`crate::command`) writes in the same transaction.

mod interp;
pub(crate) mod state;

pub(crate) use interp::{
    ExecScope, Run, activity_type, find_catch, find_task_escalation_catch, interp_scope,
};
pub(crate) use state::{EndState, Exec, ExecKind, Instance, VarState, Wait};

/// How many rounds of conditional events one step may trigger before it is taken
/// for a loop and fails.
pub(crate) const MAX_CONDITION_ROUNDS: usize = 100;

use crate::value::Value;

/// Something outside the instance's own state that a step changes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Effect {
    /// Create an external task for execution `exec`.
    CreateTask(TaskSpec),
    /// Remove an external task (its activity was cancelled).
    DeleteTask(String),
    /// Create a user task for execution `exec`.
    CreateUserTask(Box<UserTaskSpec>),
    /// Remove a user task (its activity was cancelled), ending its history with
    /// `reason` (Camunda's delete reason: `deleted`, or the instance's).
    DeleteUserTask {
        /// The task.
        id: String,
        /// Why.
        reason: String,
    },
    /// Start a called process instance.
    StartChild(ChildSpec),
    /// Cancel a called instance (its call activity was cancelled).
    CancelChild(String),
    /// Raise an incident.
    Incident(IncidentSpec),
    /// Remove an incident (its execution was cancelled).
    DeleteIncident(String),
    /// An error found no catcher here; the calling instances are searched next.
    UncaughtError {
        /// The execution that threw it, parked in [`Wait::ErrorPending`].
        exec: String,
        /// The error code.
        code: String,
        /// The error message.
        message: Option<String>,
    },
    /// An escalation found no catcher in this (called) instance; the calling
    /// instances are searched next. The thrower has gone on already.
    UncaughtEscalation {
        /// The escalation code.
        code: String,
    },
    /// The instance ended (its calling instance, if any, resumes).
    Ended,
    /// Wait for a message, a signal or a timer on behalf of an execution.
    Arm(Catcher),
    /// Remove every subscription and timer an execution owns (it ended).
    Disarm(String),
    /// Throw a signal: every subscription and signal start event with its name
    /// fires, in this instance and in others.
    Broadcast {
        /// The signal name.
        name: String,
    },
    /// A history record.
    History(HistoryEvent),
}

/// What an execution waits for, outside the instance: a subscription or a timer job.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Catcher {
    /// The execution that owns it (the host of a boundary event, the waiting
    /// execution, the scope of an event subprocess).
    pub exec: String,
    /// The catching element: a boundary, intermediate catch or start event, or a
    /// receive task.
    pub activity_id: String,
    /// What it waits for.
    pub kind: CatcherKind,
}

/// The kinds of [`Catcher`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CatcherKind {
    /// An asynchronous continuation: a job, due at once, that the job executor
    /// runs in a transaction of its own.
    Async {
        /// After the activity (`camunda:asyncAfter`) rather than before it.
        after: bool,
        /// For a multi-instance body (`multiInstanceAsyncBefore`/`After`) rather
        /// than the activity.
        body: bool,
        /// `camunda:failedJobRetryTimeCycle` of the element.
        retry_cycle: Option<String>,
    },
    /// A message, by name.
    Message(String),
    /// A signal, by name.
    Signal(String),
    /// A timer.
    Timer {
        /// `date`, `duration` or `cycle`.
        kind: &'static str,
        /// The evaluated timer value.
        text: String,
        /// When it first falls due.
        due: i64,
        /// `camunda:failedJobRetryTimeCycle` of the element.
        retry_cycle: Option<String>,
    },
}

/// An external task to create.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskSpec {
    /// Its id.
    pub id: String,
    /// The execution waiting for it.
    pub exec: String,
    /// The activity instance id.
    pub activity_instance_id: String,
    /// The element id.
    pub activity_id: String,
    /// The topic.
    pub topic: String,
    /// The priority.
    pub priority: i64,
}

/// A user task to create, its expressions evaluated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UserTaskSpec {
    /// Its id.
    pub id: String,
    /// The execution waiting for it.
    pub exec: String,
    /// The activity instance id.
    pub activity_instance_id: String,
    /// The element id (Camunda's task definition key).
    pub activity_id: String,
    /// The name.
    pub name: Option<String>,
    /// The description (the element's documentation).
    pub description: Option<String>,
    /// The assignee.
    pub assignee: Option<String>,
    /// Candidate users, in order, without repeats.
    pub candidate_users: Vec<String>,
    /// Candidate groups, in order, without repeats.
    pub candidate_groups: Vec<String>,
    /// The due date (epoch ms).
    pub due: Option<i64>,
    /// The follow-up date (epoch ms).
    pub follow_up: Option<i64>,
    /// The priority (50 unless the model says otherwise).
    pub priority: i64,
    /// `camunda:formKey`.
    pub form_key: Option<String>,
    /// `camunda:formRef`: the form's key, binding and version.
    pub form_ref: Option<(String, String, Option<i64>)>,
}

/// A called instance to start.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChildSpec {
    /// The id the child gets.
    pub id: String,
    /// The call-activity execution that waits for it.
    pub exec: String,
    /// The called process key.
    pub key: String,
    /// Which version of it.
    pub binding: Binding,
    /// Its business key.
    pub business_key: Option<String>,
    /// Its initial variables.
    pub variables: Vec<(String, Value)>,
}

/// Which version of a called process to start.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Binding {
    /// The latest version.
    Latest,
    /// The version deployed in the caller's deployment.
    Deployment(String),
    /// A version number.
    Version(i64),
    /// A version tag.
    VersionTag(String),
}

/// An incident to raise.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IncidentSpec {
    /// Its id.
    pub id: String,
    /// Camunda's incident type.
    pub kind: &'static str,
    /// What went wrong.
    pub message: String,
    /// The execution it blocks.
    pub exec: String,
    /// The element.
    pub activity_id: String,
}

/// History records, written when history is on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HistoryEvent {
    /// An activity instance started.
    ActivityStart {
        /// The activity instance id.
        id: String,
        /// The enclosing activity instance id.
        parent: String,
        /// The element id.
        activity_id: String,
        /// The execution.
        exec: String,
        /// Camunda's activity type (`serviceTask`, `multiInstanceBody`...).
        activity_type: &'static str,
    },
    /// An activity instance ended.
    ActivityEnd {
        /// The activity instance id.
        id: String,
        /// Whether it was cancelled.
        canceled: bool,
        /// Whether it completed its scope (an end event).
        complete_scope: bool,
    },
    /// A call activity started its child.
    ActivityCalled {
        /// The activity instance id.
        id: String,
        /// The called instance.
        called: String,
    },
    /// An external task of an activity instance.
    ActivityTask {
        /// The activity instance id.
        id: String,
        /// The task.
        task: String,
    },
    /// The instance started at `start_activity`.
    ProcessStart {
        /// The start event.
        start_activity: Option<String>,
    },
    /// The instance ended.
    ProcessEnd {
        /// How.
        state: EndState,
        /// The element it ended at.
        end_activity: Option<String>,
        /// Why it was cancelled, if it was.
        reason: Option<String>,
    },
}

#[cfg(test)]
mod tests;
