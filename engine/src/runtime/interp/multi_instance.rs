//! Multi-instance activities: a body execution with one inner execution per
//! instance, parallel or sequential, and its completion condition.

use baton_bpmn::model::{LoopCharacteristics, MultiInstance, NodeId};

use super::{Run, Step, StepResult, activity_default};
use crate::expr;
use crate::runtime::state::{ExecKind, Instance};
use crate::value::Value;

impl Run<'_> {
    pub(super) fn mi_start(&mut self, scope: &str, node: NodeId, mi: &MultiInstance) {
        let body = self.new_exec(scope, node, ExecKind::MiBody);
        if mi.async_before {
            // `multiInstanceAsyncBefore`: the body itself waits for a job.
            let n = self.node(node);
            let (id, cycle) = (n.id.clone(), n.failed_job_retry_time_cycle.clone());
            self.park(&body, &id, false, cycle);
            return;
        }
        self.mi_begin(&body, node, mi);
    }

    /// Starts the body `body` of multi-instance `node`: history, boundary events,
    /// its first instances.
    pub(super) fn mi_begin(&mut self, body: &str, node: NodeId, mi: &MultiInstance) {
        let body = body.to_owned();
        self.history_start(&body);
        let armed = self.arm_boundaries(&body, node);
        if let Err(message) = armed.and_then(|()| self.mi_start_inner(&body, node, mi)) {
            self.fail(&body, message);
        }
    }

    pub(super) fn mi_start_inner(
        &mut self,
        body: &str,
        node: NodeId,
        mi: &MultiInstance,
    ) -> StepResult {
        let count = match (&mi.loop_cardinality, &mi.collection) {
            (_, Some(c)) => self.mi_collection(body, c.as_str())?.len(),
            (Some(card), None) => {
                let n = self.eval_integer(body, card.as_str(), "loopCardinality")?;
                usize::try_from(n).map_err(|_| format!("loopCardinality is negative: {n}"))?
            }
            (None, None) => {
                return Err(format!(
                    "multi-instance '{}' has neither loopCardinality nor collection",
                    self.node(node).id
                ));
            }
        };
        let count_i = i32::try_from(count).map_err(|_| "too many instances".to_owned())?;
        self.inst
            .put(body, "nrOfInstances", Value::Integer(count_i));
        self.inst
            .put(body, "nrOfCompletedInstances", Value::Integer(0));
        let active = if mi.is_sequential {
            count_i.min(1)
        } else {
            count_i
        };
        self.inst
            .put(body, "nrOfActiveInstances", Value::Integer(active));
        if count == 0 {
            self.mi_body_done(body);
            return Ok(());
        }
        let mut inners = Vec::new();
        for i in 0..usize::try_from(active).unwrap_or(0) {
            inners.push(self.mi_new_inner(body, node, mi, i)?);
        }
        for exec in inners {
            self.queue.push_back(Step::Execute { exec });
        }
        Ok(())
    }

    pub(super) fn mi_collection(&self, exec: &str, source: &str) -> StepResult<Vec<Value>> {
        let t = self.inst.graph.template(source)?;
        let value = if t.is_literal() {
            // `camunda:collection="items"` names a variable.
            let name = source.trim();
            self.inst
                .variable(exec, name)
                .cloned()
                .ok_or_else(|| format!("Unknown property used in expression: {name}. Cause: Cannot resolve identifier '{name}'"))?
        } else {
            self.eval(exec, source)?
        };
        expr::as_collection(&value).map_err(|e| e.0)
    }

    pub(super) fn mi_new_inner(
        &mut self,
        body: &str,
        node: NodeId,
        mi: &MultiInstance,
        index: usize,
    ) -> StepResult<String> {
        let element = match (&mi.collection, &mi.element_variable) {
            (Some(c), Some(_)) => {
                let items = self.mi_collection(body, c.as_str())?;
                Some(items.get(index).cloned().unwrap_or(Value::Null))
            }
            _ => None,
        };
        let inner = self.new_exec(body, node, ExecKind::MiInner);
        let counter = i32::try_from(index).map_err(|_| "too many instances".to_owned())?;
        self.inst
            .put(&inner, "loopCounter", Value::Integer(counter));
        if let (Some(name), Some(value)) = (&mi.element_variable, element) {
            self.inst.put(&inner, name, value);
        }
        Ok(inner)
    }

    pub(super) fn mi_inner_done(&mut self, inner: &str) {
        let Some(node) = self.node_of(inner) else {
            return;
        };
        let Some(body) = self.inst.exec(inner).and_then(|e| e.parent.clone()) else {
            return;
        };
        let graph = self.inst.graph.clone();
        let n = graph.process.node(node);
        let Some(LoopCharacteristics::MultiInstance(mi)) = &n.loop_characteristics else {
            return;
        };
        if let Err(message) = self.outputs(inner, n) {
            self.fail(inner, message);
            return;
        }
        let get = |inst: &Instance, name: &str| match inst.local_variable(&body, name) {
            Some(Value::Integer(i)) => i64::from(*i),
            _ => 0,
        };
        let total = get(self.inst, "nrOfInstances");
        let completed = get(self.inst, "nrOfCompletedInstances") + 1;
        let active = get(self.inst, "nrOfActiveInstances") - 1;
        let int = |i: i64| Value::Integer(i32::try_from(i).unwrap_or(i32::MAX));
        self.inst
            .put(&body, "nrOfCompletedInstances", int(completed));
        self.inst.put(&body, "nrOfActiveInstances", int(active));
        let condition = match &mi.completion_condition {
            Some(c) => match self
                .eval(inner, c.as_str())
                .and_then(|v| expr::as_bool(&v).map_err(|e| e.0))
            {
                Ok(b) => b,
                Err(message) => {
                    self.fail(inner, format!("completionCondition: {message}"));
                    return;
                }
            },
            None => false,
        };
        let counter = match self.inst.local_variable(inner, "loopCounter") {
            Some(Value::Integer(i)) => usize::try_from(*i).unwrap_or(0),
            _ => 0,
        };
        self.history_end(inner, false, false);
        self.remove_exec(inner);
        if condition || completed >= total {
            let rest: Vec<String> = self.inst.children(&body).map(|e| e.id.clone()).collect();
            for other in rest {
                self.cancel_exec(&other);
            }
            self.mi_body_done(&body);
        } else if mi.is_sequential {
            let mi = mi.clone();
            self.inst
                .put(&body, "nrOfActiveInstances", Value::Integer(1));
            match self.mi_new_inner(&body, node, &mi, counter + 1) {
                Ok(next) => self.queue.push_back(Step::Execute { exec: next }),
                Err(message) => self.fail(&body, message),
            }
        }
    }

    pub(super) fn mi_body_done(&mut self, body: &str) {
        let Some(node) = self.node_of(body) else {
            return;
        };
        let graph = self.inst.graph.clone();
        let n = graph.process.node(node);
        if let Some(LoopCharacteristics::MultiInstance(mi)) = &n.loop_characteristics {
            if mi.async_after {
                // `multiInstanceAsyncAfter`: the body ended; a job leaves it.
                self.disarm(body);
                self.history_end(body, false, false);
                self.park(body, &n.id, true, n.failed_job_retry_time_cycle.clone());
                return;
            }
        }
        match self.select_flows(body, n, activity_default(n), false) {
            Ok(flows) => self.leave(body, &flows),
            Err(message) => self.fail(body, message),
        }
    }
}
