//! `/history/task`: every task's history, open or ended (start, end, duration,
//! assignee, delete reason), filtered, sorted, paged and counted in the engine's
//! SQL.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::get;
use baton_engine::{HistoricTaskQuery, HistoricTaskSort};
use serde::Deserialize;
use serde_json::Value as Json;

use super::known;
use crate::AppState;
use crate::dto::CountDto;
use crate::error::{ApiError, ApiResult};
use crate::guard::Who;
use crate::json::{JsonOk, parse_body};
use crate::lenient;
use crate::params::Params;
use crate::task_dto::HistoricTaskDto;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/history/task", get(list_get).post(list_post))
        .route("/history/task/count", get(count_get).post(count_post))
}

/// The `sortBy` values Camunda takes; the case ones sort nothing in Baton, where
/// every task's case ids are null, which is the order Camunda gives them too.
const SORTS: &[&str] = &[
    "taskId",
    "activityInstanceId",
    "processDefinitionId",
    "processInstanceId",
    "executionId",
    "duration",
    "endTime",
    "startTime",
    "taskName",
    "taskDescription",
    "assignee",
    "owner",
    "dueDate",
    "followUpDate",
    "deleteReason",
    "taskDefinitionKey",
    "priority",
    "caseDefinitionId",
    "caseInstanceId",
    "caseExecutionId",
    "tenantId",
];

fn sort_key(by: &str, order: Option<&str>) -> ApiResult<Option<(HistoricTaskSort, bool)>> {
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
    Ok(HistoricTaskSort::parse(by).map(|s| (s, desc)))
}

/// A historic task query from the query string (`body` none) or a `POST` body
/// (with paging from the query string); `None` when its filters contradict each
/// other, so that nothing matches.
fn read_query(
    query: &Params,
    body: Option<&[u8]>,
    endpoint: &str,
    counting: bool,
) -> ApiResult<Option<HistoricTaskQuery>> {
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
        for name in ["firstResult", "maxResults", "sortBy", "sortOrder"] {
            p.str(name);
        }
    }
    let (first_result, max_results) = p.paging()?;
    let mut sort = Vec::new();
    if let Some((by, desc)) = p.sorting(SORTS)? {
        sort.extend(sort_key(&by, Some(if desc { "desc" } else { "asc" }))?);
    }
    if let Some(json) = &json {
        // Lists of objects, which `Params::from_json` leaves out: refused by name
        // rather than ignored.
        for name in ["processVariables", "taskVariables", "orQueries"] {
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
    }
    // `taskDefinitionKey` and `taskDefinitionKeyIn` must both hold.
    let mut keys = p.list("taskDefinitionKeyIn");
    if let Some(key) = p.str("taskDefinitionKey") {
        if !keys.is_empty() && !keys.contains(&key) {
            p.refuse_unsupported(endpoint, known::HISTORIC_TASK)?;
            return Ok(None);
        }
        keys = vec![key];
    }
    let q = HistoricTaskQuery {
        task_id: p.str("taskId"),
        instance_ids: p.str("processInstanceId").into_iter().collect(),
        execution_id: p.str("executionId"),
        activity_instance_ids: p.list("activityInstanceIdIn"),
        definition_id: p.str("processDefinitionId"),
        definition_keys: p.str("processDefinitionKey").into_iter().collect(),
        task_definition_keys: keys,
        name: p.str("taskName"),
        name_like: p.str("taskNameLike"),
        description: p.str("taskDescription"),
        description_like: p.str("taskDescriptionLike"),
        assignee: p.str("taskAssignee"),
        assignee_like: p.str("taskAssigneeLike"),
        owner: p.str("taskOwner"),
        delete_reason: p.str("taskDeleteReason"),
        involved_user: p.str("taskInvolvedUser"),
        finished: p.flag("finished")?,
        unfinished: p.flag("unfinished")?,
        assigned: p.flag("assigned")?,
        unassigned: p.flag("unassigned")?,
        priority: p.int("taskPriority")?,
        due_before: p.time("taskDueDateBefore")?,
        due_after: p.time("taskDueDateAfter")?,
        started_before: p.time("startedBefore")?,
        started_after: p.time("startedAfter")?,
        finished_before: p.time("finishedBefore")?,
        finished_after: p.time("finishedAfter")?,
        tenant_ids: p.list("tenantIdIn"),
        without_tenant_id: p.flag("withoutTenantId")?,
        sort,
        first_result,
        max_results,
        scope: None,
    };
    p.refuse_unsupported(endpoint, known::HISTORIC_TASK)?;
    Ok(Some(q))
}

async fn list(
    s: &AppState,
    q: Option<HistoricTaskQuery>,
) -> ApiResult<JsonOk<Vec<HistoricTaskDto>>> {
    let tasks = match q {
        Some(q) => s.engine.historic_tasks(q).await?,
        None => Vec::new(),
    };
    Ok(JsonOk(tasks.iter().map(HistoricTaskDto::from).collect()))
}

async fn count(s: &AppState, q: Option<HistoricTaskQuery>) -> ApiResult<JsonOk<CountDto>> {
    let count = match q {
        Some(q) => s.engine.historic_task_count(q).await?,
        None => 0,
    };
    Ok(JsonOk(count.into()))
}

async fn list_get(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<HistoricTaskDto>>> {
    let mut q = read_query(&p, None, "GET /history/task", false)?;
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
) -> ApiResult<JsonOk<Vec<HistoricTaskDto>>> {
    let mut q = read_query(&p, Some(&body), "POST /history/task", false)?;
    if let Some(q) = q.as_mut() {
        q.scope = who.scope(&s).await?;
    }
    list(&s, q).await
}

async fn count_get(who: Who, State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let mut q = read_query(&p, None, "GET /history/task/count", true)?;
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
    let mut q = read_query(
        &Params::default(),
        Some(&body),
        "POST /history/task/count",
        true,
    )?;
    if let Some(q) = q.as_mut() {
        q.scope = who.scope(&s).await?;
    }
    count(&s, q).await
}
