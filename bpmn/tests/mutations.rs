//! The parser never panics, whatever it is fed.
//!
//! `baton-bpmn` reads files uploaded over HTTP by anyone who can reach the
//! deployment endpoint, so the promise in its crate docs ("the parser never
//! panics, whatever the input") is a security property, not a nicety. These
//! tests hold it to that promise: they take every real model under
//! `test_data/`, break it in the ways files really break (flipped and
//! truncated bytes, half-edited XML, pasted fragments, hostile constructs)
//! and check that every answer is a well-formed one: an error carries at
//! least one error-severity problem, a success carries only warnings, every
//! position points inside the document, and the same bytes always give the
//! same answer.
//!
//! A handful of handcrafted worst cases (empty input, a BOM alone, 10 MiB of
//! spaces, 100,000 nested elements, a 5 MB single-line model...) are checked
//! separately, with the problem code each must produce.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use baton_bpmn::{Code, Error, Limits, Parsed, Problem, parse_bytes};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config as ProptestConfig;

/// Cases per property. 512 mutated documents take about half a second in a
/// debug build on 2 cores (the whole file takes 2 to 3 s, most of it spent
/// on the 5 MB document below). A run reaches every refusal of the XML layer
/// and most of the validator's codes; runs of 40,000 and 60,000 cases found
/// nothing that 512 did not.
const CASES: u32 = 512;

/// [`CASES`], or `BATON_MUTATION_CASES` for a longer run (the README's reliability
/// section).
fn cases() -> u32 {
    std::env::var("BATON_MUTATION_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES)
}

/// One real model the mutations start from.
struct Seed {
    /// The path under `test_data/`, for failure messages.
    name: String,
    bytes: Vec<u8>,
    /// Whether it sits in `test_data/ok/` (and so is meant to deploy).
    valid: bool,
}

/// Every `.bpmn` file under `test_data/ok/` and `test_data/err/`, sorted by path.
fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data");
        let mut seeds = Vec::new();
        for dir in ["ok", "err"] {
            let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
                .expect("test_data/ is readable")
                .map(|entry| entry.expect("a directory entry").path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "bpmn"))
                .collect();
            paths.sort();
            for path in paths {
                let name = format!(
                    "{dir}/{}",
                    path.file_name().expect("a file name").to_string_lossy()
                );
                let bytes = std::fs::read(&path).expect("a readable seed");
                seeds.push(Seed {
                    name,
                    bytes,
                    valid: dir == "ok",
                });
            }
        }
        assert!(
            seeds.iter().any(|s| s.valid) && seeds.iter().any(|s| !s.valid),
            "no seeds found under {}",
            root.display()
        );
        seeds
    })
}

fn valid_seeds() -> Vec<usize> {
    (0..seeds().len()).filter(|&i| seeds()[i].valid).collect()
}

/// Fragments pasted into documents: the pieces of XML and of Camunda's
/// expression language most likely to confuse a hand-written reader.
const FRAGMENTS: &[&str] = &[
    "<",
    ">",
    "/>",
    "</",
    "</bpmn:process>",
    "</bpmn:definitions>",
    r#"<bpmn:startEvent id="x"/>"#,
    r#"<bpmn:process id="p2" isExecutable="true">"#,
    r#"<bpmn:sequenceFlow id="f" sourceRef="x" targetRef="x"/>"#,
    r#"<bpmn:boundaryEvent id="b" attachedToRef="x"/>"#,
    "<bpmn:conditionExpression>${a ==</bpmn:conditionExpression>",
    r#"<bpmndi:BPMNDiagram id="d">"#,
    "<!DOCTYPE a>",
    r#"<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>"#,
    "<?xml version=\"1.0\"?>",
    "<!--",
    "-->",
    "&amp;",
    "&unknown;",
    "&#0;",
    "&#x110000;",
    "&#65;",
    "&",
    "]]>",
    "<![CDATA[",
    "\"",
    "'",
    "=",
    "${",
    "#{",
    "}",
    "${(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((x",
    r#"xmlns:bpmn="other""#,
    r#" xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL""#,
    "camunda:",
    r#" camunda:class="com.example.Foo""#,
    r#" id="x""#,
    "\0",
    "\r\n",
    "\n",
    "\u{e9}",
    "\u{1F600}",
    "\u{FFFF}",
];

