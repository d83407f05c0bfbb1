//! From the element tree to the typed model, resolving every reference.
//!
//! The builder reads what it knows and records every problem it meets on the
//! way: duplicate ids, references that name nothing, values of the wrong
//! form, expressions that do not parse. Whatever it does not read is reported
//! at the end by [`Builder::report_unread`]: a BPMN element Baton does not
//! know is an error, an unknown Camunda extension a warning. Nothing is
//! dropped silently.
//!
//! Semantic rules that need the whole model (a process without a start event,
//! a Java class) are in [`crate::validate`].

use std::collections::HashMap;

use crate::calls;
use crate::expr::{self, ExprKind, Part, Template};
use crate::model::*;
use crate::problem::{Code, Position, Problem};
use crate::timer::{self, TimerKind};
use crate::xml::{Element, Ns};

/// BPMN elements that carry no execution semantics; read as nothing, silently.
const INERT: &[&str] = &[
    "textAnnotation",
    "association",
    "group",
    "category",
    "categoryValue",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "dataStore",
    "dataInputAssociation",
    "dataOutputAssociation",
    "dataInput",
    "dataOutput",
    "dataState",
    "ioSpecification",
    "inputSet",
    "outputSet",
    "property",
    "itemDefinition",
    "import",
    "interface",
    "operation",
    "endPoint",
    "resource",
    "auditing",
    "monitoring",
    "rendering",
    "extension",
    "correlationProperty",
    "messageFlow",
    "conversation",
    "conversationLink",
    "incoming",
    "outgoing",
    "documentation",
];

/// Builds the model from the root element; returns it with every problem met.
pub(crate) fn build(root: &Element) -> (Definitions, Vec<Problem>) {
    let mut builder = Builder::default();
    let definitions = builder.definitions(root);
    builder.report_unread(root);
    (definitions, builder.problems)
}

#[derive(Default)]
struct Builder {
    problems: Vec<Problem>,
    /// Every id seen so far, for duplicate detection.
    ids: HashMap<String, Position>,
    messages: HashMap<String, Message>,
    signals: HashMap<String, Signal>,
    errors: HashMap<String, ErrorDeclaration>,
    escalations: HashMap<String, Escalation>,
}

/// The nodes and flows of one process, collected before they are built.
struct Collected<'a> {
    /// Flow node elements with the index of their parent node.
    nodes: Vec<(&'a Element, Option<NodeId>)>,
    flows: Vec<&'a Element>,
    /// `association` artifacts of the process and its subprocesses.
    associations: Vec<&'a Element>,
}

impl Builder {
    fn problem(&mut self, code: Code, element: &Element, message: impl Into<String>) {
        let id = element
            .attrs
            .iter()
            .find(|a| a.ns == Ns::None && a.local() == "id");
        self.problems.push(Problem::new(
            code,
            element.position,
            id.map(|a| a.value.as_str()),
            message,
        ));
    }

    /// A problem found at `at` about the element with id `about` (an extension
    /// element has no id of its own; the problem names the element that holds it).
    fn problem_about(&mut self, code: Code, at: &Element, about: Option<&str>, message: String) {
        self.problems
            .push(Problem::new(code, at.position, about, message));
    }

    /// Reads `id`, recording it for duplicate detection.
    fn id(&mut self, element: &Element) -> Option<String> {
        let id = element.attr("id")?.to_owned();
        if let Some(first) = self.ids.get(&id).copied() {
            self.problem(
                Code::DuplicateId,
                element,
                format!(
                    "{} has id '{id}', which the element at {first} already has",
                    describe(element, None)
                ),
            );
        } else {
            self.ids.insert(id.clone(), element.position);
        }
        Some(id)
    }

    /// Reads `id`, or makes one up from the element's name and position.
    ///
    /// Camunda accepts flow nodes and sequence flows without ids, and so do
    /// old models; the engine still needs a name for them.
    fn id_or_generated(&mut self, element: &Element) -> String {
        self.id(element)
            .unwrap_or_else(|| format!("{}@{}", element.local(), element.position))
    }

    /// Reads `id`, which the element cannot do without.
    fn required_id(&mut self, element: &Element) -> String {
        match self.id(element) {
            Some(id) => id,
            None => {
                self.problem(
                    Code::MissingAttribute,
                    element,
                    format!("<{}> has no id", element.qname()),
                );
                String::new()
            }
        }
    }

