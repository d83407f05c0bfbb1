//! Camunda's response shapes. Every key is present (null when unknown) because
//! strict clients read them all; maps and `links` are never null.

use std::collections::BTreeMap;

use baton_engine::date;
use baton_engine::{
    ActivityInstance, Deployment, ExternalTask, HistoricActivityInstance, HistoricProcessInstance,
    HistoricVariable, Incident, LockedTask, ProcessDefinition, ProcessInstance,
};
use serde::Serialize;
use serde_json::Value as Json;

use crate::vars::{VariableOut, variables_out};

/// A date as Camunda writes it.
fn when(ms: i64) -> String {
    date::format(ms)
}

/// A hypermedia link.
#[derive(Debug, Serialize)]
pub(crate) struct Link {
    method: &'static str,
    href: String,
    rel: &'static str,
}

impl Link {
    /// The `self` link of a resource at `href`.
    pub(crate) fn this(href: String) -> Link {
        Link {
            method: "GET",
            href,
            rel: "self",
        }
    }
}

/// `ProcessDefinitionDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DefinitionDto {
    id: String,
    key: String,
    category: Option<String>,
    description: Option<String>,
    name: Option<String>,
    version: i64,
    resource: String,
    deployment_id: String,
    diagram: Option<String>,
    suspended: bool,
    tenant_id: Option<String>,
    version_tag: Option<String>,
    history_time_to_live: Option<i64>,
    startable_in_tasklist: bool,
}

impl From<&ProcessDefinition> for DefinitionDto {
    fn from(d: &ProcessDefinition) -> Self {
        DefinitionDto {
            id: d.id.clone(),
            key: d.key.clone(),
            category: d.category.clone(),
            description: None,
            name: d.name.clone(),
            version: d.version,
            resource: d.resource_name.clone(),
            deployment_id: d.deployment_id.clone(),
            diagram: None,
            suspended: d.suspended,
            tenant_id: d.tenant_id.clone(),
            version_tag: d.version_tag.clone(),
            history_time_to_live: d.history_time_to_live,
            startable_in_tasklist: d.startable_in_tasklist,
        }
    }
}

/// `DeploymentDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentDto {
    links: Vec<Link>,
    id: String,
    name: Option<String>,
    source: Option<String>,
    deployment_time: String,
    tenant_id: Option<String>,
}

impl DeploymentDto {
    /// The deployment, with its `self` link when `base_url` is given.
    pub(crate) fn new(d: &Deployment, base_url: Option<&str>) -> Self {
        DeploymentDto {
            links: base_url
                .map(|b| Link::this(format!("{b}/deployment/{}", d.id)))
                .into_iter()
                .collect(),
            id: d.id.clone(),
            name: d.name.clone(),
            source: d.source.clone(),
            deployment_time: when(d.deployment_time),
            tenant_id: d.tenant_id.clone(),
        }
    }
}

/// `DeploymentWithDefinitionsDto`: what a deployment call answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentWithDefinitionsDto {
    #[serde(flatten)]
    deployment: DeploymentDto,
    deployed_process_definitions: Option<BTreeMap<String, DefinitionDto>>,
    deployed_case_definitions: Option<Json>,
    deployed_decision_definitions: Option<Json>,
    deployed_decision_requirements_definitions: Option<Json>,
}

impl DeploymentWithDefinitionsDto {
    /// The deployment and the definitions it created (`null` when it created none).
    pub(crate) fn new(d: &Deployment, defs: &[ProcessDefinition], base_url: &str) -> Self {
        DeploymentWithDefinitionsDto {
            deployment: DeploymentDto::new(d, Some(base_url)),
            deployed_process_definitions: (!defs.is_empty())
                .then(|| defs.iter().map(|d| (d.id.clone(), d.into())).collect()),
            deployed_case_definitions: None,
            deployed_decision_definitions: None,
            deployed_decision_requirements_definitions: None,
        }
    }
}

