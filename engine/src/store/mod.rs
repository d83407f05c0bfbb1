//! SQLite storage: opening and migrating the database, the single writer that
//! commits commands in groups, and the pool of read connections.
//!
//! Every state change runs as a command on the writer thread. The writer takes
//! every command waiting in its queue, runs each inside its own SAVEPOINT (so a
//! failing command is rolled back alone), commits the group in one transaction
//! and only then answers the callers. An answer therefore always means "durable"
//! (with `synchronous=FULL`), and a crash at any point leaves the database as of
//! the last commit. Activity- and process-instance history is the exception to
//! "written in the command's savepoint": it is buffered per group and written
//! just before COMMIT (see [`history`]); a failure there fails the whole group,
//! as a failed COMMIT does.

pub(crate) mod cache;
pub(crate) mod commits;
pub(crate) mod guard;
pub(crate) mod history;
pub(crate) mod readers;
pub(crate) mod rows;
pub(crate) mod stmts;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// The schema migrations, in order. Never edit one that has landed; add a file.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/0001_initial.sql"),
    include_str!("../../../migrations/0002_fetch_order_index.sql"),
    include_str!("../../../migrations/0003_variable_update_index.sql"),
    include_str!("../../../migrations/0004_events_and_jobs.sql"),
    include_str!("../../../migrations/0005_runtime_tables_without_rowid.sql"),
    include_str!("../../../migrations/0006_definition_category.sql"),
    include_str!("../../../migrations/0007_user_tasks.sql"),
    include_str!("../../../migrations/0008_forms.sql"),
    include_str!("../../../migrations/0009_query_indexes.sql"),
    include_str!("../../../migrations/0010_variable_values_as_given.sql"),
    include_str!("../../../migrations/0011_identity.sql"),
    include_str!("../../../migrations/0012_authorizations.sql"),
    include_str!("../../../migrations/0013_waiting_tokens.sql"),
];

/// WAL pages after which the writer itself copies them into the database file: a
/// backstop only. Checkpoints normally run on the checkpointer thread (see
/// [`CHECKPOINT_EVERY`]), because a checkpoint on the writer stalls every waiting
/// command for its page writes and the database file's fsync: with 10,000 pages that
/// was 20 to 30 ms, which timers and long polls felt.
const WAL_CHECKPOINT_PAGES: u32 = 10_000;

/// How often the checkpointer thread copies the WAL into the database file
/// (`PRAGMA wal_checkpoint(PASSIVE)`, on its own connection: it never blocks the
/// writer, which goes on appending to the WAL meanwhile). Under load a hundred or so
/// pages gather in between, well below [`WAL_CHECKPOINT_PAGES`].
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

/// The most commands committed in one transaction.
const MAX_GROUP: usize = 512;

/// How durable a commit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=FULL`: an answered call survives a power loss (the default).
    #[default]
    Full,
    /// `synchronous=NORMAL`: an answered call survives a crash of Baton but may be
    /// lost on a power loss. For throw-away databases.
    Normal,
}

/// Where the database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A database file (created if missing, upgraded in place if old).
    File(PathBuf),
    /// A private in-memory database, gone when the engine is dropped.
    Memory,
}

/// The state of the writer's current transaction, visible to commands.
/// What a group's commands changed that someone waits for, announced after its commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Changed {
    /// External tasks may have become fetchable (long polls look again).
    pub tasks: bool,
    /// Jobs were created or changed (the job executor looks again).
    pub jobs: bool,
    /// What the commands did, for the engine's counts.
    pub activity: crate::types::Activity,
}

impl Changed {
    /// Both changes together.
    pub(crate) fn or(self, other: Changed) -> Changed {
        Changed {
            tasks: self.tasks || other.tasks,
            jobs: self.jobs || other.jobs,
            activity: self.activity.plus(other.activity),
        }
    }
}

pub(crate) struct Tx<'c, 's> {
    /// The write connection, inside a transaction and the command's savepoint.
    pub conn: &'c Connection,
    /// The hot statements, prepared once on `conn`.
    pub stmts: &'s stmts::Stmts<'c>,
    /// What the group's commands changed that waiters care about.
    pub changed: Changed,
    /// The running command's activity- and process-instance history. It joins the
    /// group's when the command's savepoint is released, and is dropped when it is
    /// rolled back.
    pub history: history::Batch,
    /// The history of the group's successful commands, written just before COMMIT.
    group_history: history::Batch,
    /// The running instances as the writer last wrote them.
    pub instances: cache::Cache<crate::runtime::Instance>,
}

