//! Commands: each runs on the writer thread inside one savepoint, loads the
//! instances it touches, runs the interpreter, and writes what changed.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use baton_bpmn::model::{MappingSource, NodeKind, VariableMapping};
use rusqlite::{Connection, OptionalExtension, params};

use crate::Shared;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::runtime::state::{Ids, Var, Vars};
use crate::runtime::{
    Binding, ChildSpec, Effect, EndState, Exec, HistoryEvent, Instance, Run, TaskSpec, VarState,
    Wait,
};
use crate::store::cache::Cache;
use crate::store::history::{ActRow, Batch, Change, ProcRow};
use crate::store::rows::{self, SqlOf, TASK_COLUMNS};
use crate::store::stmts::Stmts;
use crate::types::{
    DefinitionRef, ExternalTask, Failure, FetchAndLock, LockedTask, ProcessInstance, Variables,
};
use crate::value::Value;

/// One command's view of the database and the instances it has loaded.
pub(crate) struct Ctx<'c, 's> {
    pub conn: &'c Connection,
    /// The writer's hot statements.
    pub stmts: &'c Stmts<'s>,
    pub shared: &'c Shared,
    pub now: i64,
    pub(crate) instances: HashMap<String, Instance>,
    /// Instances in the order they were first loaded, for writing back.
    pub(crate) order: Vec<String>,
    pub tasks_changed: bool,
    /// Set by a command that created or changed jobs.
    pub jobs_changed: bool,
    /// What this command did, counted once it commits.
    pub activity: crate::types::Activity,
    /// This command's activity- and process-instance history, written with its group.
    hist: &'c mut Batch,
    /// The writer's cache of running instances.
    cache: &'c mut Cache<Instance>,
}

impl<'c, 's> Ctx<'c, 's> {
    pub(crate) fn new(
        conn: &'c Connection,
        stmts: &'c Stmts<'s>,
        hist: &'c mut Batch,
        cache: &'c mut Cache<Instance>,
        shared: &'c Shared,
    ) -> Self {
        Ctx {
            conn,
            stmts,
            shared,
            now: shared.clock.now(),
            instances: HashMap::new(),
            order: Vec::new(),
            tasks_changed: false,
            jobs_changed: false,
            activity: crate::types::Activity::default(),
            hist,
            cache,
        }
    }

    // ----- definitions -----

    /// The compiled definition `id`, from the cache or the database.
    pub(crate) fn graph(&self, id: &str) -> Result<Arc<Graph>> {
        if let Some(g) = self.shared.cache.get(id) {
            return Ok(g);
        }
        load_graph(self.conn, &self.shared.cache, id)
    }

