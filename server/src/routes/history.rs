//! `/history`: process instances, activity instances and variables, also after
//! their instances ended.

use std::collections::HashSet;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::get;
use baton_engine::{
    HistoricActivityInstance, HistoricInstanceQuery, HistoricProcessInstance, HistoricVariable,
};

use super::deployment::like;
use super::external_task::merged;
use super::{Tenants, known};
use crate::AppState;
use crate::dto::{CountDto, HistoricActivityDto, HistoricInstanceDto, HistoricVariableDto};
use crate::error::{ApiError, ApiResult};
use crate::json::JsonOk;
use crate::params::Params;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/history/process-instance",
            get(instances_get).post(instances_post),
        )
        .route(
            "/history/process-instance/count",
            get(instance_count_get).post(instance_count_post),
        )
        .route("/history/process-instance/{id}", get(instance))
        .route("/history/activity-instance", get(activities))
        .route("/history/activity-instance/count", get(activity_count))
        .route("/history/variable-instance", get(variables))
        .route("/history/variable-instance/count", get(variable_count))
}

const INSTANCE_SORTS: &[&str] = &[
    "instanceId",
    "definitionId",
    "definitionKey",
    "definitionName",
    "definitionVersion",
    "businessKey",
    "startTime",
    "endTime",
    "duration",
    "tenantId",
];

async fn instance_query(s: &AppState, p: &Params) -> ApiResult<Vec<HistoricProcessInstance>> {
    let q = HistoricInstanceQuery {
        id: p.str("processInstanceId"),
        business_key: p.str("processInstanceBusinessKey"),
        definition_key: p.str("processDefinitionKey"),
        definition_id: p.str("processDefinitionId"),
        finished: p.flag("finished")?,
        unfinished: p.flag("unfinished")?,
        super_instance_id: p.str("superProcessInstanceId"),
        ..HistoricInstanceQuery::default()
    };
    let ids = p.set("processInstanceIds");
    let not_ids = p.set("processInstanceIdNotIn");
    let keys = p.set("processDefinitionKeyIn");
    let not_keys = p.set("processDefinitionKeyNotIn");
    let business_keys = p.set("processInstanceBusinessKeyIn");
    let business_like = p.str("processInstanceBusinessKeyLike");
    let root = p.str("rootProcessInstanceId");
    let roots_only = p.flag("rootProcessInstances")?;
    let window = TimeWindow::read(p)?;
    let tenants = Tenants::read(p)?;
    let states: Vec<String> = [
        "active",
        "completed",
        "externallyTerminated",
        "internallyTerminated",
    ]
    .iter()
    .filter(|flag| p.flag(flag).unwrap_or(false))
    .map(|flag| match *flag {
        "externallyTerminated" => "EXTERNALLY_TERMINATED".to_owned(),
        "internallyTerminated" => "INTERNALLY_TERMINATED".to_owned(),
        other => other.to_uppercase(),
    })
    .collect();
    for flag in [
        "active",
        "completed",
        "externallyTerminated",
        "internallyTerminated",
    ] {
        p.flag(flag)?;
    }
    Ok(s.engine
        .historic_instances(q)
        .await?
        .into_iter()
        .filter(|h| {
            (ids.is_empty() || ids.contains(&h.id))
                && !not_ids.contains(&h.id)
                && (keys.is_empty() || keys.contains(&h.process_definition_key))
                && !not_keys.contains(&h.process_definition_key)
                && (business_keys.is_empty()
                    || h.business_key
                        .as_ref()
                        .is_some_and(|b| business_keys.contains(b)))
                && business_like
                    .as_deref()
                    .is_none_or(|l| h.business_key.as_deref().is_some_and(|b| like(b, l)))
                && root
                    .as_deref()
                    .is_none_or(|r| h.root_process_instance_id == r)
                && (!roots_only || h.super_process_instance_id.is_none())
                && (states.is_empty() || states.contains(&h.state))
                && window.admits(h.start_time, h.end_time)
                && tenants.admits(h.tenant_id.as_ref())
        })
        .collect())
}

/// `startedBefore`, `startedAfter`, `finishedBefore`, `finishedAfter`: Camunda's
/// bounds are inclusive; an unfinished entry never matches a `finished…` bound.
struct TimeWindow {
    started_before: Option<i64>,
    started_after: Option<i64>,
    finished_before: Option<i64>,
    finished_after: Option<i64>,
}

impl TimeWindow {
    fn read(p: &Params) -> ApiResult<TimeWindow> {
        Ok(TimeWindow {
            started_before: p.time("startedBefore")?,
            started_after: p.time("startedAfter")?,
            finished_before: p.time("finishedBefore")?,
            finished_after: p.time("finishedAfter")?,
        })
    }