/// Names a renamed element gets: real BPMN and Camunda vocabulary, in and
/// out of place, and a few names that are barely names.
const NAMES: &[&str] = &[
    "bpmn:definitions",
    "bpmn:process",
    "bpmn:subProcess",
    "bpmn:transaction",
    "bpmn:task",
    "bpmn:serviceTask",
    "bpmn:userTask",
    "bpmn:callActivity",
    "bpmn:startEvent",
    "bpmn:endEvent",
    "bpmn:boundaryEvent",
    "bpmn:intermediateCatchEvent",
    "bpmn:exclusiveGateway",
    "bpmn:complexGateway",
    "bpmn:eventBasedGateway",
    "bpmn:sequenceFlow",
    "bpmn:extensionElements",
    "bpmn:timerEventDefinition",
    "bpmn:errorEventDefinition",
    "bpmn:conditionExpression",
    "bpmn:multiInstanceLoopCharacteristics",
    "camunda:inputOutput",
    "camunda:inputParameter",
    "camunda:list",
    "camunda:map",
    "bpmndi:BPMNDiagram",
    "foo",
    "x:y",
    "bpmn:",
    "a:b:c",
];

/// Well-formed elements pasted between tags: the document stays XML, so
/// the model builder and the validator see the broken model.
const ELEMENTS: &[&str] = &[
    r#"<bpmn:startEvent id="x"/>"#,
    r#"<bpmn:endEvent id="x_end"/>"#,
    r#"<bpmn:task id="t_new"/>"#,
    r#"<bpmn:sequenceFlow id="f_new" sourceRef="x" targetRef="t_new"/>"#,
    r#"<bpmn:boundaryEvent id="b_new" attachedToRef="x"><bpmn:timerEventDefinition/></bpmn:boundaryEvent>"#,
    "<bpmn:conditionExpression>${a ==</bpmn:conditionExpression>",
    "<bpmn:conditionExpression>${x &gt; 1 &amp;&amp; y}</bpmn:conditionExpression>",
    r#"<bpmn:complexGateway id="cg"/>"#,
    r#"<bpmn:subProcess id="sp"><bpmn:startEvent id="sp_s"/></bpmn:subProcess>"#,
    r#"<bpmn:process id="p_new" isExecutable="true"/>"#,
    r#"<bpmn:message id="m_new" name="${x}"/>"#,
    r#"<bpmn:error id="e_new" errorCode=""/>"#,
    concat!(
        "<bpmn:extensionElements><camunda:inputOutput>",
        r#"<camunda:inputParameter name="a">${x}</camunda:inputParameter>"#,
        "</camunda:inputOutput></bpmn:extensionElements>",
    ),
    concat!(
        "<bpmn:extensionElements>",
        r#"<camunda:executionListener class="a.B" event="start"/>"#,
        "</bpmn:extensionElements>",
    ),
    r#"<bpmn:scriptTask id="st" scriptFormat="groovy"><bpmn:script>1</bpmn:script></bpmn:scriptTask>"#,
    "<bpmn:timerEventDefinition><bpmn:timeCycle>R/P</bpmn:timeCycle></bpmn:timerEventDefinition>",
    concat!(
        r#"<bpmn:multiInstanceLoopCharacteristics camunda:collection="${xs}">"#,
        "<bpmn:loopCardinality>-1</bpmn:loopCardinality>",
        "</bpmn:multiInstanceLoopCharacteristics>",
    ),
    "<bpmn:incoming>nowhere</bpmn:incoming>",
    "<camunda:failedJobRetryTimeCycle>R3/PT1M</camunda:failedJobRetryTimeCycle>",
    r#"<bpmndi:BPMNDiagram id="d2"/>"#,
    "<![CDATA[x]]>",
    "<!-- a comment -->",
    "<?pi x?>",
    "&amp;",
];

