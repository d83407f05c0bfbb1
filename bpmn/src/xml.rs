//! The hardened XML layer: bytes in, a small element tree out.
//!
//! This is the only module that touches quick-xml. It refuses what could cost
//! memory or read files before any of it is spent: documents over the size
//! limit, any DOCTYPE (and with it every entity declaration, internal or
//! external), and nesting beyond the depth limit. quick-xml itself never
//! expands entities other than the five predefined ones and character
//! references, so an undeclared `&name;` is reported as malformed XML.
//!
//! The diagram interchange part (`bpmndi:BPMNDiagram`) is skipped without
//! building a tree for it: it is most of a typical file and means nothing to
//! execution.

use std::cell::Cell;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};

use crate::Limits;
use crate::problem::{Code, Position, Problem};

/// The BPMN 2.0 model namespace.
pub(crate) const BPMN_NS: &str = "http://www.omg.org/spec/BPMN/20100524/MODEL";
/// Camunda 7's extension namespace.
pub(crate) const CAMUNDA_NS: &str = "http://camunda.org/schema/1.0/bpmn";
/// The legacy Activiti namespace, which Camunda 7 still reads as its own.
pub(crate) const ACTIVITI_NS: &str = "http://activiti.org/bpmn";
/// The namespace of camunda fox, whose `failedJobRetryTimeCycle` Camunda 7 still reads.
pub(crate) const FOX_NS: &str = "http://www.camunda.com/fox";
/// BPMN diagram interchange.
pub(crate) const BPMNDI_NS: &str = "http://www.omg.org/spec/BPMN/20100524/DI";

/// Which vocabulary an element or attribute belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    /// BPMN 2.0 model elements; also elements with no namespace at all.
    Bpmn,
    /// Camunda extensions (and their Activiti and fox ancestors).
    Camunda,
    /// Attributes without a prefix.
    None,
    /// Anything else: diagram interchange, XML Schema instance, other vendors.
    Other,
}

/// A name as written, prefix included, with where its local part starts:
/// one allocation for both.
#[derive(Debug)]
pub(crate) struct Name {
    qname: Box<str>,
    local_start: usize,
}

impl Name {
    fn new(qname: &str) -> Name {
        Name {
            qname: qname.into(),
            local_start: qname.find(':').map_or(0, |colon| colon + 1),
        }
    }

    /// The name as written, prefix included, for messages.
    pub(crate) fn qname(&self) -> &str {
        &self.qname
    }

    /// The name without its prefix.
    pub(crate) fn local(&self) -> &str {
        self.qname.get(self.local_start..).unwrap_or_default()
    }
}

/// One attribute, unescaped.
#[derive(Debug)]
pub(crate) struct Attr {
    pub(crate) ns: Ns,
    pub(crate) name: Name,
    pub(crate) value: String,
    /// Set when the model builder reads it, so that unread Camunda
    /// attributes can be reported instead of ignored.
    pub(crate) used: Cell<bool>,
}

/// One element with its attributes, child elements and direct text.
#[derive(Debug)]
pub(crate) struct Element {
    pub(crate) ns: Ns,
    pub(crate) name: Name,
    pub(crate) attrs: Vec<Attr>,
    pub(crate) children: Vec<Element>,
    /// Text and CDATA directly inside this element, concatenated and unescaped.
    pub(crate) text: String,
    pub(crate) position: Position,
    /// Set when the model builder reads it; see [`Attr::used`].
    pub(crate) used: Cell<bool>,
}

impl Attr {
    /// The name without its prefix.
    pub(crate) fn local(&self) -> &str {
        self.name.local()
    }

    /// The name as written, for messages.
    pub(crate) fn qname(&self) -> &str {
        self.name.qname()
    }
}

impl Element {
    /// The name without its prefix.
    pub(crate) fn local(&self) -> &str {
        self.name.local()
    }

    /// The name as written, for messages.
    pub(crate) fn qname(&self) -> &str {
        self.name.qname()
    }

    /// Whether this is the element `local` in namespace `ns`.
    pub(crate) fn is(&self, ns: Ns, local: &str) -> bool {
        self.ns == ns && self.local() == local
    }

    /// The value of the unprefixed attribute `local`, marking it read.
    pub(crate) fn attr(&self, local: &str) -> Option<&str> {
        self.attr_ns(Ns::None, local)
    }

