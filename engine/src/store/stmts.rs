//! The writer's prepared statements for its hot paths, found by the address of
//! their SQL text.
//!
//! rusqlite's `prepare_cached` hashes the whole SQL text twice per use and copies it
//! into a fresh `Arc<str>`; with a dozen statements per instance that showed in
//! profiles. These statements' texts are `'static`, so their address is their key.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use rusqlite::{Connection, PrepFlags, Statement};

use rusqlite::Result;

/// A prepared statement, borrowed for one use.
pub(crate) type Stmt<'c> = Rc<RefCell<Statement<'c>>>;

/// Statements prepared once on the write connection.
pub(crate) struct Stmts<'c> {
    conn: &'c Connection,
    prepared: RefCell<HashMap<usize, Stmt<'c>>>,
}

impl<'c> Stmts<'c> {
    /// No statements yet, on `conn`.
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Stmts {
            conn,
            prepared: RefCell::new(HashMap::new()),
        }
    }

    /// The statement for `sql`, prepared on first use.
    pub(crate) fn get(&self, sql: &'static str) -> Result<Stmt<'c>> {
        let key = sql.as_ptr() as usize;
        if let Some(s) = self.prepared.borrow().get(&key) {
            return Ok(s.clone());
        }
        // Persistent: kept for good, so SQLite leaves its lookaside memory (small
        // allocations without malloc) to the statements' runs.
        let stmt = self
            .conn
            .prepare_with_flags(sql, PrepFlags::SQLITE_PREPARE_PERSISTENT)?;
        let stmt = Rc::new(RefCell::new(stmt));
        self.prepared.borrow_mut().insert(key, stmt.clone());
        Ok(stmt)
    }

    /// Runs `sql` with `params`; the number of rows changed.
    pub(crate) fn execute(
        &self,
        sql: &'static str,
        params: impl rusqlite::Params,
    ) -> Result<usize> {
        self.get(sql)?.borrow_mut().execute(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_is_prepared_once_and_reused() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a INTEGER)").unwrap();
        let stmts = Stmts::new(&conn);
        const INSERT: &str = "INSERT INTO t (a) VALUES (?1)";
        for i in 0..3 {
            assert_eq!(stmts.execute(INSERT, [i]).unwrap(), 1);
        }
        assert_eq!(stmts.prepared.borrow().len(), 1);
        let n: i64 = stmts
            .get("SELECT COUNT(*) FROM t")
            .unwrap()
            .borrow_mut()
            .query_row([], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3);
    }
}
