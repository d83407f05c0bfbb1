//! The typed model: what a BPMN file says, with every reference resolved.
//!
//! A [`Definitions`] is only ever built by [`crate::parse`], after the raw
//! XML has been read and checked, so its invariants hold without further
//! checks: every [`NodeId`] and [`FlowId`] indexes its process's vectors,
//! every sequence flow's source and target exist, every boundary event is
//! attached to an activity of the same scope, and message, signal, error and
//! escalation references are resolved to their declarations.
//!
//! Expressions are kept as the text the author wrote (see [`Expression`]);
//! their syntax has been checked with [`crate::expr`], and the engine
//! compiles them once when it loads the model.
//!
//! The model derives no `Serialize`: it is an in-memory contract between the
//! parser and the engine, not a wire format.

use crate::problem::Position;

/// The root of a BPMN file: its processes and the declarations they share.
#[derive(Debug, Clone, PartialEq)]
pub struct Definitions {
    /// The `id` of `definitions`, when present.
    pub id: Option<String>,
    /// `targetNamespace`; Camunda reports it as the definition's category.
    pub target_namespace: Option<String>,
    /// The tool that wrote the file (`Camunda Modeler`).
    pub exporter: Option<String>,
    /// The version of that tool.
    pub exporter_version: Option<String>,
    /// Every process, executable or not, in document order.
    pub processes: Vec<Process>,
    /// Top-level `message` declarations.
    pub messages: Vec<Message>,
    /// Top-level `signal` declarations.
    pub signals: Vec<Signal>,
    /// Top-level `error` declarations.
    pub errors: Vec<ErrorDeclaration>,
    /// Top-level `escalation` declarations.
    pub escalations: Vec<Escalation>,
    /// Participants of a collaboration, linking pools to processes.
    pub participants: Vec<Participant>,
    /// Whether the file has a `bpmndi:BPMNDiagram`. The model skips its
    /// content; the original XML, which the deployment keeps, holds it.
    pub has_diagram: bool,
}

impl Definitions {
    /// The processes with `isExecutable="true"`: the ones a deployment turns
    /// into process definitions.
    pub fn executable_processes(&self) -> impl Iterator<Item = &Process> {
        self.processes.iter().filter(|p| p.is_executable)
    }
}

/// A `message` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its id, the target of `messageRef`.
    pub id: String,
    /// The name messages are correlated by; may be an expression.
    pub name: Option<String>,
}

/// A `signal` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// Its id, the target of `signalRef`.
    pub id: String,
    /// The name signals are broadcast by; may be an expression.
    pub name: Option<String>,
}

/// An `error` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDeclaration {
    /// Its id, the target of `errorRef`.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// `errorCode`: what a worker's BPMN error or an error end event throws and
    /// what a catching event matches.
    pub error_code: Option<String>,
    /// `camunda:errorMessage`, possibly an expression.
    pub error_message: Option<String>,
}

/// An `escalation` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// Its id, the target of `escalationRef`.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// `escalationCode`, matched by catching events.
    pub escalation_code: Option<String>,
}

/// A pool of a collaboration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// The id of the process in the pool, if any.
    pub process_ref: Option<String>,
}

/// A BPMN `process` with its flow nodes and sequence flows.
///
/// Nodes of every depth (inside subprocesses too) live in one vector in
/// document order; [`Node::parent`] says which subprocess holds a node.
#[derive(Debug, Clone, PartialEq)]
pub struct Process {
    /// The process id, which becomes the process definition key.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// `isExecutable`: only executable processes are deployed.
    pub is_executable: bool,
    /// `camunda:versionTag`.
    pub version_tag: Option<String>,
    /// `camunda:historyTimeToLive`, as written (days, or an ISO 8601 period such as `P180D`).
    pub history_time_to_live: Option<String>,
    /// `camunda:candidateStarterGroups`, split at commas, and the groups a
    /// `camunda:potentialStarter` names.
    pub candidate_starter_groups: Vec<String>,
    /// `camunda:candidateStarterUsers`, split at commas, and the users a
    /// `camunda:potentialStarter` names (`user(kermit)`).
    pub candidate_starter_users: Vec<String>,
    /// `camunda:isStartableInTasklist` (default true).
    pub is_startable_in_tasklist: bool,
    /// `camunda:taskPriority`: the default priority of the process's external tasks.
    pub task_priority: Option<Expression>,
    /// `camunda:jobPriority`: the default priority of the process's jobs.
    pub job_priority: Option<Expression>,
    /// `documentation` text.
    pub documentation: Option<String>,
    /// Lanes of the process, from its `laneSet`s.
    pub lanes: Vec<Lane>,
    /// `camunda:properties` on the process.
    pub properties: Vec<Property>,
    /// `camunda:executionListener`s on the process.
    pub listeners: Vec<Listener>,
    /// Every flow node, indexed by [`NodeId`].
    pub nodes: Vec<Node>,
    /// The nodes directly in the process, outside any subprocess, in document order.
    pub top_level: Vec<NodeId>,
    /// Every sequence flow, indexed by [`FlowId`].
    pub flows: Vec<SequenceFlow>,
    /// Where the `process` element starts.
    pub position: Position,
}

