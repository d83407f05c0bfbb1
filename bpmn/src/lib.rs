//! BPMN 2.0 XML, as Camunda Modeler writes it, into a validated model.
//!
//! [`parse`] reads a BPMN file and returns its [`Definitions`] (processes,
//! their flow nodes and sequence flows, and the messages, signals, errors and
//! escalations they refer to) together with any warnings, or every problem
//! that stops the file from being deployed. The crate knows nothing of
//! execution: the engine compiles the model it returns. Three pure grammars live
//! here because validation needs them and the engine must read exactly the
//! same: [`expr`] (JUEL), [`timer`] (timer values and their schedules) and
//! [`date_pattern`] (the date patterns of generated forms).
//!
//! ```
//! let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
//! <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
//!     xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
//!   <bpmn:process id="order" isExecutable="true">
//!     <bpmn:startEvent id="start" />
//!     <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="charge" />
//!     <bpmn:serviceTask id="charge" camunda:type="external" camunda:topic="charge-card" />
//!     <bpmn:sequenceFlow id="f2" sourceRef="charge" targetRef="end" />
//!     <bpmn:endEvent id="end" />
//!   </bpmn:process>
//! </bpmn:definitions>"#;
//!
//! let parsed = baton_bpmn::parse(xml).expect("a valid model");
//! let process = &parsed.definitions.processes[0];
//! assert_eq!(process.id, "order");
//! assert_eq!(process.nodes.len(), 3);
//!
//! let broken = xml.replace(r#"camunda:topic="charge-card""#, "");
//! let error = baton_bpmn::parse(&broken).unwrap_err();
//! assert_eq!(error.problems()[0].code, baton_bpmn::Code::MissingTopic);
//! ```
//!
//! Hostile input is refused before it costs memory or reads a file: see
//! [`Limits`]. The parser never panics, whatever the input.

#![deny(missing_docs)]

mod build;
mod calls;
pub mod date_pattern;
pub mod expr;
pub mod model;
mod problem;
pub mod timer;
mod validate;
mod xml;

pub use model::Definitions;
pub use problem::{Code, Position, Problem, Severity};

/// Bounds on what the parser accepts, checked before the work they bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The largest document accepted, in bytes. Default 10 MiB.
    pub max_bytes: usize,
    /// The deepest nesting of elements accepted. Default 100, far beyond any
    /// real model (a Modeler file is rarely 15 deep), far below a stack risk.
    pub max_depth: usize,
    /// The most attributes one element may have. Default 10 000, the limit
    /// Camunda's XML parser enforces (JAXP's `elementAttributeLimit`): far
    /// beyond any real model, and an element with more is refused before its
    /// attributes are read.
    pub max_attributes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 10 * 1024 * 1024,
            max_depth: 100,
            max_attributes: 10_000,
        }
    }
}

/// A model that passed validation, with the warnings it raised.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The model.
    pub definitions: Definitions,
    /// Problems that do not block deployment, in document order.
    pub warnings: Vec<Problem>,
}

/// Why a document cannot be deployed: every problem found, errors and
/// warnings alike, in document order. At least one is an error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", summary(.problems))]
pub struct Error {
    problems: Vec<Problem>,
}

impl Error {
    /// Every problem found, in document order; at least one is an error.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The problems, by value.
    pub fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    /// The error for a document of `len` bytes over `limits`, for callers
    /// that learn a file's size before reading it.
    pub fn too_large(len: u64, limits: &Limits) -> Error {
        Error {
            problems: vec![xml::too_large(len, limits)],
        }
    }
}

fn summary(problems: &[Problem]) -> String {
    let errors = problems.iter().filter(|p| p.is_error()).count();
    match problems.iter().find(|p| p.is_error()) {
        Some(first) if errors == 1 => format!("invalid BPMN: {first}"),
        Some(first) => format!("invalid BPMN: {first} (and {} more errors)", errors - 1),
        None => "invalid BPMN".to_owned(),
    }
}

/// Parses and validates a BPMN document with the default [`Limits`].
pub fn parse(source: &str) -> Result<Parsed, Error> {
    parse_with(source, &Limits::default())
}

/// Parses and validates a BPMN document within `limits`.
pub fn parse_with(source: &str, limits: &Limits) -> Result<Parsed, Error> {
    let document = xml::read(source, limits).map_err(|problem| Error {
        problems: vec![problem],
    })?;
    let (mut definitions, mut problems) = build::build(&document.root);
    definitions.has_diagram = document.has_diagram;
    validate::validate(&definitions, document.root.position, &mut problems);
    problems.sort_by_key(|p| p.position);
    if problems.iter().any(Problem::is_error) {
        return Err(Error { problems });
    }
    Ok(Parsed {
        definitions,
        warnings: problems,
    })
}

/// Parses raw bytes: the same as [`parse_with`], after checking the size
/// limit and that the bytes are UTF-8 (which Camunda Modeler always writes).
pub fn parse_bytes(source: &[u8], limits: &Limits) -> Result<Parsed, Error> {
    if source.len() > limits.max_bytes {
        // Checked before decoding, so that a huge input costs nothing.
        return Err(Error {
            problems: vec![xml::too_large(source.len() as u64, limits)],
        });
    }
    match std::str::from_utf8(source) {
        Ok(text) => parse_with(text.strip_prefix('\u{feff}').unwrap_or(text), limits),
        Err(error) => Err(Error {
            problems: vec![Problem::new(
                Code::MalformedXml,
                Position { line: 1, column: 1 },
                None,
                format!("the document is not UTF-8: {error}"),
            )],
        }),
    }
}