/// Texts pasted into attribute values, where they keep the document XML:
/// expressions, references, timers and numbers, good and bad.
const VALUES: &[&str] = &[
    "",
    " ",
    "x",
    "${",
    "#{",
    "}",
    "${x}",
    "#{x}",
    "${a ==",
    "${a}${b}",
    "${a}#{b}",
    "\\${x}",
    "${x.y(z)}",
    "${execution.getVariable('a')}",
    "${(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((x",
    "&amp;",
    "&#65;",
    "&quot;",
    "camunda:",
    "bpmn:",
    "true",
    "false",
    "-1",
    "0",
    "99999999999999999999",
    "PT5M",
    "R/PT1M",
    "0 0 * * * ?",
    "2025-13-45T25:61:00",
    "external",
    "groovy",
    "\u{e9}",
    "\u{1F600}",
];

/// One way of breaking a document. Positions are [`Index`]es, scaled to the
/// document as it is when the mutation applies, so they shrink well.
#[derive(Debug, Clone)]
enum Mutation {
    /// Overwrites bytes at a place with these.
    Replace(Index, Vec<u8>),
    /// Flips the bits of `mask` in one byte.
    Flip(Index, u8),
    /// Deletes up to `len` bytes from a place.
    Delete(Index, usize),
    /// Copies up to `len` bytes from one place to another.
    Duplicate { from: Index, len: usize, to: Index },
    /// Cuts the document short.
    Truncate(Index),
    /// Pastes a fragment at a place.
    Insert(Place, Fragment),
    /// Replaces the value of an attribute with a fragment.
    SetValue(Index, Fragment),
    /// Swaps the values of two attributes.
    SwapValues(Index, Index),
    /// Renames one start tag, or every tag with that name.
    Rename {
        which: Index,
        name: Index,
        everywhere: bool,
    },
    /// Deletes one attribute, name and value.
    DeleteAttribute(Index),
    /// Deletes one element, with everything inside it.
    DeleteElement(Index),
}

/// Where [`Mutation::Insert`] pastes.
#[derive(Debug, Clone)]
enum Place {
    /// Any byte offset.
    Anywhere(Index),
    /// Just after the `>` of a tag.
    AfterTag(Index),
    /// Somewhere inside an attribute value.
    InValue(Index, Index),
}

/// What a mutation pastes.
#[derive(Debug, Clone)]
enum Fragment {
    /// One of [`FRAGMENTS`].
    Text(Index),
    /// One of [`ELEMENTS`].
    Element(Index),
    /// One of [`VALUES`].
    Value(Index),
    /// `<a>` nested `depth` times, closed again when `closed`.
    Nesting { depth: usize, closed: bool },
    /// One of the ids already in the document, as raw text.
    ExistingId(Index),
    /// Bytes that are not UTF-8 (or a lone BOM, which is).
    Bytes(Vec<u8>),
}

fn nesting(closed: impl Strategy<Value = bool>) -> impl Strategy<Value = Fragment> {
    (
        prop::sample::select(vec![2_usize, 50, 99, 100, 101, 200]),
        closed,
    )
        .prop_map(|(depth, closed)| Fragment::Nesting { depth, closed })
}

/// Anything at all.
fn fragment() -> impl Strategy<Value = Fragment> {
    prop_oneof![
        6 => any::<Index>().prop_map(Fragment::Text),
        2 => any::<Index>().prop_map(Fragment::Element),
        2 => any::<Index>().prop_map(Fragment::Value),
        1 => nesting(any::<bool>()),
        2 => any::<Index>().prop_map(Fragment::ExistingId),
        1 => prop::sample::select(vec![
            vec![0xff],
            vec![0xfe, 0xff],
            vec![0xc3],
            vec![0x80],
            vec![0xed, 0xa0, 0x80],
            vec![0xf4, 0x90, 0x80, 0x80],
            vec![0xef, 0xbb, 0xbf],
        ])
        .prop_map(Fragment::Bytes),
    ]
}