impl Process {
    /// The node with index `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// The sequence flow with index `id`.
    pub fn flow(&self, id: FlowId) -> &SequenceFlow {
        &self.flows[id.index()]
    }

    /// The node whose BPMN id is `id`.
    pub fn node_by_id(&self, id: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| n.id == id)
            .map(NodeId::from_index)
    }

    /// Every node with its id, in document order.
    pub fn node_ids(&self) -> impl Iterator<Item = (NodeId, &Node)> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (NodeId::from_index(i), n))
    }

    /// The nodes directly inside `scope`: the process itself for `None`, a
    /// subprocess otherwise. Event subprocesses and boundary events are included.
    pub fn children(&self, scope: Option<NodeId>) -> impl Iterator<Item = NodeId> + '_ {
        let children = match scope {
            None => &self.top_level,
            Some(id) => &self.node(id).children,
        };
        children.iter().copied()
    }

    /// The start events directly inside `scope` that a plain start of the scope
    /// could use: start events outside event subprocesses.
    pub fn start_events(&self, scope: Option<NodeId>) -> impl Iterator<Item = NodeId> + '_ {
        self.children(scope)
            .filter(|&id| matches!(self.node(id).kind, NodeKind::StartEvent(_)))
    }
}

/// The index of a flow node in [`Process::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(u32);

impl NodeId {
    /// The index into [`Process::nodes`].
    pub fn index(self) -> usize {
        self.0 as usize
    }

    pub(crate) fn from_index(index: usize) -> NodeId {
        NodeId(u32::try_from(index).unwrap_or(u32::MAX))
    }
}

/// The index of a sequence flow in [`Process::flows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowId(u32);

impl FlowId {
    /// The index into [`Process::flows`].
    pub fn index(self) -> usize {
        self.0 as usize
    }

    pub(crate) fn from_index(index: usize) -> FlowId {
        FlowId(u32::try_from(index).unwrap_or(u32::MAX))
    }
}

/// An expression or text template as the author wrote it, such as
/// `${amount > 1000}` or `Order ${orderId}`; its syntax has been checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Expression(pub String);

impl Expression {
    /// The source text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A lane, with the ids of the flow nodes in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// The ids in its `flowNodeRef`s.
    pub flow_node_refs: Vec<String>,
    /// Lanes nested in its `childLaneSet`.
    pub child_lanes: Vec<Lane>,
}

/// A `camunda:property`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: Option<String>,
}

/// A `camunda:executionListener` or `camunda:taskListener`.
///
/// Listeners exist to run code; Baton has none to run, so validation refuses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// Whether it is a task listener rather than an execution listener.
    pub is_task_listener: bool,
    /// `event`: `start`, `end`, `take`, `create`, `complete`, ...
    pub event: Option<String>,
    /// What it runs, as `kind: value` (`class: org.example.Audit`, `script: groovy`).
    pub implementation: String,
    /// Where the element starts.
    pub position: Position,
}

/// A sequence flow.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceFlow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// The node the flow leaves.
    pub source: NodeId,
    /// The node the flow enters.
    pub target: NodeId,
    /// The `conditionExpression`, if any.
    pub condition: Option<Expression>,
    /// `camunda:properties` on the flow.
    pub properties: Vec<Property>,
    /// `camunda:executionListener`s on the flow (Camunda calls them as a token takes
    /// it); validation refuses them, as Baton runs no listeners.
    pub listeners: Vec<Listener>,
    /// Where the element starts.
    pub position: Position,
}