impl Tx<'_, '_> {
    /// Writes the group's buffered history now, in a savepoint of its own, so that a
    /// query running on the write connection sees it.
    fn write_history_now(&mut self) -> Result<()> {
        if self.group_history.is_empty() {
            return Ok(());
        }
        control(self.stmts, "SAVEPOINT history")?;
        match self.group_history.write(self.stmts) {
            Ok(()) => Ok(control(self.stmts, "RELEASE history")?),
            Err(e) => {
                let _ = control(self.stmts, "ROLLBACK TO history")
                    .and_then(|()| control(self.stmts, "RELEASE history"));
                Err(e)
            }
        }
    }
}

/// A queued command as the writer sees it: it can run more than once, because
/// SQLite rolls a whole transaction back on some errors (a full disk, an I/O error,
/// no memory), and the writer then runs the group's other commands again in a new
/// transaction rather than fail them with the one that lost it.
trait Queued: Send {
    /// Runs the command in the writer's transaction, keeping its result.
    fn run(&mut self, tx: &mut Tx<'_, '_>);
    /// Answers the caller: its result once the group's commit is known, or the commit's
    /// error. A command that lost its transaction is given `Ok(())`: its own error is
    /// its answer.
    fn finish(self: Box<Self>, commit: Result<()>);
}

/// A command with its closure, its latest result and its caller's channel.
struct Pending<R, F> {
    f: F,
    /// Writes the group's buffered history first (for a query that must see it).
    history_first: bool,
    result: Option<Result<R>>,
    answer: oneshot::Sender<Result<R>>,
}

impl<R, F> Queued for Pending<R, F>
where
    R: Send,
    F: FnMut(&mut Tx<'_, '_>) -> Result<R> + Send,
{
    fn run(&mut self, tx: &mut Tx<'_, '_>) {
        let result = if self.history_first {
            tx.write_history_now()
                .and_then(|()| run_command(tx, &mut self.f))
        } else {
            run_command(tx, &mut self.f)
        };
        self.result = Some(result);
    }

    fn finish(self: Box<Self>, commit: Result<()>) {
        let result = self
            .result
            .unwrap_or_else(|| Err(Error::Internal("the command did not run".into())));
        let _ = self.answer.send(commit.and(result));
    }
}

type Job = Box<dyn Queued>;

/// The database: a writer thread and read connections.
pub(crate) struct Store {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The read threads, for a database file (an in-memory one is read on the writer).
    readers: Option<readers::Readers>,
    /// Dropping it stops the checkpointer thread (file databases only).
    checkpointer: Mutex<Option<(mpsc::Sender<()>, std::thread::JoinHandle<()>)>>,
    /// Whether the database file is still the one opened.
    guard: Arc<guard::Guard>,
    /// The group commits' sizes and times.
    commits: Arc<commits::Stats>,
}

impl Store {
    /// Opens (creating and migrating) the database and starts the writer.
    /// `on_open` runs once on the write connection before the writer starts;
    /// `on_commit(changed)` runs after every commit on the writer thread.
    pub(crate) fn open(
        location: &Location,
        durability: Durability,
        on_open: &dyn Fn(&Connection) -> Result<()>,
        on_commit: Box<dyn Fn(Changed) + Send>,
    ) -> Result<Store> {
        let conn = match location {
            Location::File(path) => Connection::open(path),
            Location::Memory => Connection::open_in_memory(),
        }
        .map_err(|e| Error::Storage(format!("cannot open the database: {e}")))?;
        configure(&conn, durability)?;
        migrate(&conn)?;
        on_open(&conn)?;
        let path = match location {
            Location::File(p) => Some(p.clone()),
            Location::Memory => None,
        };
        let guard = Arc::new(guard::Guard::new(path.as_deref())?);
        let (send, recv) = mpsc::channel::<Job>();
        let writer_guard = guard.clone();
        let commits = Arc::new(commits::Stats::default());
        let writer_commits = commits.clone();
        let writer = std::thread::Builder::new()
            .name("baton-writer".into())
            .spawn(move || {
                write_loop(&conn, &recv, &*on_commit, &writer_guard, &writer_commits);
            })
            .map_err(|e| Error::Internal(format!("cannot start the writer thread: {e}")))?;
        let checkpointer = match &path {
            Some(path) => Some(spawn_checkpointer(path, guard.clone())?),
            None => None,
        };
        Ok(Store {
            jobs: Mutex::new(Some(send)),
            writer: Mutex::new(Some(writer)),
            readers: path
                .as_deref()
                .map(|p| readers::Readers::new(p, readers::bound())),
            checkpointer: Mutex::new(checkpointer),
            guard,
            commits,
        })
    }

