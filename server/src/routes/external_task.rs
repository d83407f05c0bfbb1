//! `/external-task`: fetch and lock (with long polling), the worker commands,
//! queries and updates.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use baton_engine::{
    ExternalTaskQuery, ExternalTaskSort, Failure, FetchAndLock, LockedTask, Sort, TopicRequest,
    Value,
};
use serde::Deserialize;
use serde_json::Value as Json;
use tokio::time::Instant;

use super::known;
use crate::AppState;
use crate::dto::{CountDto, ExternalTaskDto, LockedTaskDto};
use crate::error::{ApiError, ApiResult};
use crate::guard::{Op, Who};
use crate::json::{Body, JsonOk, NoContent, parse_body};
use crate::lenient;
use crate::params::Params;
use crate::vars::{VariablesIn, read_variables};
use baton_engine::authz::Target;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/external-task", get(list_get).post(list_post))
        .route("/external-task/count", get(count_get).post(count_post))
        .route("/external-task/fetchAndLock", post(fetch_and_lock))
        .route("/external-task/topic-names", get(topic_names))
        .route("/external-task/{id}", get(one))
        .route("/external-task/{id}/errorDetails", get(error_details))
        .route("/external-task/{id}/complete", post(complete))
        .route("/external-task/{id}/failure", post(failure))
        .route("/external-task/{id}/bpmnError", post(bpmn_error))
        .route("/external-task/{id}/extendLock", post(extend_lock))
        .route("/external-task/{id}/lock", post(lock))
        .route("/external-task/{id}/unlock", post(unlock))
        .route("/external-task/{id}/retries", put(retries))
        .route("/external-task/{id}/priority", put(priority))
}

/// Camunda's longest `asyncResponseTimeout`, in milliseconds.
const MAX_ASYNC_RESPONSE_TIMEOUT: i64 = 1_800_000;