    fn admits(&self, start: i64, end: Option<i64>) -> bool {
        let finished = |bound: Option<i64>, ok: fn(i64, i64) -> bool| {
            bound.is_none_or(|b| end.is_some_and(|e| ok(e, b)))
        };
        self.started_before.is_none_or(|b| start <= b)
            && self.started_after.is_none_or(|b| start >= b)
            && finished(self.finished_before, |e, b| e <= b)
            && finished(self.finished_after, |e, b| e >= b)
    }
}

fn instance_page(
    all: Vec<HistoricProcessInstance>,
    p: &Params,
) -> ApiResult<Vec<HistoricInstanceDto>> {
    let page = super::sort_and_page(
        all,
        p.sorting(INSTANCE_SORTS)?,
        |by, h| match by {
            "instanceId" => (h.id.clone(), 0),
            "definitionId" => (h.process_definition_id.clone(), 0),
            "definitionKey" => (h.process_definition_key.clone(), 0),
            "definitionName" => (h.process_definition_name.clone().unwrap_or_default(), 0),
            "definitionVersion" => (String::new(), h.process_definition_version),
            "businessKey" => (h.business_key.clone().unwrap_or_default(), 0),
            "endTime" => (String::new(), h.end_time.unwrap_or(i64::MAX)),
            "duration" => (
                String::new(),
                h.end_time.map_or(i64::MAX, |e| e - h.start_time),
            ),
            "tenantId" => (h.tenant_id.clone().unwrap_or_default(), 0),
            _ => (String::new(), h.start_time),
        },
        p.paging()?,
    );
    Ok(page.iter().map(HistoricInstanceDto::from).collect())
}

