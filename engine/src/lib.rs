//! The Baton runtime: deploys BPMN models and runs their instances, with all
//! state in SQLite.
//!
//! [`Engine`] is the whole API. It knows nothing of HTTP; the REST server in
//! `baton-server` is a thin layer over it, and an application can embed it
//! directly, with in-process handlers for its external tasks
//! ([`Engine::register_handler`]).
//!
//! ```no_run
//! # async fn demo() -> baton_engine::Result<()> {
//! use baton_engine::{Config, Engine, NewDeployment, StartInstance};
//! let engine = Engine::open(Config::file("baton.db"))?;
//! engine.deploy(NewDeployment {
//!     resources: vec![("order.bpmn".into(), std::fs::read("order.bpmn").unwrap())],
//!     ..NewDeployment::default()
//! }).await?;
//! let instance = engine.start(StartInstance::by_key("order").variable("amount", 42)).await?;
//! # Ok(()) }
//! ```

pub mod authz;
pub mod clock;
mod command;
mod counters;
pub mod date;
mod deploy;
pub mod error;
mod events;
mod expr;
pub mod filter;
pub mod form;
mod forms_store;
mod graph;
mod handlers;
mod id;
pub mod identity;
pub mod job_definitions;
pub mod limits;
mod list;
mod query;
mod resources;
mod runtime;
mod stats;
mod store;
mod task;
#[allow(dead_code)] // used by the job executor (events issue)
mod timer;
pub mod types;
pub mod value;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;

pub use baton_bpmn as bpmn;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Forbidden, InvalidResource, Result};
pub use filter::{VariableFilter, VariableOp};
pub use handlers::{HandlerFuture, HandlerOptions, Outcome, TaskHandler};
pub use identity::{
    ADMIN_GROUP, Group, GroupQuery, Principal, Tenant, TenantQuery, User, UserQuery,
};
pub use store::{Durability, Location};
pub use task::{
    Comment, DelegationState, FormRef, HistoricTask, HistoricTaskQuery, HistoricTaskSort,
    IdentityLink, Task, TaskForm, TaskQuery, TaskSort, TaskUpdate, VariablesAfter,
};
pub use types::*;
pub use value::{Value, ValueError};

use command::Ctx;
use store::Store;

/// How to open an engine.
#[derive(Clone)]
pub struct Config {
    /// Where the database is.
    pub location: Location,
    /// How durable each commit is.
    pub durability: Durability,
    /// Whether history is kept (Camunda's level "full"), or none at all.
    pub history: bool,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
}

impl Config {
    /// A durable engine on the database file `path`, with full history and the system clock.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Config {
            location: Location::File(path.into()),
            durability: Durability::Full,
            history: true,
            clock: Arc::new(SystemClock),
        }
    }

    /// An engine on a private in-memory database.
    pub fn memory() -> Self {
        Config {
            location: Location::Memory,
            ..Config::file("")
        }
    }

    /// Uses `clock` for time.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the durability.
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Turns history on or off.
    pub fn history(mut self, on: bool) -> Self {
        self.history = on;
        self
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("location", &self.location)
            .field("durability", &self.durability)
            .field("history", &self.history)
            .finish_non_exhaustive()
    }
}

/// What every command can reach, shared by the API and the writer thread.
pub(crate) struct Shared {
    pub(crate) cache: graph::Cache,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) history: bool,
    pub(crate) task_events: watch::Sender<u64>,
    /// Bumped after every commit that created or changed jobs; the job executor
    /// waits on it.
    pub(crate) job_events: watch::Sender<u64>,
    /// The last history sequence number given out (used by the writer only).
    pub(crate) hist_seq: std::sync::atomic::AtomicI64,
    /// What the committed commands did since the engine opened, and when.
    pub(crate) activity: counters::Counters,
    /// Bumped after every committed change to users, groups, memberships, tenants
    /// or authorizations (see [`Engine::identity_generation`]).
    pub(crate) identity_generation: std::sync::atomic::AtomicU64,
    /// Users' authorizations, read once per identity generation.
    pub(crate) grant_cache: authz::GrantCache,
}

