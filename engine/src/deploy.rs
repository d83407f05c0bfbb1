//! Deployments: parsing resources, versioning definitions (processes and Camunda
//! Forms), duplicate filtering.

use std::collections::HashMap;
use std::sync::Arc;

use baton_bpmn::model::Process;
use baton_bpmn::{Code, Position, Problem};
use rusqlite::{OptionalExtension, params};

use crate::command::Ctx;
use crate::error::{Error, InvalidResource, Result};
use crate::graph::{Cache, Graph};
use crate::types::{Deployment, DeploymentResult, NewDeployment, ProcessDefinition};

/// What a resource deploys.
#[derive(Debug, Clone)]
pub(crate) enum Resource {
    /// A BPMN model.
    Bpmn {
        /// The definitions' `targetNamespace`: each definition's category, as in Camunda.
        target_namespace: Option<String>,
        /// Its executable processes.
        processes: Vec<Process>,
    },
    /// A Camunda Form (`.form`, form-js JSON), deployed under the `id` in it.
    Form {
        /// Its key: the form's `id`.
        key: String,
    },
}

/// What each BPMN or form resource deploys, by resource index.
pub(crate) type Parsed = HashMap<usize, Resource>;

fn is_bpmn(name: &str) -> bool {
    name.ends_with(".bpmn") || name.ends_with(".bpmn20.xml")
}

/// Whether Camunda deploys a resource as a Camunda Form (`CamundaFormDefinitionDeployer`).
fn is_form(name: &str) -> bool {
    name.ends_with(".form")
}

/// A Camunda Form's key: the `id` of the form-js JSON object in `bytes` (a
/// string, or a number taken as its text, as Camunda's Gson reads it), or the
/// problem that stops the resource from deploying. Camunda would deploy a form
/// without an `id` under the key `""`, which no reference can name; Baton
/// refuses it.
fn form_key(name: &str, bytes: &[u8]) -> Result<String, Problem> {
    let json: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        Problem::new(
            Code::InvalidValue,
            Position {
                line: u32::try_from(e.line()).unwrap_or(u32::MAX).max(1),
                column: u32::try_from(e.column()).unwrap_or(u32::MAX).max(1),
            },
            None,
            format!("Could not parse Camunda Form resource {name}. Cause: {e}"),
        )
    })?;
    let start = Position { line: 1, column: 1 };
    let Some(form) = json.as_object() else {
        return Err(Problem::new(
            Code::InvalidValue,
            start,
            None,
            format!(
                "Could not parse Camunda Form resource {name}. Cause: a Camunda Form is a JSON \
                 object, not {}",
                match json {
                    serde_json::Value::Array(_) => "an array",
                    serde_json::Value::String(_) => "a string",
                    serde_json::Value::Number(_) => "a number",
                    serde_json::Value::Bool(_) => "a boolean",
                    _ => "null",
                }
            ),
        ));
    };
    let key = match form.get("id") {
        Some(serde_json::Value::String(id)) => id.clone(),
        Some(serde_json::Value::Number(id)) => id.to_string(),
        _ => String::new(),
    };
    if key.is_empty() {
        return Err(Problem::new(
            Code::MissingAttribute,
            start,
            None,
            format!(
                "the Camunda Form in {name} has no \"id\"; a form is deployed under its id, \
                 which camunda:formRef names (Camunda Modeler sets it in the form's properties)"
            ),
        ));
    }
    Ok(key)
}

/// What a resource Camunda would deploy as a decision (`DecisionDefinitionDeployer`)
/// or a case (`CmmnDeployer`) holds; Baton runs neither.
fn not_run(name: &str) -> Option<&'static str> {
    if name.ends_with(".dmn") || name.ends_with(".dmn11.xml") {
        Some("decisions (DMN)")
    } else if [".cmmn", ".cmmn10.xml", ".cmmn11.xml"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
    {
        Some("cases (CMMN)")
    } else {
        None
    }
}