/// What can go into an attribute value without breaking the XML.
fn value() -> impl Strategy<Value = Fragment> {
    prop_oneof![
        3 => any::<Index>().prop_map(Fragment::Value),
        1 => any::<Index>().prop_map(Fragment::ExistingId),
    ]
}

/// What can go between two tags without breaking the XML.
fn element() -> impl Strategy<Value = Fragment> {
    prop_oneof![
        6 => any::<Index>().prop_map(Fragment::Element),
        1 => nesting(Just(true)),
    ]
}

fn place() -> impl Strategy<Value = Place> {
    prop_oneof![
        any::<Index>().prop_map(Place::Anywhere),
        any::<Index>().prop_map(Place::AfterTag),
        (any::<Index>(), any::<Index>()).prop_map(|(value, at)| Place::InValue(value, at)),
    ]
}

/// The mutations that keep a document well-formed XML (mostly: a pasted
/// element may land outside the root), so that what they break is the
/// model, for the builder and the validator to find.
fn gentle_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), element())
            .prop_map(|(at, fragment)| Mutation::Insert(Place::AfterTag(at), fragment)),
        1 => (any::<Index>(), any::<Index>(), value()).prop_map(|(which, at, fragment)| {
            Mutation::Insert(Place::InValue(which, at), fragment)
        }),
        3 => (any::<Index>(), value()).prop_map(|(at, fragment)| Mutation::SetValue(at, fragment)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapValues(a, b)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(which, name)| Mutation::Rename {
            which,
            name,
            everywhere: true,
        }),
        2 => any::<Index>().prop_map(Mutation::DeleteAttribute),
        2 => any::<Index>().prop_map(Mutation::DeleteElement),
    ]
}

/// Every mutation, byte-level vandalism included.
fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => (any::<Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Replace(at, bytes)),
        2 => (any::<Index>(), 1..=255_u8).prop_map(|(at, mask)| Mutation::Flip(at, mask)),
        2 => (any::<Index>(), 1..400_usize).prop_map(|(at, len)| Mutation::Delete(at, len)),
        1 => (any::<Index>(), 1..400_usize, any::<Index>())
            .prop_map(|(from, len, to)| Mutation::Duplicate { from, len, to }),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        5 => (place(), fragment()).prop_map(|(at, fragment)| Mutation::Insert(at, fragment)),
        2 => (any::<Index>(), fragment()).prop_map(|(at, fragment)| Mutation::SetValue(at, fragment)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapValues(a, b)),
        2 => (any::<Index>(), any::<Index>(), any::<bool>())
            .prop_map(|(which, name, everywhere)| Mutation::Rename { which, name, everywhere }),
        1 => any::<Index>().prop_map(Mutation::DeleteAttribute),
        1 => any::<Index>().prop_map(Mutation::DeleteElement),
    ]
}

/// 1 to 8 mutations: half the time any at all, half the time only gentle ones.
fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop_oneof![
        prop::collection::vec(mutation(), 1..=8),
        prop::collection::vec(gentle_mutation(), 1..=8),
    ]
}

/// `index` scaled to `0..len`, or 0 when there is nothing to choose from.
fn pick(index: &Index, len: usize) -> usize {
    if len == 0 { 0 } else { index.index(len) }
}

/// The byte ranges of the attribute values (between the quotes) in `bytes`.
fn attribute_values(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut values = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'=' && matches!(bytes[i + 1], b'"' | b'\'') {
            let quote = bytes[i + 1];
            let start = i + 2;
            if let Some(len) = bytes[start..].iter().position(|&b| b == quote) {
                values.push((start, start + len));
                i = start + len + 1;
                continue;
            }
        }
        i += 1;
    }
    values
}