/// `ProcessInstanceDto`, with `variables` for `withVariablesInReturn`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InstanceDto {
    links: Vec<Link>,
    id: String,
    definition_id: String,
    definition_key: String,
    business_key: Option<String>,
    case_instance_id: Option<String>,
    ended: bool,
    suspended: bool,
    tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    variables: Option<BTreeMap<String, VariableOut>>,
}

impl InstanceDto {
    /// The instance, with its `self` link when `base_url` is given.
    pub(crate) fn new(i: &ProcessInstance, base_url: Option<&str>) -> Self {
        InstanceDto {
            links: base_url
                .map(|b| Link::this(format!("{b}/process-instance/{}", i.id)))
                .into_iter()
                .collect(),
            id: i.id.clone(),
            definition_id: i.definition_id.clone(),
            definition_key: i.definition_key.clone(),
            business_key: i.business_key.clone(),
            case_instance_id: None,
            ended: i.ended,
            suspended: i.suspended,
            tenant_id: i.tenant_id.clone(),
            variables: None,
        }
    }

    /// Adds the variables (`withVariablesInReturn`).
    pub(crate) fn with_variables(mut self, vars: BTreeMap<String, VariableOut>) -> Self {
        self.variables = Some(vars);
        self
    }
}

/// `ExternalTaskDto`: a task in queries.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExternalTaskDto {
    activity_id: String,
    activity_instance_id: String,
    error_message: Option<String>,
    execution_id: String,
    id: String,
    lock_expiration_time: Option<String>,
    create_time: String,
    process_definition_id: String,
    process_definition_key: String,
    process_definition_version_tag: Option<String>,
    process_instance_id: String,
    tenant_id: Option<String>,
    retries: Option<i64>,
    suspended: bool,
    worker_id: Option<String>,
    topic_name: String,
    priority: i64,
    business_key: Option<String>,
}

impl From<&ExternalTask> for ExternalTaskDto {
    fn from(t: &ExternalTask) -> Self {
        ExternalTaskDto {
            activity_id: t.activity_id.clone(),
            activity_instance_id: t.activity_instance_id.clone(),
            error_message: t.error_message.clone(),
            execution_id: t.execution_id.clone(),
            id: t.id.clone(),
            lock_expiration_time: t.lock_expiration_time.map(when),
            create_time: when(t.create_time),
            process_definition_id: t.process_definition_id.clone(),
            process_definition_key: t.process_definition_key.clone(),
            process_definition_version_tag: t.process_definition_version_tag.clone(),
            process_instance_id: t.process_instance_id.clone(),
            tenant_id: t.tenant_id.clone(),
            retries: t.retries,
            suspended: t.suspended,
            worker_id: t.worker_id.clone(),
            topic_name: t.topic.clone(),
            priority: t.priority,
            business_key: t.business_key.clone(),
        }
    }
}

/// `LockedExternalTaskDto`: a task as `fetchAndLock` answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LockedTaskDto {
    #[serde(flatten)]
    task: ExternalTaskDto,
    error_details: Option<String>,
    variables: BTreeMap<String, VariableOut>,
    extension_properties: BTreeMap<String, String>,
}

impl LockedTaskDto {
    /// The locked task with its variables and extension properties.
    pub(crate) fn new(
        t: &LockedTask,
        deserialize: bool,
        extension_properties: BTreeMap<String, String>,
    ) -> Self {
        LockedTaskDto {
            task: (&t.task).into(),
            error_details: t.error_details.clone(),
            variables: variables_out(&t.variables, deserialize),
            extension_properties,
        }
    }
}

/// `IncidentDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IncidentDto {
    id: String,
    process_definition_id: String,
    process_instance_id: String,
    execution_id: String,
    incident_timestamp: String,
    incident_type: String,
    activity_id: String,
    failed_activity_id: String,
    cause_incident_id: String,
    root_cause_incident_id: String,
    configuration: Option<String>,
    tenant_id: Option<String>,
    incident_message: Option<String>,
    job_definition_id: Option<String>,
    annotation: Option<String>,
}