    /// The value of the Camunda attribute `local`, marking it read.
    pub(crate) fn camunda(&self, local: &str) -> Option<&str> {
        self.attr_ns(Ns::Camunda, local)
    }

    /// The value of attribute `local` in `ns`, marking it read.
    pub(crate) fn attr_ns(&self, ns: Ns, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns == ns && a.local() == local)
            .map(|a| {
                a.used.set(true);
                a.value.as_str()
            })
    }

    /// The first child element `local` in `ns`, marking it read.
    pub(crate) fn child<'a>(&'a self, ns: Ns, local: &'a str) -> Option<&'a Element> {
        self.children_named(ns, local).next()
    }

    /// Every child element `local` in `ns`, marking each read.
    pub(crate) fn children_named<'a>(
        &'a self,
        ns: Ns,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children
            .iter()
            .filter(move |c| c.is(ns, local))
            .inspect(|c| c.used.set(true))
    }

    /// The trimmed text of this element, or `None` when it is blank.
    pub(crate) fn trimmed_text(&self) -> Option<&str> {
        let text = self.text.trim();
        (!text.is_empty()).then_some(text)
    }

    /// Marks this element read.
    pub(crate) fn mark_used(&self) {
        self.used.set(true);
    }
}

/// A document read into a tree.
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) root: Element,
    /// Whether a `bpmndi:BPMNDiagram` was seen (and skipped).
    pub(crate) has_diagram: bool,
}

/// Reads `source` into an element tree, or explains why it will not.
pub(crate) fn read(source: &str, limits: &Limits) -> Result<Document, Problem> {
    if source.len() > limits.max_bytes {
        return Err(too_large(source.len() as u64, limits));
    }

    let mut reader = NsReader::from_str(source);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    let mut lines = LineTracker::new(source);
    // The open elements, innermost last; the root is the first one closed last.
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut has_diagram = false;

    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_resolved_event();
        let (resolved, event) = match event {
            Ok(pair) => pair,
            Err(error) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(offset);
                return Err(malformed(&mut lines, at, &error.to_string()));
            }
        };
        // Resolve the namespace now: the resolution borrows the reader.
        let in_di =
            matches!(resolved, ResolveResult::Bound(Namespace(ns)) if ns == BPMNDI_NS.as_bytes());
        let ns = namespace(&resolved, false);
        match event {
            Event::DocType(_) => {
                return Err(Problem::new(
                    Code::Doctype,
                    lines.position(offset),
                    None,
                    "the document declares a DOCTYPE; BPMN files have none, and \
                     entity declarations are refused so they cannot expand or read files",
                ));
            }
            Event::Start(start) if in_di && is_diagram(&start) => {
                // Skip diagram interchange wholesale, without building a tree.
                has_diagram = true;
                let end = start.to_end().into_owned();
                if let Err(error) = reader.read_to_end(end.name()) {
                    return Err(malformed(&mut lines, offset, &error.to_string()));
                }
            }
            Event::Empty(start) if in_di && is_diagram(&start) => has_diagram = true,
            Event::Start(start) => {
                let element = open(&reader, ns, &start, &stack, &mut lines, offset, limits)?;
                stack.push(element);
            }
            Event::Empty(start) => {
                let element = open(&reader, ns, &start, &stack, &mut lines, offset, limits)?;
                attach(element, &mut stack, &mut root)
                    .map_err(|message| malformed(&mut lines, offset, message))?;
            }
            Event::End(_) => {
                let Some(element) = stack.pop() else {
                    return Err(malformed(&mut lines, offset, "unexpected closing tag"));
                };
                attach(element, &mut stack, &mut root)
                    .map_err(|message| malformed(&mut lines, offset, message))?;
            }
            Event::Text(text) => {
                // Indentation between elements is most of the text in a
                // model and means nothing; skipping it saves an allocation
                // per element. Every reader of text trims it anyway.
                if text.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                if let Some(parent) = stack.last_mut() {
                    let text = text
                        .unescape()
                        .map_err(|e| malformed(&mut lines, offset, &e.to_string()))?;
                    parent.text.push_str(&text);
                } else {
                    return Err(malformed(
                        &mut lines,
                        offset,
                        "text outside the root element",
                    ));
                }
            }
            Event::CData(data) => {
                if let Some(parent) = stack.last_mut() {
                    let data = std::str::from_utf8(&data)
                        .map_err(|e| malformed(&mut lines, offset, &e.to_string()))?;
                    parent.text.push_str(data);
                }
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
        if root.is_some() && !stack.is_empty() {
            // An element opened after the root closed.
            return Err(malformed(&mut lines, offset, "more than one root element"));
        }
    }

    if let Some(open) = stack.last() {
        let (position, qname) = (open.position, open.qname().to_owned());
        return Err(Problem::new(
            Code::MalformedXml,
            position,
            None,
            format!("the document ends before <{qname}> is closed"),
        ));
    }
    match root {
        Some(root) => Ok(Document { root, has_diagram }),
        None => Err(Problem::new(
            Code::MalformedXml,
            Position { line: 1, column: 1 },
            None,
            "the document has no root element",
        )),
    }
}

