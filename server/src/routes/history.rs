//! `/history`: process instances, activity instances and variables, also after
//! their instances ended.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::get;
use baton_engine::{
    HistoricActivityQuery, HistoricActivitySort, HistoricInstanceQuery, HistoricInstanceSort,
    HistoricVariableQuery, HistoricVariableSort, Sort,
};

use super::external_task::merged;
use super::known;
use crate::AppState;
use crate::dto::{CountDto, HistoricActivityDto, HistoricInstanceDto, HistoricVariableDto};
use crate::error::{ApiError, ApiResult};
use crate::guard::{Op, Who};
use crate::json::JsonOk;
use crate::params::Params;
use baton_engine::authz::Target;

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

fn instance_query(p: &Params) -> ApiResult<HistoricInstanceQuery> {
    let window = TimeWindow::read(p)?;
    let mut q = HistoricInstanceQuery {
        id: p.str("processInstanceId"),
        business_key: p.str("processInstanceBusinessKey"),
        definition_key: p.str("processDefinitionKey"),
        definition_id: p.str("processDefinitionId"),
        finished: p.flag("finished")?,
        unfinished: p.flag("unfinished")?,
        super_instance_id: p.str("superProcessInstanceId"),
        ids: p.list("processInstanceIds"),
        ids_not_in: p.list("processInstanceIdNotIn"),
        definition_keys: p.list("processDefinitionKeyIn"),
        definition_keys_not_in: p.list("processDefinitionKeyNotIn"),
        business_keys: p.list("processInstanceBusinessKeyIn"),
        business_key_like: p.str("processInstanceBusinessKeyLike"),
        root_instance_id: p.str("rootProcessInstanceId"),
        roots_only: p.flag("rootProcessInstances")?,
        started_before: window.started_before,
        started_after: window.started_after,
        finished_before: window.finished_before,
        finished_after: window.finished_after,
        tenant_ids: p.list("tenantIdIn"),
        without_tenant_id: p.flag("withoutTenantId")?,
        ..HistoricInstanceQuery::default()
    };
    for (flag, state) in [
        ("active", "ACTIVE"),
        ("completed", "COMPLETED"),
        ("externallyTerminated", "EXTERNALLY_TERMINATED"),
        ("internallyTerminated", "INTERNALLY_TERMINATED"),
    ] {
        if p.flag(flag)? {
            q.states.push(state.to_owned());
        }
    }
    Ok(q)
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
}

/// The list query: the filters, then the sort and the page.
fn instance_list(p: &Params) -> ApiResult<HistoricInstanceQuery> {
    let mut q = instance_query(p)?;
    q.sort = p.sorting(INSTANCE_SORTS)?.map(|(by, descending)| Sort {
        by: match by.as_str() {
            "instanceId" => HistoricInstanceSort::InstanceId,
            "definitionId" => HistoricInstanceSort::DefinitionId,
            "definitionKey" => HistoricInstanceSort::DefinitionKey,
            "definitionName" => HistoricInstanceSort::DefinitionName,
            "definitionVersion" => HistoricInstanceSort::DefinitionVersion,
            "businessKey" => HistoricInstanceSort::BusinessKey,
            "endTime" => HistoricInstanceSort::EndTime,
            "duration" => HistoricInstanceSort::Duration,
            "tenantId" => HistoricInstanceSort::TenantId,
            _ => HistoricInstanceSort::StartTime,
        },
        descending,
    });
    (q.first_result, q.max_results) = p.paging()?;
    Ok(q)
}

