//! `/job` (timers waiting to fire) and Baton's own `/baton/clock`.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use baton_engine::{Job, JobQuery, JobSort, Sort, date};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::known;
use crate::AppState;
use crate::dto::CountDto;
use crate::error::{ApiError, ApiResult};
use crate::guard::{Op, Who};
use crate::json::{Body, JsonOk, NoContent};
use crate::params::Params;
use baton_engine::authz::{ALL, Resource, Target};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/job", get(list))
        .route("/job/count", get(count))
        .route("/job/{id}", get(one))
        .route("/job/{id}/retries", put(retries))
        .route("/job/{id}/duedate", put(due_date))
        .route("/job/{id}/execute", post(execute))
        .route("/job/{id}/stacktrace", get(stacktrace))
        .route("/baton/clock", get(clock).post(move_clock))
}

/// `JobDto`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct JobDto {
    id: String,
    job_definition_id: Option<String>,
    due_date: String,
    process_instance_id: Option<String>,
    execution_id: Option<String>,
    process_definition_id: String,
    process_definition_key: String,
    exception_message: Option<String>,
    failed_activity_id: Option<String>,
    retries: i64,
    suspended: bool,
    priority: i64,
    tenant_id: Option<String>,
    create_time: String,
    batch_id: Option<String>,
}

impl From<&Job> for JobDto {
    fn from(j: &Job) -> Self {
        JobDto {
            id: j.id.clone(),
            job_definition_id: Some(j.job_definition_id.clone()),
            due_date: date::format(j.due_date),
            process_instance_id: j.process_instance_id.clone(),
            execution_id: j.execution_id.clone(),
            process_definition_id: j.process_definition_id.clone(),
            process_definition_key: j.process_definition_key.clone(),
            exception_message: j.exception_message.clone(),
            failed_activity_id: j.exception_message.as_ref().map(|_| j.activity_id.clone()),
            retries: j.retries,
            suspended: j.suspended,
            priority: j.priority,
            tenant_id: j.tenant_id.clone(),
            create_time: date::format(j.create_time),
            batch_id: None,
        }
    }
}

/// The jobs a list or count names. Every job Baton has is a timer, so `timers=true`
/// keeps them all and `messages=true` (async continuations) none.
fn query(p: &Params) -> ApiResult<JobQuery> {
    let q = JobQuery {
        id: p.str("jobId"),
        process_instance_id: p.str("processInstanceId"),
        process_definition_id: p.str("processDefinitionId"),
        process_definition_key: p.str("processDefinitionKey"),
        activity_id: p.str("activityId"),
        with_retries_left: p.flag("withRetriesLeft")?,
        no_retries_left: p.flag("noRetriesLeft")?,
        executable: p.flag("executable")?,
        ids: p.list("jobIds"),
        process_instance_ids: p.list("processInstanceIds"),
        execution_id: p.str("executionId"),
        messages: p.flag("messages")?,
        ..JobQuery::default()
    };
    p.flag("timers")?;
    Ok(JobQuery {
        suspended: p.flag("suspended")?,
        active: p.flag("active")?,
        with_exception: p.flag("withException")?,
        exception_message: p.str("exceptionMessage"),
        job_definition_id: p.str("jobDefinitionId"),
        tenant_ids: p.list("tenantIdIn"),
        without_tenant_id: p.flag("withoutTenantId")?,
        ..q
    })
}

