//! The REST surface as data: every endpoint the router serves under the base
//! path ([`ENDPOINTS`]), with its parameters and answer, from which
//! `GET {base}/openapi.json` is built ([`document`]) and the HTTP metrics take
//! their route labels.
//!
//! The table is written by hand, in Baton's own words, and checked against the
//! router: `server/tests/ops.rs` reads every route registered in
//! `src/routes/*.rs` and fails when one is missing here or this lists one that is
//! not served, and it compares the fields of the main answers below with real
//! answers. A new endpoint therefore needs a line here.

use serde_json::{Map, Value as Json, json};

use super::known;

/// What an endpoint takes in its body.
#[derive(Debug, Clone, Copy)]
pub(crate) enum In {
    /// Nothing.
    None,
    /// A JSON object of the named schema (`""`: any object).
    Json(&'static str),
    /// A `multipart/form-data` form.
    Multipart,
}

/// What an endpoint answers when it succeeds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Out {
    /// 200 with a JSON object of the named schema (`""`: any object).
    One(&'static str),
    /// 200 with a JSON array of the named schema (`""`: any value).
    List(&'static str),
    /// 200 with `{"count": n}`.
    Count,
    /// 204, no body.
    NoContent,
    /// 200 with a JSON object of the named schema, or 204 when asked for nothing
    /// back (variables in return and the like).
    OneOrNothing(&'static str),
    /// 200 with the stored bytes, in their own content type.
    Bytes,
}

/// One endpoint: method and path (relative to the base path, with `{name}`
/// segments as the router writes them), what it does, the query parameters it
/// reads, its body and its answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoint {
    /// `get`, `post`, `put` or `delete`.
    pub(crate) method: &'static str,
    /// The path template.
    pub(crate) path: &'static str,
    /// One line on what it does.
    pub(crate) summary: &'static str,
    /// The query parameters it reads.
    pub(crate) query: &'static [&'static str],
    /// Its body.
    pub(crate) body: In,
    /// Its answer.
    pub(crate) out: Out,
}

/// One line of [`ENDPOINTS`].
const fn ep(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    query: &'static [&'static str],
    body: In,
    out: Out,
) -> Endpoint {
    Endpoint {
        method,
        path,
        summary,
        query,
        body,
        out,
    }
}

