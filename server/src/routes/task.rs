//! `/task`: the task list (filters, orders, pages and counts, all in the engine's
//! SQL), one task, the commands people give (claim, unclaim, assignee, delegate,
//! resolve, complete, update, BPMN error and escalation), its form reference,
//! identity links, comments and variables.
//!
//! Errors carry Camunda's exception type and message. Where Camunda answers 500
//! for a client's mistake (someone else holds the task, an unknown task in a
//! command, a query combining filters it refuses), Baton answers 400, or 404 for
//! an unknown task, with Camunda's type and message.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use baton_engine::{DelegationState, Error, IdentityLink, TaskQuery, TaskSort, TaskUpdate, Value};
use serde::Deserialize;
use serde_json::Value as Json;

use super::form::{FormDto, deployed_form_response, form_variables_out, rendered_form_response};
use super::instance::Modifications;
use super::{filters, known};
use crate::AppState;
use crate::dto::CountDto;
use crate::error::{ApiError, ApiResult};
use crate::guard::{Op, Who};
use crate::json::{Body, JsonOk, NoContent, parse_body};
use crate::lenient;
use crate::params::Params;
use crate::task_dto::{CommentDto, IdentityLinkDto, TaskDto};
use crate::vars::{
    VariableIn, VariableOut, VariablesIn, data_response, read_variables, variables_out,
};
use baton_engine::authz::Target;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/task", get(list_get).post(list_post))
        .route("/task/count", get(count_get).post(count_post))
        .route("/task/{id}", get(one).put(update))
        .route("/task/{id}/claim", post(claim))
        .route("/task/{id}/unclaim", post(unclaim))
        .route("/task/{id}/assignee", post(assignee))
        .route("/task/{id}/delegate", post(delegate))
        .route("/task/{id}/resolve", post(resolve))
        .route("/task/{id}/complete", post(complete))
        .route("/task/{id}/bpmnError", post(bpmn_error))
        .route("/task/{id}/bpmnEscalation", post(bpmn_escalation))
        .route("/task/{id}/form", get(form))
        .route("/task/{id}/form-variables", get(form_variables))
        .route("/task/{id}/submit-form", post(submit_form))
        .route("/task/{id}/deployed-form", get(deployed_form))
        .route("/task/{id}/rendered-form", get(rendered_form))
        .route(
            "/task/{id}/identity-links",
            get(identity_links).post(add_identity_link),
        )
        .route(
            "/task/{id}/identity-links/delete",
            post(delete_identity_link),
        )
        .route("/task/{id}/comment", get(comments))
        .route("/task/{id}/comment/create", post(create_comment))
        .route("/task/{id}/comment/{comment}", get(comment))
        .route(
            "/task/{id}/variables",
            get(|w, s, id, p| variables(w, s, id, p, false))
                .post(|w, s, id, b| modify_variables(w, s, id, b, false)),
        )
        .route(
            "/task/{id}/variables/{name}",
            get(|w, s, path, p| variable(w, s, path, p, false))
                .put(|w, s, path, b| put_variable(w, s, path, b, false))
                .delete(|w, s, path| delete_variable(w, s, path, false)),
        )
        .route(
            "/task/{id}/variables/{name}/data",
            get(|w, s, path| variable_data(w, s, path, false)),
        )
        .route(
            "/task/{id}/localVariables",
            get(|w, s, id, p| variables(w, s, id, p, true))
                .post(|w, s, id, b| modify_variables(w, s, id, b, true)),
        )
        .route(
            "/task/{id}/localVariables/{name}",
            get(|w, s, path, p| variable(w, s, path, p, true))
                .put(|w, s, path, b| put_variable(w, s, path, b, true))
                .delete(|w, s, path| delete_variable(w, s, path, true)),
        )
        .route(
            "/task/{id}/localVariables/{name}/data",
            get(|w, s, path| variable_data(w, s, path, true)),
        )
}

// ---------------------------------------------------------------------------
// Errors

/// An error of Camunda's engine (`code` 0) with any status and type.
fn engine_error(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, kind, message).with_code(0)
}

/// The commands' message for an unknown task.
fn no_task(id: &str) -> String {
    format!("Cannot find task with id {id}: task is null")
}

/// Camunda's `NullValueException` for an unknown task (a 500 there, a 404 here).
fn null_value(id: &str) -> ApiError {
    engine_error(StatusCode::NOT_FOUND, "NullValueException", no_task(id))
}

/// Camunda's 404 for a task `GET /task/{id}` does not find.
fn no_matching(id: &str) -> ApiError {
    ApiError::not_found(format!("No matching task with id {id}"))
}

/// Maps an engine error: an unknown task to `missing`, a refusal to `refused`.
fn mapped(
    e: Error,
    missing: impl FnOnce() -> ApiError,
    refused: impl FnOnce(String) -> ApiError,
) -> ApiError {
    match e {
        Error::NotFound(_) => missing(),
        Error::Invalid(m) => refused(m),
        other => other.into(),
    }
}