/// Parses and validates every resource, and refuses the deployment with the
/// problems of every invalid one (so a user fixes them all in one round trip):
/// BPMN models with errors, Camunda Forms that are not JSON or have no `id` (or
/// share one with another form of the deployment, as Camunda refuses), and
/// decision and case models, which Baton would deploy and never run. Other
/// resources (HTML forms, scripts, images) are stored as they are.
pub(crate) fn parse_resources(d: &NewDeployment) -> Result<Parsed> {
    if d.resources.is_empty() {
        return Err(Error::Invalid(
            "a deployment needs at least one resource".into(),
        ));
    }
    let mut out = HashMap::new();
    let mut invalid = Vec::new();
    for (i, (name, bytes)) in d.resources.iter().enumerate() {
        if d.resources[..i].iter().any(|(n, _)| n == name) {
            return Err(Error::Invalid(format!("resource '{name}' is given twice")));
        }
        if let Some(what) = not_run(name) {
            invalid.push(InvalidResource {
                resource: name.clone(),
                problems: vec![Problem::new(
                    Code::UnsupportedElement,
                    root_position(bytes),
                    None,
                    format!(
                        "'{name}' holds {what}, which Baton does not run; deploy it to Camunda, \
                         or do the work in a worker behind an external task"
                    ),
                )],
            });
            continue;
        }
        if is_form(name) {
            match form_key(name, bytes) {
                Ok(key) => {
                    let twin = out
                        .values()
                        .any(|r| matches!(r, Resource::Form { key: k } if *k == key));
                    if twin {
                        invalid.push(InvalidResource {
                            resource: name.clone(),
                            problems: vec![Problem::new(
                                Code::DuplicateId,
                                Position { line: 1, column: 1 },
                                None,
                                format!(
                                    "The deployment contains definitions with the same key '{key}' \
                                     (id attribute), this is not allowed"
                                ),
                            )],
                        });
                    } else {
                        out.insert(i, Resource::Form { key });
                    }
                }
                Err(problem) => invalid.push(InvalidResource {
                    resource: name.clone(),
                    problems: vec![problem],
                }),
            }
            continue;
        }
        if !is_bpmn(name) {
            continue;
        }
        match baton_bpmn::parse_bytes(bytes, &baton_bpmn::Limits::default()) {
            Ok(parsed) => {
                out.insert(
                    i,
                    Resource::Bpmn {
                        target_namespace: parsed.definitions.target_namespace,
                        processes: parsed
                            .definitions
                            .processes
                            .into_iter()
                            .filter(|p| p.is_executable)
                            .collect(),
                    },
                );
            }
            Err(e) => invalid.push(InvalidResource {
                resource: name.clone(),
                problems: e.problems().to_vec(),
            }),
        }
    }
    if invalid.is_empty() {
        Ok(out)
    } else {
        Err(Error::invalid_deployment(invalid))
    }
}

/// Where the root element of an XML document starts (after the declaration,
/// comments and a DOCTYPE), or 1:1 when there is none.
fn root_position(bytes: &[u8]) -> Position {
    let text = String::from_utf8_lossy(bytes);
    let mut rest = 0;
    while let Some(at) = text[rest..].find('<').map(|at| rest + at) {
        let tail = &text[at..];
        let skip_to = if tail.starts_with("<?") {
            tail.find("?>").map(|e| e + 2)
        } else if tail.starts_with("<!--") {
            tail.find("-->").map(|e| e + 3)
        } else if tail.starts_with("<!") {
            tail.find('>').map(|e| e + 1)
        } else {
            let before = &text[..at];
            let line = before.matches('\n').count() + 1;
            let column = before
                .rfind('\n')
                .map_or(before, |nl| &before[nl + 1..])
                .chars()
                .count()
                + 1;
            return Position {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
            };
        };
        match skip_to {
            Some(n) => rest = at + n,
            None => break,
        }
    }
    Position { line: 1, column: 1 }
}