/// The byte ranges of the element names in start tags (after a `<`).
fn element_names(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut names = Vec::new();
    for (i, window) in bytes.windows(2).enumerate() {
        if window[0] == b'<' && window[1].is_ascii_alphabetic() {
            let start = i + 1;
            let len = bytes[start..]
                .iter()
                .position(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
                .unwrap_or(bytes.len() - start);
            names.push((start, start + len));
        }
    }
    names
}

/// The values of the `id` attributes in `bytes`.
fn ids(bytes: &[u8]) -> Vec<Vec<u8>> {
    attribute_values(bytes)
        .into_iter()
        .filter(|&(start, _)| start >= 5 && &bytes[start - 5..start - 1] == b" id=")
        .map(|(start, end)| bytes[start..end].to_vec())
        .collect()
}

fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

/// The bytes `fragment` stands for in the document `bytes`.
fn fragment_bytes(bytes: &[u8], fragment: &Fragment) -> Vec<u8> {
    match fragment {
        Fragment::Text(which) => FRAGMENTS[pick(which, FRAGMENTS.len())].into(),
        Fragment::Element(which) => ELEMENTS[pick(which, ELEMENTS.len())].into(),
        Fragment::Value(which) => VALUES[pick(which, VALUES.len())].into(),
        Fragment::Nesting { depth, closed } => {
            let mut text = "<a>".repeat(*depth);
            if *closed {
                text.push_str(&"</a>".repeat(*depth));
            }
            text.into_bytes()
        }
        Fragment::ExistingId(which) => {
            let ids = ids(bytes);
            ids.get(pick(which, ids.len())).cloned().unwrap_or_default()
        }
        Fragment::Bytes(raw) => raw.clone(),
    }
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    match mutation {
        Mutation::Replace(at, new) => {
            let at = pick(at, bytes.len());
            for (offset, &byte) in new.iter().enumerate() {
                if let Some(slot) = bytes.get_mut(at + offset) {
                    *slot = byte;
                }
            }
        }
        Mutation::Flip(at, mask) => {
            let at = pick(at, bytes.len());
            if let Some(byte) = bytes.get_mut(at) {
                *byte ^= mask;
            }
        }
        Mutation::Delete(at, len) => {
            let at = pick(at, bytes.len());
            let end = (at + len).min(bytes.len());
            bytes.drain(at..end);
        }
        Mutation::Duplicate { from, len, to } => {
            let from = pick(from, bytes.len());
            let end = (from + len).min(bytes.len());
            let copy = bytes[from..end].to_vec();
            let to = pick(to, bytes.len() + 1);
            bytes.splice(to..to, copy);
        }
        Mutation::Truncate(at) => {
            let at = pick(at, bytes.len() + 1);
            bytes.truncate(at);
        }
        Mutation::Insert(place, fragment) => {
            let text = fragment_bytes(bytes, fragment);
            let at = match place {
                Place::Anywhere(at) => pick(at, bytes.len() + 1),
                Place::AfterTag(at) => {
                    let ends: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] == b'>').collect();
                    ends.get(pick(at, ends.len())).map_or(0, |&i| i + 1)
                }
                Place::InValue(value, at) => {
                    let values = attribute_values(bytes);
                    values
                        .get(pick(value, values.len()))
                        .map_or(0, |&(start, end)| start + pick(at, end - start + 1))
                }
            };
            bytes.splice(at..at, text);
        }
        Mutation::SetValue(which, fragment) => {
            let text = fragment_bytes(bytes, fragment);
            let values = attribute_values(bytes);
            if let Some(&(start, end)) = values.get(pick(which, values.len())) {
                bytes.splice(start..end, text);
            }
        }
        Mutation::SwapValues(a, b) => {
            let values = attribute_values(bytes);
            let (a, b) = (pick(a, values.len()), pick(b, values.len()));
            if values.is_empty() || a == b {
                return;
            }
            let ((s1, e1), (s2, e2)) = (values[a.min(b)], values[a.max(b)]);
            let mut out = bytes[..s1].to_vec();
            out.extend_from_slice(&bytes[s2..e2]);
            out.extend_from_slice(&bytes[e1..s2]);
            out.extend_from_slice(&bytes[s1..e1]);
            out.extend_from_slice(&bytes[e2..]);
            *bytes = out;
        }
        Mutation::Rename {
            which,
            name,
            everywhere,
        } => {
            let names = element_names(bytes);
            if names.is_empty() {
                return;
            }
            let (start, end) = names[pick(which, names.len())];
            let new = NAMES[pick(name, NAMES.len())].as_bytes();
            if *everywhere {
                let old = bytes[start..end].to_vec();
                let renamed = replace_all(bytes, &[b"<", &old[..]].concat(), &[b"<", new].concat());
                *bytes = replace_all(
                    &renamed,
                    &[b"</", &old[..]].concat(),
                    &[b"</", new].concat(),
                );
            } else {
                bytes.splice(start..end, new.iter().copied());
            }
        }
        Mutation::DeleteAttribute(which) => {
            let values = attribute_values(bytes);
            let range = values
                .get(pick(which, values.len()))
                .and_then(|&value| attribute_range(bytes, value));
            if let Some((start, end)) = range {
                bytes.drain(start..end);
            }
        }
        Mutation::DeleteElement(which) => {
            let names = element_names(bytes);
            let range = names
                .get(pick(which, names.len()))
                .and_then(|&name| element_range(bytes, name));
            if let Some((start, end)) = range {
                bytes.drain(start..end);
            }
        }
    }
}

