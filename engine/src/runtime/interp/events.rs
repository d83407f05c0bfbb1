//! Events: end and intermediate events, what catchers wait for and what happens
//! when they fire, conditional events, and errors and escalations thrown and
//! caught.

use baton_bpmn::model::{
    ConditionalEventDefinition, EventDefinition, Implementation, Node, NodeId, NodeKind, Timer,
};

use super::{Run, Step, StepResult, Stop, unsupported};
use crate::expr;
use crate::runtime::state::{Exec, ExecKind, Instance, Wait};
use crate::runtime::{Catcher, CatcherKind, Effect, MAX_CONDITION_ROUNDS};
use crate::value::Value;

impl Run<'_> {
    /// An end event: the token ends, after what its definition throws.
    pub(super) fn end_event(
        &mut self,
        exec: &str,
        n: &Node,
        event: Option<&EventDefinition>,
    ) -> Result<(), Stop> {
        match event {
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
        }
        Ok(())
    }

    /// An intermediate throw event: a signal, a link, a message (an external
    /// task), an escalation, or nothing; then onwards.
    pub(super) fn throw_event(
        &mut self,
        exec: &str,
        n: &Node,
        event: Option<&EventDefinition>,
    ) -> Result<(), Stop> {
        let graph = self.inst.graph.clone();
        match event {
            None => self.complete_activity(exec),
            Some(EventDefinition::Signal(def)) => {
                let name = self.signal_name(exec, n, def)?;
                self.fx.push(Effect::Broadcast { name });
                self.complete_activity(exec);
            }
            Some(EventDefinition::Link(name)) => {
                // Jump to the catching link event of the same name in this scope.
                let target = graph.process.children(n.parent).find(|&c| {
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
        }
        Ok(())
    }

    /// An intermediate catch event: a link passes at once, the others wait.
    pub(super) fn catch_event(
        &mut self,
        exec: &str,
        node: NodeId,
        def: &EventDefinition,
    ) -> StepResult {
        if let EventDefinition::Link(_) = def {
            self.complete_activity(exec);
            return Ok(());
        }
        if let Some(e) = self.inst.exec_mut(exec) {
            e.wait = Wait::Event;
        }
        self.arm_event(exec, node, def)
    }

    /// Asks the command layer to wait for `kind` on behalf of `exec`, firing
    /// `activity_id`.
    pub(super) fn arm(&mut self, exec: &str, activity_id: &str, kind: CatcherKind) {
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
    pub(super) fn arm_event(
        &mut self,
        exec: &str,
        catch: NodeId,
        def: &EventDefinition,
    ) -> StepResult {
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
    pub(super) fn arm_boundaries(&mut self, exec: &str, node: NodeId) -> StepResult {
        let graph = self.inst.graph.clone();
        for &b in &graph.process.node(node).boundary_events {
            if let NodeKind::BoundaryEvent(be) = &graph.process.node(b).kind {
                self.arm_event(exec, b, &be.event)?;
            }
        }
        Ok(())
    }

    /// Removes what `exec` waits for, outside the instance and in it.
    pub(super) fn disarm(&mut self, exec: &str) {
        let Some(e) = self.inst.exec_mut(exec) else {
            return;
        };
        e.conditions.clear();
        if std::mem::take(&mut e.armed) {
            self.fx.push(Effect::Disarm(exec.to_owned()));
        }
    }

    /// The catcher of `activity_id` that `owner` holds fired.
    pub(super) fn fire_catcher(&mut self, owner: &str, activity_id: &str) {
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
                if self.parks_before(&e, node) {
                    return; // `asyncBefore`: its job takes the token on
                }
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
    pub(super) fn check_conditions(&mut self) -> bool {
        if !self.conditions_armed && self.inst.var_writes == self.inst.conditions_seen {
            return false;
        }
        // Catchers armed since the last evaluation are evaluated whatever changed,
        // as Camunda evaluates a condition when its scope starts; the others only
        // for a change their `camunda:variableName` and `variableEvents` name.
        let fresh = std::mem::take(&mut self.conditions_armed);
        let events = std::mem::take(&mut self.inst.var_events);
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
                let Some(def) = conditional_of(graph.process.node(node)) else {
                    continue;
                };
                if !fresh && !triggered_by(def, &events) {
                    continue;
                }
                let condition = def.condition.as_str();
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
    pub(super) fn message_name(
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
    pub(super) fn signal_name(
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
    pub(super) fn timer_catcher(
        &self,
        exec: &str,
        n: &Node,
        timer: &Timer,
    ) -> StepResult<CatcherKind> {
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

    /// Throws an escalation from `exec`: the nearest enclosing catcher (an escalation
    /// event subprocess of a scope, or a boundary event of an enclosing activity)
    /// takes it. Whether the thrower goes on: yes when nothing caught it or the catch
    /// did not interrupt, as in Camunda.
    pub(super) fn escalate(
        &mut self,
        exec: &str,
        def: &baton_bpmn::model::EscalationEventDefinition,
    ) -> bool {
        let code = def
            .escalation
            .as_ref()
            .and_then(|e| e.escalation_code.clone())
            .unwrap_or_default();
        let Some(found) = find_escalation_catch(self.inst, exec, &code) else {
            if self.inst.super_ref.is_some() {
                // The calling activity and what encloses it may catch it.
                self.fx.push(Effect::UncaughtEscalation { code });
            }
            return true;
        };
        self.escalate_to(found, code)
    }

    /// Lets `catcher`, held by execution `host`, take escalation `code`; whether the
    /// thrower goes on (the catch did not interrupt it).
    pub(super) fn escalate_to(&mut self, (host, catcher): (String, NodeId), code: String) -> bool {
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

    pub(super) fn throw(&mut self, exec: &str, code: &str, message: Option<&str>) {
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

    pub(super) fn catch(
        &mut self,
        host: &str,
        boundary: NodeId,
        code: &str,
        message: Option<&str>,
    ) {
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

/// The default flow of an activity.
/// The condition of a conditional catch, boundary or start event.
fn conditional_of(n: &Node) -> Option<&ConditionalEventDefinition> {
    let def = match &n.kind {
        NodeKind::IntermediateCatchEvent(def) => def,
        NodeKind::BoundaryEvent(b) => &b.event,
        NodeKind::StartEvent(s) => s.event.as_ref()?,
        _ => return None,
    };
    match def {
        EventDefinition::Conditional(c) => Some(c),
        _ => None,
    }
}

/// Whether one of the variable changes `events` (name and `create`, `update` or
/// `delete`) is one the conditional event listens to: of its
/// `camunda:variableName` (any, without), of one of its `camunda:variableEvents`
/// (any, without).
fn triggered_by(def: &ConditionalEventDefinition, events: &[(String, &'static str)]) -> bool {
    events.iter().any(|(name, kind)| {
        def.variable_name.as_ref().is_none_or(|n| n == name)
            && (def.variable_events.is_empty()
                || def.variable_events.iter().any(|e| e.trim() == *kind))
    })
}