    fn bool_attr(
        &mut self,
        element: &Element,
        value: Option<&str>,
        name: &str,
        default: bool,
    ) -> bool {
        match value.map(str::trim) {
            None | Some("") => default,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                let what = describe(element, element.attr("id"));
                self.problem(
                    Code::InvalidValue,
                    element,
                    format!("{what} has {name}=\"{v}\", which is neither true nor false"),
                );
                default
            }
        }
    }

    /// An expression or template, its syntax checked.
    fn expression(&mut self, element: &Element, what: &str, text: &str) -> Expression {
        match expr::parse(text) {
            Err(error) => {
                let owner = describe(element, element.attr("id"));
                self.problem(
                    Code::InvalidExpression,
                    element,
                    format!("{what} of {owner} is not a valid expression: {error}"),
                );
            }
            Ok(template) => {
                if let Some(call) = calls::unsupported_call(&template) {
                    let owner = describe(element, element.attr("id"));
                    self.problem(
                        Code::JavaOnly,
                        element,
                        format!(
                            "{what} of {owner} calls {call}, which needs Java; \
                             Baton evaluates plain expressions over variables only"
                        ),
                    );
                }
            }
        }
        Expression(text.to_owned())
    }

    fn opt_expression(
        &mut self,
        element: &Element,
        what: &str,
        text: Option<&str>,
    ) -> Option<Expression> {
        let text = text?.trim();
        (!text.is_empty()).then(|| self.expression(element, what, text))
    }

    fn definitions(&mut self, root: &Element) -> Definitions {
        root.mark_used();
        let mut definitions = Definitions {
            id: root.attr("id").map(str::to_owned),
            target_namespace: root.attr("targetNamespace").map(str::to_owned),
            exporter: root.attr("exporter").map(str::to_owned),
            exporter_version: root.attr("exporterVersion").map(str::to_owned),
            processes: Vec::new(),
            messages: Vec::new(),
            signals: Vec::new(),
            errors: Vec::new(),
            escalations: Vec::new(),
            participants: Vec::new(),
            // Known only to the XML reader, which skips the diagram.
            has_diagram: false,
        };
        if !root.is(Ns::Bpmn, "definitions") {
            self.problem(
                Code::NotBpmn,
                root,
                format!(
                    "the root element is <{}>, not a BPMN 2.0 <definitions> in namespace {}",
                    root.qname(),
                    crate::xml::BPMN_NS
                ),
            );
            return definitions;
        }
        if let Some(id) = root.attr("id") {
            self.ids.insert(id.to_owned(), root.position);
        }

        // Declarations first: processes refer to them.
        for child in root.children.iter().filter(|c| c.ns == Ns::Bpmn) {
            match child.local() {
                "message" => {
                    child.mark_used();
                    let message = Message {
                        id: self.required_id(child),
                        name: child.attr("name").map(str::to_owned),
                    };
                    self.messages.insert(message.id.clone(), message.clone());
                    definitions.messages.push(message);
                }
                "signal" => {
                    child.mark_used();
                    let signal = Signal {
                        id: self.required_id(child),
                        name: child.attr("name").map(str::to_owned),
                    };
                    // Signals are delivered by name: as in Camunda's parseSignals, one
                    // without a name is refused (a token throwing or catching it would
                    // stop with an incident).
                    if signal.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
                        self.problem(
                            Code::MissingAttribute,
                            child,
                            format!(
                                "signal '{}' has no name, by which it is sent and caught; give it one",
                                signal.id
                            ),
                        );
                    }
                    // Camunda's parseSignals refuses two signals of one name: a signal
                    // is thrown and caught by name, so the two could not be told apart.
                    if let Some(name) = signal.name.as_deref().filter(|n| !n.trim().is_empty())
                        && let Some(first) = definitions
                            .signals
                            .iter()
                            .find(|s| s.name.as_deref() == Some(name))
                    {
                        let message = format!(
                            "signals '{}' and '{}' share the name '{name}'; signals are sent and \
                             caught by name, so each needs a name of its own",
                            first.id, signal.id
                        );
                        self.problem(Code::InvalidStructure, child, message);
                    }
                    self.signals.insert(signal.id.clone(), signal.clone());
                    definitions.signals.push(signal);
                }
                "error" => {
                    child.mark_used();
                    let error = ErrorDeclaration {
                        id: self.required_id(child),
                        name: child.attr("name").map(str::to_owned),
                        error_code: child.attr("errorCode").map(str::to_owned),
                        error_message: child.camunda("errorMessage").map(str::to_owned),
                    };
                    self.errors.insert(error.id.clone(), error.clone());
                    definitions.errors.push(error);
                }
                "escalation" => {
                    child.mark_used();
                    let escalation = Escalation {
                        id: self.required_id(child),
                        name: child.attr("name").map(str::to_owned),
                        escalation_code: child.attr("escalationCode").map(str::to_owned),
                    };
                    self.escalations
                        .insert(escalation.id.clone(), escalation.clone());
                    definitions.escalations.push(escalation);
                }
                "collaboration" => {
                    child.mark_used();
                    self.id(child);
                    for participant in child.children_named(Ns::Bpmn, "participant") {
                        definitions.participants.push(Participant {
                            id: self.required_id(participant),
                            name: participant.attr("name").map(str::to_owned),
                            process_ref: participant.attr("processRef").map(str::to_owned),
                        });
                    }
                    for flow in child.children_named(Ns::Bpmn, "messageFlow") {
                        self.id(flow);
                    }
                }
                _ => {}
            }
        }

        for process in root.children_named(Ns::Bpmn, "process") {
            definitions.processes.push(self.process(process));
        }

        let process_ids: Vec<&str> = definitions
            .processes
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        let participants = root
            .children_named(Ns::Bpmn, "collaboration")
            .flat_map(|c| c.children_named(Ns::Bpmn, "participant"));
        for participant in participants {
            if let Some(process_ref) = participant.attr("processRef")
                && !process_ids.contains(&process_ref)
            {
                // Camunda does not resolve it either: a pool may stand for a partner's process.
                self.problem(
                    Code::Ignored,
                    participant,
                    format!(
                        "participant '{}' has processRef '{process_ref}', which names no process in this file",
                        participant.attr("id").unwrap_or_default()
                    ),
                );
            }
        }
        definitions
    }

    fn process(&mut self, element: &Element) -> Process {
        let id = self.required_id(element);
        // Camunda reads a process without isExecutable as executable.
        let is_executable =
            self.bool_attr(element, element.attr("isExecutable"), "isExecutable", true);
        let mut process = Process {
            id,
            name: element.attr("name").map(str::to_owned),
            is_executable,
            version_tag: element.camunda("versionTag").map(str::to_owned),
            history_time_to_live: element.camunda("historyTimeToLive").map(str::to_owned),
            candidate_starter_groups: split_list(element.camunda("candidateStarterGroups")),
            candidate_starter_users: split_list(element.camunda("candidateStarterUsers")),
            is_startable_in_tasklist: true,
            task_priority: None,
            job_priority: None,
            documentation: documentation(element),
            lanes: Vec::new(),
            properties: Vec::new(),
            listeners: Vec::new(),
            nodes: Vec::new(),
            top_level: Vec::new(),
            flows: Vec::new(),
            position: element.position,
        };
        if !is_executable {
            // Camunda skips non-executable processes (a partner's pool, say)
            // without reading them; so does Baton.
            mark_subtree(element);
            return process;
        }
        process.is_startable_in_tasklist = self.bool_attr(
            element,
            element.camunda("isStartableInTasklist"),
            "camunda:isStartableInTasklist",
            true,
        );
        process.task_priority = self.opt_expression(
            element,
            "camunda:taskPriority",
            element.camunda("taskPriority"),
        );
        process.job_priority = self.opt_expression(
            element,
            "camunda:jobPriority",
            element.camunda("jobPriority"),
        );
        if let Some(extensions) = element.child(Ns::Bpmn, "extensionElements") {
            process.properties = properties(extensions);
            process.listeners = self.listeners(extensions);
            for starter in extensions.children_named(Ns::Camunda, "potentialStarter") {
                self.potential_starter(starter, &mut process);
            }
        }
        for lane_set in element.children_named(Ns::Bpmn, "laneSet") {
            self.id(lane_set);
            process.lanes.extend(self.lanes(lane_set));
        }

        let mut collected = Collected {
            nodes: Vec::new(),
            flows: Vec::new(),
            associations: Vec::new(),
        };
        self.collect(element, None, &mut collected);

        let mut node_ids: HashMap<&str, NodeId> = HashMap::new();
        for (index, (node, _)) in collected.nodes.iter().enumerate() {
            if let Some(id) = node.attr("id") {
                node_ids.entry(id).or_insert(NodeId::from_index(index));
            }
        }

        // Flows first, so that gateways can resolve their default flow.
        let mut flow_ids: HashMap<&str, FlowId> = HashMap::new();
        // Which flows were written without an id (and got a made-up one).
        let mut unnamed_flows: Vec<FlowId> = Vec::new();
        for element in &collected.flows {
            if let Some(flow) = self.sequence_flow(element, &node_ids, &process.id) {
                let index = FlowId::from_index(process.flows.len());
                match element.attr("id") {
                    Some(id) => {
                        flow_ids.entry(id).or_insert(index);
                    }
                    None => unnamed_flows.push(index),
                }
                process.flows.push(flow);
            }
        }

        let context = Context {
            process_id: &process.id,
            node_ids: &node_ids,
            flow_ids: &flow_ids,
        };
        for (node, parent) in &collected.nodes {
            let node = self.node(node, *parent, &context);
            process.nodes.push(node);
        }

        for (index, flow) in process.flows.iter().enumerate() {
            let id = FlowId::from_index(index);
            process.nodes[flow.source.index()].outgoing.push(id);
            process.nodes[flow.target.index()].incoming.push(id);
        }
        for index in 0..process.nodes.len() {
            let id = NodeId::from_index(index);
            match process.nodes[index].parent {
                Some(parent) => process.nodes[parent.index()].children.push(id),
                None => process.top_level.push(id),
            }
            if let NodeKind::BoundaryEvent(boundary) = &process.nodes[index].kind {
                let host = boundary.attached_to.index();
                process.nodes[host]
                    .boundary_events
                    .push(NodeId::from_index(index));
            }
        }
        self.unnamed_flows_after_async(&process, &unnamed_flows);
        self.compensation_associations(&process, &collected.associations, &node_ids);
        process
    }

    /// Camunda's `validateOutgoingFlows`: the job that continues after an
    /// `asyncAfter` activity records the flow it is to take by id, so every
    /// flow leaving such an activity needs one written in the model.
    fn unnamed_flows_after_async(&mut self, process: &Process, unnamed: &[FlowId]) {
        for &id in unnamed {
            let flow = process.flow(id);
            let source = process.node(flow.source);
            if source.async_after {
                self.problems.push(Problem::new(
                    Code::MissingAttribute,
                    flow.position,
                    Some(&source.id),
                    format!(
                        "a sequence flow leaving {} '{}' has no id, but '{}' is \
                         camunda:asyncAfter=\"true\": the job that continues after it names \
                         the flow to take by its id; give the flow one",
                        source.kind.element_name(),
                        source.id,
                        source.id
                    ),
                ));
            }
        }
    }

    /// Camunda's `parseAssociationOfCompensationBoundaryEvent`: the activity a
    /// compensation boundary event is associated with is its compensation
    /// handler, and must say so with `isForCompensation="true"`. (An association
    /// with a text annotation or another artifact is none of this.)
    fn compensation_associations(
        &mut self,
        process: &Process,
        associations: &[&Element],
        node_ids: &HashMap<&str, NodeId>,
    ) {
        for &association in associations {
            let node = |attribute: &str| {
                let id = association.attr(attribute)?;
                lookup(node_ids, id).map(|&id| process.node(id))
            };
            let (Some(source), Some(target)) = (node("sourceRef"), node("targetRef")) else {
                continue;
            };
            let is_compensation_catch = matches!(
                &source.kind,
                NodeKind::BoundaryEvent(BoundaryEvent {
                    event: EventDefinition::Compensate(_),
                    ..
                })
            );
            if is_compensation_catch && !target.is_for_compensation {
                self.problem_about(
                    Code::InvalidStructure,
                    association,
                    Some(&source.id),
                    format!(
                        "compensation boundary event '{}' is associated with {} '{}', which \
                         is not a compensation handler; mark it isForCompensation=\"true\" \
                         (Camunda Modeler: 'For compensation')",
                        source.id,
                        target.kind.element_name(),
                        target.id
                    ),
                );
            }
        }
    }

    /// `camunda:potentialStarter`: the same candidate starters as the attributes, in
    /// BPMN's resource-assignment form (`group2, group(group3), user(user3)`), read
    /// as Camunda's `parsePotentialStarterResourceAssignment` reads it. Like the
    /// attributes, it only lists who may start the process; Baton has no
    /// authorization, so it changes nothing at run time.
    fn potential_starter(&mut self, starter: &Element, process: &mut Process) {
        let formal = [Ns::Bpmn, Ns::Camunda].into_iter().find_map(|ns| {
            starter
                .child(ns, "resourceAssignmentExpression")
                .and_then(|r| r.child(ns, "formalExpression"))
        });
        let Some(text) = formal.and_then(Element::trimmed_text) else {
            self.problem(
                Code::MissingAttribute,
                starter,
                format!(
                    "the camunda:potentialStarter of process '{}' has no \
                     resourceAssignmentExpression/formalExpression",
                    process.id
                ),
            );
            return;
        };
        for entry in split_list(Some(text)) {
            if let Some(user) = entry
                .strip_prefix("user(")
                .and_then(|e| e.strip_suffix(')'))
            {
                process.candidate_starter_users.push(user.trim().to_owned());
            } else {
                let group = entry
                    .strip_prefix("group(")
                    .and_then(|e| e.strip_suffix(')'))
                    .unwrap_or(&entry);
                process
                    .candidate_starter_groups
                    .push(group.trim().to_owned());
            }
        }
    }

    fn lanes(&mut self, lane_set: &Element) -> Vec<Lane> {
        let mut lanes = Vec::new();
        for lane in lane_set.children_named(Ns::Bpmn, "lane") {
            let id = self.required_id(lane);
            let flow_node_refs = lane
                .children_named(Ns::Bpmn, "flowNodeRef")
                .filter_map(|r| r.trimmed_text().map(str::to_owned))
                .collect();
            let child_lanes = match lane.child(Ns::Bpmn, "childLaneSet") {
                Some(child) => self.lanes(child),
                None => Vec::new(),
            };
            lanes.push(Lane {
                id,
                name: lane.attr("name").map(str::to_owned),
                flow_node_refs,
                child_lanes,
            });
        }
        lanes
    }

    /// Collects flow nodes and sequence flows of `scope`, recursing into subprocesses.
    fn collect<'a>(&mut self, scope: &'a Element, parent: Option<NodeId>, out: &mut Collected<'a>) {
        for child in scope.children.iter().filter(|c| c.ns == Ns::Bpmn) {
            let local = child.local();
            if local == "sequenceFlow" {
                child.mark_used();
                out.flows.push(child);
            } else if local == "association" {
                out.associations.push(child);
            } else if is_flow_node(local) {
                child.mark_used();
                let index = NodeId::from_index(out.nodes.len());
                out.nodes.push((child, parent));
                if local == "subProcess" || local == "transaction" {
                    self.collect(child, Some(index), out);
                }
            }
        }
    }

    fn sequence_flow(
        &mut self,
        element: &Element,
        node_ids: &HashMap<&str, NodeId>,
        process_id: &str,
    ) -> Option<SequenceFlow> {
        let id = self.id_or_generated(element);
        let resolve = |builder: &mut Builder, attribute: &str| match element.attr(attribute) {
            None => {
                builder.problem(
                    Code::MissingAttribute,
                    element,
                    format!("sequence flow '{id}' has no {attribute}"),
                );
                None
            }
            Some(target) => match lookup(node_ids, target) {
                Some(node) => Some(*node),
                None => {
                    builder.problem(
                        Code::UnknownReference,
                        element,
                        format!(
                            "sequence flow '{id}' has {attribute} '{target}', which names no \
                             flow node in process '{process_id}'"
                        ),
                    );
                    None
                }
            },
        };
        let source = resolve(self, "sourceRef");
        let target = resolve(self, "targetRef");
        let condition = match element.child(Ns::Bpmn, "conditionExpression") {
            Some(condition) => {
                self.condition(condition, &format!("the condition of sequence flow '{id}'"))
            }
            None => None,
        };
        let (properties, listeners) = match element.child(Ns::Bpmn, "extensionElements") {
            Some(extensions) => (properties(extensions), self.listeners(extensions)),
            None => (Vec::new(), Vec::new()),
        };
        Some(SequenceFlow {
            name: element.attr("name").map(str::to_owned),
            source: source?,
            target: target?,
            condition,
            properties,
            listeners,
            id,
            position: element.position,
        })
    }

    /// A `conditionExpression` or `condition`: an expression, or a script (refused).
    fn condition(&mut self, element: &Element, what: &str) -> Option<Expression> {
        if let Some(language) = element.attr("language") {
            self.problem(
                Code::Script,
                element,
                format!("{what} is a {language} script; Baton evaluates JUEL expressions only"),
            );
            return None;
        }
        if let Some(resource) = element.camunda("resource") {
            self.problem(
                Code::Script,
                element,
                format!("{what} is the script resource '{resource}'; Baton evaluates JUEL expressions only"),
            );
            return None;
        }
        let text = element.trimmed_text()?.to_owned();
        Some(self.expression(element, what, &text))
    }

    fn listeners(&mut self, extensions: &Element) -> Vec<Listener> {
        let mut listeners = Vec::new();
        for (local, is_task_listener) in [("executionListener", false), ("taskListener", true)] {
            for listener in extensions.children_named(Ns::Camunda, local) {
                // Everything inside a listener belongs to the listener, which is refused whole.
                mark_subtree(listener);
                listeners.push(listener_of(listener, is_task_listener));
            }
        }
        listeners
    }

    fn node(&mut self, element: &Element, parent: Option<NodeId>, context: &Context<'_>) -> Node {
        let id = self.id_or_generated(element);
        let async_before = {
            let legacy = element.camunda("async");
            let before = element.camunda("asyncBefore").or(legacy);
            self.bool_attr(element, before, "camunda:asyncBefore", false)
        };
        let async_after = self.bool_attr(
            element,
            element.camunda("asyncAfter"),
            "camunda:asyncAfter",
            false,
        );
        let exclusive = self.bool_attr(
            element,
            element.camunda("exclusive"),
            "camunda:exclusive",
            true,
        );
        let job_priority = self.opt_expression(
            element,
            "camunda:jobPriority",
            element.camunda("jobPriority"),
        );
        let is_for_compensation = self.bool_attr(
            element,
            element.attr("isForCompensation"),
            "isForCompensation",
            false,
        );
        let mut node = Node {
            name: element.attr("name").map(str::to_owned),
            kind: NodeKind::Task(Task {
                kind: TaskKind::Abstract,
                implementation: Implementation::None,
                error_event_definitions: Vec::new(),
            }),
            parent,
            children: Vec::new(),
            incoming: Vec::new(),
            outgoing: Vec::new(),
            boundary_events: Vec::new(),
            async_before,
            async_after,
            exclusive,
            job_priority,
            failed_job_retry_time_cycle: None,
            input_output: InputOutput::default(),
            properties: Vec::new(),
            listeners: Vec::new(),
            loop_characteristics: None,
            is_for_compensation,
            default_flow: None,
            documentation: documentation(element),
            position: element.position,
            id,
        };
        if let Some(extensions) = element.child(Ns::Bpmn, "extensionElements") {
            node.properties = properties(extensions);
            node.listeners = self.listeners(extensions);
            node.input_output = self.input_output(extensions);
            node.failed_job_retry_time_cycle = retry_cycle(extensions);
            for unsupported in ["connector", "field"] {
                for found in extensions.children_named(Ns::Camunda, unsupported) {
                    mark_subtree(found);
                    self.problem(
                        Code::JavaOnly,
                        found,
                        format!(
                            "{} uses camunda:{unsupported}, which needs Java",
                            describe(element, element.attr("id"))
                        ),
                    );
                }
            }
        }
        if let Some(mi) = element.child(Ns::Bpmn, "multiInstanceLoopCharacteristics") {
            node.loop_characteristics =
                Some(LoopCharacteristics::MultiInstance(self.multi_instance(mi)));
        } else if let Some(standard) = element.child(Ns::Bpmn, "standardLoopCharacteristics") {
            let loop_condition = match standard.child(Ns::Bpmn, "loopCondition") {
                Some(condition) => self.condition(condition, "the loop condition"),
                None => None,
            };
            node.loop_characteristics = Some(LoopCharacteristics::Standard {
                loop_condition,
                test_before: self.bool_attr(
                    standard,
                    standard.attr("testBefore"),
                    "testBefore",
                    false,
                ),
                loop_maximum: standard.attr("loopMaximum").map(str::to_owned),
            });
        }
        node.kind = self.node_kind(element, &node.id, parent, context);
        if node.kind.is_activity() {
            if let Some(flow) = element.attr("default") {
                node.default_flow = lookup(context.flow_ids, flow).copied();
                if node.default_flow.is_none() {
                    self.problem(
                        Code::UnknownReference,
                        element,
                        format!(
                            "activity '{}' has default flow '{flow}', which names no sequence \
                             flow in process '{}'",
                            node.id, context.process_id
                        ),
                    );
                }
            }
        }
        node
    }

    fn node_kind(
        &mut self,
        element: &Element,
        id: &str,
        parent: Option<NodeId>,
        context: &Context<'_>,
    ) -> NodeKind {
        match element.local() {
            "startEvent" => {
                let is_interrupting = self.bool_attr(
                    element,
                    element.attr("isInterrupting"),
                    "isInterrupting",
                    true,
                );
                // The engine schedules a process's own timer start events when it is deployed.
                let when = if parent.is_none() {
                    Evaluated::AtDeployment
                } else {
                    Evaluated::AtRunTime
                };
                let mut start = StartEvent {
                    event: self.event_definition(element, context, when),
                    is_interrupting,
                    initiator: element.camunda("initiator").map(str::to_owned),
                    form_key: element.camunda("formKey").map(str::to_owned),
                    form_ref: element.camunda("formRef").map(str::to_owned),
                    form_ref_binding: element.camunda("formRefBinding").map(str::to_owned),
                    form_ref_version: element.camunda("formRefVersion").map(str::to_owned),
                    form_data: Vec::new(),
                    form_business_key: None,
                };
                if let Some(extensions) = element.child(Ns::Bpmn, "extensionElements") {
                    (start.form_data, start.form_business_key) = self.form_fields(extensions);
                }
                NodeKind::StartEvent(start)
            }
            "endEvent" => NodeKind::EndEvent(EndEvent {
                event: self.event_definition(element, context, Evaluated::AtRunTime),
            }),
            "intermediateCatchEvent" => {
                match self.event_definition(element, context, Evaluated::AtRunTime) {
                    Some(event) => NodeKind::IntermediateCatchEvent(event),
                    None => {
                        self.problem(
                        Code::MissingAttribute,
                        element,
                        format!("intermediate catch event '{id}' has no event definition: what does it wait for?"),
                    );
                        NodeKind::IntermediateThrowEvent(ThrowEvent { event: None })
                    }
                }
            }
            "intermediateThrowEvent" => NodeKind::IntermediateThrowEvent(ThrowEvent {
                event: self.event_definition(element, context, Evaluated::AtRunTime),
            }),
            "boundaryEvent" => self.boundary_event(element, id, context),
            "subProcess" | "transaction" => NodeKind::SubProcess(SubProcess {
                triggered_by_event: self.bool_attr(
                    element,
                    element.attr("triggeredByEvent"),
                    "triggeredByEvent",
                    false,
                ),
                is_transaction: element.local() == "transaction",
            }),
            "callActivity" => NodeKind::CallActivity(self.call_activity(element)),
            "exclusiveGateway" | "inclusiveGateway" | "complexGateway" | "parallelGateway"
            | "eventBasedGateway" => {
                let kind = match element.local() {
                    "exclusiveGateway" => GatewayKind::Exclusive,
                    "inclusiveGateway" => GatewayKind::Inclusive,
                    "complexGateway" => GatewayKind::Complex,
                    "parallelGateway" => GatewayKind::Parallel,
                    _ => GatewayKind::EventBased,
                };
                let default = element.attr("default").and_then(|flow| {
                    let resolved = lookup(context.flow_ids, flow).copied();
                    if resolved.is_none() {
                        self.problem(
                            Code::UnknownReference,
                            element,
                            format!(
                                "gateway '{id}' has default flow '{flow}', which names no sequence \
                                 flow in process '{}'",
                                context.process_id
                            ),
                        );
                    }
                    resolved
                });
                NodeKind::Gateway(Gateway { kind, default })
            }
            _ => NodeKind::Task(self.task(element, id)),
        }
    }

    fn boundary_event(&mut self, element: &Element, id: &str, context: &Context<'_>) -> NodeKind {
        let cancel_activity = self.bool_attr(
            element,
            element.attr("cancelActivity"),
            "cancelActivity",
            true,
        );
        let attached_to = match element.attr("attachedToRef") {
            None => {
                self.problem(
                    Code::MissingAttribute,
                    element,
                    format!("boundary event '{id}' has no attachedToRef"),
                );
                None
            }
            Some(target) => {
                let resolved = lookup(context.node_ids, target).copied();
                if resolved.is_none() {
                    self.problem(
                        Code::UnknownReference,
                        element,
                        format!(
                            "boundary event '{id}' has attachedToRef '{target}', which names no \
                             activity in process '{}'",
                            context.process_id
                        ),
                    );
                }
                resolved
            }
        };
        let event = self.event_definition(element, context, Evaluated::AtRunTime);
        if event.is_none() {
            self.problem(
                Code::MissingAttribute,
                element,
                format!("boundary event '{id}' has no event definition: what does it catch?"),
            );
        }
        match (attached_to, event) {
            (Some(attached_to), Some(event)) => NodeKind::BoundaryEvent(BoundaryEvent {
                attached_to,
                cancel_activity,
                event,
            }),
            // The problem is reported; keep the node so flows still resolve.
            _ => NodeKind::IntermediateThrowEvent(ThrowEvent { event: None }),
        }
    }

    /// The single event definition of an event, or `None` for a none event.
    fn event_definition(
        &mut self,
        element: &Element,
        context: &Context<'_>,
        when: Evaluated,
    ) -> Option<EventDefinition> {
        let definitions: Vec<&Element> = element
            .children
            .iter()
            .filter(|c| c.ns == Ns::Bpmn && c.local().ends_with("EventDefinition"))
            .collect();
        if definitions.len() > 1 {
            self.problem(
                Code::UnsupportedElement,
                element,
                format!(
                    "{} has {} event definitions; Baton, like Camunda, supports one per event",
                    describe(element, element.attr("id")),
                    definitions.len()
                ),
            );
        }
        let definition = definitions.first()?;
        definition.mark_used();
        self.id(definition);
        let owner = describe(element, element.attr("id"));
        let event = match definition.local() {
            "messageEventDefinition" => {
                let catching = matches!(
                    element.local(),
                    "startEvent" | "intermediateCatchEvent" | "boundaryEvent"
                );
                let message = if catching {
                    self.reference(definition, "messageRef", &owner, |b| &b.messages)
                } else {
                    // A throwing message event does nothing with its message
                    // unless a worker sends it; Camunda does not resolve it.
                    let reference = definition.attr("messageRef");
                    let found = reference.and_then(|r| lookup(&self.messages, r).cloned());
                    if let (Some(reference), None) = (reference, &found) {
                        self.problem(
                            Code::Ignored,
                            definition,
                            format!("{owner} has messageRef '{reference}', which names no message declared in this file"),
                        );
                    }
                    found
                };
                if catching && definition.attr("messageRef").is_none() {
                    self.problem(
                        Code::MissingAttribute,
                        definition,
                        format!("{owner} has no messageRef: which message does it wait for?"),
                    );
                }
                EventDefinition::Message(MessageEventDefinition {
                    message,
                    implementation: self.implementation(definition, &owner),
                })
            }
            "signalEventDefinition" => {
                let signal = self.reference(definition, "signalRef", &owner, |b| &b.signals);
                if definition.attr("signalRef").is_none() {
                    self.problem(
                        Code::MissingAttribute,
                        definition,
                        format!("{owner} has no signalRef: which signal does it catch or throw?"),
                    );
                }
                let is_async = self.bool_attr(
                    definition,
                    definition.camunda("async"),
                    "camunda:async",
                    false,
                );
                let throwing = matches!(element.local(), "endEvent" | "intermediateThrowEvent");
                if let Some(extensions) = definition
                    .child(Ns::Bpmn, "extensionElements")
                    .filter(|_| throwing)
                {
                    for payload in extensions.children_named(Ns::Camunda, "in") {
                        mark_subtree(payload);
                        self.problem_about(
                            Code::UnsupportedElement,
                            payload,
                            element.attr("id"),
                            format!(
                                "{owner} passes variables with its signal (camunda:in), which \
                                 Baton does not do yet: its catchers would get the signal without \
                                 them; have a worker send the signal with its variables \
                                 (POST /signal) instead"
                            ),
                        );
                    }
                }
                EventDefinition::Signal(SignalEventDefinition { signal, is_async })
            }
            "errorEventDefinition" => EventDefinition::Error(ErrorEventDefinition {
                error: self.error_reference(definition, &owner),
                error_code_variable: definition.camunda("errorCodeVariable").map(str::to_owned),
                error_message_variable: definition
                    .camunda("errorMessageVariable")
                    .map(str::to_owned),
            }),
            "escalationEventDefinition" => EventDefinition::Escalation(EscalationEventDefinition {
                escalation: self.reference(definition, "escalationRef", &owner, |b| &b.escalations),
                escalation_code_variable: definition
                    .camunda("escalationCodeVariable")
                    .map(str::to_owned),
            }),
            "timerEventDefinition" => self.timer(definition, &owner, when)?,
            "conditionalEventDefinition" => {
                let condition = match definition.child(Ns::Bpmn, "condition") {
                    Some(condition) => {
                        self.condition(condition, &format!("the condition of {owner}"))
                    }
                    None => None,
                };
                let Some(condition) = condition else {
                    self.problem(
                        Code::MissingAttribute,
                        definition,
                        format!("the conditional event definition of {owner} has no condition"),
                    );
                    return None;
                };
                EventDefinition::Conditional(ConditionalEventDefinition {
                    condition,
                    variable_name: definition.camunda("variableName").map(str::to_owned),
                    variable_events: split_list(definition.camunda("variableEvents")),
                })
            }
            "linkEventDefinition" => {
                EventDefinition::Link(definition.attr("name").map(str::to_owned))
            }
            "compensateEventDefinition" => {
                let activity = definition.attr("activityRef").and_then(|target| {
                    let resolved = lookup(context.node_ids, target).copied();
                    if resolved.is_none() {
                        self.problem(
                            Code::UnknownReference,
                            definition,
                            format!(
                                "the compensate event definition of {owner} has activityRef \
                                 '{target}', which names no activity in process '{}'",
                                context.process_id
                            ),
                        );
                    }
                    resolved
                });
                EventDefinition::Compensate(CompensateEventDefinition {
                    activity,
                    wait_for_completion: self.bool_attr(
                        definition,
                        definition.attr("waitForCompletion"),
                        "waitForCompletion",
                        true,
                    ),
                })
            }
            "terminateEventDefinition" => EventDefinition::Terminate,
            "cancelEventDefinition" => EventDefinition::Cancel,
            other => {
                self.problem(
                    Code::UnsupportedElement,
                    definition,
                    format!("{owner} has a {other}, which Baton does not support"),
                );
                return None;
            }
        };
        Some(event)
    }

    /// Resolves the attribute `attribute` of `element` against one kind of declaration.
    fn reference<T: Clone>(
        &mut self,
        element: &Element,
        attribute: &str,
        owner: &str,
        declarations: impl Fn(&Builder) -> &HashMap<String, T>,
    ) -> Option<T> {
        let target = element.attr(attribute)?;
        let found = lookup(declarations(self), target).cloned();
        if found.is_none() {
            let kind = attribute.trim_end_matches("Ref");
            self.problem(
                Code::UnknownReference,
                element,
                format!("{owner} has {attribute} '{target}', which names no {kind} declared in this file"),
            );
        }
        found
    }

    /// Resolves `errorRef`. A reference to no declared error is, as in
    /// Camunda, taken as the error code itself, with a warning.
    fn error_reference(&mut self, element: &Element, owner: &str) -> Option<ErrorDeclaration> {
        let target = element.attr("errorRef")?;
        if let Some(found) = lookup(&self.errors, target) {
            return Some(found.clone());
        }
        self.problem(
            Code::UndeclaredError,
            element,
            format!(
                "{owner} has errorRef '{target}', which names no error declared in this file; \
                 like Camunda, Baton takes '{target}' as the error code"
            ),
        );
        Some(ErrorDeclaration {
            id: target.to_owned(),
            name: None,
            error_code: Some(target.to_owned()),
            error_message: None,
        })
    }

    fn timer(
        &mut self,
        definition: &Element,
        owner: &str,
        when: Evaluated,
    ) -> Option<EventDefinition> {
        let mut found = Vec::new();
        for (kind, make) in [
            (TimerKind::Date, Timer::Date as fn(Expression) -> Timer),
            (TimerKind::Duration, Timer::Duration),
            (TimerKind::Cycle, Timer::Cycle),
        ] {
            let local = kind.element();
            if let Some(child) = definition.child(Ns::Bpmn, local) {
                match child.trimmed_text() {
                    Some(text) => {
                        let text = text.to_owned();
                        let expression = self.expression(child, local, &text);
                        self.timer_text(child, owner, kind, &text, when);
                        found.push(make(expression));
                    }
                    None => self.problem(
                        Code::MissingAttribute,
                        child,
                        format!("the {local} of {owner} is empty"),
                    ),
                }
            }
        }
        if found.len() > 1 {
            self.problem(
                Code::InvalidStructure,
                definition,
                format!(
                    "the timer of {owner} has more than one of timeDate, timeDuration and timeCycle"
                ),
            );
        }
        match found.into_iter().next() {
            Some(timer) => Some(EventDefinition::Timer(timer)),
            None => {
                self.problem(
                    Code::MissingAttribute,
                    definition,
                    format!("the timer of {owner} has no timeDate, timeDuration or timeCycle"),
                );
                None
            }
        }
    }

    /// Checks a timer's text with the grammar the engine schedules it with, as far as
    /// its value is known before the timer is created: literal text and string
    /// literals always, `now()` and `dateTime()` as dates. A timer start event of the
    /// process is scheduled when the process is deployed, with no instance and no
    /// variables, so there anything else is refused: deployment would fail on it.
    fn timer_text(
        &mut self,
        element: &Element,
        owner: &str,
        kind: TimerKind,
        text: &str,
        when: Evaluated,
    ) {
        let Ok(template) = expr::parse(text) else {
            return; // Reported by `expression`.
        };
        if calls::unsupported_call(&template).is_some() {
            return; // Reported by `expression`.
        }
        let message = match (known_value(&template), when) {
            (Known::Text(value), _) => match timer::parse(kind, &value) {
                Ok(_) => return,
                Err(error) => format!("the timer of {owner} has an {error}"),
            },
            (Known::Date, _) if kind == TimerKind::Date => return,
            (Known::Date, _) => format!(
                "the {kind} of {owner} is a date (now() or dateTime()), which only a timeDate can be"
            ),
            (Known::Unknown(what), Evaluated::AtDeployment) => format!(
                "the {kind} of {owner} {what}, but it is evaluated when the process is deployed, \
                 before any instance or variable exists; write the value itself (such as PT5M), \
                 a string literal, or now() in a timeDate"
            ),
            (Known::Unknown(_), Evaluated::AtRunTime) => return,
        };
        self.problem(Code::InvalidValue, element, message);
    }

    /// `camunda:type`, `topic`, `class`, `expression`, ... of a service-like element.
    fn implementation(&mut self, element: &Element, owner: &str) -> Implementation {
        let topic = element.camunda("topic");
        let priority = element.camunda("taskPriority");
        if let Some(kind) = element.camunda("type") {
            if kind == "external" {
                let topic = match topic.map(str::trim).filter(|t| !t.is_empty()) {
                    Some(topic) => self.expression(element, "camunda:topic", topic),
                    // validate reports the missing topic, naming the element.
                    None => Expression(String::new()),
                };
                let priority = self.opt_expression(element, "camunda:taskPriority", priority);
                return Implementation::External { topic, priority };
            }
            return Implementation::Other(format!("camunda:type=\"{kind}\""));
        }
        if let Some(class) = element.camunda("class") {
            return Implementation::JavaClass(class.to_owned());
        }
        if let Some(delegate) = element.camunda("delegateExpression") {
            return Implementation::DelegateExpression(delegate.to_owned());
        }
        if let Some(decision) = element.camunda("decisionRef") {
            // The companions of decisionRef belong to the refused decision call.
            for attribute in [
                "decisionRefBinding",
                "decisionRefVersion",
                "decisionRefVersionTag",
                "decisionRefTenantId",
                "mapDecisionResult",
                "resultVariable",
            ] {
                element.camunda(attribute);
            }
            return Implementation::DecisionRef(decision.to_owned());
        }
        if let Some(expression) = element.camunda("expression") {
            let expression = self.expression(element, "camunda:expression", expression);
            return Implementation::Expression {
                expression,
                result_variable: element.camunda("resultVariable").map(str::to_owned),
            };
        }
        if topic.is_some() {
            self.problem(
                Code::MissingAttribute,
                element,
                format!("{owner} has camunda:topic but no camunda:type=\"external\""),
            );
        }
        Implementation::None
    }

    fn task(&mut self, element: &Element, id: &str) -> Task {
        let owner = describe(element, Some(id));
        let kind = match element.local() {
            "task" => TaskKind::Abstract,
            "manualTask" => TaskKind::Manual,
            "serviceTask" => TaskKind::Service,
            "sendTask" => TaskKind::Send,
            "businessRuleTask" => TaskKind::BusinessRule,
            "receiveTask" => {
                TaskKind::Receive(self.reference(element, "messageRef", &owner, |b| &b.messages))
            }
            "userTask" => TaskKind::User(Box::new(self.user_task(element, &owner))),
            _ => TaskKind::Script(ScriptTask {
                script_format: element.attr("scriptFormat").map(str::to_owned),
                script: element
                    .child(Ns::Bpmn, "script")
                    .and_then(|s| s.trimmed_text().map(str::to_owned)),
                resource: element.camunda("resource").map(str::to_owned),
                result_variable: element.camunda("resultVariable").map(str::to_owned),
            }),
        };
        let implementation = match kind {
            TaskKind::Service | TaskKind::Send | TaskKind::BusinessRule => {
                self.implementation(element, &owner)
            }
            _ => Implementation::None,
        };
        let mut error_event_definitions = Vec::new();
        if let Some(extensions) = element.child(Ns::Bpmn, "extensionElements") {
            for definition in extensions.children_named(Ns::Camunda, "errorEventDefinition") {
                error_event_definitions.push(CamundaErrorEventDefinition {
                    id: self.id(definition),
                    error: self.error_reference(definition, &owner),
                    expression: self.opt_expression(
                        definition,
                        "the expression",
                        definition.attr("expression"),
                    ),
                });
            }
        }
        Task {
            kind,
            implementation,
            error_event_definitions,
        }
    }

    fn user_task(&mut self, element: &Element, owner: &str) -> UserTask {
        let mut task = UserTask {
            assignee: self.opt_expression(element, "camunda:assignee", element.camunda("assignee")),
            due_date: self.opt_expression(element, "camunda:dueDate", element.camunda("dueDate")),
            follow_up_date: self.opt_expression(
                element,
                "camunda:followUpDate",
                element.camunda("followUpDate"),
            ),
            priority: self.opt_expression(element, "camunda:priority", element.camunda("priority")),
            form_key: self.opt_expression(element, "camunda:formKey", element.camunda("formKey")),
            form_ref: element.camunda("formRef").map(str::to_owned),
            form_ref_binding: element.camunda("formRefBinding").map(str::to_owned),
            form_ref_version: element.camunda("formRefVersion").map(str::to_owned),
            ..UserTask::default()
        };
        for (attribute, target) in [
            ("candidateUsers", &mut task.candidate_users),
            ("candidateGroups", &mut task.candidate_groups),
        ] {
            for entry in split_list(element.camunda(attribute)) {
                target.push(self.expression(element, attribute, &entry));
            }
        }
        // BPMN's own resource assignments, as Camunda reads them: one
        // humanPerformer at most, and not beside camunda:assignee.
        let performers: Vec<&Element> =
            element.children_named(Ns::Bpmn, "humanPerformer").collect();
        if performers.len() > 1 {
            self.problem(
                Code::InvalidStructure,
                element,
                format!(
                    "{owner} has {} humanPerformer elements; a task has one assignee, so it \
                     takes one humanPerformer at most",
                    performers.len()
                ),
            );
        }
        let camunda_assignee = task.assignee.take();
        for (role, is_performer) in [("humanPerformer", true), ("potentialOwner", false)] {
            for assignment in element.children_named(Ns::Bpmn, role) {
                let text = assignment
                    .child(Ns::Bpmn, "resourceAssignmentExpression")
                    .and_then(|r| r.child(Ns::Bpmn, "formalExpression"))
                    .and_then(|f| f.trimmed_text().map(str::to_owned));
                let Some(text) = text else {
                    self.problem(
                        Code::MissingAttribute,
                        assignment,
                        format!("the {role} of {owner} has no resourceAssignmentExpression/formalExpression"),
                    );
                    continue;
                };
                if is_performer {
                    task.assignee = Some(self.expression(assignment, role, &text));
                    continue;
                }
                for entry in split_list(Some(&text)) {
                    if let Some(user) = entry
                        .strip_prefix("user(")
                        .and_then(|e| e.strip_suffix(')'))
                    {
                        task.candidate_users
                            .push(self.expression(assignment, role, user.trim()));
                    } else {
                        let group = entry
                            .strip_prefix("group(")
                            .and_then(|e| e.strip_suffix(')'))
                            .unwrap_or(&entry);
                        task.candidate_groups
                            .push(self.expression(assignment, role, group.trim()));
                    }
                }
            }
        }
        if let Some(assignee) = camunda_assignee {
            if let Some(performer) = &task.assignee {
                self.problem(
                    Code::InvalidStructure,
                    element,
                    format!(
                        "{owner} names its assignee twice: camunda:assignee=\"{}\" and the \
                         humanPerformer '{}'; keep one",
                        assignee.as_str(),
                        performer.as_str()
                    ),
                );
            }
            task.assignee = Some(assignee);
        }
        if let Some(extensions) = element.child(Ns::Bpmn, "extensionElements") {
            (task.form_fields, task.form_business_key) = self.form_fields(extensions);
        }
        task
    }

    /// The fields of a `camunda:formData` (and legacy `camunda:formProperty`
    /// elements) among `extensions`, with the formData's `businessKey`.
    fn form_fields(&mut self, extensions: &Element) -> (Vec<FormField>, Option<String>) {
        let mut fields = Vec::new();
        let mut business_key = None;
        // Legacy form properties first: Camunda submits them before the fields.
        for property in extensions.children_named(Ns::Camunda, "formProperty") {
            mark_subtree(property);
            let id = property.attr("id").unwrap_or_default().to_owned();
            if property.attr("id").is_none() {
                self.problem(
                    Code::MissingAttribute,
                    property,
                    "a camunda:formProperty has no id",
                );
            }
            let mut flag = |name: &str, default: bool| match property.attr(name) {
                None => default,
                Some(v) => parse_camunda_bool(v).unwrap_or_else(|| {
                    self.problem(
                        Code::InvalidValue,
                        property,
                        format!(
                            "form property '{id}' has {name}=\"{v}\", which is none of \
                                 on, yes, true, enabled, active, off, no, false, disabled, inactive"
                        ),
                    );
                    default
                }),
            };
            let legacy = FormProperty {
                required: flag("required", false),
                readable: flag("readable", true),
                writable: flag("writable", true),
                variable: property.attr("variable").map(str::to_owned),
                expression: property.attr("expression").map(str::to_owned),
            };
            fields.push(FormField {
                label: property.attr("name").map(str::to_owned),
                field_type: property.attr("type").map(str::to_owned),
                default_value: self.opt_expression(property, "default", property.attr("default")),
                date_pattern: property.attr("datePattern").map(str::to_owned),
                values: enum_values(property),
                property: Some(legacy),
                position: property.position,
                id,
                ..FormField::default()
            });
        }
        // Camunda reads the first camunda:formData only.
        if let Some(form_data) = extensions.children_named(Ns::Camunda, "formData").next() {
            business_key = form_data.attr("businessKey").map(str::to_owned);
            for field in form_data.children_named(Ns::Camunda, "formField") {
                let mut form_field = FormField {
                    id: field.attr("id").unwrap_or_default().to_owned(),
                    label: field.attr("label").map(str::to_owned),
                    field_type: field.attr("type").map(str::to_owned),
                    default_value: self.opt_expression(
                        field,
                        "defaultValue",
                        field.attr("defaultValue"),
                    ),
                    date_pattern: field.attr("datePattern").map(str::to_owned),
                    values: enum_values(field),
                    position: field.position,
                    ..FormField::default()
                };
                if form_field.id.is_empty() {
                    self.problem(
                        Code::MissingAttribute,
                        field,
                        "a camunda:formField has no id",
                    );
                }
                for validation in field.children_named(Ns::Camunda, "validation") {
                    for constraint in validation.children_named(Ns::Camunda, "constraint") {
                        let name = constraint.attr("name").unwrap_or_default().to_owned();
                        if name == "validator" {
                            self.problem(
                                Code::JavaOnly,
                                constraint,
                                format!(
                                    "form field '{}' has a 'validator' constraint, which calls a \
                                     Java class or an expression resolving to a Java \
                                     FormFieldValidator; Baton cannot run it (use the built-in \
                                     constraints, or check the value in a worker)",
                                    form_field.id
                                ),
                            );
                        } else if !is_builtin_constraint(&name) {
                            self.problem(
                                Code::JavaOnly,
                                constraint,
                                format!(
                                    "form field '{}' has the validation constraint '{name}', which is \
                                     not one of Camunda's built-in constraints (required, readonly, \
                                     minlength, maxlength, min, max) and would need Java",
                                    form_field.id
                                ),
                            );
                        }
                        form_field
                            .constraints
                            .push((name, constraint.attr("config").map(str::to_owned)));
                    }
                }
                form_field.properties = properties(field);
                fields.push(form_field);
            }
        }
        (fields, business_key)
    }

    fn call_activity(&mut self, element: &Element) -> CallActivity {
        let owner = describe(element, element.attr("id"));
        let binding = match element.camunda("calledElementBinding").unwrap_or("latest") {
            "latest" => CalledElementBinding::Latest,
            "deployment" => CalledElementBinding::Deployment,
            "version" => match element.camunda("calledElementVersion") {
                Some(version) => CalledElementBinding::Version(self.expression(
                    element,
                    "camunda:calledElementVersion",
                    version,
                )),
                None => {
                    self.problem(
                        Code::MissingAttribute,
                        element,
                        format!("{owner} binds by version but has no camunda:calledElementVersion"),
                    );
                    CalledElementBinding::Latest
                }
            },
            "versionTag" => {
                match element.camunda("calledElementVersionTag") {
                    Some(tag) => CalledElementBinding::VersionTag(self.expression(
                        element,
                        "camunda:calledElementVersionTag",
                        tag,
                    )),
                    None => {
                        self.problem(
                        Code::MissingAttribute,
                        element,
                        format!("{owner} binds by versionTag but has no camunda:calledElementVersionTag"),
                    );
                        CalledElementBinding::Latest
                    }
                }
            }
            other => {
                self.problem(
                    Code::InvalidValue,
                    element,
                    format!(
                        "{owner} has camunda:calledElementBinding=\"{other}\"; expected latest, \
                         deployment, version or versionTag"
                    ),
                );
                CalledElementBinding::Latest
            }
        };
        let mut call = CallActivity {
            called_element: self.opt_expression(
                element,
                "calledElement",
                element.attr("calledElement"),
            ),
            binding,
            tenant_id: self.opt_expression(
                element,
                "camunda:calledElementTenantId",
                element.camunda("calledElementTenantId"),
            ),
            inputs: Vec::new(),
            outputs: Vec::new(),
            business_key: None,
            case_ref: element.camunda("caseRef").map(str::to_owned),
        };
        if call.case_ref.is_some() {
            // The companions of caseRef belong to the refused case call.
            for attribute in ["caseBinding", "caseVersion", "caseTenantId"] {
                element.camunda(attribute);
            }
        }
        if let Some(extensions) = element.child(Ns::Bpmn, "extensionElements") {
            for mapping in extensions.children_named(Ns::Camunda, "in") {
                if let Some(business_key) = mapping.attr("businessKey") {
                    call.business_key = Some(self.expression(mapping, "businessKey", business_key));
                } else if let Some(mapping) = self.variable_mapping(mapping, &owner) {
                    call.inputs.push(mapping);
                }
            }
            for mapping in extensions.children_named(Ns::Camunda, "out") {
                if let Some(mapping) = self.variable_mapping(mapping, &owner) {
                    call.outputs.push(mapping);
                }
            }
        }
        for unsupported in ["variableMappingClass", "variableMappingDelegateExpression"] {
            if let Some(value) = element.camunda(unsupported) {
                self.problem(
                    Code::JavaOnly,
                    element,
                    format!("{owner} has camunda:{unsupported}=\"{value}\", which needs Java"),
                );
            }
        }
        call
    }

    fn variable_mapping(&mut self, mapping: &Element, owner: &str) -> Option<VariableMapping> {
        let local = self.bool_attr(mapping, mapping.attr("local"), "local", false);
        if mapping.attr("variables") == Some("all") {
            return Some(VariableMapping::All { local });
        }
        let source = if let Some(source) = mapping.attr("source").filter(|s| !s.trim().is_empty()) {
            MappingSource::Variable(source.to_owned())
        } else if let Some(expression) = mapping
            .attr("sourceExpression")
            .filter(|s| !s.trim().is_empty())
        {
            MappingSource::Expression(self.expression(mapping, "sourceExpression", expression))
        } else {
            self.problem(
                Code::MissingAttribute,
                mapping,
                format!(
                    "a <{}> of {owner} has neither variables=\"all\", source nor sourceExpression",
                    mapping.qname()
                ),
            );
            return None;
        };
        let Some(target) = mapping.attr("target").filter(|t| !t.trim().is_empty()) else {
            self.problem(
                Code::MissingAttribute,
                mapping,
                format!("a <{}> of {owner} has no target", mapping.qname()),
            );
            return None;
        };
        Some(VariableMapping::One {
            source,
            target: target.to_owned(),
            local,
        })
    }

    fn input_output(&mut self, extensions: &Element) -> InputOutput {
        let mut mappings = InputOutput::default();
        for io in extensions.children_named(Ns::Camunda, "inputOutput") {
            for (local, target) in [
                ("inputParameter", &mut mappings.inputs),
                ("outputParameter", &mut mappings.outputs),
            ] {
                for parameter in io.children_named(Ns::Camunda, local) {
                    let Some(name) = parameter.attr("name").map(str::to_owned) else {
                        self.problem(
                            Code::MissingAttribute,
                            parameter,
                            format!("a camunda:{local} has no name"),
                        );
                        continue;
                    };
                    let value = self.parameter_value(parameter, &name);
                    target.push(Parameter { name, value });
                }
            }
        }
        mappings
    }

    /// The content of a parameter, list value or map entry.
    fn parameter_value(&mut self, element: &Element, name: &str) -> ParameterValue {
        let structured = element.children.iter().find(|c| c.ns == Ns::Camunda);
        match structured {
            Some(other) => self.structured(other, name),
            None => match element.trimmed_text() {
                None => ParameterValue::Null,
                Some(text) => {
                    let text = text.to_owned();
                    ParameterValue::Text(self.expression(
                        element,
                        &format!("parameter '{name}'"),
                        &text,
                    ))
                }
            },
        }
    }

    fn structured(&mut self, element: &Element, name: &str) -> ParameterValue {
        element.mark_used();
        match element.local() {
            "map" => {
                let mut entries = Vec::new();
                for entry in element.children_named(Ns::Camunda, "entry") {
                    let key = entry.attr("key").unwrap_or_default().to_owned();
                    let value = self.parameter_value(entry, name);
                    entries.push((key, value));
                }
                ParameterValue::Map(entries)
            }
            "list" => {
                let items = element
                    .children
                    .iter()
                    .filter(|c| c.ns == Ns::Camunda)
                    .map(|item| {
                        item.mark_used();
                        if item.local() == "value" {
                            self.parameter_value(item, name)
                        } else {
                            self.structured(item, name)
                        }
                    })
                    .collect();
                ParameterValue::List(items)
            }
            "script" => {
                let format = element.attr("scriptFormat").unwrap_or("unknown");
                self.problem(
                    Code::Script,
                    element,
                    format!("parameter '{name}' is a {format} script; Baton runs no scripts"),
                );
                ParameterValue::Null
            }
            other => {
                self.problem(
                    Code::UnsupportedElement,
                    element,
                    format!(
                        "parameter '{name}' holds camunda:{other}, which is not a parameter value"
                    ),
                );
                ParameterValue::Null
            }
        }
    }

    fn multi_instance(&mut self, element: &Element) -> MultiInstance {
        let is_sequential =
            self.bool_attr(element, element.attr("isSequential"), "isSequential", false);
        let async_before = {
            let before = element.camunda("asyncBefore").or(element.camunda("async"));
            self.bool_attr(element, before, "camunda:asyncBefore", false)
        };
        let async_after = self.bool_attr(
            element,
            element.camunda("asyncAfter"),
            "camunda:asyncAfter",
            false,
        );
        // Honoured in Camunda only together with async; read here so it is not reported as unknown.
        element.camunda("exclusive");
        let loop_cardinality = match element.child(Ns::Bpmn, "loopCardinality") {
            Some(child) => self.condition(child, "the loopCardinality"),
            None => None,
        };
        let completion_condition = match element.child(Ns::Bpmn, "completionCondition") {
            Some(child) => self.condition(child, "the completionCondition"),
            None => None,
        };
        // BPMN's own spelling of collection and element variable, which Camunda also reads.
        let collection = match element.camunda("collection") {
            Some(collection) => Some(collection.to_owned()),
            None => element
                .child(Ns::Bpmn, "loopDataInputRef")
                .and_then(|r| r.trimmed_text().map(str::to_owned)),
        };
        let element_variable = match element.camunda("elementVariable") {
            Some(variable) => Some(variable.to_owned()),
            None => element
                .child(Ns::Bpmn, "inputDataItem")
                .and_then(|item| item.attr("name").map(str::to_owned)),
        };
        MultiInstance {
            is_sequential,
            loop_cardinality,
            collection: self.opt_expression(element, "camunda:collection", collection.as_deref()),
            element_variable,
            completion_condition,
            async_before,
            async_after,
            failed_job_retry_time_cycle: element
                .child(Ns::Bpmn, "extensionElements")
                .and_then(retry_cycle),
        }
    }

    /// Reports whatever the builder did not read, below `element`.
    ///
    /// A Camunda extension nobody read is an error when it is a hook Baton would not
    /// run (a listener, a connector, a field injection, a script, an error event
    /// definition of an external task): passing with a warning, the model would
    /// deploy and silently do less than on Camunda. Any other is a warning
    /// (`ignored`): Camunda reads none of them where Baton leaves them either. Those
    /// the corpora of Camunda's own models hold are: `camunda:in` and `camunda:out`
    /// outside a call activity and a throwing signal event, `camunda:inputOutput`
    /// on a sequence flow or a process, `camunda:properties` where nothing reads
    /// them (they are metadata for Java plugins), `camunda:expression` on a user
    /// task, `camunda:historyTimeToLive` on `definitions`, `camunda:resultVariable`
    /// on an external task, and attributes Camunda does not define (a typo, say).
    fn report_unread(&mut self, element: &Element) {
        self.report_unread_in(element, None);
    }

    /// [`Builder::report_unread`], with `owner` the nearest enclosing element that
    /// has an id, which messages name (an extension element has none of its own).
    fn report_unread_in(&mut self, element: &Element, owner: Option<(String, &str)>) {
        let owner = match element.attr("id") {
            Some(id) => Some((describe(element, Some(id)), id)),
            None => owner,
        };
        let name = |element: &Element| match &owner {
            Some((described, _)) => described.clone(),
            None => describe(element, None),
        };
        let owner_id = owner.as_ref().map(|(_, id)| *id);
        for attr in &element.attrs {
            if attr.ns == Ns::Camunda && !attr.used.get() {
                let described = describe(element, element.attr("id"));
                self.problems.push(Problem::new(
                    unread_attribute_code(attr.local()),
                    element.position,
                    element.attr("id").or(owner_id),
                    unread_attribute_message(&described, attr.qname(), &attr.value),
                ));
            }
        }
        for child in &element.children {
            if child.used.get() {
                self.report_unread_in(child, owner.clone());
                continue;
            }
            match child.ns {
                Ns::Bpmn if INERT.contains(&child.local()) => {}
                // Extensions on an element that reads none of its own may
                // still hold Camunda extensions, which must be reported.
                Ns::Bpmn if child.local() == "extensionElements" => {
                    self.report_unread_in(child, owner.clone());
                }
                Ns::Bpmn => {
                    let owner = describe(element, element.attr("id"));
                    let message = if child.local() == "adHocSubProcess" {
                        format!(
                            "{} in {owner} is an ad-hoc subprocess, which Camunda 7 and Baton do not run",
                            describe(child, child.attr("id"))
                        )
                    } else {
                        format!(
                            "<{}> in {owner} is not a BPMN element Baton runs",
                            child.qname()
                        )
                    };
                    self.problem(Code::UnsupportedElement, child, message);
                }
                Ns::Camunda => {
                    // Everything inside belongs to the extension, reported whole.
                    mark_subtree(child);
                    let (code, message) = unread_extension(child, &name(element));
                    self.problem_about(code, child, owner_id, message);
                }
                // Diagram interchange and other vendors' extensions mean nothing to execution.
                Ns::Other | Ns::None => {}
            }
        }
    }
}