impl From<&Incident> for IncidentDto {
    fn from(i: &Incident) -> Self {
        IncidentDto {
            id: i.id.clone(),
            process_definition_id: i.process_definition_id.clone(),
            process_instance_id: i.process_instance_id.clone(),
            execution_id: i.execution_id.clone(),
            incident_timestamp: when(i.timestamp),
            incident_type: i.incident_type.clone(),
            activity_id: i.activity_id.clone(),
            failed_activity_id: i.activity_id.clone(),
            // Baton raises no cascading incidents: each is its own cause.
            cause_incident_id: i.id.clone(),
            root_cause_incident_id: i.id.clone(),
            configuration: i.configuration.clone(),
            tenant_id: i.tenant_id.clone(),
            incident_message: i.message.clone(),
            job_definition_id: None,
            annotation: None,
        }
    }
}

/// `HistoricProcessInstanceDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoricInstanceDto {
    id: String,
    root_process_instance_id: String,
    super_process_instance_id: Option<String>,
    super_case_instance_id: Option<String>,
    case_instance_id: Option<String>,
    process_definition_name: Option<String>,
    process_definition_key: String,
    process_definition_version: i64,
    process_definition_id: String,
    business_key: Option<String>,
    start_time: String,
    end_time: Option<String>,
    removal_time: Option<String>,
    duration_in_millis: Option<i64>,
    start_user_id: Option<String>,
    start_activity_id: Option<String>,
    delete_reason: Option<String>,
    tenant_id: Option<String>,
    state: String,
}

impl From<&HistoricProcessInstance> for HistoricInstanceDto {
    fn from(h: &HistoricProcessInstance) -> Self {
        HistoricInstanceDto {
            id: h.id.clone(),
            root_process_instance_id: h.root_process_instance_id.clone(),
            super_process_instance_id: h.super_process_instance_id.clone(),
            super_case_instance_id: None,
            case_instance_id: None,
            process_definition_name: h.process_definition_name.clone(),
            process_definition_key: h.process_definition_key.clone(),
            process_definition_version: h.process_definition_version,
            process_definition_id: h.process_definition_id.clone(),
            business_key: h.business_key.clone(),
            start_time: when(h.start_time),
            end_time: h.end_time.map(when),
            removal_time: None,
            duration_in_millis: h.end_time.map(|e| e - h.start_time),
            start_user_id: None,
            start_activity_id: h.start_activity_id.clone(),
            delete_reason: h.delete_reason.clone(),
            tenant_id: h.tenant_id.clone(),
            state: h.state.clone(),
        }
    }
}

/// `HistoricActivityInstanceDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoricActivityDto {
    id: String,
    parent_activity_instance_id: Option<String>,
    activity_id: String,
    activity_name: Option<String>,
    activity_type: String,
    process_definition_key: String,
    process_definition_id: String,
    process_instance_id: String,
    execution_id: String,
    task_id: Option<String>,
    called_process_instance_id: Option<String>,
    called_case_instance_id: Option<String>,
    assignee: Option<String>,
    start_time: String,
    end_time: Option<String>,
    duration_in_millis: Option<i64>,
    canceled: bool,
    complete_scope: bool,
    tenant_id: Option<String>,
    removal_time: Option<String>,
    root_process_instance_id: Option<String>,
}