const NONE: &[&str] = &[];
/// Query parameters of a list that are not filters: a count or a `POST` body
/// takes none of them.
const NOT_FILTERS: &[&str] = &[
    "firstResult",
    "maxResults",
    "sortBy",
    "sortOrder",
    "deserializeValues",
];
const DESERIALIZE: &[&str] = &["deserializeValues"];
const DESERIALIZE_ONE: &[&str] = &["deserializeValue"];
const METRICS: &[&str] = &["startDate", "endDate"];
const AUTHORIZATIONS: &[&str] = &[
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
const CHECK: &[&str] = &[
    "permissionName",
    "resourceName",
    "resourceType",
    "resourceId",
    "userId",
    "groupIds",
];
const DEPLOYED_FORM: &[&str] = &[];

use In::{Json as Body, Multipart, None as Empty};
use Out::{Bytes, Count, List, NoContent, One, OneOrNothing};

/// Every endpoint under the base path.
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    // The engine.
    ep(
        "get",
        "/engine",
        "The engines this server runs (one, `default`)",
        NONE,
        Empty,
        List("ProcessEngineDto"),
    ),
    ep(
        "get",
        "/version",
        "The Camunda REST API version this server speaks",
        NONE,
        Empty,
        One("VersionDto"),
    ),
    ep(
        "get",
        "/metrics/{name}/sum",
        "The sum of a Camunda metric since the engine started, within startDate and endDate",
        METRICS,
        Empty,
        One("MetricsResultDto"),
    ),
    ep(
        "get",
        "/openapi.json",
        "This document",
        NONE,
        Empty,
        One(""),
    ),
    // Deployments and definitions.
    ep(
        "post",
        "/deployment/create",
        "Deploy BPMN models and forms",
        NONE,
        Multipart,
        One("DeploymentWithDefinitionsDto"),
    ),
    ep(
        "get",
        "/deployment",
        "List deployments",
        known::DEPLOYMENT,
        Empty,
        List("DeploymentDto"),
    ),
    ep(
        "get",
        "/deployment/count",
        "Count deployments",
        known::DEPLOYMENT,
        Empty,
        Count,
    ),
    ep(
        "get",
        "/deployment/{id}",
        "One deployment",
        NONE,
        Empty,
        One("DeploymentDto"),
    ),
    ep(
        "delete",
        "/deployment/{id}",
        "Delete a deployment",
        &["cascade", "skipCustomListeners", "skipIoMappings"],
        Empty,
        NoContent,
    ),
    ep(
        "get",
        "/deployment/{id}/resources",
        "A deployment's resources",
        NONE,
        Empty,
        List("DeploymentResourceDto"),
    ),
    ep(
        "get",
        "/deployment/{id}/resources/{resource}",
        "One resource of a deployment",
        NONE,
        Empty,
        One("DeploymentResourceDto"),
    ),
    ep(
        "get",
        "/deployment/{id}/resources/{resource}/data",
        "A resource's bytes, as deployed",
        NONE,
        Empty,
        Bytes,
    ),
    ep(
        "get",
        "/process-definition/statistics",
        "Per definition version: running instances, failed jobs, incidents",
        &[
            "failedJobs",
            "incidents",
            "incidentsForType",
            "rootIncidents",
        ],
        Empty,
        List("ProcessDefinitionStatisticsResultDto"),
    ),
    ep(
        "get",
        "/process-definition/{id}/statistics",
        "Per activity of a definition: tokens waiting, failed jobs, incidents",
        &["failedJobs", "incidents", "incidentsForType"],
        Empty,
        List("ActivityStatisticsResultDto"),
    ),
    ep(
        "get",
        "/process-definition/key/{key}/statistics",
        "Per activity of the latest definition of a key",
        &["failedJobs", "incidents", "incidentsForType"],
        Empty,
        List("ActivityStatisticsResultDto"),
    ),
    ep(
        "get",
        "/process-definition/key/{key}/tenant-id/{tenant}/statistics",
        "Per activity of the latest definition of a key in a tenant",
        &["failedJobs", "incidents", "incidentsForType"],
        Empty,
        List("ActivityStatisticsResultDto"),
    ),
    ep(
        "get",
        "/process-definition",
        "List process definitions",
        known::DEFINITION,
        Empty,
        List("ProcessDefinitionDto"),
    ),
    ep(
        "get",
        "/process-definition/count",
        "Count process definitions",
        known::DEFINITION,
        Empty,
        Count,
    ),
    ep(
        "get",
        "/process-definition/{id}",
        "One process definition",
        NONE,
        Empty,
        One("ProcessDefinitionDto"),
    ),
    ep(
        "get",
        "/process-definition/{id}/xml",
        "A definition's BPMN XML",
        NONE,
        Empty,
        One("ProcessDefinitionXmlDto"),
    ),
    ep(
        "get",
        "/process-definition/{id}/diagram",
        "A definition's diagram image (none is stored: 204)",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "post",
        "/process-definition/{id}/start",
        "Start an instance of a definition",
        NONE,
        Body(""),
        One("ProcessInstanceWithVariablesDto"),
    ),
    ep(
        "get",
        "/process-definition/key/{key}",
        "The latest definition of a key",
        NONE,
        Empty,
        One("ProcessDefinitionDto"),
    ),
    ep(
        "get",
        "/process-definition/key/{key}/xml",
        "The BPMN XML of a key's latest definition",
        NONE,
        Empty,
        One("ProcessDefinitionXmlDto"),
    ),
    ep(
        "get",
        "/process-definition/key/{key}/diagram",
        "The diagram image of a key's latest definition (none is stored: 204)",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "post",
        "/process-definition/key/{key}/start",
        "Start an instance of a key's latest definition",
        NONE,
        Body(""),
        One("ProcessInstanceWithVariablesDto"),
    ),
    ep(
        "get",
        "/process-definition/key/{key}/tenant-id/{tenant}",
        "A tenant's latest definition of a key",
        NONE,
        Empty,
        One("ProcessDefinitionDto"),
    ),
    ep(
        "get",
        "/process-definition/key/{key}/tenant-id/{tenant}/xml",
        "The BPMN XML of a tenant's latest definition of a key",
        NONE,
        Empty,
        One("ProcessDefinitionXmlDto"),
    ),
    ep(
        "post",
        "/process-definition/key/{key}/tenant-id/{tenant}/start",
        "Start an instance of a tenant's latest definition of a key",
        NONE,
        Body(""),
        One("ProcessInstanceWithVariablesDto"),
    ),
    // Start forms, under each way of naming a definition.
    ep(
        "get",
        "/process-definition/{id}/startForm",
        "A definition's start form key",
        NONE,
        Empty,
        One("FormDto"),
    ),
    ep(
        "get",
        "/process-definition/key/{key}/startForm",
        "The start form key of a key's latest definition",
        NONE,
        Empty,
        One("FormDto"),
    ),
    ep(
        "get",
        "/process-definition/key/{key}/tenant-id/{tenant}/startForm",
        "The start form key of a tenant's latest definition of a key",
        NONE,
        Empty,
        One("FormDto"),
    ),
    ep(
        "get",
        "/process-definition/{id}/form-variables",
        "A definition's start form variables",
        &["variableNames", "deserializeValues"],
        Empty,
        One("VariableMap"),
    ),
    ep(
        "get",
        "/process-definition/key/{key}/form-variables",
        "The start form variables of a key's latest definition",
        &["variableNames", "deserializeValues"],
        Empty,
        One("VariableMap"),
    ),
    ep(
        "get",
        "/process-definition/key/{key}/tenant-id/{tenant}/form-variables",
        "The start form variables of a tenant's latest definition of a key",
        &["variableNames", "deserializeValues"],
        Empty,
        One("VariableMap"),
    ),
    ep(
        "post",
        "/process-definition/{id}/submit-form",
        "Start an instance through its start form",
        NONE,
        Body(""),
        One("ProcessInstanceDto"),
    ),
    ep(
        "post",
        "/process-definition/key/{key}/submit-form",
        "Start an instance of a key's latest definition through its start form",
        NONE,
        Body(""),
        One("ProcessInstanceDto"),
    ),
    ep(
        "post",
        "/process-definition/key/{key}/tenant-id/{tenant}/submit-form",
        "Start an instance of a tenant's latest definition through its start form",
        NONE,
        Body(""),
        One("ProcessInstanceDto"),
    ),
    ep(
        "get",
        "/process-definition/{id}/deployed-start-form",
        "The deployed start form itself",
        DEPLOYED_FORM,
        Empty,
        Bytes,
    ),
    ep(
        "get",
        "/process-definition/{id}/rendered-form",
        "The generated start form as HTML",
        NONE,
        Empty,
        Bytes,
    ),
    ep(
        "get",
        "/process-definition/key/{key}/deployed-start-form",
        "The deployed start form of a key's latest definition",
        DEPLOYED_FORM,
        Empty,
        Bytes,
    ),
    ep(
        "get",
        "/process-definition/key/{key}/rendered-form",
        "The generated start form of a key's latest definition as HTML",
        NONE,
        Empty,
        Bytes,
    ),
    ep(
        "get",
        "/process-definition/key/{key}/tenant-id/{tenant}/deployed-start-form",
        "The deployed start form of a tenant's latest definition of a key",
        DEPLOYED_FORM,
        Empty,
        Bytes,
    ),
    ep(
        "get",
        "/process-definition/key/{key}/tenant-id/{tenant}/rendered-form",
        "The generated start form of a tenant's latest definition of a key as HTML",
        NONE,
        Empty,
        Bytes,
    ),
    // Process instances and executions.
    ep(
        "get",
        "/process-instance",
        "List process instances",
        known::INSTANCE,
        Empty,
        List("ProcessInstanceDto"),
    ),
    ep(
        "post",
        "/process-instance",
        "List process instances (filters in the body)",
        known::INSTANCE,
        Body(""),
        List("ProcessInstanceDto"),
    ),
    ep(
        "get",
        "/process-instance/count",
        "Count process instances",
        known::INSTANCE,
        Empty,
        Count,
    ),
    ep(
        "post",
        "/process-instance/count",
        "Count process instances (filters in the body)",
        known::INSTANCE,
        Body(""),
        Count,
    ),
    ep(
        "get",
        "/process-instance/{id}",
        "One process instance",
        NONE,
        Empty,
        One("ProcessInstanceDto"),
    ),
    ep(
        "delete",
        "/process-instance/{id}",
        "Cancel a process instance",
        &[
            "skipCustomListeners",
            "skipIoMappings",
            "skipSubprocesses",
            "failIfNotExists",
        ],
        Empty,
        NoContent,
    ),
    ep(
        "get",
        "/process-instance/{id}/variables",
        "An instance's variables",
        DESERIALIZE,
        Empty,
        One("VariableMap"),
    ),
    ep(
        "post",
        "/process-instance/{id}/variables",
        "Set and delete an instance's variables",
        NONE,
        Body("VariableModifications"),
        NoContent,
    ),
    ep(
        "get",
        "/process-instance/{id}/variables/{name}",
        "One variable of an instance",
        DESERIALIZE_ONE,
        Empty,
        One("VariableValueDto"),
    ),
    ep(
        "put",
        "/process-instance/{id}/variables/{name}",
        "Set one variable of an instance",
        NONE,
        Body("VariableValueDto"),
        NoContent,
    ),
    ep(
        "delete",
        "/process-instance/{id}/variables/{name}",
        "Delete one variable of an instance",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "get",
        "/process-instance/{id}/variables/{name}/data",
        "A binary or file variable's bytes",
        NONE,
        Empty,
        Bytes,
    ),
    ep(
        "get",
        "/process-instance/{id}/activity-instances",
        "An instance's activity instance tree",
        NONE,
        Empty,
        One("ActivityInstanceDto"),
    ),
    ep(
        "get",
        "/execution/{id}/localVariables",
        "An execution's local variables",
        DESERIALIZE,
        Empty,
        One("VariableMap"),
    ),
    ep(
        "get",
        "/execution/{id}/localVariables/{name}",
        "One local variable of an execution",
        DESERIALIZE_ONE,
        Empty,
        One("VariableValueDto"),
    ),
    ep(
        "get",
        "/execution/{id}/localVariables/{name}/data",
        "A binary or file local variable's bytes",
        NONE,
        Empty,
        Bytes,
    ),
    // Messages, signals, conditions.
    ep(
        "post",
        "/message",
        "Correlate a message",
        NONE,
        Body(""),
        OneOrNothing(""),
    ),
    ep(
        "post",
        "/signal",
        "Throw a signal",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/condition",
        "Evaluate conditional start events",
        NONE,
        Body(""),
        List("ProcessInstanceDto"),
    ),
    // External tasks.
    ep(
        "get",
        "/external-task",
        "List external tasks",
        known::EXTERNAL_TASK,
        Empty,
        List("ExternalTaskDto"),
    ),
    ep(
        "post",
        "/external-task",
        "List external tasks (filters in the body)",
        known::EXTERNAL_TASK,
        Body(""),
        List("ExternalTaskDto"),
    ),
    ep(
        "get",
        "/external-task/count",
        "Count external tasks",
        known::EXTERNAL_TASK,
        Empty,
        Count,
    ),
    ep(
        "post",
        "/external-task/count",
        "Count external tasks (filters in the body)",
        known::EXTERNAL_TASK,
        Body(""),
        Count,
    ),
    ep(
        "post",
        "/external-task/fetchAndLock",
        "Fetch and lock external tasks, waiting up to asyncResponseTimeout for some",
        NONE,
        Body("FetchExternalTasksDto"),
        List("LockedExternalTaskDto"),
    ),
    ep(
        "get",
        "/external-task/topic-names",
        "The topics of external tasks",
        &["withLockedTasks", "withUnlockedTasks", "withRetriesLeft"],
        Empty,
        List(""),
    ),
    ep(
        "get",
        "/external-task/{id}",
        "One external task",
        NONE,
        Empty,
        One("ExternalTaskDto"),
    ),
    ep(
        "get",
        "/external-task/{id}/errorDetails",
        "The error details a worker reported",
        NONE,
        Empty,
        Bytes,
    ),
    ep(
        "post",
        "/external-task/{id}/complete",
        "Complete a locked external task",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/external-task/{id}/failure",
        "Report a locked external task's failure",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/external-task/{id}/bpmnError",
        "Throw a BPMN error from a locked external task",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/external-task/{id}/extendLock",
        "Extend a worker's lock",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/external-task/{id}/lock",
        "Lock an external task for a worker",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/external-task/{id}/unlock",
        "Unlock an external task",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "put",
        "/external-task/{id}/retries",
        "Set an external task's retries",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "put",
        "/external-task/{id}/priority",
        "Set an external task's priority",
        NONE,
        Body(""),
        NoContent,
    ),
    // Incidents and jobs.
    ep(
        "get",
        "/incident",
        "List open incidents",
        known::INCIDENT,
        Empty,
        List("IncidentDto"),
    ),
    ep(
        "get",
        "/incident/count",
        "Count open incidents",
        known::INCIDENT,
        Empty,
        Count,
    ),
    ep(
        "get",
        "/job",
        "List jobs (timers)",
        known::JOB,
        Empty,
        List("JobDto"),
    ),
    ep("get", "/job/count", "Count jobs", known::JOB, Empty, Count),
    ep("get", "/job/{id}", "One job", NONE, Empty, One("JobDto")),
    ep(
        "put",
        "/job/{id}/retries",
        "Set a job's retries",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "put",
        "/job/{id}/duedate",
        "Set a job's due date",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/job/{id}/execute",
        "Run a job now",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "get",
        "/job/{id}/stacktrace",
        "Why the job last failed, as text (its message: Baton runs no Java)",
        NONE,
        Empty,
        Bytes,
    ),
    ep(
        "get",
        "/job-definition",
        "What jobs each element of each definition makes: timers, asynchronous continuations",
        known::JOB_DEFINITION,
        Empty,
        List("JobDefinitionDto"),
    ),
    ep(
        "get",
        "/job-definition/count",
        "How many job definitions match",
        known::JOB_DEFINITION,
        Empty,
        Count,
    ),
    ep(
        "get",
        "/job-definition/{id}",
        "One job definition",
        NONE,
        Empty,
        One("JobDefinitionDto"),
    ),
    ep(
        "get",
        "/baton/clock",
        "The engine's clock (Baton's own)",
        NONE,
        Empty,
        One(""),
    ),
    ep(
        "post",
        "/baton/clock",
        "Move a manual clock and fire what fell due (Baton's own; only with --clock manual)",
        NONE,
        Body(""),
        One(""),
    ),
    // History.
    ep(
        "get",
        "/history/process-instance",
        "List historic process instances",
        known::HISTORIC_INSTANCE,
        Empty,
        List("HistoricProcessInstanceDto"),
    ),
    ep(
        "post",
        "/history/process-instance",
        "List historic process instances (filters in the body)",
        known::HISTORIC_INSTANCE,
        Body(""),
        List("HistoricProcessInstanceDto"),
    ),
    ep(
        "get",
        "/history/process-instance/count",
        "Count historic process instances",
        known::HISTORIC_INSTANCE,
        Empty,
        Count,
    ),
    ep(
        "post",
        "/history/process-instance/count",
        "Count historic process instances (filters in the body)",
        known::HISTORIC_INSTANCE,
        Body(""),
        Count,
    ),
    ep(
        "get",
        "/history/process-instance/{id}",
        "One historic process instance",
        NONE,
        Empty,
        One("HistoricProcessInstanceDto"),
    ),
    ep(
        "get",
        "/history/activity-instance",
        "List historic activity instances",
        known::HISTORIC_ACTIVITY,
        Empty,
        List("HistoricActivityInstanceDto"),
    ),
    ep(
        "get",
        "/history/activity-instance/count",
        "Count historic activity instances",
        known::HISTORIC_ACTIVITY,
        Empty,
        Count,
    ),
    ep(
        "get",
        "/history/variable-instance",
        "List historic variable instances",
        known::HISTORIC_VARIABLE,
        Empty,
        List("HistoricVariableInstanceDto"),
    ),
    ep(
        "get",
        "/history/variable-instance/count",
        "Count historic variable instances",
        known::HISTORIC_VARIABLE,
        Empty,
        Count,
    ),
    ep(
        "get",
        "/history/task",
        "List historic user tasks",
        known::HISTORIC_TASK,
        Empty,
        List("HistoricTaskInstanceDto"),
    ),
    ep(
        "post",
        "/history/task",
        "List historic user tasks (filters in the body)",
        known::HISTORIC_TASK,
        Body(""),
        List("HistoricTaskInstanceDto"),
    ),
    ep(
        "get",
        "/history/task/count",
        "Count historic user tasks",
        known::HISTORIC_TASK,
        Empty,
        Count,
    ),
    ep(
        "post",
        "/history/task/count",
        "Count historic user tasks (filters in the body)",
        known::HISTORIC_TASK,
        Body(""),
        Count,
    ),
    // User tasks.
    ep(
        "get",
        "/task",
        "List user tasks",
        known::TASK,
        Empty,
        List("TaskDto"),
    ),
    ep(
        "post",
        "/task",
        "List user tasks (filters, sorting and orQueries in the body)",
        known::TASK,
        Body(""),
        List("TaskDto"),
    ),
    ep(
        "get",
        "/task/count",
        "Count user tasks",
        known::TASK,
        Empty,
        Count,
    ),
    ep(
        "post",
        "/task/count",
        "Count user tasks (filters in the body)",
        known::TASK,
        Body(""),
        Count,
    ),
    ep(
        "get",
        "/task/{id}",
        "One user task",
        NONE,
        Empty,
        One("TaskDto"),
    ),
    ep(
        "put",
        "/task/{id}",
        "Update a user task",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/task/{id}/claim",
        "Claim a user task",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/task/{id}/unclaim",
        "Unclaim a user task",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "post",
        "/task/{id}/assignee",
        "Set a user task's assignee",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/task/{id}/delegate",
        "Delegate a user task",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/task/{id}/resolve",
        "Resolve a delegated user task",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/task/{id}/complete",
        "Complete a user task",
        NONE,
        Body(""),
        OneOrNothing("VariableMap"),
    ),
    ep(
        "post",
        "/task/{id}/bpmnError",
        "Throw a BPMN error from a user task",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "post",
        "/task/{id}/bpmnEscalation",
        "Throw a BPMN escalation from a user task",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "get",
        "/task/{id}/form",
        "A user task's form key",
        NONE,
        Empty,
        One("FormDto"),
    ),
    ep(
        "get",
        "/task/{id}/form-variables",
        "A user task's form variables",
        &["variableNames", "deserializeValues"],
        Empty,
        One("VariableMap"),
    ),
    ep(
        "post",
        "/task/{id}/submit-form",
        "Submit a user task's form",
        NONE,
        Body(""),
        OneOrNothing("VariableMap"),
    ),
    ep(
        "get",
        "/task/{id}/deployed-form",
        "The deployed form of a user task itself",
        DEPLOYED_FORM,
        Empty,
        Bytes,
    ),
    ep(
        "get",
        "/task/{id}/rendered-form",
        "The task's generated form as HTML",
        NONE,
        Empty,
        Bytes,
    ),
    ep(
        "get",
        "/task/{id}/identity-links",
        "A user task's identity links",
        &["type"],
        Empty,
        List("IdentityLinkDto"),
    ),
    ep(
        "post",
        "/task/{id}/identity-links",
        "Add an identity link to a user task",
        NONE,
        Body("IdentityLinkDto"),
        NoContent,
    ),
    ep(
        "post",
        "/task/{id}/identity-links/delete",
        "Remove an identity link from a user task",
        NONE,
        Body("IdentityLinkDto"),
        NoContent,
    ),
    ep(
        "get",
        "/task/{id}/comment",
        "A user task's comments",
        NONE,
        Empty,
        List("CommentDto"),
    ),
    ep(
        "post",
        "/task/{id}/comment/create",
        "Comment on a user task",
        NONE,
        Body(""),
        One("CommentDto"),
    ),
    ep(
        "get",
        "/task/{id}/comment/{comment}",
        "One comment of a user task",
        NONE,
        Empty,
        One("CommentDto"),
    ),
    ep(
        "get",
        "/task/{id}/variables",
        "The variables visible from a user task",
        DESERIALIZE,
        Empty,
        One("VariableMap"),
    ),
    ep(
        "post",
        "/task/{id}/variables",
        "Set and delete variables from a user task",
        NONE,
        Body("VariableModifications"),
        NoContent,
    ),
    ep(
        "get",
        "/task/{id}/variables/{name}",
        "One variable visible from a user task",
        DESERIALIZE_ONE,
        Empty,
        One("VariableValueDto"),
    ),
    ep(
        "put",
        "/task/{id}/variables/{name}",
        "Set one variable from a user task",
        NONE,
        Body("VariableValueDto"),
        NoContent,
    ),
    ep(
        "delete",
        "/task/{id}/variables/{name}",
        "Delete one variable from a user task",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "get",
        "/task/{id}/variables/{name}/data",
        "A binary or file variable's bytes",
        NONE,
        Empty,
        Bytes,
    ),
    ep(
        "get",
        "/task/{id}/localVariables",
        "A user task's local variables",
        DESERIALIZE,
        Empty,
        One("VariableMap"),
    ),
    ep(
        "post",
        "/task/{id}/localVariables",
        "Set and delete a user task's local variables",
        NONE,
        Body("VariableModifications"),
        NoContent,
    ),
    ep(
        "get",
        "/task/{id}/localVariables/{name}",
        "One local variable of a user task",
        DESERIALIZE_ONE,
        Empty,
        One("VariableValueDto"),
    ),
    ep(
        "put",
        "/task/{id}/localVariables/{name}",
        "Set one local variable of a user task",
        NONE,
        Body("VariableValueDto"),
        NoContent,
    ),
    ep(
        "delete",
        "/task/{id}/localVariables/{name}",
        "Delete one local variable of a user task",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "get",
        "/task/{id}/localVariables/{name}/data",
        "A binary or file local variable's bytes",
        NONE,
        Empty,
        Bytes,
    ),
    // Identity.
    ep(
        "get",
        "/user",
        "List users",
        known::USER,
        Empty,
        List("UserProfileDto"),
    ),
    ep(
        "get",
        "/user/count",
        "Count users",
        known::USER,
        Empty,
        Count,
    ),
    ep(
        "post",
        "/user/create",
        "Create a user",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "delete",
        "/user/{id}",
        "Delete a user",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "get",
        "/user/{id}/profile",
        "A user's profile",
        NONE,
        Empty,
        One("UserProfileDto"),
    ),
    ep(
        "put",
        "/user/{id}/profile",
        "Update a user's profile",
        NONE,
        Body("UserProfileDto"),
        NoContent,
    ),
    ep(
        "put",
        "/user/{id}/credentials",
        "Change a user's password",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "get",
        "/group",
        "List groups",
        known::GROUP,
        Empty,
        List("GroupDto"),
    ),
    ep(
        "get",
        "/group/count",
        "Count groups",
        known::GROUP,
        Empty,
        Count,
    ),
    ep(
        "post",
        "/group/create",
        "Create a group",
        NONE,
        Body("GroupDto"),
        NoContent,
    ),
    ep(
        "get",
        "/group/{id}",
        "One group",
        NONE,
        Empty,
        One("GroupDto"),
    ),
    ep(
        "put",
        "/group/{id}",
        "Update a group",
        NONE,
        Body("GroupDto"),
        NoContent,
    ),
    ep(
        "delete",
        "/group/{id}",
        "Delete a group",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "put",
        "/group/{id}/members/{user}",
        "Add a user to a group",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "delete",
        "/group/{id}/members/{user}",
        "Remove a user from a group",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "get",
        "/tenant",
        "List tenants",
        known::TENANT,
        Empty,
        List("TenantDto"),
    ),
    ep(
        "get",
        "/tenant/count",
        "Count tenants",
        known::TENANT,
        Empty,
        Count,
    ),
    ep(
        "post",
        "/tenant/create",
        "Create a tenant",
        NONE,
        Body("TenantDto"),
        NoContent,
    ),
    ep(
        "get",
        "/tenant/{id}",
        "One tenant",
        NONE,
        Empty,
        One("TenantDto"),
    ),
    ep(
        "put",
        "/tenant/{id}",
        "Update a tenant",
        NONE,
        Body("TenantDto"),
        NoContent,
    ),
    ep(
        "delete",
        "/tenant/{id}",
        "Delete a tenant",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "put",
        "/tenant/{id}/user-members/{user}",
        "Add a user to a tenant",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "delete",
        "/tenant/{id}/user-members/{user}",
        "Remove a user from a tenant",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "put",
        "/tenant/{id}/group-members/{group}",
        "Add a group to a tenant",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "delete",
        "/tenant/{id}/group-members/{group}",
        "Remove a group from a tenant",
        NONE,
        Empty,
        NoContent,
    ),
    ep(
        "post",
        "/identity/verify",
        "Check a user's password",
        NONE,
        Body(""),
        One("AuthenticationResult"),
    ),
    ep(
        "get",
        "/identity/groups",
        "A user's groups and the members of those groups",
        &["userId"],
        Empty,
        One("IdentityGroupMembershipsDto"),
    ),
    // Authorizations.
    ep(
        "get",
        "/authorization",
        "List authorizations",
        AUTHORIZATIONS,
        Empty,
        List("AuthorizationDto"),
    ),
    ep(
        "get",
        "/authorization/count",
        "Count authorizations",
        AUTHORIZATIONS,
        Empty,
        Count,
    ),
    ep(
        "post",
        "/authorization/create",
        "Create an authorization",
        NONE,
        Body(""),
        One("AuthorizationDto"),
    ),
    ep(
        "get",
        "/authorization/check",
        "Whether the caller has a permission",
        CHECK,
        Empty,
        One("AuthorizationCheckResultDto"),
    ),
    ep(
        "get",
        "/authorization/{id}",
        "One authorization",
        NONE,
        Empty,
        One("AuthorizationDto"),
    ),
    ep(
        "put",
        "/authorization/{id}",
        "Update an authorization",
        NONE,
        Body(""),
        NoContent,
    ),
    ep(
        "delete",
        "/authorization/{id}",
        "Delete an authorization",
        NONE,
        Empty,
        NoContent,
    ),
];

