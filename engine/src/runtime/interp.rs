//! Token movement: what each kind of element does when a token reaches it,
//! completes it, or throws an error through it.

use std::collections::VecDeque;

use baton_bpmn::model::{
    CalledElementBinding, EventDefinition, FlowId, GatewayKind, Implementation,
    LoopCharacteristics, MappingSource, MultiInstance, Node, NodeId, NodeKind, ParameterValue,
    TaskKind, Timer, UserTask, VariableMapping,
};

use super::state::{EndState, Exec, ExecKind, Instance, Wait};
use super::{
    Binding, Catcher, CatcherKind, ChildSpec, Effect, HistoryEvent, IncidentSpec,
    MAX_CONDITION_ROUNDS, TaskSpec, UserTaskSpec,
};
use crate::expr::{self, EvalError, Scope};
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

    // ----- the loop -----

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
        let id = crate::new_id();
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
        let id = crate::new_id();
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
            }
            NodeKind::EndEvent(end) => match &end.event {
                Some(EventDefinition::Terminate) => self.terminate(exec),
                Some(EventDefinition::Error(def)) => {
                    let code = def
                        .error
                        .as_ref()
                        .and_then(|e| e.error_code.clone())
                        .unwrap_or_default();
                    let message = def.error.as_ref().and_then(|e| e.error_message.clone());
                    self.throw(exec, &code, message.as_deref());
                }
                None => self.end_token(exec, true),
                Some(EventDefinition::Signal(def)) => {
                    let name = self.signal_name(exec, n, def)?;
                    self.fx.push(Effect::Broadcast { name });
                    self.end_token(exec, true);
                }
                Some(EventDefinition::Escalation(def)) => {
                    if self.escalate(exec, def) {
                        self.end_token(exec, true);
                    }
                }
                Some(EventDefinition::Message(def)) => match &def.implementation {
                    Implementation::External { topic, priority } => {
                        // Completing its external task ends the token.
                        self.external_task(exec, n, topic.as_str(), priority.as_ref())?;
                    }
                    _ => self.end_token(exec, true),
                },
                Some(other) => return Err(Stop::Unsupported(unsupported(n, other.name()))),
            },
            NodeKind::Task(task) => match (&task.kind, &task.implementation) {
                (_, Implementation::External { topic, priority }) => {
                    self.external_task(exec, n, topic.as_str(), priority.as_ref())?;
                }
                (
                    _,
                    Implementation::Expression {
                        expression,
                        result_variable,
                    },
                ) => {
                    let value = self.eval(exec, expression.as_str())?;
                    if let Some(name) = result_variable {
                        self.inst.set_variable(exec, name, value);
                    }
                    self.complete_activity(exec);
                }
                (
                    TaskKind::Abstract
                    | TaskKind::Manual
                    | TaskKind::Service
                    | TaskKind::Send
                    | TaskKind::BusinessRule,
                    Implementation::None,
                ) => self.complete_activity(exec),
                (TaskKind::User(user), Implementation::None) => self.user_task(exec, n, user)?,
                (TaskKind::Receive(message), _) => {
                    let name = self.message_name(exec, n, message.as_ref())?;
                    self.arm(exec, &n.id, CatcherKind::Message(name));
                    if let Some(e) = self.inst.exec_mut(exec) {
                        e.wait = Wait::Event;
                    }
                }
                (kind, _) => return Err(Stop::Unsupported(unsupported(n, kind.element_name()))),
            },
            NodeKind::Gateway(g) => {
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
            }
            NodeKind::SubProcess(_) => {
                self.arm_event_subprocesses(exec, Some(node))?;
                let start = n.children.iter().copied().find(|c| {
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
            }
            NodeKind::CallActivity(call) => {
                let key = match &call.called_element {
                    Some(e) => self.eval_string(exec, e.as_str())?,
                    None => {
                        return Err(format!("call activity '{}' names no process", n.id).into());
                    }
                };
                let binding = match &call.binding {
                    CalledElementBinding::Latest => Binding::Latest,
                    CalledElementBinding::Deployment => {
                        Binding::Deployment(graph.deployment_id.clone())
                    }
                    CalledElementBinding::Version(v) => Binding::Version(self.eval_integer(
                        exec,
                        v.as_str(),
                        "camunda:calledElementVersion",
                    )?),
                    CalledElementBinding::VersionTag(t) => {
                        Binding::VersionTag(self.eval_string(exec, t.as_str())?)
                    }
                };
                let mut variables = Vec::new();
                for mapping in &call.inputs {
                    self.map_variables(exec, mapping, &mut variables)?;
                }
                let business_key = match &call.business_key {
                    Some(e) => match self.eval(exec, e.as_str())? {
                        Value::Null => None,
                        v => Some(v.to_string()),
                    },
                    None => None,
                };
                let id = crate::new_id();
                if let Some(e) = self.inst.exec_mut(exec) {
                    e.wait = Wait::Child(id.clone());
                }
                let activity_instance_id = self
                    .inst
                    .exec(exec)
                    .map(Exec::activity_instance_id)
                    .unwrap_or_default();
                self.fx.push(Effect::History(HistoryEvent::ActivityCalled {
                    id: activity_instance_id,
                    called: id.clone(),
                }));
                self.fx.push(Effect::StartChild(ChildSpec {
                    id,
                    exec: exec.to_owned(),
                    key,
                    binding,
                    business_key,
                    variables,
                }));
            }
            NodeKind::IntermediateThrowEvent(t) => match &t.event {
                None => self.complete_activity(exec),
                Some(EventDefinition::Signal(def)) => {
                    let name = self.signal_name(exec, n, def)?;
                    self.fx.push(Effect::Broadcast { name });
                    self.complete_activity(exec);
                }
                Some(EventDefinition::Link(name)) => {
                    // Jump to the catching link event of the same name in this scope.
                    let parent = n.parent;
                    let target = graph.process.children(parent).find(|&c| {
                        matches!(&graph.process.node(c).kind,
                            NodeKind::IntermediateCatchEvent(EventDefinition::Link(l)) if l == name)
                    });
                    let Some(target) = target else {
                        return Err(format!(
                            "no catching link event named '{}' for '{}'",
                            name.as_deref().unwrap_or(""),
                            n.id
                        )
                        .into());
                    };
                    let Some(scope) = self.inst.exec(exec).and_then(|e| e.parent.clone()) else {
                        return Ok(());
                    };
                    self.history_end(exec, false, false);
                    self.remove_exec(exec);
                    self.queue.push_back(Step::Enter {
                        scope,
                        node: target,
                    });
                }
                Some(EventDefinition::Message(def)) => match &def.implementation {
                    Implementation::External { topic, priority } => {
                        self.external_task(exec, n, topic.as_str(), priority.as_ref())?;
                    }
                    _ => self.complete_activity(exec),
                },
                Some(EventDefinition::Escalation(def)) => {
                    if self.escalate(exec, def) {
                        self.complete_activity(exec);
                    }
                }
                Some(other) => return Err(Stop::Unsupported(unsupported(n, other.name()))),
            },
            NodeKind::IntermediateCatchEvent(EventDefinition::Link(_)) => {
                self.complete_activity(exec);
            }
            NodeKind::IntermediateCatchEvent(def) => {
                if let Some(e) = self.inst.exec_mut(exec) {
                    e.wait = Wait::Event;
                }
                self.arm_event(exec, node, def)?;
            }
        }
        Ok(())
    }

    /// Adds the variables one `camunda:in` mapping passes to a called instance.
    fn map_variables(
        &self,
        exec: &str,
        mapping: &VariableMapping,
        out: &mut Vec<(String, Value)>,
    ) -> StepResult {
        match mapping {
            VariableMapping::All { local } => {
                let vars = if *local {
                    self.inst.local_variables(exec)
                } else {
                    self.inst.visible_variables(exec)
                };
                for (name, value) in vars {
                    push_var(out, name, value);
                }
            }
            VariableMapping::One { source, target, .. } => {
                let value = match source {
                    MappingSource::Variable(name) => self
                        .inst
                        .variable(exec, name)
                        .cloned()
                        .unwrap_or(Value::Null),
                    MappingSource::Expression(e) => self.eval(exec, e.as_str())?,
                };
                push_var(out, target.clone(), value);
            }
        }
        Ok(())
    }

    /// Creates the external task of `n` for `exec`, which waits for it.
    fn external_task(
        &mut self,
        exec: &str,
        n: &Node,
        topic: &str,
        priority: Option<&baton_bpmn::model::Expression>,
    ) -> StepResult {
        let graph = self.inst.graph.clone();
        let topic = self.eval_string(exec, topic)?;
        let priority = match priority.or(graph.process.task_priority.as_ref()) {
            Some(p) => self.eval_integer(exec, p.as_str(), "camunda:taskPriority")?,
            None => 0,
        };
        let id = crate::new_id();
        if let Some(e) = self.inst.exec_mut(exec) {
            e.wait = Wait::ExternalTask(id.clone());
        }
        let e = self.inst.exec(exec).ok_or("execution vanished")?;
        let activity_instance_id = e.activity_instance_id();
        self.fx.push(Effect::History(HistoryEvent::ActivityTask {
            id: activity_instance_id.clone(),
            task: id.clone(),
        }));
        self.fx.push(Effect::CreateTask(TaskSpec {
            id,
            exec: exec.to_owned(),
            activity_instance_id,
            activity_id: n.id.clone(),
            topic,
            priority,
        }));
        Ok(())
    }

    /// Creates the user task of `n` for `exec`, which waits for it: its name,
    /// description, people, dates, priority and form, evaluated as Camunda's
    /// `TaskDecorator` evaluates them.
    fn user_task(&mut self, exec: &str, n: &Node, user: &UserTask) -> StepResult {
        let text = |this: &Self, e: Option<&str>| -> StepResult<Option<String>> {
            match e {
                None => Ok(None),
                Some(e) => Ok(match this.eval(exec, e)? {
                    Value::Null => None,
                    v => Some(v.to_string()),
                }),
            }
        };
        let name = text(self, n.name.as_deref())?;
        let description = text(self, n.documentation.as_deref())?;
        let assignee = text(self, user.assignee.as_ref().map(|e| e.as_str()))?;
        let mut candidate_users = Vec::new();
        for e in &user.candidate_users {
            let value = self.eval(exec, e.as_str())?;
            people(value, "camunda:candidateUsers", &mut candidate_users)?;
        }
        let mut candidate_groups = Vec::new();
        for e in &user.candidate_groups {
            let value = self.eval(exec, e.as_str())?;
            people(value, "camunda:candidateGroups", &mut candidate_groups)?;
        }
        let due = match &user.due_date {
            Some(e) => due_date(self.eval(exec, e.as_str())?, self.now, "camunda:dueDate")?,
            None => None,
        };
        let follow_up = match &user.follow_up_date {
            Some(e) => due_date(
                self.eval(exec, e.as_str())?,
                self.now,
                "camunda:followUpDate",
            )?,
            None => None,
        };
        let priority = match &user.priority {
            Some(p) => self.eval_integer(exec, p.as_str(), "camunda:priority")?,
            None => 50,
        };
        let form_key = text(self, user.form_key.as_ref().map(|e| e.as_str()))?;
        let form_ref = match &user.form_ref {
            Some(key) => {
                let key = self.eval_string(exec, key)?;
                let binding = user
                    .form_ref_binding
                    .clone()
                    .unwrap_or_else(|| "latest".to_owned());
                let version = match &user.form_ref_version {
                    Some(v) => Some(self.eval_integer(exec, v, "camunda:formRefVersion")?),
                    None => None,
                };
                Some((key, binding, version))
            }
            None => None,
        };
        let id = crate::new_id();
        if let Some(e) = self.inst.exec_mut(exec) {
            e.wait = Wait::UserTask(id.clone());
            // The task's local variables are this execution's, and end with it.
            e.var_scope = true;
        }
        let e = self.inst.exec(exec).ok_or("execution vanished")?;
        let activity_instance_id = e.activity_instance_id();
        self.fx.push(Effect::History(HistoryEvent::ActivityTask {
            id: activity_instance_id.clone(),
            task: id.clone(),
        }));
        self.fx.push(Effect::CreateUserTask(Box::new(UserTaskSpec {
            id,
            exec: exec.to_owned(),
            activity_instance_id,
            activity_id: n.id.clone(),
            name,
            description,
            assignee,
            candidate_users,
            candidate_groups,
            due,
            follow_up,
            priority,
            form_key,
            form_ref,
        })));
        Ok(())
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
        match self.select_flows(exec, n, activity_default(n), false) {
            Ok(flows) => self.leave(exec, &flows),
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
        let Some(scope) = self.inst.exec(exec).and_then(|e| e.parent.clone()) else {
            return;
        };
        self.history_end(exec, false, false);
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

    /// The outgoing flows to take: those whose condition holds (a flow without one
    /// always holds), in document order, or the default flow when none holds. With
    /// `first`, only the first holding flow is evaluated (exclusive gateways).
    fn select_flows(
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
            Wait::None | Wait::Join | Wait::ErrorPending | Wait::Event => {}
        }
        self.history_end(exec, true, false);
        self.remove_exec(exec);
    }

    // ----- events -----

    /// Asks the command layer to wait for `kind` on behalf of `exec`, firing
    /// `activity_id`.
    fn arm(&mut self, exec: &str, activity_id: &str, kind: CatcherKind) {
        if let Some(e) = self.inst.exec_mut(exec) {
            e.armed = true;
        }
        self.fx.push(Effect::Arm(Catcher {
            exec: exec.to_owned(),
            activity_id: activity_id.to_owned(),
            kind,
        }));
    }

    /// Arms `exec` for the event `def` of element `catch`.
    fn arm_event(&mut self, exec: &str, catch: NodeId, def: &EventDefinition) -> StepResult {
        let graph = self.inst.graph.clone();
        let n = graph.process.node(catch);
        match def {
            EventDefinition::Message(m) => {
                let name = self.message_name(exec, n, m.message.as_ref())?;
                self.arm(exec, &n.id, CatcherKind::Message(name));
            }
            EventDefinition::Signal(def) => {
                let name = self.signal_name(exec, n, def)?;
                self.arm(exec, &n.id, CatcherKind::Signal(name));
            }
            EventDefinition::Timer(timer) => {
                let kind = self.timer_catcher(exec, n, timer)?;
                self.arm(exec, &n.id, kind);
            }
            EventDefinition::Conditional(_) => {
                if let Some(e) = self.inst.exec_mut(exec) {
                    e.conditions.push(n.id.clone());
                }
                // Camunda evaluates a condition when its scope starts, too.
                self.conditions_armed = true;
            }
            // Errors (and escalations, compensation) are caught, not waited for.
            _ => {}
        }
        Ok(())
    }

    /// Arms the boundary events of the activity `exec` is at (other than errors).
    fn arm_boundaries(&mut self, exec: &str, node: NodeId) -> StepResult {
        let graph = self.inst.graph.clone();
        for &b in &graph.process.node(node).boundary_events {
            if let NodeKind::BoundaryEvent(be) = &graph.process.node(b).kind {
                self.arm_event(exec, b, &be.event)?;
            }
        }
        Ok(())
    }

    /// Arms the start events of the event subprocesses directly inside `scope`
    /// (the subprocess `scope_node`, or the process for `None`), owned by the scope's
    /// execution `exec`.
    fn arm_event_subprocesses(&mut self, exec: &str, scope_node: Option<NodeId>) -> StepResult {
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

    /// Removes what `exec` waits for, outside the instance and in it.
    fn disarm(&mut self, exec: &str) {
        let Some(e) = self.inst.exec_mut(exec) else {
            return;
        };
        e.conditions.clear();
        if std::mem::take(&mut e.armed) {
            self.fx.push(Effect::Disarm(exec.to_owned()));
        }
    }

    /// The catcher of `activity_id` that `owner` holds fired.
    fn fire_catcher(&mut self, owner: &str, activity_id: &str) {
        let graph = self.inst.graph.clone();
        let Some(node) = graph.node_id(activity_id) else {
            return;
        };
        let Some(owner_exec) = self.inst.exec(owner) else {
            return; // it ended meanwhile
        };
        let owner_activity = owner_exec.activity.clone();
        let scope = owner_exec.parent.clone();
        let n = graph.process.node(node);
        match &n.kind {
            NodeKind::BoundaryEvent(b) => {
                let Some(scope) = scope else {
                    return;
                };
                if b.cancel_activity {
                    self.cancel_exec(owner);
                }
                let e = self.new_exec(&scope, node, ExecKind::Activity);
                self.history_start(&e);
                self.complete_activity(&e);
            }
            NodeKind::StartEvent(start) => {
                // The start event of an event subprocess; `owner` is its scope.
                let Some(sub) = n.parent else {
                    return;
                };
                if start.is_interrupting {
                    let children: Vec<String> =
                        self.inst.children(owner).map(|e| e.id.clone()).collect();
                    for child in children {
                        self.cancel_exec(&child);
                    }
                    self.disarm(owner);
                }
                let sub_exec = self.new_exec(owner, sub, ExecKind::Activity);
                self.history_start(&sub_exec);
                if let Err(message) = self.arm_event_subprocesses(&sub_exec, Some(sub)) {
                    self.fail(&sub_exec, message);
                    return;
                }
                let e = self.new_exec(&sub_exec, node, ExecKind::Activity);
                self.history_start(&e);
                self.complete_activity(&e);
            }
            _ if owner_activity == n.id => {
                // An intermediate catch event or a receive task, waiting itself.
                self.disarm(owner);
                if let Some(e) = self.inst.exec_mut(owner) {
                    e.wait = Wait::None;
                }
                self.complete_activity(owner);
            }
            _ => {
                // An event after the event-based gateway `owner`: the gateway ends,
                // the event that came first happens, the others are disarmed.
                let Some(scope) = scope else {
                    return;
                };
                self.history_end(owner, false, false);
                self.remove_exec(owner);
                let e = self.new_exec(&scope, node, ExecKind::Activity);
                self.history_start(&e);
                self.complete_activity(&e);
            }
        }
    }

    /// Evaluates the conditional events when variables changed (or new ones were
    /// armed), firing those whose condition holds; whether any fired.
    fn check_conditions(&mut self) -> bool {
        if !self.conditions_armed && self.inst.var_writes == self.inst.conditions_seen {
            return false;
        }
        self.conditions_armed = false;
        self.inst.conditions_seen = self.inst.var_writes;
        self.condition_rounds += 1;
        let owners: Vec<(String, Vec<String>)> = self
            .inst
            .execs
            .iter()
            .filter(|e| !e.conditions.is_empty())
            .map(|e| (e.id.clone(), e.conditions.clone()))
            .collect();
        if owners.is_empty() {
            return false;
        }
        let graph = self.inst.graph.clone();
        let mut fired = false;
        for (owner, catchers) in owners {
            for activity_id in catchers {
                let still = self
                    .inst
                    .exec(&owner)
                    .is_some_and(|e| e.conditions.contains(&activity_id));
                let Some(node) = graph.node_id(&activity_id).filter(|_| still) else {
                    continue;
                };
                let Some(condition) = condition_of(graph.process.node(node)) else {
                    continue;
                };
                if self.condition_rounds > MAX_CONDITION_ROUNDS {
                    self.fail(
                        &owner,
                        format!(
                            "the condition of '{activity_id}' kept firing: more than \
                             {MAX_CONDITION_ROUNDS} rounds of conditional events in one step"
                        ),
                    );
                    return false;
                }
                let holds = self
                    .eval(&owner, condition)
                    .and_then(|v| expr::as_bool(&v).map_err(|e| e.0));
                match holds {
                    Ok(true) => {
                        self.fire_catcher(&owner, &activity_id);
                        fired = true;
                    }
                    Ok(false) => {}
                    // A variable it names does not exist yet: false until one changes.
                    Err(message) if expr::is_unresolved(&message) => {}
                    Err(message) => {
                        let message = format!("condition of '{activity_id}': {message}");
                        self.disarm(&owner);
                        self.fail(&owner, message);
                        fired = true;
                    }
                }
            }
        }
        fired
    }

    /// The evaluated name of the message `n` waits for.
    fn message_name(
        &self,
        exec: &str,
        n: &Node,
        message: Option<&baton_bpmn::model::Message>,
    ) -> StepResult<String> {
        match message.and_then(|m| m.name.as_deref()) {
            Some(name) => self.eval_string(exec, name),
            None => Err(format!("'{}' names no message to wait for", n.id)),
        }
    }

    /// The evaluated name of the signal of `n`.
    fn signal_name(
        &self,
        exec: &str,
        n: &Node,
        def: &baton_bpmn::model::SignalEventDefinition,
    ) -> StepResult<String> {
        match def.signal.as_ref().and_then(|s| s.name.as_deref()) {
            Some(name) => self.eval_string(exec, name),
            None => Err(format!("'{}' names no signal", n.id)),
        }
    }

    /// The timer job of a timer event: its value evaluated and its first due time.
    fn timer_catcher(&self, exec: &str, n: &Node, timer: &Timer) -> StepResult<CatcherKind> {
        let (kind, source, timer_kind) = match timer {
            Timer::Date(e) => ("date", e, crate::timer::TimerKind::Date),
            Timer::Duration(e) => ("duration", e, crate::timer::TimerKind::Duration),
            Timer::Cycle(e) => ("cycle", e, crate::timer::TimerKind::Cycle),
        };
        let text = match self.eval(exec, source.as_str())? {
            Value::Date(ms) => crate::date::format(ms),
            other => other.to_string(),
        };
        let schedule = crate::timer::parse(timer_kind, &text)
            .map_err(|e| format!("timer of '{}': {e}", n.id))?;
        let due = schedule
            .first(self.now)
            .ok_or_else(|| format!("timer of '{}' ('{text}') never falls due", n.id))?;
        Ok(CatcherKind::Timer {
            kind,
            text,
            due,
            retry_cycle: n.failed_job_retry_time_cycle.clone(),
        })
    }

    // ----- joins -----

    fn try_join(&mut self, scope: &str, node: NodeId) -> bool {
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
    /// reach it.
    fn can_still_arrive(&self, scope: &str, node: NodeId) -> bool {
        let graph = &self.inst.graph;
        let target = &graph.process.node(node).id;
        self.inst
            .children(scope)
            .filter(|e| !(e.wait == Wait::Join && &e.activity == target))
            .filter_map(|e| graph.node_id(&e.activity))
            .any(|from| graph.can_reach(from, node))
    }

    fn recheck_inclusive_joins(&mut self) -> bool {
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

    // ----- errors -----

    /// Throws an escalation from `exec`: the nearest enclosing catcher (an escalation
    /// event subprocess of a scope, or a boundary event of an enclosing activity)
    /// takes it. Whether the thrower goes on: yes when nothing caught it or the catch
    /// did not interrupt, as in Camunda.
    fn escalate(&mut self, exec: &str, def: &baton_bpmn::model::EscalationEventDefinition) -> bool {
        let code = def
            .escalation
            .as_ref()
            .and_then(|e| e.escalation_code.clone())
            .unwrap_or_default();
        let Some(found) = find_escalation_catch(self.inst, exec, &code) else {
            return true;
        };
        self.escalate_to(found, code)
    }

    /// Lets `catcher`, held by execution `host`, take escalation `code`; whether the
    /// thrower goes on (the catch did not interrupt it).
    fn escalate_to(&mut self, (host, catcher): (String, NodeId), code: String) -> bool {
        let graph = self.inst.graph.clone();
        let n = graph.process.node(catcher);
        let (interrupting, code_variable) = match &n.kind {
            NodeKind::BoundaryEvent(b) => (
                b.cancel_activity,
                match &b.event {
                    EventDefinition::Escalation(d) => d.escalation_code_variable.clone(),
                    _ => None,
                },
            ),
            NodeKind::StartEvent(st) => (
                st.is_interrupting,
                match &st.event {
                    Some(EventDefinition::Escalation(d)) => d.escalation_code_variable.clone(),
                    _ => None,
                },
            ),
            _ => (false, None),
        };
        if let Some(name) = code_variable {
            self.inst.set_variable(&host, &name, Value::String(code));
        }
        let id = n.id.clone();
        self.fire_catcher(&host, &id);
        !interrupting
    }

    fn throw(&mut self, exec: &str, code: &str, message: Option<&str>) {
        if let Some((host, boundary)) = find_catch(self.inst, exec, code) {
            self.catch(&host, boundary, code, message);
        } else if self.inst.super_ref.is_some() {
            if let Some(e) = self.inst.exec_mut(exec) {
                e.wait = Wait::ErrorPending;
            }
            self.fx.push(Effect::UncaughtError {
                exec: exec.to_owned(),
                code: code.to_owned(),
                message: message.map(str::to_owned),
            });
        } else {
            tracing::info!(
                instance = %self.inst.id,
                code,
                "a BPMN error found no catching boundary event; the execution ends"
            );
            self.end_token(exec, false);
        }
    }

    fn catch(&mut self, host: &str, boundary: NodeId, code: &str, message: Option<&str>) {
        if let NodeKind::StartEvent(start) = &self.node(boundary).kind {
            // An error event subprocess of the scope `host`: it interrupts the scope.
            let vars = match &start.event {
                Some(EventDefinition::Error(def)) => (
                    def.error_code_variable.clone(),
                    def.error_message_variable.clone(),
                ),
                _ => (None, None),
            };
            if let Some(name) = vars.0 {
                self.inst
                    .set_variable(host, &name, Value::String(code.to_owned()));
            }
            if let Some(name) = vars.1 {
                let value = message.map_or(Value::Null, |m| Value::String(m.to_owned()));
                self.inst.set_variable(host, &name, value);
            }
            let id = self.node(boundary).id.clone();
            self.fire_catcher(host, &id);
            return;
        }
        let Some(scope) = self.inst.exec(host).and_then(|e| e.parent.clone()) else {
            return;
        };
        self.cancel_exec(host);
        let exec = self.new_exec(&scope, boundary, ExecKind::Activity);
        if let NodeKind::BoundaryEvent(b) = &self.node(boundary).kind {
            if let EventDefinition::Error(def) = &b.event {
                let (code_var, message_var) = (
                    def.error_code_variable.clone(),
                    def.error_message_variable.clone(),
                );
                if let Some(name) = code_var {
                    self.inst
                        .set_variable(&exec, &name, Value::String(code.to_owned()));
                }
                if let Some(name) = message_var {
                    let value = message.map_or(Value::Null, |m| Value::String(m.to_owned()));
                    self.inst.set_variable(&exec, &name, value);
                }
            }
        }
        self.queue.push_back(Step::Execute { exec });
    }

    // ----- multi-instance -----

    fn mi_start(&mut self, scope: &str, node: NodeId, mi: &MultiInstance) {
        let body = self.new_exec(scope, node, ExecKind::MiBody);
        self.history_start(&body);
        let armed = self.arm_boundaries(&body, node);
        if let Err(message) = armed.and_then(|()| self.mi_start_inner(&body, node, mi)) {
            self.fail(&body, message);
        }
    }

    fn mi_start_inner(&mut self, body: &str, node: NodeId, mi: &MultiInstance) -> StepResult {
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

    fn mi_collection(&self, exec: &str, source: &str) -> StepResult<Vec<Value>> {
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

    fn mi_new_inner(
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

    fn mi_inner_done(&mut self, inner: &str) {
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

    fn mi_body_done(&mut self, body: &str) {
        let Some(node) = self.node_of(body) else {
            return;
        };
        let graph = self.inst.graph.clone();
        let n = graph.process.node(node);
        match self.select_flows(body, n, activity_default(n), false) {
            Ok(flows) => self.leave(body, &flows),
            Err(message) => self.fail(body, message),
        }
    }

    // ----- expressions -----

    fn scope<'s>(&'s self, exec: &'s str) -> ExecScope<'s> {
        ExecScope {
            inst: self.inst,
            exec,
            now: self.now,
        }
    }

    fn eval(&self, exec: &str, source: &str) -> StepResult<Value> {
        let t = self.inst.graph.template(source)?;
        expr::eval_template(&t, &self.scope(exec)).map_err(|e: EvalError| e.0)
    }

    fn eval_string(&self, exec: &str, source: &str) -> StepResult<String> {
        Ok(self.eval(exec, source)?.to_string())
    }

    fn eval_integer(&self, exec: &str, source: &str, what: &str) -> StepResult<i64> {
        match self.eval(exec, source)? {
            Value::Short(i) => Ok(i64::from(i)),
            Value::Integer(i) => Ok(i64::from(i)),
            Value::Long(i) => Ok(i),
            Value::Double(d) if d.fract() == 0.0 && d.abs() < 9.0e15 => Ok(d as i64),
            Value::String(s) => s
                .trim()
                .parse()
                .map_err(|_| format!("{what} '{s}' is not an integer")),
            other => Err(format!("{what} '{other}' is not an integer")),
        }
    }

    fn param_value(&self, exec: &str, value: &ParameterValue) -> StepResult<Value> {
        Ok(match value {
            ParameterValue::Null => Value::Null,
            ParameterValue::Text(e) => self.eval(exec, e.as_str())?,
            ParameterValue::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    out.push(to_structured(&self.param_value(exec, item)?));
                }
                Value::Json(serde_json::Value::Array(out).to_string())
            }
            ParameterValue::Map(entries) => {
                let mut out = serde_json::Map::new();
                for (key, item) in entries {
                    out.insert(key.clone(), to_structured(&self.param_value(exec, item)?));
                }
                Value::Json(serde_json::Value::Object(out).to_string())
            }
        })
    }
}

/// Finds where an error thrown at `exec` is caught inside `inst`: the execution
/// that holds the catcher (a scope with an error event subprocess, or an activity
/// with an error boundary event), and the catching event. At each level the event
/// subprocesses come before the boundary events, and a catcher naming the error's
/// code before a catch-all one.
pub(crate) fn find_catch(inst: &Instance, exec: &str, code: &str) -> Option<(String, NodeId)> {
    find_catcher(inst, inst.exec(exec), code, |def| match def {
        EventDefinition::Error(d) => Some(d.error.as_ref().and_then(|e| e.error_code.clone())),
        _ => None,
    })
}

/// The catcher of an escalation with `code` thrown at `exec`, as [`find_catch`] finds
/// an error's, except that the thrower's own activity does not catch it.
fn find_escalation_catch(inst: &Instance, exec: &str, code: &str) -> Option<(String, NodeId)> {
    let parent = inst
        .exec(exec)
        .and_then(|e| e.parent.as_deref())
        .and_then(|p| inst.exec(p));
    find_catcher(inst, parent, code, |def| match def {
        EventDefinition::Escalation(d) => Some(
            d.escalation
                .as_ref()
                .and_then(|e| e.escalation_code.clone()),
        ),
        _ => None,
    })
}

/// The catcher of escalation `code` thrown from the activity of `exec` itself: a
/// boundary event on it, else the nearest around it, as Camunda's
/// `EscalationHandler` looks for it.
pub(crate) fn find_task_escalation_catch(
    inst: &Instance,
    exec: &str,
    code: &str,
) -> Option<(String, NodeId)> {
    find_catcher(inst, inst.exec(exec), code, |def| match def {
        EventDefinition::Escalation(d) => Some(
            d.escalation
                .as_ref()
                .and_then(|e| e.escalation_code.clone()),
        ),
        _ => None,
    })
}

/// Walks from `from` outwards to the first execution holding a catcher for `code`.
/// `catches` says whether an event definition catches this kind of event, and with
/// which code (`None` catches every code).
fn find_catcher(
    inst: &Instance,
    from: Option<&Exec>,
    code: &str,
    catches: impl Fn(&EventDefinition) -> Option<Option<String>>,
) -> Option<(String, NodeId)> {
    let graph = &inst.graph;
    let process = &graph.process;
    let pick = |candidates: Vec<(NodeId, Option<String>)>| -> Option<NodeId> {
        candidates
            .iter()
            .find(|(_, c)| c.as_deref() == Some(code))
            .or_else(|| candidates.iter().find(|(_, c)| c.is_none()))
            .map(|(n, _)| *n)
    };
    let mut cur = from;
    while let Some(e) = cur {
        let node = graph.node_id(&e.activity);
        // First the event subprocesses of a scope the event passes through...
        let scope = match (e.kind, node) {
            (ExecKind::Root, _) => Some(None),
            (ExecKind::Activity, Some(n))
                if matches!(process.node(n).kind, NodeKind::SubProcess(_)) =>
            {
                Some(Some(n))
            }
            _ => None,
        };
        if let Some(scope) = scope {
            let mut candidates = Vec::new();
            for sub in process.children(scope) {
                if !matches!(&process.node(sub).kind, NodeKind::SubProcess(sp) if sp.triggered_by_event)
                {
                    continue;
                }
                for start in process.start_events(Some(sub)) {
                    if let NodeKind::StartEvent(se) = &process.node(start).kind {
                        if let Some(c) = se.event.as_ref().and_then(&catches) {
                            candidates.push((start, c));
                        }
                    }
                }
            }
            if let Some(start) = pick(candidates) {
                return Some((e.id.clone(), start));
            }
        }
        // ...then the boundary events of the activity.
        if matches!(e.kind, ExecKind::Activity | ExecKind::MiBody) {
            if let Some(node) = node {
                let candidates = process
                    .node(node)
                    .boundary_events
                    .iter()
                    .filter_map(|&b| match &process.node(b).kind {
                        NodeKind::BoundaryEvent(be) => catches(&be.event).map(|c| (b, c)),
                        _ => None,
                    })
                    .collect();
                if let Some(b) = pick(candidates) {
                    return Some((e.id.clone(), b));
                }
            }
        }
        cur = e.parent.as_deref().and_then(|p| inst.exec(p));
    }
    None
}

fn push_var(out: &mut Vec<(String, Value)>, name: String, value: Value) {
    if let Some(slot) = out.iter_mut().find(|(n, _)| *n == name) {
        slot.1 = value;
    } else {
        out.push((name, value));
    }
}

fn to_structured(v: &Value) -> serde_json::Value {
    v.as_structured().unwrap_or_else(|| match v {
        Value::Date(_) | Value::Bytes(_) => serde_json::Value::String(v.to_json().to_string()),
        other => other.to_json(),
    })
}

/// The default flow of an activity.
/// The condition of a conditional catch, boundary or start event.
fn condition_of(n: &Node) -> Option<&str> {
    let def = match &n.kind {
        NodeKind::IntermediateCatchEvent(def) => def,
        NodeKind::BoundaryEvent(b) => &b.event,
        NodeKind::StartEvent(s) => s.event.as_ref()?,
        _ => return None,
    };
    match def {
        EventDefinition::Conditional(c) => Some(c.condition.as_str()),
        _ => None,
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

/// What an expression sees from the root of `inst` (used for `camunda:out` mappings).
pub(crate) fn interp_scope(inst: &Instance, now: i64) -> ExecScope<'_> {
    ExecScope {
        inst,
        exec: &inst.id,
        now,
    }
}

/// What an expression sees from one execution.
pub(crate) struct ExecScope<'a> {
    pub(crate) inst: &'a Instance,
    pub(crate) exec: &'a str,
    pub(crate) now: i64,
}

impl Scope for ExecScope<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        self.inst.variable(self.exec, name).cloned()
    }

    fn local_variable(&self, name: &str) -> Option<Value> {
        self.inst.local_variable(self.exec, name).cloned()
    }

    fn business_key(&self) -> Option<String> {
        self.inst.business_key.clone()
    }

    fn now(&self) -> i64 {
        self.now
    }
}

/// Adds the users or groups a candidate expression gave: a text is a comma list, a
/// JSON array a list of names (Camunda takes a String or a Collection).
fn people(value: Value, what: &str, out: &mut Vec<String>) -> StepResult {
    let mut push = |name: &str| {
        let name = name.trim();
        if !name.is_empty() && !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    };
    match value {
        Value::Null => {}
        Value::String(text) => text.split(',').for_each(&mut push),
        Value::Json(json) => match serde_json::from_str::<serde_json::Value>(&json) {
            Ok(serde_json::Value::Array(items)) => {
                for item in items {
                    match item {
                        serde_json::Value::String(s) => push(&s),
                        serde_json::Value::Null => {}
                        other => push(&other.to_string()),
                    }
                }
            }
            Ok(serde_json::Value::String(s)) => s.split(',').for_each(&mut push),
            _ => return Err(format!("{what} must name users or groups, not '{json}'")),
        },
        other => {
            return Err(format!(
                "{what} must be a comma-separated list or a collection, not '{other}'"
            ));
        }
    }
    Ok(())
}

/// A due or follow-up date from what its expression gave: a date, or a text that is
/// an ISO 8601 duration from now (`P2D`) or an ISO 8601 date-time, as Camunda's
/// `DueDateBusinessCalendar` reads it.
fn due_date(value: Value, now: i64, what: &str) -> StepResult<Option<i64>> {
    use baton_bpmn::timer::{TimerKind, parse};
    match value {
        Value::Null => Ok(None),
        Value::Date(ms) => Ok(Some(ms)),
        Value::String(text) if text.trim().is_empty() => Ok(None),
        Value::String(text) => {
            let text = text.trim();
            let kind = if text.starts_with('P') {
                TimerKind::Duration
            } else {
                TimerKind::Date
            };
            parse(kind, text)
                .ok()
                .and_then(|s| s.first(now))
                .or_else(|| crate::date::parse(text).ok())
                .map(Some)
                .ok_or_else(|| {
                    format!("{what} '{text}' is neither an ISO 8601 date-time nor a duration")
                })
        }
        other => Err(format!("{what} '{other}' is not a date")),
    }
}