/// Camunda's "Invalid query usage" (a `ProcessEngineException`, 500 there).
fn usage(message: impl Into<String>) -> ApiError {
    engine_error(
        StatusCode::BAD_REQUEST,
        "ProcessEngineException",
        format!("Invalid query usage: {}", message.into()),
    )
}

// ---------------------------------------------------------------------------
// The task list

/// The `sortBy` values Camunda takes; the case ones sort nothing in Baton, where
/// every task's case ids are null, which is the order Camunda gives them too.
const SORTS: &[&str] = &[
    "instanceId",
    "caseInstanceId",
    "dueDate",
    "followUpDate",
    "executionId",
    "caseExecutionId",
    "assignee",
    "created",
    "lastUpdated",
    "description",
    "id",
    "name",
    "nameCaseInsensitive",
    "priority",
    "tenantId",
];

/// The variable sorts of a `POST` body's `sorting`, which Baton does not support.
const VARIABLE_SORTS: &[&str] = &[
    "processVariable",
    "executionVariable",
    "taskVariable",
    "caseInstanceVariable",
    "caseExecutionVariable",
];

/// A single filter and its list form, as one list: both must hold at the top of a
/// query (their intersection; `None` when it is empty, so nothing matches), either
/// in an `or` query (their union), as Camunda's `TaskQueryImpl` combines them.
fn one_and_list(p: &Params, one: &str, list: &str, or: bool) -> Option<Vec<String>> {
    let many = p.list(list);
    match p.str(one) {
        None => Some(many),
        Some(single) if many.is_empty() => Some(vec![single]),
        Some(single) if or => {
            let mut all = many;
            if !all.contains(&single) {
                all.push(single);
            }
            Some(all)
        }
        Some(single) => many.contains(&single).then(|| vec![single]),
    }
}

/// `delegationState`, read as Camunda's converter reads it (any case).
fn delegation_state(p: &Params) -> ApiResult<Option<DelegationState>> {
    p.str("delegationState")
        .map(|v| {
            DelegationState::parse(&v.to_uppercase()).map_err(|_| {
                ApiError::invalid(format!(
                    "Cannot set query parameter 'delegationState' to value '{v}': Valid values \
                     for property 'delegationState' are 'PENDING' or 'RESOLVED', but was '{v}'"
                ))
            })
        })
        .transpose()
}