/// The answers' shapes: each schema's properties, as `name:type` separated by
/// spaces, where a type is `s` (string), `i` (integer), `b` (boolean), `o` (any
/// object), `[t]` (array of t), `{t}` (object of t by name) or another schema's
/// name, and a trailing `?` allows null.
const SCHEMAS: &[(&str, &str)] = &[
    ("ExceptionDto", "type:s message:s code:i?"),
    ("DeploymentResourceDto", "id:s name:s deploymentId:s"),
    (
        "JobDefinitionDto",
        "id:s processDefinitionId:s processDefinitionKey:s activityId:s jobType:s \
         jobConfiguration:s suspended:b overridingJobPriority:i? tenantId:s? deploymentId:s",
    ),
    (
        "IncidentStatisticsResultDto",
        "incidentType:s incidentCount:i",
    ),
    (
        "ActivityStatisticsResultDto",
        "@class:s id:s instances:i failedJobs:i incidents:[IncidentStatisticsResultDto]",
    ),
    (
        "ProcessDefinitionStatisticsResultDto",
        "@class:s id:s instances:i failedJobs:i incidents:[IncidentStatisticsResultDto] \
         definition:ProcessDefinitionDto",
    ),
    ("CountResultDto", "count:i"),
    ("MetricsResultDto", "result:i"),
    ("LinkDto", "method:s href:s rel:s"),
    ("VariableValueDto", "value:o? type:s valueInfo:o"),
    (
        "VariableModifications",
        "modifications:{VariableValueDto}? deletions:[s]?",
    ),
    (
        "ProcessDefinitionDto",
        "id:s key:s category:s? description:s? name:s? version:i resource:s deploymentId:s diagram:s? suspended:b tenantId:s? versionTag:s? historyTimeToLive:i? startableInTasklist:b",
    ),
    ("ProcessDefinitionXmlDto", "id:s bpmn20Xml:s"),
    (
        "DeploymentDto",
        "links:[LinkDto] id:s name:s? source:s? deploymentTime:s tenantId:s?",
    ),
    (
        "DeploymentWithDefinitionsDto",
        "links:[LinkDto] id:s name:s? source:s? deploymentTime:s tenantId:s? deployedProcessDefinitions:{ProcessDefinitionDto}? deployedCaseDefinitions:o? deployedDecisionDefinitions:o? deployedDecisionRequirementsDefinitions:o?",
    ),
    (
        "ProcessInstanceDto",
        "links:[LinkDto] id:s definitionId:s definitionKey:s businessKey:s? caseInstanceId:s? ended:b suspended:b tenantId:s?",
    ),
    (
        "ProcessInstanceWithVariablesDto",
        "links:[LinkDto] id:s definitionId:s definitionKey:s businessKey:s? caseInstanceId:s? ended:b suspended:b tenantId:s? variables:{VariableValueDto}?",
    ),
    ("ProcessEngineDto", "name:s"),
    ("VersionDto", "version:s"),
    (
        "AuthorizationCheckResultDto",
        "permissionName:s resourceName:s resourceId:s? authorized:b",
    ),
    (
        "AuthenticationResult",
        "authenticatedUser:s? authenticated:b tenants:[s]? groups:[s]?",
    ),
    ("IdentityGroupMembershipsDto", "groups:[o] groupUsers:[o]"),
    (
        "ActivityInstanceDto",
        "id:s parentActivityInstanceId:s? activityId:s activityType:s processInstanceId:s processDefinitionId:s childActivityInstances:[ActivityInstanceDto] childTransitionInstances:[o] executionIds:[s] activityName:s? name:s? incidentIds:[s] incidents:[o]",
    ),
    (
        "ExternalTaskDto",
        "activityId:s activityInstanceId:s errorMessage:s? executionId:s id:s lockExpirationTime:s? createTime:s processDefinitionId:s processDefinitionKey:s processDefinitionVersionTag:s? processInstanceId:s tenantId:s? retries:i? suspended:b workerId:s? topicName:s priority:i businessKey:s?",
    ),
    (
        "LockedExternalTaskDto",
        "activityId:s activityInstanceId:s errorMessage:s? executionId:s id:s lockExpirationTime:s? createTime:s processDefinitionId:s processDefinitionKey:s processDefinitionVersionTag:s? processInstanceId:s tenantId:s? retries:i? suspended:b workerId:s? topicName:s priority:i businessKey:s? errorDetails:s? variables:{VariableValueDto} extensionProperties:{s}",
    ),
    (
        "FetchExternalTasksDto",
        "workerId:s maxTasks:i usePriority:b? asyncResponseTimeout:i? topics:[o]",
    ),
    (
        "IncidentDto",
        "id:s processDefinitionId:s processInstanceId:s executionId:s incidentTimestamp:s incidentType:s activityId:s failedActivityId:s causeIncidentId:s rootCauseIncidentId:s configuration:s? tenantId:s? incidentMessage:s? jobDefinitionId:s? annotation:s?",
    ),
    (
        "JobDto",
        "id:s jobDefinitionId:s? dueDate:s processInstanceId:s? executionId:s? processDefinitionId:s processDefinitionKey:s exceptionMessage:s? failedActivityId:s? retries:i suspended:b priority:i tenantId:s? createTime:s batchId:s?",
    ),
    (
        "HistoricProcessInstanceDto",
        "id:s rootProcessInstanceId:s superProcessInstanceId:s? superCaseInstanceId:s? caseInstanceId:s? processDefinitionName:s? processDefinitionKey:s processDefinitionVersion:i processDefinitionId:s businessKey:s? startTime:s endTime:s? removalTime:s? durationInMillis:i? startUserId:s? startActivityId:s? deleteReason:s? tenantId:s? state:s",
    ),
    (
        "HistoricActivityInstanceDto",
        "id:s parentActivityInstanceId:s? activityId:s activityName:s? activityType:s processDefinitionKey:s processDefinitionId:s processInstanceId:s executionId:s taskId:s? calledProcessInstanceId:s? calledCaseInstanceId:s? assignee:s? startTime:s endTime:s? durationInMillis:i? canceled:b completeScope:b tenantId:s? removalTime:s? rootProcessInstanceId:s?",
    ),
    (
        "HistoricVariableInstanceDto",
        "id:s name:s value:o? type:s valueInfo:o processDefinitionKey:s processDefinitionId:s processInstanceId:s executionId:s activityInstanceId:s? caseDefinitionKey:s? caseDefinitionId:s? caseInstanceId:s? caseExecutionId:s? taskId:s? errorMessage:s? tenantId:s? state:s createTime:s removalTime:s? rootProcessInstanceId:s?",
    ),
    (
        "TaskDto",
        "id:s name:s? assignee:s? owner:s? created:s lastUpdated:s? due:s? followUp:s? delegationState:s? description:s? executionId:s parentTaskId:s? priority:i processDefinitionId:s processInstanceId:s caseExecutionId:s? caseDefinitionId:s? caseInstanceId:s? taskDefinitionKey:s suspended:b formKey:s? camundaFormRef:o? tenantId:s? taskState:s",
    ),
    (
        "HistoricTaskInstanceDto",
        "id:s processDefinitionKey:s processDefinitionId:s processInstanceId:s executionId:s caseDefinitionKey:s? caseDefinitionId:s? caseInstanceId:s? caseExecutionId:s? activityInstanceId:s name:s? description:s? deleteReason:s? owner:s? assignee:s? startTime:s endTime:s? duration:i? taskDefinitionKey:s priority:i due:s? parentTaskId:s? followUp:s? tenantId:s? removalTime:s? rootProcessInstanceId:s taskState:s",
    ),
    ("IdentityLinkDto", "userId:s? groupId:s? type:s"),
    (
        "CommentDto",
        "links:[LinkDto] id:s userId:s? taskId:s? processInstanceId:s? time:s message:s removalTime:s? rootProcessInstanceId:s?",
    ),
    ("FormDto", "key:s? contextPath:s? camundaFormRef:o?"),
    ("VariableMap", ""),
    ("UserProfileDto", "id:s firstName:s? lastName:s? email:s?"),
    ("GroupDto", "id:s name:s? type:s?"),
    ("TenantDto", "id:s name:s?"),
    (
        "AuthorizationDto",
        "id:s type:i permissions:[s] userId:s? groupId:s? resourceType:i resourceId:s? removalTime:s? rootProcessInstanceId:s?",
    ),
];

