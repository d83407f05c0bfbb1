//! Activities that wait for work done outside the engine or run an expression:
//! external tasks, user tasks, expression tasks, receive tasks, call activities.

use baton_bpmn::model::{
    CallActivity, CalledElementBinding, Implementation, MappingSource, Node, Task, TaskKind,
    UserTask, VariableMapping,
};

use super::{Run, StepResult, Stop, unsupported};
use crate::runtime::state::{Exec, Wait};
use crate::runtime::{
    Binding, CatcherKind, ChildSpec, Effect, HistoryEvent, TaskSpec, UserTaskSpec,
};
use crate::value::Value;

impl Run<'_> {
    /// A task: an external task or a user task to wait for, an expression to
    /// evaluate, a message to receive, or nothing to do.
    pub(super) fn task(&mut self, exec: &str, n: &Node, task: &Task) -> Result<(), Stop> {
        match (&task.kind, &task.implementation) {
            (_, Implementation::External { topic, priority }) => {
                self.external_task(exec, n, topic.as_str(), priority.as_ref())?;
            }
            (
                _,
                Implementation::Expression {
                    expression,
                    result_variable,
                },
            ) => {
                let value = self.eval(exec, expression.as_str())?;
                if let Some(name) = result_variable {
                    self.inst.set_variable(exec, name, value);
                }
                self.complete_activity(exec);
            }
            (
                TaskKind::Abstract
                | TaskKind::Manual
                | TaskKind::Service
                | TaskKind::Send
                | TaskKind::BusinessRule,
                Implementation::None,
            ) => self.complete_activity(exec),
            (TaskKind::User(user), Implementation::None) => self.user_task(exec, n, user)?,
            (TaskKind::Receive(message), _) => {
                let name = self.message_name(exec, n, message.as_ref())?;
                self.arm(exec, &n.id, CatcherKind::Message(name));
                if let Some(e) = self.inst.exec_mut(exec) {
                    e.wait = Wait::Event;
                }
            }
            (kind, _) => return Err(Stop::Unsupported(unsupported(n, kind.element_name()))),
        }
        Ok(())
    }

    /// A call activity: the called instance is started (by the command layer),
    /// and `exec` waits for it.
    pub(super) fn call_activity(
        &mut self,
        exec: &str,
        n: &Node,
        call: &CallActivity,
    ) -> StepResult {
        let key = match &call.called_element {
            Some(e) => self.eval_string(exec, e.as_str())?,
            None => return Err(format!("call activity '{}' names no process", n.id)),
        };
        let binding = match &call.binding {
            CalledElementBinding::Latest => Binding::Latest,
            CalledElementBinding::Deployment => {
                Binding::Deployment(self.inst.graph.deployment_id.clone())
            }
            CalledElementBinding::Version(v) => Binding::Version(self.eval_integer(
                exec,
                v.as_str(),
                "camunda:calledElementVersion",
            )?),
            CalledElementBinding::VersionTag(t) => {
                Binding::VersionTag(self.eval_string(exec, t.as_str())?)
            }
        };
        let mut variables = Vec::new();
        for mapping in &call.inputs {
            self.map_variables(exec, mapping, &mut variables)?;
        }
        let business_key = match &call.business_key {
            Some(e) => match self.eval(exec, e.as_str())? {
                Value::Null => None,
                v => Some(v.to_string()),
            },
            None => None,
        };
        let id = self.inst.ids.next();
        if let Some(e) = self.inst.exec_mut(exec) {
            e.wait = Wait::Child(id.clone());
        }
        let activity_instance_id = self
            .inst
            .exec(exec)
            .map(Exec::activity_instance_id)
            .unwrap_or_default();
        self.fx.push(Effect::History(HistoryEvent::ActivityCalled {
            id: activity_instance_id,
            called: id.clone(),
        }));
        self.fx.push(Effect::StartChild(ChildSpec {
            id,
            exec: exec.to_owned(),
            key,
            binding,
            business_key,
            variables,
        }));
        Ok(())
    }

    /// Adds the variables one `camunda:in` mapping passes to a called instance.
    pub(super) fn map_variables(
        &self,
        exec: &str,
        mapping: &VariableMapping,
        out: &mut Vec<(String, Value)>,
    ) -> StepResult {
        match mapping {
            VariableMapping::All { local } => {
                let vars = if *local {
                    self.inst.local_variables(exec)
                } else {
                    self.inst.visible_variables(exec)
                };
                for (name, value) in vars {
                    push_var(out, name, value);
                }
            }
            VariableMapping::One { source, target, .. } => {
                let value = match source {
                    MappingSource::Variable(name) => self
                        .inst
                        .variable(exec, name)
                        .cloned()
                        .unwrap_or(Value::Null),
                    MappingSource::Expression(e) => self.eval(exec, e.as_str())?,
                };
                push_var(out, target.clone(), value);
            }
        }
        Ok(())
    }

    /// Creates the external task of `n` for `exec`, which waits for it.
    pub(super) fn external_task(
        &mut self,
        exec: &str,
        n: &Node,
        topic: &str,
        priority: Option<&baton_bpmn::model::Expression>,
    ) -> StepResult {
        let graph = self.inst.graph.clone();
        let topic = self.eval_string(exec, topic)?;
        let priority = match priority.or(graph.process.task_priority.as_ref()) {
            Some(p) => self.eval_integer(exec, p.as_str(), "camunda:taskPriority")?,
            None => 0,
        };
        let id = self.inst.ids.next();
        if let Some(e) = self.inst.exec_mut(exec) {
            e.wait = Wait::ExternalTask(id.clone());
        }
        let e = self.inst.exec(exec).ok_or("execution vanished")?;
        let activity_instance_id = e.activity_instance_id();
        self.fx.push(Effect::History(HistoryEvent::ActivityTask {
            id: activity_instance_id.clone(),
            task: id.clone(),
        }));
        self.fx.push(Effect::CreateTask(TaskSpec {
            id,
            exec: exec.to_owned(),
            activity_instance_id,
            activity_id: n.id.clone(),
            topic,
            priority,
        }));
        Ok(())
    }

    /// Creates the user task of `n` for `exec`, which waits for it: its name,
    /// description, people, dates, priority and form, evaluated as Camunda's
    /// `TaskDecorator` evaluates them.
    pub(super) fn user_task(&mut self, exec: &str, n: &Node, user: &UserTask) -> StepResult {
        let text = |this: &Self, e: Option<&str>| -> StepResult<Option<String>> {
            match e {
                None => Ok(None),
                Some(e) => Ok(match this.eval(exec, e)? {
                    Value::Null => None,
                    v => Some(v.to_string()),
                }),
            }
        };
        let name = text(self, n.name.as_deref())?;
        let description = text(self, n.documentation.as_deref())?;
        let assignee = text(self, user.assignee.as_ref().map(|e| e.as_str()))?;
        let mut candidate_users = Vec::new();
        for e in &user.candidate_users {
            let value = self.eval(exec, e.as_str())?;
            people(value, "camunda:candidateUsers", &mut candidate_users)?;
        }
        let mut candidate_groups = Vec::new();
        for e in &user.candidate_groups {
            let value = self.eval(exec, e.as_str())?;
            people(value, "camunda:candidateGroups", &mut candidate_groups)?;
        }
        let due = match &user.due_date {
            Some(e) => due_date(self.eval(exec, e.as_str())?, self.now, "camunda:dueDate")?,
            None => None,
        };
        let follow_up = match &user.follow_up_date {
            Some(e) => due_date(
                self.eval(exec, e.as_str())?,
                self.now,
                "camunda:followUpDate",
            )?,
            None => None,
        };
        let priority = match &user.priority {
            Some(p) => self.eval_integer(exec, p.as_str(), "camunda:priority")?,
            None => 50,
        };
        let form_key = text(self, user.form_key.as_ref().map(|e| e.as_str()))?;
        let form_ref = match &user.form_ref {
            Some(key) => {
                let key = self.eval_string(exec, key)?;
                let binding = user
                    .form_ref_binding
                    .clone()
                    .unwrap_or_else(|| "latest".to_owned());
                let version = match &user.form_ref_version {
                    Some(v) => Some(self.eval_integer(exec, v, "camunda:formRefVersion")?),
                    None => None,
                };
                Some((key, binding, version))
            }
            None => None,
        };
        let id = self.inst.ids.next();
        if let Some(e) = self.inst.exec_mut(exec) {
            e.wait = Wait::UserTask(id.clone());
            // The task's local variables are this execution's, and end with it.
            e.var_scope = true;
        }
        let e = self.inst.exec(exec).ok_or("execution vanished")?;
        let activity_instance_id = e.activity_instance_id();
        self.fx.push(Effect::History(HistoryEvent::ActivityTask {
            id: activity_instance_id.clone(),
            task: id.clone(),
        }));
        self.fx.push(Effect::CreateUserTask(Box::new(UserTaskSpec {
            id,
            exec: exec.to_owned(),
            activity_instance_id,
            activity_id: n.id.clone(),
            name,
            description,
            assignee,
            candidate_users,
            candidate_groups,
            due,
            follow_up,
            priority,
            form_key,
            form_ref,
        })));
        Ok(())
    }
}