/// When the engine evaluates an event's expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Evaluated {
    /// When the process is deployed: a timer start event of the process.
    AtDeployment,
    /// When a token arrives or a scope starts, with the instance's variables.
    AtRunTime,
}

/// What an expression's value is before it is evaluated.
enum Known {
    /// Text: literal text and string literals.
    Text(String),
    /// A date: `now()` or `dateTime()` alone.
    Date,
    /// Only evaluation can tell; the string says what it depends on.
    Unknown(String),
}

/// The value of `template` as far as it is known without evaluating it: what the
/// engine's evaluation gives for literal text, string literals, and `now()` or
/// `dateTime()` alone (a date, which the engine formats as a date-time).
fn known_value(template: &Template) -> Known {
    if let Some(expression) = template.as_single() {
        match &expression.kind {
            ExprKind::Call {
                target: None,
                name,
                args,
            } if args.is_empty() && (name == "now" || name == "dateTime") => return Known::Date,
            ExprKind::String(_) => {}
            _ => return Known::Unknown(dependency(template)),
        }
    }
    let mut text = String::new();
    for part in &template.parts {
        match part {
            Part::Text(literal) => text.push_str(literal),
            Part::Expr(expression) => match &expression.kind {
                ExprKind::String(literal) => text.push_str(literal),
                _ => return Known::Unknown(dependency(template)),
            },
        }
    }
    Known::Text(text)
}

