//! One test per validation rule and per Camunda leniency, on minimal models.
//!
//! The fixtures in `test_data/` show whole files as Camunda Modeler writes
//! them; these tests pin each rule down on its own, so a failure names the
//! rule that broke.

use baton_bpmn::model::{EventDefinition, Implementation, NodeKind, TaskKind};
use baton_bpmn::{Code, Parsed, Problem};

/// A definitions element with the usual namespaces around `body`.
fn definitions(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
{body}
</bpmn:definitions>"#
    )
}

/// An executable process `p` holding `body`.
fn process(body: &str) -> String {
    definitions(&format!(
        r#"<bpmn:process id="p" isExecutable="true">{body}</bpmn:process>"#
    ))
}

/// A start event flowing into `body`'s element `first`.
fn started(first: &str, body: &str) -> String {
    process(&format!(
        r#"<bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="{first}" />{body}"#
    ))
}

fn valid(xml: &str) -> Parsed {
    baton_bpmn::parse(xml).unwrap_or_else(|e| {
        let problems: Vec<String> = e.problems().iter().map(Problem::to_string).collect();
        panic!("expected a valid model, got:\n{}", problems.join("\n"))
    })
}

fn problems(xml: &str) -> Vec<Problem> {
    match baton_bpmn::parse(xml) {
        Ok(parsed) => parsed.warnings,
        Err(error) => error.into_problems(),
    }
}

/// The codes of every problem, in document order.
fn codes(xml: &str) -> Vec<Code> {
    problems(xml).iter().map(|p| p.code).collect()
}

const END: &str = r#"<bpmn:endEvent id="end" />"#;

#[test]
fn a_minimal_process_is_valid() {
    let parsed = valid(&started("end", END));
    assert!(parsed.warnings.is_empty());
    assert_eq!(parsed.definitions.processes[0].nodes.len(), 2);
}