impl From<&HistoricActivityInstance> for HistoricActivityDto {
    fn from(h: &HistoricActivityInstance) -> Self {
        HistoricActivityDto {
            id: h.id.clone(),
            parent_activity_instance_id: h.parent_activity_instance_id.clone(),
            activity_id: h.activity_id.clone(),
            activity_name: h.activity_name.clone(),
            activity_type: h.activity_type.clone(),
            process_definition_key: h.process_definition_key.clone(),
            process_definition_id: h.process_definition_id.clone(),
            process_instance_id: h.process_instance_id.clone(),
            execution_id: h.execution_id.clone(),
            task_id: h.task_id.clone(),
            called_process_instance_id: h.called_process_instance_id.clone(),
            called_case_instance_id: None,
            assignee: None,
            start_time: when(h.start_time),
            end_time: h.end_time.map(when),
            duration_in_millis: h.end_time.map(|e| e - h.start_time),
            canceled: h.canceled,
            complete_scope: h.complete_scope,
            tenant_id: h.tenant_id.clone(),
            removal_time: None,
            root_process_instance_id: h.root_process_instance_id.clone(),
        }
    }
}

/// `HistoricVariableInstanceDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoricVariableDto {
    id: String,
    name: String,
    #[serde(flatten)]
    value: VariableOut,
    process_definition_key: String,
    process_definition_id: String,
    process_instance_id: String,
    execution_id: String,
    activity_instance_id: Option<String>,
    case_definition_key: Option<String>,
    case_definition_id: Option<String>,
    case_instance_id: Option<String>,
    case_execution_id: Option<String>,
    task_id: Option<String>,
    error_message: Option<String>,
    tenant_id: Option<String>,
    state: String,
    create_time: String,
    removal_time: Option<String>,
    root_process_instance_id: Option<String>,
}

impl HistoricVariableDto {
    /// The variable; `deserialize` answers JSON objects as JSON.
    pub(crate) fn new(h: &HistoricVariable, deserialize: bool) -> Self {
        HistoricVariableDto {
            id: h.id.clone(),
            name: h.name.clone(),
            value: VariableOut::new(&h.value, deserialize),
            process_definition_key: h.process_definition_key.clone(),
            process_definition_id: h.process_definition_id.clone(),
            process_instance_id: h.process_instance_id.clone(),
            execution_id: h.execution_id.clone(),
            activity_instance_id: h.activity_instance_id.clone(),
            case_definition_key: None,
            case_definition_id: None,
            case_instance_id: None,
            case_execution_id: None,
            task_id: None,
            error_message: None,
            tenant_id: h.tenant_id.clone(),
            state: h.state.clone(),
            create_time: when(h.create_time),
            removal_time: None,
            root_process_instance_id: h.root_process_instance_id.clone(),
        }
    }
}

/// `ActivityInstanceDto`: a node of the activity-instance tree.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActivityInstanceDto {
    id: String,
    parent_activity_instance_id: Option<String>,
    activity_id: String,
    activity_type: String,
    process_instance_id: String,
    process_definition_id: String,
    child_activity_instances: Vec<ActivityInstanceDto>,
    child_transition_instances: Vec<Json>,
    execution_ids: Vec<String>,
    activity_name: Option<String>,
    name: Option<String>,
    incident_ids: Vec<String>,
    incidents: Vec<Json>,
}

impl ActivityInstanceDto {
    /// The tree of `instance` (of definition `definition_id`) from `node` down.
    pub(crate) fn new(node: &ActivityInstance, instance: &str, definition_id: &str) -> Self {
        ActivityInstanceDto {
            id: node.id.clone(),
            parent_activity_instance_id: node.parent_id.clone(),
            activity_id: node.activity_id.clone(),
            activity_type: node.activity_type.clone(),
            process_instance_id: instance.to_owned(),
            process_definition_id: definition_id.to_owned(),
            child_activity_instances: node
                .children
                .iter()
                .map(|c| ActivityInstanceDto::new(c, instance, definition_id))
                .collect(),
            child_transition_instances: node
                .transitions
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "id": t.id,
                        "parentActivityInstanceId": t.parent_id,
                        "activityId": t.activity_id,
                        "activityType": t.activity_type,
                        "processInstanceId": instance,
                        "processDefinitionId": definition_id,
                        "executionId": t.execution_id,
                        "targetActivityId": t.activity_id,
                        "activityName": t.activity_name,
                        "name": t.activity_name,
                        "incidentIds": t.incident_ids,
                        "incidents": t.incident_ids.iter()
                            .map(|id| serde_json::json!({"id": id, "activityId": t.activity_id}))
                            .collect::<Vec<_>>(),
                    })
                })
                .collect(),
            execution_ids: node.execution_ids.clone(),
            activity_name: node.activity_name.clone(),
            name: node.activity_name.clone(),
            incident_ids: node.incident_ids.clone(),
            incidents: node
                .incident_ids
                .iter()
                .map(|id| serde_json::json!({"id": id, "activityId": node.activity_id}))
                .collect(),
        }
    }
}