/// What a template's value depends on, for messages ("reads the variable 'x'"): its
/// first variable, else its first function.
fn dependency(template: &Template) -> String {
    let mut variable = None;
    let mut function = None;
    template.walk(&mut |node| match &node.kind {
        ExprKind::Ident(name) if variable.is_none() => variable = Some(name.clone()),
        ExprKind::Call {
            target: None, name, ..
        } if function.is_none() => function = Some(name.clone()),
        _ => {}
    });
    match (variable, function) {
        (Some(name), _) if name == "execution" => "reads the execution".to_owned(),
        (Some(name), _) => format!("reads the variable '{name}'"),
        (None, Some(name)) => format!("calls {name}(...)"),
        (None, None) => "is computed".to_owned(),
    }
}

struct Context<'a> {
    process_id: &'a str,
    node_ids: &'a HashMap<&'a str, NodeId>,
    flow_ids: &'a HashMap<&'a str, FlowId>,
}

/// Looks `reference` up; a reference written as a QName (`tns:newInvoice`)
/// is also tried without its prefix, as Camunda resolves it.
fn lookup<'m, K, V>(map: &'m HashMap<K, V>, reference: &str) -> Option<&'m V>
where
    K: std::borrow::Borrow<str> + std::hash::Hash + Eq,
{
    map.get(reference).or_else(|| {
        let (_, local) = reference.split_once(':')?;
        map.get(local)
    })
}