/// Adds the users or groups a candidate expression gave: a text is a comma list, a
/// JSON array a list of names (Camunda takes a String or a Collection).
fn people(value: Value, what: &str, out: &mut Vec<String>) -> StepResult {
    let mut push = |name: &str| {
        let name = name.trim();
        if !name.is_empty() && !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
    };
    match value {
        Value::Null => {}
        Value::String(text) => text.split(',').for_each(&mut push),
        Value::Json(json) => match serde_json::from_str::<serde_json::Value>(&json) {
            Ok(serde_json::Value::Array(items)) => {
                for item in items {
                    match item {
                        serde_json::Value::String(s) => push(&s),
                        serde_json::Value::Null => {}
                        other => push(&other.to_string()),
                    }
                }
            }
            Ok(serde_json::Value::String(s)) => s.split(',').for_each(&mut push),
            _ => return Err(format!("{what} must name users or groups, not '{json}'")),
        },
        other => {
            return Err(format!(
                "{what} must be a comma-separated list or a collection, not '{other}'"
            ));
        }
    }
    Ok(())
}

/// A due or follow-up date from what its expression gave: a date, or a text that is
/// an ISO 8601 duration from now (`P2D`) or an ISO 8601 date-time, as Camunda's
/// `DueDateBusinessCalendar` reads it.
fn due_date(value: Value, now: i64, what: &str) -> StepResult<Option<i64>> {
    use baton_bpmn::timer::{TimerKind, parse};
    match value {
        Value::Null => Ok(None),
        Value::Date(ms) => Ok(Some(ms)),
        Value::String(text) if text.trim().is_empty() => Ok(None),
        Value::String(text) => {
            let text = text.trim();
            let kind = if text.starts_with('P') {
                TimerKind::Duration
            } else {
                TimerKind::Date
            };
            parse(kind, text)
                .ok()
                .and_then(|s| s.first(now))
                .or_else(|| crate::date::parse(text).ok())
                .map(Some)
                .ok_or_else(|| {
                    format!("{what} '{text}' is neither an ISO 8601 date-time nor a duration")
                })
        }
        other => Err(format!("{what} '{other}' is not a date")),
    }
}

fn push_var(out: &mut Vec<(String, Value)>, name: String, value: Value) {
    if let Some(slot) = out.iter_mut().find(|(n, _)| *n == name) {
        slot.1 = value;
    } else {
        out.push((name, value));
    }
}
