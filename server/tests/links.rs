//! The ids that link one record to another, as Camunda's tools follow them: the root
//! instance of every activity in history, and the job definition of every timer job.

mod common;

use std::collections::BTreeSet;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `parent` calls `child`, which waits at a timer, then ends.
fn models() -> (String, String) {
    let child = model(
        "child",
        r#"<bpmn:startEvent id="cs" /><bpmn:sequenceFlow id="c1" sourceRef="cs" targetRef="wait" />
           <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
           <bpmn:sequenceFlow id="c2" sourceRef="wait" targetRef="ce" /><bpmn:endEvent id="ce" />"#,
    );
    let parent = model(
        "parent",
        r#"<bpmn:startEvent id="ps" /><bpmn:sequenceFlow id="p1" sourceRef="ps" targetRef="call" />
           <bpmn:callActivity id="call" calledElement="child" />
           <bpmn:sequenceFlow id="p2" sourceRef="call" targetRef="pe" /><bpmn:endEvent id="pe" />"#,
    );
    (parent, child)
}

fn strings(list: &Value, key: &str) -> BTreeSet<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|v| v[key].as_str().unwrap_or("null").to_owned())
        .collect()
}

#[tokio::test]
async fn history_names_each_activitys_root_instance_and_jobs_their_job_definition() {
    let s = server_manual().await;
    let (parent, child) = models();
    s.deploy_model("child", &child).await;
    s.deploy_model("parent", &parent).await;
    let first = s.start("parent", json!({})).await;
    let second = s.start("parent", json!({})).await;

    let (_, children) = s
        .get(&format!("/process-instance?superProcessInstance={first}"))
        .await;
    let called = children[0]["id"]
        .as_str()
        .expect("a called instance")
        .to_owned();
    for (instance, root) in [(&first, &first), (&called, &first), (&second, &second)] {
        let (status, acts) = s
            .get(&format!(
                "/history/activity-instance?processInstanceId={instance}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(!acts.as_array().expect("a list").is_empty());
        assert_eq!(
            strings(&acts, "rootProcessInstanceId"),
            BTreeSet::from([root.clone()]),
            "{acts}"
        );
    }

    // Both instances' timers are jobs of the same job definition.
    let (_, jobs) = s.get("/job").await;
    assert_eq!(jobs.as_array().expect("a list").len(), 2);
    let definitions = strings(&jobs, "jobDefinitionId");
    assert_eq!(definitions.len(), 1, "{jobs}");
    let definition = definitions.into_iter().next().expect("one");
    assert_ne!(definition, "null");
    let (_, same) = s.get(&format!("/job?jobDefinitionId={definition}")).await;
    assert_eq!(same.as_array().expect("a list").len(), 2);
    let (_, none) = s.get("/job?jobDefinitionId=another").await;
    assert_eq!(none, json!([]));

    // A new version of the child has a job definition of its own.
    s.deploy_model("child", &child.replace("PT1H", "PT2H"))
        .await;
    s.start("parent", json!({})).await;
    let (_, jobs) = s.get("/job").await;
    assert_eq!(strings(&jobs, "jobDefinitionId").len(), 2, "{jobs}");
    s.shutdown().await;
}
