//! Asynchronous continuations (`camunda:asyncBefore`, `camunda:asyncAfter`): a
//! token that reaches one parks its execution in [`Wait::Async`] and arms a job,
//! so the command that brought it there commits and answers; the job executor
//! later runs [`Run::continue_async`] in a transaction of its own, and a failure
//! there rolls back to the job, which is retried (`failedJobRetryTimeCycle`).
//!
//! Before: the activity has not started (no history, no boundary events armed,
//! no input mappings); the job starts it. After: the activity has ended (its
//! output mappings applied, its activity instance ended in history, its boundary
//! events disarmed); the job evaluates the outgoing flows and takes them.

use baton_bpmn::model::{LoopCharacteristics, Node, NodeId};

use super::Run;
use crate::runtime::CatcherKind;
use crate::runtime::state::{ExecKind, Wait};

impl Run<'_> {
    /// The job of `exec`'s asynchronous continuation ran: the token goes on from
    /// where it was parked.
    pub(crate) fn continue_async(mut self, exec: &str) {
        let Some(e) = self.inst.exec_mut(exec) else {
            return;
        };
        let Wait::Async { after } = e.wait else {
            return; // nothing parked here any more
        };
        e.wait = Wait::None;
        // The job row goes with this command; nothing else was armed while parked.
        e.armed = false;
        let Some(node) = self.node_of(exec) else {
            return;
        };
        let graph = self.inst.graph.clone();
        let n = graph.process.node(node);
        let body = self
            .inst
            .exec(exec)
            .is_some_and(|e| e.kind == ExecKind::MiBody);
        match (after, &n.loop_characteristics) {
            (true, _) => self.take_flows(exec, n, false),
            (false, Some(LoopCharacteristics::MultiInstance(mi))) if body => {
                self.mi_begin(exec, node, mi);
            }
            (false, _) => self.execute_now(exec, node),
        }
        self.run();
    }

    /// Parks `exec` before its activity when the element says `asyncBefore`;
    /// whether it did.
    pub(super) fn parks_before(&mut self, exec: &str, node: NodeId) -> bool {
        let n = self.node(node);
        let kind = self.inst.exec(exec).map(|e| e.kind);
        if !n.async_before || !matches!(kind, Some(ExecKind::Activity | ExecKind::MiInner)) {
            return false;
        }
        let (id, retry_cycle) = (n.id.clone(), n.failed_job_retry_time_cycle.clone());
        self.park(exec, &id, false, retry_cycle);
        true
    }

    /// Parks `exec` after its activity ended when the element says `asyncAfter`;
    /// whether it did.
    pub(super) fn parks_after(&mut self, exec: &str, n: &Node) -> bool {
        let kind = self.inst.exec(exec).map(|e| e.kind);
        if !n.async_after || kind != Some(ExecKind::Activity) {
            return false;
        }
        // The activity is over: what waited on it (boundary events) is gone.
        self.disarm(exec);
        self.history_end(exec, false, false);
        self.park(exec, &n.id, true, n.failed_job_retry_time_cycle.clone());
        true
    }

    /// Parks `exec` at `activity_id` with the job of its continuation.
    pub(super) fn park(
        &mut self,
        exec: &str,
        activity_id: &str,
        after: bool,
        retry_cycle: Option<String>,
    ) {
        let body = self
            .inst
            .exec(exec)
            .is_some_and(|e| e.kind == ExecKind::MiBody);
        if let Some(e) = self.inst.exec_mut(exec) {
            e.wait = Wait::Async { after };
        }
        let kind = CatcherKind::Async {
            after,
            body,
            retry_cycle,
        };
        self.arm(exec, activity_id, kind);
    }
}