/// A flow node: an event, activity or gateway, with what every node has.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The BPMN id.
    pub id: String,
    /// The `name`.
    pub name: Option<String>,
    /// What kind of node it is, with its own attributes.
    pub kind: NodeKind,
    /// The subprocess directly holding the node; `None` at process level.
    pub parent: Option<NodeId>,
    /// For a subprocess, the nodes directly inside it, in document order;
    /// empty for every other node.
    pub children: Vec<NodeId>,
    /// Sequence flows entering the node, in document order.
    pub incoming: Vec<FlowId>,
    /// Sequence flows leaving the node, in document order.
    pub outgoing: Vec<FlowId>,
    /// Boundary events attached to this node, in document order.
    pub boundary_events: Vec<NodeId>,
    /// `camunda:asyncBefore` (or the legacy `camunda:async`).
    pub async_before: bool,
    /// `camunda:asyncAfter`.
    pub async_after: bool,
    /// `camunda:exclusive` (default true).
    pub exclusive: bool,
    /// `camunda:jobPriority`.
    pub job_priority: Option<Expression>,
    /// `camunda:failedJobRetryTimeCycle`, such as `R5/PT5M` or `PT1M,PT5M`.
    pub failed_job_retry_time_cycle: Option<String>,
    /// `camunda:inputOutput` mappings.
    pub input_output: InputOutput,
    /// `camunda:properties`.
    pub properties: Vec<Property>,
    /// `camunda:executionListener`s, and `camunda:taskListener`s of a user task.
    pub listeners: Vec<Listener>,
    /// The multi-instance or loop marker, for activities.
    pub loop_characteristics: Option<LoopCharacteristics>,
    /// `isForCompensation`: the activity is a compensation handler.
    pub is_for_compensation: bool,
    /// The `default` flow of an activity, taken when none of its conditional outgoing
    /// flows holds. (A gateway keeps its default in [`Gateway::default`].)
    pub default_flow: Option<FlowId>,
    /// `documentation` text.
    pub documentation: Option<String>,
    /// Where the element starts.
    pub position: Position,
}

/// The kind of a flow node, with its kind-specific attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `startEvent`.
    StartEvent(StartEvent),
    /// `endEvent`.
    EndEvent(EndEvent),
    /// `intermediateCatchEvent`.
    IntermediateCatchEvent(EventDefinition),
    /// `intermediateThrowEvent`.
    IntermediateThrowEvent(ThrowEvent),
    /// `boundaryEvent`.
    BoundaryEvent(BoundaryEvent),
    /// `task`, `manualTask`, `serviceTask`, `sendTask`, `businessRuleTask`,
    /// `receiveTask`, `userTask`, `scriptTask`.
    Task(Task),
    /// `subProcess` and `transaction`.
    SubProcess(SubProcess),
    /// `callActivity`.
    CallActivity(CallActivity),
    /// A gateway.
    Gateway(Gateway),
}

impl NodeKind {
    /// Whether the node is an activity (a task, subprocess or call activity),
    /// the only kind that boundary events and loops may be attached to.
    pub fn is_activity(&self) -> bool {
        matches!(
            self,
            NodeKind::Task(_) | NodeKind::SubProcess(_) | NodeKind::CallActivity(_)
        )
    }

    /// The BPMN element name, as Camunda reports it as `activityType`
    /// (`serviceTask`, `exclusiveGateway`, `startEvent`, ...), with the
    /// Camunda spelling for event types (`messageStartEvent`, ...).
    pub fn element_name(&self) -> &'static str {
        match self {
            NodeKind::StartEvent(_) => "startEvent",
            NodeKind::EndEvent(_) => "endEvent",
            NodeKind::IntermediateCatchEvent(_) => "intermediateCatchEvent",
            NodeKind::IntermediateThrowEvent(_) => "intermediateThrowEvent",
            NodeKind::BoundaryEvent(_) => "boundaryEvent",
            NodeKind::Task(task) => task.kind.element_name(),
            NodeKind::SubProcess(sub) if sub.is_transaction => "transaction",
            NodeKind::SubProcess(_) => "subProcess",
            NodeKind::CallActivity(_) => "callActivity",
            NodeKind::Gateway(gateway) => gateway.kind.element_name(),
        }
    }
}

