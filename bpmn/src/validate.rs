//! Semantic rules over a built model: what is well-formed BPMN but cannot
//! run, or cannot run on Baton.
//!
//! Every rule runs and reports; none stops at the first problem. Rules about
//! the XML itself (references, duplicate ids, unknown elements) live in
//! [`crate::build`], where the elements are at hand.

mod catching;

use std::collections::HashMap;

use crate::model::*;
use crate::problem::{Code, Position, Problem};

/// Checks `definitions`, appending every problem found to `problems`.
pub(crate) fn validate(definitions: &Definitions, root: Position, problems: &mut Vec<Problem>) {
    if definitions.executable_processes().next().is_none() {
        let message = if definitions.processes.is_empty() {
            "the file has no process, so there is nothing to deploy".to_owned()
        } else {
            let ids: Vec<&str> = definitions
                .processes
                .iter()
                .map(|p| p.id.as_str())
                .collect();
            format!(
                "the file has no executable process: {} {} isExecutable=\"false\"; \
                 set it to true (Camunda Modeler: the 'Executable' checkbox) to deploy",
                ids.join(", "),
                if ids.len() == 1 { "has" } else { "have" }
            )
        };
        problems.push(Problem::new(
            Code::NoExecutableProcess,
            root,
            definitions.id.as_deref(),
            message,
        ));
    }
    for process in definitions.executable_processes() {
        let mut checker = Checker { process, problems };
        checker.process();
    }
}

/// What [`Checker::forms`] looks at.
struct Form<'a> {
    has_key: bool,
    form_ref: Option<&'a str>,
    binding: Option<&'a str>,
    version: Option<&'a str>,
    /// Whether `version` is evaluated as an expression (a user task's is).
    version_evaluated: bool,
    fields: &'a [FormField],
}

/// `text` as Java's `Integer.parseInt` reads it: an optional sign and decimal digits.
fn java_int(text: &str) -> Option<i32> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.strip_prefix('+').unwrap_or(text).parse().ok()
}

/// Whether Java's `Double.parseDouble` reads `text` as a number (leading and trailing
/// blanks allowed, as there).
fn java_double(text: &str) -> bool {
    let t = text.trim();
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && t.parse::<f64>().is_ok()
}

/// Whether an attribute's text holds an expression.
fn is_expression(text: &str) -> bool {
    text.contains("${") || text.contains("#{")
}

