//! Activity- and process-instance history, buffered per group commit.
//!
//! These two tables get most of the history rows (several per instance), and no
//! command reads them. A command collects its rows and changes in a [`Batch`];
//! once its savepoint is released they join the group's batch (a command that
//! fails leaves nothing behind), and the writer writes the group's batch just
//! before COMMIT, in multi-row INSERTs and outside any command's savepoint. That
//! spares every command the savepoint's copies of the history tables' pages, and
//! an activity that starts and ends within one group is written once. The rows are
//! in the same transaction as the changes they record, so an acknowledged command
//! has its history, and a crash loses neither or both.

use std::collections::HashMap;
use std::sync::OnceLock;

use rusqlite::ToSql;

use super::stmts::Stmts;
use crate::error::Result;

/// An activity-instance history row.
#[derive(Debug)]
pub(crate) struct ActRow {
    pub id: String,
    pub parent: String,
    pub activity_id: String,
    pub name: Option<String>,
    pub activity_type: &'static str,
    pub instance: String,
    pub exec: String,
    pub definition_id: String,
    pub definition_key: String,
    pub task_id: Option<String>,
    pub called: Option<String>,
    pub start: i64,
    pub end: Option<i64>,
    pub canceled: bool,
    pub complete_scope: bool,
    pub seq: i64,
    pub tenant: Option<String>,
}

/// A process-instance history row.
#[derive(Debug)]
pub(crate) struct ProcRow {
    pub id: String,
    pub business_key: Option<String>,
    pub definition_id: String,
    pub definition_key: String,
    pub version: i64,
    pub name: Option<String>,
    pub start: i64,
    pub start_activity: Option<String>,
    pub super_instance: Option<String>,
    pub root: String,
    pub tenant: Option<String>,
    pub end: Option<i64>,
    pub state: &'static str,
    pub end_activity: Option<String>,
    pub reason: Option<String>,
}

/// A change to a row written by an earlier group.
#[derive(Debug)]
pub(crate) enum Change {
    /// The activity instance `id` ended.
    ActivityEnd {
        id: String,
        end: i64,
        canceled: bool,
        complete_scope: bool,
    },
    /// The activity instance `id` called an instance.
    ActivityCalled { id: String, called: String },
    /// The activity instance `id` got an external task.
    ActivityTask { id: String, task: String },
    /// The process instance `id` ended.
    ProcessEnd {
        id: String,
        end: i64,
        state: &'static str,
        end_activity: Option<String>,
        reason: Option<String>,
    },
}

/// New rows, and changes to rows outside the batch, in the order they happened.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    acts: Vec<ActRow>,
    act_index: HashMap<String, usize>,
    procs: Vec<ProcRow>,
    proc_index: HashMap<String, usize>,
    changes: Vec<Change>,
}

impl Batch {
    /// Whether there is nothing to write.
    pub(crate) fn is_empty(&self) -> bool {
        self.acts.is_empty() && self.procs.is_empty() && self.changes.is_empty()
    }

    /// Forgets everything (the command that made it failed).
    pub(crate) fn clear(&mut self) {
        self.acts.clear();
        self.act_index.clear();
        self.procs.clear();
        self.proc_index.clear();
        self.changes.clear();
    }

    /// Adds a new activity-instance row.
    pub(crate) fn start_activity(&mut self, row: ActRow) {
        self.act_index.insert(row.id.clone(), self.acts.len());
        self.acts.push(row);
    }

    /// Adds a new process-instance row.
    pub(crate) fn start_process(&mut self, row: ProcRow) {
        self.proc_index.insert(row.id.clone(), self.procs.len());
        self.procs.push(row);
    }

    /// Applies `change` to its row when the row is in this batch, or keeps it for later.
    pub(crate) fn change(&mut self, change: Change) {
        let act = |index: &HashMap<String, usize>, id: &str| index.get(id).copied();
        match change {
            Change::ActivityEnd {
                id,
                end,
                canceled,
                complete_scope,
            } => match act(&self.act_index, &id) {
                Some(i) => {
                    let row = &mut self.acts[i];
                    row.end = Some(end);
                    row.canceled = canceled;
                    row.complete_scope = complete_scope;
                }
                None => self.changes.push(Change::ActivityEnd {
                    id,
                    end,
                    canceled,
                    complete_scope,
                }),
            },
            Change::ActivityCalled { id, called } => match act(&self.act_index, &id) {
                Some(i) => self.acts[i].called = Some(called),
                None => self.changes.push(Change::ActivityCalled { id, called }),
            },
            Change::ActivityTask { id, task } => match act(&self.act_index, &id) {
                Some(i) => self.acts[i].task_id = Some(task),
                None => self.changes.push(Change::ActivityTask { id, task }),
            },
            Change::ProcessEnd {
                id,
                end,
                state,
                end_activity,
                reason,
            } => match self.proc_index.get(&id).copied() {
                Some(i) => {
                    let row = &mut self.procs[i];
                    row.end = Some(end);
                    row.state = state;
                    row.end_activity = end_activity;
                    row.reason = reason;
                }
                None => self.changes.push(Change::ProcessEnd {
                    id,
                    end,
                    state,
                    end_activity,
                    reason,
                }),
            },
        }
    }