    /// Resolves a definition reference to a definition id, and whether that definition
    /// is suspended (one query: starting an instance needs both).
    pub(crate) fn resolve(&self, def: &DefinitionRef) -> Result<(String, bool)> {
        let row = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?));
        match def {
            DefinitionRef::Id(id) => {
                let found: Option<(String, bool)> = self
                    .conn
                    .prepare_cached("SELECT id, suspended FROM process_definition WHERE id = ?1")?
                    .query_row([id], row)
                    .optional()?;
                found.ok_or_else(|| {
                    Error::NotFound(format!("No process definition found with id '{id}'"))
                })
            }
            DefinitionRef::Key { key, tenant_id } => {
                let found: Option<(String, bool)> = self
                    .stmts
                    .get(
                        "SELECT id, suspended FROM process_definition WHERE key = ?1 \
                         AND tenant_id IS ?2 ORDER BY version DESC LIMIT 1",
                    )?
                    .borrow_mut()
                    .query_row(params![key, tenant_id], row)
                    .optional()?;
                found.ok_or_else(|| {
                    // Camunda's wording, which clients show to users.
                    Error::NotFound(match tenant_id {
                        None => format!(
                            "No matching process definition with key: {key} and no tenant-id"
                        ),
                        Some(t) => format!(
                            "No matching process definition with key: {key} and tenant-id: {t}"
                        ),
                    })
                })
            }
        }
    }

    fn latest(&self, key: &str, tenant: Option<&str>) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM process_definition WHERE key = ?1 AND tenant_id IS ?2 \
                 ORDER BY version DESC LIMIT 1",
            )?
            .query_row(params![key, tenant], |r| r.get(0))
            .optional()?)
    }

    fn called_definition(
        &self,
        key: &str,
        binding: &Binding,
        tenant: Option<&str>,
    ) -> Result<String> {
        let found: Option<String> = match binding {
            Binding::Latest => self.latest(key, tenant)?,
            Binding::Deployment(dep) => self
                .conn
                .prepare_cached(
                    "SELECT id FROM process_definition WHERE key = ?1 AND deployment_id = ?2",
                )?
                .query_row(params![key, dep], |r| r.get(0))
                .optional()?,
            Binding::Version(v) => self
                .conn
                .prepare_cached(
                    "SELECT id FROM process_definition WHERE key = ?1 AND version = ?2 AND tenant_id IS ?3",
                )?
                .query_row(params![key, v, tenant], |r| r.get(0))
                .optional()?,
            Binding::VersionTag(t) => self
                .conn
                .prepare_cached(
                    "SELECT id FROM process_definition WHERE key = ?1 AND version_tag = ?2 \
                     AND tenant_id IS ?3 ORDER BY version DESC LIMIT 1",
                )?
                .query_row(params![key, t, tenant], |r| r.get(0))
                .optional()?,
        };
        found.ok_or_else(|| {
            Error::NotFound(format!(
                "no process definition with key '{key}' matches the call activity's binding {binding:?}"
            ))
        })
    }

    // ----- instances -----

    /// Loads instance `id` (once per command).
    pub(crate) fn load(&mut self, id: &str) -> Result<()> {
        if self.instances.contains_key(id) {
            return Ok(());
        }
        if let Some(inst) = self.cache.take(id) {
            self.instances.insert(id.to_owned(), inst);
            self.order.push(id.to_owned());
            return Ok(());
        }
        let row = self
            .conn
            .prepare_cached(
                "SELECT definition_id, business_key, super_instance_id, super_execution_id, \
                 root_instance_id, tenant_id, start_time, state, rev FROM process_instance WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, i64>(8)?,
                ))
            })
            .optional()?;
        let Some((def, business_key, super_inst, super_exec, root, tenant, start, state, rev)) =
            row
        else {
            return Err(Error::NotFound(format!(
                "Process instance with id {id} does not exist"
            )));
        };
        let graph = self.graph(&def)?;
        let execs: Vec<Exec> = serde_json::from_str(&state)
            .map_err(|e| Error::Internal(format!("instance {id} has an unreadable state: {e}")))?;
        let mut vars = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, execution_id, name, type, value, info FROM variable WHERE instance_id = ?1",
        )?;
        let mut rows_ = stmt.query([id])?;
        while let Some(r) = rows_.next()? {
            let type_name: String = r.get(3)?;
            let info: Option<String> = r.get(5)?;
            vars.push(Var {
                id: r.get(0)?,
                scope: r.get(1)?,
                name: r.get(2)?,
                value: rows::value_from(&type_name, r.get_ref(4)?, info.as_deref()),
                state: VarState::Clean,
                gone: false,
            });
        }
        let waiting = crate::runtime::state::waiting(&execs);
        let inst = Instance {
            id: id.to_owned(),
            graph,
            business_key,
            super_ref: super_inst.zip(super_exec),
            root_instance_id: root,
            tenant_id: tenant,
            start_time: start,
            execs,
            vars: Vars::loaded(vars),
            is_new: false,
            ended: None,
            rev,
            var_writes: 0,
            conditions_seen: 0,
            ids: Ids::default(),
            var_events: Vec::new(),
            waiting,
        };
        self.instances.insert(id.to_owned(), inst);
        self.order.push(id.to_owned());
        Ok(())
    }

    /// The loaded instance `id`.
    pub(crate) fn inst(&mut self, id: &str) -> Result<&mut Instance> {
        self.load(id)?;
        self.instances
            .get_mut(id)
            .ok_or_else(|| Error::Internal(format!("instance {id} not loaded")))
    }

    /// Runs `f` as an interpreter step on instance `id`, then applies its effects.
    pub(crate) fn step(&mut self, id: &str, f: impl FnOnce(Run<'_>)) -> Result<()> {
        self.load(id)?;
        let mut inst = self
            .instances
            .remove(id)
            .ok_or_else(|| Error::Internal(format!("instance {id} not loaded")))?;
        let mut fx = Vec::new();
        f(Run::new(&mut inst, &mut fx, self.now));
        self.instances.insert(id.to_owned(), inst);
        self.apply(id, fx)
    }

    /// Creates and starts a new instance of `definition_id`; `suspended` is whether that
    /// definition is suspended, when the caller already read it.
    pub(crate) fn start_instance(
        &mut self,
        definition_id: &str,
        suspended: Option<bool>,
        business_key: Option<String>,
        variables: Variables,
        super_ref: Option<(String, String)>,
        id: Option<String>,
    ) -> Result<ProcessInstance> {
        let graph = self.graph(definition_id)?;
        let suspended = match suspended {
            Some(s) => s,
            None => self
                .conn
                .prepare_cached("SELECT suspended FROM process_definition WHERE id = ?1")?
                .query_row([definition_id], |r| r.get(0))?,
        };
        if suspended {
            return Err(Error::Invalid(format!(
                "Process definition {definition_id} is suspended"
            )));
        }
        let start = graph
            .process
            .start_events(None)
            .find(|s| {
                matches!(&graph.process.node(*s).kind, NodeKind::StartEvent(e) if e.event.is_none())
            })
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "process '{}' has no none start event to start it with",
                    graph.key
                ))
            })?;
        self.start_instance_at(definition_id, start, business_key, variables, super_ref, id)
    }

    /// Creates and starts a new instance of `definition_id` at its start event `start`
    /// (a none start event, or the message, signal, timer or conditional start event
    /// that fired).
    pub(crate) fn start_instance_at(
        &mut self,
        definition_id: &str,
        start: baton_bpmn::model::NodeId,
        business_key: Option<String>,
        variables: Variables,
        super_ref: Option<(String, String)>,
        id: Option<String>,
    ) -> Result<ProcessInstance> {
        let graph = self.graph(definition_id)?;
        let id = id.unwrap_or_else(crate::new_id);
        let root_instance_id = match &super_ref {
            Some((parent, _)) => self.inst(parent)?.root_instance_id.clone(),
            None => id.clone(),
        };
        let mut inst = Instance {
            id: id.clone(),
            graph: graph.clone(),
            business_key,
            super_ref,
            root_instance_id,
            tenant_id: graph.tenant_id.clone(),
            start_time: self.now,
            execs: Vec::new(),
            vars: Vars::default(),
            is_new: true,
            ended: None,
            rev: 0,
            var_writes: 0,
            conditions_seen: 0,
            ids: Ids::default(),
            var_events: Vec::new(),
            waiting: Vec::new(),
        };
        for (name, value) in variables {
            inst.put(&id, &name, value);
        }
        self.instances.insert(id.clone(), inst);
        self.order.push(id.clone());
        self.step(&id, |run| run.start(start))?;
        let inst = self.inst(&id)?;
        Ok(ProcessInstance {
            id: inst.id.clone(),
            definition_id: inst.graph.id.clone(),
            definition_key: inst.graph.key.clone(),
            business_key: inst.business_key.clone(),
            tenant_id: inst.tenant_id.clone(),
            suspended: false,
            ended: inst.ended.is_some(),
            super_instance_id: inst.super_ref.as_ref().map(|s| s.0.clone()),
            root_instance_id: inst.root_instance_id.clone(),
        })
    }

    // ----- effects -----

    pub(crate) fn apply(&mut self, id: &str, fx: Vec<Effect>) -> Result<()> {
        // Deleting an instance from outside deletes its called instances the same way,
        // for the same reason, as Camunda does; any other cancellation of a call
        // activity (a caught error, a terminate end event) is internal.
        let external_end = fx.iter().find_map(|f| match f {
            Effect::History(HistoryEvent::ProcessEnd {
                state: EndState::ExternallyTerminated,
                reason,
                ..
            }) => Some(reason.clone()),
            _ => None,
        });
        // Escalations that leave a called instance are taken to its callers once
        // the rows of what the thrower went on to do exist (so that an interrupting
        // catch, which cancels this instance, removes them), and before its end
        // resumes the caller (so that the calling activity can still catch them).
        let mut escalations = Vec::new();
        for effect in fx {
            match effect {
                Effect::History(event) => self.history(id, event)?,
                Effect::CreateTask(spec) => self.create_task(id, &spec)?,
                Effect::DeleteTask(task) => self.delete_task(&task)?,
                Effect::CreateUserTask(spec) => self.create_user_task(id, &spec)?,
                Effect::DeleteUserTask { id: task, reason } => {
                    self.delete_user_task(&task, &reason)?;
                }
                Effect::Incident(spec) => {
                    let inst = self.inst(id)?;
                    let (def, key, tenant) = (
                        inst.graph.id.clone(),
                        inst.graph.key.clone(),
                        inst.tenant_id.clone(),
                    );
                    self.insert_incident(&IncidentRow {
                        id: &spec.id,
                        kind: spec.kind,
                        message: Some(&spec.message),
                        instance: id,
                        exec: &spec.exec,
                        activity: &spec.activity_id,
                        definition_id: &def,
                        definition_key: &key,
                        configuration: None,
                        tenant: tenant.as_deref(),
                    })?;
                }
                Effect::DeleteIncident(incident) => self.end_incident(&incident, "DELETED")?,
                Effect::StartChild(spec) => self.start_child(id, spec)?,
                Effect::CancelChild(child) => {
                    let (state, reason) = match &external_end {
                        Some(reason) => (EndState::ExternallyTerminated, reason.clone()),
                        None => (
                            EndState::InternallyTerminated,
                            Some("cancelled by the calling activity".into()),
                        ),
                    };
                    self.step(&child, |run| run.cancel(state, reason))?;
                }
                Effect::UncaughtError {
                    exec,
                    code,
                    message,
                } => self.propagate_error(id, &exec, &code, message.as_deref())?,
                Effect::UncaughtEscalation { code } => escalations.push(code),
                Effect::Ended => {
                    for code in std::mem::take(&mut escalations) {
                        self.propagate_escalation(id, &code)?;
                    }
                    self.resume_parent(id)?;
                }
                Effect::Arm(catcher) => self.arm(id, &catcher)?,
                Effect::Disarm(exec) => self.disarm(&exec)?,
                Effect::Broadcast { name } => self.broadcast(&crate::types::SignalThrow {
                    name,
                    ..crate::types::SignalThrow::default()
                })?,
            }
        }
        for code in escalations {
            self.propagate_escalation(id, &code)?;
        }
        Ok(())
    }

    /// Takes an escalation no one caught in called instance `child` to the
    /// calling activities, innermost first: a boundary event on the call activity,
    /// else what encloses it, as Camunda's `EscalationHandler` looks for it. Uncaught
    /// everywhere, nothing happens (the thrower went on).
    fn propagate_escalation(&mut self, child: &str, code: &str) -> Result<()> {
        let mut cur = self.inst(child)?.super_ref.clone();
        while let Some((parent, call_exec)) = cur {
            let found = {
                let inst = self.inst(&parent)?;
                if inst.exec(&call_exec).is_none() {
                    return Ok(()); // the call activity is gone meanwhile
                }
                crate::runtime::find_task_escalation_catch(inst, &call_exec, code)
            };
            if let Some(found) = found {
                return self.step(&parent, |run| run.throw_escalation(found, code));
            }
            cur = self.inst(&parent)?.super_ref.clone();
        }
        Ok(())
    }

    fn start_child(&mut self, parent: &str, spec: ChildSpec) -> Result<()> {
        let tenant = self.inst(parent)?.tenant_id.clone();
        let def = match self.called_definition(&spec.key, &spec.binding, tenant.as_deref()) {
            Ok(def) => def,
            Err(e) => return self.fail_exec(parent, &spec.exec, e.to_string()),
        };
        let started = self.start_instance(
            &def,
            None,
            spec.business_key,
            spec.variables,
            Some((parent.to_owned(), spec.exec.clone())),
            Some(spec.id),
        );
        match started {
            Ok(_) => Ok(()),
            Err(e) if e.is_client_error() => self.fail_exec(parent, &spec.exec, e.to_string()),
            Err(e) => Err(e),
        }
    }

    /// Parks `exec` with a `failedJob` incident saying `message`.
    fn fail_exec(&mut self, id: &str, exec: &str, message: String) -> Result<()> {
        let incident = crate::new_id();
        let inst = self.inst(id)?;
        let Some(e) = inst.exec_mut(exec) else {
            return Ok(());
        };
        e.wait = Wait::Failed(incident.clone());
        let activity = e.activity.clone();
        let (def, key, tenant) = (
            inst.graph.id.clone(),
            inst.graph.key.clone(),
            inst.tenant_id.clone(),
        );
        self.insert_incident(&IncidentRow {
            id: &incident,
            kind: "failedJob",
            message: Some(&message),
            instance: id,
            exec,
            activity: &activity,
            definition_id: &def,
            definition_key: &key,
            configuration: None,
            tenant: tenant.as_deref(),
        })
    }

    fn propagate_error(
        &mut self,
        child: &str,
        exec: &str,
        code: &str,
        message: Option<&str>,
    ) -> Result<()> {
        let mut cur = self.inst(child)?.super_ref.clone();
        while let Some((parent, call_exec)) = cur {
            let found = {
                let inst = self.inst(&parent)?;
                crate::runtime::find_catch(inst, &call_exec, code)
            };
            if let Some((host, boundary)) = found {
                return self.step(&parent, |run| {
                    run.catch_error(&host, boundary, code, message)
                });
            }
            cur = self.inst(&parent)?.super_ref.clone();
        }
        self.step(child, |run| run.end_uncaught(exec))
    }

    fn resume_parent(&mut self, child: &str) -> Result<()> {
        let (parent, exec) = {
            let inst = self.inst(child)?;
            if inst.ended != Some(EndState::Completed) {
                return Ok(());
            }
            match inst.super_ref.clone() {
                Some(s) => s,
                None => return Ok(()),
            }
        };
        let child_inst = self
            .instances
            .remove(child)
            .ok_or_else(|| Error::Internal("child vanished".into()))?;
        let outputs = self.out_mappings(&parent, &exec, &child_inst);
        self.instances.insert(child.to_owned(), child_inst);
        match outputs {
            Ok(outputs) => self.step(&parent, |run| run.child_completed(&exec, outputs)),
            Err(message) => self.fail_exec(&parent, &exec, message),
        }
    }

    fn out_mappings(
        &mut self,
        parent: &str,
        exec: &str,
        child: &Instance,
    ) -> Result<Vec<(String, Value, bool)>, String> {
        let inst = self.inst(parent).map_err(|e| e.to_string())?;
        let graph = inst.graph.clone();
        let Some(activity) = inst.exec(exec).map(|e| e.activity.clone()) else {
            return Ok(Vec::new());
        };
        let Some(node) = graph.node_id(&activity) else {
            return Ok(Vec::new());
        };
        let NodeKind::CallActivity(call) = &graph.process.node(node).kind else {
            return Ok(Vec::new());
        };
        let scope = crate::runtime::interp_scope(child, self.now);
        let mut out = Vec::new();
        for mapping in &call.outputs {
            match mapping {
                VariableMapping::All { local } => {
                    for (name, value) in child.local_variables(&child.id) {
                        out.push((name, value, *local));
                    }
                }
                VariableMapping::One {
                    source,
                    target,
                    local,
                } => {
                    let value = match source {
                        MappingSource::Variable(name) => child
                            .variable(&child.id, name)
                            .cloned()
                            .unwrap_or(Value::Null),
                        MappingSource::Expression(e) => {
                            let t = child.graph.template(e.as_str())?;
                            crate::expr::eval_template(&t, &scope).map_err(|e| e.0)?
                        }
                    };
                    out.push((target.clone(), value, *local));
                }
            }
        }
        Ok(out)
    }

    // ----- external tasks -----

    fn create_task(&mut self, id: &str, spec: &TaskSpec) -> Result<()> {
        let inst = self.inst(id)?;
        let g = inst.graph.clone();
        let (bk, tenant) = (inst.business_key.clone(), inst.tenant_id.clone());
        self.stmts.execute(
            "INSERT INTO external_task (id, topic, priority, instance_id, execution_id, \
             activity_id, activity_instance_id, definition_id, definition_key, version_tag, \
             business_key, tenant_id, create_time) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                spec.id,
                spec.topic,
                spec.priority,
                id,
                spec.exec,
                spec.activity_id,
                spec.activity_instance_id,
                g.id,
                g.key,
                g.process.version_tag,
                bk,
                tenant,
                self.now
            ],
        )?;
        self.tasks_changed = true;
        Ok(())
    }

    fn delete_task(&mut self, task: &str) -> Result<()> {
        // Only a task that ran out of retries can have an incident.
        let out_of_retries: Option<bool> = self
            .conn
            .prepare_cached("DELETE FROM external_task WHERE id = ?1 RETURNING retries IS 0")?
            .query_row([task], |r| r.get(0))
            .optional()?;
        if out_of_retries == Some(true) {
            self.resolve_task_incidents(task, "DELETED")?;
        }
        Ok(())
    }

    /// Deletes `task`, already read (a plain DELETE: RETURNING costs a temporary table).
    fn delete_read_task(&mut self, task: &TaskKey) -> Result<()> {
        self.stmts
            .execute("DELETE FROM external_task WHERE id = ?1", [&task.id])?;
        if task.retries == Some(0) {
            self.resolve_task_incidents(&task.id, "DELETED")?;
        }
        Ok(())
    }

    /// Ends the `failedExternalTask` incidents of `task`.
    pub(crate) fn resolve_task_incidents(&mut self, task: &str, state: &str) -> Result<()> {
        let ids: Vec<String> = self
            .conn
            .prepare_cached("SELECT id FROM incident WHERE configuration = ?1")?
            .query_map([task], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in ids {
            self.end_incident(&id, state)?;
        }
        Ok(())
    }

    /// The external task `id`, or a not-found error naming it.
    pub(crate) fn task(&self, id: &str) -> Result<(ExternalTask, Option<String>)> {
        static BY_ID: OnceLock<String> = OnceLock::new();
        let sql =
            BY_ID.get_or_init(|| format!("SELECT {TASK_COLUMNS} FROM external_task WHERE id = ?1"));
        self.stmts
            .get(sql)?
            .borrow_mut()
            .query_row([id], |r| Ok((rows::task_from(r)?, r.get(18)?)))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("External task with id {id} does not exist")))
    }

    /// The task `id`, checked to be locked by `worker` (as Camunda checks it: by worker id
    /// only, so the same worker may still act after its lock expired).
    /// As [`Ctx::owned_task`], reading only what completing the task needs.
    fn owned_task_key(&self, id: &str, worker: &str, verb: &str) -> Result<TaskKey> {
        let row: Option<(Option<String>, bool, TaskKey)> = self
            .stmts
            .get(
                "SELECT worker_id, suspended, retries, instance_id, execution_id \
                 FROM external_task WHERE id = ?1",
            )?
            .borrow_mut()
            .query_row([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    TaskKey {
                        id: id.to_owned(),
                        retries: r.get(2)?,
                        instance: r.get(3)?,
                        exec: r.get(4)?,
                    },
                ))
            })
            .optional()?;
        let Some((owner, suspended, key)) = row else {
            return Err(Error::NotFound(format!(
                "External task with id {id} does not exist"
            )));
        };
        check_owner(id, owner.as_deref(), suspended, worker, verb)?;
        Ok(key)
    }

    pub(crate) fn owned_task(&self, id: &str, worker: &str, verb: &str) -> Result<ExternalTask> {
        let (task, _) = self.task(id)?;
        check_owner(id, task.worker_id.as_deref(), task.suspended, worker, verb)?;
        Ok(task)
    }

    pub(crate) fn fetch_and_lock(&mut self, req: &FetchAndLock) -> Result<Vec<LockedTask>> {
        if req.worker_id.is_empty() {
            return Err(Error::Invalid("workerId is required".into()));
        }
        let mut found: Vec<(ExternalTask, Option<String>, usize)> = Vec::new();
        for (ti, topic) in req.topics.iter().enumerate() {
            if topic.lock_duration <= 0 {
                return Err(Error::Invalid(format!(
                    "lockDuration of topic '{}' must be positive",
                    topic.topic
                )));
            }
            if !req.use_priority && found.len() >= req.max_tasks {
                break;
            }
            let mut sql = format!(
                "SELECT {TASK_COLUMNS} FROM external_task t WHERE topic = ?1 \
                 AND (lock_expiration IS NULL OR lock_expiration <= ?2) \
                 AND (retries IS NULL OR retries > 0) AND suspended = 0"
            );
            let mut args: Vec<Box<dyn rusqlite::ToSql>> =
                vec![Box::new(topic.topic.clone()), Box::new(self.now)];
            // However long the lists, each stays one statement parameter or a few
            // (see crate::list).
            for (list, column) in [
                (&topic.process_definition_ids, "definition_id"),
                (&topic.process_definition_keys, "definition_key"),
                (&topic.tenant_ids, "tenant_id"),
            ] {
                if !list.is_empty() {
                    let (clause, params) = crate::list::in_list(column, list, args.len() + 1);
                    sql.push_str(" AND ");
                    sql.push_str(&clause);
                    args.extend(params.into_iter().map(|p| p as Box<dyn rusqlite::ToSql>));
                }
            }
            let mut arg = |sql: &mut String, clause: &str, value: Box<dyn rusqlite::ToSql>| {
                args.push(value);
                sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
            };
            if let Some(bk) = &topic.business_key {
                arg(&mut sql, " AND business_key = ?", Box::new(bk.clone()));
            }
            if let Some(d) = &topic.process_definition_id {
                arg(&mut sql, " AND definition_id = ?", Box::new(d.clone()));
            }
            if let Some(k) = &topic.process_definition_key {
                arg(&mut sql, " AND definition_key = ?", Box::new(k.clone()));
            }
            if let Some(v) = &topic.process_definition_version_tag {
                arg(&mut sql, " AND version_tag = ?", Box::new(v.clone()));
            }
            if topic.without_tenant_id {
                sql.push_str(" AND tenant_id IS NULL");
            }
            for (name, value) in &topic.process_variables {
                arg(
                    &mut sql,
                    " AND EXISTS (SELECT 1 FROM variable v WHERE v.instance_id = t.instance_id \
                     AND v.execution_id = t.instance_id AND v.name = ?",
                    Box::new(name.clone()),
                );
                arg(
                    &mut sql,
                    " AND v.value = ?)",
                    Box::new(rows::owned_sql(value)),
                );
            }
            // A worker locks only what it may read and update: `READ` and `UPDATE`
            // on the instance, or `READ_INSTANCE` and `UPDATE_INSTANCE` on its
            // definition (Camunda's checks for fetchAndLock).
            if let Some((clause, params)) = crate::query::Filter::clause_after(args.len(), |f| {
                f.scope(&req.scope, FETCH_CHECKS, Some("tenant_id"));
            }) {
                sql.push_str(" AND ");
                sql.push_str(&clause);
                args.extend(params.into_iter().map(|p| p as Box<dyn rusqlite::ToSql>));
            }
            let limit = if req.use_priority {
                req.max_tasks
            } else {
                req.max_tasks - found.len()
            };
            sql.push_str(match (req.use_priority, req.newest_first) {
                (true, false) => " ORDER BY priority DESC, create_time, id",
                (true, true) => " ORDER BY priority DESC, create_time DESC, id DESC",
                (false, false) => " ORDER BY create_time, id",
                (false, true) => " ORDER BY create_time DESC, id DESC",
            });
            // A parameter, not text, so the statement cache holds one statement per shape.
            args.push(Box::new(i64::try_from(limit).unwrap_or(i64::MAX)));
            sql.push_str(&format!(" LIMIT ?{}", args.len()));
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let params: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a.as_ref()).collect();
            let tasks = stmt
                .query_map(params.as_slice(), |r| Ok((rows::task_from(r)?, r.get(18)?)))?
                .collect::<rusqlite::Result<Vec<(ExternalTask, Option<String>)>>>()?;
            found.extend(tasks.into_iter().map(|(t, d)| (t, d, ti)));
        }
        if req.use_priority {
            found.sort_by_key(|t| std::cmp::Reverse(t.0.priority));
        }
        found.truncate(req.max_tasks);
        let mut locked = Vec::with_capacity(found.len());
        for (mut task, details, ti) in found {
            let topic = &req.topics[ti];
            let expiration = self.now.saturating_add(topic.lock_duration);
            self.stmts.execute(
                "UPDATE external_task SET worker_id = ?1, lock_expiration = ?2 WHERE id = ?3",
                params![req.worker_id, expiration, task.id],
            )?;
            task.worker_id = Some(req.worker_id.clone());
            task.lock_expiration_time = Some(expiration);
            let variables = match &topic.variables {
                Some(names) if names.is_empty() => Vec::new(),
                names => {
                    let inst = self.inst(&task.process_instance_id)?;
                    let all = if topic.local_variables {
                        inst.local_variables(&task.execution_id)
                    } else {
                        inst.visible_variables(&task.execution_id)
                    };
                    match names {
                        Some(names) => all.into_iter().filter(|(n, _)| names.contains(n)).collect(),
                        None => all,
                    }
                }
            };
            locked.push(LockedTask {
                task,
                error_details: details,
                variables,
            });
        }
        self.activity.tasks_fetched += locked.len() as u64;
        Ok(locked)
    }

    /// Sets a worker's variables on the task's execution, global ones first.
    fn set_task_variables(
        &mut self,
        instance: &str,
        exec: &str,
        variables: Variables,
        local: Variables,
    ) -> Result<()> {
        let inst = self.inst(instance)?;
        for (name, value) in variables {
            inst.set_variable(exec, &name, value);
        }
        for (name, value) in local {
            inst.set_local(exec, &name, value);
        }
        Ok(())
    }

    /// Checks the task's execution still waits for it.
    fn waiting_exec(&mut self, task: &TaskKey) -> Result<()> {
        let inst = self.inst(&task.instance)?;
        match inst.exec(&task.exec) {
            Some(e) if matches!(&e.wait, Wait::ExternalTask(t) if *t == task.id) => Ok(()),
            _ => Err(Error::Internal(format!(
                "external task {} has no waiting execution",
                task.id
            ))),
        }
    }

    pub(crate) fn complete(
        &mut self,
        id: &str,
        worker: &str,
        variables: Variables,
        local: Variables,
    ) -> Result<()> {
        let task = self.owned_task_key(id, worker, "completed")?;
        self.waiting_exec(&task)?;
        self.delete_read_task(&task)?;
        self.set_task_variables(&task.instance, &task.exec, variables, local)?;
        self.activity.tasks_completed += 1;
        self.step(&task.instance, |run| run.complete(&task.exec))
    }

    pub(crate) fn bpmn_error(
        &mut self,
        id: &str,
        worker: &str,
        code: &str,
        message: Option<&str>,
        variables: Variables,
    ) -> Result<()> {
        if code.is_empty() {
            return Err(Error::Invalid("errorCode is required".into()));
        }
        let task = self.owned_task_key(id, worker, "reported a BPMN error")?;
        self.waiting_exec(&task)?;
        self.delete_read_task(&task)?;
        self.set_task_variables(&task.instance, &task.exec, variables, Vec::new())?;
        self.activity.bpmn_errors += 1;
        self.step(&task.instance, |run| {
            run.throw_error(&task.exec, code, message)
        })
    }

    pub(crate) fn failure(&mut self, id: &str, worker: &str, f: Failure) -> Result<()> {
        if f.retries < 0 {
            return Err(Error::Invalid(
                "retries must be greater than or equal to 0".into(),
            ));
        }
        if f.retry_timeout < 0 {
            return Err(Error::Invalid(
                "retryTimeout must be greater than or equal to 0".into(),
            ));
        }
        let task = self.owned_task(id, worker, "failed")?;
        self.conn
            .prepare_cached(
                "UPDATE external_task SET error_message = ?1, error_details = ?2, retries = ?3, \
                 lock_expiration = ?4 WHERE id = ?5",
            )?
            .execute(params![
                f.error_message,
                f.error_details,
                f.retries,
                self.now.saturating_add(f.retry_timeout),
                id
            ])?;
        if !f.variables.is_empty() || !f.local_variables.is_empty() {
            self.set_task_variables(
                &task.process_instance_id,
                &task.execution_id,
                f.variables,
                f.local_variables,
            )?;
        }
        self.manage_incident(&task, f.retries, f.error_message.as_deref())?;
        self.activity.tasks_failed += 1;
        self.tasks_changed = true;
        Ok(())
    }

    /// Raises or resolves the task's incident as its retries go to 0 or above it.
    fn manage_incident(
        &mut self,
        task: &ExternalTask,
        retries: i64,
        message: Option<&str>,
    ) -> Result<()> {
        let had_retries = task.retries.is_none_or(|r| r > 0);
        if had_retries && retries <= 0 {
            let inst = self.inst(&task.process_instance_id)?;
            let key = inst.graph.key.clone();
            self.insert_incident(&IncidentRow {
                id: &crate::new_id(),
                kind: "failedExternalTask",
                message,
                instance: &task.process_instance_id,
                exec: &task.execution_id,
                activity: &task.activity_id,
                definition_id: &task.process_definition_id,
                definition_key: &key,
                configuration: Some(&task.id),
                tenant: task.tenant_id.as_deref(),
            })?;
        } else if !had_retries && retries > 0 {
            self.resolve_task_incidents(&task.id, "RESOLVED")?;
        }
        Ok(())
    }

    pub(crate) fn set_retries(&mut self, id: &str, retries: i64) -> Result<()> {
        if retries < 0 {
            return Err(Error::Invalid(
                "retries must be greater than or equal to 0".into(),
            ));
        }
        let (task, _) = self.task(id)?;
        self.conn
            .prepare_cached("UPDATE external_task SET retries = ?1 WHERE id = ?2")?
            .execute(params![retries, id])?;
        let message = task.error_message.clone();
        self.manage_incident(&task, retries, message.as_deref())?;
        self.tasks_changed = true;
        Ok(())
    }

    // ----- incidents and history -----

    pub(crate) fn insert_incident(&mut self, i: &IncidentRow<'_>) -> Result<()> {
        self.activity.incidents += 1;
        self.conn
            .prepare_cached(
                "INSERT INTO incident (id, type, message, create_time, instance_id, execution_id, \
                 activity_id, definition_id, configuration, tenant_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                i.id,
                i.kind,
                i.message,
                self.now,
                i.instance,
                i.exec,
                i.activity,
                i.definition_id,
                i.configuration,
                i.tenant
            ])?;
        if self.shared.history {
            self.conn
                .prepare_cached(
                    "INSERT INTO hi_incident (id, type, message, create_time, instance_id, \
                     execution_id, activity_id, definition_id, definition_key, configuration, \
                     state, tenant_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'OPEN', ?11)",
                )?
                .execute(params![
                    i.id, i.kind, i.message, self.now, i.instance, i.exec, i.activity,
                    i.definition_id, i.definition_key, i.configuration, i.tenant
                ])?;
        }
        tracing::warn!(incident = i.id, kind = i.kind, message = ?i.message, "incident raised");
        Ok(())
    }

    pub(crate) fn end_incident(&mut self, id: &str, state: &str) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM incident WHERE id = ?1")?
            .execute([id])?;
        if self.shared.history {
            self.conn
                .prepare_cached("UPDATE hi_incident SET state = ?1, end_time = ?2 WHERE id = ?3")?
                .execute(params![state, self.now, id])?;
        }
        Ok(())
    }

    /// The next history sequence number: after every one already given out (so commands
    /// within one millisecond never interleave), and near the clock.
    fn next_seq(&self) -> i64 {
        let last = self
            .shared
            .hist_seq
            .load(std::sync::atomic::Ordering::Relaxed);
        let seq = self.now.saturating_mul(1000).max(last.saturating_add(1));
        self.shared
            .hist_seq
            .store(seq, std::sync::atomic::Ordering::Relaxed);
        seq
    }

    fn history(&mut self, id: &str, event: HistoryEvent) -> Result<()> {
        match event {
            HistoryEvent::ActivityStart { .. } => self.activity.activities_started += 1,
            HistoryEvent::ActivityEnd { .. } => self.activity.activities_ended += 1,
            _ => {}
        }
        if !self.shared.history {
            return Ok(());
        }
        let now = self.now;
        match event {
            HistoryEvent::ActivityStart {
                id: act,
                parent,
                activity_id,
                exec,
                activity_type,
            } => {
                let inst = self.inst(id)?;
                let g = inst.graph.clone();
                let tenant = inst.tenant_id.clone();
                let name = g
                    .node_id(&activity_id)
                    .and_then(|n| g.process.node(n).name.clone());
                let seq = self.next_seq();
                self.hist.start_activity(ActRow {
                    id: act,
                    parent,
                    activity_id,
                    name,
                    activity_type,
                    instance: id.to_owned(),
                    exec,
                    definition_id: g.id.clone(),
                    definition_key: g.key.clone(),
                    task_id: None,
                    called: None,
                    start: now,
                    end: None,
                    canceled: false,
                    complete_scope: false,
                    seq,
                    tenant,
                });
            }
            HistoryEvent::ActivityEnd {
                id: act,
                canceled,
                complete_scope,
            } => self.hist.change(Change::ActivityEnd {
                id: act,
                end: now,
                canceled,
                complete_scope,
            }),
            HistoryEvent::ActivityCalled { id: act, called } => {
                self.hist.change(Change::ActivityCalled { id: act, called });
            }
            HistoryEvent::ActivityTask { id: act, task } => {
                self.hist.change(Change::ActivityTask { id: act, task });
            }
            HistoryEvent::ProcessStart { start_activity } => {
                let inst = self.inst(id)?;
                let g = inst.graph.clone();
                let (bk, sup, root, tenant, start) = (
                    inst.business_key.clone(),
                    inst.super_ref.as_ref().map(|s| s.0.clone()),
                    inst.root_instance_id.clone(),
                    inst.tenant_id.clone(),
                    inst.start_time,
                );
                self.hist.start_process(ProcRow {
                    id: id.to_owned(),
                    business_key: bk,
                    definition_id: g.id.clone(),
                    definition_key: g.key.clone(),
                    version: g.version,
                    name: g.process.name.clone(),
                    start,
                    start_activity,
                    super_instance: sup,
                    root,
                    tenant,
                    end: None,
                    state: "ACTIVE",
                    end_activity: None,
                    reason: None,
                });
            }
            HistoryEvent::ProcessEnd {
                state,
                end_activity,
                reason,
            } => self.hist.change(Change::ProcessEnd {
                id: id.to_owned(),
                end: now,
                state: state.as_str(),
                end_activity,
                reason,
            }),
        }
        Ok(())
    }

    // ----- writing back -----

    /// Writes every loaded instance back: its row, its variables, their history;
    /// says what changed for waiters.
    pub(crate) fn flush(mut self) -> Result<crate::store::Changed> {
        let order = std::mem::take(&mut self.order);
        for id in order {
            let Some(mut inst) = self.instances.remove(&id) else {
                continue;
            };
            self.write_instance(&mut inst)?;
            if inst.is_new {
                self.activity.instances_started += 1;
                if inst.super_ref.is_none() {
                    self.activity.root_instances_started += 1;
                }
            }
            if inst.ended.is_some() {
                self.activity.instances_ended += 1;
            }
            if let Some(inst) = as_written(inst) {
                self.cache.stage(id, inst);
            }
        }
        Ok(crate::store::Changed {
            tasks: self.tasks_changed,
            jobs: self.jobs_changed,
            activity: self.activity,
        })
    }

    fn write_instance(&self, inst: &mut Instance) -> Result<()> {
        self.write_waiting(inst)?;
        let ended = inst.ended.is_some();
        if ended {
            if !inst.is_new {
                self.stmts
                    .execute("DELETE FROM process_instance WHERE id = ?1", [&inst.id])?;
                if !inst.vars.is_empty() {
                    self.conn
                        .prepare_cached("DELETE FROM variable WHERE instance_id = ?1")?
                        .execute([&inst.id])?;
                }
                self.stmts
                    .execute("DELETE FROM incident WHERE instance_id = ?1", [&inst.id])?;
            }
        } else {
            let state = serde_json::to_string(&inst.execs)
                .map_err(|e| Error::Internal(format!("cannot serialise instance state: {e}")))?;
            if inst.is_new {
                self.stmts.execute(
                        "INSERT INTO process_instance (id, definition_id, definition_key, business_key, \
                         super_instance_id, super_execution_id, root_instance_id, tenant_id, \
                         start_time, state, rev) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)",
                    params![
                        inst.id,
                        inst.graph.id,
                        inst.graph.key,
                        inst.business_key,
                        inst.super_ref.as_ref().map(|s| &s.0),
                        inst.super_ref.as_ref().map(|s| &s.1),
                        inst.root_instance_id,
                        inst.tenant_id,
                        inst.start_time,
                        state
                    ],
                )?;
            } else {
                let updated = self.stmts.execute(
                    "UPDATE process_instance SET state = ?1, rev = ?2 WHERE id = ?3 AND rev = ?4",
                    params![state, inst.rev + 1, inst.id, inst.rev],
                )?;
                if updated != 1 {
                    return Err(Error::Internal(format!(
                        "instance {} changed under this command (revision {})",
                        inst.id, inst.rev
                    )));
                }
            }
        }
        for var in inst.vars.iter() {
            if (var.state == VarState::Clean && !var.gone) || var.state == VarState::Dropped {
                continue;
            }
            let in_table = var.state != VarState::New;
            if (ended || var.gone || var.state == VarState::Deleted) && in_table {
                if !ended {
                    self.conn
                        .prepare_cached(
                            "DELETE FROM variable WHERE execution_id = ?1 AND name = ?2",
                        )?
                        .execute(params![var.scope, var.name])?;
                }
            } else if !ended && !var.gone && var.state == VarState::New {
                self.conn
                    .prepare_cached(
                        "INSERT INTO variable (execution_id, name, id, instance_id, type, value, info) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )?
                    .execute(params![
                        var.scope,
                        var.name,
                        var.id,
                        inst.id,
                        var.value.type_name(),
                        SqlOf(&var.value),
                        rows::info_of(&var.value)
                    ])?;
            } else if !ended && !var.gone && var.state == VarState::Updated {
                self.conn
                    .prepare_cached(
                        "UPDATE variable SET type = ?1, value = ?2, info = ?3 \
                         WHERE execution_id = ?4 AND name = ?5",
                    )?
                    .execute(params![
                        var.value.type_name(),
                        SqlOf(&var.value),
                        rows::info_of(&var.value),
                        var.scope,
                        var.name
                    ])?;
            }
            if self.shared.history {
                self.write_variable_history(inst, var)?;
            }
        }
        Ok(())
    }

    /// Brings the instance's `waiting_token` rows from where its tokens waited
    /// when it was last written (`inst.waiting`) to where they wait now (nowhere
    /// once it ended), changing only the activities whose count changed.
    fn write_waiting(&self, inst: &mut Instance) -> Result<()> {
        let now = if inst.ended.is_some() {
            Vec::new()
        } else {
            crate::runtime::state::waiting(&inst.execs)
        };
        if now == inst.waiting {
            return Ok(());
        }
        let definition = &inst.graph.id;
        let find = |list: &[(String, u32)], activity: &str| {
            list.binary_search_by(|(a, _)| a.as_str().cmp(activity))
                .ok()
                .and_then(|i| list.get(i))
                .map(|(_, n)| *n)
        };
        for (activity, _) in &inst.waiting {
            if find(&now, activity).is_none() {
                self.stmts.execute(
                    "DELETE FROM waiting_token \
                     WHERE definition_id = ?1 AND activity_id = ?2 AND instance_id = ?3",
                    params![definition, activity, inst.id],
                )?;
            }
        }
        for (activity, n) in &now {
            match find(&inst.waiting, activity) {
                Some(was) if was == *n => {}
                Some(_) => {
                    self.stmts.execute(
                        "UPDATE waiting_token SET tokens = ?4 \
                         WHERE definition_id = ?1 AND activity_id = ?2 AND instance_id = ?3",
                        params![definition, activity, inst.id, n],
                    )?;
                }
                None => {
                    self.stmts.execute(
                        "INSERT INTO waiting_token (definition_id, activity_id, instance_id, tokens) \
                         VALUES (?1, ?2, ?3, ?4)",
                        params![definition, activity, inst.id, n],
                    )?;
                }
            }
        }
        inst.waiting = now;
        Ok(())
    }

    fn write_variable_history(&self, inst: &Instance, var: &Var) -> Result<()> {
        let info = rows::info_of(&var.value);
        match var.state {
            VarState::New => {
                self.conn
                    .prepare_cached(
                        "INSERT INTO hi_variable (id, name, type, value, info, instance_id, execution_id, \
                         definition_id, definition_key, create_time, state, tenant_id) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'CREATED', ?11) \
                         ON CONFLICT (id) DO UPDATE SET type = excluded.type, value = excluded.value, \
                         info = excluded.info, state = 'CREATED'",
                    )?
                    .execute(params![
                        var.id,
                        var.name,
                        var.value.type_name(),
                        SqlOf(&var.value),
                        info,
                        inst.id,
                        var.scope,
                        inst.graph.id,
                        inst.graph.key,
                        self.now,
                        inst.tenant_id
                    ])?;
            }
            VarState::Updated => {
                self.conn
                    .prepare_cached(
                        "UPDATE hi_variable SET type = ?1, value = ?2, info = ?3, state = 'CREATED' WHERE id = ?4",
                    )?
                    .execute(params![var.value.type_name(), SqlOf(&var.value), info, var.id])?;
            }
            VarState::Deleted => {
                self.conn
                    .prepare_cached("UPDATE hi_variable SET state = 'DELETED' WHERE id = ?1")?
                    .execute([&var.id])?;
                return Ok(());
            }
            VarState::Clean | VarState::Dropped => return Ok(()),
        }
        self.conn
            .prepare_cached(
                "INSERT INTO hi_variable_update (variable_id, name, type, value, info, instance_id, \
                 execution_id, time, revision) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
                 CASE WHEN ?9 THEN 0 ELSE \
                 (SELECT COUNT(*) FROM hi_variable_update WHERE variable_id = ?1) END)",
            )?
            .execute(params![
                var.id,
                var.name,
                var.value.type_name(),
                SqlOf(&var.value),
                info,
                inst.id,
                var.scope,
                self.now,
                // A new variable's id is new: it has no updates yet.
                var.state == VarState::New
            ])?;
        Ok(())
    }
}