async fn instances_get(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<HistoricInstanceDto>>> {
    let mut q = instance_list(&p)?;
    q.scope = who.scope(&s).await?;
    p.refuse_unsupported("GET /history/process-instance", known::HISTORIC_INSTANCE)?;
    let page = s.engine.historic_instances(q).await?;
    Ok(JsonOk(page.iter().map(HistoricInstanceDto::from).collect()))
}

async fn instances_post(
    who: Who,
    State(s): State<AppState>,
    query: Params,
    body: Bytes,
) -> ApiResult<JsonOk<Vec<HistoricInstanceDto>>> {
    let p = merged(&body, &query)?;
    let mut q = instance_list(&p)?;
    q.scope = who.scope(&s).await?;
    p.refuse_unsupported("POST /history/process-instance", known::HISTORIC_INSTANCE)?;
    let page = s.engine.historic_instances(q).await?;
    Ok(JsonOk(page.iter().map(HistoricInstanceDto::from).collect()))
}

async fn instance_count_get(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let mut q = instance_query(&p)?;
    q.scope = who.scope(&s).await?;
    p.refuse_unsupported(
        "GET /history/process-instance/count",
        known::HISTORIC_INSTANCE,
    )?;
    let count = s.engine.count_historic_instances(q).await?;
    Ok(JsonOk(CountDto { count }))
}

async fn instance_count_post(
    who: Who,
    State(s): State<AppState>,
    body: Bytes,
) -> ApiResult<JsonOk<CountDto>> {
    let p = merged(&body, &Params::default())?.counting();
    let mut q = instance_query(&p)?;
    q.scope = who.scope(&s).await?;
    p.refuse_unsupported(
        "POST /history/process-instance/count",
        known::HISTORIC_INSTANCE,
    )?;
    let count = s.engine.count_historic_instances(q).await?;
    Ok(JsonOk(CountDto { count }))
}

async fn instance(
    who: Who,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<JsonOk<HistoricInstanceDto>> {
    who.may(&s, Target::Instance(&id), Op::ReadHistory).await?;
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

/// The process instances a history query about activities or variables covers:
/// `processInstanceId` and `processInstanceIdIn` together.
fn instance_ids(p: &Params) -> Vec<String> {
    let mut ids = p.list("processInstanceIdIn");
    if let Some(id) = p.str("processInstanceId") {
        ids.push(id);
    }
    ids
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

fn activity_query(p: &Params) -> ApiResult<HistoricActivityQuery> {
    let window = TimeWindow::read(p)?;
    Ok(HistoricActivityQuery {
        process_instance_ids: instance_ids(p),
        process_definition_id: p.str("processDefinitionId"),
        process_definition_key: p.str("processDefinitionKey"),
        activity_id: p.str("activityId"),
        activity_instance_id: p.str("activityInstanceId"),
        activity_name: p.str("activityName"),
        activity_name_like: p.str("activityNameLike"),
        activity_type: p.str("activityType"),
        execution_id: p.str("executionId"),
        started_before: window.started_before,
        started_after: window.started_after,
        finished_before: window.finished_before,
        finished_after: window.finished_after,
        tenant_ids: p.list("tenantIdIn"),
        without_tenant_id: p.flag("withoutTenantId")?,
        finished: p.flag("finished")?,
        unfinished: p.flag("unfinished")?,
        canceled: p.flag("canceled")?,
        complete_scope: p.flag("completeScope")?,
        ..HistoricActivityQuery::default()
    })
}

async fn activities(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<HistoricActivityDto>>> {
    let sort = p.sorting(ACTIVITY_SORTS)?.map(|(by, descending)| Sort {
        by: match by.as_str() {
            "activityInstanceId" => HistoricActivitySort::ActivityInstanceId,
            "instanceId" => HistoricActivitySort::InstanceId,
            "executionId" => HistoricActivitySort::ExecutionId,
            "activityId" => HistoricActivitySort::ActivityId,
            "activityName" => HistoricActivitySort::ActivityName,
            "activityType" => HistoricActivitySort::ActivityType,
            "endTime" => HistoricActivitySort::EndTime,
            "duration" => HistoricActivitySort::Duration,
            "definitionId" => HistoricActivitySort::DefinitionId,
            "occurrence" => HistoricActivitySort::Occurrence,
            "tenantId" => HistoricActivitySort::TenantId,
            _ => HistoricActivitySort::StartTime,
        },
        descending,
    });
    let (first_result, max_results) = p.paging()?;
    let q = HistoricActivityQuery {
        sort,
        first_result,
        max_results,
        scope: who.scope(&s).await?,
        ..activity_query(&p)?
    };
    p.refuse_unsupported("GET /history/activity-instance", known::HISTORIC_ACTIVITY)?;
    let page = s.engine.query_historic_activities(q).await?;
    Ok(JsonOk(page.iter().map(HistoricActivityDto::from).collect()))
}

async fn activity_count(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let mut q = activity_query(&p)?;
    q.scope = who.scope(&s).await?;
    p.refuse_unsupported(
        "GET /history/activity-instance/count",
        known::HISTORIC_ACTIVITY,
    )?;
    let count = s.engine.count_historic_activities(q).await?;
    Ok(JsonOk(CountDto { count }))
}

fn variable_query(p: &Params) -> ApiResult<HistoricVariableQuery> {
    Ok(HistoricVariableQuery {
        process_instance_ids: instance_ids(p),
        process_definition_id: p.str("processDefinitionId"),
        process_definition_key: p.str("processDefinitionKey"),
        name: p.str("variableName"),
        names: p.list("variableNameIn"),
        tenant_ids: p.list("tenantIdIn"),
        without_tenant_id: p.flag("withoutTenantId")?,
        name_like: p.str("variableNameLike"),
        ..HistoricVariableQuery::default()
    })
}

async fn variables(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<Vec<HistoricVariableDto>>> {
    // A JAX-RS flag of the resource method, true by default as in Camunda.
    let deserialize = p.jaxrs_flag("deserializeValues", true);
    let sort = p
        .sorting(&["instanceId", "variableName", "tenantId"])?
        .map(|(by, descending)| Sort {
            by: match by.as_str() {
                "instanceId" => HistoricVariableSort::InstanceId,
                "tenantId" => HistoricVariableSort::TenantId,
                _ => HistoricVariableSort::VariableName,
            },
            descending,
        });
    let (first_result, max_results) = p.paging()?;
    let q = HistoricVariableQuery {
        sort,
        first_result,
        max_results,
        scope: who.scope(&s).await?,
        ..variable_query(&p)?
    };
    p.refuse_unsupported("GET /history/variable-instance", known::HISTORIC_VARIABLE)?;
    let page = s.engine.query_historic_variables(q).await?;
    Ok(JsonOk(
        page.iter()
            .map(|v| HistoricVariableDto::new(v, deserialize))
            .collect(),
    ))
}

async fn variable_count(
    who: Who,
    State(s): State<AppState>,
    p: Params,
) -> ApiResult<JsonOk<CountDto>> {
    let p = p.counting();
    let mut q = variable_query(&p)?;
    q.scope = who.scope(&s).await?;
    p.refuse_unsupported(
        "GET /history/variable-instance/count",
        known::HISTORIC_VARIABLE,
    )?;
    let count = s.engine.count_historic_variables(q).await?;
    Ok(JsonOk(CountDto { count }))
}