/// The filters of a task query (the top one unless `or`); `None` when they
/// contradict each other, so that no task matches.
fn read_filters(p: &Params, or: bool) -> ApiResult<Option<TaskQuery>> {
    let lists = [
        one_and_list(p, "taskId", "taskIdIn", or),
        one_and_list(p, "processInstanceId", "processInstanceIdIn", or),
        one_and_list(
            p,
            "processInstanceBusinessKey",
            "processInstanceBusinessKeyIn",
            or,
        ),
        one_and_list(p, "processDefinitionKey", "processDefinitionKeyIn", or),
        one_and_list(p, "taskDefinitionKey", "taskDefinitionKeyIn", or),
        one_and_list(p, "assignee", "assigneeIn", or),
        one_and_list(p, "candidateGroup", "candidateGroups", or),
    ];
    let candidate_user = p.str("candidateUser");
    let candidate_group_like = p.str("candidateGroupLike");
    let with = [
        ("withCandidateGroups", p.flag("withCandidateGroups")?),
        ("withoutCandidateGroups", p.flag("withoutCandidateGroups")?),
        ("withCandidateUsers", p.flag("withCandidateUsers")?),
        ("withoutCandidateUsers", p.flag("withoutCandidateUsers")?),
    ];
    let include_assigned = p.flag("includeAssignedTasks")?;
    let tenant_ids = p.list("tenantIdIn");
    let without_tenant_id = p.flag("withoutTenantId")?;
    let without_due_date = p.flag("withoutDueDate")?;
    let (due, due_before, due_after) = (
        p.time("dueDate")?,
        p.time("dueBefore")?,
        p.time("dueAfter")?,
    );
    // What Camunda's query refuses.
    if or {
        if let Some((name, _)) = with.iter().find(|(_, on)| *on) {
            return Err(usage(format!("cannot set {name}() within 'or' query")));
        }
    } else {
        let groups_given =
            p.str("candidateGroup").is_some() || !p.list("candidateGroups").is_empty();
        if candidate_user.is_some() && groups_given {
            return Err(usage("cannot set both candidateUser and candidateGroup"));
        }
        if candidate_user.is_some() && candidate_group_like.is_some() {
            return Err(usage(
                "cannot set both candidateGroupLike and candidateUser",
            ));
        }
        if !tenant_ids.is_empty() && without_tenant_id {
            return Err(usage(
                "cannot set both tenantIdIn and withoutTenantId filters.",
            ));
        }
        if without_due_date && (due.is_some() || due_before.is_some() || due_after.is_some()) {
            return Err(usage(
                "cannot set both due date (equal to, before, or after) and withoutDueDate filters.",
            ));
        }
    }
    let [
        Some(task_ids),
        Some(instance_ids),
        Some(business_keys),
        Some(definition_keys),
        Some(task_definition_keys),
        Some(assignees),
        Some(candidate_groups),
    ] = lists
    else {
        return Ok(None);
    };
    let candidate_filter = candidate_user.is_some()
        || !candidate_groups.is_empty()
        || candidate_group_like.is_some()
        || with.iter().any(|(_, on)| *on);
    if include_assigned && !candidate_filter {
        return Err(usage(
            "candidateUser, candidateGroup, candidateGroupLike, candidateGroupIn, \
             withCandidateGroups, withoutCandidateGroups, withCandidateUsers, \
             withoutCandidateUsers has to be called before 'includeAssignedTasks'.",
        ));
    }
    let suspended = if p.flag("suspended")? {
        Some(true)
    } else if p.flag("active")? {
        Some(false)
    } else {
        None
    };
    Ok(Some(TaskQuery {
        task_ids,
        instance_ids,
        business_keys,
        business_key_like: p.str("processInstanceBusinessKeyLike"),
        definition_id: p.str("processDefinitionId"),
        definition_keys,
        definition_name: p.str("processDefinitionName"),
        execution_id: p.str("executionId"),
        activity_instance_ids: p.list("activityInstanceIdIn"),
        task_definition_keys,
        task_definition_key_like: p.str("taskDefinitionKeyLike"),
        name: p.str("name"),
        name_not_equal: p.str("nameNotEqual"),
        name_like: p.str("nameLike"),
        name_not_like: p.str("nameNotLike"),
        description: p.str("description"),
        description_like: p.str("descriptionLike"),
        assignees,
        assignee_not_in: p.list("assigneeNotIn"),
        assignee_like: p.str("assigneeLike"),
        owner: p.str("owner"),
        candidate_user,
        candidate_user_groups: Vec::new(),
        candidate_groups,
        candidate_group_like,
        include_assigned,
        involved_user: p.str("involvedUser"),
        assigned: p.flag("assigned")?,
        unassigned: p.flag("unassigned")?,
        with_candidate_groups: with[0].1,
        without_candidate_groups: with[1].1,
        with_candidate_users: with[2].1,
        without_candidate_users: with[3].1,
        delegation_state: delegation_state(p)?,
        due,
        due_before,
        due_after,
        without_due_date,
        follow_up: p.time("followUpDate")?,
        follow_up_before: p.time("followUpBefore")?,
        follow_up_before_or_not_existent: p.time("followUpBeforeOrNotExistent")?,
        follow_up_after: p.time("followUpAfter")?,
        created: p.time("createdOn")?,
        created_before: p.time("createdBefore")?,
        created_after: p.time("createdAfter")?,
        updated_after: p.time("updatedAfter")?,
        priority: p.int("priority")?,
        min_priority: p.int("minPriority")?,
        max_priority: p.int("maxPriority")?,
        suspended,
        tenant_ids,
        without_tenant_id,
        parent_task_id: p.str("parentTaskId"),
        ..TaskQuery::default()
    }))
}

/// One sort key, checked as Camunda checks it.
fn sort_key(by: &str, order: Option<&str>) -> ApiResult<Option<(TaskSort, bool)>> {
    if VARIABLE_SORTS.contains(&by) {
        return Err(ApiError::invalid(format!(
            "Baton does not support sorting tasks by '{by}'"
        )));
    }
    if !SORTS.contains(&by) {
        return Err(ApiError::invalid(format!(
            "Cannot set query parameter 'sortBy' to value '{by}'"
        )));
    }
    let desc = match order {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "Cannot set query parameter 'sortOrder' to value '{other}'"
            )));
        }
    };
    Ok(TaskSort::parse(by).map(|s| (s, desc)))
}

/// Body fields that are lists of objects, which [`Params::from_json`] leaves out,
/// and which Baton does not support yet: refused by name rather than ignored.
fn refuse_body_filters(json: &Json, endpoint: &str) -> ApiResult<()> {
    for name in ["caseInstanceVariables"] {
        if json
            .get(name)
            .and_then(Json::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            return Err(ApiError::invalid(format!(
                "Baton does not support the query parameter '{name}' of {endpoint}"
            )));
        }
    }
    Ok(())
}

