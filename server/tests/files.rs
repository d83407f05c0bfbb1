//! `File` variables as Camunda's clients send and read them, over real HTTP on a
//! real database file: the bytes go in base64 with a filename, MIME type and
//! encoding, come back as `null` with their `valueInfo`, and are served by `/data`.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

const INVOICE: &[u8] = b"Invoice 42: 3 rubber ducks, \xe2\x82\xac 12.00\n";

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn file_variables_are_stored_answered_without_bytes_and_served_by_data() {
    let s = server().await;
    s.deploy_model("order", &tasks_model("order", &["invoice", "archive"]))
        .await;
    let inst = s.start("order", json!({})).await;
    let tasks = s.fetch("w", "invoice").await;
    let task = tasks[0]["id"].as_str().expect("a task id").to_owned();
    // As the JavaScript client sends it: lower-case type, its own `mimetype` key
    // (which Camunda ignores) beside Camunda's `mimeType`.
    let (status, body) = s
        .post(
            &format!("/external-task/{task}/complete"),
            json!({"workerId": "w", "variables": {"invoice": {
                "type": "file",
                "value": base64(INVOICE),
                "valueInfo": {"filename": "invoice.txt", "mimeType": "text/plain",
                              "mimetype": "text/plain", "encoding": "UTF-8"}
            }}}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let (status, var) = s
        .get(&format!("/process-instance/{inst}/variables/invoice"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        var,
        json!({"type": "File", "value": null, "valueInfo": {
            "filename": "invoice.txt", "mimeType": "text/plain", "encoding": "UTF-8"}})
    );
    // The next worker gets it the same way.
    let tasks = s.fetch("w", "archive").await;
    assert_eq!(tasks[0]["variables"]["invoice"], var);

    for path in [
        format!("/process-instance/{inst}/variables/invoice/data"),
        format!("/execution/{inst}/localVariables/invoice/data"),
    ] {
        let response = s
            .http
            .get(format!("{}{path}", s.url))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "text/plain; charset=UTF-8");
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"invoice.txt\""
        );
        assert_eq!(response.bytes().await.expect("the bytes").as_ref(), INVOICE);
    }
    let (status, local) = s.get(&format!("/execution/{inst}/localVariables")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(local["invoice"], var);
    let (status, _) = s
        .get(&format!("/execution/{inst}/localVariables/nothing/data"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // History keeps it as a File too.
    let (_, history) = s
        .get(&format!(
            "/history/variable-instance?processInstanceId={inst}&variableName=invoice"
        ))
        .await;
    assert_eq!(history[0]["type"], "File");
    assert_eq!(history[0]["valueInfo"]["filename"], "invoice.txt");

    // Without a filename, as Camunda, a 400 that says so; nothing changes.
    let (status, body) = s
        .put(
            &format!("/process-instance/{inst}/variables/other"),
            json!({"type": "File", "value": base64(b"x"), "valueInfo": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .expect("a message")
            .contains("Cannot create file without filename"),
        "{body}"
    );
    let (status, _) = s
        .get(&format!("/process-instance/{inst}/variables/other"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.shutdown().await;
}