/// The byte range of attribute `which` (see [`attribute_values`]): a space,
/// the name, `=`, and the quoted value.
fn attribute_range(bytes: &[u8], value: (usize, usize)) -> Option<(usize, usize)> {
    let (start, end) = value;
    // `start - 2` is the `=`; the name runs back to the whitespace before it.
    let name_end = start.checked_sub(2)?;
    let space = bytes[..name_end]
        .iter()
        .rposition(|b| b.is_ascii_whitespace() || *b == b'<')?;
    (bytes[space] != b'<').then_some((space, end + 1))
}

/// Whether `bytes` at `at` goes on with the tag name `name`, and then ends it.
fn names_at(bytes: &[u8], at: usize, name: &[u8]) -> bool {
    bytes[at..].starts_with(name)
        && bytes
            .get(at + name.len())
            .is_some_and(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
}

/// The byte range of the element whose name is at `name` (see
/// [`element_names`]), from its `<` to the end of its closing tag.
fn element_range(bytes: &[u8], (start, end): (usize, usize)) -> Option<(usize, usize)> {
    let name = &bytes[start..end];
    let open = start - 1;
    let tag_end = end + bytes[end..].iter().position(|&b| b == b'>')?;
    if bytes[tag_end - 1] == b'/' {
        return Some((open, tag_end + 1));
    }
    let mut depth = 1;
    let mut i = tag_end + 1;
    while i + 1 < bytes.len() {
        if bytes[i] == b'<' && bytes[i + 1] == b'/' && names_at(bytes, i + 2, name) {
            depth -= 1;
            if depth == 0 {
                let close = i + bytes[i..].iter().position(|&b| b == b'>')?;
                return Some((open, close + 1));
            }
        } else if bytes[i] == b'<' && names_at(bytes, i + 1, name) {
            let close = i + bytes[i..].iter().position(|&b| b == b'>')?;
            if bytes[close - 1] != b'/' {
                depth += 1;
            }
        }
        i += 1;
    }
    None
}

fn mutated(seed: usize, mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = seeds()[seed].bytes.clone();
    for mutation in mutations {
        apply(&mut bytes, mutation);
    }
    bytes
}

/// Checks that every problem in `problems` points inside `bytes`, and that
/// they come in document order.
fn check_positions(bytes: &[u8], problems: &[Problem]) -> Result<(), String> {
    // The parser drops a leading BOM before it counts columns.
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(text).to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    };
    let lines: Vec<&str> = text.split('\n').collect();
    for problem in problems {
        let position = problem.position;
        let (line, column) = (position.line as usize, position.column as usize);
        if line < 1 || column < 1 || line > lines.len() + 1 {
            return Err(format!(
                "{problem}: position outside a document of {} lines",
                lines.len()
            ));
        }
        // Columns count characters; one past the last is where the document ends.
        let width = lines.get(line - 1).map_or(0, |l| l.chars().count());
        if column > width + 1 {
            return Err(format!(
                "{problem}: column past the end of line {line}, which has {width} characters"
            ));
        }
    }
    if !problems.windows(2).all(|w| w[0].position <= w[1].position) {
        return Err(format!("problems out of document order: {problems:#?}"));
    }
    Ok(())
}