/// A task query from the query string (`body` none) or a `POST` body (with
/// paging from the query string); `None` when nothing can match.
fn read_query(
    query: &Params,
    body: Option<&[u8]>,
    endpoint: &str,
    counting: bool,
) -> ApiResult<Option<TaskQuery>> {
    let json: Option<Json> = body.map(parse_body).transpose()?;
    let own;
    let p = match &json {
        Some(json) => {
            let mut read = Params::from_json(json)?;
            read.take_paging(query);
            own = read;
            &own
        }
        None => query,
    };
    if counting {
        // Paging and order are the list's, and ignored here.
        for name in ["firstResult", "maxResults", "sortBy", "sortOrder"] {
            p.str(name);
        }
    }
    let (first_result, max_results) = p.paging()?;
    let mut sort = Vec::new();
    if let Some((by, desc)) = p.sorting(SORTS)? {
        sort.extend(sort_key(&by, Some(if desc { "desc" } else { "asc" }))?);
    }
    let mut or = Vec::new();
    if let Some(json) = &json {
        refuse_body_filters(json, endpoint)?;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Sorting {
            #[serde(default, deserialize_with = "lenient::string")]
            sort_by: Option<String>,
            #[serde(default, deserialize_with = "lenient::string")]
            sort_order: Option<String>,
        }
        if let Some(list) = json.get("sorting").filter(|s| !s.is_null()) {
            let list: Vec<Sorting> = serde_json::from_value(list.clone())
                .map_err(|e| ApiError::invalid(format!("Cannot read the sorting: {e}")))?;
            for s in list {
                let by = s.sort_by.ok_or_else(|| {
                    ApiError::invalid(
                        "Only a single sorting parameter specified. sortBy and sortOrder required",
                    )
                })?;
                sort.extend(sort_key(&by, s.sort_order.as_deref())?);
            }
        }
        for entry in json
            .get("orQueries")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let op = Params::from_json(entry)?;
            refuse_body_filters(entry, endpoint)?;
            if entry.get("orQueries").is_some_and(|o| !o.is_null()) {
                return Err(usage("cannot set or() within 'or' query"));
            }
            if entry.get("sorting").is_some_and(|o| !o.is_null())
                || op.str("sortBy").is_some()
                || op.str("sortOrder").is_some()
            {
                return Err(usage("cannot set orderBy within 'or' query"));
            }
            // An `or` query's filters never contradict: they are a union.
            if let Some(mut q) = read_filters(&op, true)? {
                q.process_variables = filters::from_json(entry, "processVariables")?;
                q.task_variables = filters::from_json(entry, "taskVariables")?;
                or.push(q);
            }
            op.refuse_unsupported(&format!("{endpoint} (orQueries)"), known::TASK)?;
        }
    }
    let (process_variables, task_variables) = match &json {
        Some(json) => (
            filters::from_json(json, "processVariables")?,
            filters::from_json(json, "taskVariables")?,
        ),
        None => (
            filters::from_query(query, "processVariables")?,
            filters::from_query(query, "taskVariables")?,
        ),
    };
    let Some(q) = read_filters(p, false)? else {
        p.refuse_unsupported(endpoint, known::TASK)?;
        return Ok(None);
    };
    p.refuse_unsupported(endpoint, known::TASK)?;
    Ok(Some(TaskQuery {
        process_variables,
        task_variables,
        or,
        sort,
        first_result,
        max_results,
        ..q
    }))
}

/// Fills in the groups of each `candidateUser` from the identity store, so that
/// a user's candidacy through a group counts, as in Camunda.
async fn with_groups(s: &AppState, q: &mut TaskQuery) -> ApiResult<()> {
    async fn fill(s: &AppState, q: &mut TaskQuery) -> ApiResult<()> {
        if let Some(user) = &q.candidate_user {
            q.candidate_user_groups = s.engine.groups_of(user).await?;
        }
        Ok(())
    }
    fill(s, q).await?;
    for or in &mut q.or {
        fill(s, or).await?;
    }
    Ok(())
}

async fn list(s: &AppState, q: Option<TaskQuery>) -> ApiResult<JsonOk<Vec<TaskDto>>> {
    let tasks = match q {
        Some(mut q) => {
            with_groups(s, &mut q).await?;
            s.engine.tasks(q).await?
        }
        None => Vec::new(),
    };
    Ok(JsonOk(tasks.iter().map(TaskDto::from).collect()))
}

async fn count(s: &AppState, q: Option<TaskQuery>) -> ApiResult<JsonOk<CountDto>> {
    let count = match q {
        Some(mut q) => {
            with_groups(s, &mut q).await?;
            s.engine.task_count(q).await?
        }
        None => 0,
    };
    Ok(JsonOk(count.into()))
}

async fn list_get(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<TaskDto>>> {
    let mut q = read_query(&p, None, "GET /task", false)?;
    if let Some(q) = q.as_mut() {
        q.scope = who.scope(&s).await?;
    }
    list(&s, q).await
}

async fn list_post(
    who: Who,
    State(s): State<AppState>,
    p: Params,
    body: Bytes,
) -> ApiResult<JsonOk<Vec<TaskDto>>> {
    let mut q = read_query(&p, Some(&body), "POST /task", false)?;
    if let Some(q) = q.as_mut() {
        q.scope = who.scope(&s).await?;
    }
    list(&s, q).await
}

async fn count_get(who: Who, State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let mut q = read_query(&p, None, "GET /task/count", true)?;
    if let Some(q) = q.as_mut() {
        q.scope = who.scope(&s).await?;
    }
    count(&s, q).await
}

async fn count_post(
    who: Who,
    State(s): State<AppState>,
    body: Bytes,
) -> ApiResult<JsonOk<CountDto>> {
    let mut q = read_query(&Params::default(), Some(&body), "POST /task/count", true)?;
    if let Some(q) = q.as_mut() {
        q.scope = who.scope(&s).await?;
    }
    count(&s, q).await
}

// ---------------------------------------------------------------------------
// One task and its commands

async fn one(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<TaskDto>> {
    who.may(&s, Target::Task(&id), Op::ReadTask).await?;
    let task = s
        .engine
        .task(&id)
        .await
        .map_err(|e| mapped(e, || no_matching(&id), ApiError::invalid))?;
    Ok(JsonOk(TaskDto::from(&task)))
}

/// `UserIdDto`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct UserId {
    #[serde(default, deserialize_with = "lenient::string")]
    user_id: Option<String>,
}

/// Claims for `userId`; a null user unclaims, as Camunda's `ClaimTaskCmd` does.
async fn claim(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<UserId>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::AssignTask).await?;
    let done = match &req.user_id {
        Some(user) => s.engine.claim_task(&id, user).await,
        None => s.engine.unclaim_task(&id).await,
    };
    done.map_err(|e| {
        mapped(
            e,
            || null_value(&id),
            |m| engine_error(StatusCode::BAD_REQUEST, "TaskAlreadyClaimedException", m),
        )
    })?;
    Ok(NoContent)
}

