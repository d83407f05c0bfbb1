//! Token movement: what each kind of element does when a token reaches it,
//! completes it, or throws an error through it.
//!
//! This file is the core: [`Run`], its triggers (start, fire, complete, throw,
//! cancel...), the loop over pending [`Step`]s, the execution tree's bookkeeping
//! (executions, history, incidents) and how a token arrives at and leaves an
//! element. What each family of elements does lives beside it, one module per
//! family: `activities` (tasks and call activities), `events`, `gateways`,
//! `subprocess`, `multi_instance`; `expressions` evaluates in an execution's
//! scope. A run never touches the database and reads neither the system clock
//! nor a global id source: the time is handed to [`Run::new`] and ids come from
//! the instance's [`super::state::Ids`], so a run is a function of its inputs.

mod activities;
mod continuations;
mod events;
mod expressions;
mod gateways;
mod multi_instance;
mod subprocess;

use std::collections::VecDeque;

use baton_bpmn::model::{
    EventDefinition, FlowId, GatewayKind, LoopCharacteristics, Node, NodeId, NodeKind,
};

pub(crate) use events::{find_catch, find_task_escalation_catch};
pub(crate) use expressions::{ExecScope, interp_scope};

use super::state::{EndState, Exec, ExecKind, Instance, Wait};
use super::{Effect, HistoryEvent, IncidentSpec};
use crate::value::Value;

/// A step the interpreter still has to take.
#[derive(Debug)]
enum Step {
    /// A token arrives at `node` inside scope execution `scope`.
    Enter { scope: String, node: NodeId },
    /// Execution `exec` (already created) starts its activity.
    Execute { exec: String },
    /// Execution `exec`, whose activity instance already started (a token that
    /// waited at a join), runs its activity's behaviour.
    Resume { exec: String },
    /// A token left scope `scope`; the scope may be done.
    Consumed { scope: String },
}

/// One run of the interpreter over one instance.
pub(crate) struct Run<'a> {
    inst: &'a mut Instance,
    fx: &'a mut Vec<Effect>,
    now: i64,
    queue: VecDeque<Step>,
    /// Conditional events were armed: evaluate them even if no variable changed.
    conditions_armed: bool,
    /// Rounds of conditional events in this run.
    condition_rounds: usize,
    /// Why the instance is being cancelled, if it is: the delete reason its open
    /// user tasks end with (else `deleted`).
    cancel_reason: Option<String>,
}

/// Why a step could not be taken; becomes an incident at the execution.
type StepResult<T = ()> = Result<T, String>;

/// Why an element could not run.
enum Stop {
    /// A step failed (an expression, a gateway with no way out): a `failedJob`
    /// incident, which new retries resolve.
    Failed(String),
    /// Baton cannot run this kind of element yet: an incident of its own type,
    /// [`UNSUPPORTED_INCIDENT`], which no retry resolves.
    Unsupported(String),
}

impl From<String> for Stop {
    fn from(message: String) -> Stop {
        Stop::Failed(message)
    }
}

/// The incident type of an element Baton cannot run yet (a user task, say): not
/// `failedJob`, since there is no job to retry.
pub(crate) const UNSUPPORTED_INCIDENT: &str = "unsupportedElement";

impl<'a> Run<'a> {
    /// A run over `inst` that appends its effects to `fx`.
    pub(crate) fn new(inst: &'a mut Instance, fx: &'a mut Vec<Effect>, now: i64) -> Self {
        Run {
            inst,
            fx,
            now,
            queue: VecDeque::new(),
            conditions_armed: false,
            condition_rounds: 0,
            cancel_reason: None,
        }
    }

    // ----- triggers -----