/// Checks that `result` is a well-formed answer for `bytes`.
fn check(bytes: &[u8], result: &Result<Parsed, Error>) -> Result<(), String> {
    match result {
        Err(error) => {
            let problems = error.problems();
            if problems.is_empty() {
                return Err("an error with no problems".to_owned());
            }
            if !problems.iter().any(Problem::is_error) {
                return Err(format!("an error with only warnings: {problems:#?}"));
            }
            // Rendering must not panic either.
            let _ = error.to_string();
            check_positions(bytes, problems)
        }
        Ok(parsed) => {
            if let Some(problem) = parsed.warnings.iter().find(|p| p.is_error()) {
                return Err(format!(
                    "a success with an error among its warnings: {problem}"
                ));
            }
            check_positions(bytes, &parsed.warnings)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        // Nothing is written into the source tree; a failure prints the
        // seed and the mutations, which reproduce it.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_models_get_a_well_formed_answer(
        seed in 0..seeds().len(),
        mutations in mutations(),
    ) {
        let bytes = mutated(seed, &mutations);
        let result = parse_bytes(&bytes, &Limits::default());
        if let Err(message) = check(&bytes, &result) {
            prop_assert!(
                false,
                "{} after {mutations:?}: {message}\ninput:\n{}",
                seeds()[seed].name,
                String::from_utf8_lossy(&bytes)
            );
        }
    }

    #[test]
    fn parsing_is_deterministic(
        seed in prop::sample::select(valid_seeds()),
        mutations in prop::collection::vec(gentle_mutation(), 0..=3),
    ) {
        let bytes = mutated(seed, &mutations);
        let first = parse_bytes(&bytes, &Limits::default());
        let second = parse_bytes(&bytes, &Limits::default());
        prop_assert_eq!(first, second, "{} after {:?}", &seeds()[seed].name, mutations);
    }
}

/// The Modeler-style preamble of the generated documents below.
const HEADER: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    r#"<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" "#,
    r#"xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">"#,
    r#"<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/>"#,
);
const FOOTER: &str = "</bpmn:process></bpmn:definitions>";