async fn list(who: Who, State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<Vec<JobDto>>> {
    let sort = p
        .sorting(&["jobId", "jobDueDate", "jobRetries", "processInstanceId"])?
        .map(|(by, descending)| Sort {
            by: match by.as_str() {
                "jobId" => JobSort::Id,
                "jobRetries" => JobSort::Retries,
                "processInstanceId" => JobSort::ProcessInstanceId,
                _ => JobSort::DueDate,
            },
            descending,
        });
    let (first_result, max_results) = p.paging()?;
    let q = JobQuery {
        sort,
        first_result,
        max_results,
        scope: who.scope(&s).await?,
        ..query(&p)?
    };
    p.refuse_unsupported("GET /job", known::JOB)?;
    let page = s.engine.jobs(q).await?;
    Ok(JsonOk(page.iter().map(JobDto::from).collect()))
}

async fn count(who: Who, State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let q = JobQuery {
        scope: who.scope(&s).await?,
        ..query(&p)?
    };
    p.refuse_unsupported("GET /job/count", known::JOB)?;
    let count = s.engine.count_jobs(q).await?;
    Ok(JsonOk(CountDto { count }))
}

async fn one(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<JobDto>> {
    who.may(&s, Target::Job(&id), Op::ReadInstance).await?;
    let q = JobQuery {
        id: Some(id.clone()),
        ..JobQuery::default()
    };
    let jobs = s.engine.jobs(q).await?;
    let job = jobs
        .first()
        .ok_or_else(|| ApiError::not_found(format!("Job with id {id} does not exist")))?;
    Ok(JsonOk(job.into()))
}

/// `GET /job/{id}/stacktrace`: why the job last failed, as text. Baton runs no
/// Java, so the "stack trace" is the failure's message; a job that never failed
/// answers 204.
async fn stacktrace(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    who.may(&s, Target::Job(&id), Op::ReadInstance).await?;
    let q = JobQuery {
        id: Some(id.clone()),
        ..JobQuery::default()
    };
    let jobs = s.engine.jobs(q).await?;
    let job = jobs
        .first()
        .ok_or_else(|| ApiError::not_found(format!("Job with id {id} does not exist")))?;
    Ok(match &job.exception_message {
        Some(message) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            message.clone(),
        )
            .into_response(),
        None => axum::http::StatusCode::NO_CONTENT.into_response(),
    })
}

async fn retries(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<super::RetriesRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Job(&id), Op::UpdateInstance).await?;
    s.engine.set_job_retries(&id, req.retries()?).await?;
    Ok(NoContent)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DueDateRequest {
    /// A `Date` in Camunda's DTO: Jackson reads a date string or, as a number,
    /// milliseconds since the epoch.
    #[serde(default)]
    duedate: Json,
}

async fn due_date(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<DueDateRequest>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Job(&id), Op::UpdateInstance).await?;
    let due = match &req.duedate {
        Json::Null => s.engine.now(),
        Json::String(text) if matches!(text.trim(), "" | "null") => s.engine.now(),
        Json::String(text) => date::parse(text.trim())
            .map_err(|e| ApiError::invalid(format!("Cannot read duedate '{text}': {e}")))?,
        Json::Number(n) => n.as_i64().ok_or_else(|| {
            ApiError::invalid(format!(
                "Cannot read duedate {n}: give a date or milliseconds since the epoch"
            ))
        })?,
        other => {
            return Err(ApiError::invalid(format!(
                "Cannot read duedate {other}: give a date or milliseconds since the epoch"
            )));
        }
    };
    s.engine.set_job_due_date(&id, due).await?;
    Ok(NoContent)
}

async fn execute(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<NoContent> {
    who.may(&s, Target::Job(&id), Op::UpdateInstance).await?;
    match s.engine.execute_job(&id).await {
        Ok(()) => Ok(NoContent),
        // Camunda rewraps the engine's exception without its cause: no code.
        Err(baton_engine::Error::NotFound(_)) => Err(ApiError::not_found(format!(
            "ENGINE-14026 No job found with id '{id}'"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The clock's reading, and whether it is a manual clock tests can move.
async fn clock(State(s): State<AppState>) -> JsonOk<Json> {
    JsonOk(json!({
        "time": date::format(s.engine.now()),
        "manual": s.manual_clock.is_some(),
    }))
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ClockRequest {
    /// An absolute time.
    time: Option<String>,
    /// An offset: milliseconds, or an ISO 8601 duration such as `P3D`.
    offset: Option<Json>,
}

/// Moves a manual clock (to `time`, or by `offset`), then fires every job now due
/// before answering. A Baton extension outside Camunda's API.
async fn move_clock(
    who: Who,
    State(s): State<AppState>,
    Body(req): Body<ClockRequest>,
) -> ApiResult<JsonOk<Json>> {
    who.need(&s, Resource::System, ALL, None).await?;
    let Some(clock) = s.manual_clock.clone() else {
        return Err(ApiError::invalid(
            "The clock is the system clock; start Baton with --clock manual to move it",
        ));
    };
    match (req.time, req.offset) {
        (Some(time), None) => {
            let at = date::parse(&time)
                .map_err(|e| ApiError::invalid(format!("Cannot read time '{time}': {e}")))?;
            clock.set(at);
        }
        (None, Some(offset)) => {
            let ms = match &offset {
                Json::Number(n) => n.as_i64(),
                Json::String(text) => date::parse_duration(text).ok(),
                _ => None,
            }
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "Cannot read offset {offset}: give milliseconds or an ISO 8601 duration such as PT1H"
                ))
            })?;
            clock.advance(ms);
        }
        _ => {
            return Err(ApiError::invalid(
                "Give exactly one of 'time' (a date) and 'offset' (milliseconds or a duration)",
            ));
        }
    }
    let fired = s.engine.run_due_jobs().await?;
    Ok(JsonOk(json!({
        "time": date::format(s.engine.now()),
        "manual": true,
        "firedJobs": fired,
    })))
}