/// The JSON Schema of one property type of [`SCHEMAS`].
fn property(ty: &str) -> Json {
    let (ty, nullable) = match ty.strip_suffix('?') {
        Some(t) => (t, true),
        None => (ty, false),
    };
    let mut schema = match ty {
        "s" => json!({"type": "string"}),
        "i" => json!({"type": "integer", "format": "int64"}),
        "b" => json!({"type": "boolean"}),
        "o" => json!({}),
        _ if ty.starts_with('[') => {
            json!({"type": "array", "items": property(&ty[1..ty.len() - 1])})
        }
        _ if ty.starts_with('{') => {
            json!({"type": "object", "additionalProperties": property(&ty[1..ty.len() - 1])})
        }
        name => json!({"$ref": format!("#/components/schemas/{name}")}),
    };
    if nullable {
        schema = match schema {
            Json::Object(mut m) if !m.contains_key("$ref") && m.contains_key("type") => {
                m.insert("nullable".into(), Json::Bool(true));
                Json::Object(m)
            }
            // A reference cannot carry `nullable` in OpenAPI 3.0.
            other => json!({"allOf": [other], "nullable": true}),
        };
    }
    schema
}

/// The properties of schema `name`, by name, in order.
pub(crate) fn properties(name: &str) -> Option<Vec<(&'static str, &'static str)>> {
    let (_, fields) = SCHEMAS.iter().find(|(n, _)| *n == name)?;
    Some(
        fields
            .split_whitespace()
            .filter_map(|f| f.split_once(':'))
            .collect(),
    )
}