/// A `startEvent`.
#[derive(Debug, Clone, PartialEq)]
pub struct StartEvent {
    /// The trigger; `None` for a none start event.
    pub event: Option<EventDefinition>,
    /// `isInterrupting` (default true); matters in event subprocesses.
    pub is_interrupting: bool,
    /// `camunda:initiator`: the variable that receives the starting user's id.
    pub initiator: Option<String>,
    /// `camunda:formKey` on the start event.
    pub form_key: Option<String>,
    /// `camunda:formRef`: the id of a Camunda Form.
    pub form_ref: Option<String>,
    /// `camunda:formRefBinding`: latest, deployment or version.
    pub form_ref_binding: Option<String>,
    /// `camunda:formRefVersion`, with the version binding.
    pub form_ref_version: Option<String>,
    /// `camunda:formData` on the start event.
    pub form_data: Vec<FormField>,
    /// `businessKey` of its `camunda:formData`: the field that holds the business key.
    pub form_business_key: Option<String>,
}

/// An `endEvent`.
#[derive(Debug, Clone, PartialEq)]
pub struct EndEvent {
    /// What the end event throws; `None` for a none end event.
    pub event: Option<EventDefinition>,
}

/// An `intermediateThrowEvent`.
#[derive(Debug, Clone, PartialEq)]
pub struct ThrowEvent {
    /// What it throws; `None` for a none intermediate event, which passes through.
    pub event: Option<EventDefinition>,
}

/// A `boundaryEvent`.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundaryEvent {
    /// The activity the event is attached to.
    pub attached_to: NodeId,
    /// `cancelActivity` (default true): whether firing interrupts the activity.
    pub cancel_activity: bool,
    /// The trigger.
    pub event: EventDefinition,
}

/// The trigger or result of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum EventDefinition {
    /// `messageEventDefinition`.
    Message(MessageEventDefinition),
    /// `timerEventDefinition`.
    Timer(Timer),
    /// `signalEventDefinition`.
    Signal(SignalEventDefinition),
    /// `conditionalEventDefinition`.
    Conditional(ConditionalEventDefinition),
    /// `linkEventDefinition` with its `name`.
    Link(Option<String>),
    /// `errorEventDefinition`.
    Error(ErrorEventDefinition),
    /// `escalationEventDefinition`.
    Escalation(EscalationEventDefinition),
    /// `compensateEventDefinition`.
    Compensate(CompensateEventDefinition),
    /// `terminateEventDefinition` (end events only).
    Terminate,
    /// `cancelEventDefinition` (transactions only).
    Cancel,
}

impl EventDefinition {
    /// The BPMN name of the event definition without `EventDefinition`
    /// (`message`, `timer`, ...), for messages.
    pub fn name(&self) -> &'static str {
        match self {
            EventDefinition::Message(_) => "message",
            EventDefinition::Timer(_) => "timer",
            EventDefinition::Signal(_) => "signal",
            EventDefinition::Conditional(_) => "conditional",
            EventDefinition::Link(_) => "link",
            EventDefinition::Error(_) => "error",
            EventDefinition::Escalation(_) => "escalation",
            EventDefinition::Compensate(_) => "compensate",
            EventDefinition::Terminate => "terminate",
            EventDefinition::Cancel => "cancel",
        }
    }
}

/// A `messageEventDefinition`.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageEventDefinition {
    /// The referenced message declaration.
    pub message: Option<Message>,
    /// On a throw event: `camunda:type="external"` with its topic makes the
    /// throw an external task, as Camunda does.
    pub implementation: Implementation,
}

/// A `timerEventDefinition`: exactly one of date, duration or cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timer {
    /// `timeDate`: an ISO 8601 date-time (or an expression giving one).
    Date(Expression),
    /// `timeDuration`: an ISO 8601 duration such as `PT5M` (or an expression).
    Duration(Expression),
    /// `timeCycle`: an ISO 8601 repetition (`R3/PT10M`), or a cron expression
    /// (`0 0 9 * * ?`), or an expression giving one.
    Cycle(Expression),
}

/// A `signalEventDefinition`.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalEventDefinition {
    /// The referenced signal declaration.
    pub signal: Option<Signal>,
    /// `camunda:async` on a throwing signal event.
    pub is_async: bool,
}