/// Camunda's `NotFoundException` for an unknown task in `setAssignee`, which it
/// answers with a 400.
fn not_found_400(id: &str) -> ApiError {
    engine_error(StatusCode::BAD_REQUEST, "NotFoundException", no_task(id))
}

async fn unclaim(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::AssignTask).await?;
    s.engine
        .unclaim_task(&id)
        .await
        .map_err(|e| mapped(e, || not_found_400(&id), bad_user_request))?;
    Ok(NoContent)
}

/// Camunda's `BadUserRequestException`, as its REST layer passes it on.
fn bad_user_request(message: String) -> ApiError {
    engine_error(StatusCode::BAD_REQUEST, "BadUserRequestException", message)
}

async fn assignee(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<UserId>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::AssignTask).await?;
    s.engine
        .set_task_assignee(&id, req.user_id.as_deref())
        .await
        .map_err(|e| mapped(e, || not_found_400(&id), bad_user_request))?;
    Ok(NoContent)
}

async fn delegate(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<UserId>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::AssignTask).await?;
    let user = req
        .user_id
        .ok_or_else(|| ApiError::invalid("userId is required to delegate a task"))?;
    s.engine
        .delegate_task(&id, &user)
        .await
        .map_err(|e| mapped(e, || null_value(&id), bad_user_request))?;
    Ok(NoContent)
}

/// `CompleteTaskDto`, for resolve and complete.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CompleteRequest {
    variables: Option<VariablesIn>,
    #[serde(default, deserialize_with = "lenient::flag")]
    with_variables_in_return: bool,
}

async fn resolve(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<CompleteRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::WorkTask).await?;
    let vars = read_variables(req.variables.as_ref())
        .map_err(|e| e.prefixed(&format!("Cannot resolve task {id}: ")))?;
    s.engine
        .resolve_task(&id, vars)
        .await
        .map_err(|e| mapped(e, || null_value(&id), bad_user_request))?;
    Ok(NoContent)
}

async fn complete(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<CompleteRequest>,
) -> ApiResult<Response> {
    who.may(&s, Target::Task(&id), Op::WorkTask).await?;
    let prefix = format!("Cannot complete task {id}: ");
    let vars = read_variables(req.variables.as_ref()).map_err(|e| e.prefixed(&prefix))?;
    let map = |e: Error| {
        mapped(
            e,
            || {
                engine_error(
                    StatusCode::NOT_FOUND,
                    "RestException",
                    format!("{prefix}{}", no_task(&id)),
                )
            },
            |m| {
                engine_error(
                    StatusCode::BAD_REQUEST,
                    "RestException",
                    format!("{prefix}{m}"),
                )
            },
        )
    };
    if req.with_variables_in_return {
        let seen = s
            .engine
            .complete_task_returning(&id, vars)
            .await
            .map_err(map)?;
        // Camunda answers them serialized (`preferSerializedValue`).
        return Ok(JsonOk(variables_out(&seen, false)).into_response());
    }
    s.engine.complete_task(&id, vars).await.map_err(map)?;
    Ok(NoContent.into_response())
}

/// The body of `PUT /task/{id}`: a `TaskDto`, of which Camunda writes these.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct UpdateRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    priority: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    assignee: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    owner: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    delegation_state: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    due: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    follow_up: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    parent_task_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    case_instance_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    tenant_id: Option<String>,
}

/// A date of a request body, read leniently; a 400 naming the field otherwise.
fn body_date(name: &str, value: Option<&str>) -> ApiResult<Option<i64>> {
    value
        .map(|v| {
            baton_engine::date::parse(v).map_err(|_| {
                ApiError::invalid(format!(
                    "Cannot read the request body: '{v}' of property '{name}' is not a date"
                ))
            })
        })
        .transpose()
}

