//! Job definitions, as Camunda's `/job-definition` shows them: one per element
//! of a deployed definition that makes jobs (a timer, an asynchronous
//! continuation before or after it, a multi-instance body's), each with the id
//! its jobs name as `jobDefinitionId`.
//!
//! Camunda writes them at deployment; Baton derives them from the compiled
//! definitions when asked (the ids are name-based, so the same every time), and
//! keeps no row of its own.

use baton_bpmn::model::{EventDefinition, LoopCharacteristics, Node, NodeKind, Timer};

use crate::Engine;
use crate::error::Result;
use crate::events::{job_definition_id, job_definition_key};
use crate::graph::Graph;
use crate::types::{DefinitionQuery, ProcessDefinition};

/// What jobs one element of one process definition makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobDefinition {
    /// Its id: what its jobs name as `jobDefinitionId`.
    pub id: String,
    /// The process definition.
    pub process_definition_id: String,
    /// Its key.
    pub process_definition_key: String,
    /// The element (`task#multiInstanceBody` for a multi-instance body).
    pub activity_id: String,
    /// Camunda's job type: `timer-start-event`, `timer-start-event-subprocess`,
    /// `timer-intermediate-transition`, `timer-transition` or
    /// `async-continuation`.
    pub job_type: String,
    /// Camunda's configuration: `DURATION: PT5M` (or `DATE:`, `CYCLE:`) for a
    /// timer, `async-before` or `async-after` for a continuation.
    pub job_configuration: String,
    /// Whether its definition is suspended.
    pub suspended: bool,
    /// The tenant.
    pub tenant_id: Option<String>,
    /// The deployment of its definition.
    pub deployment_id: String,
}

impl Engine {
    /// The job definitions of every definition `definitions` selects, in the
    /// definitions' order and each definition's document order.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn job_definitions(
        &self,
        definitions: DefinitionQuery,
    ) -> Result<Vec<JobDefinition>> {
        let mut out = Vec::new();
        for def in self.definitions(definitions).await? {
            let shared = self.inner.shared.clone();
            let graph = match shared.cache.get(&def.id) {
                Some(g) => g,
                None => {
                    let id = def.id.clone();
                    self.read(move |c| crate::command::load_graph(c, &shared.cache, &id))
                        .await?
                }
            };
            of_definition(&graph, &def, &mut out);
        }
        Ok(out)
    }
}

/// The job definitions of one compiled definition.
fn of_definition(graph: &Graph, def: &ProcessDefinition, out: &mut Vec<JobDefinition>) {
    let process = &graph.process;
    let mut push = |activity: String, key: String, job_type: &str, configuration: String| {
        out.push(JobDefinition {
            id: job_definition_id(&def.id, &key),
            process_definition_id: def.id.clone(),
            process_definition_key: def.key.clone(),
            activity_id: activity,
            job_type: job_type.to_owned(),
            job_configuration: configuration,
            suspended: def.suspended,
            tenant_id: def.tenant_id.clone(),
            deployment_id: def.deployment_id.clone(),
        });
    };
    for (_, n) in process.node_ids() {
        if let Some((job_type, timer)) = timer_of(process, n) {
            push(n.id.clone(), n.id.clone(), job_type, configuration(timer));
        }
        let body = match &n.loop_characteristics {
            Some(LoopCharacteristics::MultiInstance(mi)) => Some((mi.async_before, mi.async_after)),
            _ => None,
        };
        if let Some((before, after)) = body {
            let activity = format!("{}#multiInstanceBody", n.id);
            let timer_text = "multiInstanceBody";
            if before {
                let key = job_definition_key(&n.id, "async", "async-before", timer_text);
                push(
                    activity.clone(),
                    key,
                    "async-continuation",
                    "async-before".into(),
                );
            }
            if after {
                let key = job_definition_key(&n.id, "async", "async-after", timer_text);
                push(activity, key, "async-continuation", "async-after".into());
            }
        }
        if n.async_before {
            let key = job_definition_key(&n.id, "async", "async-before", "");
            push(
                n.id.clone(),
                key,
                "async-continuation",
                "async-before".into(),
            );
        }
        if n.async_after {
            let key = job_definition_key(&n.id, "async", "async-after", "");
            push(
                n.id.clone(),
                key,
                "async-continuation",
                "async-after".into(),
            );
        }
    }
}

/// The timer of an element and Camunda's job type for it.
fn timer_of<'n>(
    process: &baton_bpmn::model::Process,
    n: &'n Node,
) -> Option<(&'static str, &'n Timer)> {
    match &n.kind {
        NodeKind::StartEvent(s) => match &s.event {
            Some(EventDefinition::Timer(t)) => {
                let in_event_subprocess = n.parent.is_some_and(|p| {
                    matches!(&process.node(p).kind, NodeKind::SubProcess(sp) if sp.triggered_by_event)
                });
                Some((
                    if in_event_subprocess {
                        "timer-start-event-subprocess"
                    } else {
                        "timer-start-event"
                    },
                    t,
                ))
            }
            _ => None,
        },
        NodeKind::IntermediateCatchEvent(EventDefinition::Timer(t)) => {
            Some(("timer-intermediate-transition", t))
        }
        NodeKind::BoundaryEvent(b) => match &b.event {
            EventDefinition::Timer(t) => Some(("timer-transition", t)),
            _ => None,
        },
        _ => None,
    }
}

/// `DURATION: PT5M`, as Camunda writes a timer's job configuration.
fn configuration(timer: &Timer) -> String {
    match timer {
        Timer::Date(e) => format!("DATE: {}", e.as_str()),
        Timer::Duration(e) => format!("DURATION: {}", e.as_str()),
        Timer::Cycle(e) => format!("CYCLE: {}", e.as_str()),
    }
}
