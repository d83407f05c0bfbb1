//! How long parsing and validating a large model takes.
//!
//! Run with `cargo bench -p baton-bpmn --bench parse`. The generated models
//! look like Camunda Modeler output: external service tasks with
//! `camunda:` attributes, input mappings, exclusive gateways with
//! conditions, parallel forks, and a BPMNDI shape and edge for everything.

use std::fmt::Write;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// A model with about `nodes` flow nodes: blocks of a task, an exclusive
/// split with two conditioned branches, a task on each, and a join.
fn model(nodes: usize) -> String {
    let mut process = String::new();
    let mut diagram = String::new();
    let edge = |diagram: &mut String, id: &str, x: usize| {
        let _ = write!(
            diagram,
            r#"<bpmndi:BPMNEdge id="{id}_di" bpmnElement="{id}"><di:waypoint x="{x}" y="120" /><di:waypoint x="{}" y="120" /></bpmndi:BPMNEdge>"#,
            x + 50
        );
    };
    let shape = |diagram: &mut String, id: &str, x: usize| {
        let _ = write!(
            diagram,
            r#"<bpmndi:BPMNShape id="{id}_di" bpmnElement="{id}"><dc:Bounds x="{x}" y="80" width="100" height="80" /></bpmndi:BPMNShape>"#
        );
    };
    let _ = write!(
        process,
        r#"<bpmn:startEvent id="start"><bpmn:outgoing>f_start</bpmn:outgoing></bpmn:startEvent>"#
    );
    shape(&mut diagram, "start", 0);
    let blocks = nodes.div_ceil(5);
    let mut previous = ("start".to_owned(), "f_start".to_owned());
    for block in 0..blocks {
        let x = block * 600;
        let task = format!("task_{block}");
        let split = format!("split_{block}");
        let (left, right, join) = (
            format!("left_{block}"),
            format!("right_{block}"),
            format!("join_{block}"),
        );
        let flows = [
            (previous.1.clone(), previous.0.clone(), task.clone(), None),
            (format!("f_{block}_a"), task.clone(), split.clone(), None),
            (
                format!("f_{block}_b"),
                split.clone(),
                left.clone(),
                Some("${amount > 1000}"),
            ),
            (
                format!("f_{block}_c"),
                split.clone(),
                right.clone(),
                Some("${not approved and tier == 'gold'}"),
            ),
            (format!("f_{block}_d"), left.clone(), join.clone(), None),
            (format!("f_{block}_e"), right.clone(), join.clone(), None),
        ];
        for (id, source, target, condition) in &flows {
            match condition {
                Some(condition) => {
                    let _ = write!(
                        process,
                        r#"<bpmn:sequenceFlow id="{id}" sourceRef="{source}" targetRef="{target}"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>"#
                    );
                }
                None => {
                    let _ = write!(
                        process,
                        r#"<bpmn:sequenceFlow id="{id}" sourceRef="{source}" targetRef="{target}" />"#
                    );
                }
            }
            edge(&mut diagram, id, x);
        }
        for (id, topic) in [(&task, "charge"), (&left, "approve"), (&right, "reject")] {
            let _ = write!(
                process,
                r#"<bpmn:serviceTask id="{id}" name="Do {id}" camunda:type="external" camunda:topic="{topic}" camunda:taskPriority="5"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="amount">${{order.amount}}</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>"#
            );
            shape(&mut diagram, id, x);
        }
        for id in [&split, &join] {
            let _ = write!(process, r#"<bpmn:exclusiveGateway id="{id}" />"#);
            shape(&mut diagram, id, x);
        }
        previous = (join, format!("f_{block}_out"));
    }
    let _ = write!(
        process,
        r#"<bpmn:sequenceFlow id="{}" sourceRef="{}" targetRef="end" /><bpmn:endEvent id="end" />"#,
        previous.1, previous.0
    );
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.28.0">
<bpmn:process id="generated" isExecutable="true" camunda:historyTimeToLive="180">{process}</bpmn:process>
<bpmndi:BPMNDiagram id="BPMNDiagram_1"><bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="generated">{diagram}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"#
    )
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.sample_size(20);
    for nodes in [1_000, 10_000] {
        let xml = model(nodes);
        let parsed = baton_bpmn::parse(&xml).expect("the generated model is valid");
        let count: usize = parsed
            .definitions
            .processes
            .iter()
            .map(|p| p.nodes.len())
            .sum();
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{nodes} nodes")),
            &xml,
            |b, xml| {
                b.iter(|| baton_bpmn::parse(xml).expect("valid"));
            },
        );
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
