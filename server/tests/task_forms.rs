//! A model as Camunda Modeler saves it, with a generated task form, a Camunda
//! Form (`.form` file) deployed beside it, a timer boundary event on a user task,
//! and delegation, driven through the REST API the way a task list drives it.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// As Camunda Modeler 5 writes it: its namespaces and exporter attributes, ids
/// of its making, `camunda:formData` in extension elements, and the diagram.
const ORDER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_1x2y3z" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.31.0" modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.22.0">
  <bpmn:process id="order_review" name="Order review" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:startEvent id="StartEvent_1" name="Order received">
      <bpmn:outgoing>Flow_0a1b2c3</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="Activity_0review" name="Review ${customer}'s order" camunda:candidateGroups="sales">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="amount" label="Amount" type="long">
            <camunda:validation>
              <camunda:constraint name="required" />
              <camunda:constraint name="max" config="10000" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="approved" label="Approved?" type="boolean" />
          <camunda:formField id="size" label="Size" type="enum" defaultValue="M">
            <camunda:value id="S" name="Small" />
            <camunda:value id="M" name="Medium" />
            <camunda:value id="L" name="Large" />
          </camunda:formField>
          <camunda:formField id="delivery" label="Delivery" type="date" />
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_0a1b2c3</bpmn:incoming>
      <bpmn:outgoing>Flow_1d2e3f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="Event_0remind" name="1 hour" cancelActivity="false" attachedToRef="Activity_0review">
      <bpmn:outgoing>Flow_2g3h4i5</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerEventDefinition_0abc">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">PT1H</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="Activity_0chase" name="Chase the review" camunda:assignee="boss">
      <bpmn:incoming>Flow_2g3h4i5</bpmn:incoming>
      <bpmn:outgoing>Flow_3j4k5l6</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="Event_0chased">
      <bpmn:incoming>Flow_3j4k5l6</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:userTask id="Activity_0archive" name="Archive" camunda:formRef="archive" camunda:formRefBinding="deployment" camunda:candidateGroups="clerks">
      <bpmn:incoming>Flow_1d2e3f4</bpmn:incoming>
      <bpmn:outgoing>Flow_4m5n6o7</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="Event_0done" name="Order reviewed">
      <bpmn:incoming>Flow_4m5n6o7</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_0a1b2c3" sourceRef="StartEvent_1" targetRef="Activity_0review" />
    <bpmn:sequenceFlow id="Flow_1d2e3f4" sourceRef="Activity_0review" targetRef="Activity_0archive" />
    <bpmn:sequenceFlow id="Flow_2g3h4i5" sourceRef="Event_0remind" targetRef="Activity_0chase" />
    <bpmn:sequenceFlow id="Flow_3j4k5l6" sourceRef="Activity_0chase" targetRef="Event_0chased" />
    <bpmn:sequenceFlow id="Flow_4m5n6o7" sourceRef="Activity_0archive" targetRef="Event_0done" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="order_review">
      <bpmndi:BPMNShape id="_BPMNShape_StartEvent_2" bpmnElement="StartEvent_1">
        <dc:Bounds x="179" y="99" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Activity_0review_di" bpmnElement="Activity_0review">
        <dc:Bounds x="270" y="77" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_0a1b2c3_di" bpmnElement="Flow_0a1b2c3">
        <di:waypoint x="215" y="117" />
        <di:waypoint x="270" y="117" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>"#;

/// A Camunda Form as Camunda Modeler writes it (form-js schema).
const ARCHIVE_FORM: &str = r#"{
  "components": [
    {"label": "Shelf", "type": "textfield", "layout": {"row": "Row_1"}, "id": "Field_1shelf", "key": "shelf"}
  ],
  "type": "default",
  "id": "archive",
  "executionPlatform": "Camunda Platform",
  "executionPlatformVersion": "7.22.0",
  "exporter": {"name": "Camunda Modeler", "version": "5.31.0"},
  "schemaVersion": 16
}"#;