fn is_flow_node(local: &str) -> bool {
    matches!(
        local,
        "startEvent"
            | "endEvent"
            | "intermediateCatchEvent"
            | "intermediateThrowEvent"
            | "boundaryEvent"
            | "task"
            | "manualTask"
            | "serviceTask"
            | "sendTask"
            | "businessRuleTask"
            | "receiveTask"
            | "userTask"
            | "scriptTask"
            | "subProcess"
            | "transaction"
            | "callActivity"
            | "exclusiveGateway"
            | "parallelGateway"
            | "inclusiveGateway"
            | "eventBasedGateway"
            | "complexGateway"
    )
}

/// Camunda's built-in form field validators.
/// The `camunda:value` entries of an enum form field: `(id, name)`.
fn enum_values(field: &Element) -> Vec<(String, Option<String>)> {
    field
        .children_named(Ns::Camunda, "value")
        .map(|value| {
            (
                value.attr("id").unwrap_or_default().to_owned(),
                value.attr("name").map(str::to_owned),
            )
        })
        .collect()
}

/// A boolean attribute as Camunda's `BpmnParse.parseBooleanAttribute` reads it.
fn parse_camunda_bool(value: &str) -> Option<bool> {
    match value {
        "on" | "yes" | "true" | "enabled" | "active" => Some(true),
        "off" | "no" | "false" | "disabled" | "inactive" => Some(false),
        _ => None,
    }
}

