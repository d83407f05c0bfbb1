//! Camunda's response shapes for user tasks: `TaskDto`, `HistoricTaskInstanceDto`,
//! `IdentityLinkDto`, `CommentDto` and `FormDto`. Every key Camunda 7.24's OpenAPI
//! document lists is present (null when unknown), since pycamunda's `Task.load`
//! reads them all; the case keys are always null, as Baton runs no CMMN.

use baton_engine::{Comment, FormRef, HistoricTask, IdentityLink, Task, date};
use serde::Serialize;

use crate::dto::Link;

/// `CamundaFormRef`: a task's `camunda:formRef`.
#[derive(Debug, Serialize)]
pub(crate) struct FormRefDto {
    key: String,
    binding: String,
    version: Option<i64>,
}

impl From<&FormRef> for FormRefDto {
    fn from(f: &FormRef) -> Self {
        FormRefDto {
            key: f.key.clone(),
            binding: f.binding.clone(),
            version: f.version,
        }
    }
}

/// `TaskDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaskDto {
    id: String,
    name: Option<String>,
    assignee: Option<String>,
    owner: Option<String>,
    created: String,
    last_updated: Option<String>,
    due: Option<String>,
    follow_up: Option<String>,
    delegation_state: Option<&'static str>,
    description: Option<String>,
    execution_id: String,
    parent_task_id: Option<String>,
    priority: i64,
    process_definition_id: String,
    process_instance_id: String,
    case_execution_id: Option<String>,
    case_definition_id: Option<String>,
    case_instance_id: Option<String>,
    task_definition_key: String,
    suspended: bool,
    form_key: Option<String>,
    camunda_form_ref: Option<FormRefDto>,
    tenant_id: Option<String>,
    task_state: &'static str,
}

impl From<&Task> for TaskDto {
    fn from(t: &Task) -> Self {
        TaskDto {
            id: t.id.clone(),
            name: t.name.clone(),
            assignee: t.assignee.clone(),
            owner: t.owner.clone(),
            created: date::format(t.created),
            last_updated: t.last_updated.map(date::format),
            due: t.due.map(date::format),
            follow_up: t.follow_up.map(date::format),
            delegation_state: t.delegation_state.map(|d| d.as_str()),
            description: t.description.clone(),
            execution_id: t.execution_id.clone(),
            parent_task_id: t.parent_task_id.clone(),
            priority: t.priority,
            process_definition_id: t.definition_id.clone(),
            process_instance_id: t.instance_id.clone(),
            case_execution_id: None,
            case_definition_id: None,
            case_instance_id: None,
            task_definition_key: t.task_definition_key.clone(),
            suspended: t.suspended,
            form_key: t.form_key.clone(),
            camunda_form_ref: t.form_ref.as_ref().map(FormRefDto::from),
            tenant_id: t.tenant_id.clone(),
            // Camunda's task state: `Created` until something changed the task.
            task_state: if t.last_updated.is_some() {
                "Updated"
            } else {
                "Created"
            },
        }
    }
}

/// `HistoricTaskInstanceDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoricTaskDto {
    id: String,
    process_definition_key: String,
    process_definition_id: String,
    process_instance_id: String,
    execution_id: String,
    case_definition_key: Option<String>,
    case_definition_id: Option<String>,
    case_instance_id: Option<String>,
    case_execution_id: Option<String>,
    activity_instance_id: String,
    name: Option<String>,
    description: Option<String>,
    delete_reason: Option<String>,
    owner: Option<String>,
    assignee: Option<String>,
    start_time: String,
    end_time: Option<String>,
    duration: Option<i64>,
    task_definition_key: String,
    priority: i64,
    due: Option<String>,
    parent_task_id: Option<String>,
    follow_up: Option<String>,
    tenant_id: Option<String>,
    removal_time: Option<String>,
    root_process_instance_id: String,
    task_state: String,
}

impl From<&HistoricTask> for HistoricTaskDto {
    fn from(h: &HistoricTask) -> Self {
        HistoricTaskDto {
            id: h.id.clone(),
            process_definition_key: h.definition_key.clone(),
            process_definition_id: h.definition_id.clone(),
            process_instance_id: h.instance_id.clone(),
            execution_id: h.execution_id.clone(),
            case_definition_key: None,
            case_definition_id: None,
            case_instance_id: None,
            case_execution_id: None,
            activity_instance_id: h.activity_instance_id.clone(),
            name: h.name.clone(),
            description: h.description.clone(),
            delete_reason: h.delete_reason.clone(),
            owner: h.owner.clone(),
            assignee: h.assignee.clone(),
            start_time: date::format(h.start_time),
            end_time: h.end_time.map(date::format),
            duration: h.duration,
            task_definition_key: h.task_definition_key.clone(),
            priority: h.priority,
            due: h.due.map(date::format),
            parent_task_id: h.parent_task_id.clone(),
            follow_up: h.follow_up.map(date::format),
            tenant_id: h.tenant_id.clone(),
            removal_time: None,
            root_process_instance_id: h.root_instance_id.clone(),
            task_state: h.state.clone(),
        }
    }
}

/// `IdentityLinkDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IdentityLinkDto {
    user_id: Option<String>,
    group_id: Option<String>,
    #[serde(rename = "type")]
    kind: String,
}

impl From<&IdentityLink> for IdentityLinkDto {
    fn from(l: &IdentityLink) -> Self {
        IdentityLinkDto {
            user_id: l.user_id.clone(),
            group_id: l.group_id.clone(),
            kind: l.kind.clone(),
        }
    }
}

/// `CommentDto`, with its `links` (only a created comment has one, `self`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CommentDto {
    links: Vec<Link>,
    id: String,
    user_id: Option<String>,
    task_id: Option<String>,
    process_instance_id: Option<String>,
    time: String,
    message: String,
    removal_time: Option<String>,
    root_process_instance_id: Option<String>,
}

impl CommentDto {
    /// The comment, with its `self` link when `href` is given.
    pub(crate) fn new(c: &Comment, href: Option<String>) -> Self {
        CommentDto {
            links: href.map(Link::this).into_iter().collect(),
            id: c.id.clone(),
            user_id: c.user_id.clone(),
            task_id: c.task_id.clone(),
            process_instance_id: c.instance_id.clone(),
            time: date::format(c.time),
            message: c.message.clone(),
            removal_time: None,
            root_process_instance_id: c.root_instance_id.clone(),
        }
    }
}