fn schema(name: &str) -> Json {
    if name == "VariableMap" {
        return json!({
            "type": "object",
            "additionalProperties": {"$ref": "#/components/schemas/VariableValueDto"},
        });
    }
    let mut props = Map::new();
    let mut required = Vec::new();
    for (field, ty) in properties(name).unwrap_or_default() {
        props.insert(field.to_owned(), property(ty));
        if !ty.ends_with('?') {
            required.push(Json::String(field.to_owned()));
        }
    }
    json!({"type": "object", "properties": props, "required": required})
}

fn content(schema: Json) -> Json {
    json!({"application/json": {"schema": schema}})
}

fn reference(name: &str) -> Json {
    if name.is_empty() {
        json!({"type": "object"})
    } else {
        json!({"$ref": format!("#/components/schemas/{name}")})
    }
}

/// The OpenAPI operation of one endpoint.
fn operation(e: &Endpoint) -> Json {
    let mut parameters = Vec::new();
    for segment in e.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            parameters.push(json!({
                "name": name, "in": "path", "required": true, "schema": {"type": "string"},
            }));
        }
    }
    // A count takes the list's filters, but no paging or sorting; a `POST` list
    // or count takes its filters in the body, and only paging in the query.
    let filters = || e.query.iter().copied().filter(|q| !NOT_FILTERS.contains(q));
    let in_body =
        e.method == "post" && matches!(e.out, Out::List(_) | Out::Count) && !e.query.is_empty();
    let query: Vec<&str> = match (in_body, e.out) {
        (true, Out::Count) => Vec::new(),
        (true, _) => vec!["firstResult", "maxResults"],
        (false, Out::Count) => filters().collect(),
        (false, _) => e.query.to_vec(),
    };
    for name in query {
        parameters.push(json!({"name": name, "in": "query", "schema": {"type": "string"}}));
    }
    let error = json!({"$ref": "#/components/responses/Error"});
    let mut responses = Map::new();
    let ok = |schema: Json| json!({"description": "Success", "content": content(schema)});
    match e.out {
        Out::One(name) => {
            responses.insert("200".into(), ok(reference(name)));
        }
        Out::List(name) => {
            let items = if name.is_empty() {
                json!({})
            } else {
                reference(name)
            };
            responses.insert("200".into(), ok(json!({"type": "array", "items": items})));
        }
        Out::Count => {
            responses.insert("200".into(), ok(reference("CountResultDto")));
        }
        Out::NoContent => {
            responses.insert("204".into(), json!({"description": "Done"}));
        }
        Out::OneOrNothing(name) => {
            responses.insert("200".into(), ok(reference(name)));
            responses.insert(
                "204".into(),
                json!({"description": "Done, with nothing asked back"}),
            );
        }
        Out::Bytes => {
            responses.insert(
                "200".into(),
                json!({
                    "description": "The stored bytes, in their content type",
                    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                }),
            );
        }
    }
    for status in ["400", "403", "404", "500"] {
        responses.insert(status.into(), error.clone());
    }
    responses.insert(
        "401".into(),
        json!({"$ref": "#/components/responses/Unauthorized"}),
    );
    let mut op = json!({
        "operationId": operation_id(e),
        "summary": e.summary,
        "parameters": parameters,
        "responses": responses,
    });
    let body = match e.body {
        In::None => None,
        In::Json(_) if in_body => {
            let mut props: Map<String, Json> =
                filters().map(|f| (f.to_owned(), json!({}))).collect();
            if matches!(e.out, Out::List(_)) {
                props.insert("sorting".into(), json!({"type": "array", "items": {}}));
            }
            Some(content(json!({"type": "object", "properties": props})))
        }
        In::Json(name) => Some(content(reference(name))),
        In::Multipart => Some(json!({"multipart/form-data": {"schema": {"type": "object"}}})),
    };
    if let (Some(body), Json::Object(op)) = (body, &mut op) {
        op.insert(
            "requestBody".into(),
            json!({"required": false, "content": body}),
        );
    }
    op
}