    /// Starts a new instance at `start` (a start event of the process).
    pub(crate) fn start(mut self, start: NodeId) {
        let root_id = self.inst.id.clone();
        self.inst.execs.push(Exec {
            id: root_id.clone(),
            parent: None,
            activity: String::new(),
            kind: ExecKind::Root,
            wait: Wait::None,
            var_scope: true,
            armed: false,
            conditions: Vec::new(),
        });
        let start_activity = Some(self.inst.graph.process.node(start).id.clone());
        self.fx.push(Effect::History(HistoryEvent::ProcessStart {
            start_activity,
        }));
        if let Err(message) = self.arm_event_subprocesses(&root_id, None) {
            self.fail(&root_id, message);
        }
        // A message, signal, timer or conditional start event passes its token on
        // like a none start event: it has fired already.
        self.queue.push_back(Step::Enter {
            scope: root_id,
            node: start,
        });
        self.run();
    }

    /// A catcher `exec` owns fired: the message, signal, timer or condition that
    /// `activity_id` (a boundary, intermediate catch or event subprocess start event,
    /// or a receive task) waits for has arrived, with `variables` to set first
    /// (Camunda's `setVariables` on `exec`) and `local` ones (on `exec` itself).
    pub(crate) fn fire(
        mut self,
        exec: &str,
        activity_id: &str,
        variables: Vec<(String, Value)>,
        local: Vec<(String, Value)>,
    ) {
        for (name, value) in variables {
            self.inst.set_variable(exec, &name, value);
        }
        for (name, value) in local {
            self.inst.set_local(exec, &name, value);
        }
        self.fire_catcher(exec, activity_id);
        self.run();
    }

    /// The activity of `exec` is done (its external task completed, say).
    ///
    /// Variables set with the completion are seen by conditional events first, as
    /// Camunda dispatches them before it moves the token on: an interrupting one (on
    /// the task, or on a scope around it) cancels the task, which then does not leave.
    pub(crate) fn complete(mut self, exec: &str) {
        self.run();
        if self.inst.exec(exec).is_none() {
            return;
        }
        if let Some(e) = self.inst.exec_mut(exec) {
            e.wait = Wait::None;
        }
        self.complete_activity(exec);
        self.run();
    }

    /// The called instance of call activity `exec` ended; `outputs` are its
    /// `camunda:out` mappings, already evaluated: (name, value, local).
    pub(crate) fn child_completed(self, exec: &str, outputs: Vec<(String, Value, bool)>) {
        for (name, value, local) in outputs {
            if local {
                self.inst.set_local(exec, &name, value);
            } else {
                self.inst.set_variable(exec, &name, value);
            }
        }
        self.complete(exec);
    }

    /// Escalation `code` is thrown from the activity of `exec` (a user task's
    /// `bpmnEscalation`), caught by `found` (from [`find_task_escalation_catch`]).
    pub(crate) fn throw_escalation(mut self, found: (String, NodeId), code: &str) {
        self.escalate_to(found, code.to_owned());
        self.run();
    }

    /// A BPMN error is thrown at `exec` (by a worker, or from a called instance).
    pub(crate) fn throw_error(mut self, exec: &str, code: &str, message: Option<&str>) {
        if let Some(e) = self.inst.exec_mut(exec) {
            e.wait = Wait::None;
        }
        self.throw(exec, code, message);
        self.run();
    }

    /// Catches a BPMN error at `boundary`, attached to `host`, as found by
    /// [`find_catch`].
    pub(crate) fn catch_error(
        mut self,
        host: &str,
        boundary: NodeId,
        code: &str,
        message: Option<&str>,
    ) {
        self.catch(host, boundary, code, message);
        self.run();
    }

    /// An error thrown at `exec` found no catcher anywhere: the execution ends, as
    /// Camunda ends it.
    pub(crate) fn end_uncaught(mut self, exec: &str) {
        self.end_token(exec, false);
        self.run();
    }

    /// Variables were changed from outside (the variables API): conditional events
    /// are evaluated.
    pub(crate) fn variables_changed(mut self) {
        self.run();
    }

    /// Cancels the whole instance.
    pub(crate) fn cancel(mut self, state: EndState, reason: Option<String>) {
        self.cancel_reason.clone_from(&reason);
        let root = self.inst.id.clone();
        let children: Vec<String> = self.inst.children(&root).map(|e| e.id.clone()).collect();
        for child in children {
            self.cancel_exec(&child);
        }
        self.end_instance(state, None, reason);
    }

    // ----- the loop and the execution tree -----