/// `PUT /task/{id}`: a full overwrite, as Camunda's (a field left out is cleared,
/// the priority 0).
async fn update(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<UpdateRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::UpdateTask).await?;
    s.engine
        .task(&id)
        .await
        .map_err(|e| mapped(e, || no_matching(&id), ApiError::invalid))?;
    let delegation_state = req
        .delegation_state
        .as_deref()
        .map(|v| {
            DelegationState::parse(&v.to_uppercase()).map_err(|_| {
                ApiError::invalid(format!(
                    "Valid values for property 'delegationState' are 'PENDING' or 'RESOLVED', but was '{v}'"
                ))
            })
        })
        .transpose()?;
    if let Some(case) = &req.case_instance_id {
        return Err(ApiError::invalid(format!(
            "Baton runs no CMMN: a task cannot belong to case instance '{case}'"
        )));
    }
    let update = TaskUpdate {
        name: req.name,
        description: req.description,
        priority: req.priority.unwrap_or(0),
        assignee: req.assignee,
        owner: req.owner,
        delegation_state,
        due: body_date("due", req.due.as_deref())?,
        follow_up: body_date("followUp", req.follow_up.as_deref())?,
        parent_task_id: req.parent_task_id,
        tenant_id: req.tenant_id,
    };
    s.engine.update_task(&id, update).await.map_err(|e| {
        mapped(
            e,
            || no_matching(&id),
            |m| engine_error(StatusCode::BAD_REQUEST, "ProcessEngineException", m),
        )
    })?;
    Ok(NoContent)
}

/// `TaskBpmnErrorDto` and `TaskEscalationDto`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ThrowRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    error_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    error_message: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    escalation_code: Option<String>,
    variables: Option<VariablesIn>,
}

/// Camunda's `RestException` around its engine's error, with the engine's message.
fn rest(status: StatusCode, message: impl Into<String>) -> ApiError {
    engine_error(status, "RestException", message)
}

/// The code a throw needs, or Camunda's 400 (`errorCode is empty`), which it
/// checks before it looks for the task.
fn code(value: Option<String>, name: &str) -> ApiResult<String> {
    value
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| rest(StatusCode::BAD_REQUEST, format!("{name} is empty")))
}

async fn bpmn_error(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<ThrowRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::WorkTask).await?;
    let code = code(req.error_code, "errorCode")?;
    let vars = read_variables(req.variables.as_ref())?;
    s.engine
        .task_bpmn_error(&id, &code, req.error_message.as_deref(), vars)
        .await
        .map_err(|e| {
            mapped(
                e,
                || rest(StatusCode::NOT_FOUND, no_task(&id)),
                |m| rest(StatusCode::BAD_REQUEST, m),
            )
        })?;
    Ok(NoContent)
}

async fn bpmn_escalation(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<ThrowRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::WorkTask).await?;
    let code = code(req.escalation_code, "escalationCode")?;
    let vars = read_variables(req.variables.as_ref())?;
    s.engine
        .task_bpmn_escalation(&id, &code, vars)
        .await
        .map_err(|e| {
            mapped(
                e,
                || rest(StatusCode::NOT_FOUND, no_task(&id)),
                |m| rest(StatusCode::BAD_REQUEST, m),
            )
        })?;
    Ok(NoContent)
}

