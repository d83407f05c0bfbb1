//! Start forms over real HTTP on a real database file: generated forms
//! (`camunda:formData`) checked and converted on submission, and Camunda Forms
//! (`.form` files) deployed beside the models and found by `camunda:formRef` with
//! each binding, or by a `camunda-forms:deployment:` form key.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A start event with a generated form (every type and constraint, a default
/// expression, the business-key field), then an external task to wait at.
const ORDER_FORM: &str = r#"
  <bpmn:startEvent id="start">
    <bpmn:extensionElements>
      <camunda:formData businessKey="orderRef">
        <camunda:formField id="orderRef" label="Order" type="string">
          <camunda:validation><camunda:constraint name="required" /></camunda:validation>
        </camunda:formField>
        <camunda:formField id="customer" label="Customer" type="string">
          <camunda:validation>
            <camunda:constraint name="required" />
            <camunda:constraint name="minlength" config="2" />
            <camunda:constraint name="maxlength" config="10" />
          </camunda:validation>
        </camunda:formField>
        <camunda:formField id="amount" label="Amount" type="long" defaultValue="${40 + 2}">
          <camunda:validation>
            <camunda:constraint name="min" config="1" />
            <camunda:constraint name="max" config="1000" />
          </camunda:validation>
        </camunda:formField>
        <camunda:formField id="quantity" label="Quantity" type="long" />
        <camunda:formField id="express" label="Express" type="boolean" />
        <camunda:formField id="due" label="Due" type="date" datePattern="yyyy-MM-dd" />
        <camunda:formField id="size" label="Size" type="enum" defaultValue="m">
          <camunda:value id="s" name="Small" />
          <camunda:value id="m" name="Medium" />
          <camunda:value id="l" name="Large" />
        </camunda:formField>
        <camunda:formField id="note" label="Note" type="string">
          <camunda:validation><camunda:constraint name="readonly" /></camunda:validation>
        </camunda:formField>
      </camunda:formData>
    </bpmn:extensionElements>
  </bpmn:startEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ship" />
  <bpmn:serviceTask id="ship" camunda:type="external" camunda:topic="ship" />
  <bpmn:sequenceFlow id="f2" sourceRef="ship" targetRef="end" />
  <bpmn:endEvent id="end" />"#;

/// A process `key` whose start event has `attributes`, then an end event.
fn start_model(key: &str, attributes: &str) -> String {
    model(
        key,
        &format!(
            r#"<bpmn:startEvent id="start" {attributes} /><bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end" /><bpmn:endEvent id="end" />"#
        ),
    )
}

/// A form-js form with `id` and one text component saying `text`.
fn form(id: &str, text: &str) -> String {
    json!({
        "id": id,
        "type": "default",
        "schemaVersion": 16,
        "components": [{"type": "text", "text": text}]
    })
    .to_string()
}

/// The running instances' count.
async fn instances(s: &Server) -> u64 {
    let (_, count) = s.get("/process-instance/count").await;
    count["count"].as_u64().expect("a count")
}

#[tokio::test]
async fn a_generated_start_form_answers_its_key_and_typed_defaults() {
    let s = server().await;
    let id = s.deploy_model("order", &model("order", ORDER_FORM)).await;
    let generated =
        format!("embedded:engine://engine/:engine/process-definition/{id}/rendered-form");
    for path in [
        format!("/process-definition/{id}/startForm"),
        "/process-definition/key/order/startForm".to_owned(),
    ] {
        let (status, body) = s.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(
            body,
            json!({"key": generated, "camundaFormRef": null, "contextPath": null})
        );
    }

    let (status, content_type, html) =
        raw(&s, &format!("/process-definition/{id}/rendered-form")).await;
    assert_eq!(
        (status, content_type.as_str()),
        (StatusCode::OK, "application/xhtml+xml")
    );
    for part in [
        r#"<input class="form-control" name="orderRef" cam-business-key required type="text" />"#,
        r#"cam-variable-name="customer" required minlength="2" maxlength="10" type="text""#,
        r#"cam-variable-name="amount" min="1" max="1000" type="text" value="42""#,
        r#"cam-variable-name="note" readonly type="text""#,
    ] {
        assert!(html.contains(part), "{part} in {html}");
    }
    let (_, _, by_key) = raw(&s, "/process-definition/key/order/rendered-form").await;
    assert_eq!(by_key, html);
    let (status, vars) = s.get("/process-definition/key/order/form-variables").await;
    assert_eq!(status, StatusCode::OK, "{vars}");
    assert_eq!(
        vars,
        json!({
            "orderRef": {"type": "String", "value": null, "valueInfo": {}},
            "customer": {"type": "String", "value": null, "valueInfo": {}},
            "amount": {"type": "Long", "value": 42, "valueInfo": {}},
            "quantity": {"type": "Long", "value": null, "valueInfo": {}},
            "express": {"type": "Boolean", "value": null, "valueInfo": {}},
            "due": {"type": "String", "value": "", "valueInfo": {}},
            "size": {"type": "String", "value": "m", "valueInfo": {}},
            "note": {"type": "String", "value": null, "valueInfo": {}},
        })
    );
    let (_, some) = s
        .get(&format!(
            "/process-definition/{id}/form-variables?variableNames=amount,size,nope"
        ))
        .await;
    let names: Vec<&String> = some.as_object().unwrap().keys().collect();
    assert_eq!(names, ["amount", "size"]);

    // An unknown definition: Camunda's answers for each.
    let (status, body) = s.get("/process-definition/nope/startForm").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"type": "InvalidRequestException", "code": 0,
               "message": "Cannot get start form data for process definition nope"})
    );
    let (status, body) = s.get("/process-definition/nope/form-variables").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["type"], "NotFoundException");
    let (status, body) = s.get("/process-definition/key/nope/startForm").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["message"],
        "No matching process definition with key: nope and no tenant-id"
    );
}