    fn run(&mut self) {
        loop {
            while let Some(step) = self.queue.pop_front() {
                match step {
                    Step::Enter { scope, node } => self.enter(&scope, node),
                    Step::Execute { exec } => self.execute(&exec),
                    Step::Resume { exec } => self.resume(&exec),
                    Step::Consumed { scope } => self.consumed(&scope),
                }
            }
            // Tokens resting elsewhere may have made an inclusive join ready, and
            // changed variables may have made a condition true.
            if !self.recheck_inclusive_joins() && !self.check_conditions() {
                break;
            }
        }
    }

    fn node(&self, id: NodeId) -> &Node {
        self.inst.graph.process.node(id)
    }

    fn node_of(&self, exec: &str) -> Option<NodeId> {
        let e = self.inst.exec(exec)?;
        self.inst.graph.node_id(&e.activity)
    }

    fn new_exec(&mut self, parent: &str, node: NodeId, kind: ExecKind) -> String {
        let id = self.inst.ids.next();
        let n = self.node(node);
        let var_scope = kind != ExecKind::Activity
            || !n.input_output.is_empty()
            || matches!(n.kind, NodeKind::SubProcess(_));
        let activity = n.id.clone();
        self.inst.execs.push(Exec {
            id: id.clone(),
            parent: Some(parent.to_owned()),
            activity,
            kind,
            wait: Wait::None,
            var_scope,
            armed: false,
            conditions: Vec::new(),
        });
        id
    }

    fn history_start(&mut self, exec: &str) {
        let Some(e) = self.inst.exec(exec) else {
            return;
        };
        let parent = e
            .parent
            .as_deref()
            .and_then(|p| self.inst.exec(p))
            .map_or_else(|| self.inst.id.clone(), Exec::activity_instance_id);
        let activity_type = match e.kind {
            ExecKind::MiBody => "multiInstanceBody",
            _ => self
                .inst
                .graph
                .node_id(&e.activity)
                .map_or("unknown", |n| activity_type(self.node(n))),
        };
        // Camunda names a multi-instance body after its activity: `task#multiInstanceBody`.
        let activity_id = match e.kind {
            ExecKind::MiBody => format!("{}#multiInstanceBody", e.activity),
            _ => e.activity.clone(),
        };
        let event = HistoryEvent::ActivityStart {
            id: e.activity_instance_id(),
            parent,
            activity_id,
            exec: e.id.clone(),
            activity_type,
        };
        self.fx.push(Effect::History(event));
    }

    fn history_end(&mut self, exec: &str, canceled: bool, complete_scope: bool) {
        if let Some(e) = self.inst.exec(exec) {
            let id = e.activity_instance_id();
            self.fx.push(Effect::History(HistoryEvent::ActivityEnd {
                id,
                canceled,
                complete_scope,
            }));
        }
    }

    /// Removes an execution that has ended, with its local variables.
    fn remove_exec(&mut self, exec: &str) {
        if self.inst.exec(exec).is_some_and(|e| e.var_scope) {
            self.inst.drop_scope_vars(exec);
        }
        self.disarm(exec);
        self.inst.execs.retain(|e| e.id != exec);
    }

    fn fail(&mut self, exec: &str, message: String) {
        self.incident(exec, "failedJob", message);
    }

    /// Parks `exec` with an incident of type `kind` saying `message`.
    fn incident(&mut self, exec: &str, kind: &'static str, message: String) {
        let id = self.inst.ids.next();
        let activity_id = self
            .inst
            .exec(exec)
            .map(|e| e.activity.clone())
            .unwrap_or_default();
        if let Some(e) = self.inst.exec_mut(exec) {
            e.wait = Wait::Failed(id.clone());
        }
        self.fx.push(Effect::Incident(IncidentSpec {
            id,
            kind,
            message,
            exec: exec.to_owned(),
            activity_id,
        }));
    }

    // ----- arriving at an element -----