/// `GET /task/{id}/form`: the form key (Camunda's generated key for a form of
/// generated fields only) or Camunda Form reference.
async fn form(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<FormDto>> {
    who.may(&s, Target::Task(&id), Op::ReadTask).await?;
    let form = s.engine.task_form(&id).await.map_err(|e| {
        mapped(
            e,
            || {
                rest(
                    StatusCode::BAD_REQUEST,
                    format!("Cannot get form for task {id}"),
                )
            },
            ApiError::invalid,
        )
    })?;
    Ok(JsonOk(FormDto::task(&id, &form.form)))
}

/// `GET /task/{id}/form-variables?variableNames=a,b`: the generated fields' typed
/// values, then the other variables the task sees.
async fn form_variables(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<JsonOk<serde_json::Map<String, Json>>> {
    who.may(&s, Target::Task(&id), Op::ReadTask).await?;
    let names: Option<Vec<String>> = p
        .str("variableNames")
        .map(|n| n.split(',').map(str::to_owned).collect());
    // Objects are answered in their serialized form either way.
    p.jaxrs_flag("deserializeValues", true);
    let variables = s
        .engine
        .task_form_variables(&id, names.as_deref())
        .await
        .map_err(|e| {
            mapped(
                e,
                // Camunda answers an unknown task with a 400 here (its documentation
                // says 404).
                || {
                    ApiError::new(StatusCode::BAD_REQUEST, "NullValueException", no_task(&id))
                        .with_code(0)
                },
                ApiError::invalid,
            )
        })?;
    Ok(JsonOk(form_variables_out(variables)))
}

/// The body of `POST /task/{id}/submit-form`.
#[derive(Debug, Deserialize, Default)]
struct SubmitRequest {
    variables: Option<VariablesIn>,
}

/// `POST /task/{id}/submit-form`: the generated fields are checked and converted,
/// then the task is resolved when it is delegated and pending, else completed.
async fn submit_form(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<SubmitRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::WorkTask).await?;
    let variables = read_variables(req.variables.as_ref())?;
    s.engine
        .submit_task_form(&id, variables)
        .await
        .map_err(|e| {
            mapped(
                e,
                || {
                    ApiError::rest_not_found(format!(
                        "Cannot submit task form {id}: {}",
                        no_task(&id)
                    ))
                    .with_code(0)
                },
                |m| ApiError::invalid(m).with_code(0),
            )
        })?;
    Ok(NoContent)
}

/// `GET /task/{id}/deployed-form`: the task's deployed form, a Camunda Form as
/// `application/json`, an embedded form as `application/xhtml+xml`.
async fn deployed_form(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    who.may(&s, Target::Task(&id), Op::ReadTask).await?;
    deployed_form_response(s.engine.deployed_task_form(&id).await)
}

/// `GET /task/{id}/rendered-form`: the task's generated form (`camunda:formData`)
/// as HTML in Camunda's markup, or Camunda's 404 when it has no form fields.
async fn rendered_form(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    who.may(&s, Target::Task(&id), Op::ReadTask).await?;
    let html = s
        .engine
        .rendered_task_form(&id)
        .await
        .map_err(|e| mapped(e, || ApiError::not_found(no_task(&id)), ApiError::invalid))?;
    rendered_form_response(html, || {
        format!("No matching rendered form for task with the id {id} found.")
    })
}

// ---------------------------------------------------------------------------
// Identity links and comments

async fn identity_links(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> ApiResult<JsonOk<Vec<IdentityLinkDto>>> {
    who.may(&s, Target::Task(&id), Op::ReadTask).await?;
    let kind = p.str("type");
    let links = s
        .engine
        .task_identity_links(&id, kind.as_deref())
        .await
        .map_err(|e| mapped(e, || null_value(&id), ApiError::invalid))?;
    Ok(JsonOk(links.iter().map(IdentityLinkDto::from).collect()))
}

/// `IdentityLinkDto` as a request body.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LinkRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    user_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    group_id: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient::string")]
    kind: Option<String>,
}

impl LinkRequest {
    /// The link, checked as Camunda's `IdentityLinkDto.validate` checks it.
    fn link(self) -> ApiResult<IdentityLink> {
        if self.user_id.is_some() && self.group_id.is_some() {
            return Err(ApiError::invalid(
                "Identity Link requires userId or groupId, but not both.",
            ));
        }
        if self.user_id.is_none() && self.group_id.is_none() {
            return Err(ApiError::invalid(
                "Identity Link requires userId or groupId.",
            ));
        }
        let kind = self.kind.ok_or_else(|| {
            ApiError::invalid("Identity Link requires a type: candidate, assignee or owner.")
        })?;
        Ok(IdentityLink {
            user_id: self.user_id,
            group_id: self.group_id,
            kind,
        })
    }
}

async fn add_identity_link(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<LinkRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::AssignTask).await?;
    let link = req.link()?;
    s.engine
        .add_task_identity_link(&id, link)
        .await
        .map_err(|e| mapped(e, || null_value(&id), bad_user_request))?;
    Ok(NoContent)
}

async fn delete_identity_link(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<LinkRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::AssignTask).await?;
    let link = req.link()?;
    s.engine
        .delete_task_identity_link(&id, link)
        .await
        .map_err(|e| mapped(e, || null_value(&id), bad_user_request))?;
    Ok(NoContent)
}

/// Whether task `id` exists, open or in history (comments outlive their task).
async fn task_known(s: &AppState, id: &str) -> ApiResult<bool> {
    match s.engine.task(id).await {
        Ok(_) => return Ok(true),
        Err(Error::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let q = baton_engine::HistoricTaskQuery {
        task_id: Some(id.to_owned()),
        ..baton_engine::HistoricTaskQuery::default()
    };
    Ok(s.engine.historic_task_count(q).await? > 0)
}

async fn comments(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<Vec<CommentDto>>> {
    who.may(&s, Target::Task(&id), Op::ReadTask).await?;
    if !task_known(&s, &id).await? {
        return Err(ApiError::not_found(format!(
            "No task found for task id {id}"
        )));
    }
    let comments = s.engine.task_comments(&id).await?;
    Ok(JsonOk(
        comments.iter().map(|c| CommentDto::new(c, None)).collect(),
    ))
}

async fn comment(
    who: Who,
    State(s): State<AppState>,
    Path((id, comment)): Path<(String, String)>,
) -> ApiResult<JsonOk<CommentDto>> {
    who.may(&s, Target::Task(&id), Op::ReadTask).await?;
    s.engine
        .task_comments(&id)
        .await?
        .iter()
        .find(|c| c.id == comment)
        .map(|c| JsonOk(CommentDto::new(c, None)))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Task comment with id {comment} does not exist for task id '{id}'."
            ))
        })
}

/// `CommentDto` as a request body: only its message is read.
#[derive(Debug, Deserialize, Default)]
struct CommentRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    message: Option<String>,
}

