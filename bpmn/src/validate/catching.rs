//! Rules about what catches an event and where: compensation handlers and
//! their catchers, cancel and escalation catchers, and the uniqueness of
//! message, signal and conditional subscriptions in one scope.
//!
//! They mirror what Camunda's `BpmnParse` refuses at deployment, and hold
//! whether or not Baton runs the construct yet: a model Camunda would not
//! deploy is refused for its structural problem, not deployed with a warning
//! that the construct does not run.

use std::collections::HashMap;

use super::Checker;
use crate::model::*;
use crate::problem::{Code, Problem};

/// Where a catching event listens, as Camunda's "event scope": two
/// subscriptions to one message or signal in one event scope could not be
/// told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum EventScope {
    /// A process (`None`) or subprocess: the start events of the event
    /// subprocesses it holds, and the boundary events attached to it.
    Scope(Option<NodeId>),
    /// The multi-instance body around an activity: the boundary events on it.
    MultiInstanceBody(NodeId),
    /// An event-based gateway: the catch events it waits for.
    Gateway(NodeId),
}

/// What an escalation catcher catches: `None` is every escalation.
type EscalationCode<'a> = Option<&'a str>;

impl<'a> Checker<'a> {
    /// Every rule of this module, over the whole process.
    pub(super) fn catchers(&mut self) {
        let process = self.process;
        for (id, node) in process.node_ids() {
            self.compensation_handler_flows(node);
            if !node.boundary_events.is_empty() {
                self.boundary_events_of(node);
            }
            if matches!(node.kind, NodeKind::SubProcess(_)) {
                self.event_subprocesses_of(Some(id));
            }
            if let Some(message) = self.unnamed_message(node) {
                self.report(Code::MissingAttribute, node, message);
            }
        }
        self.event_subprocesses_of(None);
        self.subscriptions();
        self.conditional_starts();
        self.event_gateway_targets();
    }

    /// A compensation handler is called by compensation, never reached by a
    /// token: Camunda refuses a sequence flow into or out of it.
    fn compensation_handler_flows(&mut self, node: &Node) {
        if !node.is_for_compensation {
            return;
        }
        let process = self.process;
        for (flows, direction) in [(&node.incoming, "incoming"), (&node.outgoing, "outgoing")] {
            let Some(&flow) = flows.first() else {
                continue;
            };
            let flow = process.flow(flow);
            self.problems.push(Problem::new(
                Code::InvalidStructure,
                flow.position,
                Some(&flow.id),
                format!(
                    "sequence flow '{}' is an {direction} flow of compensation handler '{}'; a \
                     compensation handler (isForCompensation=\"true\") is called by compensation \
                     and can have no incoming or outgoing sequence flows",
                    flow.id, node.id
                ),
            ));
        }
    }

