//! Events and time in the command layer: subscriptions and timer jobs written
//! for the interpreter's [`Catcher`]s, message correlation, signal broadcast,
//! conditional start events, start events armed at deployment, and firing jobs.
//!
//! Everything here runs inside a command, in its transaction: a message moves
//! its token, a timer fires its step, and the subscriptions and jobs that go with
//! them are written or removed, all in one commit.

use baton_bpmn::model::{EventDefinition, Node, NodeId, NodeKind, Timer};
use rusqlite::{OptionalExtension, params};

use std::sync::Weak;
use std::time::Duration;

use crate::authz::{Resource, Scope, perm};
use crate::command::{Ctx, IncidentRow};
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::runtime::{Catcher, CatcherKind, Effect, Run};
use crate::timer::{self, TimerKind};
use crate::types::{
    CorrelationResult, Job, JobQuery, MessageCorrelation, ProcessInstance, SignalThrow, Variables,
};
use crate::value::Value;
use crate::{Engine, Inner};

/// How many due jobs are submitted to the writer at once.
const DUE_BATCH: i64 = 256;

/// Retries a job gets when its element says nothing else.
const DEFAULT_JOB_RETRIES: i64 = 3;

/// The columns of a job row, in [`JobRow`]'s order.
const JOB_COLUMNS: &str = "id, due, timer_kind, timer_text, fired, instance_id, execution_id, \
     activity_id, definition_id, definition_key, tenant_id, retries, retry_cycle, exception, \
     incident_id, priority, suspended, create_time, kind";

/// A job as stored.
#[derive(Debug, Clone)]
pub(crate) struct JobRow {
    pub id: String,
    pub due: i64,
    pub timer_kind: String,
    pub timer_text: String,
    pub fired: u32,
    pub instance_id: Option<String>,
    pub execution_id: Option<String>,
    pub activity_id: String,
    pub definition_id: String,
    pub definition_key: String,
    pub tenant_id: Option<String>,
    pub retries: i64,
    pub retry_cycle: Option<String>,
    pub exception: Option<String>,
    pub incident_id: Option<String>,
    pub priority: i64,
    pub suspended: bool,
    pub create_time: i64,
    /// `timer`, or `async` for an asynchronous continuation.
    pub kind: String,
}

impl JobRow {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRow> {
        Ok(JobRow {
            id: r.get(0)?,
            due: r.get(1)?,
            timer_kind: r.get(2)?,
            timer_text: r.get(3)?,
            fired: r.get(4)?,
            instance_id: r.get(5)?,
            execution_id: r.get(6)?,
            activity_id: r.get(7)?,
            definition_id: r.get(8)?,
            definition_key: r.get(9)?,
            tenant_id: r.get(10)?,
            retries: r.get(11)?,
            retry_cycle: r.get(12)?,
            exception: r.get(13)?,
            incident_id: r.get(14)?,
            priority: r.get(15)?,
            suspended: r.get(16)?,
            create_time: r.get(17)?,
            kind: r.get(18)?,
        })
    }

    /// The job as the API shows it.
    pub(crate) fn to_job(&self) -> Job {
        Job {
            id: self.id.clone(),
            job_definition_id: job_definition_id(
                &self.definition_id,
                &job_definition_key(
                    &self.activity_id,
                    &self.kind,
                    &self.timer_kind,
                    &self.timer_text,
                ),
            ),
            due_date: self.due,
            process_instance_id: self.instance_id.clone(),
            execution_id: self.execution_id.clone(),
            activity_id: self.activity_id.clone(),
            process_definition_id: self.definition_id.clone(),
            process_definition_key: self.definition_key.clone(),
            retries: self.retries,
            exception_message: self.exception.clone(),
            suspended: self.suspended,
            priority: self.priority,
            tenant_id: self.tenant_id.clone(),
            create_time: self.create_time,
        }
    }
}

/// The id of the job definition of timer `activity_id` in definition `definition_id`.
///
/// Camunda keeps a job definition per timer activity of a deployed definition, and
/// each job names it. Baton keeps none: the id is derived from the two (a name-based
/// UUID), so it is the same for every job of that timer, in every instance, across
/// restarts, and differs between definitions and versions.
pub(crate) fn job_definition_id(definition_id: &str, activity_id: &str) -> String {
    /// A namespace of Baton's own for these ids.
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x0b47_0e5c_6a1d_4f0b_9d3e_7c2a_1f5e_8d40);
    uuid::Uuid::new_v5(
        &NAMESPACE,
        format!("{definition_id}\n{activity_id}").as_bytes(),
    )
    .to_string()
}

/// What tells the job definitions of one element apart (see [`job_definition_id`]):
/// the element for its timer and for its `asyncBefore`; `#multiInstanceBody` after
/// it for a multi-instance body's continuation, and `$after` for an `asyncAfter`.
pub(crate) fn job_definition_key(
    activity: &str,
    kind: &str,
    timer_kind: &str,
    timer_text: &str,
) -> String {
    if kind != "async" {
        return activity.to_owned();
    }
    let body = if timer_text == "multiInstanceBody" {
        "#multiInstanceBody"
    } else {
        ""
    };
    let after = if timer_kind == "async-after" {
        "$after"
    } else {
        ""
    };
    format!("{activity}{body}{after}")
}