/// How often a waiting long poll looks again with no wake-up and no lock expiring:
/// a safety net, as Camunda's own 30 s re-check is.
const RECHECK: Duration = Duration::from_secs(30);

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct FetchRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    worker_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    max_tasks: Option<i64>,
    #[serde(default, deserialize_with = "lenient::flag")]
    use_priority: bool,
    #[serde(default, deserialize_with = "lenient::long")]
    async_response_timeout: Option<i64>,
    sorting: Option<Vec<SortingDto>>,
    topics: Option<Vec<TopicDto>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SortingDto {
    #[serde(default, deserialize_with = "lenient::string")]
    sort_by: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    sort_order: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct TopicDto {
    #[serde(default, deserialize_with = "lenient::string")]
    topic_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::long")]
    lock_duration: Option<i64>,
    #[serde(default, deserialize_with = "lenient::strings")]
    variables: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::flag")]
    local_variables: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    deserialize_values: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    include_extension_properties: bool,
    #[serde(default, deserialize_with = "lenient::string")]
    business_key: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    process_definition_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    process_definition_id_in: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::string")]
    process_definition_key: Option<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    process_definition_key_in: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::string")]
    process_definition_version_tag: Option<String>,
    #[serde(default, deserialize_with = "lenient::flag")]
    without_tenant_id: bool,
    #[serde(default, deserialize_with = "lenient::strings")]
    tenant_id_in: Option<Vec<String>>,
    process_variables: Option<serde_json::Map<String, Json>>,
}

/// What the answer to a fetch needs per topic.
struct TopicAnswer {
    deserialize: bool,
    extension_properties: bool,
}

/// Reads a fetch request into the engine's, checking what Camunda checks.
fn read_fetch(
    req: FetchRequest,
) -> ApiResult<(FetchAndLock, BTreeMap<String, TopicAnswer>, Option<i64>)> {
    let worker_id = req
        .worker_id
        .filter(|w| !w.is_empty())
        .ok_or_else(|| ApiError::invalid("workerId is required"))?;
    let max_tasks = req.max_tasks.unwrap_or(0);
    let max_tasks = usize::try_from(max_tasks)
        .map_err(|_| ApiError::invalid(format!("maxTasks must not be negative: {max_tasks}")))?;
    // Camunda refuses only a timeout above its maximum; a negative one is already
    // over, so the request answers at once.
    if req
        .async_response_timeout
        .is_some_and(|t| t > MAX_ASYNC_RESPONSE_TIMEOUT)
    {
        return Err(ApiError::invalid(format!(
            "The asynchronous response timeout cannot be set to a value greater than {MAX_ASYNC_RESPONSE_TIMEOUT} milliseconds"
        )));
    }
    // Camunda's `SortMapper`: createTime is the one field, the order asc or desc
    // (or none, ascending).
    let mut newest_first = false;
    for s in req.sorting.iter().flatten() {
        if s.sort_by.as_deref() != Some("createTime") {
            return Err(ApiError::invalid(format!(
                "Cannot set query sortBy parameter to value {}",
                s.sort_by.as_deref().unwrap_or("null")
            )));
        }
        match s.sort_order.as_deref() {
            None | Some("asc") => newest_first = false,
            Some("desc") => newest_first = true,
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "Cannot set query sortOrder parameter to value {other}"
                )));
            }
        }
    }
    let mut answers = BTreeMap::new();
    let mut topics = Vec::new();
    for t in req.topics.unwrap_or_default() {
        let topic = t
            .topic_name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ApiError::invalid("topicName is required for every topic"))?;
        let lock_duration = t.lock_duration.unwrap_or(0);
        if lock_duration <= 0 {
            return Err(ApiError::invalid(format!(
                "lockDuration of topic '{topic}' must be positive, not {lock_duration}"
            )));
        }
        answers.insert(
            topic.clone(),
            TopicAnswer {
                deserialize: t.deserialize_values,
                extension_properties: t.include_extension_properties,
            },
        );
        topics.push(TopicRequest {
            topic,
            lock_duration,
            variables: t.variables,
            local_variables: t.local_variables,
            business_key: t.business_key,
            process_definition_id: t.process_definition_id,
            process_definition_ids: t.process_definition_id_in.unwrap_or_default(),
            process_definition_key: t.process_definition_key,
            process_definition_keys: t.process_definition_key_in.unwrap_or_default(),
            process_definition_version_tag: t.process_definition_version_tag,
            without_tenant_id: t.without_tenant_id,
            tenant_ids: t.tenant_id_in.unwrap_or_default(),
            process_variables: t
                .process_variables
                .unwrap_or_default()
                .iter()
                .map(|(k, v)| (k.clone(), Value::infer(v)))
                .collect(),
        });
    }
    let request = FetchAndLock {
        worker_id,
        max_tasks,
        use_priority: req.use_priority,
        newest_first,
        topics,
        scope: None,
    };
    Ok((request, answers, req.async_response_timeout))
}

/// `POST /external-task/fetchAndLock`. Without `asyncResponseTimeout` it answers at
/// once; with it, an empty result waits until a task may have become fetchable
/// (the engine signals every commit that creates or frees tasks), the timeout
/// passes (answering `[]`), or the server shuts down (answering `[]`).
async fn fetch_and_lock(
    who: Who,
    State(s): State<AppState>,
    Body(req): Body<FetchRequest>,
) -> ApiResult<Response> {
    let (mut request, answers, timeout) = read_fetch(req)?;
    request.scope = who.scope(&s).await?;
    // Subscribe before the first look, so no wake-up between look and wait is lost.
    let mut events = s.engine.task_events();
    events.borrow_and_update();
    let tasks = s.engine.fetch_and_lock(request.clone()).await?;
    let timeout = match timeout {
        Some(ms) if ms > 0 && tasks.is_empty() && request.max_tasks > 0 => ms,
        _ => return answer(&s, tasks, &answers).await,
    };
    let Ok(_permit) = s.polls.clone().try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ProcessEngineException",
            "Too many fetchAndLock requests are waiting; try again later",
        ));
    };
    let deadline = Instant::now() + Duration::from_millis(timeout.unsigned_abs());
    let mut shutdown = s.shutdown.clone();
    let topics: Vec<String> = request.topics.iter().map(|t| t.topic.clone()).collect();
    loop {
        if *shutdown.borrow_and_update() {
            return answer(&s, Vec::new(), &answers).await;
        }
        // A lock or retry timeout running out sends no wake-up: look again then.
        let expiry = s.engine.next_lock_expiration(&topics).await?.map(|at| {
            Duration::from_millis(at.saturating_sub(s.engine.now()).max(0).unsigned_abs())
        });
        let now = Instant::now();
        if now >= deadline {
            return answer(&s, Vec::new(), &answers).await;
        }
        let look_again = now + expiry.map_or(RECHECK, |e| e.min(RECHECK));
        tokio::select! {
            changed = events.changed() => {
                if changed.is_err() {
                    // The engine is gone.
                    return answer(&s, Vec::new(), &answers).await;
                }
            }
            _ = tokio::time::sleep_until(deadline.min(look_again)) => {}
            _ = shutdown.changed() => {}
        }
        let tasks = s.engine.fetch_and_lock(request.clone()).await?;
        if !tasks.is_empty() {
            return answer(&s, tasks, &answers).await;
        }
    }
}