/// A `conditionalEventDefinition`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionalEventDefinition {
    /// The `condition`.
    pub condition: Expression,
    /// `camunda:variableName`: only changes of this variable trigger evaluation.
    pub variable_name: Option<String>,
    /// `camunda:variableEvents`: only these kinds of change (`create`, `update`, `delete`).
    pub variable_events: Vec<String>,
}

/// An `errorEventDefinition`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorEventDefinition {
    /// The referenced error declaration; `None` on a catch event catches every error.
    pub error: Option<ErrorDeclaration>,
    /// `camunda:errorCodeVariable` on catch events.
    pub error_code_variable: Option<String>,
    /// `camunda:errorMessageVariable` on catch events.
    pub error_message_variable: Option<String>,
}

/// An `escalationEventDefinition`.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationEventDefinition {
    /// The referenced escalation; `None` on a catch event catches every escalation.
    pub escalation: Option<Escalation>,
    /// `camunda:escalationCodeVariable` on catch events.
    pub escalation_code_variable: Option<String>,
}

/// A `compensateEventDefinition`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompensateEventDefinition {
    /// `activityRef`: the activity to compensate; `None` compensates the whole scope.
    pub activity: Option<NodeId>,
    /// `waitForCompletion` (default true).
    pub wait_for_completion: bool,
}

/// A task of any kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Which task element it is, with what only that kind has.
    pub kind: TaskKind,
    /// How a service, send or business-rule task is carried out.
    pub implementation: Implementation,
    /// `camunda:errorEventDefinition`s on an external task: conditions,
    /// evaluated on completion and failure, that throw a BPMN error.
    pub error_event_definitions: Vec<CamundaErrorEventDefinition>,
}

/// The element a task was written as.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskKind {
    /// `task`: does nothing and passes.
    Abstract,
    /// `manualTask`: does nothing and passes.
    Manual,
    /// `serviceTask`.
    Service,
    /// `sendTask`.
    Send,
    /// `businessRuleTask`.
    BusinessRule,
    /// `receiveTask`, waiting for its message.
    Receive(Option<Message>),
    /// `userTask`.
    User(Box<UserTask>),
    /// `scriptTask`.
    Script(ScriptTask),
}

impl TaskKind {
    /// The BPMN element name.
    pub fn element_name(&self) -> &'static str {
        match self {
            TaskKind::Abstract => "task",
            TaskKind::Manual => "manualTask",
            TaskKind::Service => "serviceTask",
            TaskKind::Send => "sendTask",
            TaskKind::BusinessRule => "businessRuleTask",
            TaskKind::Receive(_) => "receiveTask",
            TaskKind::User(_) => "userTask",
            TaskKind::Script(_) => "scriptTask",
        }
    }
}

/// How a service-like task or message throw is carried out.
#[derive(Debug, Clone, PartialEq)]
pub enum Implementation {
    /// Nothing is said: the task passes through.
    None,
    /// `camunda:type="external"`: an external task for a worker.
    External {
        /// `camunda:topic` (possibly an expression).
        topic: Expression,
        /// `camunda:taskPriority` (a number or an expression).
        priority: Option<Expression>,
    },
    /// `camunda:expression`, evaluated for its value.
    Expression {
        /// The expression.
        expression: Expression,
        /// `camunda:resultVariable`: where the value goes.
        result_variable: Option<String>,
    },
    /// `camunda:class`: a Java delegate. Refused at validation.
    JavaClass(String),
    /// `camunda:delegateExpression`: a Java bean. Refused at validation.
    DelegateExpression(String),
    /// `camunda:decisionRef`: a DMN decision. Refused at validation.
    DecisionRef(String),
    /// `camunda:type` other than `external` (`mail`, `shell`), or a `camunda:connector`.
    /// Refused at validation.
    Other(String),
}

/// A `camunda:errorEventDefinition` on an external task.
#[derive(Debug, Clone, PartialEq)]
pub struct CamundaErrorEventDefinition {
    /// Its id.
    pub id: Option<String>,
    /// The error it throws.
    pub error: Option<ErrorDeclaration>,
    /// The condition; evaluated with `externalTask` in scope.
    pub expression: Option<Expression>,
}