    /// The group commits' sizes and times so far.
    pub(crate) fn commits(&self) -> crate::types::Commits {
        self.commits.read()
    }

    /// `Ok` while the store works: its database file is the one it opened (an
    /// in-memory database always is). The look is cheap (one `stat`) and, like
    /// every other, stops the store for good when the file changed.
    pub(crate) fn check(&self) -> Result<()> {
        self.guard.check()
    }

    /// Waits until the store stops for good (its database file was replaced or
    /// deleted), and answers why.
    pub(crate) async fn stopped(&self) -> Error {
        self.guard.stopped().await
    }

    /// Runs `f` as one command on the writer and answers once it is committed.
    ///
    /// `f` runs once, unless an earlier command of its group made SQLite roll the
    /// group's transaction back: it then runs again, from the start, in the next one.
    pub(crate) async fn write<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnMut(&mut Tx<'_, '_>) -> Result<R> + Send + 'static,
    {
        self.submit(false, f).await
    }

    /// Runs `f` on the writer, first writing the group's buffered history when
    /// `history_first` (for a query that must see it), and answers once committed.
    async fn submit<R, F>(&self, history_first: bool, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnMut(&mut Tx<'_, '_>) -> Result<R> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(Pending {
            f,
            history_first,
            result: None,
            answer,
        });
        {
            let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
            let sender = jobs.as_ref().ok_or(Error::Closed)?;
            sender.send(job).map_err(|_| Error::Closed)?;
        }
        answered.await.map_err(|_| Error::Closed)?
    }

    /// Runs the read-only query `f` on a read connection (on the writer for an
    /// in-memory database, which has no second connection).
    pub(crate) async fn read<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        // Also a cheap look at the database file: a read connection opened after it
        // was replaced would read the new one.
        self.guard.check()?;
        let Some(readers) = &self.readers else {
            // A query changes nothing, so running it again after a lost transaction is
            // harmless; it runs at most once.
            let mut f = Some(f);
            return self
                .submit(true, move |tx| match f.take() {
                    Some(f) => f(tx.conn),
                    None => Err(Error::Storage(
                        "the query's transaction was rolled back; ask again".into(),
                    )),
                })
                .await;
        };
        readers.read(f).await
    }

    /// Stops the writer after the commands already queued, and waits for it.
    ///
    /// The write connection closes last: SQLite then copies the whole WAL into the
    /// database file and deletes the `-wal` and `-shm` files, so a cleanly stopped
    /// Baton leaves only its database file. (A read connection cannot, and a
    /// connection that is not the last one may not.)
    pub(crate) fn close(&self) {
        if let Some(readers) = &self.readers {
            readers.close();
        }
        let checkpointer = self
            .checkpointer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some((stop, handle)) = checkpointer {
            drop(stop);
            let _ = handle.join();
        }
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
        let handle = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.close();
    }
}

/// Runs one transaction-control statement, prepared once per connection (these run
/// several times per command, and parsing them each time showed in profiles).
fn control(stmts: &stmts::Stmts<'_>, sql: &'static str) -> rusqlite::Result<()> {
    stmts.execute(sql, []).map(|_| ())
}

/// Runs `f` in its savepoint; its history joins the group's only if it succeeded.
fn run_command<R>(tx: &mut Tx<'_, '_>, f: impl FnOnce(&mut Tx<'_, '_>) -> Result<R>) -> Result<R> {
    let before = tx.changed;
    let result = run_in_savepoint(tx, f);
    if result.is_err() {
        tx.changed = before;
        tx.history.clear();
    } else {
        tx.group_history.absorb(&mut tx.history);
    }
    tx.instances.command_ended(result.is_ok());
    result
}