/// The answer to a fetch: each task with its variables and extension properties.
async fn answer(
    s: &AppState,
    tasks: Vec<LockedTask>,
    answers: &BTreeMap<String, TopicAnswer>,
) -> ApiResult<Response> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in &tasks {
        let topic = answers.get(&t.task.topic);
        let properties = if topic.is_some_and(|a| a.extension_properties) {
            s.engine
                .extension_properties(&t.task.process_definition_id, &t.task.activity_id)
                .await?
                .into_iter()
                .collect()
        } else {
            BTreeMap::new()
        };
        out.push(LockedTaskDto::new(
            t,
            topic.is_some_and(|a| a.deserialize),
            properties,
        ));
    }
    Ok(JsonOk(out).into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CompleteRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    worker_id: Option<String>,
    variables: Option<VariablesIn>,
    local_variables: Option<VariablesIn>,
}

fn worker(w: Option<String>) -> ApiResult<String> {
    w.filter(|w| !w.is_empty())
        .ok_or_else(|| ApiError::invalid("workerId is required"))
}

async fn complete(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<CompleteRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::ExternalTask(&id), Op::UpdateInstance)
        .await?;
    let worker = worker(req.worker_id)?;
    let vars = read_variables(req.variables.as_ref())?;
    let local = read_variables(req.local_variables.as_ref())?;
    s.engine.complete(&id, &worker, vars, local).await?;
    Ok(NoContent)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct FailureRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    worker_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    error_message: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    error_details: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    retries: Option<i64>,
    #[serde(default, deserialize_with = "lenient::long")]
    retry_timeout: Option<i64>,
    variables: Option<VariablesIn>,
    local_variables: Option<VariablesIn>,
}

async fn failure(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<FailureRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::ExternalTask(&id), Op::UpdateInstance)
        .await?;
    let worker = worker(req.worker_id)?;
    // Camunda's checks (`HandleExternalTaskFailureCmd`), before the task is looked up.
    for (value, name) in [
        (req.retries, "retries"),
        (req.retry_timeout, "retryDuration"),
    ] {
        if value.is_some_and(|v| v < 0) {
            return Err(
                ApiError::invalid(format!("{name} is not greater than or equal to 0"))
                    .kind("ProcessEngineException")
                    .with_code(0),
            );
        }
    }
    let failure = Failure {
        error_message: req.error_message,
        error_details: req.error_details,
        retries: req.retries.unwrap_or(0),
        retry_timeout: req.retry_timeout.unwrap_or(0),
        variables: read_variables(req.variables.as_ref())?,
        local_variables: read_variables(req.local_variables.as_ref())?,
    };
    s.engine.handle_failure(&id, &worker, failure).await?;
    Ok(NoContent)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct BpmnErrorRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    worker_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    error_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    error_message: Option<String>,
    variables: Option<VariablesIn>,
}

async fn bpmn_error(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<BpmnErrorRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::ExternalTask(&id), Op::UpdateInstance)
        .await?;
    let worker = worker(req.worker_id)?;
    let code = req
        .error_code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::invalid("errorCode is required"))?;
    let vars = read_variables(req.variables.as_ref())?;
    s.engine
        .handle_bpmn_error(&id, &worker, &code, req.error_message.as_deref(), vars)
        .await?;
    Ok(NoContent)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ExtendLockRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    worker_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::long")]
    new_duration: Option<i64>,
}

async fn extend_lock(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<ExtendLockRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::ExternalTask(&id), Op::UpdateInstance)
        .await?;
    let new_duration = req.new_duration.unwrap_or(0);
    if new_duration <= 0 {
        // Camunda's `ExtendLockOnExternalTaskCmd` checks it first.
        return Err(not_positive("lockTime"));
    }
    let worker = worker(req.worker_id)?;
    s.engine.extend_lock(&id, &worker, new_duration).await?;
    Ok(NoContent)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LockRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    worker_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::long")]
    lock_duration: Option<i64>,
}