/// A `userTask`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserTask {
    /// `camunda:assignee`, or a `humanPerformer`.
    pub assignee: Option<Expression>,
    /// `camunda:candidateUsers` (comma-separated or an expression), and
    /// `user(...)` entries of a `potentialOwner`.
    pub candidate_users: Vec<Expression>,
    /// `camunda:candidateGroups`, and `group(...)` or bare entries of a `potentialOwner`.
    pub candidate_groups: Vec<Expression>,
    /// `camunda:dueDate`.
    pub due_date: Option<Expression>,
    /// `camunda:followUpDate`.
    pub follow_up_date: Option<Expression>,
    /// `camunda:priority`.
    pub priority: Option<Expression>,
    /// `camunda:formKey`.
    pub form_key: Option<Expression>,
    /// `camunda:formRef`, a Camunda Form's id.
    pub form_ref: Option<String>,
    /// `camunda:formRefBinding`: `latest`, `deployment` or `version`.
    pub form_ref_binding: Option<String>,
    /// `camunda:formRefVersion`.
    pub form_ref_version: Option<String>,
    /// `camunda:formData` fields (and legacy `camunda:formProperty` ones).
    pub form_fields: Vec<FormField>,
    /// `businessKey` of its `camunda:formData`: the field that holds the business key.
    pub form_business_key: Option<String>,
}

/// A `camunda:formField` of generated task forms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FormField {
    /// `id`: the variable the field reads and writes.
    pub id: String,
    /// `label`.
    pub label: Option<String>,
    /// `type`: `string`, `long`, `boolean`, `date`, `enum` or a custom name.
    pub field_type: Option<String>,
    /// `defaultValue` (possibly an expression).
    pub default_value: Option<Expression>,
    /// `datePattern` for date fields.
    pub date_pattern: Option<String>,
    /// `camunda:value` entries of an enum field: `(id, name)`.
    pub values: Vec<(String, Option<String>)>,
    /// `camunda:constraint`s of `camunda:validation`: `(name, config)`.
    pub constraints: Vec<(String, Option<String>)>,
    /// `camunda:properties` of the field.
    pub properties: Vec<Property>,
    /// For a legacy `camunda:formProperty`, how it is read and written; `None` for
    /// a `camunda:formField`.
    pub property: Option<FormProperty>,
    /// Where the field is in the document.
    pub position: Position,
}

/// What a legacy `camunda:formProperty` says beyond a form field's id, name, type
/// and default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormProperty {
    /// `required` (default false): a submission must give it, unless it has a default.
    pub required: bool,
    /// `readable` (default true): whether forms show it.
    pub readable: bool,
    /// `writable` (default true): whether a submission may give it.
    pub writable: bool,
    /// `variable`: the variable it is stored in, if not its id.
    pub variable: Option<String>,
    /// `expression`: an expression it is read from and written through.
    pub expression: Option<String>,
}

/// A `scriptTask`. Baton runs no scripts; validation refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptTask {
    /// `scriptFormat`, such as `groovy` or `javascript`.
    pub script_format: Option<String>,
    /// The inline `script`.
    pub script: Option<String>,
    /// `camunda:resource`: an external script file.
    pub resource: Option<String>,
    /// `camunda:resultVariable`.
    pub result_variable: Option<String>,
}

/// A `subProcess` or `transaction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubProcess {
    /// `triggeredByEvent`: an event subprocess, started by its start event.
    pub triggered_by_event: bool,
    /// Whether it is a `transaction`.
    pub is_transaction: bool,
}

/// A `callActivity`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallActivity {
    /// `calledElement`: the key of the process to start (possibly an expression).
    pub called_element: Option<Expression>,
    /// Which version of it.
    pub binding: CalledElementBinding,
    /// `camunda:calledElementTenantId`.
    pub tenant_id: Option<Expression>,
    /// `camunda:in` mappings (without the business key one).
    pub inputs: Vec<VariableMapping>,
    /// `camunda:out` mappings.
    pub outputs: Vec<VariableMapping>,
    /// `camunda:in businessKey="..."`: the business key given to the child.
    pub business_key: Option<Expression>,
    /// `camunda:caseRef`: a CMMN case. Refused at validation.
    pub case_ref: Option<String>,
}

/// `camunda:calledElementBinding` with its companion attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalledElementBinding {
    /// The latest version (the default).
    Latest,
    /// The version deployed with the calling process.
    Deployment,
    /// `camunda:calledElementVersion`.
    Version(Expression),
    /// `camunda:calledElementVersionTag`.
    VersionTag(Expression),
}