    fn enter(&mut self, scope: &str, node: NodeId) {
        if self.inst.exec(scope).is_none() {
            return; // the scope was cancelled meanwhile
        }
        let n = self.node(node);
        if let Some(LoopCharacteristics::MultiInstance(mi)) = &n.loop_characteristics {
            let mi = mi.clone();
            self.mi_start(scope, node, &mi);
            return;
        }
        if let NodeKind::Gateway(g) = &n.kind {
            if matches!(g.kind, GatewayKind::Parallel | GatewayKind::Inclusive)
                && n.incoming.len() > 1
            {
                // As in Camunda, every arriving token is an activity instance of
                // the join; all but the last end when it fires.
                let exec = self.new_exec(scope, node, ExecKind::Activity);
                if let Some(e) = self.inst.exec_mut(&exec) {
                    e.wait = Wait::Join;
                }
                self.history_start(&exec);
                self.try_join(scope, node);
                return;
            }
        }
        let exec = self.new_exec(scope, node, ExecKind::Activity);
        self.execute(&exec);
    }

    /// Runs the activity of an existing execution: history, input mappings, behaviour.
    fn execute(&mut self, exec: &str) {
        let Some(node) = self.node_of(exec) else {
            return;
        };
        if self.parks_before(exec, node) {
            return;
        }
        self.execute_now(exec, node);
    }

    /// Runs the activity of `exec` at `node` now, past any asynchronous
    /// continuation before it.
    fn execute_now(&mut self, exec: &str, node: NodeId) {
        self.history_start(exec);
        let is_activity = self
            .inst
            .exec(exec)
            .is_some_and(|e| e.kind == ExecKind::Activity);
        let result = if is_activity {
            self.arm_boundaries(exec, node)
                .map_err(Stop::Failed)
                .and_then(|()| self.execute_inner(exec, node))
        } else {
            self.execute_inner(exec, node)
        };
        if let Err(stop) = result {
            self.stop(exec, stop);
        }
    }

    /// Runs the activity of an execution whose history already started.
    fn resume(&mut self, exec: &str) {
        let Some(node) = self.node_of(exec) else {
            return;
        };
        if let Err(stop) = self.execute_inner(exec, node) {
            self.stop(exec, stop);
        }
    }

    /// Parks `exec` with the incident `stop` calls for.
    fn stop(&mut self, exec: &str, stop: Stop) {
        match stop {
            Stop::Failed(message) => self.fail(exec, message),
            Stop::Unsupported(message) => self.incident(exec, UNSUPPORTED_INCIDENT, message),
        }
    }

    /// Runs the behaviour of the element at `node` for `exec`: its input mappings,
    /// then what its family does (`activities`, `events`, `gateways`,
    /// `subprocess`).
    fn execute_inner(&mut self, exec: &str, node: NodeId) -> Result<(), Stop> {
        let graph = self.inst.graph.clone();
        let n = graph.process.node(node);
        for param in &n.input_output.inputs {
            let value = self.param_value(exec, &param.value)?;
            self.inst.put(exec, &param.name, value);
        }
        match &n.kind {
            NodeKind::StartEvent(_) | NodeKind::BoundaryEvent(_) => {
                self.complete_activity(exec);
                Ok(())
            }
            NodeKind::EndEvent(end) => self.end_event(exec, n, end.event.as_ref()),
            NodeKind::Task(task) => self.task(exec, n, task),
            NodeKind::Gateway(g) => self.gateway(exec, n, g),
            NodeKind::SubProcess(_) => Ok(self.subprocess(exec, node)?),
            NodeKind::CallActivity(call) => Ok(self.call_activity(exec, n, call)?),
            NodeKind::IntermediateThrowEvent(t) => self.throw_event(exec, n, t.event.as_ref()),
            NodeKind::IntermediateCatchEvent(def) => Ok(self.catch_event(exec, node, def)?),
        }
    }

    // ----- leaving an element -----