    /// Moves everything in `other` (a later command's batch) into this one.
    pub(crate) fn absorb(&mut self, other: &mut Batch) {
        for row in other.procs.drain(..) {
            self.start_process(row);
        }
        for row in other.acts.drain(..) {
            self.start_activity(row);
        }
        for change in other.changes.drain(..) {
            self.change(change);
        }
        other.clear();
    }

    /// Writes the batch and empties it; on an error it is left as it was.
    pub(crate) fn write(&mut self, stmts: &Stmts<'_>) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        for chunk in chunks(&self.procs) {
            insert_procs(stmts, chunk)?;
        }
        for chunk in chunks(&self.acts) {
            insert_acts(stmts, chunk)?;
        }
        for change in &self.changes {
            apply(stmts, change)?;
        }
        self.clear();
        Ok(())
    }
}

/// Row counts of the multi-row INSERTs: each is one cached statement.
const CHUNKS: [usize; 7] = [64, 32, 16, 8, 4, 2, 1];

/// `rows` split into runs of the sizes in [`CHUNKS`], largest first.
fn chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let size = CHUNKS.iter().copied().find(|&n| n <= rows.len())?;
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

/// The INSERT of `rows` rows (one of [`CHUNKS`]), made once per process.
fn insert_for(
    texts: &'static OnceLock<Vec<String>>,
    head: &str,
    width: usize,
    rows: usize,
) -> &'static str {
    let texts = texts.get_or_init(|| CHUNKS.iter().map(|&n| insert_sql(head, n, width)).collect());
    let i = CHUNKS
        .iter()
        .position(|&n| n == rows)
        .unwrap_or(CHUNKS.len() - 1);
    &texts[i]
}

/// `INSERT INTO table (columns) VALUES (?, ...), ...` for `rows` rows of `width` values.
fn insert_sql(head: &str, rows: usize, width: usize) -> String {
    let mut sql = String::with_capacity(head.len() + rows * (width * 2 + 4));
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push(',');
            }
            sql.push('?');
        }
        sql.push(')');
    }
    sql
}

const PROC_HEAD: &str = "INSERT INTO hi_process_instance (id, business_key, definition_id, \
     definition_key, definition_version, definition_name, start_time, start_activity_id, \
     super_instance_id, root_instance_id, tenant_id, state, end_time, end_activity_id, \
     delete_reason)";
const PROC_WIDTH: usize = 15;

static PROC_SQL: OnceLock<Vec<String>> = OnceLock::new();

fn insert_procs(stmts: &Stmts<'_>, rows: &[ProcRow]) -> Result<()> {
    let mut args: Vec<&dyn ToSql> = Vec::with_capacity(rows.len() * PROC_WIDTH);
    for p in rows {
        args.extend_from_slice(&[
            &p.id as &dyn ToSql,
            &p.business_key,
            &p.definition_id,
            &p.definition_key,
            &p.version,
            &p.name,
            &p.start,
            &p.start_activity,
            &p.super_instance,
            &p.root,
            &p.tenant,
            &p.state,
            &p.end,
            &p.end_activity,
            &p.reason,
        ]);
    }
    stmts.execute(
        insert_for(&PROC_SQL, PROC_HEAD, PROC_WIDTH, rows.len()),
        args.as_slice(),
    )?;
    Ok(())
}

const ACT_HEAD: &str = "INSERT INTO hi_activity_instance (id, parent_id, activity_id, \
     activity_name, activity_type, instance_id, execution_id, definition_id, definition_key, \
     task_id, called_instance_id, start_time, end_time, canceled, complete_scope, seq, tenant_id)";
const ACT_WIDTH: usize = 17;

static ACT_SQL: OnceLock<Vec<String>> = OnceLock::new();

