//! What is wrong with a model: problems with a code, a severity and a place.
//!
//! Parsing never stops at the first problem. Every check runs and every
//! problem it finds is returned, so a user fixes a model in one round trip.

use std::fmt;

/// Where something is in the source document: 1-based line and column.
///
/// The column counts characters, not bytes, so it matches what an editor
/// shows. The position of an element is the position of its `<`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// The line, starting at 1.
    pub line: u32,
    /// The column, starting at 1, in characters.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The model can be deployed, but probably does not do what its author meant.
    Warning,
    /// The model cannot be deployed.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// The kind of a problem, stable across releases so tools can match on it.
///
/// Each code has one severity; see [`Code::severity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Code {
    /// The document is not well-formed XML.
    MalformedXml,
    /// The document declares a DOCTYPE (and so possibly entities); refused outright.
    Doctype,
    /// The document, or one of its elements, is larger than the configured limit.
    TooLarge,
    /// Elements are nested deeper than the configured limit.
    TooDeep,
    /// The root element is not a BPMN `definitions` element.
    NotBpmn,
    /// No process in the file has `isExecutable="true"`.
    NoExecutableProcess,
    /// Two elements share one id.
    DuplicateId,
    /// An element lacks an attribute or child it cannot do without.
    MissingAttribute,
    /// An attribute holds a value of the wrong form (a number that is not one, say).
    InvalidValue,
    /// A reference (flow source or target, attachedToRef, messageRef, ...) names nothing.
    UnknownReference,
    /// An `errorRef` names no declared error; as Camunda does, the reference is taken as the error code.
    UndeclaredError,
    /// A process or subprocess has no start event.
    NoStartEvent,
    /// An external task has no `camunda:topic`.
    MissingTopic,
    /// An exclusive or inclusive gateway has an outgoing flow without a condition that is not its default.
    UnconditionedFlow,
    /// An expression does not parse.
    InvalidExpression,
    /// A construct that needs Java: `camunda:class`, `delegateExpression`, a field injection, a connector...
    JavaOnly,
    /// A script (script task, script listener or mapping) in a language Baton does not run.
    Script,
    /// A BPMN element Baton will not execute (a complex gateway, say).
    UnsupportedElement,
    /// An attribute Baton will not honour.
    UnsupportedAttribute,
    /// An element or attribute Baton does not know and leaves aside.
    Ignored,
    /// The model is structurally wrong in a way BPMN forbids (a boundary event on a gateway, say).
    InvalidStructure,
    /// An element Baton validates but does not run yet (a user task, compensation): a
    /// token that reaches it waits there with an incident, or it is never triggered.
    NotExecuted,
}

impl Code {
    /// The stable, kebab-case name printed by `baton validate`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MalformedXml => "malformed-xml",
            Code::Doctype => "doctype",
            Code::TooLarge => "too-large",
            Code::TooDeep => "too-deep",
            Code::NotBpmn => "not-bpmn",
            Code::NoExecutableProcess => "no-executable-process",
            Code::DuplicateId => "duplicate-id",
            Code::MissingAttribute => "missing-attribute",
            Code::InvalidValue => "invalid-value",
            Code::UnknownReference => "unknown-reference",
            Code::UndeclaredError => "undeclared-error",
            Code::NoStartEvent => "no-start-event",
            Code::MissingTopic => "missing-topic",
            Code::UnconditionedFlow => "unconditioned-flow",
            Code::InvalidExpression => "invalid-expression",
            Code::JavaOnly => "java-only",
            Code::Script => "script",
            Code::UnsupportedElement => "unsupported-element",
            Code::UnsupportedAttribute => "unsupported-attribute",
            Code::Ignored => "ignored",
            Code::InvalidStructure => "invalid-structure",
            Code::NotExecuted => "not-executed",
        }
    }

    /// Whether a problem of this kind blocks deployment.
    pub fn severity(self) -> Severity {
        match self {
            Code::UnconditionedFlow | Code::Ignored | Code::UndeclaredError | Code::NotExecuted => {
                Severity::Warning
            }
            _ => Severity::Error,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing wrong with a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind of problem it is.
    pub code: Code,
    /// A sentence naming the element and what is wrong, lowercase, no trailing period.
    pub message: String,
    /// The id of the element the problem is about, when it has one.
    pub element_id: Option<String>,
    /// Where the element starts in the document.
    pub position: Position,
}

impl Problem {
    /// A problem of `code` at `position`, about the element with `element_id`.
    pub fn new(
        code: Code,
        position: Position,
        element_id: Option<&str>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            code,
            message: message.into(),
            element_id: element_id.map(str::to_owned),
            position,
        }
    }

    /// The severity, which follows from the code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Whether this problem blocks deployment.
    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

impl fmt::Display for Problem {
    /// `LINE:COL: error[CODE]: message`, the form `baton validate` prints after the file name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}[{}]: {}",
            self.position,
            self.severity(),
            self.code,
            self.message
        )
    }
}