    /// The activity of `exec` completed normally: output mappings, then onwards.
    fn complete_activity(&mut self, exec: &str) {
        let Some(e) = self.inst.exec(exec) else {
            return;
        };
        if e.kind == ExecKind::MiInner {
            self.mi_inner_done(exec);
            return;
        }
        let Some(node) = self.node_of(exec) else {
            return;
        };
        let graph = self.inst.graph.clone();
        let n = graph.process.node(node);
        if let Err(message) = self.outputs(exec, n) {
            self.fail(exec, message);
            return;
        }
        let is_gateway = matches!(n.kind, NodeKind::Gateway(_));
        if is_gateway {
            // Gateways choose their flows in `execute_inner`.
            return;
        }
        if self.parks_after(exec, n) {
            return;
        }
        self.take_flows(exec, n, true);
    }

    /// Leaves the activity of `exec` along the outgoing flows that hold, ending its
    /// activity instance in history unless that happened already (`ended`: false
    /// after an asynchronous continuation).
    fn take_flows(&mut self, exec: &str, n: &Node, end_history: bool) {
        match self.select_flows(exec, n, activity_default(n), false) {
            Ok(flows) => self.leave_as(exec, &flows, end_history),
            Err(message) => self.fail(exec, message),
        }
    }

    fn outputs(&mut self, exec: &str, n: &Node) -> StepResult {
        if n.input_output.outputs.is_empty() {
            return Ok(());
        }
        let parent = self
            .inst
            .exec(exec)
            .and_then(|e| e.parent.clone())
            .unwrap_or_else(|| self.inst.id.clone());
        let mut values = Vec::new();
        for param in &n.input_output.outputs {
            values.push((param.name.clone(), self.param_value(exec, &param.value)?));
        }
        for (name, value) in values {
            self.inst.set_variable(&parent, &name, value);
        }
        Ok(())
    }

    /// Ends `exec` and sends tokens along `flows` in its scope.
    fn leave(&mut self, exec: &str, flows: &[FlowId]) {
        self.leave_as(exec, flows, true);
    }

    /// [`Run::leave`], ending the activity instance in history only with
    /// `end_history`.
    fn leave_as(&mut self, exec: &str, flows: &[FlowId], end_history: bool) {
        let Some(scope) = self.inst.exec(exec).and_then(|e| e.parent.clone()) else {
            return;
        };
        if end_history {
            self.history_end(exec, false, false);
        }
        self.remove_exec(exec);
        if flows.is_empty() {
            self.queue.push_back(Step::Consumed { scope });
            return;
        }
        for flow in flows {
            let target = self.inst.graph.process.flow(*flow).target;
            self.queue.push_back(Step::Enter {
                scope: scope.clone(),
                node: target,
            });
        }
    }

    /// A token ends at `exec` (an end event, or an uncaught error).
    fn end_token(&mut self, exec: &str, complete_scope: bool) {
        let Some(scope) = self.inst.exec(exec).and_then(|e| e.parent.clone()) else {
            return;
        };
        self.history_end(exec, false, complete_scope);
        self.remove_exec(exec);
        self.queue.push_back(Step::Consumed { scope });
    }

    /// A token left `scope`: when nothing is left in it, the scope completes.
    fn consumed(&mut self, scope: &str) {
        let Some(e) = self.inst.exec(scope) else {
            return;
        };
        if self.inst.children(scope).next().is_some() {
            return;
        }
        match e.kind {
            ExecKind::Root => {
                let end = self.last_end_activity();
                self.end_instance(EndState::Completed, end, None);
            }
            ExecKind::Activity | ExecKind::MiInner => self.complete_activity(scope),
            // A body completes through its instances, never by running empty.
            ExecKind::MiBody => {}
        }
    }

    fn last_end_activity(&self) -> Option<String> {
        self.fx.iter().rev().find_map(|f| match f {
            Effect::History(HistoryEvent::ActivityEnd {
                id,
                complete_scope: true,
                ..
            }) => id.split(':').next().map(str::to_owned),
            _ => None,
        })
    }

    fn end_instance(
        &mut self,
        state: EndState,
        end_activity: Option<String>,
        reason: Option<String>,
    ) {
        // The instance's own variables stay readable until the command ends: the
        // calling instance's `camunda:out` mappings read them. Writing back an ended
        // instance removes them all.
        let armed: Vec<String> = self
            .inst
            .execs
            .iter()
            .filter(|e| e.armed)
            .map(|e| e.id.clone())
            .collect();
        for exec in armed {
            self.fx.push(Effect::Disarm(exec));
        }
        self.inst.execs.clear();
        self.inst.ended = Some(state);
        self.fx.push(Effect::History(HistoryEvent::ProcessEnd {
            state,
            end_activity,
            reason,
        }));
        self.fx.push(Effect::Ended);
    }