/// A one-line model of about `bytes` bytes: a long chain of tasks joined by
/// sequence flows, with nothing between the tags.
fn long_single_line_model(bytes: usize) -> Vec<u8> {
    let mut model = String::from(HEADER);
    model.push_str(r#"<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="t0"/>"#);
    let mut i = 0;
    while model.len() < bytes {
        model.push_str(&format!(
            r#"<bpmn:task id="t{i}"/><bpmn:sequenceFlow id="f{}" sourceRef="t{i}" targetRef="t{}"/>"#,
            i + 1,
            i + 1
        ));
        i += 1;
    }
    model.push_str(&format!(r#"<bpmn:endEvent id="t{i}"/>"#));
    model.push_str(FOOTER);
    model.into_bytes()
}

/// A model whose one condition is an expression `depth` levels deep.
fn deep_expression_model(depth: usize) -> Vec<u8> {
    format!(
        concat!(
            "{header}",
            r#"<bpmn:exclusiveGateway id="g"/>"#,
            r#"<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>"#,
            r#"<bpmn:sequenceFlow id="f1" sourceRef="g" targetRef="e">"#,
            "<bpmn:conditionExpression>${{{open}x{close}}}</bpmn:conditionExpression>",
            "</bpmn:sequenceFlow>",
            r#"<bpmn:endEvent id="e"/>{footer}"#,
        ),
        header = HEADER,
        open = "(".repeat(depth),
        close = ")".repeat(depth),
        footer = FOOTER,
    )
    .into_bytes()
}

/// The nastiest inputs we could think of, each with the code it must
/// produce when that is clear (`None`: any well-formed answer will do).
fn nasty_inputs() -> Vec<(&'static str, Vec<u8>, Option<Code>)> {
    let limits = Limits::default();
    let nested =
        |depth: usize| format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth)).into_bytes();
    vec![
        ("empty input", Vec::new(), Some(Code::MalformedXml)),
        (
            "only a BOM",
            b"\xef\xbb\xbf".to_vec(),
            Some(Code::MalformedXml),
        ),
        (
            "only whitespace",
            b" \n\t\r\n ".to_vec(),
            Some(Code::MalformedXml),
        ),
        ("a lone '<'", b"<".to_vec(), Some(Code::MalformedXml)),
        (
            "10 MiB + 1 of spaces",
            vec![b' '; limits.max_bytes + 1],
            Some(Code::TooLarge),
        ),
        (
            "100,000 nested elements",
            nested(100_000),
            Some(Code::TooDeep),
        ),
        (
            "100,000 unclosed nested elements",
            "<a>".repeat(100_000).into_bytes(),
            Some(Code::TooDeep),
        ),
        (
            "nesting one past the limit",
            nested(limits.max_depth + 1),
            Some(Code::TooDeep),
        ),
        (
            "a 5 MB single-line model",
            long_single_line_model(5_000_000),
            None,
        ),
        (
            "an expression nested 100,000 deep",
            deep_expression_model(100_000),
            Some(Code::InvalidExpression),
        ),
        (
            "billion laughs",
            concat!(
                r#"<!DOCTYPE a [<!ENTITY l "lol"><!ENTITY l1 "&l;&l;&l;&l;&l;&l;&l;&l;">]>"#,
                "<a>&l1;</a>"
            )
            .as_bytes()
            .to_vec(),
            Some(Code::Doctype),
        ),
        (
            "an external entity",
            br#"<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>"#.to_vec(),
            Some(Code::Doctype),
        ),
        (
            "an undeclared entity",
            b"<a>&unknown;</a>".to_vec(),
            Some(Code::MalformedXml),
        ),
        (
            "not UTF-8",
            b"<a>\xff\xfe</a>".to_vec(),
            Some(Code::MalformedXml),
        ),
        (
            "UTF-16 with its BOM",
            "\u{feff}<a/>"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect(),
            Some(Code::MalformedXml),
        ),
        (
            "a closing tag alone",
            b"</a>".to_vec(),
            Some(Code::MalformedXml),
        ),
        (
            "two root elements",
            b"<a/><b/>".to_vec(),
            Some(Code::MalformedXml),
        ),
        (
            "text after the root",
            b"<a/>trailing".to_vec(),
            Some(Code::MalformedXml),
        ),
        (
            "a root in another namespace",
            br#"<bpmn:definitions xmlns:bpmn="other"/>"#.to_vec(),
            Some(Code::NotBpmn),
        ),
        (
            "a process without a start event",
            format!(
                "{}{FOOTER}",
                HEADER.replace(r#"<bpmn:startEvent id="s"/>"#, "")
            )
            .into_bytes(),
            Some(Code::NoStartEvent),
        ),
    ]
}

#[test]
fn the_nastiest_inputs_get_the_expected_answer_quickly() {
    let limits = Limits::default();
    let mut failures = Vec::new();
    for (name, bytes, expected) in nasty_inputs() {
        let start = Instant::now();
        let result = parse_bytes(&bytes, &limits);
        let elapsed = start.elapsed();
        // Generous for a loaded debug build; a quadratic path blows far past it.
        if elapsed > Duration::from_secs(10) {
            failures.push(format!("{name}: took {elapsed:?}"));
        }
        if let Err(message) = check(&bytes, &result) {
            failures.push(format!("{name}: {message}"));
        }
        if let Some(code) = expected {
            let codes: Vec<Code> = match &result {
                Ok(parsed) => parsed.warnings.iter().map(|p| p.code).collect(),
                Err(error) => error.problems().iter().map(|p| p.code).collect(),
            };
            if result.is_ok() || !codes.contains(&code) {
                failures.push(format!("{name}: expected an error {code}, got {codes:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_seed_gets_a_well_formed_answer() {
    for seed in seeds() {
        let result = parse_bytes(&seed.bytes, &Limits::default());
        if let Err(message) = check(&seed.bytes, &result) {
            panic!("{}: {message}", seed.name);
        }
    }
}