async fn lock(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<LockRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::ExternalTask(&id), Op::UpdateInstance)
        .await?;
    let worker = worker(req.worker_id)?;
    let lock_duration = req.lock_duration.unwrap_or(0);
    if lock_duration <= 0 {
        return Err(not_positive("lockDuration"));
    }
    s.engine.lock(&id, &worker, lock_duration).await?;
    Ok(NoContent)
}

/// The engine's `BadUserRequestException` for a duration that must be positive, as
/// Camunda's REST layer wraps it: a 400 `RestException` with code 0.
fn not_positive(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "RestException",
        format!("{name} is not greater than 0"),
    )
    .with_code(0)
}

async fn unlock(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::ExternalTask(&id), Op::UpdateInstance)
        .await?;
    s.engine.unlock(&id).await?;
    Ok(NoContent)
}

async fn retries(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<super::RetriesRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::ExternalTask(&id), Op::UpdateInstance)
        .await?;
    let retries = req.retries()?;
    if retries < 0 {
        // `SetExternalTaskRetriesCmd`'s BadUserRequestException, which Camunda's
        // resource does not wrap.
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BadUserRequestException",
            "The number of retries cannot be negative: retries is not greater than or equal to 0",
        )
        .with_code(0));
    }
    s.engine.set_retries(&id, retries).await?;
    Ok(NoContent)
}

#[derive(Debug, Deserialize, Default)]
struct PriorityRequest {
    #[serde(default, deserialize_with = "lenient::long")]
    priority: Option<i64>,
}

async fn priority(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<PriorityRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::ExternalTask(&id), Op::UpdateInstance)
        .await?;
    let priority = req
        .priority
        .ok_or_else(|| ApiError::invalid("The priority cannot be null."))?;
    s.engine.set_priority(&id, priority).await?;
    Ok(NoContent)
}