async fn instances_get(
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<HistoricInstanceDto>>> {
    let all = instance_query(&s, &p).await?;
    let page = instance_page(all, &p)?;
    p.refuse_unsupported("GET /history/process-instance", known::HISTORIC_INSTANCE)?;
    Ok(JsonOk(page))
}

async fn instances_post(
    State(s): State<AppState>,
    query: Params,
    body: Bytes,
) -> ApiResult<JsonOk<Vec<HistoricInstanceDto>>> {
    let p = merged(&body, &query)?;
    let all = instance_query(&s, &p).await?;
    let page = instance_page(all, &p)?;
    p.refuse_unsupported("POST /history/process-instance", known::HISTORIC_INSTANCE)?;
    Ok(JsonOk(page))
}

async fn instance_count_get(State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let count = instance_query(&s, &p).await?.len();
    p.refuse_unsupported(
        "GET /history/process-instance/count",
        known::HISTORIC_INSTANCE,
    )?;
    Ok(JsonOk(CountDto { count }))
}

async fn instance_count_post(
    State(s): State<AppState>,
    body: Bytes,
) -> ApiResult<JsonOk<CountDto>> {
    let p = merged(&body, &Params::default())?.counting();
    let count = instance_query(&s, &p).await?.len();
    p.refuse_unsupported(
        "POST /history/process-instance/count",
        known::HISTORIC_INSTANCE,
    )?;
    Ok(JsonOk(CountDto { count }))
}

async fn instance(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<HistoricInstanceDto>> {
    let q = HistoricInstanceQuery {
        id: Some(id.clone()),
        ..HistoricInstanceQuery::default()
    };
    let found = s.engine.historic_instances(q).await?;
    let h = found.first().ok_or_else(|| {
        ApiError::not_found(format!(
            "Historic process instance with id {id} does not exist"
        ))
    })?;
    Ok(JsonOk(h.into()))
}

/// The process instances a history query about activities or variables covers.
async fn instance_ids(s: &AppState, p: &Params) -> ApiResult<Vec<String>> {
    let mut ids = p.list("processInstanceIdIn");
    if let Some(id) = p.str("processInstanceId") {
        ids.push(id);
    }
    let definition_id = p.str("processDefinitionId");
    let definition_key = p.str("processDefinitionKey");
    if !ids.is_empty() && definition_id.is_none() && definition_key.is_none() {
        return Ok(ids);
    }
    let q = HistoricInstanceQuery {
        definition_id,
        definition_key,
        ..HistoricInstanceQuery::default()
    };
    let ids: HashSet<String> = ids.into_iter().collect();
    Ok(s.engine
        .historic_instances(q)
        .await?
        .into_iter()
        .map(|h| h.id)
        .filter(|id| ids.is_empty() || ids.contains(id))
        .collect())
}

const ACTIVITY_SORTS: &[&str] = &[
    "activityInstanceId",
    "instanceId",
    "executionId",
    "activityId",
    "activityName",
    "activityType",
    "startTime",
    "endTime",
    "duration",
    "definitionId",
    "occurrence",
    "tenantId",
];

async fn activity_query(s: &AppState, p: &Params) -> ApiResult<Vec<HistoricActivityInstance>> {
    let activity = p.str("activityId");
    let activity_instance = p.str("activityInstanceId");
    let name = p.str("activityName");
    let name_like = p.str("activityNameLike");
    let kind = p.str("activityType");
    let execution = p.str("executionId");
    let window = TimeWindow::read(p)?;
    let tenants = Tenants::read(p)?;
    let finished = p.flag("finished")?;
    let unfinished = p.flag("unfinished")?;
    let canceled = p.flag("canceled")?;
    let complete_scope = p.flag("completeScope")?;
    let mut out = Vec::new();
    for id in instance_ids(s, p).await? {
        out.extend(
            s.engine
                .historic_activities(&id)
                .await?
                .into_iter()
                .filter(|a| {
                    activity.as_deref().is_none_or(|x| a.activity_id == x)
                        && activity_instance.as_deref().is_none_or(|x| a.id == x)
                        && name
                            .as_deref()
                            .is_none_or(|x| a.activity_name.as_deref() == Some(x))
                        && name_like
                            .as_deref()
                            .is_none_or(|l| a.activity_name.as_deref().is_some_and(|n| like(n, l)))
                        && window.admits(a.start_time, a.end_time)
                        && tenants.admits(a.tenant_id.as_ref())
                        && kind.as_deref().is_none_or(|x| a.activity_type == x)
                        && execution.as_deref().is_none_or(|x| a.execution_id == x)
                        && (!finished || a.end_time.is_some())
                        && (!unfinished || a.end_time.is_none())
                        && (!canceled || a.canceled)
                        && (!complete_scope || a.complete_scope)
                }),
        );
    }
    Ok(out)
}

async fn activities(
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<HistoricActivityDto>>> {
    let sorting = p.sorting(ACTIVITY_SORTS)?;
    let paging = p.paging()?;
    let all = activity_query(&s, &p).await?;
    let page = super::sort_and_page(
        all,
        sorting,
        |by, a| match by {
            "activityInstanceId" => (a.id.clone(), 0),
            "instanceId" => (a.process_instance_id.clone(), 0),
            "executionId" => (a.execution_id.clone(), 0),
            "activityId" => (a.activity_id.clone(), 0),
            "activityName" => (a.activity_name.clone().unwrap_or_default(), 0),
            "activityType" => (a.activity_type.clone(), 0),
            "endTime" => (String::new(), a.end_time.unwrap_or(i64::MAX)),
            "duration" => (
                String::new(),
                a.end_time.map_or(i64::MAX, |e| e - a.start_time),
            ),
            "definitionId" => (a.process_definition_id.clone(), 0),
            "tenantId" => (a.tenant_id.clone().unwrap_or_default(), 0),
            _ => (String::new(), a.start_time),
        },
        paging,
    );
    p.refuse_unsupported("GET /history/activity-instance", known::HISTORIC_ACTIVITY)?;
    Ok(JsonOk(page.iter().map(HistoricActivityDto::from).collect()))
}

async fn activity_count(State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let count = activity_query(&s, &p).await?.len();
    p.refuse_unsupported(
        "GET /history/activity-instance/count",
        known::HISTORIC_ACTIVITY,
    )?;
    Ok(JsonOk(CountDto { count }))
}

async fn variable_query(s: &AppState, p: &Params) -> ApiResult<Vec<HistoricVariable>> {
    let name = p.str("variableName");
    let names = p.set("variableNameIn");
    let tenants = Tenants::read(p)?;
    let name_like = p.str("variableNameLike");
    let mut out = Vec::new();
    for id in instance_ids(s, p).await? {
        out.extend(
            s.engine
                .historic_variables(&id)
                .await?
                .into_iter()
                .filter(|v| {
                    name.as_deref().is_none_or(|n| v.name == n)
                        && (names.is_empty() || names.contains(&v.name))
                        && tenants.admits(v.tenant_id.as_ref())
                        && name_like.as_deref().is_none_or(|l| like(&v.name, l))
                }),
        );
    }
    Ok(out)
}

async fn variables(
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<HistoricVariableDto>>> {
    // A JAX-RS flag of the resource method, true by default as in Camunda.
    let deserialize = p.jaxrs_flag("deserializeValues", true);
    let sorting = p.sorting(&["instanceId", "variableName", "tenantId"])?;
    let paging = p.paging()?;
    let all = variable_query(&s, &p).await?;
    let page = super::sort_and_page(
        all,
        sorting,
        |by, v| match by {
            "instanceId" => v.process_instance_id.clone(),
            "tenantId" => v.tenant_id.clone().unwrap_or_default(),
            _ => v.name.clone(),
        },
        paging,
    );
    p.refuse_unsupported("GET /history/variable-instance", known::HISTORIC_VARIABLE)?;
    Ok(JsonOk(
        page.iter()
            .map(|v| HistoricVariableDto::new(v, deserialize))
            .collect(),
    ))
}

async fn variable_count(State(s): State<AppState>, p: Params) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let count = variable_query(&s, &p).await?.len();
    p.refuse_unsupported(
        "GET /history/variable-instance/count",
        known::HISTORIC_VARIABLE,
    )?;
    Ok(JsonOk(CountDto { count }))
}