fn run_in_savepoint<R>(
    tx: &mut Tx<'_, '_>,
    f: impl FnOnce(&mut Tx<'_, '_>) -> Result<R>,
) -> Result<R> {
    control(tx.stmts, "SAVEPOINT command")?;
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| f(tx))).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(%what, "a command panicked; it was rolled back");
        Err(Error::Internal(format!("a command panicked: {what}")))
    });
    let end = if result.is_ok() {
        control(tx.stmts, "RELEASE command")
    } else {
        control(tx.stmts, "ROLLBACK TO command").and_then(|()| control(tx.stmts, "RELEASE command"))
    };
    match (result, end) {
        (result, Ok(())) => result,
        // The command's own error says more than "no such savepoint" after SQLite
        // rolled the whole transaction back.
        (Err(e), Err(_)) => Err(e),
        (Ok(_), Err(e)) => Err(e.into()),
    }
}

/// How many times one group's transaction may be lost before the writer gives up on
/// the group and fails its remaining commands with the last error. Each loss is
/// blamed on the command that caused it, which is not run again, so this bounds the
/// re-runs when storage itself is failing (a full disk fails every command).
const MAX_LOST_TRANSACTIONS: usize = 3;

fn write_loop(
    conn: &Connection,
    jobs: &mpsc::Receiver<Job>,
    on_commit: &dyn Fn(Changed),
    guard: &guard::Guard,
    commits: &commits::Stats,
) {
    // Nothing commits on the write connection but the writer's own COMMIT: should a
    // command run on after SQLite rolled its transaction back, its statements would
    // each commit on their own (autocommit), and a failed command would leave a trace.
    let committing = Arc::new(AtomicBool::new(false));
    let allowed = committing.clone();
    if let Err(e) = conn.commit_hook(Some(move || !allowed.load(Ordering::Relaxed))) {
        tracing::error!(error = %e, "cannot guard the write connection's commits");
    }
    let stmts = stmts::Stmts::new(conn);
    let mut group: Vec<Job> = Vec::with_capacity(MAX_GROUP);
    let mut tx = Tx {
        conn,
        stmts: &stmts,
        changed: Changed::default(),
        history: history::Batch::default(),
        group_history: history::Batch::default(),
        instances: cache::Cache::default(),
    };
    while let Ok(first) = jobs.recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let began = std::time::Instant::now();
        let outcome = run_group(&mut tx, &mut group, &committing, guard);
        let committed = outcome.commit.is_ok();
        if committed {
            let size = outcome.lost.iter().filter(|lost| !**lost).count();
            commits.committed(size, began.elapsed());
        }
        for (job, lost) in group.drain(..).zip(outcome.lost) {
            // A command that lost a transaction answers with its own error.
            job.finish(if lost { Ok(()) } else { outcome.commit.clone() });
        }
        if committed {
            on_commit(tx.changed);
        }
    }
    drop(tx);
    drop(stmts);
    if guard.fault().is_some() {
        // The path now names another database: closing must neither checkpoint into
        // the old file nor delete the WAL file, whose name the new database owns now.
        let _ = conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true);
    }
}

/// How a group ended.
struct Outcome {
    /// The commit's result, for every command that did not lose a transaction.
    commit: Result<()>,
    /// By position in the group: whether the command made SQLite roll back the
    /// group's transaction (it was then left out of the group).
    lost: Vec<bool>,
}