/// Retries and the wait between them, from `camunda:failedJobRetryTimeCycle`
/// (`R5/PT5M`: five retries five minutes apart); by default three, at once.
fn retry_policy(cycle: Option<&str>) -> (i64, i64) {
    let Some(text) = cycle.map(str::trim).filter(|c| !c.is_empty()) else {
        return (DEFAULT_JOB_RETRIES, 0);
    };
    let Some(rest) = text.strip_prefix('R') else {
        return (DEFAULT_JOB_RETRIES, 0);
    };
    let (count, period) = rest.split_once('/').unwrap_or((rest, ""));
    let retries = count.parse::<i64>().unwrap_or(DEFAULT_JOB_RETRIES);
    let wait = timer::parse(TimerKind::Duration, period)
        .ok()
        .and_then(|s| s.first(0))
        .unwrap_or(0);
    (retries, wait)
}

impl Ctx<'_, '_> {
    // ----- arming and disarming -----

    /// Writes the subscription or job of `catcher`, owned by an execution of
    /// `instance`.
    pub(crate) fn arm(&mut self, instance: &str, catcher: &Catcher) -> Result<()> {
        let inst = self.inst(instance)?;
        let (def_id, def_key, tenant) = (
            inst.graph.id.clone(),
            inst.graph.key.clone(),
            inst.tenant_id.clone(),
        );
        match &catcher.kind {
            CatcherKind::Message(name) | CatcherKind::Signal(name) => {
                let kind = if matches!(catcher.kind, CatcherKind::Message(_)) {
                    "message"
                } else {
                    "signal"
                };
                self.insert_subscription(
                    kind,
                    name,
                    Some(instance),
                    Some(&catcher.exec),
                    &catcher.activity_id,
                    &def_id,
                    tenant.as_deref(),
                )
            }
            CatcherKind::Async {
                after,
                body,
                retry_cycle,
            } => self.insert_job(&NewJob {
                kind: "async",
                due: self.now,
                timer_kind: if *after {
                    "async-after"
                } else {
                    "async-before"
                },
                timer_text: if *body { "multiInstanceBody" } else { "" },
                instance: Some(instance),
                exec: Some(&catcher.exec),
                activity: &catcher.activity_id,
                definition_id: &def_id,
                definition_key: &def_key,
                tenant: tenant.as_deref(),
                retry_cycle: retry_cycle.as_deref(),
            }),
            CatcherKind::Timer {
                kind,
                text,
                due,
                retry_cycle,
            } => self.insert_job(&NewJob {
                kind: "timer",
                due: *due,
                timer_kind: kind,
                timer_text: text,
                instance: Some(instance),
                exec: Some(&catcher.exec),
                activity: &catcher.activity_id,
                definition_id: &def_id,
                definition_key: &def_key,
                tenant: tenant.as_deref(),
                retry_cycle: retry_cycle.as_deref(),
            }),
        }
    }

    /// The subscription of a message or signal start event of `graph`; `kind` names
    /// what `name` is, for the error when the model gives none.
    fn subscribe_start(
        &mut self,
        kind: &str,
        name: Option<String>,
        node: &Node,
        graph: &Graph,
    ) -> Result<()> {
        let name = name.ok_or_else(|| {
            Error::Invalid(format!("{kind} start event '{}' names no {kind}", node.id))
        })?;
        self.insert_subscription(
            kind,
            &name,
            None,
            None,
            &node.id,
            &graph.id,
            graph.tenant_id.as_deref(),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_subscription(
        &mut self,
        kind: &str,
        name: &str,
        instance: Option<&str>,
        exec: Option<&str>,
        activity: &str,
        definition_id: &str,
        tenant: Option<&str>,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO event_subscription (id, kind, name, instance_id, execution_id, \
                 activity_id, definition_id, tenant_id, create_time) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                crate::new_id(),
                kind,
                name,
                instance,
                exec,
                activity,
                definition_id,
                tenant,
                self.now
            ])?;
        Ok(())
    }

