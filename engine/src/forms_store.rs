//! Forms in the store and the engine calls around them: Camunda Forms deployed
//! from `.form` resources (one `form_definition` row each, versioned per key and
//! tenant), the lookups of `camunda:formRef` bindings and `deployment:` form
//! keys, and start forms (their data, variables and submission).
//!
//! The rules themselves are in [`crate::form`]; this module finds what they
//! apply to.

use std::sync::Arc;

use baton_bpmn::model::{EventDefinition, NodeKind, Process, StartEvent};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Engine;
use crate::command::load_graph;
use crate::error::{Error, Result};
use crate::form::{
    self, CamundaFormDefinition, CamundaFormRef, DeployedForm, ExprScope, FormInfo, FormVariable,
    StartForm,
};
use crate::graph::Graph;
use crate::limits;
use crate::types::{DefinitionRef, ProcessInstance, Variables};
use crate::value::Value;

/// `application/json`: a Camunda Form.
const JSON: &str = "application/json";
/// `application/xhtml+xml`: any other deployed form (an embedded HTML form).
const XHTML: &str = "application/xhtml+xml";

const FORM_COLUMNS: &str = "id, key, version, deployment_id, resource_name, tenant_id";

fn form_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<CamundaFormDefinition> {
    Ok(CamundaFormDefinition {
        id: r.get(0)?,
        key: r.get(1)?,
        version: r.get(2)?,
        deployment_id: r.get(3)?,
        resource_name: r.get(4)?,
        tenant_id: r.get(5)?,
    })
}

/// Stores a deployed Camunda Form as the next version of `key` in `tenant`.
pub(crate) fn insert_form(
    conn: &Connection,
    key: &str,
    deployment_id: &str,
    resource_name: &str,
    tenant: &Option<String>,
) -> Result<()> {
    let latest: Option<i64> = conn
        .prepare_cached(
            "SELECT MAX(version) FROM form_definition WHERE key = ?1 AND tenant_id IS ?2",
        )?
        .query_row(params![key, tenant], |r| r.get(0))?;
    let version = latest.unwrap_or(0) + 1;
    conn.prepare_cached(
        "INSERT INTO form_definition (id, key, version, deployment_id, resource_name, tenant_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        format!("{key}:{version}:{}", crate::new_id()),
        key,
        version,
        deployment_id,
        resource_name,
        tenant
    ])?;
    Ok(())
}

/// The Camunda Form `form_ref` names, as Camunda's `GetCamundaFormDefinitionCmd`
/// finds it: `latest` the newest version of its key (an error when several
/// tenants have one), `deployment` the one deployed with `deployment_id`,
/// `version` that version among forms without a tenant.
fn find_form(
    conn: &Connection,
    form_ref: &CamundaFormRef,
    deployment_id: &str,
) -> Result<Option<CamundaFormDefinition>> {
    match form_ref.binding.as_str() {
        "latest" => {
            let found: Vec<CamundaFormDefinition> = conn
                .prepare_cached(&format!(
                    "SELECT {FORM_COLUMNS} FROM form_definition f WHERE key = ?1 AND version = \
                     (SELECT MAX(version) FROM form_definition g \
                      WHERE g.key = f.key AND g.tenant_id IS f.tenant_id)"
                ))?
                .query_map([&form_ref.key], form_from)?
                .collect::<rusqlite::Result<_>>()?;
            if found.len() > 1 {
                return Err(Error::Invalid(format!(
                    "ENGINE-03109 Cannot resolve a unique Camunda Form definition for key '{}' \
                     because it exists for multiple tenants.",
                    form_ref.key
                )));
            }
            Ok(found.into_iter().next())
        }
        "deployment" => Ok(conn
            .prepare_cached(&format!(
                "SELECT {FORM_COLUMNS} FROM form_definition WHERE deployment_id = ?1 AND key = ?2"
            ))?
            .query_row(params![deployment_id, form_ref.key], form_from)
            .optional()?),
        "version" => Ok(conn
            .prepare_cached(&format!(
                "SELECT {FORM_COLUMNS} FROM form_definition \
                 WHERE key = ?1 AND version = ?2 AND tenant_id IS NULL"
            ))?
            .query_row(params![form_ref.key, form_ref.version], form_from)
            .optional()?),
        other => Err(Error::Invalid(format!(
            "Unsupported binding type for camundaFormRef. Expected to be one of \
             [deployment, latest, version] but was:{other}"
        ))),
    }
}