#[test]
fn problems_carry_line_column_and_element() {
    let xml = started(
        "t",
        r#"<bpmn:serviceTask id="t" camunda:type="external" />"#,
    );
    let problem = &problems(&xml)[0];
    assert_eq!(problem.code, Code::MissingTopic);
    assert_eq!(problem.element_id.as_deref(), Some("t"));
    let line = xml
        .lines()
        .position(|l| l.contains(r#"id="t""#))
        .expect("the task's line")
        + 1;
    assert_eq!(problem.position.line as usize, line);
    assert!(
        problem.message.contains("serviceTask 't'"),
        "{}",
        problem.message
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let xml = process(
        r#"<bpmn:serviceTask id="a" camunda:class="x.A" />
           <bpmn:serviceTask id="b" camunda:type="external" />
           <bpmn:complexGateway id="c" />
           <bpmn:sequenceFlow id="f" sourceRef="a" targetRef="nowhere" />"#,
    );
    let codes = codes(&xml);
    for expected in [
        Code::NoStartEvent,
        Code::JavaOnly,
        Code::MissingTopic,
        Code::UnsupportedElement,
        Code::UnknownReference,
    ] {
        assert!(
            codes.contains(&expected),
            "{expected:?} missing from {codes:?}"
        );
    }
}

#[test]
fn a_file_without_an_executable_process_says_so() {
    let xml = definitions(
        r#"<bpmn:process id="p" isExecutable="false"><bpmn:startEvent id="s" /></bpmn:process>"#,
    );
    let problems = problems(&xml);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].code, Code::NoExecutableProcess);
    assert!(
        problems[0].message.contains("isExecutable"),
        "{}",
        problems[0].message
    );
    assert_eq!(codes(&definitions("")), vec![Code::NoExecutableProcess]);
}

#[test]
fn non_executable_pools_are_not_read() {
    // A partner's pool in a collaboration may be sketchy; Camunda skips it, so does Baton.
    let xml = definitions(
        r#"<bpmn:process id="partner" isExecutable="false"><bpmn:serviceTask id="x" camunda:class="Foo" /></bpmn:process>
           <bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" /></bpmn:process>"#,
    );
    let parsed = valid(&xml);
    assert_eq!(parsed.definitions.executable_processes().count(), 1);
}

#[test]
fn a_missing_is_executable_means_executable_as_in_camunda() {
    let xml = definitions(r#"<bpmn:process id="p"><bpmn:startEvent id="s" /></bpmn:process>"#);
    assert!(valid(&xml).definitions.processes[0].is_executable);
}

#[test]
fn dangling_references_are_errors() {
    let cases = [
        started("nowhere", END),
        started("t", r#"<bpmn:userTask id="t" /><bpmn:boundaryEvent id="b" attachedToRef="ghost"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"#),
        started("g", &(r#"<bpmn:exclusiveGateway id="g" default="ghost" /><bpmn:sequenceFlow id="f1" sourceRef="g" targetRef="end" />"#.to_owned() + END)),
        started("m", r#"<bpmn:intermediateCatchEvent id="m"><bpmn:messageEventDefinition messageRef="ghost" /></bpmn:intermediateCatchEvent>"#),
        started("s", r#"<bpmn:intermediateCatchEvent id="s"><bpmn:signalEventDefinition signalRef="ghost" /></bpmn:intermediateCatchEvent>"#),
    ];
    for xml in cases {
        let codes = codes(&xml);
        assert!(
            codes.contains(&Code::UnknownReference),
            "{codes:?} for\n{xml}"
        );
    }
}

#[test]
fn duplicate_ids_name_the_first_occurrence() {
    let xml = started(
        "end",
        r#"<bpmn:endEvent id="end" /><bpmn:endEvent id="end" />"#,
    );
    let problem = problems(&xml)
        .into_iter()
        .find(|p| p.code == Code::DuplicateId)
        .expect("a duplicate");
    assert!(
        problem.message.contains("already has"),
        "{}",
        problem.message
    );
}

#[test]
fn unconditioned_gateway_flows_only_warn() {
    let xml = started(
        "g",
        r#"<bpmn:exclusiveGateway id="g" />
           <bpmn:sequenceFlow id="a" sourceRef="g" targetRef="end" />
           <bpmn:sequenceFlow id="b" sourceRef="g" targetRef="end2" />
           <bpmn:endEvent id="end" /><bpmn:endEvent id="end2" />"#,
    );
    let parsed = valid(&xml);
    assert_eq!(parsed.warnings.len(), 2);
    assert!(
        parsed
            .warnings
            .iter()
            .all(|w| w.code == Code::UnconditionedFlow)
    );
    // With a default flow and a condition on the other there is nothing to say.
    let xml = started(
        "g",
        r#"<bpmn:exclusiveGateway id="g" default="b" />
           <bpmn:sequenceFlow id="a" sourceRef="g" targetRef="end"><bpmn:conditionExpression>${x &gt; 1}</bpmn:conditionExpression></bpmn:sequenceFlow>
           <bpmn:sequenceFlow id="b" sourceRef="g" targetRef="end2" />
           <bpmn:endEvent id="end" /><bpmn:endEvent id="end2" />"#,
    );
    assert!(valid(&xml).warnings.is_empty());
}

#[test]
fn java_scripts_and_unsupported_constructs_are_refused() {
    let cases = [
        (
            r#"<bpmn:serviceTask id="t" camunda:class="a.B" />"#,
            Code::JavaOnly,
        ),
        (
            r#"<bpmn:serviceTask id="t" camunda:delegateExpression="${bean}" />"#,
            Code::JavaOnly,
        ),
        (
            r#"<bpmn:serviceTask id="t" camunda:expression="${bean.call()}" />"#,
            Code::JavaOnly,
        ),
        (
            r#"<bpmn:serviceTask id="t" camunda:type="mail" />"#,
            Code::UnsupportedAttribute,
        ),
        (
            r#"<bpmn:businessRuleTask id="t" camunda:decisionRef="approve" />"#,
            Code::UnsupportedAttribute,
        ),
        (
            r#"<bpmn:scriptTask id="t" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>"#,
            Code::Script,
        ),
        (
            r#"<bpmn:serviceTask id="t"><bpmn:extensionElements><camunda:connector><camunda:connectorId>http-connector</camunda:connectorId></camunda:connector></bpmn:extensionElements></bpmn:serviceTask>"#,
            Code::JavaOnly,
        ),
        (
            r#"<bpmn:userTask id="t"><bpmn:extensionElements><camunda:taskListener event="create" class="a.L" /></bpmn:extensionElements></bpmn:userTask>"#,
            Code::JavaOnly,
        ),
        (
            r#"<bpmn:userTask id="t"><bpmn:extensionElements><camunda:executionListener event="start"><camunda:script scriptFormat="groovy">x</camunda:script></camunda:executionListener></bpmn:extensionElements></bpmn:userTask>"#,
            Code::Script,
        ),
        (
            r#"<bpmn:userTask id="t"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="x"><camunda:script scriptFormat="groovy">1</camunda:script></camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:userTask>"#,
            Code::Script,
        ),
        (
            r#"<bpmn:userTask id="t"><bpmn:standardLoopCharacteristics /></bpmn:userTask>"#,
            Code::UnsupportedElement,
        ),
        (
            r#"<bpmn:userTask id="t"><bpmn:multiInstanceLoopCharacteristics /></bpmn:userTask>"#,
            Code::MissingAttribute,
        ),
        (
            r#"<bpmn:callActivity id="t" camunda:caseRef="case" />"#,
            Code::UnsupportedAttribute,
        ),
        (r#"<bpmn:callActivity id="t" />"#, Code::MissingAttribute),
        (r#"<bpmn:serviceTask id="t" />"#, Code::MissingAttribute),
        (
            r#"<bpmn:adHocSubProcess id="t" />"#,
            Code::UnsupportedElement,
        ),
        (
            r#"<bpmn:userTask id="t"><bpmn:outgoing>x</bpmn:outgoing></bpmn:userTask><bpmn:sequenceFlow id="c" sourceRef="t" targetRef="end"><bpmn:conditionExpression language="groovy">x</bpmn:conditionExpression></bpmn:sequenceFlow>"#,
            Code::Script,
        ),
    ];
    for (element, expected) in cases {
        let xml = started("t", &format!("{element}{END}"));
        let codes = codes(&xml);
        assert!(
            codes.contains(&expected),
            "{expected:?} missing from {codes:?} for {element}"
        );
    }
}

#[test]
fn bad_expressions_are_reported_with_the_owner() {
    let xml = started(
        "end",
        r#"<bpmn:endEvent id="end" />
           <bpmn:userTask id="u" camunda:assignee="${user +}" />"#,
    );
    let problem = problems(&xml)
        .into_iter()
        .find(|p| p.code == Code::InvalidExpression)
        .expect("an expression problem");
    assert!(
        problem.message.contains("camunda:assignee of userTask 'u'"),
        "{}",
        problem.message
    );
}

#[test]
fn structural_rules() {
    let timer = r#"<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"#;
    let cases = [
        // A second none start event.
        (
            process(r#"<bpmn:startEvent id="a" /><bpmn:startEvent id="b" />"#),
            Code::InvalidStructure,
        ),
        // A boundary event on a gateway.
        (
            started(
                "g",
                &format!(
                    r#"<bpmn:exclusiveGateway id="g" /><bpmn:boundaryEvent id="b" attachedToRef="g">{timer}</bpmn:boundaryEvent>"#
                ),
            ),
            Code::InvalidStructure,
        ),
        // A boundary event without an event definition.
        (
            started(
                "t",
                r#"<bpmn:userTask id="t" /><bpmn:boundaryEvent id="b" attachedToRef="t" />"#,
            ),
            Code::MissingAttribute,
        ),
        // An event-based gateway leading to a task.
        (
            started(
                "g",
                r#"<bpmn:eventBasedGateway id="g" /><bpmn:sequenceFlow id="x" sourceRef="g" targetRef="t" /><bpmn:userTask id="t" />"#,
            ),
            Code::InvalidStructure,
        ),
        // A link throw without its catch.
        (
            started(
                "l",
                r#"<bpmn:intermediateThrowEvent id="l"><bpmn:linkEventDefinition name="away" /></bpmn:intermediateThrowEvent>"#,
            ),
            Code::UnknownReference,
        ),
        // An event subprocess whose start has no trigger.
        (
            started(
                "end",
                &format!(
                    r#"{END}<bpmn:subProcess id="e" triggeredByEvent="true"><bpmn:startEvent id="es" /></bpmn:subProcess>"#
                ),
            ),
            Code::InvalidStructure,
        ),
        // An error start event outside an event subprocess.
        (
            process(r#"<bpmn:startEvent id="s"><bpmn:errorEventDefinition /></bpmn:startEvent>"#),
            Code::InvalidStructure,
        ),
        // A timer with nothing in it.
        (
            started(
                "c",
                r#"<bpmn:intermediateCatchEvent id="c"><bpmn:timerEventDefinition /></bpmn:intermediateCatchEvent>"#,
            ),
            Code::MissingAttribute,
        ),
        // A message catch that names no message.
        (
            started(
                "c",
                r#"<bpmn:intermediateCatchEvent id="c"><bpmn:messageEventDefinition /></bpmn:intermediateCatchEvent>"#,
            ),
            Code::MissingAttribute,
        ),
        // A value that is not a boolean.
        (
            started("t", r#"<bpmn:userTask id="t" camunda:asyncBefore="yes" />"#),
            Code::InvalidValue,
        ),
        // An embedded subprocess without a start event.
        (
            started(
                "sub",
                r#"<bpmn:subProcess id="sub"><bpmn:userTask id="inner" /></bpmn:subProcess>"#,
            ),
            Code::NoStartEvent,
        ),
    ];
    for (xml, expected) in cases {
        let codes = codes(&xml);
        assert!(
            codes.contains(&expected),
            "{expected:?} missing from {codes:?} for\n{xml}"
        );
    }
}

#[test]
fn unknown_camunda_extensions_warn_and_unknown_bpmn_elements_fail() {
    let xml = started(
        "t",
        &format!(r#"<bpmn:task id="t" camunda:frobnicate="yes" />{END}"#),
    );
    let parsed = valid(&xml);
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].code, Code::Ignored);
    assert!(parsed.warnings[0].message.contains("camunda:frobnicate"));

    let xml = started("end", &format!(r#"{END}<bpmn:callChoreography id="c" />"#));
    assert!(codes(&xml).contains(&Code::UnsupportedElement));
}

#[test]
fn camunda_leniencies_are_kept() {
    // An errorRef that names no error is the error code itself, with a warning.
    let xml = started(
        "t",
        r#"<bpmn:task id="t" /><bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:errorEventDefinition errorRef="PAYMENT_FAILED" /></bpmn:boundaryEvent>"#,
    );
    let parsed = valid(&xml);
    assert_eq!(parsed.warnings[0].code, Code::UndeclaredError);
    let process = &parsed.definitions.processes[0];
    let boundary = process.node(process.node_by_id("b").expect("the boundary event"));
    let NodeKind::BoundaryEvent(boundary) = &boundary.kind else {
        panic!("a boundary event")
    };
    let EventDefinition::Error(error) = &boundary.event else {
        panic!("an error event")
    };
    assert_eq!(
        error.error.as_ref().and_then(|e| e.error_code.as_deref()),
        Some("PAYMENT_FAILED")
    );

    // References written as QNames resolve; flows may lack ids.
    let xml = definitions(
        r#"<bpmn:message id="invoice" name="newInvoice" />
           <bpmn:process id="p" isExecutable="true">
             <bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="tns:invoice" /></bpmn:startEvent>
             <bpmn:sequenceFlow sourceRef="s" targetRef="e" />
             <bpmn:endEvent id="e" />
           </bpmn:process>"#,
    );
    let parsed = valid(&xml);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.definitions.processes[0].flows.len(), 1);
}

#[test]
fn namespaces_are_matched_by_uri_not_prefix() {
    let model = |bpmn: &str, camunda: &str, ns: &str| {
        format!(
            r#"<{bpmn}definitions xmlns{colon}{bpmn_prefix}="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:{camunda}="{ns}" id="d">
                 <{bpmn}process id="p" isExecutable="true">
                   <{bpmn}startEvent id="s" />
                   <{bpmn}sequenceFlow id="f" sourceRef="s" targetRef="t" />
                   <{bpmn}serviceTask id="t" {camunda}:type="external" {camunda}:topic="work" />
                 </{bpmn}process>
               </{bpmn}definitions>"#,
            colon = if bpmn.is_empty() { "" } else { ":" },
            bpmn_prefix = bpmn.trim_end_matches(':'),
        )
    };
    for xml in [
        model("bpmn:", "camunda", "http://camunda.org/schema/1.0/bpmn"),
        model("bpmn2:", "camunda", "http://camunda.org/schema/1.0/bpmn"),
        model("", "camunda", "http://camunda.org/schema/1.0/bpmn"),
        model("semantic:", "ext", "http://camunda.org/schema/1.0/bpmn"),
        // Camunda still reads the Activiti namespace as its own.
        model("bpmn:", "activiti", "http://activiti.org/bpmn"),
    ] {
        let parsed = valid(&xml);
        let process = &parsed.definitions.processes[0];
        let task = process.node(process.node_by_id("t").expect("the task"));
        let NodeKind::Task(task) = &task.kind else {
            panic!("a task")
        };
        assert_eq!(task.kind, TaskKind::Service);
        assert!(
            matches!(&task.implementation, Implementation::External { topic, .. } if topic.as_str() == "work"),
            "{xml}"
        );
    }
    // The BPMN vocabulary in a foreign namespace is not BPMN.
    let foreign = model("x:", "camunda", "http://camunda.org/schema/1.0/bpmn").replace(
        "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "urn:not-bpmn",
    );
    assert_eq!(
        codes(&foreign),
        vec![Code::NotBpmn, Code::NoExecutableProcess]
    );
}

#[test]
fn hostile_documents_are_refused_before_they_cost_anything() {
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>"#;
    assert_eq!(codes(laughs), vec![Code::Doctype]);
    let xxe = r#"<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><d>&xxe;</d>"#;
    assert_eq!(codes(xxe), vec![Code::Doctype]);
    // An entity that was never declared is not read from anywhere either.
    assert_eq!(codes(&process("&xxe;")), vec![Code::MalformedXml]);

    let limits = baton_bpmn::Limits::default();
    let huge = vec![b' '; limits.max_bytes + 1];
    let error = baton_bpmn::parse_bytes(&huge, &limits).expect_err("too large");
    assert_eq!(error.problems()[0].code, Code::TooLarge);

    let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    assert_eq!(codes(&deep), vec![Code::TooDeep]);

    let error = baton_bpmn::parse_bytes(b"<a>\xff\xfe</a>", &limits).expect_err("not UTF-8");
    assert_eq!(error.problems()[0].code, Code::MalformedXml);
}

#[test]
fn camunda_deployment_refusals() {
    let escalation = r#"<bpmn:escalation id="esc" name="late" />"#;
    let cases = [
        // An escalation thrown without a code.
        (
            definitions(&format!(
                r#"{escalation}<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e" /><bpmn:endEvent id="e"><bpmn:escalationEventDefinition escalationRef="esc" /></bpmn:endEvent></bpmn:process>"#
            )),
            Code::MissingAttribute,
        ),
        // An error end event without a code.
        (
            started(
                "e",
                r#"<bpmn:endEvent id="e"><bpmn:errorEventDefinition /></bpmn:endEvent>"#,
            ),
            Code::MissingAttribute,
        ),
        // A cancel end event outside a transaction.
        (
            started(
                "e",
                r#"<bpmn:endEvent id="e"><bpmn:cancelEventDefinition /></bpmn:endEvent>"#,
            ),
            Code::InvalidStructure,
        ),
        // Two message starts for one message.
        (
            definitions(
                r#"<bpmn:message id="m" name="order" /><bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="a"><bpmn:messageEventDefinition messageRef="m" /></bpmn:startEvent><bpmn:startEvent id="b"><bpmn:messageEventDefinition messageRef="m" /></bpmn:startEvent></bpmn:process>"#,
            ),
            Code::InvalidStructure,
        ),
        // A message start whose name is an expression.
        (
            definitions(
                r#"<bpmn:message id="m" name="${name}" /><bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="a"><bpmn:messageEventDefinition messageRef="m" /></bpmn:startEvent></bpmn:process>"#,
            ),
            Code::InvalidValue,
        ),
        // A message start for a message without a name.
        (
            definitions(
                r#"<bpmn:message id="m" /><bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="a"><bpmn:messageEventDefinition messageRef="m" /></bpmn:startEvent></bpmn:process>"#,
            ),
            Code::MissingAttribute,
        ),
        // A signal without a name, which nothing could send or catch (parseSignals).
        (
            definitions(&format!(
                r#"<bpmn:signal id="sig" /><bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="w" /><bpmn:intermediateCatchEvent id="w"><bpmn:signalEventDefinition signalRef="sig" /></bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f2" sourceRef="w" targetRef="end" />{END}</bpmn:process>"#
            )),
            Code::MissingAttribute,
        ),
        // camunda:inputOutput where Camunda refuses it: output parameters of an end
        // event would never be mapped (the token ends there).
        (
            started(
                "end",
                r#"<bpmn:endEvent id="end"><bpmn:extensionElements><camunda:inputOutput><camunda:outputParameter name="x">1</camunda:outputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:endEvent>"#,
            ),
            Code::InvalidStructure,
        ),
        (
            started(
                "g",
                &format!(
                    r#"<bpmn:parallelGateway id="g"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="x">1</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:parallelGateway><bpmn:sequenceFlow id="f1" sourceRef="g" targetRef="end" />{END}"#
                ),
            ),
            Code::InvalidStructure,
        ),
        (
            process(
                r#"<bpmn:startEvent id="s"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="x">1</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:startEvent>"#,
            ),
            Code::InvalidStructure,
        ),
        (
            started(
                "t",
                &format!(
                    r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="x"><bpmn:extensionElements><camunda:inputOutput><camunda:outputParameter name="x">1</camunda:outputParameter></camunda:inputOutput></bpmn:extensionElements><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask><bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="end" />{END}"#
                ),
            ),
            Code::InvalidStructure,
        ),
        // A history time to live that is not a number of days.
        (
            definitions(
                r#"<bpmn:process id="p" isExecutable="true" camunda:historyTimeToLive="-5"><bpmn:startEvent id="s" /></bpmn:process>"#,
            ),
            Code::InvalidValue,
        ),
        // A task priority that is neither a number nor an expression.
        (
            started(
                "t",
                r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="x" camunda:taskPriority="high" />"#,
            ),
            Code::InvalidValue,
        ),
        // Both kinds of form on one user task, and an unknown form binding.
        (
            started(
                "t",
                r#"<bpmn:userTask id="t" camunda:formKey="embedded:app:a.html" camunda:formRef="a" />"#,
            ),
            Code::InvalidStructure,
        ),
        (
            started(
                "t",
                r#"<bpmn:userTask id="t" camunda:formRef="a" camunda:formRefBinding="newest" />"#,
            ),
            Code::InvalidValue,
        ),
    ];
    for (xml, expected) in cases {
        let codes = codes(&xml);
        assert!(
            codes.contains(&expected),
            "{expected:?} missing from {codes:?} for\n{xml}"
        );
    }
    // Their valid counterparts pass.
    let valid_ones = [
        definitions(
            r#"<bpmn:process id="p" isExecutable="true" camunda:historyTimeToLive="P180D"><bpmn:startEvent id="s" /></bpmn:process>"#,
        ),
        definitions(
            r#"<bpmn:process id="p" isExecutable="true" camunda:historyTimeToLive="180"><bpmn:startEvent id="s" /></bpmn:process>"#,
        ),
        started(
            "t",
            &format!(
                r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="x" camunda:taskPriority="${{priority}}" />{END}"#
            ),
        ),
        started(
            "t",
            &format!(
                r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="x" camunda:taskPriority="-10" />{END}"#
            ),
        ),
    ];
    for xml in valid_ones {
        valid(&xml);
    }
}

#[test]
fn scopes_list_their_direct_children_in_document_order() {
    let xml = started(
        "outer",
        r#"<bpmn:subProcess id="outer">
             <bpmn:startEvent id="outer_start" />
             <bpmn:subProcess id="inner"><bpmn:startEvent id="inner_start" /></bpmn:subProcess>
           </bpmn:subProcess>
           <bpmn:boundaryEvent id="timeout" attachedToRef="outer"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"#,
    );
    let parsed = valid(&xml);
    let process = &parsed.definitions.processes[0];
    let ids = |scope| -> Vec<&str> {
        process
            .children(scope)
            .map(|id| process.node(id).id.as_str())
            .collect()
    };
    let outer = process.node_by_id("outer");
    assert_eq!(ids(None), vec!["start", "outer", "timeout"]);
    assert_eq!(ids(outer), vec!["outer_start", "inner"]);
    assert_eq!(ids(process.node_by_id("inner")), vec!["inner_start"]);
    let starts: Vec<_> = process.start_events(outer).collect();
    assert_eq!(
        starts,
        vec![process.node_by_id("outer_start").expect("the start")]
    );
    assert_eq!(process.node(outer.expect("outer")).boundary_events.len(), 1);
}

#[test]
fn a_second_none_start_is_named_even_after_a_triggered_start() {
    let xml = definitions(
        r#"<bpmn:message id="m" name="order" />
           <bpmn:process id="p" isExecutable="true">
             <bpmn:startEvent id="by_message"><bpmn:messageEventDefinition messageRef="m" /></bpmn:startEvent>
             <bpmn:startEvent id="first" />
             <bpmn:startEvent id="second" />
           </bpmn:process>"#,
    );
    let problem = problems(&xml)
        .into_iter()
        .find(|p| p.code == Code::InvalidStructure)
        .expect("a second none start event");
    assert_eq!(problem.element_id.as_deref(), Some("second"));
}

#[test]
fn an_activity_default_flow_resolves_and_must_leave_it() {
    let ok = started(
        "t",
        r#"<bpmn:task id="t" default="b" />
           <bpmn:sequenceFlow id="a" sourceRef="t" targetRef="end"><bpmn:conditionExpression>${x}</bpmn:conditionExpression></bpmn:sequenceFlow>
           <bpmn:sequenceFlow id="b" sourceRef="t" targetRef="end" /><bpmn:endEvent id="end" />"#,
    );
    let parsed = valid(&ok);
    let process = &parsed.definitions.processes[0];
    let t = process.node(process.node_by_id("t").unwrap());
    assert_eq!(
        t.default_flow.map(|f| process.flow(f).id.as_str()),
        Some("b")
    );
    let unknown = started(
        "t",
        r#"<bpmn:task id="t" default="nope" /><bpmn:sequenceFlow id="a" sourceRef="t" targetRef="end" /><bpmn:endEvent id="end" />"#,
    );
    assert_eq!(codes(&unknown), [Code::UnknownReference]);
    let elsewhere = started(
        "t",
        r#"<bpmn:task id="t" default="f0" /><bpmn:sequenceFlow id="a" sourceRef="t" targetRef="end" /><bpmn:endEvent id="end" />"#,
    );
    assert_eq!(codes(&elsewhere), [Code::InvalidStructure]);
}

/// A process whose start event has the timer `timer` (`<bpmn:timeDuration>PT5M</bpmn:timeDuration>`).
fn timer_started(timer: &str) -> String {
    process(&format!(
        r#"<bpmn:startEvent id="start"><bpmn:timerEventDefinition>{timer}</bpmn:timerEventDefinition></bpmn:startEvent>
           <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="end" />{END}"#
    ))
}

/// A process that waits at an intermediate timer catch event with `timer`.
fn timer_caught(timer: &str) -> String {
    started(
        "wait",
        &format!(
            r#"<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>{timer}</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
               <bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="end" />{END}"#
        ),
    )
}

/// Issue 13: the engine refused at deployment a timer text validation had let
/// through. Validation now reads every timer text it can know with the engine's own
/// grammar, and refuses what deployment would.
#[test]
fn timer_texts_are_checked_with_the_engine_grammar() {
    // A repeating interval in a timeDuration, as the JavaScript client's order
    // example has it: Camunda waits once, and so does Baton.
    valid(&timer_started(
        "<bpmn:timeDuration>R10/PT5S</bpmn:timeDuration>",
    ));
    for timer in [
        "<bpmn:timeDuration>PT5M</bpmn:timeDuration>",
        "<bpmn:timeDuration>2030-01-01T00:00:00Z/PT1H</bpmn:timeDuration>",
        "<bpmn:timeDate>2036-11-14T11:12:22</bpmn:timeDate>",
        "<bpmn:timeDate>${'2036-11-14T11:12:22'}</bpmn:timeDate>",
        "<bpmn:timeDate>${now()}</bpmn:timeDate>",
        "<bpmn:timeCycle>R/PT1H</bpmn:timeCycle>",
        "<bpmn:timeCycle>0 0/5 * * * ?</bpmn:timeCycle>",
        "<bpmn:timeCycle>R3/${'PT'}10M</bpmn:timeCycle>",
    ] {
        valid(&timer_started(timer));
        valid(&timer_caught(timer));
    }
    // Evaluated when a token arrives, with the instance's variables: unknown until then.
    valid(&timer_caught(
        "<bpmn:timeDuration>${delay}</bpmn:timeDuration>",
    ));
    valid(&timer_caught("<bpmn:timeCycle>#{cycle}</bpmn:timeCycle>"));

    // Wrong wherever they are.
    for timer in [
        "<bpmn:timeDuration>5 minutes</bpmn:timeDuration>",
        "<bpmn:timeDuration>2026-01-01T00:00:00Z</bpmn:timeDuration>",
        "<bpmn:timeDate>R10/PT5S</bpmn:timeDate>",
        "<bpmn:timeDate>2026-02-30T00:00:00Z</bpmn:timeDate>",
        "<bpmn:timeCycle>PT5M</bpmn:timeCycle>",
        "<bpmn:timeCycle>0 60 12 * * ?</bpmn:timeCycle>",
        "<bpmn:timeCycle>R/PT0S</bpmn:timeCycle>",
        "<bpmn:timeDuration>P2000Y</bpmn:timeDuration>",
        "<bpmn:timeDuration>${'tomorrow'}</bpmn:timeDuration>",
        "<bpmn:timeDuration>${now()}</bpmn:timeDuration>",
        "<bpmn:timeCycle>${dateTime()}</bpmn:timeCycle>",
    ] {
        for xml in [timer_started(timer), timer_caught(timer)] {
            assert_eq!(codes(&xml), [Code::InvalidValue], "{timer}");
        }
    }
    // A process's timer start event is scheduled at deployment, without variables.
    for timer in [
        "<bpmn:timeDuration>${delay}</bpmn:timeDuration>",
        "<bpmn:timeDate>#{dueDate}</bpmn:timeDate>",
        "<bpmn:timeDate>${execution.getVariable('due')}</bpmn:timeDate>",
        "<bpmn:timeDuration>${1 + 1}</bpmn:timeDuration>",
    ] {
        assert_eq!(
            codes(&timer_started(timer)),
            [Code::InvalidValue],
            "{timer}"
        );
    }

    // The problem is at the timer's text, and says what is wrong with it.
    let xml = timer_caught("<bpmn:timeCycle>PT5M</bpmn:timeCycle>");
    let problem = &problems(&xml)[0];
    assert_eq!(problem.element_id, None);
    let line = xml
        .lines()
        .position(|l| l.contains("<bpmn:timeCycle>"))
        .expect("the timer's line") as u32
        + 1;
    assert_eq!(problem.position.line, line);
    assert!(
        problem
            .message
            .starts_with("the timer of intermediateCatchEvent 'wait' has an invalid timeCycle 'PT5M': a cycle repeats"),
        "{}",
        problem.message
    );
    let xml = timer_started("<bpmn:timeDuration>${delay}</bpmn:timeDuration>");
    assert!(
        problems(&xml)[0].message.contains(
            "reads the variable 'delay', but it is evaluated when the process is deployed"
        ),
        "{}",
        problems(&xml)[0].message
    );

    // An event subprocess's timer start is armed when its scope starts: variables exist.
    let xml = process(&format!(
        r#"<bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="end" />{END}
           <bpmn:subProcess id="sub" triggeredByEvent="true">
             <bpmn:startEvent id="timer"><bpmn:timerEventDefinition><bpmn:timeDuration>${{delay}}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>
             <bpmn:sequenceFlow id="s1" sourceRef="timer" targetRef="subEnd" /><bpmn:endEvent id="subEnd" />
           </bpmn:subProcess>"#
    ));
    valid(&xml);
}

/// Issue 13: an execution listener on a sequence flow passed with an `ignored`
/// warning and never ran. Every hook Baton would not run is now an error naming
/// its element, wherever it is; a warning is left only for extensions Camunda
/// does not read there either.
#[test]
fn nothing_baton_would_not_run_passes_with_a_warning() {
    let flow = |extensions: &str| {
        started(
            "t",
            &format!(
                r#"<bpmn:task id="t" /><bpmn:sequenceFlow id="take" sourceRef="t" targetRef="end"><bpmn:extensionElements>{extensions}</bpmn:extensionElements></bpmn:sequenceFlow>{END}"#
            ),
        )
    };
    let signal = r#"<bpmn:signal id="sig" name="alert" />"#;
    let cases = [
        // Listeners on a sequence flow, of every kind.
        (
            flow(r#"<camunda:executionListener event="take" class="org.example.Audit" />"#),
            Code::JavaOnly,
            "take",
        ),
        (
            flow(r#"<camunda:executionListener event="take" delegateExpression="${audit}" />"#),
            Code::JavaOnly,
            "take",
        ),
        (
            flow(
                r#"<camunda:executionListener event="take"><camunda:script scriptFormat="groovy">x</camunda:script></camunda:executionListener>"#,
            ),
            Code::Script,
            "take",
        ),
        (
            flow(r#"<camunda:executionListener event="take" expression="${a}" />"#),
            Code::UnsupportedElement,
            "take",
        ),
        // Listeners on the process, an event, a gateway; a task listener.
        (
            definitions(
                r#"<bpmn:process id="p" isExecutable="true"><bpmn:extensionElements><camunda:executionListener event="start" expression="${a}" /></bpmn:extensionElements><bpmn:startEvent id="s" /></bpmn:process>"#,
            ),
            Code::UnsupportedElement,
            "p",
        ),
        (
            started(
                "end",
                r#"<bpmn:endEvent id="end"><bpmn:extensionElements><camunda:executionListener event="end" expression="${a}" /></bpmn:extensionElements></bpmn:endEvent>"#,
            ),
            Code::UnsupportedElement,
            "end",
        ),
        (
            started(
                "t",
                &format!(
                    r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="x"><bpmn:extensionElements><camunda:taskListener event="create" expression="${{a}}" /></bpmn:extensionElements></bpmn:serviceTask><bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="end" />{END}"#
                ),
            ),
            Code::UnsupportedElement,
            "t",
        ),
        // Hooks where nothing reads them: inside an event definition.
        (
            started(
                "end",
                r#"<bpmn:endEvent id="end"><bpmn:messageEventDefinition><bpmn:extensionElements><camunda:executionListener event="end" class="a.B" /></bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:endEvent>"#,
            ),
            Code::JavaOnly,
            "end",
        ),
        (
            started(
                "end",
                r#"<bpmn:endEvent id="end"><bpmn:messageEventDefinition><bpmn:extensionElements><camunda:connector><camunda:connectorId>http-connector</camunda:connectorId></camunda:connector></bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:endEvent>"#,
            ),
            Code::JavaOnly,
            "end",
        ),
        (
            started(
                "end",
                r#"<bpmn:endEvent id="end"><bpmn:messageEventDefinition camunda:type="external" camunda:topic="notify"><bpmn:extensionElements><camunda:field name="to"><camunda:string>a@b</camunda:string></camunda:field></bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:endEvent>"#,
            ),
            Code::JavaOnly,
            "end",
        ),
        (
            started(
                "end",
                r#"<bpmn:endEvent id="end"><bpmn:messageEventDefinition camunda:type="external" camunda:topic="notify"><bpmn:extensionElements><camunda:errorEventDefinition id="e1" errorRef="E" expression="${true}" /></bpmn:extensionElements></bpmn:messageEventDefinition></bpmn:endEvent>"#,
            ),
            Code::UnsupportedElement,
            "end",
        ),
        (
            flow(r#"<camunda:script scriptFormat="groovy">x</camunda:script>"#),
            Code::Script,
            "take",
        ),
        // A signal thrown with variables: its catchers would get it without them.
        (
            definitions(&format!(
                r#"{signal}<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="throw" /><bpmn:intermediateThrowEvent id="throw"><bpmn:signalEventDefinition signalRef="sig"><bpmn:extensionElements><camunda:in variables="all" /></bpmn:extensionElements></bpmn:signalEventDefinition></bpmn:intermediateThrowEvent><bpmn:sequenceFlow id="f2" sourceRef="throw" targetRef="end" />{END}</bpmn:process>"#
            )),
            Code::UnsupportedElement,
            "throw",
        ),
        // An external task's error event definitions: never evaluated.
        (
            started(
                "t",
                &format!(
                    r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="x"><bpmn:extensionElements><camunda:errorEventDefinition id="e1" errorRef="E" expression="${{failed}}" /></bpmn:extensionElements></bpmn:serviceTask><bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="end" />{END}"#
                ),
            ),
            Code::UnsupportedElement,
            "t",
        ),
        // The called definition's tenant: the caller's would be called.
        (
            started(
                "c",
                &format!(
                    r#"<bpmn:callActivity id="c" calledElement="sub" camunda:calledElementTenantId="tenant2" /><bpmn:sequenceFlow id="f1" sourceRef="c" targetRef="end" />{END}"#
                ),
            ),
            Code::UnsupportedAttribute,
            "c",
        ),
        // Event definitions no such event can have (Camunda refuses them too).
        (
            started(
                "wait",
                &format!(
                    r#"<bpmn:intermediateCatchEvent id="wait"><bpmn:errorEventDefinition /></bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="end" />{END}"#
                ),
            ),
            Code::InvalidStructure,
            "wait",
        ),
        (
            started(
                "throw",
                &format!(
                    r#"<bpmn:intermediateThrowEvent id="throw"><bpmn:errorEventDefinition errorRef="E" /></bpmn:intermediateThrowEvent><bpmn:sequenceFlow id="f1" sourceRef="throw" targetRef="end" />{END}"#
                ),
            ),
            Code::InvalidStructure,
            "throw",
        ),
        (
            started(
                "end",
                r#"<bpmn:endEvent id="end"><bpmn:linkEventDefinition name="l" /></bpmn:endEvent>"#,
            ),
            Code::InvalidStructure,
            "end",
        ),
        (
            process(
                r#"<bpmn:startEvent id="s"><bpmn:terminateEventDefinition /></bpmn:startEvent>"#,
            ),
            Code::InvalidStructure,
            "s",
        ),
    ];
    for (xml, expected, element) in &cases {
        let found = problems(xml);
        let problem = found
            .iter()
            .find(|p| p.code == *expected)
            .unwrap_or_else(|| {
                panic!("{expected:?} missing from {found:?} for\n{xml}");
            });
        assert_eq!(problem.element_id.as_deref(), Some(*element), "{xml}");
        assert!(problem.position.line > 0 && problem.position.column > 0);
        assert!(
            found.iter().all(|p| p.code != Code::Ignored),
            "{found:?} for\n{xml}"
        );
    }
    let listener = &problems(&cases[0].0)[0];
    assert_eq!(
        listener.message,
        "sequence flow 'take' has an execution listener on 'take' (class: org.example.Audit), \
         which needs Java, and Baton runs no listeners; make the work a step of its own, an \
         external task (camunda:type=\"external\") done by a worker, or set variables with \
         camunda:inputOutput"
    );

    // What Camunda does not read there either stays a warning: it changes nothing.
    for inert in [
        flow(
            r#"<camunda:inputOutput><camunda:inputParameter name="x">1</camunda:inputParameter></camunda:inputOutput>"#,
        ),
        definitions(&format!(
            r#"{signal}<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"><bpmn:signalEventDefinition signalRef="sig"><bpmn:extensionElements><camunda:in variables="all" /></bpmn:extensionElements></bpmn:signalEventDefinition></bpmn:startEvent></bpmn:process>"#
        )),
    ] {
        let parsed = valid(&inert);
        let codes: Vec<Code> = parsed.warnings.iter().map(|p| p.code).collect();
        assert_eq!(codes, [Code::Ignored], "{inert}");
    }
    // Metadata Camunda reads and Baton keeps: no warning at all.
    let parsed = valid(&flow(
        r#"<camunda:properties><camunda:property name="probability" value="13" /></camunda:properties>"#,
    ));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(parsed.definitions.processes[0].flows[1].properties.len(), 1);
    let parsed = valid(&definitions(
        r#"<bpmn:process id="p" isExecutable="true" camunda:candidateStarterUsers="u1"><bpmn:extensionElements><camunda:potentialStarter><bpmn:resourceAssignmentExpression><bpmn:formalExpression>group2, group(group3), user(user3)</bpmn:formalExpression></bpmn:resourceAssignmentExpression></camunda:potentialStarter></bpmn:extensionElements><bpmn:startEvent id="s" /></bpmn:process>"#,
    ));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let starters = &parsed.definitions.processes[0];
    assert_eq!(starters.candidate_starter_users, ["u1", "user3"]);
    assert_eq!(starters.candidate_starter_groups, ["group2", "group3"]);
    let parsed = valid(&process(
        r#"<bpmn:startEvent id="s" camunda:formRef="invoice" camunda:formRefBinding="version" camunda:formRefVersion="2" />"#,
    ));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    // ... and checks them as Camunda does (which also wants the reference's binding).
    let both = process(
        r#"<bpmn:startEvent id="s" camunda:formKey="embedded:app:start.html" camunda:formRef="invoice" />"#,
    );
    assert_eq!(
        codes(&both),
        [Code::InvalidStructure, Code::MissingAttribute]
    );
    // A refused decision task is refused whole, its companions included.
    let dmn = started(
        "t",
        &format!(
            r#"<bpmn:businessRuleTask id="t" camunda:decisionRef="approver" camunda:mapDecisionResult="collectEntries" camunda:resultVariable="groups" /><bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="end" />{END}"#
        ),
    );
    assert_eq!(codes(&dmn), [Code::UnsupportedAttribute]);
}

/// Issue 13: models validated as valid and then stopped at run time. Every
/// element Baton validates but does not run yet is named with a warning that says
/// what will happen; the model still deploys. (User tasks run since issue 14: they
/// pass without a warning.)
#[test]
fn what_baton_does_not_run_yet_is_named_before_deployment() {
    let xml = started(
        "approve",
        &format!(
            r#"<bpmn:userTask id="approve" camunda:assignee="demo" /><bpmn:sequenceFlow id="f1" sourceRef="approve" targetRef="end" />{END}"#
        ),
    );
    let parsed = valid(&xml);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);

    // Compensation and the cancellation of transactions.
    let xml = started(
        "tx",
        r#"<bpmn:transaction id="tx">
             <bpmn:startEvent id="txStart" /><bpmn:sequenceFlow id="t1" sourceRef="txStart" targetRef="book" />
             <bpmn:serviceTask id="book" camunda:type="external" camunda:topic="book" />
             <bpmn:boundaryEvent id="undo" attachedToRef="book"><bpmn:compensateEventDefinition /></bpmn:boundaryEvent>
             <bpmn:serviceTask id="unbook" isForCompensation="true" camunda:type="external" camunda:topic="unbook" />
             <bpmn:association id="a1" sourceRef="undo" targetRef="unbook" />
             <bpmn:sequenceFlow id="t2" sourceRef="book" targetRef="compensate" />
             <bpmn:intermediateThrowEvent id="compensate"><bpmn:compensateEventDefinition /></bpmn:intermediateThrowEvent>
             <bpmn:sequenceFlow id="t3" sourceRef="compensate" targetRef="cancel" />
             <bpmn:endEvent id="cancel"><bpmn:cancelEventDefinition /></bpmn:endEvent>
           </bpmn:transaction>
           <bpmn:boundaryEvent id="cancelled" attachedToRef="tx"><bpmn:cancelEventDefinition /></bpmn:boundaryEvent>
           <bpmn:sequenceFlow id="f1" sourceRef="tx" targetRef="end" />
           <bpmn:sequenceFlow id="f2" sourceRef="cancelled" targetRef="end" />
           <bpmn:endEvent id="end" />"#,
    );
    let parsed = valid(&xml);
    let named: Vec<(&str, Code)> = parsed
        .warnings
        .iter()
        .map(|p| (p.element_id.as_deref().unwrap_or_default(), p.code))
        .collect();
    assert_eq!(
        named,
        [
            ("undo", Code::NotExecuted),
            ("unbook", Code::NotExecuted),
            ("compensate", Code::NotExecuted),
            ("cancel", Code::NotExecuted),
            ("cancelled", Code::NotExecuted),
        ]
    );
    let says = |id: &str| {
        parsed
            .warnings
            .iter()
            .find(|p| p.element_id.as_deref() == Some(id))
            .map(|p| p.message.clone())
            .unwrap_or_default()
    };
    assert!(says("compensate").ends_with("waits there with an incident"));
    assert!(says("undo").contains("never triggered"));

    // What runs raises nothing: plain, manual, receive, external send and
    // business-rule tasks, expression service tasks.
    let xml = definitions(&format!(
        r#"<bpmn:message id="m" name="paid" />
           <bpmn:process id="p" isExecutable="true">
             <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="a" />
             <bpmn:task id="a" /><bpmn:sequenceFlow id="f1" sourceRef="a" targetRef="b" />
             <bpmn:manualTask id="b" /><bpmn:sequenceFlow id="f2" sourceRef="b" targetRef="c" />
             <bpmn:receiveTask id="c" messageRef="m" /><bpmn:sequenceFlow id="f3" sourceRef="c" targetRef="d" />
             <bpmn:sendTask id="d" camunda:type="external" camunda:topic="send" /><bpmn:sequenceFlow id="f4" sourceRef="d" targetRef="e" />
             <bpmn:businessRuleTask id="e" camunda:type="external" camunda:topic="rules" /><bpmn:sequenceFlow id="f5" sourceRef="e" targetRef="g" />
             <bpmn:serviceTask id="g" camunda:expression="${{true}}" /><bpmn:sequenceFlow id="f6" sourceRef="g" targetRef="end" />
             {END}
           </bpmn:process>"#
    ));
    let parsed = valid(&xml);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

/// A none start event with `attributes` and `extensions` (inside
/// `extensionElements`), flowing to an end event.
fn start_form(attributes: &str, extensions: &str) -> String {
    process(&format!(
        r#"<bpmn:startEvent id="start" {attributes}><bpmn:extensionElements>{extensions}</bpmn:extensionElements></bpmn:startEvent>
           <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="end" />{END}"#
    ))
}

/// Each problem as `(code, message)`.
fn described(xml: &str) -> Vec<(Code, String)> {
    problems(xml)
        .into_iter()
        .map(|p| (p.code, p.message))
        .collect()
}

#[test]
fn form_refs_need_a_binding_and_a_version_binding_needs_a_version() {
    for ok in [
        r#"camunda:formRef="f" camunda:formRefBinding="latest""#,
        r#"camunda:formRef="f" camunda:formRefBinding="deployment""#,
        r#"camunda:formRef="f" camunda:formRefBinding="version" camunda:formRefVersion="2""#,
        r#"camunda:formKey="camunda-forms:deployment:f.form""#,
    ] {
        valid(&start_form(ok, ""));
    }
    let refused = |attributes: &str| described(&start_form(attributes, ""));
    let [(code, message)] = &refused(r#"camunda:formRef="f""#)[..] else {
        panic!("one problem");
    };
    assert_eq!(*code, Code::MissingAttribute);
    assert!(message.contains("no camunda:formRefBinding"), "{message}");
    let [(code, message)] = &refused(r#"camunda:formRef="f" camunda:formRefBinding="version""#)[..]
    else {
        panic!("one problem");
    };
    assert_eq!(*code, Code::MissingAttribute);
    assert!(message.contains("no camunda:formRefVersion"), "{message}");
    // A start event's version is read as a number, never evaluated.
    let [(code, _)] = &refused(
        r#"camunda:formRef="f" camunda:formRefBinding="version" camunda:formRefVersion="${v}""#,
    )[..] else {
        panic!("one problem");
    };
    assert_eq!(*code, Code::InvalidValue);
    let both =
        refused(r#"camunda:formKey="k" camunda:formRef="f" camunda:formRefBinding="latest""#);
    assert_eq!(both[0].0, Code::InvalidStructure);
    // A user task's version may be an expression.
    let task = started(
        "t",
        &format!(
            r#"<bpmn:userTask id="t" camunda:formRef="f" camunda:formRefBinding="version" camunda:formRefVersion="${{v}}" />
               <bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="end" />{END}"#
        ),
    );
    assert!(
        !codes(&task).contains(&Code::InvalidValue),
        "{:?}",
        described(&task)
    );
}

#[test]
fn generated_form_fields_need_a_built_in_type_and_a_pattern_baton_reads() {
    let fields = r#"<camunda:formData businessKey="ref">
          <camunda:formField id="ref" type="string" />
          <camunda:formField id="amount" type="long" defaultValue="${1 + 1}">
            <camunda:validation>
              <camunda:constraint name="required" />
              <camunda:constraint name="min" config="1" />
              <camunda:constraint name="max" config="1000.5" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="due" type="date" datePattern="yyyy-MM-dd'T'HH:mm" />
          <camunda:formField id="ok" type="boolean" />
          <camunda:formField id="size" type="enum">
            <camunda:value id="s" name="Small" /><camunda:value id="l" name="Large" />
          </camunda:formField>
        </camunda:formData>"#;
    let parsed = valid(&start_form("", fields));
    let NodeKind::StartEvent(start) = &parsed.definitions.processes[0].nodes[0].kind else {
        panic!("a start event");
    };
    assert_eq!(start.form_business_key.as_deref(), Some("ref"));
    let ids: Vec<&str> = start.form_data.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["ref", "amount", "due", "ok", "size"]);
    assert_eq!(start.form_data[1].constraints.len(), 3);
    assert_eq!(
        start.form_data[4].values[1],
        ("l".into(), Some("Large".into()))
    );

    for (field, code, says) in [
        (
            r#"<camunda:formField id="x" />"#,
            Code::MissingAttribute,
            "has no type",
        ),
        (
            r#"<camunda:formField id="x" type="money" />"#,
            Code::JavaOnly,
            "the type 'money'",
        ),
        (
            r#"<camunda:formField id="x" type="date" datePattern="dd/MM/yyyy HH:mm z" />"#,
            Code::InvalidValue,
            "'z' (time zone)",
        ),
        (
            r#"<camunda:formField id="x" type="date" datePattern="dd/bb" />"#,
            Code::InvalidValue,
            "Illegal pattern character 'b'",
        ),
        (
            r#"<camunda:formField id="x" type="string"><camunda:validation>
                 <camunda:constraint name="maxlength" config="ten" /></camunda:validation></camunda:formField>"#,
            Code::InvalidValue,
            "maxlength with the config \"ten\"",
        ),
        (
            r#"<camunda:formField id="x" type="long"><camunda:validation>
                 <camunda:constraint name="min" /></camunda:validation></camunda:formField>"#,
            Code::InvalidValue,
            "constraint min",
        ),
        (
            r#"<camunda:formField id="x" type="string"><camunda:validation>
                 <camunda:constraint name="validator" config="org.example.IbanValidator" /></camunda:validation></camunda:formField>"#,
            Code::JavaOnly,
            "'validator' constraint",
        ),
        (
            r#"<camunda:formField id="x" type="string"><camunda:validation>
                 <camunda:constraint name="iban" /></camunda:validation></camunda:formField>"#,
            Code::JavaOnly,
            "the validation constraint 'iban'",
        ),
    ] {
        let xml = start_form("", &format!("<camunda:formData>{field}</camunda:formData>"));
        let found = described(&xml);
        assert!(
            found.iter().any(|(c, m)| *c == code && m.contains(says)),
            "{field}: {found:?}"
        );
    }
}

#[test]
fn legacy_form_properties_keep_their_flags_and_refuse_expressions() {
    let properties = r#"<camunda:formProperty id="name" name="Name" type="string" required="yes" writable="false" variable="customer" />
        <camunda:formProperty id="notes" />
        <camunda:formProperty id="kind" type="enum"><camunda:value id="a" name="A" /></camunda:formProperty>"#;
    let parsed = valid(&start_form("", properties));
    let NodeKind::StartEvent(start) = &parsed.definitions.processes[0].nodes[0].kind else {
        panic!("a start event");
    };
    let name = start.form_data[0]
        .property
        .as_ref()
        .expect("a form property");
    assert!(name.required && !name.writable && name.readable);
    assert_eq!(name.variable.as_deref(), Some("customer"));
    assert_eq!(start.form_data[1].field_type, None);
    assert_eq!(start.form_data[2].values.len(), 1);

    let found = described(&start_form(
        "",
        r#"<camunda:formProperty id="p" type="string" required="maybe" expression="${order.name}" />"#,
    ));
    assert!(
        found
            .iter()
            .any(|(c, m)| *c == Code::InvalidValue && m.contains("required=\"maybe\"")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(c, m)| *c == Code::UnsupportedAttribute && m.contains("expression=")),
        "{found:?}"
    );
}

/// Asserts that `xml` is refused with a problem of `code` on `element` whose
/// message contains `says`.
fn refused(xml: &str, code: Code, element: &str, says: &str) {
    let error = baton_bpmn::parse(xml).expect_err(&format!("expected a refusal:\n{xml}"));
    let found = error.problems().iter().any(|p| {
        p.code == code && p.element_id.as_deref() == Some(element) && p.message.contains(says)
    });
    assert!(
        found,
        "no {code:?} on '{element}' saying '{says}' among {:#?}\nfor\n{xml}",
        error.problems()
    );
}

/// A booking task `book` with a compensation boundary event `undo` and its
/// handler `unbook`, then `rest` (more elements in the same scope).
fn compensated(rest: &str) -> String {
    started(
        "book",
        &format!(
            r#"<bpmn:serviceTask id="book" camunda:type="external" camunda:topic="book" />
               <bpmn:boundaryEvent id="undo" attachedToRef="book"><bpmn:compensateEventDefinition /></bpmn:boundaryEvent>
               <bpmn:serviceTask id="unbook" isForCompensation="true" camunda:type="external" camunda:topic="unbook" />
               <bpmn:association id="a1" sourceRef="undo" targetRef="unbook" />
               <bpmn:sequenceFlow id="f1" sourceRef="book" targetRef="end" />{END}{rest}"#
        ),
    )
}

/// Issue 17: compensation is structured as Camunda requires even though Baton
/// does not run it yet; a model Camunda refuses is refused for its structure.
#[test]
fn compensation_structure_is_checked_as_camunda_checks_it() {
    valid(&compensated(""));

    // A handler is called by compensation, never entered or left by a token.
    let xml =
        compensated(r#"<bpmn:sequenceFlow id="into" sourceRef="start" targetRef="unbook" />"#);
    refused(
        &xml,
        Code::InvalidStructure,
        "into",
        "incoming flow of compensation handler 'unbook'",
    );
    let xml = compensated(
        r#"<bpmn:sequenceFlow id="out" sourceRef="unbook" targetRef="end2" /><bpmn:endEvent id="end2" />"#,
    );
    refused(
        &xml,
        Code::InvalidStructure,
        "out",
        "outgoing flow of compensation handler 'unbook'",
    );

    // The associated activity must be marked as a compensation handler.
    let xml = compensated("").replace(r#" isForCompensation="true""#, "");
    refused(
        &xml,
        Code::InvalidStructure,
        "undo",
        "is associated with serviceTask 'unbook', which is not a compensation handler",
    );

    // One compensation boundary event per activity.
    let xml = compensated(
        r#"<bpmn:boundaryEvent id="undo2" attachedToRef="book"><bpmn:compensateEventDefinition /></bpmn:boundaryEvent>"#,
    );
    refused(
        &xml,
        Code::InvalidStructure,
        "undo2",
        "two compensation boundary events, 'undo' and 'undo2'",
    );

    // A compensation event subprocess: inside an embedded subprocess, once per
    // scope, and not beside a compensation boundary event of that subprocess.
    let compensation_subprocess = |id: &str| {
        format!(
            r#"<bpmn:subProcess id="{id}" triggeredByEvent="true">
                 <bpmn:startEvent id="{id}_start"><bpmn:compensateEventDefinition /></bpmn:startEvent>
                 <bpmn:sequenceFlow id="{id}_f" sourceRef="{id}_start" targetRef="{id}_end" />
                 <bpmn:endEvent id="{id}_end" />
               </bpmn:subProcess>"#
        )
    };
    let in_subprocess = |inner: &str, outside: &str| {
        started(
            "sub",
            &format!(
                r#"<bpmn:subProcess id="sub">
                     <bpmn:startEvent id="sub_start" /><bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="sub_end" /><bpmn:endEvent id="sub_end" />
                     {inner}
                   </bpmn:subProcess>
                   <bpmn:sequenceFlow id="f1" sourceRef="sub" targetRef="end" />{END}{outside}"#
            ),
        )
    };
    valid(&in_subprocess(&compensation_subprocess("c1"), ""));
    refused(
        &started("end", &format!("{END}{}", compensation_subprocess("c1"))),
        Code::InvalidStructure,
        "c1",
        "started by compensation at the level of the process",
    );
    refused(
        &in_subprocess(
            &format!(
                "{}{}",
                compensation_subprocess("c1"),
                compensation_subprocess("c2")
            ),
            "",
        ),
        Code::InvalidStructure,
        "c2",
        "two event subprocesses started by compensation, 'c1' and 'c2'",
    );
    refused(
        &in_subprocess(
            &compensation_subprocess("c1"),
            r#"<bpmn:boundaryEvent id="undo" attachedToRef="sub"><bpmn:compensateEventDefinition /></bpmn:boundaryEvent>"#,
        ),
        Code::InvalidStructure,
        "c1",
        "both the compensation boundary event 'undo' and the compensation event subprocess 'c1'",
    );
}

/// A transaction `tx` with the cancel boundary events `boundaries`.
fn transaction(boundaries: &str) -> String {
    started(
        "tx",
        &format!(
            r#"<bpmn:transaction id="tx">
                 <bpmn:startEvent id="tx_start" /><bpmn:sequenceFlow id="t1" sourceRef="tx_start" targetRef="cancel" />
                 <bpmn:endEvent id="cancel"><bpmn:cancelEventDefinition /></bpmn:endEvent>
               </bpmn:transaction>
               <bpmn:sequenceFlow id="f1" sourceRef="tx" targetRef="end" />{END}{boundaries}"#
        ),
    )
}

#[test]
fn a_transaction_has_one_cancel_boundary_event() {
    let cancel = |id: &str| {
        format!(
            r#"<bpmn:boundaryEvent id="{id}" attachedToRef="tx"><bpmn:cancelEventDefinition /></bpmn:boundaryEvent>
               <bpmn:sequenceFlow id="{id}_f" sourceRef="{id}" targetRef="end" />"#
        )
    };
    valid(&transaction(&cancel("c1")));
    refused(
        &transaction(&format!("{}{}", cancel("c1"), cancel("c2"))),
        Code::InvalidStructure,
        "c2",
        "transaction 'tx' has two cancel boundary events, 'c1' and 'c2'",
    );
}

/// An escalation boundary event `id` on `host`, catching `escalation` (or
/// every escalation when empty), leading to the end.
fn escalation_boundary(id: &str, host: &str, escalation: &str) -> String {
    let reference = if escalation.is_empty() {
        String::new()
    } else {
        format!(r#" escalationRef="{escalation}""#)
    };
    format!(
        r#"<bpmn:boundaryEvent id="{id}" attachedToRef="{host}"><bpmn:escalationEventDefinition{reference} /></bpmn:boundaryEvent>
           <bpmn:sequenceFlow id="{id}_f" sourceRef="{id}" targetRef="end" />"#
    )
}

/// An event subprocess `id` started by `escalation` (every escalation when empty).
fn escalation_subprocess(id: &str, escalation: &str) -> String {
    let reference = if escalation.is_empty() {
        String::new()
    } else {
        format!(r#" escalationRef="{escalation}""#)
    };
    format!(
        r#"<bpmn:subProcess id="{id}" triggeredByEvent="true">
             <bpmn:startEvent id="{id}_start" isInterrupting="false"><bpmn:escalationEventDefinition{reference} /></bpmn:startEvent>
             <bpmn:sequenceFlow id="{id}_f" sourceRef="{id}_start" targetRef="{id}_end" /><bpmn:endEvent id="{id}_end" />
           </bpmn:subProcess>"#
    )
}

/// The escalations `late` and `later`, and a process with the user task `work`
/// inside the subprocess `sub` holding `inner`, with `outside` beside it.
fn escalating(inner: &str, outside: &str) -> String {
    definitions(&format!(
        r#"<bpmn:escalation id="late" escalationCode="LATE" />
           <bpmn:escalation id="late_again" escalationCode="LATE" />
           <bpmn:escalation id="later" escalationCode="LATER" />
           <bpmn:process id="p" isExecutable="true">
             <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="sub" />
             <bpmn:subProcess id="sub">
               <bpmn:startEvent id="sub_start" /><bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="work" />
               <bpmn:userTask id="work" /><bpmn:sequenceFlow id="s2" sourceRef="work" targetRef="sub_end" />
               <bpmn:endEvent id="sub_end" />
               {inner}
             </bpmn:subProcess>
             <bpmn:sequenceFlow id="f1" sourceRef="sub" targetRef="end" />{END}
             {outside}
           </bpmn:process>"#
    ))
}

#[test]
fn escalations_are_caught_where_they_can_arise_and_once_per_scope() {
    // Distinct codes, on a subprocess and in it, are fine; so is one catch-all.
    valid(&escalating(
        &format!(
            "{}{}",
            escalation_subprocess("e1", "late"),
            escalation_subprocess("e2", "later")
        ),
        &format!(
            "{}{}",
            escalation_boundary("b1", "sub", "late"),
            escalation_boundary("b2", "sub", "later")
        ),
    ));
    valid(&escalating("", &escalation_boundary("b1", "sub", "")));

    // Only a subprocess, a call activity or a user task can raise one.
    let xml = started(
        "t",
        &format!(
            r#"<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="x" /><bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="end" />{END}{}"#,
            escalation_boundary("b", "t", "")
        ),
    );
    refused(
        &xml,
        Code::InvalidStructure,
        "b",
        "attached to serviceTask 't', which cannot raise an escalation",
    );
    let xml = started(
        "t",
        &format!(
            r#"<bpmn:userTask id="t" /><bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="end" />{END}{}"#,
            escalation_boundary("b", "t", "")
        ),
    );
    valid(&xml);

    // Boundary events on one activity.
    let boundaries = |a: &str, b: &str| {
        escalating(
            "",
            &format!(
                "{}{}",
                escalation_boundary("b1", "sub", a),
                escalation_boundary("b2", "sub", b)
            ),
        )
    };
    refused(
        &boundaries("late", "late_again"),
        Code::InvalidStructure,
        "b2",
        "both catch the escalation code 'LATE'",
    );
    refused(
        &boundaries("", ""),
        Code::InvalidStructure,
        "b2",
        "both catch every escalation",
    );
    // A catch-all beside a catcher of a code: one or the other, as in Camunda.
    refused(
        &boundaries("", "late"),
        Code::InvalidStructure,
        "b2",
        "one catches every escalation and the other a code of its own",
    );

    // Event subprocesses in one scope.
    let subprocesses = |a: &str, b: &str| {
        escalating(
            &format!(
                "{}{}",
                escalation_subprocess("e1", a),
                escalation_subprocess("e2", b)
            ),
            "",
        )
    };
    refused(
        &subprocesses("late", "late"),
        Code::InvalidStructure,
        "e2",
        "both catch the escalation code 'LATE'",
    );
    refused(
        &subprocesses("", ""),
        Code::InvalidStructure,
        "e2",
        "both catch every escalation",
    );
    refused(
        &subprocesses("later", ""),
        Code::InvalidStructure,
        "e2",
        "one catches every escalation and the other a code of its own",
    );
    valid(&subprocesses("later", "late"));
}

#[test]
fn a_message_or_signal_is_caught_one_way_per_scope() {
    let declarations = r#"<bpmn:message id="paid" name="paid" /><bpmn:message id="paid_too" name="paid" />
        <bpmn:message id="cancelled" name="cancelled" /><bpmn:signal id="stop" name="stop" />"#;
    let with = |boundaries: &str, rest: &str| {
        definitions(&format!(
            r#"{declarations}<bpmn:process id="p" isExecutable="true">
                 <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait" />
                 <bpmn:userTask id="wait" /><bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="end" />{END}
                 {boundaries}{rest}
               </bpmn:process>"#
        ))
    };
    let boundary = |id: &str, definition: &str| {
        format!(
            r#"<bpmn:boundaryEvent id="{id}" attachedToRef="wait">{definition}</bpmn:boundaryEvent>
               <bpmn:sequenceFlow id="{id}_f" sourceRef="{id}" targetRef="end" />"#
        )
    };
    let message = |m: &str| format!(r#"<bpmn:messageEventDefinition messageRef="{m}" />"#);
    let signal = r#"<bpmn:signalEventDefinition signalRef="stop" />"#;

    valid(&with(
        &format!(
            "{}{}{}",
            boundary("b1", &message("paid")),
            boundary("b2", &message("cancelled")),
            boundary("b3", signal)
        ),
        "",
    ));
    // Two messages of one name are one message.
    refused(
        &with(
            &format!(
                "{}{}",
                boundary("b1", &message("paid")),
                boundary("b2", &message("paid_too"))
            ),
            "",
        ),
        Code::InvalidStructure,
        "b2",
        "'b1' and 'b2' both wait for the message 'paid' on userTask 'wait'",
    );
    refused(
        &with(
            &format!("{}{}", boundary("b1", signal), boundary("b2", signal)),
            "",
        ),
        Code::InvalidStructure,
        "b2",
        "both wait for the signal 'stop'",
    );
    // Event subprocesses of the process listen in the process's scope.
    let subprocess = |id: &str, m: &str| {
        format!(
            r#"<bpmn:subProcess id="{id}" triggeredByEvent="true">
                 <bpmn:startEvent id="{id}_start" isInterrupting="false">{}</bpmn:startEvent>
                 <bpmn:sequenceFlow id="{id}_f" sourceRef="{id}_start" targetRef="{id}_end" /><bpmn:endEvent id="{id}_end" />
               </bpmn:subProcess>"#,
            message(m)
        )
    };
    valid(&with(
        "",
        &format!(
            "{}{}",
            subprocess("e1", "paid"),
            subprocess("e2", "cancelled")
        ),
    ));
    refused(
        &with(
            "",
            &format!("{}{}", subprocess("e1", "paid"), subprocess("e2", "paid")),
        ),
        Code::InvalidStructure,
        "e2_start",
        "both wait for the message 'paid' on process 'p'",
    );
    // Intermediate catch events in sequence each listen on their own.
    let xml = definitions(&format!(
        r#"{declarations}<bpmn:process id="p" isExecutable="true">
             <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="w1" />
             <bpmn:intermediateCatchEvent id="w1">{m}</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f1" sourceRef="w1" targetRef="w2" />
             <bpmn:intermediateCatchEvent id="w2">{m}</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f2" sourceRef="w2" targetRef="end" />{END}
           </bpmn:process>"#,
        m = message("paid")
    ));
    valid(&xml);
    // After one event-based gateway, they listen together.
    let xml = definitions(&format!(
        r#"{declarations}<bpmn:process id="p" isExecutable="true">
             <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="g" />
             <bpmn:eventBasedGateway id="g" />
             <bpmn:sequenceFlow id="g1" sourceRef="g" targetRef="w1" /><bpmn:sequenceFlow id="g2" sourceRef="g" targetRef="w2" />
             <bpmn:intermediateCatchEvent id="w1">{m}</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f1" sourceRef="w1" targetRef="end" />
             <bpmn:intermediateCatchEvent id="w2">{m}</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f2" sourceRef="w2" targetRef="end" />{END}
           </bpmn:process>"#,
        m = message("paid")
    ));
    refused(
        &xml,
        Code::InvalidStructure,
        "w2",
        "on event-based gateway 'g'",
    );
}

#[test]
fn a_caught_message_needs_a_name() {
    let xml = definitions(&format!(
        r#"<bpmn:message id="nameless" />
           <bpmn:process id="p" isExecutable="true">
             <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="r" />
             <bpmn:receiveTask id="r" messageRef="nameless" /><bpmn:sequenceFlow id="f1" sourceRef="r" targetRef="w" />
             <bpmn:intermediateCatchEvent id="w"><bpmn:messageEventDefinition messageRef="nameless" /></bpmn:intermediateCatchEvent>
             <bpmn:sequenceFlow id="f2" sourceRef="w" targetRef="end" />{END}
           </bpmn:process>"#
    ));
    refused(
        &xml,
        Code::MissingAttribute,
        "r",
        "receiveTask 'r' waits for the message 'nameless', which has no name",
    );
    refused(
        &xml,
        Code::MissingAttribute,
        "w",
        "intermediateCatchEvent 'w' waits for the message 'nameless'",
    );
}

#[test]
fn two_signals_cannot_share_a_name() {
    let xml = definitions(&format!(
        r#"<bpmn:signal id="s1" name="alarm" /><bpmn:signal id="s2" name="alarm" />
           <bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="end" />{END}</bpmn:process>"#
    ));
    refused(
        &xml,
        Code::InvalidStructure,
        "s2",
        "signals 's1' and 's2' share the name 'alarm'",
    );
}

#[test]
fn two_conditional_starts_cannot_share_a_condition() {
    let start = |id: &str, condition: &str| {
        format!(
            r#"<bpmn:startEvent id="{id}"><bpmn:conditionalEventDefinition><bpmn:condition xsi:type="bpmn:tFormalExpression">{condition}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:startEvent>
               <bpmn:sequenceFlow id="{id}_f" sourceRef="{id}" targetRef="end" />"#
        )
    };
    let with = |a: &str, b: &str| process(&format!("{}{}{END}", start("s1", a), start("s2", b)));
    valid(&with("${ready}", "${done}"));
    refused(
        &with("${ready}", "${ready}"),
        Code::InvalidStructure,
        "s2",
        "conditional start events 's1' and 's2' have the same condition '${ready}'",
    );
}

#[test]
fn an_event_after_an_event_based_gateway_is_entered_from_it_only() {
    let xml = |extra: &str| {
        definitions(&format!(
            r#"<bpmn:signal id="go" name="go" />
               <bpmn:process id="p" isExecutable="true">
                 <bpmn:startEvent id="start" /><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="g" />
                 <bpmn:eventBasedGateway id="g" />
                 <bpmn:sequenceFlow id="g1" sourceRef="g" targetRef="signalled" /><bpmn:sequenceFlow id="g2" sourceRef="g" targetRef="timeout" />
                 <bpmn:intermediateCatchEvent id="signalled"><bpmn:signalEventDefinition signalRef="go" /></bpmn:intermediateCatchEvent>
                 <bpmn:intermediateCatchEvent id="timeout"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
                 <bpmn:sequenceFlow id="f1" sourceRef="signalled" targetRef="end" /><bpmn:sequenceFlow id="f2" sourceRef="timeout" targetRef="end" />{END}
                 {extra}
               </bpmn:process>"#
        ))
    };
    valid(&xml(""));
    refused(
        &xml(
            r#"<bpmn:startEvent id="other" /><bpmn:sequenceFlow id="sneak" sourceRef="other" targetRef="signalled" />"#,
        ),
        Code::InvalidStructure,
        "sneak",
        "enters intermediate catch event 'signalled', which follows event-based gateway 'g'",
    );
}

#[test]
fn flows_after_an_async_after_activity_need_ids() {
    let xml = |flow_id: &str| {
        started(
            "t",
            &format!(
                r#"<bpmn:serviceTask id="t" camunda:expression="${{true}}" camunda:asyncAfter="true" />
                   <bpmn:sequenceFlow {flow_id}sourceRef="t" targetRef="end" />{END}"#
            ),
        )
    };
    valid(&xml(r#"id="f1" "#));
    refused(
        &xml(""),
        Code::MissingAttribute,
        "t",
        "a sequence flow leaving serviceTask 't' has no id",
    );
    // Without asyncAfter, a flow needs no id, as in Camunda.
    valid(&xml("").replace(r#" camunda:asyncAfter="true""#, ""));
}

#[test]
fn a_user_task_has_one_assignee_declaration() {
    let performer = |who: &str| {
        format!(
            "<bpmn:humanPerformer><bpmn:resourceAssignmentExpression><bpmn:formalExpression>{who}</bpmn:formalExpression></bpmn:resourceAssignmentExpression></bpmn:humanPerformer>"
        )
    };
    let task = |attributes: &str, inner: &str| {
        started(
            "t",
            &format!(
                r#"<bpmn:userTask id="t" {attributes}>{inner}</bpmn:userTask><bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="end" />{END}"#
            ),
        )
    };
    let parsed = valid(&task("", &performer("gonzo")));
    let NodeKind::Task(t) = &parsed.definitions.processes[0].nodes[1].kind else {
        panic!("a task");
    };
    let TaskKind::User(user) = &t.kind else {
        panic!("a user task");
    };
    assert_eq!(user.assignee.as_ref().map(|a| a.as_str()), Some("gonzo"));
    valid(&task(r#"camunda:assignee="kermit""#, ""));
    refused(
        &task(r#"camunda:assignee="kermit""#, &performer("gonzo")),
        Code::InvalidStructure,
        "t",
        "names its assignee twice: camunda:assignee=\"kermit\" and the humanPerformer 'gonzo'",
    );
    refused(
        &task(
            "",
            &format!("{}{}", performer("gonzo"), performer("kermit")),
        ),
        Code::InvalidStructure,
        "t",
        "has 2 humanPerformer elements",
    );
}

#[test]
fn an_element_with_too_many_attributes_is_refused_before_it_is_read() {
    let attributes: String = (0..10_001).map(|i| format!(r#" x:a{i}="v""#)).collect();
    let xml = started(
        "end",
        &format!(r#"<bpmn:endEvent id="end" xmlns:x="urn:x"{attributes} />"#),
    );
    assert_eq!(codes(&xml), vec![Code::TooLarge]);
}

/// Issue 17: long real conditions are chains of one operator; the expression depth
/// limit does not refuse them.
#[test]
fn a_long_condition_validates() {
    let terms: Vec<String> = (0..500).map(|i| format!("code == {i}")).collect();
    let xml = started(
        "g",
        &format!(
            r#"<bpmn:exclusiveGateway id="g" default="other" />
               <bpmn:sequenceFlow id="known" sourceRef="g" targetRef="end"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${{{}}}</bpmn:conditionExpression></bpmn:sequenceFlow>
               <bpmn:sequenceFlow id="other" sourceRef="g" targetRef="end" />{END}"#,
            terms.join(" || ")
        ),
    );
    valid(&xml);
    let deep = format!("${{{}code{}}}", "(".repeat(70), ")".repeat(70));
    let xml = started(
        "g",
        &format!(
            r#"<bpmn:exclusiveGateway id="g" default="other" />
               <bpmn:sequenceFlow id="known" sourceRef="g" targetRef="end"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{deep}</bpmn:conditionExpression></bpmn:sequenceFlow>
               <bpmn:sequenceFlow id="other" sourceRef="g" targetRef="end" />{END}"#
        ),
    );
    assert!(codes(&xml).contains(&Code::InvalidExpression));
}
