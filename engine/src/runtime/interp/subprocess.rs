//! Embedded subprocesses and the event subprocesses a scope arms.

use baton_bpmn::model::{NodeId, NodeKind};

use super::{Run, Step, StepResult};

impl Run<'_> {
    /// An embedded subprocess: its event subprocesses are armed and a token starts
    /// at its none start event (with none, it completes at once).
    pub(super) fn subprocess(&mut self, exec: &str, node: NodeId) -> StepResult {
        let graph = self.inst.graph.clone();
        self.arm_event_subprocesses(exec, Some(node))?;
        let start = graph.process.node(node).children.iter().copied().find(|c| {
            matches!(&graph.process.node(*c).kind,
                NodeKind::StartEvent(s) if s.event.is_none())
        });
        match start {
            Some(start) => self.queue.push_back(Step::Enter {
                scope: exec.to_owned(),
                node: start,
            }),
            None => self.complete_activity(exec),
        }
        Ok(())
    }

    /// Arms the start events of the event subprocesses directly inside `scope`
    /// (the subprocess `scope_node`, or the process for `None`), owned by the scope's
    /// execution `exec`.
    pub(super) fn arm_event_subprocesses(
        &mut self,
        exec: &str,
        scope_node: Option<NodeId>,
    ) -> StepResult {
        let graph = self.inst.graph.clone();
        let process = &graph.process;
        for sub in process.children(scope_node) {
            if !matches!(&process.node(sub).kind, NodeKind::SubProcess(sp) if sp.triggered_by_event)
            {
                continue;
            }
            for start in process.start_events(Some(sub)) {
                if let NodeKind::StartEvent(se) = &process.node(start).kind {
                    if let Some(def) = &se.event {
                        self.arm_event(exec, start, def)?;
                    }
                }
            }
        }
        Ok(())
    }
}