/// A resource's bytes, or Camunda's not-found message for a deployed form.
fn form_resource(conn: &Connection, deployment_id: &str, name: &str) -> Result<Vec<u8>> {
    conn.prepare_cached("SELECT bytes FROM resource WHERE deployment_id = ?1 AND name = ?2")?
        .query_row(params![deployment_id, name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| {
            Error::NotFound(format!(
                "The form with the resource name '{name}' cannot be found in deployment with id \
                 {deployment_id}"
            ))
        })
}

/// The deployed form `form` points to, as Camunda's `AbstractGetDeployedFormCmd`
/// finds it.
fn deployed(conn: &Connection, form: &FormInfo, deployment_id: &str) -> Result<DeployedForm> {
    if let Some(key) = &form.key {
        let name = key
            .strip_prefix("embedded:")
            .or_else(|| key.strip_prefix("camunda-forms:"))
            .unwrap_or(key);
        let Some(name) = name.strip_prefix("deployment:") else {
            return Err(Error::Invalid(format!(
                "The form key '{key}' does not reference a deployed form."
            )));
        };
        return Ok(DeployedForm {
            bytes: form_resource(conn, deployment_id, name)?,
            content_type: if key.ends_with(".form") { JSON } else { XHTML },
        });
    }
    if let Some(form_ref) = &form.camunda_form_ref {
        let found = find_form(conn, form_ref, deployment_id)?.ok_or_else(|| {
            Error::NotFound(format!(
                "No Camunda Form Definition was found for Camunda Form Ref: {form_ref}"
            ))
        })?;
        return Ok(DeployedForm {
            bytes: form_resource(conn, &found.deployment_id, &found.resource_name)?,
            content_type: JSON,
        });
    }
    Err(Error::Invalid(
        "One of the attributes 'formKey' and 'camunda:formRef' must be supplied but none were set."
            .into(),
    ))
}

/// The start event whose form a process has, as Camunda's `BpmnParse.selectInitial`
/// picks it: its none or timer start event, else its only start event.
pub(crate) fn initial_start(process: &Process) -> Option<&StartEvent> {
    let starts: Vec<&StartEvent> = process
        .start_events(None)
        .filter_map(|id| match &process.node(id).kind {
            NodeKind::StartEvent(start) => Some(start),
            _ => None,
        })
        .collect();
    starts
        .iter()
        .find(|s| matches!(s.event, None | Some(EventDefinition::Timer(_))))
        .or_else(|| (starts.len() == 1).then(|| &starts[0]))
        .copied()
}

/// The scope of a start form: the new instance, which has no variables yet.
struct NewInstance {
    now: i64,
    business_key: Option<String>,
}

impl crate::expr::Scope for NewInstance {
    fn variable(&self, _: &str) -> Option<Value> {
        None
    }
    fn local_variable(&self, _: &str) -> Option<Value> {
        None
    }
    fn business_key(&self) -> Option<String> {
        self.business_key.clone()
    }
    fn now(&self) -> i64 {
        self.now
    }
}

/// Camunda's message for an unknown definition id (its deployment cache's).
fn no_definition(id: &str) -> Error {
    Error::NotFound(format!(
        "no deployed process definition found with id '{id}': processDefinition is null"
    ))
}

/// A definition's start event with a form, or Camunda's error for a process
/// without one.
fn start_of(graph: &Graph) -> Result<&StartEvent> {
    initial_start(&graph.process).ok_or_else(|| {
        Error::Invalid(format!(
            "No startFormHandler defined in process '{}': startFormHandler is null",
            graph.id
        ))
    })
}

impl Engine {
    /// The compiled definition `id`, or Camunda's not-found error.
    async fn form_graph(&self, id: &str) -> Result<Arc<Graph>> {
        let shared = self.inner.shared.clone();
        if let Some(graph) = shared.cache.get(id) {
            return Ok(graph);
        }
        let def = id.to_owned();
        self.inner
            .store
            .read(move |c| load_graph(c, &shared.cache, &def))
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => no_definition(id),
                other => other,
            })
    }

    /// The deployed Camunda Forms (of one deployment, or all), by key, tenant and version.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn camunda_forms(
        &self,
        deployment_id: Option<&str>,
    ) -> Result<Vec<CamundaFormDefinition>> {
        let deployment = deployment_id.map(str::to_owned);
        self.inner
            .store
            .read(move |c| {
                Ok(c.prepare_cached(&format!(
                    "SELECT {FORM_COLUMNS} FROM form_definition \
                     WHERE ?1 IS NULL OR deployment_id = ?1 ORDER BY key, tenant_id, version"
                ))?
                .query_map([deployment], form_from)?
                .collect::<rusqlite::Result<_>>()?)
            })
            .await
    }

    /// The Camunda Form a `camunda:formRef` names, for a definition deployed with
    /// `deployment_id`: with the binding `latest` the newest version of its key (an
    /// error when forms of several tenants have the key, as in Camunda),
    /// `deployment` the one deployed with the definition, `version` that version
    /// among forms without a tenant (Camunda looks no further).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an unknown binding or a key several tenants share.
    pub async fn camunda_form(
        &self,
        form_ref: &CamundaFormRef,
        deployment_id: &str,
    ) -> Result<Option<CamundaFormDefinition>> {
        let (form_ref, deployment_id) = (form_ref.clone(), deployment_id.to_owned());
        self.inner
            .store
            .read(move |c| find_form(c, &form_ref, &deployment_id))
            .await
    }

    /// The deployed form `form` points to, for a definition deployed with
    /// `deployment_id`, as Camunda's `AbstractGetDeployedFormCmd` finds it: a form
    /// key `deployment:NAME` (after an `embedded:` or `camunda-forms:` prefix) is the
    /// resource `NAME` of that deployment; a form reference is the Camunda Form
    /// [`Engine::camunda_form`] finds. **The task side calls this** for
    /// `GET /task/{id}/deployed-form` with [`crate::form::task_form`]'s answer.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] (Camunda's `BadUserRequestException`) for a key that is not a
    /// `deployment:` key, or when there is neither key nor reference;
    /// [`Error::NotFound`] when the resource or the referenced form does not exist.
    pub async fn deployed_form(
        &self,
        form: &FormInfo,
        deployment_id: &str,
    ) -> Result<DeployedForm> {
        let (form, deployment_id) = (form.clone(), deployment_id.to_owned());
        self.inner
            .store
            .read(move |c| deployed(c, &form, &deployment_id))
            .await
    }

    /// The start form of a definition (`GET /process-definition/{id}/startForm`):
    /// the key and form reference of its initial start event (its none or timer
    /// start event, else its only one), taken as written, as Camunda does.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown definition; [`Error::Invalid`] for a
    /// process without such a start event.
    pub async fn start_form(&self, definition_id: &str) -> Result<StartForm> {
        let graph = self.form_graph(definition_id).await?;
        let start = start_of(&graph)?;
        Ok(StartForm {
            definition_id: graph.id.clone(),
            deployment_id: graph.deployment_id.clone(),
            form: form::start_form_info(start),
        })
    }

    /// The start form's variables (`GET /process-definition/{id}/form-variables`):
    /// each field's typed default, in field order, evaluated with no variables (a
    /// start form has no instance yet); `names` keeps only the fields it names.
    ///
    /// # Errors
    ///
    /// As [`Engine::start_form`], and [`Error::Invalid`] when a default does not
    /// evaluate or convert.
    pub async fn start_form_variables(
        &self,
        definition_id: &str,
        names: Option<&[String]>,
    ) -> Result<Vec<FormVariable>> {
        let graph = self.form_graph(definition_id).await?;
        let start = start_of(&graph)?;
        let scope = NewInstance {
            now: self.now(),
            business_key: None,
        };
        Ok(form::form_variables(
            &start.form_data,
            &ExprScope(&scope),
            names,
        )?)
    }

    /// The generated start form as HTML
    /// (`GET /process-definition/{id}/rendered-form`), as [`form::render_html`]
    /// writes it, its defaults evaluated with no variables: `None` when the
    /// start event has no form fields.
    ///
    /// # Errors
    ///
    /// As [`Engine::start_form`], and [`Error::Invalid`] when a default does not
    /// evaluate or convert.
    pub async fn rendered_start_form(&self, definition_id: &str) -> Result<Option<String>> {
        let graph = self.form_graph(definition_id).await?;
        let start = start_of(&graph)?;
        let scope = NewInstance {
            now: self.now(),
            business_key: None,
        };
        Ok(form::render_html(
            &start.form_data,
            start.form_business_key.as_deref(),
            &ExprScope(&scope),
        )?)
    }

    /// The deployed form of a definition's start event
    /// (`GET /process-definition/{id}/deployed-start-form`), as
    /// [`Engine::deployed_form`] finds it.
    ///
    /// # Errors
    ///
    /// As [`Engine::start_form`] and [`Engine::deployed_form`].
    pub async fn deployed_start_form(&self, definition_id: &str) -> Result<DeployedForm> {
        let start = self.start_form(definition_id).await?;
        self.deployed_form(&start.form, &start.deployment_id).await
    }

    /// Submits a definition's start form
    /// (`POST /process-definition/{id}/submit-form`): its fields are checked and
    /// converted ([`crate::form::submit`]; every other variable is kept as given),
    /// then an instance starts with them and `business_key`, in one command.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown definition; [`Error::Invalid`] for a value
    /// the form refuses (Camunda's message, naming the field; the REST layer puts
    /// `Cannot instantiate process definition {id}: ` before it), for a suspended
    /// definition or one without a start form, and past the [`limits`] on variables.
    pub async fn submit_start_form(
        &self,
        definition_id: &str,
        business_key: Option<String>,
        variables: Variables,
    ) -> Result<ProcessInstance> {
        limits::check(&[&variables], 0)?;
        let id = definition_id.to_owned();
        self.command(move |ctx| {
            let (id, suspended) = ctx.resolve(&DefinitionRef::Id(id.clone()))?;
            let graph = ctx.graph(&id)?;
            let start = start_of(&graph)?;
            let scope = NewInstance {
                now: ctx.now,
                business_key: business_key.clone(),
            };
            let converted = form::submit(
                &start.form_data,
                start.form_business_key.as_deref(),
                &ExprScope(&scope),
                variables.clone(),
            )?;
            limits::check(&[&converted], 0)?;
            ctx.start_instance(
                &id,
                Some(suspended),
                business_key.clone(),
                converted,
                None,
                None,
            )
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, NewDeployment};

    fn form(id: &str, label: &str) -> Vec<u8> {
        format!(r#"{{"id": "{id}", "components": [{{"type": "text", "text": "{label}"}}]}}"#)
            .into_bytes()
    }

    async fn deploy(engine: &Engine, tenant: Option<&str>, files: &[(&str, Vec<u8>)]) -> String {
        engine
            .deploy(NewDeployment {
                tenant_id: tenant.map(str::to_owned),
                resources: files
                    .iter()
                    .map(|(n, b)| ((*n).to_owned(), b.clone()))
                    .collect(),
                ..NewDeployment::default()
            })
            .await
            .unwrap()
            .deployment
            .id
    }

    fn by(binding: &str, version: Option<i64>) -> CamundaFormRef {
        CamundaFormRef {
            key: "invoice".into(),
            binding: binding.into(),
            version,
        }
    }

    #[tokio::test]
    async fn forms_are_versioned_per_key_and_tenant_and_found_by_each_binding() {
        let engine = Engine::open(Config::memory()).unwrap();
        let first = deploy(&engine, None, &[("a.form", form("invoice", "v1"))]).await;
        let second = deploy(&engine, None, &[("b.form", form("invoice", "v2"))]).await;
        let versions: Vec<i64> = engine
            .camunda_forms(None)
            .await
            .unwrap()
            .iter()
            .map(|f| f.version)
            .collect();
        assert_eq!(versions, [1, 2]);
        let found = |binding, version, deployment: &str| {
            let engine = engine.clone();
            let deployment = deployment.to_owned();
            async move {
                engine
                    .camunda_form(&by(binding, version), &deployment)
                    .await
                    .unwrap()
                    .map(|f| f.version)
            }
        };
        assert_eq!(found("latest", None, &first).await, Some(2));
        assert_eq!(found("deployment", None, &first).await, Some(1));
        assert_eq!(found("version", Some(1), &second).await, Some(1));
        assert_eq!(found("version", Some(3), &second).await, None);
        let bytes = engine
            .deployed_form(
                &FormInfo {
                    camunda_form_ref: Some(by("deployment", None)),
                    ..FormInfo::default()
                },
                &first,
            )
            .await
            .unwrap();
        assert_eq!(
            (bytes.bytes, bytes.content_type),
            (form("invoice", "v1"), JSON)
        );

        // A tenant's forms version apart; `version` looks only at forms without a
        // tenant, and `latest` refuses a key several tenants have, as Camunda does.
        let tenant = deploy(&engine, Some("t1"), &[("c.form", form("invoice", "t"))]).await;
        let tenant_forms = engine.camunda_forms(Some(&tenant)).await.unwrap();
        assert_eq!(tenant_forms[0].version, 1);
        assert_eq!(found("version", Some(1), &tenant).await, Some(1));
        let err = engine
            .camunda_form(&by("latest", None), &tenant)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("multiple tenants"), "{err}");

        // Deleting a deployment deletes its forms.
        engine.delete_deployment(&tenant, false).await.unwrap();
        assert_eq!(engine.camunda_forms(None).await.unwrap().len(), 2);
        assert_eq!(found("latest", None, &first).await, Some(2));

        // Duplicate filtering leaves an unchanged form's version alone, and
        // deploy-changed-only versions only the form that changed.
        let named = |files: Vec<(&str, Vec<u8>)>, changed_only: bool| NewDeployment {
            name: Some("forms".into()),
            duplicate_filtering: true,
            changed_only,
            resources: files.into_iter().map(|(n, b)| (n.to_owned(), b)).collect(),
            ..NewDeployment::default()
        };
        let both = || {
            vec![
                ("a.form", form("invoice", "v3")),
                ("o.form", form("order", "v1")),
            ]
        };
        for _ in 0..2 {
            engine.deploy(named(both(), false)).await.unwrap();
        }
        let changed = vec![
            ("a.form", form("invoice", "v4")),
            ("o.form", form("order", "v1")),
        ];
        engine.deploy(named(changed, true)).await.unwrap();
        let latest: Vec<(String, i64)> = engine
            .camunda_forms(None)
            .await
            .unwrap()
            .into_iter()
            .map(|f| (f.key, f.version))
            .collect();
        assert_eq!(
            latest,
            [
                ("invoice".to_owned(), 1),
                ("invoice".to_owned(), 2),
                ("invoice".to_owned(), 3),
                ("invoice".to_owned(), 4),
                ("order".to_owned(), 1),
            ]
        );
    }

    #[tokio::test]
    async fn form_keys_point_into_the_definitions_deployment() {
        let engine = Engine::open(Config::memory()).unwrap();
        let id = deploy(
            &engine,
            None,
            &[
                ("f.form", form("f", "x")),
                ("start.html", b"<form></form>".to_vec()),
            ],
        )
        .await;
        let key = |k: &str| FormInfo {
            key: Some(k.to_owned()),
            ..FormInfo::default()
        };
        let got = engine
            .deployed_form(&key("camunda-forms:deployment:f.form"), &id)
            .await
            .unwrap();
        assert_eq!(got.content_type, JSON);
        let got = engine
            .deployed_form(&key("embedded:deployment:start.html"), &id)
            .await
            .unwrap();
        assert_eq!(
            (got.bytes, got.content_type),
            (b"<form></form>".to_vec(), XHTML)
        );
        let err = engine
            .deployed_form(&key("embedded:app:forms/start.html"), &id)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "The form key 'embedded:app:forms/start.html' does not reference a deployed form."
        );
        let err = engine
            .deployed_form(&key("camunda-forms:deployment:g.form"), &id)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err}");
        let err = engine
            .deployed_form(&FormInfo::default(), &id)
            .await
            .unwrap_err();
        assert!(
            err.to_string().starts_with("One of the attributes"),
            "{err}"
        );
    }
}