fn insert_acts(stmts: &Stmts<'_>, rows: &[ActRow]) -> Result<()> {
    let mut args: Vec<&dyn ToSql> = Vec::with_capacity(rows.len() * ACT_WIDTH);
    for a in rows {
        args.extend_from_slice(&[
            &a.id as &dyn ToSql,
            &a.parent,
            &a.activity_id,
            &a.name,
            &a.activity_type,
            &a.instance,
            &a.exec,
            &a.definition_id,
            &a.definition_key,
            &a.task_id,
            &a.called,
            &a.start,
            &a.end,
            &a.canceled,
            &a.complete_scope,
            &a.seq,
            &a.tenant,
        ]);
    }
    stmts.execute(
        insert_for(&ACT_SQL, ACT_HEAD, ACT_WIDTH, rows.len()),
        args.as_slice(),
    )?;
    Ok(())
}

fn apply(stmts: &Stmts<'_>, change: &Change) -> Result<()> {
    use rusqlite::params;
    match change {
        Change::ActivityEnd {
            id,
            end,
            canceled,
            complete_scope,
        } => stmts.execute(
            "UPDATE hi_activity_instance SET end_time = ?1, canceled = ?2, \
             complete_scope = ?3 WHERE id = ?4",
            params![end, canceled, complete_scope, id],
        )?,
        Change::ActivityCalled { id, called } => stmts.execute(
            "UPDATE hi_activity_instance SET called_instance_id = ?1 WHERE id = ?2",
            params![called, id],
        )?,
        Change::ActivityTask { id, task } => stmts.execute(
            "UPDATE hi_activity_instance SET task_id = ?1 WHERE id = ?2",
            params![task, id],
        )?,
        Change::ProcessEnd {
            id,
            end,
            state,
            end_activity,
            reason,
        } => stmts.execute(
            "UPDATE hi_process_instance SET end_time = ?1, state = ?2, \
             end_activity_id = ?3, delete_reason = ?4 WHERE id = ?5",
            params![end, state, end_activity, reason, id],
        )?,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(id: &str) -> ActRow {
        ActRow {
            id: id.into(),
            parent: "p".into(),
            activity_id: "a".into(),
            name: None,
            activity_type: "serviceTask",
            instance: "p".into(),
            exec: "e".into(),
            definition_id: "d".into(),
            definition_key: "k".into(),
            task_id: None,
            called: None,
            start: 1,
            end: None,
            canceled: false,
            complete_scope: false,
            seq: 1,
            tenant: None,
        }
    }

    #[test]
    fn chunks_cover_every_row_once_in_order() {
        let rows: Vec<usize> = (0..203).collect();
        let sizes: Vec<usize> = chunks(&rows).map(<[usize]>::len).collect();
        assert_eq!(sizes, [64, 64, 64, 8, 2, 1]);
        let back: Vec<usize> = chunks(&rows).flatten().copied().collect();
        assert_eq!(back, rows);
        assert_eq!(chunks::<usize>(&[]).count(), 0);
    }

    #[test]
    fn a_later_command_changes_rows_of_an_earlier_one_in_the_group() {
        let mut group = Batch::default();
        let mut first = Batch::default();
        first.start_activity(act("a1"));
        group.absorb(&mut first);
        assert!(first.is_empty());
        let mut second = Batch::default();
        second.change(Change::ActivityEnd {
            id: "a1".into(),
            end: 5,
            canceled: false,
            complete_scope: true,
        });
        second.change(Change::ActivityTask {
            id: "older".into(),
            task: "t".into(),
        });
        group.absorb(&mut second);
        assert_eq!(group.acts[0].end, Some(5));
        assert!(group.acts[0].complete_scope);
        assert_eq!(group.changes.len(), 1);
    }

    #[test]
    fn the_batch_is_written_in_multi_row_inserts_then_changes() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let stmts = Stmts::new(&conn);
        for sql in super::super::MIGRATIONS {
            conn.execute_batch(sql).unwrap();
        }
        let mut batch = Batch::default();
        for i in 0..70 {
            batch.start_activity(act(&format!("a{i}")));
        }
        batch.write(&stmts).unwrap();
        assert!(batch.is_empty());
        batch.change(Change::ActivityEnd {
            id: "a3".into(),
            end: 9,
            canceled: true,
            complete_scope: false,
        });
        batch.write(&stmts).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM hi_activity_instance", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 70);
        let (end, canceled): (Option<i64>, bool) = conn
            .query_row(
                "SELECT end_time, canceled FROM hi_activity_instance WHERE id = 'a3'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((end, canceled), (Some(9), true));
    }
}