    /// A terminate end event: everything else in its scope is cancelled and the scope
    /// completes.
    fn terminate(&mut self, exec: &str) {
        let Some(scope) = self.inst.exec(exec).and_then(|e| e.parent.clone()) else {
            return;
        };
        self.history_end(exec, false, true);
        self.remove_exec(exec);
        let others: Vec<String> = self.inst.children(&scope).map(|e| e.id.clone()).collect();
        for other in others {
            self.cancel_exec(&other);
        }
        self.queue.push_back(Step::Consumed { scope });
    }

    /// Cancels `exec` and everything below it: tasks, called instances, incidents.
    fn cancel_exec(&mut self, exec: &str) {
        let children: Vec<String> = self.inst.children(exec).map(|e| e.id.clone()).collect();
        for child in children {
            self.cancel_exec(&child);
        }
        let Some(e) = self.inst.exec(exec) else {
            return;
        };
        match e.wait.clone() {
            Wait::ExternalTask(task) => self.fx.push(Effect::DeleteTask(task)),
            Wait::UserTask(task) => self.fx.push(Effect::DeleteUserTask {
                id: task,
                reason: self
                    .cancel_reason
                    .clone()
                    .unwrap_or_else(|| "deleted".to_owned()),
            }),
            Wait::Child(child) => self.fx.push(Effect::CancelChild(child)),
            Wait::Failed(incident) => self.fx.push(Effect::DeleteIncident(incident)),
            // An asynchronous continuation's job goes with the execution's other
            // armed rows (`Effect::Disarm`).
            Wait::None | Wait::Join | Wait::ErrorPending | Wait::Event | Wait::Async { .. } => {}
        }
        self.history_end(exec, true, false);
        self.remove_exec(exec);
    }
}

fn activity_default(n: &Node) -> Option<FlowId> {
    n.default_flow
}

fn unsupported(n: &Node, what: &str) -> String {
    format!(
        "Baton cannot run the {what} of '{}' yet, so the token waits here (`baton validate` \
         warns about such elements before they are deployed)",
        n.id
    )
}

/// Camunda's activity type name for history.
pub(crate) fn activity_type(n: &Node) -> &'static str {
    match &n.kind {
        NodeKind::StartEvent(s) => match &s.event {
            None => "startEvent",
            Some(EventDefinition::Message(_)) => "messageStartEvent",
            Some(EventDefinition::Timer(_)) => "startTimerEvent",
            Some(EventDefinition::Signal(_)) => "signalStartEvent",
            Some(EventDefinition::Error(_)) => "errorStartEvent",
            Some(_) => "startEvent",
        },
        NodeKind::EndEvent(e) => match &e.event {
            None => "noneEndEvent",
            Some(EventDefinition::Terminate) => "terminateEndEvent",
            Some(EventDefinition::Error(_)) => "errorEndEvent",
            Some(_) => "endEvent",
        },
        NodeKind::BoundaryEvent(b) => match &b.event {
            EventDefinition::Error(_) => "boundaryError",
            EventDefinition::Timer(_) => "boundaryTimer",
            EventDefinition::Message(_) => "boundaryMessage",
            EventDefinition::Signal(_) => "boundarySignal",
            _ => "boundaryEvent",
        },
        NodeKind::IntermediateCatchEvent(_) => "intermediateCatchEvent",
        NodeKind::IntermediateThrowEvent(t) => match &t.event {
            None => "intermediateNoneThrowEvent",
            Some(_) => "intermediateThrowEvent",
        },
        NodeKind::Task(t) => t.kind.element_name(),
        NodeKind::SubProcess(_) => "subProcess",
        NodeKind::CallActivity(_) => "callActivity",
        NodeKind::Gateway(g) => g.kind.element_name(),
    }
}