/// An open engine. Cheap to clone; every clone is the same engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    shared: Arc<Shared>,
    handlers: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for h in self
            .handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            h.abort();
        }
        self.store.close();
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

/// Logs a committed deployment at info: what was deployed, and which versions.
fn log_deployment(r: &DeploymentResult) {
    let d = &r.deployment;
    if r.definitions.is_empty() {
        tracing::info!(
            deployment = %d.id,
            name = d.name.as_deref().unwrap_or(""),
            "deployed, no new process definition (unchanged, or none in it)"
        );
        return;
    }
    let versions: Vec<String> = r
        .definitions
        .iter()
        .map(|p| format!("{} v{} ({})", p.key, p.version, p.resource_name))
        .collect();
    tracing::info!(
        deployment = %d.id,
        name = d.name.as_deref().unwrap_or(""),
        tenant = d.tenant_id.as_deref().unwrap_or(""),
        "deployed {}",
        versions.join(", ")
    );
}

/// A fresh id (a time-ordered UUID, so new rows land at the end of their indexes).
pub(crate) fn new_id() -> String {
    id::new_id()
}

impl Engine {
    /// Opens the database (creating or upgrading it) and starts the engine.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the database cannot be opened or migrated.
    pub fn open(config: Config) -> Result<Engine> {
        let (task_events, _) = watch::channel(0u64);
        let (job_events, _) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            cache: graph::Cache::default(),
            clock: config.clock.clone(),
            history: config.history,
            task_events,
            job_events,
            hist_seq: std::sync::atomic::AtomicI64::new(0),
            activity: counters::Counters::default(),
            identity_generation: std::sync::atomic::AtomicU64::new(0),
            grant_cache: authz::GrantCache::default(),
        });
        let notify = shared.clone();
        let seq = shared.clone();
        let store = Store::open(
            &config.location,
            config.durability,
            &move |conn| {
                let last: Option<i64> =
                    conn.query_row("SELECT MAX(seq) FROM hi_activity_instance", [], |r| {
                        r.get(0)
                    })?;
                seq.hist_seq
                    .store(last.unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
                Ok(())
            },
            Box::new(move |changed: store::Changed| {
                if changed.activity != Activity::default() {
                    notify.activity.add(notify.clock.now(), changed.activity);
                }
                if changed.tasks {
                    notify.task_events.send_modify(|v| *v = v.wrapping_add(1));
                }
                if changed.jobs {
                    notify.job_events.send_modify(|v| *v = v.wrapping_add(1));
                }
            }),
        )?;
        let engine = Engine {
            inner: Arc::new(Inner {
                store,
                shared,
                handlers: std::sync::Mutex::new(Vec::new()),
            }),
        };
        // Timers fire on their own when the engine runs on a tokio runtime; without
        // one, `run_due_jobs` fires them.
        if let Some(executor) = events::spawn_job_executor(Arc::downgrade(&engine.inner)) {
            engine
                .inner
                .handlers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(executor);
        }
        Ok(engine)
    }

    /// Waits until the engine stops working for good, and answers why: its database
    /// file was deleted or replaced by another file while it ran. From then on every
    /// call fails with that error; nothing more is written. `baton serve` exits on it.
    pub async fn failed(&self) -> Error {
        self.inner.store.stopped().await
    }

    /// What the engine did since it opened (instances started and ended, tasks
    /// completed, incidents raised, ...), counting only what committed. Read from
    /// atomics: it never waits for the writer.
    pub fn activity(&self) -> Activity {
        self.inner.shared.activity.total()
    }

    /// What the engine did, as [`Engine::activity`] counts it, in the commits from
    /// `start` (inclusive) to `end` (exclusive), in milliseconds of the engine's
    /// clock, each `None` for no bound. Counts are kept by the minute of their
    /// commit for two days and by the hour before that, and a minute or hour
    /// counts when it begins in the window; they live in memory, from the
    /// engine's opening on.
    pub fn activity_between(&self, start: Option<i64>, end: Option<i64>) -> Activity {
        self.inner.shared.activity.between(start, end)
    }

    /// The writer's group commits since the engine opened: commands per group and
    /// seconds per group, as histograms.
    pub fn commits(&self) -> Commits {
        self.inner.store.commits()
    }

    /// Whether the engine still works: `Ok` while its database file is the one it
    /// opened, the error that stopped it otherwise (as [`Engine::failed`] answers).
    /// It looks at the file now, so a replaced file is noticed at once.
    ///
    /// # Errors
    ///
    /// The error that stopped the engine.
    pub fn check(&self) -> Result<()> {
        self.inner.store.check()
    }

    /// What waits in the database now: jobs due, open incidents by type.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn backlog(&self) -> Result<Backlog> {
        let now = self.now();
        self.inner
            .store
            .read(move |c| {
                let jobs_due: i64 = c
                    .prepare_cached(
                        "SELECT COUNT(*) FROM job WHERE retries > 0 AND suspended = 0 AND due <= ?1",
                    )?
                    .query_row([now], |r| r.get(0))?;
                let incidents_open = c
                    .prepare_cached("SELECT type, COUNT(*) FROM incident GROUP BY type ORDER BY type")?
                    .query_map([], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.unsigned_abs()))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(Backlog {
                    jobs_due: jobs_due.unsigned_abs(),
                    incidents_open,
                })
            })
            .await
    }

    /// The schema version of the database (the number of migrations applied),
    /// read from the database itself: an answer shows that it is open and
    /// answering.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] when the database cannot be read, or the error that
    /// stopped the engine.
    pub async fn schema_version(&self) -> Result<i64> {
        self.inner
            .store
            .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
            .await
    }

    /// The engine's clock reading, in milliseconds since the epoch.
    pub fn now(&self) -> i64 {
        self.inner.shared.clock.now()
    }

    /// A receiver that changes whenever external tasks may have become fetchable
    /// (created, unlocked, failed with a retry timeout, given retries). Long polls wait
    /// on it; they must still re-check lock expirations themselves.
    pub fn task_events(&self) -> watch::Receiver<u64> {
        self.inner.shared.task_events.subscribe()
    }

    /// A number that grows after every committed change to users, passwords,
    /// groups, memberships, tenants or authorizations. Whatever is cached about who
    /// someone is or what they may do (verified credentials, group lists, grants)
    /// stays valid only while this number is unchanged: a change takes effect on
    /// the next request, never merely when a cache expires.
    pub fn identity_generation(&self) -> u64 {
        self.inner
            .shared
            .identity_generation
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Runs `f` as [`Engine::command`] does, then, once it has committed, moves
    /// [`Engine::identity_generation`] on.
    pub(crate) async fn identity_command<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnMut(&mut Ctx<'_, '_>) -> Result<R> + Send + 'static,
    {
        let result = self.command(f).await;
        self.inner
            .shared
            .identity_generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        result
    }

    /// Runs `f` as one command: one savepoint in a group commit, answered when durable.
    ///
    /// `f` may run more than once (see [`Store::write`]): it takes its inputs by
    /// reference or clones them, and leaves nothing behind outside the transaction.
    async fn command<R, F>(&self, mut f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnMut(&mut Ctx<'_, '_>) -> Result<R> + Send + 'static,
    {
        let shared = self.inner.shared.clone();
        self.inner
            .store
            .write(move |tx| {
                let mut ctx = Ctx::new(
                    tx.conn,
                    tx.stmts,
                    &mut tx.history,
                    &mut tx.instances,
                    &shared,
                );
                let result = f(&mut ctx)?;
                let changed = ctx.flush()?;
                tx.changed = tx.changed.or(changed);
                Ok(result)
            })
            .await
    }

    /// Deploys resources; each executable process in a `.bpmn` resource becomes a
    /// process definition.
    ///
    /// # Errors
    ///
    /// [`Error::Deployment`] naming the resource and its problems when a model is
    /// invalid, or a decision (DMN) or case (CMMN) model, which Baton does not run;
    /// [`Error::Deployments`] with each of them when several are. Nothing is
    /// deployed then.
    pub async fn deploy(&self, deployment: NewDeployment) -> Result<DeploymentResult> {
        let shared = self.inner.shared.clone();
        // Parse outside the writer: it is the slow part and needs no database.
        let parsed = tokio::task::spawn_blocking(move || {
            deploy::parse_resources(&deployment).map(|p| (deployment, p))
        })
        .await
        .map_err(|e| Error::Internal(format!("deployment parsing failed: {e}")))??;
        let result = self
            .command(move |ctx| {
                deploy::deploy(ctx, &shared.cache, parsed.0.clone(), parsed.1.clone())
            })
            .await?;
        log_deployment(&result);
        Ok(result)
    }

    /// Deletes a deployment with its resources and process definitions. With
    /// `cascade`, running instances of its definitions are cancelled and their history
    /// removed; without it, a running instance refuses the deletion.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown deployment, [`Error::Invalid`] when instances
    /// run and `cascade` is false.
    pub async fn delete_deployment(&self, deployment_id: &str, cascade: bool) -> Result<()> {
        let shared = self.inner.shared.clone();
        let id = deployment_id.to_owned();
        self.command(move |ctx| deploy::delete(ctx, &shared.cache, &id, cascade))
            .await
    }

    /// Starts a process instance.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown definition, [`Error::Invalid`] for a suspended
    /// one or one without a none start event.
    /// Also [`Error::Invalid`] past the [`limits`] on variables.
    pub async fn start(&self, start: StartInstance) -> Result<ProcessInstance> {
        limits::check(&[&start.variables], 0)?;
        self.command(move |ctx| {
            let (def, suspended) = ctx.resolve(&start.definition)?;
            ctx.start_instance(
                &def,
                Some(suspended),
                start.business_key.clone(),
                start.variables.clone(),
                None,
                None,
            )
        })
        .await
    }

    /// Locks up to `max_tasks` fetchable external tasks of the given topics for a worker.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a missing worker id or a non-positive lock duration.
    pub async fn fetch_and_lock(&self, request: FetchAndLock) -> Result<Vec<LockedTask>> {
        if request.max_tasks == 0 || request.topics.is_empty() {
            return Ok(Vec::new());
        }
        self.command(move |ctx| ctx.fetch_and_lock(&request)).await
    }

    /// Completes an external task locked by `worker_id`, setting `variables` (Camunda's
    /// `setVariables`) and `local_variables` on its execution, and moves the instance on.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task, [`Error::Invalid`] when another worker
    /// holds it.
    /// Also [`Error::Invalid`] past the [`limits`] on variables.
    pub async fn complete(
        &self,
        task_id: &str,
        worker_id: &str,
        variables: Variables,
        local_variables: Variables,
    ) -> Result<()> {
        limits::check(&[&variables, &local_variables], 0)?;
        let (task_id, worker_id) = (task_id.to_owned(), worker_id.to_owned());
        self.command(move |ctx| {
            ctx.complete(
                &task_id,
                &worker_id,
                variables.clone(),
                local_variables.clone(),
            )
        })
        .await
    }

    /// Reports a failure of an external task: sets its retries and retry timeout; at
    /// 0 retries a `failedExternalTask` incident is raised.
    ///
    /// # Errors
    ///
    /// As [`Engine::complete`], and [`Error::Invalid`] for negative retries or timeout.
    pub async fn handle_failure(
        &self,
        task_id: &str,
        worker_id: &str,
        failure: Failure,
    ) -> Result<()> {
        let (task_id, worker_id) = (task_id.to_owned(), worker_id.to_owned());
        self.command(move |ctx| ctx.failure(&task_id, &worker_id, failure.clone()))
            .await
    }

    /// Throws a BPMN error from an external task's activity.
    ///
    /// # Errors
    ///
    /// As [`Engine::complete`], and [`Error::Invalid`] for an empty error code.
    /// Also [`Error::Invalid`] past the [`limits`] on variables.
    pub async fn handle_bpmn_error(
        &self,
        task_id: &str,
        worker_id: &str,
        error_code: &str,
        error_message: Option<&str>,
        variables: Variables,
    ) -> Result<()> {
        limits::check(&[&variables], 0)?;
        let (task_id, worker_id, code) = (
            task_id.to_owned(),
            worker_id.to_owned(),
            error_code.to_owned(),
        );
        let message = error_message.map(str::to_owned);
        self.command(move |ctx| {
            ctx.bpmn_error(
                &task_id,
                &worker_id,
                &code,
                message.as_deref(),
                variables.clone(),
            )
        })
        .await
    }

    /// Extends the lock of a task `worker_id` holds to `new_duration` ms from now.
    ///
    /// # Errors
    ///
    /// As [`Engine::complete`], and [`Error::Invalid`] when the lock already expired.
    pub async fn extend_lock(
        &self,
        task_id: &str,
        worker_id: &str,
        new_duration: i64,
    ) -> Result<()> {
        let (task_id, worker_id) = (task_id.to_owned(), worker_id.to_owned());
        self.command(move |ctx| {
            if new_duration <= 0 {
                return Err(Error::Invalid("newDuration must be positive".into()));
            }
            let task = ctx.owned_task(&task_id, &worker_id, "extended")?;
            if task.lock_expiration_time.is_none_or(|t| t <= ctx.now) {
                return Err(Error::Invalid(format!(
                    "Cannot extend a lock that expired: external task {task_id}"
                )));
            }
            ctx.conn
                .prepare_cached("UPDATE external_task SET lock_expiration = ?1 WHERE id = ?2")?
                .execute(rusqlite::params![
                    ctx.now.saturating_add(new_duration),
                    task_id
                ])?;
            Ok(())
        })
        .await
    }

    /// Locks a task for `worker_id` without fetching it, for `lock_duration` ms: allowed
    /// when it is unlocked, its lock expired, or `worker_id` already holds it.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task, [`Error::Invalid`] when another worker
    /// holds a lock that has not expired, or for a non-positive duration.
    pub async fn lock(&self, task_id: &str, worker_id: &str, lock_duration: i64) -> Result<()> {
        let (task_id, worker_id) = (task_id.to_owned(), worker_id.to_owned());
        self.command(move |ctx| {
            if worker_id.is_empty() {
                return Err(Error::Invalid("workerId is required".into()));
            }
            if lock_duration <= 0 {
                return Err(Error::Invalid("lockDuration must be positive".into()));
            }
            let (task, _) = ctx.task(&task_id)?;
            let held = task.lock_expiration_time.is_some_and(|t| t > ctx.now);
            if held && task.worker_id.as_deref() != Some(worker_id.as_str()) {
                return Err(Error::Invalid(format!(
                    "External Task {task_id} cannot be locked by worker '{worker_id}'. \
                     It is locked by worker '{}'.",
                    task.worker_id.unwrap_or_default()
                )));
            }
            ctx.conn
                .prepare_cached(
                    "UPDATE external_task SET worker_id = ?1, lock_expiration = ?2 WHERE id = ?3",
                )?
                .execute(rusqlite::params![
                    worker_id,
                    ctx.now.saturating_add(lock_duration),
                    task_id
                ])?;
            Ok(())
        })
        .await
    }

    /// Releases a task's lock, whoever holds it.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task.
    pub async fn unlock(&self, task_id: &str) -> Result<()> {
        let task_id = task_id.to_owned();
        self.command(move |ctx| {
            ctx.task(&task_id)?;
            ctx.conn
                .prepare_cached(
                    "UPDATE external_task SET worker_id = NULL, lock_expiration = NULL WHERE id = ?1",
                )?
                .execute([&task_id])?;
            ctx.tasks_changed = true;
            Ok(())
        })
        .await
    }

    /// Sets a task's retries; going from 0 to more resolves its incident, and from more
    /// to 0 raises one.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task, [`Error::Invalid`] for negative retries.
    pub async fn set_retries(&self, task_id: &str, retries: i64) -> Result<()> {
        let task_id = task_id.to_owned();
        self.command(move |ctx| ctx.set_retries(&task_id, retries))
            .await
    }

    /// Sets a task's priority.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown task.
    pub async fn set_priority(&self, task_id: &str, priority: i64) -> Result<()> {
        let task_id = task_id.to_owned();
        self.command(move |ctx| {
            ctx.task(&task_id)?;
            ctx.conn
                .prepare_cached("UPDATE external_task SET priority = ?1 WHERE id = ?2")?
                .execute(rusqlite::params![priority, task_id])?;
            Ok(())
        })
        .await
    }

    /// Cancels a running instance (and the instances it called).
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown instance.
    pub async fn delete_instance(&self, instance_id: &str, reason: Option<String>) -> Result<()> {
        let id = instance_id.to_owned();
        self.command(move |ctx| {
            ctx.step(&id, |run| {
                run.cancel(runtime::EndState::ExternallyTerminated, reason.clone());
            })
        })
        .await
    }

    /// Sets and removes variables of an instance's root scope (or of any execution
    /// with `execution_id`), local to it, as Camunda's variable modification does.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown instance or execution.
    /// Also [`Error::Invalid`] past the [`limits`] on variables.
    pub async fn modify_variables(
        &self,
        instance_id: &str,
        execution_id: Option<&str>,
        set: Variables,
        remove: Vec<String>,
    ) -> Result<()> {
        limits::check(&[&set], remove.len())?;
        let id = instance_id.to_owned();
        let exec = execution_id.map_or_else(|| id.clone(), str::to_owned);
        self.command(move |ctx| {
            let inst = ctx.inst(&id)?;
            if inst.exec(&exec).is_none() {
                return Err(Error::NotFound(format!("execution {exec} does not exist")));
            }
            let scope = inst.var_scope(&exec);
            for (name, value) in &set {
                inst.put(&scope, name, value.clone());
            }
            for name in &remove {
                inst.remove_var(&scope, name);
            }
            // Conditional events look at the new values.
            ctx.step(&id, |run| run.variables_changed())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_TASK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:serviceTask id="task" camunda:type="external" camunda:topic="t" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task" />
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"#;

    /// An engine on a fresh database file with [`ONE_TASK`] deployed; keep the
    /// directory as long as the engine.
    async fn one_task_engine() -> (Engine, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(Config::file(dir.path().join("b.db"))).unwrap();
        engine
            .deploy(NewDeployment {
                resources: vec![("p.bpmn".into(), ONE_TASK.as_bytes().to_vec())],
                ..NewDeployment::default()
            })
            .await
            .unwrap();
        (engine, dir)
    }

    /// The variable `x` of instance `id`, as the next command sees it.
    async fn x(engine: &Engine, id: &str) -> Option<Value> {
        let id = id.to_owned();
        engine
            .command(move |ctx| Ok(ctx.inst(&id)?.variable(&id, "x").cloned()))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_command_that_fails_after_writing_an_instance_leaves_no_trace_in_the_cache() {
        let (engine, _dir) = one_task_engine().await;
        let inst = engine
            .start(StartInstance::by_key("p").variable("x", 1))
            .await
            .unwrap();
        assert_eq!(x(&engine, &inst.id).await, Some(Value::Integer(1)));

        // Changes the instance, writes it (which stages it for the cache), then fails:
        // the savepoint rolls the row back, and the cache must forget it too.
        let shared = engine.inner.shared.clone();
        let id = inst.id.clone();
        let failed = engine
            .inner
            .store
            .write(move |tx| {
                let mut ctx = Ctx::new(
                    tx.conn,
                    tx.stmts,
                    &mut tx.history,
                    &mut tx.instances,
                    &shared,
                );
                ctx.inst(&id)?.put(&id, "x", Value::Integer(2));
                ctx.flush()?;
                Err::<(), _>(Error::Invalid("failed after writing".into()))
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(x(&engine, &inst.id).await, Some(Value::Integer(1)));

        // And a successful change is seen by the next command and by queries.
        let id = inst.id.clone();
        engine
            .modify_variables(&id, None, vec![("x".into(), Value::Integer(3))], Vec::new())
            .await
            .unwrap();
        assert_eq!(x(&engine, &inst.id).await, Some(Value::Integer(3)));
    }

    #[tokio::test]
    async fn variables_set_deleted_and_set_again_in_one_command_few_or_many() {
        let (engine, _dir) = one_task_engine().await;
        // 3 variables are found by looking at each; 100 through the index.
        for n in [3, 100] {
            let start = (0..n).fold(StartInstance::by_key("p"), |s, i| {
                s.variable(format!("v{i}"), i64::from(i))
            });
            let id = engine.start(start).await.unwrap().id;
            // One command: a new variable set, then deleted (nothing to write), and an
            // existing one deleted; the next sets it again.
            let names = |vars: &[VariableInstance]| {
                let mut names: Vec<String> = vars.iter().map(|v| v.name.clone()).collect();
                names.sort();
                names
            };
            let before = engine.variables(&id).await.unwrap();
            engine
                .modify_variables(
                    &id,
                    None,
                    vec![("fresh".into(), Value::Integer(1))],
                    vec!["fresh".into(), "v1".into()],
                )
                .await
                .unwrap();
            engine
                .modify_variables(&id, None, vec![("v1".into(), Value::Long(-1))], vec![])
                .await
                .unwrap();
            let after = engine.variables(&id).await.unwrap();
            assert_eq!(names(&after), names(&before), "{n}");
            let v1 = |vars: &[VariableInstance]| {
                vars.iter()
                    .find(|v| v.name == "v1")
                    .map(|v| (v.id.clone(), v.value.clone()))
            };
            assert_eq!(v1(&after).unwrap().1, Value::Long(-1));
            assert_ne!(
                v1(&after).unwrap().0,
                v1(&before).unwrap().0,
                "a new variable"
            );
            let history = engine.historic_variables(&id).await.unwrap();
            assert!(history.iter().all(|h| h.name != "fresh"), "{n}");
            assert_eq!(
                history.len(),
                n as usize + 1,
                "{n}: the deleted v1 and the new"
            );
        }
    }

    #[tokio::test]
    async fn completing_checks_the_task_and_its_worker() {
        let engine = Engine::open(Config::memory()).unwrap();
        engine
            .deploy(NewDeployment {
                resources: vec![("p.bpmn".into(), ONE_TASK.as_bytes().to_vec())],
                ..NewDeployment::default()
            })
            .await
            .unwrap();
        engine.start(StartInstance::by_key("p")).await.unwrap();
        let err = engine
            .complete("nope", "w", Vec::new(), Vec::new())
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "External task with id nope does not exist");
        let tasks = engine
            .fetch_and_lock(FetchAndLock {
                worker_id: "w".into(),
                max_tasks: 1,
                use_priority: false,
                newest_first: false,
                topics: vec![TopicRequest {
                    topic: "t".into(),
                    lock_duration: 1000,
                    ..TopicRequest::default()
                }],
                scope: None,
            })
            .await
            .unwrap();
        let id = &tasks[0].task.id;
        let err = engine
            .complete(id, "other", Vec::new(), Vec::new())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "External Task {id} cannot be completed by worker 'other'. It is locked by worker 'w'."
            )
        );
        engine
            .complete(id, "w", Vec::new(), Vec::new())
            .await
            .unwrap();
        let err = engine
            .complete(id, "w", Vec::new(), Vec::new())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