    /// The boundary events on one activity: one compensation catcher, one cancel
    /// catcher, escalation catchers only where an escalation can come from, and
    /// no two of them catching the same escalation.
    fn boundary_events_of(&mut self, host: &Node) {
        let process = self.process;
        let boundaries: Vec<(&Node, &BoundaryEvent)> = host
            .boundary_events
            .iter()
            .filter_map(|&id| {
                let node = process.node(id);
                match &node.kind {
                    NodeKind::BoundaryEvent(boundary) => Some((node, boundary)),
                    _ => None,
                }
            })
            .collect();
        let host_name = host.kind.element_name();
        for (kind, what, one) in [
            ("compensate", "compensation", "an activity"),
            ("cancel", "cancel", "a transaction"),
        ] {
            let of_kind: Vec<&Node> = boundaries
                .iter()
                .filter(|(_, b)| b.event.name() == kind)
                .map(|(n, _)| *n)
                .collect();
            if let [first, second, ..] = of_kind[..] {
                self.report(
                    Code::InvalidStructure,
                    second,
                    format!(
                        "{host_name} '{}' has two {what} boundary events, '{}' and '{}'; \
                         {one} can have only one",
                        host.id, first.id, second.id
                    ),
                );
            }
        }
        let mut escalations: Vec<(&Node, EscalationCode<'_>)> = Vec::new();
        for (node, boundary) in &boundaries {
            let EventDefinition::Escalation(escalation) = &boundary.event else {
                continue;
            };
            let can_escalate = match &host.kind {
                NodeKind::SubProcess(_) | NodeKind::CallActivity(_) => true,
                NodeKind::Task(task) => matches!(task.kind, TaskKind::User(_)),
                _ => false,
            };
            if !can_escalate {
                self.report(
                    Code::InvalidStructure,
                    node,
                    format!(
                        "escalation boundary event '{}' is attached to {host_name} '{}', which \
                         cannot raise an escalation; attach it to a subprocess, a call activity \
                         or a user task",
                        node.id, host.id
                    ),
                );
            }
            escalations.push((node, escalation_code(escalation)));
        }
        let place = format!("{host_name} '{}'", host.id);
        self.unique_escalations("boundary events", &format!("on {place}"), &escalations);
    }

    /// The event subprocesses directly inside a process (`None`) or subprocess:
    /// at most one started by compensation, only inside a subprocess and not
    /// beside a compensation boundary event of that subprocess, and no two
    /// catching the same escalation.
    fn event_subprocesses_of(&mut self, scope: Option<NodeId>) {
        let process = self.process;
        let mut compensations: Vec<&Node> = Vec::new();
        let mut escalations: Vec<(&Node, EscalationCode<'_>)> = Vec::new();
        for id in process.children(scope) {
            let Some(start) = self.event_subprocess_start(id) else {
                continue;
            };
            match &start.event {
                Some(EventDefinition::Compensate(_)) => compensations.push(process.node(id)),
                Some(EventDefinition::Escalation(escalation)) => {
                    escalations.push((process.node(id), escalation_code(escalation)));
                }
                _ => {}
            }
        }
        let place = match scope {
            None => format!("process '{}'", process.id),
            Some(id) => {
                let node = process.node(id);
                format!("{} '{}'", node.kind.element_name(), node.id)
            }
        };
        if let Some(first) = compensations.first() {
            match scope {
                None => self.report(
                    Code::InvalidStructure,
                    first,
                    format!(
                        "event subprocess '{}' is started by compensation at the level of the \
                         process; a compensation event subprocess is only allowed inside an \
                         embedded subprocess",
                        first.id
                    ),
                ),
                Some(id) => {
                    let holder = process.node(id);
                    let boundary = holder
                        .boundary_events
                        .iter()
                        .map(|&b| process.node(b))
                        .find(|b| {
                            matches!(
                                &b.kind,
                                NodeKind::BoundaryEvent(BoundaryEvent {
                                    event: EventDefinition::Compensate(_),
                                    ..
                                })
                            )
                        });
                    if let Some(boundary) = boundary {
                        self.report(
                            Code::InvalidStructure,
                            first,
                            format!(
                                "{place} has both the compensation boundary event '{}' and the \
                                 compensation event subprocess '{}'; it can be compensated one \
                                 way only",
                                boundary.id, first.id
                            ),
                        );
                    }
                }
            }
        }
        if let [first, second, ..] = compensations[..] {
            self.report(
                Code::InvalidStructure,
                second,
                format!(
                    "{place} holds two event subprocesses started by compensation, '{}' and \
                     '{}'; a scope can have only one",
                    first.id, second.id
                ),
            );
        }
        self.unique_escalations("event subprocesses", &format!("in {place}"), &escalations);
    }

    /// The start event of `id` when it is an event subprocess.
    fn event_subprocess_start(&self, id: NodeId) -> Option<&'a StartEvent> {
        let process: &'a Process = self.process;
        if !matches!(&process.node(id).kind, NodeKind::SubProcess(sub) if sub.triggered_by_event) {
            return None;
        }
        process
            .children(Some(id))
            .find_map(|child| match &process.node(child).kind {
                NodeKind::StartEvent(start) => Some(start),
                _ => None,
            })
    }

    /// Camunda's `addEscalationEventDefinition`: among the escalation catchers
    /// of one kind in one scope, no two catch every escalation, no two catch
    /// the same code, and none catches every escalation beside one of a code.
    fn unique_escalations(
        &mut self,
        many: &str,
        place: &str,
        catchers: &[(&Node, EscalationCode<'_>)],
    ) {
        for (index, &(node, code)) in catchers.iter().enumerate() {
            let mixed = catchers[..index]
                .iter()
                .find(|(_, earlier)| earlier.is_none() != code.is_none());
            if let Some(&(first, _)) = mixed {
                self.report(
                    Code::InvalidStructure,
                    node,
                    format!(
                        "escalation {many} '{}' and '{}' {place}: one catches every escalation \
                         and the other a code of its own; Camunda allows one or the other in a \
                         scope, not both",
                        first.id, node.id
                    ),
                );
                continue;
            }
            let Some(&(first, _)) = catchers[..index]
                .iter()
                .find(|(_, earlier)| *earlier == code)
            else {
                continue;
            };
            let message = match code {
                None => format!(
                    "escalation {many} '{}' and '{}' {place} both catch every escalation \
                     (neither names an escalation code); only one of them can",
                    first.id, node.id
                ),
                Some(code) => format!(
                    "escalation {many} '{}' and '{}' {place} both catch the escalation code \
                     '{code}'; each code can be caught only once there",
                    first.id, node.id
                ),
            };
            self.report(Code::InvalidStructure, node, message);
        }
    }

    /// Camunda correlates a message by its name, so a catcher of a message
    /// without one could never be reached. (Message start events are checked
    /// with the other start names.)
    fn unnamed_message(&self, node: &Node) -> Option<String> {
        let (message, what) = match &node.kind {
            NodeKind::BoundaryEvent(BoundaryEvent {
                event: EventDefinition::Message(m),
                ..
            })
            | NodeKind::IntermediateCatchEvent(EventDefinition::Message(m)) => {
                (m.message.as_ref()?, node.kind.element_name())
            }
            NodeKind::StartEvent(StartEvent {
                event: Some(EventDefinition::Message(m)),
                ..
            }) if node.parent.is_some() => (m.message.as_ref()?, "startEvent"),
            NodeKind::Task(Task {
                kind: TaskKind::Receive(Some(message)),
                ..
            }) => (message, "receiveTask"),
            _ => return None,
        };
        if message
            .name
            .as_deref()
            .is_some_and(|n| !n.trim().is_empty())
        {
            return None;
        }
        Some(format!(
            "{what} '{}' waits for the message '{}', which has no name; messages are \
             correlated by name, so give it one",
            node.id, message.id
        ))
    }

    /// Where a message or signal catcher listens, with what it waits for;
    /// `None` for a catcher that is its own event scope (an intermediate catch
    /// event not after an event-based gateway, a receive task) or for a start
    /// event of the process, which the start-name rule covers.
    fn subscription(&self, node: &'a Node) -> Option<(EventScope, &'static str, &'a str)> {
        let process = self.process;
        let (scope, event) = match &node.kind {
            NodeKind::BoundaryEvent(boundary) => {
                let host = process.node(boundary.attached_to);
                let scope = if matches!(
                    host.loop_characteristics,
                    Some(LoopCharacteristics::MultiInstance(_))
                ) {
                    EventScope::MultiInstanceBody(boundary.attached_to)
                } else {
                    EventScope::Scope(Some(boundary.attached_to))
                };
                (scope, &boundary.event)
            }
            NodeKind::StartEvent(StartEvent {
                event: Some(event), ..
            }) => {
                let sub = node.parent?;
                self.event_subprocess_start(sub)?;
                (EventScope::Scope(process.node(sub).parent), event)
            }
            NodeKind::IntermediateCatchEvent(event) => {
                let gateway = node.incoming.iter().find_map(|&flow| {
                    let source = process.flow(flow).source;
                    is_event_gateway(process.node(source)).then_some(source)
                })?;
                (EventScope::Gateway(gateway), event)
            }
            _ => return None,
        };
        let (kind, name) = match event {
            EventDefinition::Message(m) => ("message", m.message.as_ref()?.name.as_deref()?),
            EventDefinition::Signal(s) => ("signal", s.signal.as_ref()?.name.as_deref()?),
            _ => return None,
        };
        (!name.trim().is_empty()).then_some((scope, kind, name))
    }

    /// Camunda's `addEventSubscriptionDeclaration`: in one event scope, one
    /// catcher per message name and one per signal name, or an arriving message
    /// or signal could not tell which it is for.
    fn subscriptions(&mut self) {
        let process = self.process;
        let mut seen: HashMap<(EventScope, &str, &str), &Node> = HashMap::new();
        for node in &process.nodes {
            let Some(key) = self.subscription(node) else {
                continue;
            };
            let Some(first) = seen.get(&key).copied() else {
                seen.insert(key, node);
                continue;
            };
            let (scope, kind, name) = key;
            let place = match scope {
                EventScope::Scope(None) => format!("process '{}'", process.id),
                EventScope::Scope(Some(id)) | EventScope::MultiInstanceBody(id) => {
                    let node = process.node(id);
                    format!("{} '{}'", node.kind.element_name(), node.id)
                }
                EventScope::Gateway(id) => format!("event-based gateway '{}'", process.node(id).id),
            };
            self.report(
                Code::InvalidStructure,
                node,
                format!(
                    "'{}' and '{}' both wait for the {kind} '{name}' on {place}; one {kind} can \
                     be caught only one way in one scope",
                    first.id, node.id
                ),
            );
        }
    }

    /// Camunda refuses two conditional start events of a process with the same
    /// condition: they would start the process twice for one change.
    fn conditional_starts(&mut self) {
        let process = self.process;
        let mut seen: HashMap<&str, &Node> = HashMap::new();
        for id in process.start_events(None) {
            let node = process.node(id);
            let NodeKind::StartEvent(StartEvent {
                event: Some(EventDefinition::Conditional(conditional)),
                ..
            }) = &node.kind
            else {
                continue;
            };
            let condition = conditional.condition.as_str().trim();
            if let Some(first) = seen.insert(condition, node) {
                self.report(
                    Code::InvalidStructure,
                    node,
                    format!(
                        "conditional start events '{}' and '{}' have the same condition \
                         '{condition}'; one change would start the process twice",
                        first.id, node.id
                    ),
                );
            }
        }
    }

    /// An intermediate catch event after an event-based gateway is entered from
    /// the gateway only: the gateway's choice is what cancels the other events.
    fn event_gateway_targets(&mut self) {
        let process = self.process;
        for node in &process.nodes {
            if !matches!(node.kind, NodeKind::IntermediateCatchEvent(_)) {
                continue;
            }
            let from_gateway =
                |&&flow: &&FlowId| is_event_gateway(process.node(process.flow(flow).source));
            let Some(gateway) = node.incoming.iter().find(from_gateway) else {
                continue;
            };
            let gateway = &process.node(process.flow(*gateway).source).id;
            for &flow in node.incoming.iter().filter(|f| !from_gateway(f)) {
                let flow = process.flow(flow);
                self.problems.push(Problem::new(
                    Code::InvalidStructure,
                    flow.position,
                    Some(&flow.id),
                    format!(
                        "sequence flow '{}' enters intermediate catch event '{}', which follows \
                         event-based gateway '{gateway}'; an event after an event-based gateway \
                         can be entered from the gateway only",
                        flow.id, node.id
                    ),
                ));
            }
        }
    }
}

/// The code an escalation catcher catches; `None` catches every escalation.
fn escalation_code(escalation: &EscalationEventDefinition) -> EscalationCode<'_> {
    escalation
        .escalation
        .as_ref()
        .and_then(|e| e.escalation_code.as_deref())
}

fn is_event_gateway(node: &Node) -> bool {
    matches!(&node.kind, NodeKind::Gateway(g) if g.kind == GatewayKind::EventBased)
}
