//! A user task's form: which form it shows, its fields' values, its deployed form,
//! and submitting it, with the rules of `crate::form` evaluated in the task's scope.
//!
//! Reads see the task's scope as the variables it sees (`query::task_variables`),
//! on the read pool; a submission runs on the writer with the loaded instance.

use std::sync::Arc;

use baton_bpmn::model::{NodeKind, TaskKind, UserTask};
use rusqlite::Connection;

use super::{DelegationState, query};
use crate::command::load_graph;
use crate::error::{Error, Result};
use crate::form::{self, DeployedForm, ExprScope, FormInfo, FormVariable};
use crate::graph::Graph;
use crate::runtime::state::Instance;
use crate::types::{VariableInstance, Variables};
use crate::value::Value;
use crate::{Engine, limits};

/// A user task's form, and the deployment its definition came with (where its
/// `deployment:` keys point).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskForm {
    /// The form key, the Camunda Form reference, and whether it has fields.
    pub form: FormInfo,
    /// The deployment of the task's process definition.
    pub deployment_id: String,
}

/// What an expression sees from a task, for reads: the variables it sees.
struct Seen {
    vars: Vec<VariableInstance>,
    execution_id: String,
    business_key: Option<String>,
    now: i64,
}

impl crate::expr::Scope for Seen {
    fn variable(&self, name: &str) -> Option<Value> {
        self.vars
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.value.clone())
    }
    fn local_variable(&self, name: &str) -> Option<Value> {
        self.vars
            .iter()
            .find(|v| v.name == name && v.execution_id == self.execution_id)
            .map(|v| v.value.clone())
    }
    fn business_key(&self) -> Option<String> {
        self.business_key.clone()
    }
    fn now(&self) -> i64 {
        self.now
    }
}

/// The user task element `key` of `graph`.
fn user_task<'g>(graph: &'g Graph, key: &str) -> Result<&'g UserTask> {
    let node = graph
        .node_id(key)
        .map(|n| graph.process.node(n))
        .ok_or_else(|| Error::Internal(format!("task element '{key}' is not in its model")))?;
    match &node.kind {
        NodeKind::Task(t) => match &t.kind {
            TaskKind::User(user) => Ok(user),
            _ => Err(Error::Internal(format!("'{key}' is not a user task"))),
        },
        _ => Err(Error::Internal(format!("'{key}' is not a user task"))),
    }
}

impl Engine {
    /// The task's element id, its definition and the variables it sees, read
    /// together.
    async fn form_context(&self, id: &str) -> Result<(String, Arc<Graph>, Seen)> {
        let (id, shared, now) = (id.to_owned(), self.inner.shared.clone(), self.now());
        self.read(move |c: &Connection| {
            let task = query::task(c, &id)?;
            let graph = load_graph(c, &shared.cache, &task.definition_id)?;
            let vars = query::task_variables(c, &id, false)?;
            Ok((
                task.task_definition_key,
                graph,
                Seen {
                    vars,
                    execution_id: task.execution_id,
                    business_key: task.business_key,
                    now,
                },
            ))
        })
        .await
    }

    /// Which form task `id` shows (`GET /task/{id}/form`): its form key and form
    /// reference evaluated in its scope, and whether it has generated fields.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task; [`Error::Invalid`] when the form key
    /// or reference does not evaluate.
    pub async fn task_form(&self, id: &str) -> Result<TaskForm> {
        let (key, graph, seen) = self.form_context(id).await?;
        let user = user_task(&graph, &key)?;
        Ok(TaskForm {
            form: form::task_form(user, &ExprScope(&seen))?,
            deployment_id: graph.deployment_id.clone(),
        })
    }

    /// Task `id`'s form variables (`GET /task/{id}/form-variables`): each generated
    /// field's typed value (the variable, else its default), then every other
    /// variable the task sees; `names` keeps only those it names.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task; [`Error::Invalid`] when a default
    /// does not evaluate or convert.
    pub async fn task_form_variables(
        &self,
        id: &str,
        names: Option<&[String]>,
    ) -> Result<Vec<FormVariable>> {
        let (key, graph, seen) = self.form_context(id).await?;
        let user = user_task(&graph, &key)?;
        let mut out = form::form_variables(&user.form_fields, &ExprScope(&seen), names)?;
        for v in &seen.vars {
            if out.iter().any(|f| f.name == v.name) || names.is_some_and(|n| !n.contains(&v.name)) {
                continue;
            }
            out.push(FormVariable {
                name: v.name.clone(),
                type_name: v.value.type_name(),
                value: v.value.clone(),
            });
        }
        Ok(out)
    }

    /// Task `id`'s generated form as HTML (`GET /task/{id}/rendered-form`), as
    /// [`form::render_html`] writes it: `None` when the task has no form fields.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task; [`Error::Invalid`] when a default
    /// does not evaluate or convert.
    pub async fn rendered_task_form(&self, id: &str) -> Result<Option<String>> {
        let (key, graph, seen) = self.form_context(id).await?;
        let user = user_task(&graph, &key)?;
        Ok(form::render_html(
            &user.form_fields,
            user.form_business_key.as_deref(),
            &ExprScope(&seen),
        )?)
    }

    /// Task `id`'s deployed form (`GET /task/{id}/deployed-form`), as
    /// [`Engine::deployed_form`] finds it.
    ///
    /// # Errors
    ///
    /// As [`Engine::task_form`] and [`Engine::deployed_form`].
    pub async fn deployed_task_form(&self, id: &str) -> Result<DeployedForm> {
        let form = self.task_form(id).await?;
        self.deployed_form(&form.form, &form.deployment_id).await
    }

    /// Submits task `id`'s form (`POST /task/{id}/submit-form`): its generated
    /// fields are checked and converted (every other variable is kept as given),
    /// then the task is resolved if it is delegated and pending, else completed, as
    /// Camunda's `SubmitTaskFormCmd` does.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task; [`Error::Invalid`] for a value the
    /// form refuses (`Cannot submit task form {id}: Invalid value submitted for form
    /// field '…': …`), and past the [`limits`] on variables.
    pub async fn submit_task_form(&self, id: &str, variables: Variables) -> Result<()> {
        limits::check(&[&variables], 0)?;
        let id = id.to_owned();
        self.command(move |ctx| {
            let task = ctx.task_row(&id)?;
            let graph = ctx.graph(&task.definition_id)?;
            let user = user_task(&graph, &task.task_definition_key)?;
            let now = ctx.now;
            let inst: &Instance = ctx.inst(&task.instance_id)?;
            let scope = crate::runtime::ExecScope {
                inst,
                exec: &task.execution_id,
                now,
            };
            let converted = form::submit(
                &user.form_fields,
                user.form_business_key.as_deref(),
                &ExprScope(&scope),
                variables.clone(),
            )
            .map_err(|e| e.for_task(&id))?;
            limits::check(&[&converted], 0)?;
            if task.delegation_state == Some(DelegationState::Pending) {
                ctx.resolve_task(&id, &converted)
            } else {
                ctx.complete_task(&id, &converted, false).map(|_| ())
            }
        })
        .await
    }
}