#[tokio::test]
async fn submitting_a_start_form_converts_its_fields_and_keeps_every_variable() {
    let s = server().await;
    let id = s.deploy_model("order", &model("order", ORDER_FORM)).await;
    let (status, instance) = s
        .post(
            "/process-definition/key/order/submit-form",
            json!({
                "businessKey": "order-1",
                "variables": {
                    "customer": {"value": "Ann"},
                    // Typed, as Camunda's generated forms send it (text would
                    // fail the numeric constraints, which check the value as given).
                    "amount": {"value": 500, "type": "Long"},
                    // Untyped text converts, on a field without numeric constraints.
                    "quantity": {"value": "3"},
                    "express": {"value": "TRUE", "type": "String"},
                    "due": {"value": "2026-03-01"},
                    // The business-key field is left as given, unchecked.
                    "orderRef": {"value": ""},
                    // Not a field: kept as it is.
                    "extra": {"value": 7}
                }
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{instance}");
    assert_eq!(instance["businessKey"], "order-1");
    assert_eq!(instance["definitionId"], id.as_str());
    assert_eq!(instance["ended"], false);
    let inst = instance["id"].as_str().unwrap();
    assert_eq!(
        instance["links"][0]["href"],
        format!("{}/process-instance/{inst}", s.url)
    );
    let (_, vars) = s.get(&format!("/process-instance/{inst}/variables")).await;
    let typed = |name: &str| (vars[name]["type"].clone(), vars[name]["value"].clone());
    assert_eq!(typed("customer"), (json!("String"), json!("Ann")));
    assert_eq!(typed("amount"), (json!("Long"), json!(500)));
    assert_eq!(typed("quantity"), (json!("Long"), json!(3)));
    assert_eq!(typed("express"), (json!("Boolean"), json!(true)));
    assert_eq!(
        typed("due"),
        (json!("Date"), json!("2026-03-01T00:00:00.000+0000"))
    );
    // A field not submitted takes its default.
    assert_eq!(typed("size"), (json!("String"), json!("m")));
    assert_eq!(typed("orderRef"), (json!("String"), json!("")));
    assert_eq!(typed("extra"), (json!("Integer"), json!(7)));
    assert!(vars.get("note").is_none(), "{vars}");
}

#[tokio::test]
async fn a_bad_submission_is_a_400_naming_the_field_and_starts_nothing() {
    let s = server().await;
    let id = s.deploy_model("order", &model("order", ORDER_FORM)).await;
    let prefix = format!("Cannot instantiate process definition {id}: ");
    let invalid = |field: &str, rest: &str| {
        format!("{prefix}Invalid value submitted for form field '{field}': {rest}")
    };
    let failed = |field: &str, constraint: &str| {
        invalid(field, &format!("validation of {constraint} failed."))
    };
    let customer = json!({"value": "Ann"});
    for (variables, message) in [
        (json!({}), failed("customer", "required")),
        (
            json!({"customer": {"value": ""}}),
            failed("customer", "required"),
        ),
        (
            json!({"customer": {"value": "A"}}),
            failed("customer", "minlength(2)"),
        ),
        (
            json!({"customer": {"value": "Annabel Lee!"}}),
            failed("customer", "maxlength(10)"),
        ),
        // max is strictly below its configuration; min is at least it.
        (
            json!({"customer": customer, "amount": {"value": 1000}}),
            failed("amount", "max(1000)"),
        ),
        (
            json!({"customer": customer, "amount": {"value": 0}}),
            failed("amount", "min(1)"),
        ),
        // The constraints check the value as given, before it converts: text is
        // not a number.
        (
            json!({"customer": customer, "amount": {"value": "12"}}),
            failed("amount", "min(1)"),
        ),
        (
            json!({"customer": customer, "quantity": {"value": "many"}}),
            invalid("quantity", "For input string: \"many\""),
        ),
        (
            json!({"customer": customer, "due": {"value": "01/03/2026"}}),
            invalid(
                "due",
                "Could not parse value '01/03/2026' as date using date format 'yyyy-MM-dd'.",
            ),
        ),
        (
            json!({"customer": customer, "size": {"value": "xl"}}),
            invalid("size", "Invalid value for enum form property: xl"),
        ),
        (
            json!({"customer": customer, "note": {"value": "mine"}}),
            failed("note", "readonly"),
        ),
    ] {
        let (status, body) = s
            .post(
                &format!("/process-definition/{id}/submit-form"),
                json!({ "variables": variables }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{variables}: {body}");
        assert_eq!(
            body,
            json!({"type": "RestException", "message": message, "code": 0}),
            "{variables}"
        );
    }
    // A value at the edge passes.
    let (status, body) = s
        .post(
            "/process-definition/key/order/submit-form",
            json!({"variables": {"customer": customer, "amount": {"value": 999}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(instances(&s).await, 1);

    let (status, body) = s
        .post("/process-definition/nope/submit-form", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Cannot instantiate process definition nope: "),
        "{body}"
    );
}

/// `GET path` as raw bytes with its content type.
async fn raw(s: &Server, path: &str) -> (StatusCode, String, String) {
    let response = s
        .http
        .get(format!("{}{path}", s.url))
        .send()
        .await
        .expect("an answer");
    let status = response.status();
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("a content type")
        .to_owned();
    (status, content_type, response.text().await.expect("a body"))
}

#[tokio::test]
async fn camunda_forms_deploy_beside_models_and_are_found_by_each_binding() {
    let s = server().await;
    let latest = start_model(
        "latest",
        r#"camunda:formRef="invoice" camunda:formRefBinding="latest""#,
    );
    let deployment = start_model(
        "deployment",
        r#"camunda:formRef="invoice" camunda:formRefBinding="deployment""#,
    );
    let version = start_model(
        "version",
        r#"camunda:formRef="invoice" camunda:formRefBinding="version" camunda:formRefVersion="1""#,
    );
    let keyed = start_model(
        "keyed",
        r#"camunda:formKey="camunda-forms:deployment:invoice.form""#,
    );
    let (status, body) = s
        .deploy(
            "invoices",
            &[
                ("invoice.form", &form("invoice", "first")),
                ("latest.bpmn", &latest),
                ("deployment.bpmn", &deployment),
                ("version.bpmn", &version),
                ("keyed.bpmn", &keyed),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A deployment of a form alone is one too; it is the form's second version.
    let (status, body) = s
        .deploy(
            "invoice form",
            &[("invoice.form", &form("invoice", "second"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (_, body) = s.get("/process-definition/key/latest/startForm").await;
    assert_eq!(
        body,
        json!({"key": null, "contextPath": null,
               "camundaFormRef": {"key": "invoice", "binding": "latest", "version": null}})
    );
    let (_, body) = s.get("/process-definition/key/version/startForm").await;
    assert_eq!(
        body["camundaFormRef"],
        json!({"key": "invoice", "binding": "version", "version": 1})
    );
    let (_, body) = s.get("/process-definition/key/keyed/startForm").await;
    assert_eq!(
        body,
        json!({"key": "camunda-forms:deployment:invoice.form", "camundaFormRef": null,
               "contextPath": null})
    );

    for (key, text) in [
        ("latest", "second"),
        ("deployment", "first"),
        ("version", "first"),
        ("keyed", "first"),
    ] {
        let (status, schema) = s
            .get(&format!(
                "/process-definition/key/{key}/deployed-start-form"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{key}: {schema}");
        assert_eq!(schema["id"], "invoice", "{key}");
        assert_eq!(schema["components"][0]["text"], text, "{key}");
    }

    // A start form with a Camunda Form has no fields: variables go in as given.
    let (status, body) = s
        .post(
            "/process-definition/key/latest/submit-form",
            json!({"variables": {"approved": {"value": true}}, "businessKey": "inv-9"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ended"], true);
    let (_, vars) = s
        .get(&format!(
            "/history/variable-instance?processInstanceId={}",
            body["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(vars[0]["name"], "approved");
}

#[tokio::test]
async fn deployed_start_forms_answer_camundas_errors_and_embedded_forms() {
    let s = server().await;
    let (status, body) = s
        .deploy(
            "misc",
            &[
                ("plain.bpmn", &start_model("plain", "")),
                (
                    "missing.bpmn",
                    &start_model(
                        "missing",
                        r#"camunda:formRef="nope" camunda:formRefBinding="latest""#,
                    ),
                ),
                (
                    "app.bpmn",
                    &start_model("app", r#"camunda:formKey="embedded:app:forms/start.html""#),
                ),
                (
                    "embedded.bpmn",
                    &start_model(
                        "embedded",
                        r#"camunda:formKey="embedded:deployment:start.html""#,
                    ),
                ),
                ("start.html", "<form role=\"form\"></form>"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // No form at all: Camunda answers an empty form, and 400 for its deployed form.
    let (_, body) = s.get("/process-definition/key/plain/startForm").await;
    assert_eq!(
        body,
        json!({"key": null, "camundaFormRef": null, "contextPath": null})
    );
    for (key, status, message) in [
        (
            "plain",
            StatusCode::BAD_REQUEST,
            "One of the attributes 'formKey' and 'camunda:formRef' must be supplied but none were set.",
        ),
        (
            "app",
            StatusCode::BAD_REQUEST,
            "The form key 'embedded:app:forms/start.html' does not reference a deployed form.",
        ),
        (
            "missing",
            StatusCode::NOT_FOUND,
            "No Camunda Form Definition was found for Camunda Form Ref: \
             CamundaFormRefImpl [key=nope, binding=latest, version=null]",
        ),
    ] {
        let (got, body) = s
            .get(&format!(
                "/process-definition/key/{key}/deployed-start-form"
            ))
            .await;
        assert_eq!(got, status, "{key}: {body}");
        assert_eq!(
            body,
            json!({"type": "InvalidRequestException", "message": message, "code": null}),
            "{key}"
        );
    }
    // An embedded form deployed with the model is served as Camunda serves it.
    let (status, content_type, text) =
        raw(&s, "/process-definition/key/embedded/deployed-start-form").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/xhtml+xml");
    assert_eq!(text, "<form role=\"form\"></form>");
    let (status, body) = s.get("/process-definition/nope/deployed-start-form").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // No generated fields, no rendered form; no definition, a 404 too.
    let (status, body) = s
        .get("/process-definition/key/embedded/rendered-form")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("No matching rendered start form for process definition with the id"),
        "{body}"
    );
    let (status, body) = s.get("/process-definition/nope/rendered-form").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn tenants_have_their_own_start_form_routes() {
    let s = server().await;
    let mut form_data = reqwest::multipart::Form::new()
        .text("deployment-name", "tenant")
        .text("tenant-id", "t1");
    for (name, content) in [
        ("invoice.form", form("invoice", "tenant")),
        (
            "p.bpmn",
            start_model(
                "p",
                r#"camunda:formRef="invoice" camunda:formRefBinding="deployment""#,
            ),
        ),
    ] {
        form_data = form_data.part(
            name,
            reqwest::multipart::Part::bytes(content.into_bytes()).file_name(name),
        );
    }
    let response = s
        .http
        .post(format!("{}/deployment/create", s.url))
        .multipart(form_data)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, schema) = s
        .get("/process-definition/key/p/tenant-id/t1/deployed-start-form")
        .await;
    assert_eq!(status, StatusCode::OK, "{schema}");
    assert_eq!(schema["components"][0]["text"], "tenant");
    let (status, body) = s
        .post(
            "/process-definition/key/p/tenant-id/t1/submit-form",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tenantId"], "t1");
    let (status, _) = s.get("/process-definition/key/p/startForm").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_bad_form_file_fails_the_whole_deployment_naming_it() {
    let s = server().await;
    let (status, body) = s
        .deploy(
            "broken",
            &[
                ("p.bpmn", &start_model("p", "")),
                ("broken.form", "{\n  \"id\": \"x\",\n  components: []\n}"),
                ("anonymous.form", &json!({"components": []}).to_string()),
                ("twin.form", &form("x", "twin")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["type"], "ParseException");
    let details = body["details"].as_object().unwrap();
    let names: Vec<&String> = details.keys().collect();
    assert_eq!(names, ["anonymous.form", "broken.form"]);
    let broken = &details["broken.form"]["errors"][0];
    assert_eq!(broken["line"], 3);
    assert!(
        broken["message"]
            .as_str()
            .unwrap()
            .starts_with("Could not parse Camunda Form resource broken.form. Cause: "),
        "{broken}"
    );
    assert!(
        details["anonymous.form"]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no \"id\""),
        "{body}"
    );
    // Nothing was deployed.
    let (_, count) = s.get("/process-definition/count").await;
    assert_eq!(count["count"], 0);
    let (_, deployments) = s.get("/deployment").await;
    assert_eq!(deployments, Value::Array(vec![]));
}