/// An instance bigger than this (bytes, roughly: its variables' values and its
/// executions) stays out of the cache, which thus holds at most about
/// `CAPACITY` (4,096) times this: 32 MiB, as much as SQLite's page cache.
/// What a worker needs to fetch and lock an external task.
const FETCH_CHECKS: &[(crate::authz::Resource, u32, &str)] = &[
    (
        crate::authz::Resource::ProcessInstance,
        crate::authz::perm::READ | crate::authz::perm::UPDATE,
        "instance_id",
    ),
    (
        crate::authz::Resource::ProcessDefinition,
        crate::authz::perm::READ_INSTANCE | crate::authz::perm::UPDATE_INSTANCE,
        "definition_key",
    ),
];

const CACHED_INSTANCE_MAX: usize = 8 * 1024;

/// About how many bytes an execution takes.
const EXEC_SIZE: usize = 128;

/// `inst` as the database now has it, just written by [`Ctx::write_instance`]: for the
/// cache, unless it ended (its rows are gone) or it is big.
fn as_written(mut inst: Instance) -> Option<Instance> {
    if inst.ended.is_some() {
        return None;
    }
    inst.vars.written();
    let size: usize = inst
        .vars
        .iter()
        .map(|v| v.value.stored_bytes())
        .sum::<usize>()
        + inst.execs.len() * EXEC_SIZE;
    if size > CACHED_INSTANCE_MAX {
        return None;
    }
    inst.rev = if inst.is_new { 1 } else { inst.rev + 1 };
    inst.is_new = false;
    // The next command counts its own variable writes.
    inst.var_writes = 0;
    inst.conditions_seen = 0;
    inst.var_events.clear();
    Some(inst)
}