/// `{"count": n}`.
#[derive(Debug, Serialize)]
pub(crate) struct CountDto {
    /// The count.
    pub(crate) count: usize,
}

impl From<u64> for CountDto {
    /// An engine's count, as the REST API answers it.
    fn from(count: u64) -> Self {
        CountDto {
            count: usize::try_from(count).unwrap_or(usize::MAX),
        }
    }
}

/// `IncidentStatisticsResultDto`: how many open incidents of one type.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IncidentStatisticsDto {
    incident_type: String,
    incident_count: u64,
}

impl From<&baton_engine::IncidentCount> for IncidentStatisticsDto {
    fn from(n: &baton_engine::IncidentCount) -> Self {
        IncidentStatisticsDto {
            incident_type: n.incident_type.clone(),
            incident_count: n.count,
        }
    }
}

/// `ProcessDefinitionStatisticsResultDto`: one definition version with its running
/// instances, failed jobs and incidents. Camunda's statistics DTOs carry their
/// Java class in `@class` (Jackson's `@JsonTypeInfo`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DefinitionStatisticsDto {
    #[serde(rename = "@class")]
    class: &'static str,
    id: String,
    instances: u64,
    failed_jobs: u64,
    definition: DefinitionDto,
    incidents: Vec<IncidentStatisticsDto>,
}

impl From<&baton_engine::DefinitionStatistics> for DefinitionStatisticsDto {
    fn from(s: &baton_engine::DefinitionStatistics) -> Self {
        DefinitionStatisticsDto {
            class: "org.camunda.bpm.engine.rest.dto.repository.ProcessDefinitionStatisticsResultDto",
            id: s.definition.id.clone(),
            instances: s.instances,
            failed_jobs: s.failed_jobs,
            definition: (&s.definition).into(),
            incidents: s.incidents.iter().map(Into::into).collect(),
        }
    }
}

/// `ActivityStatisticsResultDto`: one activity with the tokens waiting there, its
/// failed jobs and incidents.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ActivityStatisticsDto {
    #[serde(rename = "@class")]
    class: &'static str,
    id: String,
    instances: u64,
    failed_jobs: u64,
    incidents: Vec<IncidentStatisticsDto>,
}

impl From<&baton_engine::ActivityStatistics> for ActivityStatisticsDto {
    fn from(s: &baton_engine::ActivityStatistics) -> Self {
        ActivityStatisticsDto {
            class: "org.camunda.bpm.engine.rest.dto.repository.ActivityStatisticsResultDto",
            id: s.activity_id.clone(),
            instances: s.instances,
            failed_jobs: s.failed_jobs,
            incidents: s.incidents.iter().map(Into::into).collect(),
        }
    }
}

/// `DeploymentResourceDto`: a file of a deployment.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeploymentResourceDto {
    id: String,
    name: String,
    deployment_id: String,
}

impl From<&baton_engine::DeploymentResource> for DeploymentResourceDto {
    fn from(r: &baton_engine::DeploymentResource) -> Self {
        DeploymentResourceDto {
            id: r.id.clone(),
            name: r.name.clone(),
            deployment_id: r.deployment_id.clone(),
        }
    }
}