/// Stores a deployment and versions its processes and Camunda Forms.
pub(crate) fn deploy(
    ctx: &mut Ctx<'_, '_>,
    cache: &Cache,
    d: NewDeployment,
    mut parsed: Parsed,
) -> Result<DeploymentResult> {
    let conn = ctx.conn;
    // Duplicate filtering compares with the latest deployment of the same name.
    let mut unchanged = vec![false; d.resources.len()];
    if d.duplicate_filtering || d.changed_only {
        if let Some(name) = &d.name {
            let previous: Option<(String, Option<String>, Option<String>, i64)> = conn
                .prepare_cached(
                    "SELECT id, source, tenant_id, deploy_time FROM deployment WHERE name = ?1 \
                     AND tenant_id IS ?2 ORDER BY deploy_time DESC, rowid DESC LIMIT 1",
                )?
                .query_row(params![name, d.tenant_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            if let Some((prev_id, source, tenant, time)) = previous {
                for (i, (res, bytes)) in d.resources.iter().enumerate() {
                    let old: Option<Vec<u8>> = conn
                        .prepare_cached(
                            "SELECT bytes FROM resource WHERE deployment_id = ?1 AND name = ?2",
                        )?
                        .query_row(params![prev_id, res], |r| r.get(0))
                        .optional()?;
                    unchanged[i] = old.as_deref() == Some(bytes.as_slice());
                }
                if unchanged.iter().all(|u| *u) {
                    return Ok(DeploymentResult {
                        deployment: Deployment {
                            id: prev_id,
                            name: d.name.clone(),
                            source,
                            tenant_id: tenant,
                            deployment_time: time,
                        },
                        definitions: Vec::new(),
                    });
                }
                if !d.changed_only {
                    unchanged.iter_mut().for_each(|u| *u = false);
                }
            }
        }
    }
    let deployment = Deployment {
        id: crate::new_id(),
        name: d.name.clone(),
        source: d.source.clone(),
        tenant_id: d.tenant_id.clone(),
        deployment_time: ctx.now,
    };
    conn.prepare_cached(
        "INSERT INTO deployment (id, name, source, tenant_id, deploy_time) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        deployment.id,
        deployment.name,
        deployment.source,
        deployment.tenant_id,
        deployment.deployment_time
    ])?;
    let mut definitions = Vec::new();
    for (i, (name, bytes)) in d.resources.iter().enumerate() {
        conn.prepare_cached(
            "INSERT INTO resource (deployment_id, name, bytes) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![deployment.id, name, bytes])?;
        if unchanged[i] {
            continue;
        }
        let (target_namespace, processes) = match parsed.remove(&i) {
            Some(Resource::Bpmn {
                target_namespace,
                processes,
            }) => (target_namespace, processes),
            Some(Resource::Form { key }) => {
                crate::forms_store::insert_form(conn, &key, &deployment.id, name, &d.tenant_id)?;
                continue;
            }
            None => continue,
        };
        for process in processes {
            let latest: Option<i64> = conn
                .prepare_cached(
                    "SELECT MAX(version) FROM process_definition WHERE key = ?1 AND tenant_id IS ?2",
                )?
                .query_row(params![process.id, d.tenant_id], |r| r.get(0))?;
            let version = latest.unwrap_or(0) + 1;
            let id = format!("{}:{version}:{}", process.id, crate::new_id());
            let ttl = process
                .history_time_to_live
                .as_deref()
                .and_then(history_time_to_live);
            let def = ProcessDefinition {
                id: id.clone(),
                key: process.id.clone(),
                version,
                name: process.name.clone(),
                deployment_id: deployment.id.clone(),
                resource_name: name.clone(),
                version_tag: process.version_tag.clone(),
                tenant_id: d.tenant_id.clone(),
                suspended: false,
                startable_in_tasklist: process.is_startable_in_tasklist,
                history_time_to_live: ttl,
                category: target_namespace.clone(),
            };
            conn.prepare_cached(
                "INSERT INTO process_definition (id, key, version, name, deployment_id, resource_name, \
                 version_tag, tenant_id, history_ttl, startable, digest, category) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                def.id,
                def.key,
                def.version,
                def.name,
                def.deployment_id,
                def.resource_name,
                def.version_tag,
                def.tenant_id,
                def.history_time_to_live,
                def.startable_in_tasklist,
                format!("{:016x}", fnv1a(bytes)),
                def.category,
            ])?;
            let graph = Arc::new(Graph::new(
                id,
                version,
                deployment.id.clone(),
                d.tenant_id.clone(),
                process,
            ));
            cache.insert(graph.clone());
            ctx.arm_start_events(&graph)?;
            definitions.push(def);
        }
    }
    Ok(DeploymentResult {
        deployment,
        definitions,
    })
}

/// `camunda:historyTimeToLive` in days, as Camunda's `ParseUtil` reads it: a
/// whole number of days or a period of days (`P180D`). An expression, which
/// Camunda cannot read either, gives none.
fn history_time_to_live(text: &str) -> Option<i64> {
    let text = text.trim();
    let days = text
        .strip_prefix('P')
        .and_then(|t| t.strip_suffix('D'))
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(text);
    days.parse::<i32>().ok().filter(|d| *d >= 0).map(i64::from)
}

/// FNV-1a, 64 bits: a digest that stays the same across Rust releases.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Deletes a deployment with its resources, process definitions and forms. With `cascade`, running
/// instances of its definitions are cancelled first and the history of every
/// instance of them is removed, as Camunda's cascading delete does; without it, a
/// running instance refuses the deletion.
pub(crate) fn delete(ctx: &mut Ctx<'_, '_>, cache: &Cache, id: &str, cascade: bool) -> Result<()> {
    let exists: Option<String> = ctx
        .conn
        .prepare_cached("SELECT id FROM deployment WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if exists.is_none() {
        return Err(Error::NotFound(format!(
            "Deployment with id '{id}' does not exist"
        )));
    }
    let definitions: Vec<String> = ctx
        .conn
        .prepare_cached("SELECT id FROM process_definition WHERE deployment_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for def in &definitions {
        let running: Vec<String> = ctx
            .conn
            .prepare_cached("SELECT id FROM process_instance WHERE definition_id = ?1")?
            .query_map([def], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if !running.is_empty() && !cascade {
            return Err(Error::Invalid(format!(
                "Deletion of process definition without cascading failed: {} running \
                 process instance(s) of definition {def} exist; delete with cascade=true",
                running.len()
            )));
        }
        for instance in running {
            // A called instance may have gone with its caller already.
            let still_running: bool = ctx
                .conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM process_instance WHERE id = ?1)")?
                .query_row([&instance], |r| r.get(0))?;
            if still_running {
                ctx.step(&instance, |run| {
                    run.cancel(
                        crate::runtime::EndState::ExternallyTerminated,
                        Some("deployment deleted".into()),
                    );
                })?;
            }
        }
    }
    // The cancellations' history is written with the group, after the deletes
    // below: it only updates rows, which are gone by then for these instances.
    for def in &definitions {
        if cascade {
            for table in [
                "hi_activity_instance",
                "hi_variable",
                "hi_variable_update",
                "hi_incident",
                "hi_task",
                "hi_identity_link",
                "task_comment",
            ] {
                ctx.conn
                    .prepare_cached(&format!(
                        "DELETE FROM {table} WHERE instance_id IN \
                         (SELECT id FROM hi_process_instance WHERE definition_id = ?1)"
                    ))?
                    .execute([def])?;
            }
            ctx.conn
                .prepare_cached("DELETE FROM hi_process_instance WHERE definition_id = ?1")?
                .execute([def])?;
        }
        ctx.disarm_definition(def)?;
        cache.remove(def);
    }
    ctx.conn
        .prepare_cached("DELETE FROM process_definition WHERE deployment_id = ?1")?
        .execute([id])?;
    ctx.conn
        .prepare_cached("DELETE FROM form_definition WHERE deployment_id = ?1")?
        .execute([id])?;
    ctx.conn
        .prepare_cached("DELETE FROM resource WHERE deployment_id = ?1")?
        .execute([id])?;
    ctx.conn
        .prepare_cached("DELETE FROM deployment WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_time_to_live_reads_days_or_a_period_of_days() {
        assert_eq!(history_time_to_live("P180D"), Some(180));
        assert_eq!(history_time_to_live("30"), Some(30));
        assert_eq!(history_time_to_live(" 0 "), Some(0));
        assert_eq!(history_time_to_live("PT5H"), None);
        assert_eq!(history_time_to_live("P1Y"), None);
        assert_eq!(history_time_to_live("PD"), None);
        assert_eq!(history_time_to_live("${ttl}"), None);
        assert_eq!(history_time_to_live("-1"), None);
    }

    #[test]
    fn the_root_element_is_found_past_the_prologue() {
        let at = |xml: &str| {
            let p = root_position(xml.as_bytes());
            (p.line, p.column)
        };
        assert_eq!(
            at("<?xml version=\"1.0\"?>\n<!-- a <comment> -->\n  <definitions id=\"d\"/>"),
            (3, 3)
        );
        assert_eq!(at("<definitions/>"), (1, 1));
        assert_eq!(at("not xml"), (1, 1));
    }

    #[test]
    fn a_camunda_form_is_keyed_by_its_id_and_refused_without_one() {
        assert_eq!(
            form_key("a.form", br#"{"id": "invoice", "components": []}"#),
            Ok("invoice".to_owned())
        );
        assert_eq!(form_key("a.form", br#"{"id": 7}"#), Ok("7".to_owned()));
        let bad = form_key("a.form", b"{\n  \"id\": \"x\",\n  oops\n}").unwrap_err();
        assert_eq!((bad.position.line, bad.code), (3, Code::InvalidValue));
        assert!(
            bad.message
                .starts_with("Could not parse Camunda Form resource a.form. Cause: "),
            "{}",
            bad.message
        );
        for (json, says) in [
            (&b"[]"[..], "not an array"),
            (br#"{"components": []}"#, "has no \"id\""),
            (br#"{"id": ""}"#, "has no \"id\""),
        ] {
            let problem = form_key("a.form", json).unwrap_err();
            assert!(problem.message.contains(says), "{}", problem.message);
        }
        let twice = NewDeployment {
            resources: vec![
                ("a.form".into(), br#"{"id": "f"}"#.to_vec()),
                ("b.form".into(), br#"{"id": "f"}"#.to_vec()),
            ],
            ..NewDeployment::default()
        };
        let err = parse_resources(&twice).unwrap_err();
        assert!(err.to_string().contains("same key 'f'"), "{err}");
    }

    #[test]
    fn decisions_and_cases_are_refused_with_every_invalid_model() {
        let d = NewDeployment {
            resources: vec![
                ("a.dmn".into(), b"<definitions/>".to_vec()),
                ("b.bpmn".into(), b"<nope/>".to_vec()),
                ("c.cmmn11.xml".into(), b"<definitions/>".to_vec()),
                ("form.html".into(), b"<form/>".to_vec()),
            ],
            ..NewDeployment::default()
        };
        let err = parse_resources(&d).expect_err("refused");
        let names: Vec<&str> = err.invalid_resources().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["a.dmn", "b.bpmn", "c.cmmn11.xml"]);
        let text = err.to_string();
        assert!(
            text.contains("decisions (DMN)") && text.contains("cases (CMMN)"),
            "{text}"
        );
    }
}