fn is_builtin_constraint(name: &str) -> bool {
    matches!(
        name,
        "required" | "readonly" | "minlength" | "maxlength" | "min" | "max"
    )
}

/// What a `camunda:executionListener` or `camunda:taskListener` element holds.
fn listener_of(listener: &Element, is_task_listener: bool) -> Listener {
    let implementation = if let Some(class) = listener.camunda("class").or(listener.attr("class")) {
        format!("class: {class}")
    } else if let Some(expression) = listener
        .camunda("expression")
        .or(listener.attr("expression"))
    {
        format!("expression: {expression}")
    } else if let Some(delegate) = listener
        .camunda("delegateExpression")
        .or(listener.attr("delegateExpression"))
    {
        format!("delegateExpression: {delegate}")
    } else if let Some(script) = listener.child(Ns::Camunda, "script") {
        format!(
            "script: {}",
            script.attr("scriptFormat").unwrap_or("unknown")
        )
    } else {
        "nothing".to_owned()
    };
    Listener {
        is_task_listener,
        event: listener.attr("event").map(str::to_owned),
        implementation,
        position: listener.position,
    }
}

/// The code and message for a Camunda extension element nobody read, found in
/// `owner` (see [`Builder::report_unread`]).
fn unread_extension(extension: &Element, owner: &str) -> (Code, String) {
    match extension.local() {
        local @ ("executionListener" | "taskListener") => {
            let listener = listener_of(extension, local == "taskListener");
            crate::validate::listener_message(&listener, owner)
        }
        local @ ("connector" | "field") => (
            Code::JavaOnly,
            format!(
                "{owner} uses camunda:{local}, which needs Java; make the work an external task \
                 (camunda:type=\"external\") and do it in a worker"
            ),
        ),
        "script" => (
            Code::Script,
            format!(
                "{owner} holds a {} script (camunda:script); Baton runs no scripts",
                extension.attr("scriptFormat").unwrap_or("camunda:script")
            ),
        ),
        "errorEventDefinition" => (
            Code::UnsupportedElement,
            error_event_definitions_message(owner),
        ),
        _ => (
            Code::Ignored,
            format!(
                "<{}> in {owner} is not a Camunda extension Baton knows; it is ignored",
                extension.qname()
            ),
        ),
    }
}