/// Runs a group of commands in one transaction, each in its own savepoint, and
/// commits it. A command that makes SQLite roll back the whole transaction is left
/// out, and the others run again in a new one.
fn run_group(
    tx: &mut Tx<'_, '_>,
    group: &mut [Job],
    committing: &AtomicBool,
    guard: &guard::Guard,
) -> Outcome {
    let mut lost = vec![false; group.len()];
    if let Some(fault) = guard.fault() {
        return Outcome {
            commit: Err(fault),
            lost,
        };
    }
    let mut losses = 0;
    'attempt: loop {
        tx.changed = Changed::default();
        tx.history.clear();
        tx.group_history.clear();
        if let Err(e) = control(tx.stmts, "BEGIN IMMEDIATE") {
            let err = Error::Storage(format!("cannot begin a transaction: {e}"));
            tracing::error!(%err, "a group of commands was refused");
            return Outcome {
                commit: Err(err),
                lost,
            };
        }
        for (i, job) in group.iter_mut().enumerate() {
            if lost[i] {
                continue;
            }
            job.run(tx);
            if tx.conn.is_autocommit() {
                // SQLite rolled the transaction back (SQLITE_FULL, an I/O error, no
                // memory): everything the group did so far is gone. This command is
                // answered with its error; the others run again.
                lost[i] = true;
                losses += 1;
                tx.instances.group_ended(false);
                tracing::error!(
                    command = i,
                    group = group.len(),
                    "a command made SQLite roll back its group's transaction; \
                     running the group's other commands again without it"
                );
                if losses >= MAX_LOST_TRANSACTIONS {
                    let err = Error::Storage(
                        "the database rolled back this command's transaction several times; \
                         the storage may be failing (disk full?)"
                            .into(),
                    );
                    return Outcome {
                        commit: Err(err),
                        lost,
                    };
                }
                continue 'attempt;
            }
        }
        // The buffered history goes last, in the same transaction: if it cannot be
        // written, the group is rolled back as if its COMMIT had failed.
        let commit = if tx.conn.is_autocommit() {
            // Never expected (a lost transaction is caught after each command), but
            // COMMIT would then say only "no transaction is active".
            Err(Error::Storage("the transaction was rolled back".into()))
        } else {
            Ok(())
        };
        let commit = commit
            .and_then(|()| {
                tx.group_history
                    .write(tx.stmts)
                    .map_err(|e| Error::Storage(format!("cannot write the history: {e}")))
            })
            // The last look before the data becomes durable: in the file still named
            // by the path, or nowhere.
            .and_then(|()| guard.check())
            .and_then(|()| {
                committing.store(true, Ordering::Relaxed);
                let done = control(tx.stmts, "COMMIT");
                committing.store(false, Ordering::Relaxed);
                done.map_err(|e| Error::Storage(format!("commit failed: {e}")))
            })
            .inspect_err(|_| {
                if !tx.conn.is_autocommit() {
                    let _ = control(tx.stmts, "ROLLBACK");
                }
            });
        tx.instances.group_ended(commit.is_ok());
        return Outcome { commit, lost };
    }
}

/// Sets up the write connection.
///
/// `temp_store = MEMORY` keeps the writer's sub-journal in memory. Every command's
/// savepoint copies the pages it changes into it. With the default `temp_store` it is
/// an in-memory file only up to SQLite's spill size (`SQLITE_STMTJRNL_SPILL`) and a
/// temporary file beyond, and it stays a file until the group's transaction ends: each
/// later page copy is then a write system call (with a 124 KiB spill, the REST bench's
/// writer spent 16 % of its time in those writes). A spill of 128 KiB
/// or more is worse: SQLite's unix layer cuts a write's length to its low 17 bits,
/// so spilling the in-memory part wrote it short, took that for a full disk, and
/// rolled back the whole transaction (with 1 MiB, every command whose savepoint changed
/// more than 1 MiB of pages). In memory it costs a few small allocations per page,
/// bounded by the limits on a command (`limits.rs`).
fn configure(conn: &Connection, durability: Durability) -> Result<()> {
    let sync = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = {sync};
         PRAGMA busy_timeout = 5000;
         PRAGMA cache_size = -32000;
         PRAGMA temp_store = MEMORY;
         PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES};"
    ))?;
    conn.set_prepared_statement_cache_capacity(256);
    // The writer's statements are cached and run with new parameters every time; without
    // the planner stability guarantee, a statement whose plan looked at a bound value
    // (fetch-and-lock's LIMIT) is prepared again on every run.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// Starts the thread that checkpoints the WAL every [`CHECKPOINT_EVERY`] on its own