/// Adds a finished element to its parent, or makes it the root: a document
/// has exactly one.
fn attach(
    element: Element,
    stack: &mut [Element],
    root: &mut Option<Element>,
) -> Result<(), &'static str> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_some() => return Err("more than one root element"),
        None => *root = Some(element),
    }
    Ok(())
}

/// Checks the depth limit and reads one start tag into an element.
fn open(
    reader: &NsReader<&[u8]>,
    ns: Ns,
    start: &BytesStart<'_>,
    stack: &[Element],
    lines: &mut LineTracker<'_>,
    offset: usize,
    limits: &Limits,
) -> Result<Element, Problem> {
    if stack.len() >= limits.max_depth {
        return Err(Problem::new(
            Code::TooDeep,
            lines.position(offset),
            None,
            format!(
                "elements are nested more than {} levels deep",
                limits.max_depth
            ),
        ));
    }
    if start.attributes().take(limits.max_attributes + 1).count() > limits.max_attributes {
        return Err(Problem::new(
            Code::TooLarge,
            lines.position(offset),
            None,
            format!(
                "<{}> has more than {} attributes, over the limit",
                String::from_utf8_lossy(start.name().as_ref()),
                limits.max_attributes
            ),
        ));
    }
    element(reader, ns, start, lines.position(offset))
        .map_err(|message| malformed(lines, offset, &message))
}

fn is_diagram(start: &BytesStart<'_>) -> bool {
    start.local_name().as_ref() == b"BPMNDiagram"
}

fn namespace(resolved: &ResolveResult<'_>, attribute: bool) -> Ns {
    match resolved {
        ResolveResult::Bound(Namespace(ns)) => {
            if *ns == BPMN_NS.as_bytes() {
                Ns::Bpmn
            } else if *ns == CAMUNDA_NS.as_bytes()
                || *ns == ACTIVITI_NS.as_bytes()
                || *ns == FOX_NS.as_bytes()
            {
                Ns::Camunda
            } else {
                Ns::Other
            }
        }
        // An unprefixed attribute has no namespace; an element without any
        // namespace declaration is read as BPMN, as Camunda does.
        ResolveResult::Unbound if attribute => Ns::None,
        ResolveResult::Unbound => Ns::Bpmn,
        ResolveResult::Unknown(_) => Ns::Other,
    }
}

fn element(
    reader: &NsReader<&[u8]>,
    ns: Ns,
    start: &BytesStart<'_>,
    position: Position,
) -> Result<Element, String> {
    let name = Name::new(utf8(start.name().as_ref())?);
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let key = attr.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let (resolved, _) = reader.resolve_attribute(key);
        let value = attr
            .decode_and_unescape_value(reader.decoder())
            .map_err(|e| e.to_string())?;
        attrs.push(Attr {
            ns: namespace(&resolved, true),
            name: Name::new(utf8(key.as_ref())?),
            value: value.into_owned(),
            used: Cell::new(false),
        });
    }
    Ok(Element {
        ns,
        name,
        attrs,
        children: Vec::new(),
        text: String::new(),
        position,
        used: Cell::new(false),
    })
}

/// The problem for a document of `len` bytes over the size limit.
pub(crate) fn too_large(len: u64, limits: &Limits) -> Problem {
    Problem::new(
        Code::TooLarge,
        Position { line: 1, column: 1 },
        None,
        format!(
            "the document is {len} bytes, over the limit of {} bytes",
            limits.max_bytes
        ),
    )
}

fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| e.to_string())
}

fn malformed(lines: &mut LineTracker<'_>, offset: usize, message: &str) -> Problem {
    Problem::new(
        Code::MalformedXml,
        lines.position(offset),
        None,
        format!("the document is not well-formed XML: {message}"),
    )
}

/// Turns byte offsets into lines and columns.
///
/// Offsets mostly arrive in increasing order, so the tracker walks forward
/// from the last one instead of rescanning from the start; a minified
/// single-line document stays linear.
struct LineTracker<'a> {
    source: &'a str,
    offset: usize,
    line: u32,
    column: u32,
}

impl<'a> LineTracker<'a> {
    fn new(source: &'a str) -> Self {
        LineTracker {
            source,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    fn position(&mut self, offset: usize) -> Position {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        if offset < self.offset {
            *self = LineTracker::new(self.source);
        }
        let skipped = self.source.get(self.offset..offset).unwrap_or_default();
        for c in skipped.chars() {
            if c == '\n' {
                self.line = self.line.saturating_add(1);
                self.column = 1;
            } else {
                self.column = self.column.saturating_add(1);
            }
        }
        self.offset = offset;
        Position {
            line: self.line,
            column: self.column,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_default(source: &str) -> Result<Element, Problem> {
        read(source, &Limits::default()).map(|document| document.root)
    }

    #[test]
    fn positions_point_at_the_opening_bracket() {
        let root = read_default("<a>\n  <b/>\n  <c x='1'>é<d/></c></a>").expect("well-formed");
        assert_eq!(root.position, Position { line: 1, column: 1 });
        assert_eq!(root.children[0].position, Position { line: 2, column: 3 });
        let c = &root.children[1];
        assert_eq!(c.position, Position { line: 3, column: 3 });
        // The column counts characters: "é" is one column though two bytes.
        assert_eq!(
            c.children[0].position,
            Position {
                line: 3,
                column: 13
            }
        );
    }

    #[test]
    fn doctype_is_refused() {
        let problem = read_default("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>").unwrap_err();
        assert_eq!(problem.code, Code::Doctype);
    }

    #[test]
    fn undeclared_entity_is_malformed() {
        let problem = read_default("<a>&x;</a>").unwrap_err();
        assert_eq!(problem.code, Code::MalformedXml);
    }

    #[test]
    fn depth_and_size_limits_apply() {
        let deep = format!("{}{}", "<a>".repeat(20), "</a>".repeat(20));
        let limits = Limits {
            max_depth: 10,
            ..Limits::default()
        };
        assert_eq!(read(&deep, &limits).unwrap_err().code, Code::TooDeep);
        let diagram = "<a xmlns:di='http://www.omg.org/spec/BPMN/20100524/DI'><di:BPMNDiagram><x/></di:BPMNDiagram></a>";
        let document = read(diagram, &Limits::default()).unwrap();
        assert!(document.has_diagram);
        assert!(document.root.children.is_empty(), "the diagram is skipped");
        let limits = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(read(&deep, &limits).unwrap_err().code, Code::TooLarge);
        let attributes = |n: usize| {
            let attrs: String = (0..n).map(|i| format!(" a{i}='x'")).collect();
            format!("<a{attrs}/>")
        };
        let limits = Limits {
            max_attributes: 5,
            ..Limits::default()
        };
        assert!(read(&attributes(5), &limits).is_ok());
        let problem = read(&attributes(6), &limits).unwrap_err();
        assert_eq!(problem.code, Code::TooLarge);
        assert!(
            problem.message.contains("more than 5 attributes"),
            "{problem}"
        );
    }

    #[test]
    fn a_second_root_is_malformed() {
        for source in ["<a/><b/>", "<a></a><b/>", "<a></a><b></b>", "<a/><b>"] {
            let problem = read_default(source).unwrap_err();
            assert_eq!(problem.code, Code::MalformedXml, "{source}");
        }
    }

    #[test]
    fn unclosed_element_is_malformed() {
        let problem = read_default("<a>\n<b>").unwrap_err();
        assert_eq!(problem.code, Code::MalformedXml);
    }
}