/// Why `camunda:errorEventDefinition`s of an external task are refused.
pub(crate) fn error_event_definitions_message(owner: &str) -> String {
    format!(
        "{owner} has a camunda:errorEventDefinition, which Baton does not evaluate yet: a \
         worker's result would never turn into that BPMN error; have the worker report the \
         error itself (handleBpmnError, POST /external-task/{{id}}/bpmnError)"
    )
}

fn unread_attribute_code(local: &str) -> Code {
    match local {
        "class"
        | "delegateExpression"
        | "variableMappingClass"
        | "variableMappingDelegateExpression" => Code::JavaOnly,
        "resource" => Code::Script,
        _ => Code::Ignored,
    }
}

fn unread_attribute_message(owner: &str, qname: &str, value: &str) -> String {
    match qname.rsplit(':').next().unwrap_or(qname) {
        "class"
        | "delegateExpression"
        | "variableMappingClass"
        | "variableMappingDelegateExpression" => {
            format!("{owner} has {qname}=\"{value}\", which needs Java")
        }
        "resource" => {
            format!("{owner} has {qname}=\"{value}\", a script resource; Baton runs no scripts")
        }
        _ => format!("{owner} has {qname}=\"{value}\", which Baton does not use; it is ignored"),
    }
}

/// `serviceTask 'Task_1'`, for messages.
pub(crate) fn describe(element: &Element, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("{} '{id}'", element.local()),
        None => format!("<{}>", element.qname()),
    }
}

fn documentation(element: &Element) -> Option<String> {
    element
        .child(Ns::Bpmn, "documentation")
        .and_then(|d| d.trimmed_text().map(str::to_owned))
}

fn properties(extensions: &Element) -> Vec<Property> {
    extensions
        .children_named(Ns::Camunda, "properties")
        .flat_map(|p| p.children_named(Ns::Camunda, "property"))
        .map(|p| Property {
            name: p.attr("name").unwrap_or_default().to_owned(),
            value: p.attr("value").map(str::to_owned),
        })
        .collect()
}

fn retry_cycle(extensions: &Element) -> Option<String> {
    extensions
        .child(Ns::Camunda, "failedJobRetryTimeCycle")
        .and_then(|c| c.trimmed_text().map(str::to_owned))
}

fn mark_subtree(element: &Element) {
    element.mark_used();
    for attr in &element.attrs {
        attr.used.set(true);
    }
    for child in &element.children {
        mark_subtree(child);
    }
}

/// Splits a comma-separated attribute, dropping blanks; an expression with
/// commas inside `${...}` stays whole.
fn split_list(value: Option<&str>) -> Vec<String> {
    let Some(value) = value else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in value.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}