/// `getProcessInstanceVariables`-like: the method and the path's words.
fn operation_id(e: &Endpoint) -> String {
    let mut id = e.method.to_owned();
    for word in e
        .path
        .split(['/', '-', '.'])
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_start_matches('{').trim_end_matches('}'))
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            id.extend(first.to_uppercase());
            id.push_str(chars.as_str());
        }
    }
    id
}

/// The OpenAPI 3 document of [`ENDPOINTS`], served at `base`, as JSON text.
///
/// Each operation is built and written on its own, so that building the
/// document never holds the whole tree: as one `serde_json::Value` it took
/// megabytes of small maps for a document of about 200 KB.
pub(crate) fn document(base: &str) -> Vec<u8> {
    fn write(out: &mut Vec<u8>, value: &impl serde::Serialize) {
        // Writing to a `Vec` fails only when out of memory.
        let _ = serde_json::to_writer(&mut *out, value);
    }
    let mut out = Vec::with_capacity(256 * 1024);
    out.extend_from_slice(br#"{"openapi":"3.0.3","info":"#);
    write(
        &mut out,
        &json!({
            "title": "Baton REST API",
            "description": "The part of the Camunda 7 REST API that Baton serves, with Baton's own additions under /baton.",
            "version": env!("CARGO_PKG_VERSION"),
            "license": {"name": "MIT OR Apache-2.0"},
        }),
    );
    out.extend_from_slice(br#","servers":"#);
    write(
        &mut out,
        &json!([{"url": if base.is_empty() { "/" } else { base }}]),
    );
    out.extend_from_slice(br#","paths":{"#);
    let mut paths: std::collections::BTreeMap<&str, Vec<&Endpoint>> = Default::default();
    for e in ENDPOINTS {
        paths.entry(e.path).or_default().push(e);
    }
    for (i, (path, endpoints)) in paths.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(&mut out, path);
        out.extend_from_slice(b":{");
        for (j, e) in endpoints.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            write(&mut out, &e.method);
            out.push(b':');
            write(&mut out, &operation(e));
        }
        out.push(b'}');
    }
    out.extend_from_slice(br#"},"components":"#);
    let mut schemas = Map::new();
    for (name, _) in SCHEMAS {
        schemas.insert((*name).to_owned(), schema(name));
    }
    write(
        &mut out,
        &json!({
            "schemas": schemas,
            "responses": {
                "Error": {
                    "description": "Camunda's error body",
                    "content": content(reference("ExceptionDto")),
                },
                "Unauthorized": {
                    "description": "Credentials missing or wrong (with --auth on); no body",
                },
            },
        }),
    );
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_named_is_defined_and_every_endpoint_is_listed_once() {
        let mut seen = std::collections::HashSet::new();
        for e in ENDPOINTS {
            assert!(
                seen.insert((e.method, e.path)),
                "{} {} twice",
                e.method,
                e.path
            );
            let named = match (e.body, e.out) {
                (_, Out::One(n) | Out::List(n) | Out::OneOrNothing(n)) => Some(n),
                (In::Json(n), _) => Some(n),
                _ => None,
            };
            if let Some(n) = named.filter(|n| !n.is_empty()) {
                assert!(properties(n).is_some(), "{n} is not defined");
            }
        }
        for (_, fields) in SCHEMAS {
            for (_, ty) in fields.split_whitespace().filter_map(|f| f.split_once(':')) {
                let inner = ty.trim_end_matches('?').trim_matches(['[', ']', '{', '}']);
                if !["s", "i", "b", "o"].contains(&inner) {
                    assert!(properties(inner).is_some(), "{inner} is not defined");
                }
            }
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for e in ENDPOINTS {
            assert!(seen.insert(operation_id(e)), "{}", operation_id(e));
        }
    }
}

#[cfg(test)]
mod document_tests {
    use super::*;

    #[test]
    fn the_document_is_json_with_every_endpoint() {
        let doc: Json = serde_json::from_slice(&document("/engine-rest")).expect("JSON");
        assert_eq!(doc["servers"][0]["url"], "/engine-rest");
        let operations: usize = doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .map(|item| item.as_object().expect("an item").len())
            .sum();
        assert_eq!(operations, ENDPOINTS.len());
    }
}