async fn create_comment(
    who: Who,
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(req): Body<CommentRequest>,
) -> ApiResult<JsonOk<CommentDto>> {
    who.may(&s, Target::Task(&id), Op::WorkTask).await?;
    let message = req.message.unwrap_or_default();
    let created = s
        .engine
        .add_task_comment(&id, None, &message)
        .await
        .map_err(|e| {
            mapped(
                e,
                || ApiError::invalid(format!("No task found for task id {id}")),
                |_| ApiError::invalid("Not enough parameters submitted").with_code(0),
            )
        })?;
    let href = format!(
        "{}/task/{id}/comment/{}",
        super::base_url(&s, &headers),
        created.id
    );
    Ok(JsonOk(CommentDto::new(&created, Some(href))))
}

// ---------------------------------------------------------------------------
// Variables: `variables` (what the task sees, written through the scopes) and
// `localVariables` (the task's own)

/// Camunda's message for an unknown task in its variable resources.
fn no_task_variables(id: &str) -> String {
    format!("task {id} doesn't exist: task is null")
}

/// The variables of task `id` (`local`: its own), by name.
async fn task_vars(s: &AppState, id: &str, local: bool) -> Result<Vec<(String, Value)>, Error> {
    let vars = if local {
        s.engine.task_local_variables(id).await?
    } else {
        s.engine.task_variables(id).await?
    };
    Ok(vars.into_iter().map(|v| (v.name, v.value)).collect())
}

async fn variables(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
    local: bool,
) -> ApiResult<JsonOk<BTreeMap<String, VariableOut>>> {
    who.may(&s, Target::Task(&id), Op::ReadTask).await?;
    let deserialize = p.jaxrs_flag("deserializeValues", true);
    let vars = task_vars(&s, &id, local).await.map_err(|e| {
        mapped(
            e,
            || {
                engine_error(
                    StatusCode::NOT_FOUND,
                    "NullValueException",
                    no_task_variables(&id),
                )
            },
            ApiError::invalid,
        )
    })?;
    Ok(JsonOk(variables_out(&vars, deserialize)))
}

/// Variable `name` of task `id`, or the 404 Camunda answers.
async fn find_variable(s: &AppState, id: &str, name: &str, local: bool) -> ApiResult<Value> {
    let vars = task_vars(s, id, local).await.map_err(|e| {
        mapped(
            e,
            || {
                rest(
                    StatusCode::NOT_FOUND,
                    format!("Cannot get task variable {name}: {}", no_task_variables(id)),
                )
            },
            ApiError::invalid,
        )
    })?;
    vars.into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .ok_or_else(|| {
            ApiError::not_found(format!("task variable with name {name} does not exist"))
        })
}

async fn variable(
    who: Who,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    p: Params,
    local: bool,
) -> ApiResult<JsonOk<VariableOut>> {
    who.may(&s, Target::Task(&id), Op::ReadTask).await?;
    let deserialize = p.jaxrs_flag("deserializeValue", true);
    let v = find_variable(&s, &id, &name, local).await?;
    Ok(JsonOk(VariableOut::new(&v, deserialize)))
}

async fn variable_data(
    who: Who,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    local: bool,
) -> ApiResult<Response> {
    who.may(&s, Target::Task(&id), Op::ReadTask).await?;
    let value = find_variable(&s, &id, &name, local).await?;
    data_response(&name, value)
}

/// Sets and removes variables of task `id`, with Camunda's errors after `prefix`.
async fn modify(
    s: &AppState,
    id: &str,
    local: bool,
    set: Vec<(String, Value)>,
    remove: Vec<String>,
    prefix: &str,
) -> ApiResult<NoContent> {
    s.engine
        .modify_task_variables(id, local, set, remove)
        .await
        .map_err(|e| {
            mapped(
                e,
                || rest(StatusCode::NOT_FOUND, format!("{prefix}{}", no_task(id))),
                |m| rest(StatusCode::BAD_REQUEST, format!("{prefix}{m}")),
            )
        })?;
    Ok(NoContent)
}

async fn modify_variables(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<Modifications>,
    local: bool,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::UpdateTask).await?;
    let set = read_variables(req.modifications.as_ref())
        .map_err(|e| e.prefixed("Cannot modify variables for task: "))?;
    let prefix = format!("Cannot modify variables for task {id}: ");
    modify(
        &s,
        &id,
        local,
        set,
        req.deletions.unwrap_or_default(),
        &prefix,
    )
    .await
}

async fn put_variable(
    who: Who,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    Body(v): Body<VariableIn>,
    local: bool,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::UpdateTask).await?;
    let prefix = format!("Cannot put task variable {name}: ");
    let value = v.to_value(&name).map_err(|e| e.prefixed(&prefix))?;
    modify(&s, &id, local, vec![(name, value)], Vec::new(), &prefix).await
}

async fn delete_variable(
    who: Who,
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    local: bool,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Task(&id), Op::UpdateTask).await?;
    let prefix = format!("Cannot delete task variable {name}: ");
    modify(&s, &id, local, Vec::new(), vec![name], &prefix).await
}