/// What completing a task (or throwing a BPMN error from it) needs of its row.
struct TaskKey {
    id: String,
    instance: String,
    exec: String,
    retries: Option<i64>,
}

/// Checks that `worker` holds task `id` (locked by `owner`) and that it is active.
fn check_owner(
    id: &str,
    owner: Option<&str>,
    suspended: bool,
    worker: &str,
    verb: &str,
) -> Result<()> {
    if owner != Some(worker) {
        return Err(Error::Invalid(format!(
            "External Task {id} cannot be {verb} by worker '{worker}'. It is locked by worker '{}'.",
            owner.unwrap_or("")
        )));
    }
    if suspended {
        return Err(Error::Invalid(format!("External Task {id} is suspended")));
    }
    Ok(())
}

pub(crate) struct IncidentRow<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub message: Option<&'a str>,
    pub instance: &'a str,
    pub exec: &'a str,
    pub activity: &'a str,
    pub definition_id: &'a str,
    pub definition_key: &'a str,
    pub configuration: Option<&'a str>,
    pub tenant: Option<&'a str>,
}

/// Compiles definition `id` from its stored resource and caches it.
pub(crate) fn load_graph(
    conn: &Connection,
    cache: &crate::graph::Cache,
    id: &str,
) -> Result<Arc<Graph>> {
    let row = conn
        .prepare_cached(
            "SELECT d.key, d.version, d.deployment_id, d.tenant_id, r.bytes FROM process_definition d \
             JOIN resource r ON r.deployment_id = d.deployment_id AND r.name = d.resource_name \
             WHERE d.id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Vec<u8>>(4)?,
            ))
        })
        .optional()?;
    let Some((key, version, deployment, tenant, bytes)) = row else {
        return Err(Error::NotFound(format!(
            "No process definition found with id '{id}'"
        )));
    };
    let parsed = baton_bpmn::parse_bytes(&bytes, &baton_bpmn::Limits::default())
        .map_err(|e| Error::Internal(format!("stored definition {id} no longer parses: {e}")))?;
    let process = parsed
        .definitions
        .processes
        .into_iter()
        .find(|p| p.id == key)
        .ok_or_else(|| Error::Internal(format!("stored definition {id} lost its process")))?;
    let graph = Arc::new(Graph::new(
        id.to_owned(),
        version,
        deployment,
        tenant,
        process,
    ));
    cache.insert(graph.clone());
    Ok(graph)
}