/// connection, until the sender it answers with is dropped.
fn spawn_checkpointer(
    path: &Path,
    guard: Arc<guard::Guard>,
) -> Result<(mpsc::Sender<()>, std::thread::JoinHandle<()>)> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::Storage(format!("cannot open the checkpoint connection: {e}")))?;
    conn.execute_batch("PRAGMA busy_timeout = 5000;")?;
    let (stop, stopped) = mpsc::channel::<()>();
    let handle = std::thread::Builder::new()
        .name("baton-checkpoint".into())
        .spawn(move || {
            let mut replaced = false;
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(CHECKPOINT_EVERY)
            {
                if replaced {
                    continue;
                }
                // Also the idle engine's look at its database file.
                if guard.check().is_err() {
                    let _ = conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true);
                    replaced = true;
                    continue;
                }
                // PASSIVE copies what no reader still needs and never waits for the
                // writer; what it leaves is copied next time.
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "a WAL checkpoint failed");
                }
            }
        })
        .map_err(|e| Error::Internal(format!("cannot start the checkpoint thread: {e}")))?;
    Ok((stop, handle))
}

/// Applies the migrations the database has not seen, in one transaction, and records
/// the new version in `user_version`.
fn migrate(conn: &Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if current > known {
        return Err(Error::Storage(format!(
            "the database has schema version {current}, newer than this Baton knows ({known}); \
             use a newer Baton"
        )));
    }
    if current == known {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let applied = (|| -> Result<()> {
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(current).unwrap_or(0))
        {
            conn.execute_batch(sql)
                .map_err(|e| Error::Storage(format!("migration {} failed: {e}", i + 1)))?;
        }
        conn.execute_batch(&format!("PRAGMA user_version = {known}"))?;
        Ok(())
    })();
    match applied {
        Ok(()) => {
            conn.execute_batch("COMMIT")?;
            tracing::info!(from = current, to = known, "database schema migrated");
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_record_the_version() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        migrate(&conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }

    #[test]
    fn an_old_database_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch("PRAGMA user_version = 1").unwrap();
            conn.execute(
                "INSERT INTO deployment (id, deploy_time) VALUES ('kept', 1)",
                [],
            )
            .unwrap();
        }
        let conn = Connection::open(&path).unwrap();
        migrate(&conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        let kept: String = conn
            .query_row("SELECT id FROM deployment", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, "kept");
        let index: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'external_task_fetch_fifo'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(index, 1);
    }

    #[test]
    fn variables_keep_their_values_and_strings_stored_as_numbers_become_text() {
        let conn = Connection::open_in_memory().unwrap();
        for m in &MIGRATIONS[..9] {
            conn.execute_batch(m).unwrap();
        }
        conn.execute_batch("PRAGMA user_version = 9").unwrap();
        conn.execute_batch(
            "INSERT INTO variable VALUES ('i', 'code', 'v1', 'i', 'String', '007', NULL), \
             ('i', 'name', 'v2', 'i', 'String', 'kermit', NULL), \
             ('i', 'n', 'v3', 'i', 'Long', 42, NULL); \
             INSERT INTO hi_variable_update (variable_id, name, type, value, instance_id, \
             execution_id, time, revision) VALUES ('v1', 'code', 'String', '007', 'i', 'i', 1, 0);",
        )
        .unwrap();
        // NUMERIC affinity turned the text into a number.
        let before: String = conn
            .query_row(
                "SELECT typeof(value) FROM variable WHERE name = 'code'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(before, "integer");
        migrate(&conn).unwrap();
        let rows: Vec<(String, String, String)> = conn
            .prepare("SELECT name, typeof(value), CAST(value AS TEXT) FROM variable ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                ("code".into(), "text".into(), "7".into()),
                ("n".into(), "integer".into(), "42".into()),
                ("name".into(), "text".into(), "kermit".into()),
            ]
        );
        let history: String = conn
            .query_row("SELECT typeof(value) FROM hi_variable_update", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(history, "text");
        // From now on, text stays text.
        conn.execute(
            "INSERT INTO variable VALUES ('i', 'zip', 'v4', 'i', 'String', '0042', NULL)",
            [],
        )
        .unwrap();
        let zip: String = conn
            .query_row("SELECT value FROM variable WHERE name = 'zip'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(zip, "0042");
    }

    #[test]
    fn where_running_instances_wait_is_read_from_their_trees() {
        let conn = Connection::open_in_memory().unwrap();
        for m in &MIGRATIONS[..12] {
            conn.execute_batch(m).unwrap();
        }
        conn.execute_batch("PRAGMA user_version = 12").unwrap();
        // i1: a task, three inner instances of a multi-instance task under its
        // body, a token at a join, a subprocess scope with a timer catch in it.
        // i2: a failed step and a call activity waiting for its child.
        let i1 = r#"[{"id":"i1","kind":"Root","var_scope":true},
            {"id":"e1","parent":"i1","activity":"work","kind":"Activity","wait":{"ExternalTask":"t1"}},
            {"id":"e2","parent":"i1","activity":"m#multiInstanceBody","kind":"MiBody"},
            {"id":"e3","parent":"e2","activity":"m","kind":"MiInner","wait":{"UserTask":"u1"}},
            {"id":"e4","parent":"e2","activity":"m","kind":"MiInner","wait":{"UserTask":"u2"}},
            {"id":"e5","parent":"e2","activity":"m","kind":"MiInner","wait":{"UserTask":"u3"}},
            {"id":"e6","parent":"i1","activity":"join","kind":"Activity","wait":"Join"},
            {"id":"e7","parent":"i1","activity":"sub","kind":"Activity","var_scope":true},
            {"id":"e8","parent":"e7","activity":"timer","kind":"Activity","wait":"Event"}]"#;
        let i2 = r#"[{"id":"i2","kind":"Root"},
            {"id":"f1","parent":"i2","activity":"gw","kind":"Activity","wait":{"Failed":"x"}},
            {"id":"f2","parent":"i2","activity":"call","kind":"Activity","wait":{"Child":"c"}}]"#;
        for (id, state) in [("i1", i1), ("i2", i2)] {
            conn.execute(
                "INSERT INTO process_instance (id, definition_id, definition_key, \
                 root_instance_id, start_time, state, rev) VALUES (?1, 'd:1', 'd', ?1, 5, ?2, 1)",
                [id, state],
            )
            .unwrap();
        }
        migrate(&conn).unwrap();
        let rows: Vec<(String, String, String, i64)> = conn
            .prepare(
                "SELECT definition_id, activity_id, instance_id, tokens FROM waiting_token \
                 ORDER BY instance_id, activity_id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let expected: Vec<(String, String, String, i64)> = [
            ("i1", "m", 3),
            ("i1", "timer", 1),
            ("i1", "work", 1),
            ("i2", "call", 1),
            ("i2", "gw", 1),
        ]
        .into_iter()
        .map(|(i, a, n)| ("d:1".into(), a.into(), i.into(), n))
        .collect();
        assert_eq!(rows, expected);
        // The writer reads the trees the same way.
        for (id, state) in [("i1", i1), ("i2", i2)] {
            let execs: Vec<crate::runtime::state::Exec> = serde_json::from_str(state).unwrap();
            let from_writer: Vec<(String, String, String, i64)> =
                crate::runtime::state::waiting(&execs)
                    .into_iter()
                    .map(|(a, n)| ("d:1".into(), a, id.into(), i64::from(n)))
                    .collect();
            let from_migration: Vec<_> = expected.iter().filter(|r| r.2 == id).cloned().collect();
            assert_eq!(from_writer, from_migration, "{id}");
        }
    }

    #[test]
    fn running_instances_and_tasks_survive_the_rebuild_of_their_tables() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(MIGRATIONS[1]).unwrap();
        conn.execute_batch("PRAGMA user_version = 2").unwrap();
        conn.execute_batch(
            "INSERT INTO process_instance (id, definition_id, definition_key, root_instance_id, \
             start_time, state, rev) VALUES ('i1', 'd:1', 'd', 'i1', 5, '[]', 3);
             INSERT INTO external_task (id, topic, priority, instance_id, execution_id, \
             activity_id, activity_instance_id, definition_id, definition_key, create_time, \
             worker_id) VALUES ('t1', 'step', 0, 'i1', 'e1', 'a', 'a:e1', 'd:1', 'd', 5, 'w');",
        )
        .unwrap();
        migrate(&conn).unwrap();
        let (state, rev): (String, i64) = conn
            .query_row(
                "SELECT state, rev FROM process_instance WHERE id = 'i1'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((state.as_str(), rev), ("[]", 3));
        let worker: String = conn
            .query_row(
                "SELECT worker_id FROM external_task WHERE instance_id = 'i1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(worker, "w");
        // Keyed by id alone now.
        assert!(conn.prepare("SELECT rowid FROM external_task").is_err());
    }

    #[test]
    fn the_workspace_builds_sqlite_for_the_writer() {
        // `.cargo/config.toml` passes these to the bundled SQLite.
        let conn = Connection::open_in_memory().unwrap();
        let options: Vec<String> = conn
            .prepare("SELECT compile_options FROM pragma_compile_options")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            options.iter().any(|o| o == "DEFAULT_LOOKASIDE=1200,500"),
            "{options:?}"
        );
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
        configure(&conn, Durability::Full).unwrap();
        let temp_store: i64 = conn
            .query_row("PRAGMA temp_store", [], |r| r.get(0))
            .unwrap();
        assert_eq!(temp_store, 2, "the sub-journal stays in memory");
    }

    fn open_store(dir: &tempfile::TempDir) -> Store {
        Store::open(
            &Location::File(dir.path().join("s.db")),
            Durability::Full,
            &|_| Ok(()),
            Box::new(|_| {}),
        )
        .unwrap()
    }

    /// Inserts a deployment row named `id`, counting its runs.
    fn insert(
        id: &'static str,
        runs: &Arc<std::sync::atomic::AtomicUsize>,
    ) -> impl FnMut(&mut Tx<'_, '_>) -> Result<()> + Send + 'static {
        let runs = runs.clone();
        move |tx| {
            runs.fetch_add(1, Ordering::Relaxed);
            tx.conn.execute(
                "INSERT INTO deployment (id, deploy_time) VALUES (?1, 1)",
                [id],
            )?;
            Ok(())
        }
    }

    fn deployments(dir: &tempfile::TempDir) -> Vec<String> {
        let conn = Connection::open(dir.path().join("s.db")).unwrap();
        let mut stmt = conn
            .prepare("SELECT id FROM deployment ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_command_that_loses_the_transaction_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open_store(&dir));
        // Holds the writer until the other commands are queued, so that they run as
        // one group behind it.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Mutex::new(hold);
        let blocker = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .write(move |_| {
                        let _ = hold.lock().unwrap().recv();
                        Ok(())
                    })
                    .await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let (a_runs, b_runs, c_runs) = Default::default();
        let a = tokio::spawn({
            let (store, f) = (store.clone(), insert("a", &a_runs));
            async move { store.write(f).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let b = tokio::spawn({
            let store = store.clone();
            let mut inserted = insert("b", &b_runs);
            async move {
                store
                    .write(move |tx| {
                        inserted(tx)?;
                        // What SQLite does on a full disk or an I/O error: the whole
                        // transaction is rolled back under the command.
                        tx.conn.execute_batch("ROLLBACK")?;
                        // A command that ignores it and writes on must not commit.
                        let _ = tx.conn.execute(
                            "INSERT INTO deployment (id, deploy_time) VALUES ('b2', 1)",
                            [],
                        );
                        Err::<(), _>(Error::Storage("database or disk is full".into()))
                    })
                    .await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let c = tokio::spawn({
            let (store, f) = (store.clone(), insert("c", &c_runs));
            async move { store.write(f).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        a.await.unwrap().unwrap();
        let err = b.await.unwrap().unwrap_err();
        assert_eq!(err.to_string(), "storage error: database or disk is full");
        c.await.unwrap().unwrap();
        // a ran before b lost the transaction, and again in the next one.
        assert_eq!(a_runs.load(Ordering::Relaxed), 2);
        assert_eq!(b_runs.load(Ordering::Relaxed), 1);
        assert_eq!(c_runs.load(Ordering::Relaxed), 1);
        store.close();
        assert_eq!(deployments(&dir), ["a", "c"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nothing_commits_on_the_write_connection_but_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(&dir);
        let refused = store
            .write(|tx| {
                tx.conn.execute(
                    "INSERT INTO deployment (id, deploy_time) VALUES ('x', 1)",
                    [],
                )?;
                // SQLite turns a COMMIT its commit hook refuses into a ROLLBACK.
                tx.conn.execute_batch("COMMIT")?;
                Ok(())
            })
            .await;
        assert!(refused.is_err());
        let runs = Arc::default();
        store.write(insert("y", &runs)).await.unwrap();
        store.close();
        assert_eq!(deployments(&dir), ["y"]);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = 999").unwrap();
        let err = migrate(&conn).unwrap_err();
        assert!(err.to_string().contains("newer"), "{err}");
    }
}