struct Checker<'a> {
    process: &'a Process,
    problems: &'a mut Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, code: Code, node: &Node, message: String) {
        self.problems
            .push(Problem::new(code, node.position, Some(&node.id), message));
    }

    fn process(&mut self) {
        let process = self.process;
        if let Some(ttl) = &process.history_time_to_live
            && !is_history_time_to_live(ttl)
        {
            self.problems.push(Problem::new(
                Code::InvalidValue,
                process.position,
                Some(&process.id),
                format!(
                    "process '{}' has camunda:historyTimeToLive=\"{ttl}\"; expected a number of days \
                     or a period of days such as P180D",
                    process.id
                ),
            ));
        }
        for (attribute, priority) in [
            ("taskPriority", &process.task_priority),
            ("jobPriority", &process.job_priority),
        ] {
            let owner = || format!("process '{}'", process.id);
            if let Some(message) = bad_priority(owner, attribute, priority.as_ref()) {
                self.problems.push(Problem::new(
                    Code::InvalidValue,
                    process.position,
                    Some(&process.id),
                    message,
                ));
            }
        }
        self.start_names();
        self.scope(None);
        for (index, node) in process.nodes.iter().enumerate() {
            let id = NodeId::from_index(index);
            if matches!(node.kind, NodeKind::SubProcess(_)) {
                self.scope(Some(id));
            }
            self.node(node);
        }
        self.catchers();
        for listener in &process.listeners {
            self.problems.push(listener_problem(
                listener,
                &format!("process '{}'", process.id),
                &process.id,
            ));
        }
        for flow in &process.flows {
            for listener in &flow.listeners {
                self.problems.push(listener_problem(
                    listener,
                    &format!("sequence flow '{}'", flow.id),
                    &flow.id,
                ));
            }
        }
    }

    /// Rules about what a process or subprocess holds directly.
    fn scope(&mut self, scope: Option<NodeId>) {
        let process = self.process;
        let starts: Vec<&Node> = process
            .start_events(scope)
            .map(|id| process.node(id))
            .collect();
        let triggered_by_event = scope.is_some_and(|id| {
            matches!(&process.node(id).kind, NodeKind::SubProcess(sub) if sub.triggered_by_event)
        });
        let none_starts: Vec<&Node> = starts
            .iter()
            .copied()
            .filter(|n| matches!(&n.kind, NodeKind::StartEvent(s) if s.event.is_none()))
            .collect();
        match scope {
            None => {
                if starts.is_empty() {
                    self.problems.push(Problem::new(
                        Code::NoStartEvent,
                        process.position,
                        Some(&process.id),
                        format!(
                            "process '{}' has no start event, so it can never start",
                            process.id
                        ),
                    ));
                }
            }
            Some(id) if triggered_by_event => {
                let node = process.node(id);
                if starts.len() != 1 {
                    self.report(
                        Code::InvalidStructure,
                        node,
                        format!(
                            "event subprocess '{}' has {} start events; it needs exactly one, with a trigger",
                            node.id,
                            starts.len()
                        ),
                    );
                }
            }
            Some(id) => {
                let node = process.node(id);
                if starts.is_empty() && !self.is_compensation_only(id) {
                    self.report(
                        Code::NoStartEvent,
                        node,
                        format!("subprocess '{}' has no start event", node.id),
                    );
                }
            }
        }
        if let Some(&node) = none_starts.get(1) {
            self.report(
                Code::InvalidStructure,
                node,
                format!(
                    "start event '{}' is a second none start event in the same scope; \
                     there can be only one",
                    node.id
                ),
            );
        }
        for start in &starts {
            let NodeKind::StartEvent(event) = &start.kind else {
                continue;
            };
            match (&event.event, triggered_by_event) {
                (None, true) => self.report(
                    Code::InvalidStructure,
                    start,
                    format!(
                        "start event '{}' of an event subprocess has no trigger; \
                         it needs a message, timer, signal, error, escalation, conditional or compensation definition",
                        start.id
                    ),
                ),
                (
                    Some(EventDefinition::Error(_) | EventDefinition::Escalation(_) | EventDefinition::Compensate(_)),
                    false,
                ) => self.report(
                    Code::InvalidStructure,
                    start,
                    format!(
                        "start event '{}' is triggered by {}, which only event subprocesses can be",
                        start.id,
                        event.event.as_ref().map_or("", EventDefinition::name)
                    ),
                ),
                (Some(EventDefinition::Message(_) | EventDefinition::Timer(_) | EventDefinition::Signal(_)
                | EventDefinition::Conditional(_)), false) if scope.is_some() => self.report(
                    Code::InvalidStructure,
                    start,
                    format!(
                        "start event '{}' of an embedded subprocess has a trigger; \
                         only a none start event can start an embedded subprocess",
                        start.id
                    ),
                ),
                _ => {}
            }
        }
        self.links(scope);
    }

    /// A subprocess that only holds compensation handlers needs no start.
    fn is_compensation_only(&self, scope: NodeId) -> bool {
        let process = self.process;
        process
            .children(Some(scope))
            .all(|id| process.node(id).is_for_compensation)
    }

    /// Every link throw in a scope needs a catch with its name there.
    fn links(&mut self, scope: Option<NodeId>) {
        let process = self.process;
        let mut catches: HashMap<&str, usize> = HashMap::new();
        for id in process.children(scope) {
            if let NodeKind::IntermediateCatchEvent(EventDefinition::Link(Some(name))) =
                &process.node(id).kind
            {
                *catches.entry(name.as_str()).or_default() += 1;
            }
        }
        for id in process.children(scope) {
            let node = process.node(id);
            match &node.kind {
                NodeKind::IntermediateThrowEvent(ThrowEvent {
                    event: Some(EventDefinition::Link(name)),
                }) => {
                    let name = name.as_deref().unwrap_or_default();
                    if !catches.contains_key(name) {
                        self.report(
                            Code::UnknownReference,
                            node,
                            format!(
                                "link throw event '{}' goes to link '{name}', but no link catch \
                                 event in the same scope has that name",
                                node.id
                            ),
                        );
                    }
                }
                NodeKind::IntermediateCatchEvent(EventDefinition::Link(Some(name)))
                    if catches.get(name.as_str()).copied().unwrap_or_default() > 1 =>
                {
                    self.report(
                        Code::InvalidStructure,
                        node,
                        format!("link catch event '{}' shares the link name '{name}' with another in its scope", node.id),
                    );
                }
                _ => {}
            }
        }
    }

    /// Message and signal start events of one process must differ in name:
    /// a message or signal must say which start it means.
    fn start_names(&mut self) {
        let process = self.process;
        let mut seen: HashMap<(&str, &str), &str> = HashMap::new();
        for node in &process.nodes {
            let NodeKind::StartEvent(StartEvent {
                event: Some(event), ..
            }) = &node.kind
            else {
                continue;
            };
            if node.parent.is_some() {
                continue;
            }
            // An unresolved reference is reported where it is read.
            let (kind, name) = match event {
                EventDefinition::Message(MessageEventDefinition {
                    message: Some(m), ..
                }) => ("message", m.name.as_deref()),
                EventDefinition::Signal(SignalEventDefinition {
                    signal: Some(s), ..
                }) => ("signal", s.name.as_deref()),
                _ => continue,
            };
            let name = name.map(str::trim).unwrap_or_default();
            // A signal without a name is reported where it is declared.
            if name.is_empty() && kind == "signal" {
                continue;
            }
            if name.is_empty() {
                self.report(
                    Code::MissingAttribute,
                    node,
                    format!(
                        "{kind} start event '{}' refers to a {kind} without a name",
                        node.id
                    ),
                );
                continue;
            }
            if kind == "message" && (name.contains("${") || name.contains("#{")) {
                self.report(
                    Code::InvalidValue,
                    node,
                    format!(
                        "message start event '{}' waits for the message '{name}'; a message start \
                         event's name cannot be an expression",
                        node.id
                    ),
                );
            }
            if let Some(first) = seen.insert((kind, name), &node.id) {
                self.report(
                    Code::InvalidStructure,
                    node,
                    format!(
                        "start events '{first}' and '{}' both wait for the {kind} '{name}'; \
                         each {kind} may start a process one way only",
                        node.id
                    ),
                );
            }
        }
    }

    fn node(&mut self, node: &Node) {
        self.not_executed(node);
        self.input_output(node);
        let owner = || format!("{} '{}'", node.kind.element_name(), node.id);
        if let Some(message) = bad_priority(owner, "jobPriority", node.job_priority.as_ref()) {
            self.report(Code::InvalidValue, node, message);
        }
        for listener in &node.listeners {
            let owner = format!("{} '{}'", node.kind.element_name(), node.id);
            self.problems
                .push(listener_problem(listener, &owner, &node.id));
        }
        if let Some(default) = node.default_flow
            && !node.outgoing.contains(&default)
        {
            let flow = &self.process.flow(default).id;
            let message = format!(
                "{} '{}' has default flow '{flow}', which does not leave it",
                node.kind.element_name(),
                node.id
            );
            self.report(Code::InvalidStructure, node, message);
        }
        match &node.kind {
            NodeKind::StartEvent(start) => {
                self.forms(
                    node,
                    &Form {
                        has_key: start.form_key.is_some(),
                        form_ref: start.form_ref.as_deref(),
                        binding: start.form_ref_binding.as_deref(),
                        version: start.form_ref_version.as_deref(),
                        version_evaluated: false,
                        fields: &start.form_data,
                    },
                );
                if let Some(
                    event @ (EventDefinition::Link(_)
                    | EventDefinition::Terminate
                    | EventDefinition::Cancel),
                ) = &start.event
                {
                    self.report(
                        Code::InvalidStructure,
                        node,
                        format!(
                            "start event '{}' has a {} event definition, which no start event can have",
                            node.id,
                            event.name()
                        ),
                    );
                }
            }
            NodeKind::IntermediateCatchEvent(event) => self.catching(node, event),
            NodeKind::Task(task) => self.task(node, task),
            NodeKind::CallActivity(call) => self.call_activity(node, call),
            NodeKind::Gateway(gateway) => self.gateway(node, gateway),
            NodeKind::BoundaryEvent(boundary) => self.boundary(node, boundary),
            NodeKind::EndEvent(EndEvent { event: Some(event) })
            | NodeKind::IntermediateThrowEvent(ThrowEvent { event: Some(event) }) => {
                self.throwing(node, event)
            }
            _ => {}
        }
        if let Some(loop_characteristics) = &node.loop_characteristics {
            match loop_characteristics {
                LoopCharacteristics::Standard { .. } => self.report(
                    Code::UnsupportedElement,
                    node,
                    format!(
                        "{} '{}' has standardLoopCharacteristics, which Camunda 7 and Baton do not run; \
                         use multi-instance",
                        node.kind.element_name(),
                        node.id
                    ),
                ),
                LoopCharacteristics::MultiInstance(mi) => {
                    if mi.loop_cardinality.is_none() && mi.collection.is_none() {
                        self.report(
                            Code::MissingAttribute,
                            node,
                            format!(
                                "the multi-instance {} '{}' has neither loopCardinality nor \
                                 camunda:collection, so it cannot tell how many instances to run",
                                node.kind.element_name(),
                                node.id
                            ),
                        );
                    }
                }
            }
            if !node.kind.is_activity() {
                self.report(
                    Code::InvalidStructure,
                    node,
                    format!(
                        "{} '{}' is not an activity and cannot loop",
                        node.kind.element_name(),
                        node.id
                    ),
                );
            }
        }
    }

    fn task(&mut self, node: &Node, task: &Task) {
        let element = task.kind.element_name();
        match &task.kind {
            TaskKind::Script(script) => {
                let format = script.script_format.as_deref().unwrap_or("unknown");
                self.report(
                    Code::Script,
                    node,
                    format!(
                        "scriptTask '{}' is a {format} script; Baton runs no scripts \
                         (make it an external task and do the work in a worker)",
                        node.id
                    ),
                );
            }
            TaskKind::User(user) => {
                self.forms(
                    node,
                    &Form {
                        has_key: user.form_key.is_some(),
                        form_ref: user.form_ref.as_deref(),
                        binding: user.form_ref_binding.as_deref(),
                        version: user.form_ref_version.as_deref(),
                        version_evaluated: true,
                        fields: &user.form_fields,
                    },
                );
            }
            TaskKind::Service | TaskKind::Send | TaskKind::BusinessRule
                if matches!(task.implementation, Implementation::None) =>
            {
                self.report(
                    Code::MissingAttribute,
                    node,
                    format!(
                        "{element} '{}' says nothing about how it is done; \
                         give it camunda:type=\"external\" and a camunda:topic",
                        node.id
                    ),
                );
            }
            _ => {}
        }
        self.implementation(
            node,
            &format!("{element} '{}'", node.id),
            &task.implementation,
        );
        // Camunda reads them on external tasks only; elsewhere they mean nothing.
        if matches!(task.implementation, Implementation::External { .. })
            && !task.error_event_definitions.is_empty()
        {
            let message =
                crate::build::error_event_definitions_message(&format!("{element} '{}'", node.id));
            self.report(Code::UnsupportedElement, node, message);
        }
    }

    /// Warns about an element Baton validates but does not run yet, saying what
    /// happens instead (the engine's `execute_inner` raises an incident where a token
    /// reaches it; a catcher of compensation or cancellation is never triggered, as
    /// nothing throws them). The model deploys: the rest of it runs.
    fn not_executed(&mut self, node: &Node) {
        const INCIDENT: &str = "a token that reaches it waits there with an incident";
        let what = format!("{} '{}'", node.kind.element_name(), node.id);
        let message = match &node.kind {
            NodeKind::EndEvent(EndEvent {
                event: Some(EventDefinition::Compensate(_)),
            })
            | NodeKind::IntermediateThrowEvent(ThrowEvent {
                event: Some(EventDefinition::Compensate(_)),
            }) => format!("{what} throws compensation, which Baton does not run yet; {INCIDENT}"),
            NodeKind::EndEvent(EndEvent {
                event: Some(EventDefinition::Cancel),
            }) if self.inside_transaction(node) => {
                format!("{what} cancels its transaction, which Baton does not run yet; {INCIDENT}")
            }
            NodeKind::BoundaryEvent(BoundaryEvent {
                event: event @ (EventDefinition::Compensate(_) | EventDefinition::Cancel),
                ..
            }) => format!(
                "{what} is never triggered: Baton does not run {} yet",
                if matches!(event, EventDefinition::Cancel) {
                    "the cancellation of transactions"
                } else {
                    "compensation"
                }
            ),
            NodeKind::StartEvent(StartEvent {
                event: Some(EventDefinition::Compensate(_)),
                ..
            }) => format!("{what} is never triggered: Baton does not run compensation yet"),
            _ if node.is_for_compensation => format!(
                "{what} is a compensation handler, which is never called: Baton does not run \
                 compensation yet"
            ),
            _ => return,
        };
        self.report(Code::NotExecuted, node, message);
    }

    /// Where `camunda:inputOutput` may be, as Camunda's `checkActivityInputOutputSupported`
    /// and `ensureNoIoMappingDefined` decide: not on gateways, start and boundary
    /// events or event subprocesses, and no output parameters on end events (which
    /// the engine, like Camunda, would never map) or multi-instance activities.
    fn input_output(&mut self, node: &Node) {
        let io = &node.input_output;
        if io.is_empty() {
            return;
        }
        let element = node.kind.element_name();
        let refused = match &node.kind {
            NodeKind::Gateway(_) | NodeKind::StartEvent(_) | NodeKind::BoundaryEvent(_) => {
                Some(format!(
                    "{element} '{}' has camunda:inputOutput, which a {element} cannot have",
                    node.id
                ))
            }
            NodeKind::SubProcess(sub) if sub.triggered_by_event => Some(format!(
                "event subprocess '{}' has camunda:inputOutput, which an event subprocess cannot have",
                node.id
            )),
            NodeKind::EndEvent(_) if !io.outputs.is_empty() => Some(format!(
                "endEvent '{}' has camunda:outputParameter, which an end event cannot have: \
                 nothing leaves it to take the values",
                node.id
            )),
            _ if !io.outputs.is_empty()
                && matches!(
                    node.loop_characteristics,
                    Some(LoopCharacteristics::MultiInstance(_))
                ) =>
            {
                Some(format!(
                    "the multi-instance {element} '{}' has camunda:outputParameter, which Camunda \
                     does not allow on multi-instance activities",
                    node.id
                ))
            }
            _ => None,
        };
        if let Some(message) = refused {
            self.report(Code::InvalidStructure, node, message);
        }
    }

    /// The form of a user task or start event: Camunda refuses both kinds at once
    /// and an unknown binding.
    /// A start event's or user task's form: a form key, a Camunda Form
    /// reference, or generated-form fields, checked as Camunda's `BpmnParse`,
    /// `FormTypes` and `FormValidators` check them, and refusing what Baton could
    /// not honour (a custom field type, a date pattern it does not read, a legacy
    /// form property written through an expression).
    fn forms(&mut self, node: &Node, form: &Form<'_>) {
        let element = node.kind.element_name();
        let owner = format!("{element} '{}'", node.id);
        if form.has_key && form.form_ref.is_some() {
            self.report(
                Code::InvalidStructure,
                node,
                format!("{owner} has both camunda:formKey and camunda:formRef; choose one"),
            );
        }
        if let Some(binding) = form.binding
            && !matches!(binding, "latest" | "deployment" | "version")
        {
            self.report(
                Code::InvalidValue,
                node,
                format!(
                    "{owner} has camunda:formRefBinding=\"{binding}\"; expected latest, \
                     deployment or version"
                ),
            );
        }
        if let Some(form_ref) = form.form_ref {
            match (form.binding, form.version) {
                (None, _) => self.report(
                    Code::MissingAttribute,
                    node,
                    format!(
                        "{owner} has camunda:formRef=\"{form_ref}\" but no camunda:formRefBinding; \
                         Camunda requires one: latest, deployment or version"
                    ),
                ),
                (Some("version"), None) => self.report(
                    Code::MissingAttribute,
                    node,
                    format!(
                        "{owner} binds camunda:formRef=\"{form_ref}\" by version but has no \
                         camunda:formRefVersion, so no form would ever be found"
                    ),
                ),
                (Some("version"), Some(version))
                    if java_int(version).is_none()
                        && !(form.version_evaluated && is_expression(version)) =>
                {
                    let what = if form.version_evaluated {
                        "a whole number or an expression"
                    } else {
                        "a whole number (a start event's is not evaluated)"
                    };
                    self.report(
                        Code::InvalidValue,
                        node,
                        format!(
                            "{owner} has camunda:formRefVersion=\"{version}\", which is not {what}"
                        ),
                    );
                }
                _ => {}
            }
        }
        for field in form.fields {
            self.form_field(node, &owner, field);
        }
    }

    /// One field of a generated form.
    fn form_field(&mut self, node: &Node, owner: &str, field: &FormField) {
        let kind = if field.property.is_some() {
            "form property"
        } else {
            "form field"
        };
        let id = &field.id;
        let mut report = |code: Code, message: String| {
            self.problems
                .push(Problem::new(code, field.position, Some(&node.id), message));
        };
        match field.field_type.as_deref() {
            // A legacy form property may be untyped: its values are taken as given.
            None if field.property.is_some() => {}
            None => report(
                Code::MissingAttribute,
                format!("{kind} '{id}' of {owner} has no type; Camunda requires one"),
            ),
            Some("string" | "long" | "boolean" | "enum") => {}
            Some("date") => {
                if let Some(pattern) = &field.date_pattern
                    && let Err(error) = crate::date_pattern::compile(pattern)
                {
                    report(
                        Code::InvalidValue,
                        format!(
                            "{kind} '{id}' of {owner} has the datePattern \"{pattern}\": {error}"
                        ),
                    );
                }
            }
            Some(other) => report(
                Code::JavaOnly,
                format!(
                    "{kind} '{id}' of {owner} has the type '{other}', which is not one of \
                     Camunda's built-in form field types (string, long, boolean, date, enum); \
                     a custom type needs Java"
                ),
            ),
        }
        for (name, config) in &field.constraints {
            let config_text = config.as_deref().unwrap_or("");
            let fits = match name.as_str() {
                "minlength" | "maxlength" => java_int(config_text).is_some(),
                "min" | "max" => java_int(config_text).is_some() || java_double(config_text),
                _ => true,
            };
            if !fits {
                report(
                    Code::InvalidValue,
                    format!(
                        "{kind} '{id}' of {owner} has the constraint {name} with the config \
                         \"{config_text}\", which is not a number, so every submission would fail"
                    ),
                );
            }
        }
        if let Some(FormProperty {
            expression: Some(expression),
            ..
        }) = &field.property
        {
            report(
                Code::UnsupportedAttribute,
                format!(
                    "{kind} '{id}' of {owner} has expression=\"{expression}\", which Baton does \
                     not read or write through; name the variable with variable=\"...\" instead"
                ),
            );
        }
    }

    /// What an intermediate catch event may wait for (Camunda's
    /// `parseIntermediateCatchEvent` refuses the rest): any other would wait forever.
    fn catching(&mut self, node: &Node, event: &EventDefinition) {
        if !matches!(
            event,
            EventDefinition::Message(_)
                | EventDefinition::Timer(_)
                | EventDefinition::Signal(_)
                | EventDefinition::Conditional(_)
                | EventDefinition::Link(_)
        ) {
            self.report(
                Code::InvalidStructure,
                node,
                format!(
                    "intermediate catch event '{}' waits for a {} event, which no intermediate \
                     catch event can; catch it with a boundary event or an event subprocess",
                    node.id,
                    event.name()
                ),
            );
        }
    }

    /// Refuses what Baton cannot carry out.
    fn implementation(&mut self, node: &Node, owner: &str, implementation: &Implementation) {
        let (code, message) = match implementation {
            Implementation::None | Implementation::Expression { .. } => return,
            Implementation::External { topic, .. } if topic.as_str().is_empty() => (
                Code::MissingTopic,
                format!(
                    "{owner} is an external task without a camunda:topic, so no worker could fetch it"
                ),
            ),
            Implementation::External { priority, .. } => {
                match bad_priority(|| owner.to_owned(), "taskPriority", priority.as_ref()) {
                    Some(message) => (Code::InvalidValue, message),
                    None => return,
                }
            }
            Implementation::JavaClass(class) => (
                Code::JavaOnly,
                format!(
                    "{owner} has camunda:class=\"{class}\", which needs Java; \
                     make it an external task (camunda:type=\"external\") and do the work in a worker"
                ),
            ),
            Implementation::DelegateExpression(expression) => (
                Code::JavaOnly,
                format!(
                    "{owner} has camunda:delegateExpression=\"{expression}\", which needs Java; \
                     make it an external task (camunda:type=\"external\") and do the work in a worker"
                ),
            ),
            Implementation::DecisionRef(decision) => (
                Code::UnsupportedAttribute,
                format!("{owner} evaluates the DMN decision '{decision}'; Baton does not run DMN"),
            ),
            Implementation::Other(what) => (
                Code::UnsupportedAttribute,
                format!(
                    "{owner} has {what}, which Baton does not run; use camunda:type=\"external\""
                ),
            ),
        };
        self.report(code, node, message);
    }

    fn call_activity(&mut self, node: &Node, call: &CallActivity) {
        if let Some(case) = &call.case_ref {
            self.report(
                Code::UnsupportedAttribute,
                node,
                format!(
                    "callActivity '{}' calls the CMMN case '{case}'; Baton does not run CMMN",
                    node.id
                ),
            );
        } else if call.called_element.is_none() {
            self.report(
                Code::MissingAttribute,
                node,
                format!(
                    "callActivity '{}' has no calledElement: which process does it call?",
                    node.id
                ),
            );
        }
        if let Some(tenant) = &call.tenant_id {
            self.report(
                Code::UnsupportedAttribute,
                node,
                format!(
                    "callActivity '{}' has camunda:calledElementTenantId=\"{}\", which Baton does \
                     not honour yet: it would call the caller's tenant's definition; deploy the \
                     called process to the caller's tenant and leave the attribute out",
                    node.id,
                    tenant.as_str()
                ),
            );
        }
    }

    fn gateway(&mut self, node: &Node, gateway: &Gateway) {
        let process = self.process;
        if gateway.kind == GatewayKind::Complex {
            self.report(
                Code::UnsupportedElement,
                node,
                format!(
                    "complexGateway '{}' is not supported by Camunda 7 or Baton",
                    node.id
                ),
            );
            return;
        }
        if let Some(default) = gateway.default
            && !node.outgoing.contains(&default)
        {
            self.report(
                Code::InvalidStructure,
                node,
                format!(
                    "gateway '{}' has default flow '{}', which does not leave the gateway",
                    node.id,
                    process.flow(default).id
                ),
            );
        }
        match gateway.kind {
            GatewayKind::Exclusive | GatewayKind::Inclusive if node.outgoing.len() > 1 => {
                for &flow in &node.outgoing {
                    let sequence_flow = process.flow(flow);
                    if sequence_flow.condition.is_none() && gateway.default != Some(flow) {
                        self.problems.push(Problem::new(
                            Code::UnconditionedFlow,
                            sequence_flow.position,
                            Some(&sequence_flow.id),
                            format!(
                                "sequence flow '{}' leaves {} '{}' without a condition and is not its \
                                 default; {}",
                                sequence_flow.id,
                                gateway.kind.element_name(),
                                node.id,
                                if gateway.kind == GatewayKind::Exclusive {
                                    "it is taken whenever it is the first to be checked"
                                } else {
                                    "it is always taken"
                                }
                            ),
                        ));
                    }
                }
            }
            GatewayKind::EventBased => {
                for &flow in &node.outgoing {
                    let target = process.node(process.flow(flow).target);
                    let fits = match &target.kind {
                        NodeKind::IntermediateCatchEvent(event) => matches!(
                            event,
                            EventDefinition::Message(_)
                                | EventDefinition::Timer(_)
                                | EventDefinition::Signal(_)
                                | EventDefinition::Conditional(_)
                        ),
                        NodeKind::Task(task) => matches!(task.kind, TaskKind::Receive(_)),
                        _ => false,
                    };
                    if !fits {
                        self.report(
                            Code::InvalidStructure,
                            node,
                            format!(
                                "event-based gateway '{}' leads to {} '{}'; it may only lead to \
                                 message, timer, signal or conditional catch events and receive tasks",
                                node.id,
                                target.kind.element_name(),
                                target.id
                            ),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn boundary(&mut self, node: &Node, boundary: &BoundaryEvent) {
        let host = self.process.node(boundary.attached_to);
        if !host.kind.is_activity() {
            self.report(
                Code::InvalidStructure,
                node,
                format!(
                    "boundary event '{}' is attached to {} '{}', which is not an activity",
                    node.id,
                    host.kind.element_name(),
                    host.id
                ),
            );
        } else if host.parent != node.parent {
            self.report(
                Code::InvalidStructure,
                node,
                format!(
                    "boundary event '{}' is attached to '{}', which lies in another scope",
                    node.id, host.id
                ),
            );
        }
        match &boundary.event {
            EventDefinition::Link(_) | EventDefinition::Terminate => self.report(
                Code::InvalidStructure,
                node,
                format!(
                    "boundary event '{}' has a {} definition, which no boundary event can have",
                    node.id,
                    boundary.event.name()
                ),
            ),
            EventDefinition::Cancel if !matches!(&host.kind, NodeKind::SubProcess(sub) if sub.is_transaction) =>
            {
                self.report(
                    Code::InvalidStructure,
                    node,
                    format!(
                        "cancel boundary event '{}' is not attached to a transaction",
                        node.id
                    ),
                );
            }
            _ => {}
        }
        if !node.incoming.is_empty() {
            self.report(
                Code::InvalidStructure,
                node,
                format!(
                    "boundary event '{}' has incoming sequence flows; boundary events have none",
                    node.id
                ),
            );
        }
    }

    /// Rules common to events that throw something.
    fn throwing(&mut self, node: &Node, event: &EventDefinition) {
        match event {
            EventDefinition::Message(message) => {
                let owner = format!("{} '{}'", node.kind.element_name(), node.id);
                self.implementation(node, &owner, &message.implementation);
            }
            EventDefinition::Escalation(escalation) => {
                let code = escalation
                    .escalation
                    .as_ref()
                    .and_then(|e| e.escalation_code.as_deref());
                if code.is_none_or(|c| c.trim().is_empty()) {
                    self.report(
                        Code::MissingAttribute,
                        node,
                        format!(
                            "{} '{}' throws an escalation without an escalationCode; \
                             refer to an escalation that has one",
                            node.kind.element_name(),
                            node.id
                        ),
                    );
                }
            }
            EventDefinition::Error(error) if matches!(node.kind, NodeKind::EndEvent(_)) => {
                let code = error.error.as_ref().and_then(|e| e.error_code.as_deref());
                if code.is_none_or(|c| c.trim().is_empty()) {
                    self.report(
                        Code::MissingAttribute,
                        node,
                        format!(
                            "error end event '{}' throws an error without an errorCode; \
                             refer to an error that has one",
                            node.id
                        ),
                    );
                }
            }
            EventDefinition::Error(_) | EventDefinition::Terminate | EventDefinition::Cancel
                if matches!(node.kind, NodeKind::IntermediateThrowEvent(_)) =>
            {
                self.report(
                    Code::InvalidStructure,
                    node,
                    format!(
                        "intermediate throw event '{}' cannot throw a {} event; only an end event can",
                        node.id,
                        event.name()
                    ),
                );
            }
            EventDefinition::Link(_) if matches!(node.kind, NodeKind::EndEvent(_)) => self.report(
                Code::InvalidStructure,
                node,
                format!(
                    "end event '{}' has a link event definition; a link is thrown by an \
                     intermediate throw event",
                    node.id
                ),
            ),
            EventDefinition::Cancel if !self.inside_transaction(node) => self.report(
                Code::InvalidStructure,
                node,
                format!("cancel end event '{}' is not inside a transaction", node.id),
            ),
            EventDefinition::Timer(_) | EventDefinition::Conditional(_) => self.report(
                Code::InvalidStructure,
                node,
                format!(
                    "{} '{}' cannot throw a {} event",
                    node.kind.element_name(),
                    node.id,
                    event.name()
                ),
            ),
            _ => {}
        }
    }
}

impl Checker<'_> {
    fn inside_transaction(&self, node: &Node) -> bool {
        let mut scope = node.parent;
        while let Some(id) = scope {
            let parent = self.process.node(id);
            if matches!(&parent.kind, NodeKind::SubProcess(sub) if sub.is_transaction) {
                return true;
            }
            scope = parent.parent;
        }
        false
    }
}

/// The message for a priority attribute that is neither a whole number nor
/// an expression giving one; `None` when it is fine. `owner` is only
/// called then, so the common case allocates nothing.
fn bad_priority(
    owner: impl FnOnce() -> String,
    attribute: &str,
    priority: Option<&Expression>,
) -> Option<String> {
    let text = priority?.as_str().trim();
    if text.contains("${") || text.contains("#{") || text.parse::<i64>().is_ok() {
        return None;
    }
    Some(format!(
        "{} has camunda:{attribute}=\"{text}\"; expected a whole number or an expression",
        owner()
    ))
}

/// Days as a whole number, a period of days (`P180D`), or an expression.
fn is_history_time_to_live(ttl: &str) -> bool {
    let ttl = ttl.trim();
    if ttl.is_empty() || ttl.contains("${") || ttl.contains("#{") {
        return true;
    }
    let days = ttl
        .strip_prefix('P')
        .and_then(|rest| rest.strip_suffix('D'))
        .unwrap_or(ttl);
    days.parse::<u32>().is_ok()
}

/// The problem of a listener of the element `owner_id`, described as `owner`.
fn listener_problem(listener: &Listener, owner: &str, owner_id: &str) -> Problem {
    let (code, message) = listener_message(listener, owner);
    Problem::new(code, listener.position, Some(owner_id), message)
}

/// Why a listener of `owner` is refused, and what to do instead. Baton runs no
/// listeners of any kind, wherever they are: passing one by would deploy a model
/// that silently does less than it does on Camunda.
pub(crate) fn listener_message(listener: &Listener, owner: &str) -> (Code, String) {
    let kind = if listener.is_task_listener {
        "a task"
    } else {
        "an execution"
    };
    let event = listener
        .event
        .as_deref()
        .map(|event| format!(" on '{event}'"))
        .unwrap_or_default();
    let (code, why) = match listener
        .implementation
        .split(':')
        .next()
        .unwrap_or_default()
    {
        "class" | "delegateExpression" => (
            Code::JavaOnly,
            "which needs Java, and Baton runs no listeners",
        ),
        "script" => (Code::Script, "and Baton runs no scripts or listeners"),
        _ => (Code::UnsupportedElement, "and Baton runs no listeners"),
    };
    let instead = if listener.is_task_listener {
        "do the work where the task is completed, in the client that completes it"
    } else {
        "make the work a step of its own, an external task (camunda:type=\"external\") \
         done by a worker, or set variables with camunda:inputOutput"
    };
    (
        code,
        format!(
            "{owner} has {kind} listener{event} ({}), {why}; {instead}",
            listener.implementation
        ),
    )
}