    fn insert_job(&mut self, j: &NewJob<'_>) -> Result<()> {
        let (retries, _) = retry_policy(j.retry_cycle);
        self.conn
            .prepare_cached(
                "INSERT INTO job (id, kind, due, timer_kind, timer_text, fired, instance_id, \
                 execution_id, activity_id, definition_id, definition_key, tenant_id, retries, \
                 retry_cycle, create_time) \
                 VALUES (?1, ?14, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                crate::new_id(),
                j.due,
                j.timer_kind,
                j.timer_text,
                j.instance,
                j.exec,
                j.activity,
                j.definition_id,
                j.definition_key,
                j.tenant,
                retries,
                j.retry_cycle,
                self.now,
                j.kind
            ])?;
        // Wakes the job executor.
        self.jobs_changed = true;
        Ok(())
    }

    /// Removes every subscription and job `exec` owns, and the incidents of its jobs.
    pub(crate) fn disarm(&mut self, exec: &str) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM event_subscription WHERE execution_id = ?1")?
            .execute([exec])?;
        let incidents: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT incident_id FROM job WHERE execution_id = ?1 AND incident_id IS NOT NULL",
            )?
            .query_map([exec], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for incident in incidents {
            self.end_incident(&incident, "DELETED")?;
        }
        self.conn
            .prepare_cached("DELETE FROM job WHERE execution_id = ?1")?
            .execute([exec])?;
        Ok(())
    }

    // ----- start events of definitions -----

    /// Arms the message, signal and timer start events of a newly deployed
    /// definition, replacing those of earlier versions of its key.
    pub(crate) fn arm_start_events(&mut self, graph: &Graph) -> Result<()> {
        let process = &graph.process;
        let starts: Vec<(NodeId, EventDefinition)> = process
            .start_events(None)
            .filter_map(|s| match &process.node(s).kind {
                NodeKind::StartEvent(e) => e.event.clone().map(|d| (s, d)),
                _ => None,
            })
            .filter(|(_, d)| {
                matches!(
                    d,
                    EventDefinition::Message(_)
                        | EventDefinition::Signal(_)
                        | EventDefinition::Timer(_)
                )
            })
            .collect();
        // A new version replaces the start events of the earlier ones, whatever it has.
        for table in ["event_subscription", "job"] {
            self.conn
                .prepare_cached(&format!(
                    "DELETE FROM {table} WHERE instance_id IS NULL AND definition_id IN \
                     (SELECT id FROM process_definition WHERE key = ?1 AND tenant_id IS ?2 \
                      AND id != ?3)"
                ))?
                .execute(params![graph.key, graph.tenant_id, graph.id])?;
        }
        for (node, def) in starts {
            let n = process.node(node);
            match def {
                EventDefinition::Message(m) => {
                    self.subscribe_start("message", m.message.and_then(|m| m.name), n, graph)?;
                }
                EventDefinition::Signal(s) => {
                    self.subscribe_start("signal", s.signal.and_then(|s| s.name), n, graph)?;
                }
                EventDefinition::Timer(t) => {
                    let (kind, text, tk) = match &t {
                        Timer::Date(e) => ("date", e.as_str(), TimerKind::Date),
                        Timer::Duration(e) => ("duration", e.as_str(), TimerKind::Duration),
                        Timer::Cycle(e) => ("cycle", e.as_str(), TimerKind::Cycle),
                    };
                    let bad = |why: String| {
                        Error::Invalid(format!(
                            "timer start event '{}' ('{text}') cannot be scheduled: {why}",
                            n.id
                        ))
                    };
                    // No instance yet: an expression sees no variables (`${'2036-…'}`).
                    let empty = Vec::new();
                    let scope = VarsScope {
                        vars: &empty,
                        business_key: None,
                        now: self.now,
                    };
                    let template = graph.template(text).map_err(bad)?;
                    let value =
                        crate::expr::eval_template(&template, &scope).map_err(|e| bad(e.0))?;
                    let value = match value {
                        Value::Date(ms) => crate::date::format(ms),
                        other => other.to_string(),
                    };
                    let schedule =
                        timer::parse(tk, value.trim()).map_err(|e| bad(e.to_string()))?;
                    let due = schedule
                        .first(self.now)
                        .ok_or_else(|| bad("it never falls due".into()))?;
                    self.insert_job(&NewJob {
                        kind: "timer",
                        due,
                        timer_kind: kind,
                        timer_text: value.trim(),
                        instance: None,
                        exec: None,
                        activity: &n.id,
                        definition_id: &graph.id,
                        definition_key: &graph.key,
                        tenant: graph.tenant_id.as_deref(),
                        retry_cycle: n.failed_job_retry_time_cycle.as_deref(),
                    })?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Removes the start events of a deleted definition.
    pub(crate) fn disarm_definition(&mut self, definition_id: &str) -> Result<()> {
        for table in ["event_subscription", "job"] {
            self.conn
                .prepare_cached(&format!(
                    "DELETE FROM {table} WHERE instance_id IS NULL AND definition_id = ?1"
                ))?
                .execute([definition_id])?;
        }
        Ok(())
    }

    // ----- signals -----

    /// Delivers signal `s` to every subscription and signal start event it
    /// reaches: of its tenant (of the asking user's tenants, or without a tenant,
    /// when none is named), each one the asking user may update or start.
    pub(crate) fn broadcast(&mut self, s: &SignalThrow) -> Result<()> {
        let variables = &s.variables;
        let subscriptions: Vec<Subscription> = self
            .subscriptions("signal", &s.name)?
            .into_iter()
            .filter(|sub| {
                let tenant = sub.tenant.as_deref();
                let named = if s.without_tenant_id {
                    tenant.is_none()
                } else {
                    s.tenant_id.as_deref().is_none_or(|t| tenant == Some(t))
                };
                named && s.scope.as_ref().is_none_or(|sc| sc.sees_tenant(tenant))
            })
            .collect();
        if let Some(scope) = &s.scope {
            for sub in &subscriptions {
                self.authorize_receiver(scope, sub)?;
            }
        }
        for sub in subscriptions {
            // A delivery may have ended another subscriber's execution.
            if let (Some(instance), Some(exec)) = (&sub.instance, &sub.exec) {
                let inst = self.inst(instance)?;
                if inst.ended.is_some() || inst.exec(exec).is_none() {
                    continue;
                }
            }
            self.deliver(&sub, variables.to_vec(), Vec::new(), None)?;
        }
        Ok(())
    }

    /// Requires that the asking user may move `sub`'s instance on (`UPDATE` on
    /// it or `UPDATE_INSTANCE` on its definition) or, for a start event, start
    /// one (`CREATE` on instances and `CREATE_INSTANCE` on the definition), as
    /// Camunda checks each receiver of a signal or message.
    fn authorize_receiver(&mut self, scope: &Scope, sub: &Subscription) -> Result<()> {
        let key = self.graph(&sub.definition_id)?.key.clone();
        let key = Some(key.as_str());
        match &sub.instance {
            Some(instance) => scope.require(&[&[
                (Resource::ProcessInstance, perm::UPDATE, Some(instance)),
                (Resource::ProcessDefinition, perm::UPDATE_INSTANCE, key),
            ]]),
            None => scope.require(&[
                &[(Resource::ProcessInstance, perm::CREATE, None)],
                &[(Resource::ProcessDefinition, perm::CREATE_INSTANCE, key)],
            ]),
        }
    }

    fn subscriptions(&self, kind: &str, name: &str) -> Result<Vec<Subscription>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, instance_id, execution_id, activity_id, definition_id, tenant_id \
                 FROM event_subscription WHERE kind = ?1 AND name = ?2 ORDER BY create_time, id",
            )?
            .query_map(params![kind, name], |r| {
                Ok(Subscription {
                    id: r.get(0)?,
                    instance: r.get(1)?,
                    exec: r.get(2)?,
                    activity: r.get(3)?,
                    definition_id: r.get(4)?,
                    tenant: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Fires one subscription: moves its execution on, or starts an instance at its
    /// start event.
    fn deliver(
        &mut self,
        sub: &Subscription,
        variables: Variables,
        local: Variables,
        business_key: Option<String>,
    ) -> Result<CorrelationResult> {
        match (&sub.instance, &sub.exec) {
            (Some(instance), Some(exec)) => {
                let (instance, exec) = (instance.clone(), exec.clone());
                let activity = sub.activity.clone();
                self.step(&instance, |run: Run<'_>| {
                    run.fire(&exec, &activity, variables, local);
                })?;
                Ok(CorrelationResult::Execution {
                    execution_id: exec,
                    instance: self.instance_view(&instance)?,
                })
            }
            _ => {
                let graph = self.graph(&sub.definition_id)?;
                let node = graph.node_id(&sub.activity).ok_or_else(|| {
                    Error::Internal(format!(
                        "start event {} is not in its definition",
                        sub.activity
                    ))
                })?;
                let started = self.start_instance_at(
                    &sub.definition_id,
                    node,
                    business_key,
                    variables,
                    None,
                    None,
                )?;
                Ok(CorrelationResult::ProcessDefinition(started))
            }
        }
    }

    /// The API view of a loaded instance.
    fn instance_view(&mut self, id: &str) -> Result<ProcessInstance> {
        let inst = self.inst(id)?;
        Ok(ProcessInstance {
            id: inst.id.clone(),
            definition_id: inst.graph.id.clone(),
            definition_key: inst.graph.key.clone(),
            business_key: inst.business_key.clone(),
            tenant_id: inst.tenant_id.clone(),
            suspended: false,
            ended: inst.ended.is_some(),
            super_instance_id: inst.super_ref.as_ref().map(|s| s.0.clone()),
            root_instance_id: inst.root_instance_id.clone(),
        })
    }

    // ----- messages -----

    /// Correlates a message as Camunda does: to exactly one waiting execution or
    /// message start event, or with `all` to every one.
    pub(crate) fn correlate(&mut self, m: MessageCorrelation) -> Result<Vec<CorrelationResult>> {
        let mut matches = Vec::new();
        for sub in self.subscriptions("message", &m.name)? {
            if !tenant_matches(&m, sub.tenant.as_deref()) {
                continue;
            }
            if m.scope
                .as_ref()
                .is_some_and(|sc| !sc.sees_tenant(sub.tenant.as_deref()))
            {
                continue;
            }
            match (&sub.instance, &sub.exec) {
                (Some(instance), Some(exec)) => {
                    if m.process_instance_id
                        .as_ref()
                        .is_some_and(|p| p != instance)
                    {
                        continue;
                    }
                    let inst = self.inst(instance)?;
                    if inst.ended.is_some() || inst.exec(exec).is_none() {
                        continue;
                    }
                    if m.business_key.is_some() && inst.business_key != m.business_key {
                        continue;
                    }
                    let global_ok = m
                        .correlation_keys
                        .iter()
                        .all(|(k, v)| inst.variable(&inst.id.clone(), k) == Some(v));
                    let local_ok = m.local_correlation_keys.iter().all(|(k, v)| {
                        inst.local_variables(exec)
                            .iter()
                            .any(|(n, x)| n == k && x == v)
                    });
                    if global_ok && local_ok {
                        matches.push(sub);
                    }
                }
                _ => {
                    // A start event: only the latest version of its definition starts.
                    if m.process_instance_id.is_some() || !m.local_correlation_keys.is_empty() {
                        continue;
                    }
                    matches.push(sub);
                }
            }
        }
        if matches.is_empty() && !m.all {
            return Err(Error::Invalid(format!(
                "Cannot correlate message '{}': No process definition or execution matches the parameters",
                m.name
            )));
        }
        if matches.len() > 1 && !m.all {
            return Err(Error::Invalid(format!(
                "Cannot correlate a message with name '{}' to a single execution. {} executions \
                 or process definitions match the correlation keys",
                m.name,
                matches.len()
            )));
        }
        if let Some(scope) = &m.scope {
            for sub in &matches {
                self.authorize_receiver(scope, sub)?;
            }
        }
        let mut results = Vec::new();
        for sub in matches {
            // An earlier delivery may have ended this one's execution.
            if let (Some(instance), Some(exec)) = (&sub.instance, &sub.exec) {
                let inst = self.inst(instance)?;
                if inst.ended.is_some() || inst.exec(exec).is_none() {
                    continue;
                }
            }
            results.push(self.deliver(
                &sub,
                m.process_variables.clone(),
                m.process_variables_local.clone(),
                m.business_key.clone(),
            )?);
        }
        Ok(results)
    }

    // ----- conditional start events -----

    /// Starts an instance of every latest definition (of `key`, if given) whose
    /// conditional start event holds for `variables`.
    pub(crate) fn evaluate_start_conditions(
        &mut self,
        key: Option<&str>,
        variables: &Variables,
        business_key: Option<String>,
        tenant: Option<&str>,
        asking: Option<&Scope>,
    ) -> Result<Vec<ProcessInstance>> {
        // The latest definitions, suspended ones too: Camunda keeps the start event
        // subscriptions of a suspended definition and skips them when evaluating.
        let definitions: Vec<(String, bool)> = self
            .conn
            .prepare_cached(
                "SELECT id, suspended FROM process_definition d WHERE (?1 IS NULL OR key = ?1) \
                 AND tenant_id IS ?2 AND version = (SELECT MAX(version) FROM process_definition p2 \
                 WHERE p2.key = d.key AND p2.tenant_id IS d.tenant_id) ORDER BY key",
            )?
            .query_map(params![key, tenant], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut started = Vec::new();
        let mut any_conditional = false;
        for (id, suspended) in definitions {
            let graph = self.graph(&id)?;
            let process = &graph.process;
            let conditional: Vec<(NodeId, String)> = process
                .start_events(None)
                .filter_map(|s| match &process.node(s).kind {
                    NodeKind::StartEvent(e) => match &e.event {
                        Some(EventDefinition::Conditional(c)) => {
                            Some((s, c.condition.as_str().to_owned()))
                        }
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            any_conditional |= !conditional.is_empty();
            if suspended {
                continue;
            }
            for (node, condition) in conditional {
                let scope = VarsScope {
                    vars: variables,
                    business_key: business_key.as_deref(),
                    now: self.now,
                };
                let fail = |message: String| {
                    Error::Invalid(format!(
                        "condition of start event '{}' of {id}: {message}",
                        process.node(node).id
                    ))
                };
                let template = graph.template(&condition).map_err(fail)?;
                let holds = match crate::expr::eval_template(&template, &scope)
                    .and_then(|v| crate::expr::as_bool(&v))
                {
                    Ok(holds) => holds,
                    // A variable it names was not given: the condition is false.
                    Err(e) if crate::expr::is_unresolved(&e.0) => false,
                    Err(e) => return Err(fail(e.0)),
                };
                if holds {
                    if let Some(asking) = asking {
                        asking.require(&[
                            &[(Resource::ProcessInstance, perm::CREATE, None)],
                            &[(
                                Resource::ProcessDefinition,
                                perm::CREATE_INSTANCE,
                                Some(graph.key.as_str()),
                            )],
                        ])?;
                    }
                    started.push(self.start_instance_at(
                        &id,
                        node,
                        business_key.clone(),
                        variables.clone(),
                        None,
                        None,
                    )?);
                    break;
                }
            }
        }
        // Camunda's `DefaultConditionHandler`: no conditional start event to evaluate
        // is an error; events whose conditions do not hold start nothing.
        if !any_conditional {
            return Err(Error::NotFound(match key {
                Some(k) => format!("The latest definition of '{k}' has no conditional start event"),
                None => "No latest process definition has a conditional start event".into(),
            }));
        }
        Ok(started)
    }

    // ----- jobs -----

    /// Runs job `id` if it is still due and runnable; whether it ran.
    pub(crate) fn run_due_job(&mut self, id: &str) -> Result<bool> {
        let job = self
            .conn
            .prepare_cached(&format!(
                "SELECT {JOB_COLUMNS} FROM job WHERE id = ?1 AND retries > 0 AND suspended = 0 \
                 AND due <= ?2"
            ))?
            .query_row(params![id, self.now], JobRow::from_row)
            .optional()?;
        match job {
            Some(job) => {
                self.run_job(job)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The job `id`.
    pub(crate) fn job(&self, id: &str) -> Result<JobRow> {
        self.conn
            .prepare_cached(&format!("SELECT {JOB_COLUMNS} FROM job WHERE id = ?1"))?
            .query_row([id], JobRow::from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("Job with id {id} does not exist")))
    }

    /// Fires a job's timer: one step, in this command. A step that fails (an
    /// expression error, say) is rolled back and the job retried as its element's
    /// `failedJobRetryTimeCycle` says; at 0 retries a `failedJob` incident is raised.
    pub(crate) fn run_job(&mut self, job: JobRow) -> Result<()> {
        let failure = match (&job.instance_id, &job.execution_id) {
            (Some(instance), Some(exec)) => self.fire_instance_job(&job, instance, exec)?,
            _ => {
                let graph = self.graph(&job.definition_id)?;
                let node = graph.node_id(&job.activity_id).ok_or_else(|| {
                    Error::Internal(format!(
                        "timer {} is not in its definition",
                        job.activity_id
                    ))
                })?;
                match self.start_instance_at(&job.definition_id, node, None, Vec::new(), None, None)
                {
                    Ok(_) => None,
                    Err(e) if e.is_client_error() => Some(e.to_string()),
                    Err(e) => return Err(e),
                }
            }
        };
        match failure {
            None => {
                self.activity.jobs_fired += 1;
                self.after_firing(&job)
            }
            Some(message) => {
                self.activity.jobs_failed += 1;
                self.job_failed(&job, &message)
            }
        }
    }

    /// Fires an instance's timer; the failure message if its step failed (nothing
    /// of the step is kept then).
    fn fire_instance_job(
        &mut self,
        job: &JobRow,
        instance: &str,
        exec: &str,
    ) -> Result<Option<String>> {
        let exists: bool = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM process_instance WHERE id = ?1)")?
            .query_row([instance], |r| r.get(0))?;
        if !exists && !self.instances.contains_key(instance) {
            // Its instance is gone: the job is stale.
            self.delete_job(&job.id)?;
            return Ok(None);
        }
        self.load(instance)?;
        let Some(mut inst) = self.instances.remove(instance) else {
            return Err(Error::Internal(format!("instance {instance} not loaded")));
        };
        if inst.exec(exec).is_none() {
            self.instances.insert(instance.to_owned(), inst);
            self.delete_job(&job.id)?;
            return Ok(None);
        }
        let before = inst.clone();
        let mut fx = Vec::new();
        let run = Run::new(&mut inst, &mut fx, self.now);
        if job.kind == "async" {
            run.continue_async(exec);
        } else {
            run.fire(exec, &job.activity_id, Vec::new(), Vec::new());
        }
        let failed = fx.iter().find_map(|f| match f {
            Effect::Incident(spec) if spec.kind == "failedJob" => Some(spec.message.clone()),
            _ => None,
        });
        if let Some(message) = failed {
            self.instances.insert(instance.to_owned(), before);
            return Ok(Some(message));
        }
        self.instances.insert(instance.to_owned(), inst);
        self.apply(instance, fx)?;
        Ok(None)
    }

    /// After a timer fired: a cycle is scheduled again, anything else is done.
    fn after_firing(&mut self, job: &JobRow) -> Result<()> {
        let still_there: bool = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM job WHERE id = ?1)")?
            .query_row([&job.id], |r| r.get(0))?;
        if let Some(incident) = &job.incident_id {
            // It ran after all (executed by hand): its incident is resolved.
            self.end_incident(incident, "RESOLVED")?;
        }
        if !still_there {
            return Ok(()); // its execution ended when it fired
        }
        let mut fired = job.fired + 1;
        let mut next = None;
        if job.timer_kind == "cycle" {
            if let Ok(schedule) = timer::parse(TimerKind::Cycle, &job.timer_text) {
                next = schedule.next(job.due, fired);
                // Firings missed while Baton was stopped happen once, not each.
                while let Some(due) = next.filter(|d| *d <= self.now) {
                    fired += 1;
                    next = schedule.next(due, fired);
                }
            }
        }
        match next {
            Some(due) => {
                self.conn
                    .prepare_cached(
                        "UPDATE job SET due = ?1, fired = ?2, exception = NULL WHERE id = ?3",
                    )?
                    .execute(params![due, fired, job.id])?;
                self.jobs_changed = true;
            }
            None => self.delete_job(&job.id)?,
        }
        Ok(())
    }

    fn delete_job(&mut self, id: &str) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM job WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    /// A job's step failed: one retry less, later; an incident at 0.
    fn job_failed(&mut self, job: &JobRow, message: &str) -> Result<()> {
        let (_, wait) = retry_policy(job.retry_cycle.as_deref());
        let retries = (job.retries - 1).max(0);
        tracing::warn!(job = %job.id, retries, message, "job failed");
        let incident = if retries == 0 {
            let id = crate::new_id();
            let instance = job.instance_id.clone().unwrap_or_default();
            let exec = job.execution_id.clone().unwrap_or_default();
            self.insert_incident(&IncidentRow {
                id: &id,
                kind: "failedJob",
                message: Some(message),
                instance: &instance,
                exec: &exec,
                activity: &job.activity_id,
                definition_id: &job.definition_id,
                definition_key: &job.definition_key,
                configuration: Some(&job.id),
                tenant: job.tenant_id.as_deref(),
            })?;
            Some(id)
        } else {
            None
        };
        self.conn
            .prepare_cached(
                "UPDATE job SET retries = ?1, exception = ?2, due = ?3, \
                 incident_id = COALESCE(?4, incident_id) WHERE id = ?5",
            )?
            .execute(params![
                retries,
                message,
                self.now.saturating_add(wait),
                incident,
                job.id
            ])?;
        self.jobs_changed = true;
        Ok(())
    }

    /// Sets a job's retries: from 0 to more resolves its incident, and the job runs
    /// again.
    pub(crate) fn set_job_retries(&mut self, id: &str, retries: i64) -> Result<()> {
        if retries < 0 {
            return Err(Error::Invalid(format!(
                "The number of retries cannot be negative: {retries}"
            )));
        }
        let job = self.job(id)?;
        if retries > 0 {
            if let Some(incident) = &job.incident_id {
                self.end_incident(incident, "RESOLVED")?;
            }
        }
        self.conn
            .prepare_cached(
                "UPDATE job SET retries = ?1, incident_id = CASE WHEN ?1 > 0 THEN NULL \
                 ELSE incident_id END WHERE id = ?2",
            )?
            .execute(params![retries, id])?;
        self.jobs_changed = true;
        Ok(())
    }

    /// Sets a job's due date.
    pub(crate) fn set_job_due(&mut self, id: &str, due: i64) -> Result<()> {
        self.job(id)?;
        self.conn
            .prepare_cached("UPDATE job SET due = ?1 WHERE id = ?2")?
            .execute(params![due, id])?;
        self.jobs_changed = true;
        Ok(())
    }

    /// Runs job `id` now, whatever its due date; a failure is the caller's error
    /// (and counts as one retry), as `POST /job/{id}/execute` reports it.
    pub(crate) fn execute_job(&mut self, id: &str) -> Result<Option<String>> {
        let job = self.job(id)?;
        let before_retries = job.retries;
        self.run_job(job)?;
        let after: Option<(i64, Option<String>)> = self
            .conn
            .prepare_cached("SELECT retries, exception FROM job WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(match after {
            Some((retries, exception)) if retries < before_retries => exception,
            _ => None,
        })
    }
}

impl Engine {
    /// Correlates a message, as `POST /message` does: to the one execution waiting
    /// for it or message start event (or, with `all`, to every one), setting its
    /// variables before the token moves on.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the message when nothing matches, or more than one
    /// thing does without `all`; nothing changes then.
    /// Also [`Error::Invalid`] past the [`limits`](crate::limits) on variables.
    pub async fn correlate_message(&self, m: MessageCorrelation) -> Result<Vec<CorrelationResult>> {
        if m.name.is_empty() {
            return Err(Error::Invalid("No message name given".into()));
        }
        crate::limits::check(
            &[
                &m.process_variables,
                &m.process_variables_local,
                &m.correlation_keys,
                &m.local_correlation_keys,
            ],
            0,
        )?;
        self.command(move |ctx| ctx.correlate(m.clone())).await
    }

    /// Throws signal `name`: every execution waiting for it moves on and every
    /// signal start event with it starts an instance, with `variables`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty name.
    /// Also [`Error::Invalid`] past the [`limits`](crate::limits) on variables.
    pub async fn signal(&self, name: &str, variables: Variables) -> Result<()> {
        self.throw_signal(SignalThrow {
            name: name.to_owned(),
            variables,
            ..SignalThrow::default()
        })
        .await
    }

    /// Throws signal `s`: as [`Engine::signal`], to the receivers of its tenant
    /// (or without one) only when it names one, and of the asking user's tenants
    /// only when it has a scope.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty name or both a tenant and
    /// `without_tenant_id`; [`Error::Forbidden`] when the scope's user may not
    /// move on or start one of the receivers (then none receives it); also
    /// [`Error::Invalid`] past the [`limits`](crate::limits) on variables.
    pub async fn throw_signal(&self, s: SignalThrow) -> Result<()> {
        if s.name.is_empty() {
            return Err(Error::Invalid("No signal name given".into()));
        }
        if s.tenant_id.is_some() && s.without_tenant_id {
            return Err(Error::Invalid(
                "Parameter 'tenantId' cannot be used together with parameter 'withoutTenantId'."
                    .into(),
            ));
        }
        crate::limits::check(&[&s.variables], 0)?;
        self.command(move |ctx| ctx.broadcast(&s)).await
    }

    /// Evaluates the conditional start events of the latest definitions (of `key`,
    /// if given; of `tenant_id`, or without a tenant) against `variables`, starting
    /// an instance of each active definition whose condition holds, as `POST
    /// /condition` does; none may hold (an empty answer).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no such definition has a conditional start event
    /// (Camunda's `DefaultConditionHandler` refuses that too);
    /// [`Error::Invalid`] when a condition cannot be evaluated, and past the
    /// [`limits`](crate::limits) on variables; [`Error::Forbidden`] when
    /// `scope`'s user may not start an instance whose condition holds (then none
    /// starts).
    pub async fn evaluate_conditions(
        &self,
        key: Option<String>,
        variables: Variables,
        business_key: Option<String>,
        tenant_id: Option<String>,
        scope: Option<Scope>,
    ) -> Result<Vec<ProcessInstance>> {
        crate::limits::check(&[&variables], 0)?;
        self.command(move |ctx| {
            ctx.evaluate_start_conditions(
                key.as_deref(),
                &variables,
                business_key.clone(),
                tenant_id.as_deref(),
                scope.as_ref(),
            )
        })
        .await
    }

    /// Runs every job due by the engine's clock, earliest first, each in its own
    /// transaction; how many ran. The job executor calls this; so does a test after
    /// moving a manual clock.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn run_due_jobs(&self) -> Result<usize> {
        let mut ran = 0;
        loop {
            let now = self.now();
            let due: Vec<String> = self
                .inner
                .store
                .read(move |c| {
                    Ok(c.prepare_cached(
                        "SELECT id FROM job WHERE retries > 0 AND suspended = 0 AND due <= ?1 \
                         ORDER BY due, create_time, id LIMIT ?2",
                    )?
                    .query_map(params![now, DUE_BATCH], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?)
                })
                .await?;
            if due.is_empty() {
                return Ok(ran);
            }
            // Submitted together, in due order, they share group commits: one fsync
            // for many timers, each still in its own savepoint.
            let mut firing = tokio::task::JoinSet::new();
            for id in due {
                let engine = self.clone();
                firing.spawn(async move { engine.command(move |ctx| ctx.run_due_job(&id)).await });
                // Keep the submission order: let each reach the writer's queue first.
                tokio::task::yield_now().await;
            }
            while let Some(result) = firing.join_next().await {
                match result {
                    Ok(Ok(true)) => ran += 1,
                    Ok(Ok(false)) => {}
                    Ok(Err(e)) => return Err(e),
                    Err(e) => return Err(Error::Internal(format!("a job task failed: {e}"))),
                }
            }
        }
    }

    /// When the earliest runnable job falls due.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn next_job_due(&self) -> Result<Option<i64>> {
        self.inner
            .store
            .read(|c| {
                Ok(c.prepare_cached(
                    "SELECT MIN(due) FROM job WHERE retries > 0 AND suspended = 0",
                )?
                .query_row([], |r| r.get(0))?)
            })
            .await
    }

    /// Jobs matching `q`, by due date unless it sorts.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn jobs(&self, q: JobQuery) -> Result<Vec<Job>> {
        let now = self.now();
        self.inner
            .store
            .read(move |c| {
                let mut f = crate::query::job_filter(c, &q, now)?;
                crate::query::job_order(&mut f, q.sort);
                f.page(q.first_result, q.max_results);
                let rows = f.query(
                    c,
                    &format!("SELECT {JOB_COLUMNS} FROM job"),
                    "",
                    JobRow::from_row,
                )?;
                Ok(rows.iter().map(JobRow::to_job).collect())
            })
            .await
    }

    /// How many jobs match `q` (its sort and paging aside).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn count_jobs(&self, q: JobQuery) -> Result<usize> {
        let now = self.now();
        self.inner
            .store
            .read(move |c| crate::query::job_filter(c, &q, now)?.count(c, "job"))
            .await
    }

    /// Sets a job's retries; from 0 to more resolves its `failedJob` incident.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown job, [`Error::Invalid`] for negative retries.
    pub async fn set_job_retries(&self, id: &str, retries: i64) -> Result<()> {
        let id = id.to_owned();
        self.command(move |ctx| ctx.set_job_retries(&id, retries))
            .await
    }

    /// Sets a job's due date.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown job.
    pub async fn set_job_due_date(&self, id: &str, due: i64) -> Result<()> {
        let id = id.to_owned();
        self.command(move |ctx| ctx.set_job_due(&id, due)).await
    }

    /// Runs a job now, whatever its due date.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown job; [`Error::Invalid`] with the failure's
    /// message when its step failed (it lost a retry, as Camunda counts it).
    pub async fn execute_job(&self, id: &str) -> Result<()> {
        let id = id.to_owned();
        match self.command(move |ctx| ctx.execute_job(&id)).await? {
            None => Ok(()),
            Some(message) => Err(Error::Invalid(message)),
        }
    }
}

/// Starts the job executor on the current tokio runtime, if there is one: it runs
/// due jobs, then sleeps until the next is due or a commit changes the jobs. It
/// holds the engine weakly, so dropping the engine stops it.
pub(crate) fn spawn_job_executor(inner: Weak<Inner>) -> Option<tokio::task::JoinHandle<()>> {
    let handle = tokio::runtime::Handle::try_current().ok()?;
    Some(handle.spawn(async move {
        let Some(mut changes) = inner.upgrade().map(|i| i.shared.job_events.subscribe()) else {
            return;
        };
        loop {
            let Some(strong) = inner.upgrade() else {
                return;
            };
            let engine = Engine { inner: strong };
            changes.borrow_and_update();
            match engine.run_due_jobs().await {
                Err(Error::Closed) => return,
                Err(e) => tracing::warn!(error = %e, "the job executor could not run jobs"),
                Ok(_) => {}
            }
            let next = match engine.next_job_due().await {
                Err(Error::Closed) => return,
                Err(_) => None,
                Ok(next) => next,
            };
            let wait = next.map_or(Duration::from_secs(3600), |due| {
                Duration::from_millis(due.saturating_sub(engine.now()).max(0).unsigned_abs())
            });
            drop(engine);
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                () = tokio::time::sleep(wait) => {}
            }
        }
    }))
}

/// A stored subscription.
#[derive(Debug, Clone)]
struct Subscription {
    #[allow(dead_code)]
    id: String,
    instance: Option<String>,
    exec: Option<String>,
    activity: String,
    definition_id: String,
    tenant: Option<String>,
}

/// A job to insert.
struct NewJob<'a> {
    /// `timer`, or `async` for an asynchronous continuation.
    kind: &'a str,
    due: i64,
    timer_kind: &'a str,
    timer_text: &'a str,
    instance: Option<&'a str>,
    exec: Option<&'a str>,
    activity: &'a str,
    definition_id: &'a str,
    definition_key: &'a str,
    tenant: Option<&'a str>,
    retry_cycle: Option<&'a str>,
}

/// The variables of a conditional start evaluation, as an expression sees them.
struct VarsScope<'a> {
    vars: &'a Variables,
    business_key: Option<&'a str>,
    now: i64,
}

impl crate::expr::Scope for VarsScope<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn local_variable(&self, name: &str) -> Option<Value> {
        self.variable(name)
    }

    fn business_key(&self) -> Option<String> {
        self.business_key.map(str::to_owned)
    }

    fn now(&self) -> i64 {
        self.now
    }
}

fn tenant_matches(m: &MessageCorrelation, tenant: Option<&str>) -> bool {
    if m.without_tenant_id {
        return tenant.is_none();
    }
    m.tenant_id.as_deref().is_none_or(|t| tenant == Some(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_policy_reads_camunda_cycles() {
        assert_eq!(retry_policy(None), (3, 0));
        assert_eq!(retry_policy(Some("R5/PT5M")), (5, 300_000));
        assert_eq!(retry_policy(Some("R1/PT10S")), (1, 10_000));
        assert_eq!(retry_policy(Some("nonsense")), (3, 0));
    }
}