/// A `camunda:in` or `camunda:out` mapping.
#[derive(Debug, Clone, PartialEq)]
pub enum VariableMapping {
    /// `variables="all"`: every variable.
    All {
        /// `local="true"`: only the local variables of the activity's execution.
        local: bool,
    },
    /// One variable or expression into one target.
    One {
        /// Where the value comes from.
        source: MappingSource,
        /// `target`: the variable it is written to.
        target: String,
        /// `local="true"`.
        local: bool,
    },
}

/// The source of a [`VariableMapping::One`].
#[derive(Debug, Clone, PartialEq)]
pub enum MappingSource {
    /// `source`: a variable name.
    Variable(String),
    /// `sourceExpression`.
    Expression(Expression),
}

/// `camunda:inputOutput`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InputOutput {
    /// `camunda:inputParameter`s: local variables set when the activity starts.
    pub inputs: Vec<Parameter>,
    /// `camunda:outputParameter`s: variables set in the parent scope when it ends.
    pub outputs: Vec<Parameter>,
}

impl InputOutput {
    /// Whether there are no mappings.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty() && self.outputs.is_empty()
    }
}

/// One input or output parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// `name`: the variable it sets.
    pub name: String,
    /// Its value.
    pub value: ParameterValue,
}

/// The value of a parameter, a list item or a map entry.
#[derive(Debug, Clone, PartialEq)]
pub enum ParameterValue {
    /// Empty content: the variable is set to null.
    Null,
    /// Text, possibly with `${...}` expressions.
    Text(Expression),
    /// `camunda:list`.
    List(Vec<ParameterValue>),
    /// `camunda:map` of `camunda:entry key="..."`.
    Map(Vec<(String, ParameterValue)>),
}

/// A multi-instance or standard loop marker.
#[derive(Debug, Clone, PartialEq)]
pub enum LoopCharacteristics {
    /// `multiInstanceLoopCharacteristics`.
    MultiInstance(MultiInstance),
    /// `standardLoopCharacteristics`. Camunda does not run it; validation refuses it.
    Standard {
        /// `loopCondition`.
        loop_condition: Option<Expression>,
        /// `testBefore`.
        test_before: bool,
        /// `loopMaximum`.
        loop_maximum: Option<String>,
    },
}

/// `multiInstanceLoopCharacteristics`.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiInstance {
    /// `isSequential`.
    pub is_sequential: bool,
    /// `loopCardinality`: how many instances (a number or expression).
    pub loop_cardinality: Option<Expression>,
    /// `camunda:collection`: an expression, or the name of a collection variable.
    pub collection: Option<Expression>,
    /// `camunda:elementVariable`: the local variable each instance gets its element in.
    pub element_variable: Option<String>,
    /// `completionCondition`: checked after each instance completes.
    pub completion_condition: Option<Expression>,
    /// `camunda:asyncBefore` on the loop characteristics: each instance starts asynchronously.
    pub async_before: bool,
    /// `camunda:asyncAfter` on the loop characteristics.
    pub async_after: bool,
    /// `camunda:failedJobRetryTimeCycle` for the instances' jobs.
    pub failed_job_retry_time_cycle: Option<String>,
}

/// A gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct Gateway {
    /// Which gateway.
    pub kind: GatewayKind,
    /// The `default` flow of an exclusive, inclusive or complex gateway.
    pub default: Option<FlowId>,
}

/// The kind of gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayKind {
    /// `exclusiveGateway`.
    Exclusive,
    /// `parallelGateway`.
    Parallel,
    /// `inclusiveGateway`.
    Inclusive,
    /// `eventBasedGateway`.
    EventBased,
    /// `complexGateway`. Camunda does not run it; validation refuses it.
    Complex,
}

impl GatewayKind {
    /// The BPMN element name.
    pub fn element_name(self) -> &'static str {
        match self {
            GatewayKind::Exclusive => "exclusiveGateway",
            GatewayKind::Parallel => "parallelGateway",
            GatewayKind::Inclusive => "inclusiveGateway",
            GatewayKind::EventBased => "eventBasedGateway",
            GatewayKind::Complex => "complexGateway",
        }
    }
}