async fn one(s: &Server, query: &str) -> Value {
    let (status, list) = s.get(&format!("/task?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{query}: {list:?}");
    list[0].clone()
}

#[tokio::test]
async fn a_modeler_model_with_forms_a_reminder_and_delegation_runs_through_rest() {
    let s = server_manual().await;
    let (status, body) = s
        .deploy(
            "order review",
            &[("order_review.bpmn", ORDER), ("archive.form", ARCHIVE_FORM)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let instance = s
        .start("order_review", json!({"customer": {"value": "ACME"}}))
        .await;

    // The sales group's inbox holds the review, with its generated form.
    let review = one(&s, "candidateGroup=sales").await;
    assert_eq!(review["name"], "Review ACME's order");
    let id = review["id"].as_str().unwrap().to_owned();
    let (status, form) = s.get(&format!("/task/{id}/form")).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert_eq!(
        form["key"],
        format!("embedded:engine://engine/:engine/task/{id}/rendered-form")
    );
    // The generated form as HTML, in Camunda's markup (what the key points at).
    let response = s
        .http
        .get(format!("{}/task/{id}/rendered-form", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/xhtml+xml");
    let html = response.text().await.unwrap();
    for part in [
        r#"<form name="generatedForm" role="form">"#,
        r#"<label for="amount">Amount</label>"#,
        r#"name="amount" cam-variable-type="Long" cam-variable-name="amount" required max="10000" type="text""#,
        r#"<option value="M">Medium</option>"#,
        r#"cam-variable-name="approved" type="checkbox""#,
        r#"datepicker-popup="dd/MM/yyyy""#,
    ] {
        assert!(html.contains(part), "{part} in {html}");
    }
    let (status, fields) = s.get(&format!("/task/{id}/form-variables")).await;
    assert_eq!(status, StatusCode::OK, "{fields}");
    assert_eq!(
        fields["amount"],
        json!({"type": "Long", "value": null, "valueInfo": {}})
    );
    assert_eq!(fields["size"]["value"], "M");
    assert_eq!(
        fields["customer"]["value"], "ACME",
        "the other variables follow"
    );

    // Alice claims it and delegates it to Bob.
    let (st, b) = s
        .post(&format!("/task/{id}/claim"), json!({"userId": "alice"}))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let (st, b) = s
        .post(&format!("/task/{id}/delegate"), json!({"userId": "bob"}))
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let delegated = one(&s, "assignee=bob").await;
    assert_eq!(delegated["owner"], "alice");
    assert_eq!(delegated["delegationState"], "PENDING");

    // A value the form refuses changes nothing.
    let (st, err) = s
        .post(
            &format!("/task/{id}/submit-form"),
            json!({"variables": {"amount": {"value": 20000}}}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("Cannot submit task form {id}"))
            && message.contains("'amount'")
            && message.contains("max(10000)"),
        "{message}"
    );
    let (st, err) = s
        .post(&format!("/task/{id}/submit-form"), json!({"variables": {}}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("required"),
        "{err}"
    );

    // An hour passes: the reminder goes to the boss, and the review stays open.
    s.advance("PT1H").await;
    let chase = one(&s, "assignee=boss").await;
    assert_eq!(chase["name"], "Chase the review");
    one(&s, "taskDefinitionKey=Activity_0review").await;

    // Bob's submission resolves the delegated task: it goes back to Alice.
    let (st, b) = s
        .post(
            &format!("/task/{id}/submit-form"),
            json!({"variables": {"amount": {"value": 900}, "approved": {"value": true},
                   "delivery": {"value": "24/12/2026"}}}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let resolved = one(&s, "taskDefinitionKey=Activity_0review").await;
    assert_eq!(resolved["assignee"], "alice");
    assert_eq!(resolved["delegationState"], "RESOLVED");
    let (_, vars) = s
        .get(&format!("/process-instance/{instance}/variables"))
        .await;
    assert_eq!(vars["amount"]["type"], "Long");
    assert_eq!(
        vars["size"]["value"], "M",
        "the default fills a missing field"
    );
    assert_eq!(vars["delivery"]["type"], "Date");

    // Alice's submission completes it; the archive task shows its Camunda Form.
    let (st, b) = s
        .post(
            &format!("/task/{id}/submit-form"),
            json!({"variables": {"amount": {"value": 900}}}),
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    let archive = one(&s, "candidateGroup=clerks").await;
    let archive_id = archive["id"].as_str().unwrap().to_owned();
    assert_eq!(
        archive["camundaFormRef"],
        json!({"key": "archive", "binding": "deployment", "version": null})
    );
    let (st, form) = s.get(&format!("/task/{archive_id}/form")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(form["key"], Value::Null);
    assert_eq!(form["camundaFormRef"]["key"], "archive");
    let (st, schema) = s.get(&format!("/task/{archive_id}/deployed-form")).await;
    assert_eq!(st, StatusCode::OK, "{schema}");
    assert_eq!(schema["components"][0]["key"], "shelf");
    let (st, err) = s.get(&format!("/task/{id}/deployed-form")).await;
    assert!(st.is_client_error(), "a completed task has no form: {err}");

    // The rest completes plainly, and the instance ends with three tasks in history.
    for task in [&archive_id, chase["id"].as_str().unwrap()] {
        let (st, b) = s.post(&format!("/task/{task}/complete"), json!({})).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{b}");
    }
    assert_eq!(s.state(&instance).await, "COMPLETED");
    let (_, history) = s
        .get(&format!("/history/task?processInstanceId={instance}"))
        .await;
    let reasons: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["deleteReason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["completed", "completed", "completed"]);
}