async fn one(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<ExternalTaskDto>> {
    who.may(&s, Target::ExternalTask(&id), Op::ReadInstance)
        .await?;
    // Camunda queries for the task itself: its 404 has no code.
    let (task, _) = s.engine.external_task(&id).await.map_err(|e| match e {
        baton_engine::Error::NotFound(m) => ApiError::rest_not_found(m),
        other => other.into(),
    })?;
    Ok(JsonOk((&task).into()))
}

/// The last failure's details as text, or 204 when there are none.
async fn error_details(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    who.may(&s, Target::ExternalTask(&id), Op::ReadInstance)
        .await?;
    let (_, details) = s.engine.external_task(&id).await?;
    Ok(match details {
        Some(d) => ([(header::CONTENT_TYPE, "text/plain")], d).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// `GET /external-task/topic-names`: the topics of all tasks, or of those locked,
/// not locked, or with retries left (JAX-RS flags: only `true` turns one on).
async fn topic_names(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<String>>> {
    let locked = p.jaxrs_flag("withLockedTasks", false);
    let not_locked = p.jaxrs_flag("withUnlockedTasks", false);
    let with_retries_left = p.jaxrs_flag("withRetriesLeft", false);
    if !(locked || not_locked || with_retries_left || who.checks()) {
        return Ok(JsonOk(s.engine.topic_names().await?));
    }
    let q = ExternalTaskQuery {
        locked,
        not_locked,
        with_retries_left,
        scope: who.scope(&s).await?,
        ..ExternalTaskQuery::default()
    };
    Ok(JsonOk(s.engine.external_task_topics(q).await?))
}

const SORTS: &[&str] = &[
    "id",
    "lockExpirationTime",
    "processInstanceId",
    "processDefinitionId",
    "processDefinitionKey",
    "tenantId",
    "taskPriority",
    "createTime",
];

/// The query a list or count names: every filter, the sort and the page (a count
/// checks the sort and the page too, and ignores them).
fn query(p: &Params) -> ApiResult<ExternalTaskQuery> {
    let sort = p.sorting(SORTS)?.map(|(by, descending)| Sort {
        by: match by.as_str() {
            "id" => ExternalTaskSort::Id,
            "lockExpirationTime" => ExternalTaskSort::LockExpirationTime,
            "processInstanceId" => ExternalTaskSort::ProcessInstanceId,
            "processDefinitionId" => ExternalTaskSort::ProcessDefinitionId,
            "processDefinitionKey" => ExternalTaskSort::ProcessDefinitionKey,
            "tenantId" => ExternalTaskSort::TenantId,
            "taskPriority" => ExternalTaskSort::Priority,
            _ => ExternalTaskSort::CreateTime,
        },
        descending,
    });
    let (first_result, max_results) = p.paging()?;
    Ok(ExternalTaskQuery {
        id: p.str("externalTaskId"),
        ids: p.list("externalTaskIdIn"),
        topic: p.str("topicName"),
        worker_id: p.str("workerId"),
        locked: p.flag("locked")?,
        not_locked: p.flag("notLocked")?,
        with_retries_left: p.flag("withRetriesLeft")?,
        no_retries_left: p.flag("noRetriesLeft")?,
        process_instance_id: p.str("processInstanceId"),
        process_instance_ids: p.list("processInstanceIdIn"),
        process_definition_id: p.str("processDefinitionId"),
        process_definition_key: p.str("processDefinitionKey"),
        activity_id: p.str("activityId"),
        execution_id: p.str("executionId"),
        priority_higher_than_or_equals: p.long("priorityHigherThanOrEquals")?,
        priority_lower_than_or_equals: p.long("priorityLowerThanOrEquals")?,
        tenant_ids: p.list("tenantIdIn"),
        activity_ids: p.list("activityIdIn"),
        suspended: p.bool("suspended")?,
        active: p.bool("active")?,
        sort,
        first_result,
        max_results,
        scope: None,
    })
}

async fn list_get(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<ExternalTaskDto>>> {
    let q = ExternalTaskQuery {
        scope: who.scope(&s).await?,
        ..query(&p)?
    };
    p.refuse_unsupported("GET /external-task", known::EXTERNAL_TASK)?;
    let tasks = s.engine.external_tasks(q).await?;
    Ok(JsonOk(tasks.iter().map(ExternalTaskDto::from).collect()))
}

/// `POST /external-task`: the filters in the body, paging in the query string.
async fn list_post(
    who: Who,
    State(s): State<AppState>,
    paging: Params,
    body: axum::body::Bytes,
) -> ApiResult<JsonOk<Vec<ExternalTaskDto>>> {
    let p = merged(&body, &paging)?;
    let q = ExternalTaskQuery {
        scope: who.scope(&s).await?,
        ..query(&p)?
    };
    p.refuse_unsupported("POST /external-task", known::EXTERNAL_TASK)?;
    let tasks = s.engine.external_tasks(q).await?;
    Ok(JsonOk(tasks.iter().map(ExternalTaskDto::from).collect()))
}

async fn count_get(who: Who, State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let q = ExternalTaskQuery {
        scope: who.scope(&s).await?,
        ..query(&p)?
    };
    p.refuse_unsupported("GET /external-task/count", known::EXTERNAL_TASK)?;
    let count = s.engine.count_external_tasks(q).await?;
    Ok(JsonOk(CountDto { count }))
}

async fn count_post(
    who: Who,
    State(s): State<AppState>,
    body: axum::body::Bytes,
) -> ApiResult<JsonOk<CountDto>> {
    let p = merged(&body, &Params::default())?;
    let q = ExternalTaskQuery {
        scope: who.scope(&s).await?,
        ..query(&p)?
    };
    p.refuse_unsupported("POST /external-task/count", known::EXTERNAL_TASK)?;
    let count = s.engine.count_external_tasks(q).await?;
    Ok(JsonOk(CountDto { count }))
}

/// The filters of a JSON query body, with `firstResult` / `maxResults` from the
/// query string (where Camunda takes them for POST queries).
pub(crate) fn merged(body: &[u8], query: &Params) -> ApiResult<Params> {
    let json: Json = parse_body(body)?;
    let mut p = Params::from_json(&json)?;
    p.take_paging(query);
    // A POST body sorts with `sorting: [{sortBy, sortOrder}]`.
    if let Some(first) = json
        .get("sorting")
        .and_then(Json::as_array)
        .and_then(|s| s.first())
    {
        p.set_sorting(first);
    }
    Ok(p)
}
