//! Gateways: the flows a forking gateway takes, and when a joining one fires.

use baton_bpmn::model::{FlowId, Gateway, GatewayKind, Node, NodeId, NodeKind, TaskKind};

use super::{Run, Step, StepResult, Stop, unsupported};
use crate::expr;
use crate::runtime::CatcherKind;
use crate::runtime::state::Wait;

impl Run<'_> {
    /// A gateway (forking; a joining one waited in `enter` first): the flows it
    /// takes, or, for an event-based gateway, the events it waits for.
    pub(super) fn gateway(&mut self, exec: &str, n: &Node, g: &Gateway) -> Result<(), Stop> {
        let graph = self.inst.graph.clone();
        let flows = match g.kind {
            GatewayKind::Parallel => n.outgoing.clone(),
            GatewayKind::Exclusive => {
                let flow = self.select_flows(exec, n, g.default, true)?;
                flow.into_iter().take(1).collect()
            }
            GatewayKind::Inclusive => self.select_flows(exec, n, g.default, false)?,
            GatewayKind::EventBased => {
                for &flow in &n.outgoing {
                    let target = graph.process.flow(flow).target;
                    let t = graph.process.node(target);
                    match &t.kind {
                        NodeKind::IntermediateCatchEvent(def) => {
                            self.arm_event(exec, target, def)?;
                        }
                        NodeKind::Task(task) => {
                            if let TaskKind::Receive(message) = &task.kind {
                                let name = self.message_name(exec, t, message.as_ref())?;
                                self.arm(exec, &t.id, CatcherKind::Message(name));
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(e) = self.inst.exec_mut(exec) {
                    e.wait = Wait::Event;
                }
                return Ok(());
            }
            GatewayKind::Complex => {
                return Err(Stop::Unsupported(unsupported(n, g.kind.element_name())));
            }
        };
        self.leave(exec, &flows);
        Ok(())
    }

    /// The outgoing flows to take: those whose condition holds (a flow without one
    /// always holds), in document order, or the default flow when none holds. With
    /// `first`, only the first holding flow is evaluated (exclusive gateways).
    pub(super) fn select_flows(
        &self,
        exec: &str,
        n: &Node,
        default: Option<FlowId>,
        first: bool,
    ) -> StepResult<Vec<FlowId>> {
        let mut chosen = Vec::new();
        for &flow_id in &n.outgoing {
            if Some(flow_id) == default {
                continue;
            }
            let flow = self.inst.graph.process.flow(flow_id);
            let holds = match &flow.condition {
                None => true,
                Some(c) => {
                    let value = self.eval(exec, c.as_str())?;
                    expr::as_bool(&value)
                        .map_err(|e| format!("condition of sequence flow '{}': {e}", flow.id))?
                }
            };
            if holds {
                chosen.push(flow_id);
                if first {
                    break;
                }
            }
        }
        if chosen.is_empty() {
            if let Some(d) = default {
                chosen.push(d);
            } else if !n.outgoing.is_empty() {
                return Err(format!(
                    "No outgoing sequence flow for the element with id '{}' could be selected for continuing the process",
                    n.id
                ));
            }
        }
        Ok(chosen)
    }

    pub(super) fn try_join(&mut self, scope: &str, node: NodeId) -> bool {
        let graph = self.inst.graph.clone();
        let n = graph.process.node(node);
        let waiting: Vec<String> = self
            .inst
            .children(scope)
            .filter(|e| e.wait == Wait::Join && e.activity == n.id)
            .map(|e| e.id.clone())
            .collect();
        let needed = n.incoming.len();
        let ready = match &n.kind {
            NodeKind::Gateway(g) if g.kind == GatewayKind::Inclusive => {
                waiting.len() >= needed || !self.can_still_arrive(scope, node)
            }
            _ => waiting.len() >= needed,
        };
        if !ready || waiting.is_empty() {
            return false;
        }
        let consumed: Vec<String> = match &n.kind {
            NodeKind::Gateway(g) if g.kind == GatewayKind::Parallel => {
                waiting.into_iter().take(needed).collect()
            }
            _ => waiting,
        };
        // The last arriving token goes on; the others merge into it.
        let (keep, merged) = consumed
            .split_last()
            .map_or((None, &[][..]), |(k, m)| (Some(k), m));
        for id in merged {
            self.history_end(id, false, false);
            self.remove_exec(id);
        }
        if let Some(keep) = keep {
            if let Some(e) = self.inst.exec_mut(keep) {
                e.wait = Wait::None;
            }
            self.queue.push_back(Step::Resume { exec: keep.clone() });
        }
        true
    }

    /// Whether a token in `scope` not yet waiting at inclusive gateway `node` can still
    /// reach it: an execution there, or a token this run has yet to move (taking a
    /// flow into the scope, as the second of two flows from one split to the join
    /// does).
    pub(super) fn can_still_arrive(&self, scope: &str, node: NodeId) -> bool {
        let graph = &self.inst.graph;
        let target = &graph.process.node(node).id;
        let resting = self
            .inst
            .children(scope)
            .filter(|e| !(e.wait == Wait::Join && &e.activity == target))
            .filter_map(|e| graph.node_id(&e.activity))
            .any(|from| graph.can_reach(from, node));
        resting
            || self.queue.iter().any(|step| match step {
                Step::Enter {
                    scope: s,
                    node: from,
                } => s == scope && (*from == node || graph.can_reach(*from, node)),
                _ => false,
            })
    }

    pub(super) fn recheck_inclusive_joins(&mut self) -> bool {
        let graph = self.inst.graph.clone();
        let candidates: Vec<(String, NodeId)> = self
            .inst
            .execs
            .iter()
            .filter(|e| e.wait == Wait::Join)
            .filter_map(|e| {
                let node = graph.node_id(&e.activity)?;
                let inclusive = matches!(&graph.process.node(node).kind,
                    NodeKind::Gateway(g) if g.kind == GatewayKind::Inclusive);
                inclusive.then(|| (e.parent.clone().unwrap_or_default(), node))
            })
            .collect();
        let mut any = false;
        for (scope, node) in candidates {
            if self.queue.is_empty() && self.try_join(&scope, node) {
                any = true;
            }
        }
        any
    }
}
