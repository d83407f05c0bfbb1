//! The read side of the store: a bounded pool of threads, each with its own
//! read-only connection, taking queries from one queue in arrival order.
//!
//! A burst of queries therefore never opens more connections, page caches or
//! threads than the pool has: the rest wait in the queue, holding nothing but
//! their closure. (Running each query on the runtime's blocking pool instead let
//! 2,000 concurrent queries start hundreds of threads, each keeping its allocator's
//! memory after the burst.) Threads start on demand, up to the bound, and each
//! opens its connection on its first query, so an engine that is never queried
//! holds none.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// The page cache of each read connection, in KiB (the writer's is 32 MiB).
const CACHE_KIB: u32 = 4 * 1024;

/// How many read threads there are at most: twice the cores, between 4 and 16.
/// SQLite reads in parallel with the writer and with each other, but more queries at
/// once than the cores can run only hold more memory (each holds its page cache and
/// its answer) without answering sooner.
pub(crate) fn bound() -> usize {
    std::thread::available_parallelism()
        .map_or(4, |n| n.get() * 2)
        .clamp(4, 16)
}

/// A query for a read thread.
type Query = Box<dyn FnOnce(Result<&Connection>) + Send>;

/// The queue and the threads that serve it.
pub(crate) struct Readers {
    path: PathBuf,
    max: usize,
    queue: Mutex<Option<mpsc::Sender<Query>>>,
    taken: Arc<Mutex<mpsc::Receiver<Query>>>,
    /// Threads started, and those waiting for a query.
    started: AtomicUsize,
    idle: Arc<AtomicUsize>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl Readers {
    /// A pool of at most `max` threads reading the database at `path`.
    pub(crate) fn new(path: &Path, max: usize) -> Readers {
        let (queue, taken) = mpsc::channel();
        Readers {
            path: path.to_owned(),
            max: max.max(1),
            queue: Mutex::new(Some(queue)),
            taken: Arc::new(Mutex::new(taken)),
            started: AtomicUsize::new(0),
            idle: Arc::new(AtomicUsize::new(0)),
            threads: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on a read connection once a thread is free, and answers its result.
    pub(crate) async fn read<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let query: Query = Box::new(move |conn| {
            let result = conn.and_then(|conn| {
                std::panic::catch_unwind(AssertUnwindSafe(|| f(conn)))
                    .unwrap_or_else(|_| Err(Error::Internal("a query panicked".into())))
            });
            let _ = answer.send(result);
        });
        {
            let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            queue
                .as_ref()
                .ok_or(Error::Closed)?
                .send(query)
                .map_err(|_| Error::Closed)?;
        }
        if self.idle.load(Ordering::Acquire) == 0 {
            self.start_thread();
        }
        answered.await.map_err(|_| Error::Closed)?
    }

    /// Starts one more thread, unless there are `max` already.
    fn start_thread(&self) {
        let n = self.started.fetch_add(1, Ordering::AcqRel);
        if n >= self.max {
            self.started.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        let (path, taken, idle) = (self.path.clone(), self.taken.clone(), self.idle.clone());
        match std::thread::Builder::new()
            .name("baton-reader".into())
            .spawn(move || serve(&path, &taken, &idle))
        {
            Ok(handle) => self
                .threads
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(handle),
            Err(e) => {
                self.started.fetch_sub(1, Ordering::AcqRel);
                // The queries wait for the threads there are; with none, the next
                // query tries again.
                tracing::warn!(error = %e, "cannot start a read thread");
            }
        }
    }

    /// Lets the threads finish the queries queued, and waits for them.
    pub(crate) fn close(&self) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for t in threads {
            let _ = t.join();
        }
    }
}

/// A read thread: takes queries until the queue closes.
fn serve(path: &Path, taken: &Mutex<mpsc::Receiver<Query>>, idle: &AtomicUsize) {
    let mut conn: Option<Connection> = None;
    loop {
        idle.fetch_add(1, Ordering::AcqRel);
        let query = taken.lock().unwrap_or_else(|p| p.into_inner()).recv();
        idle.fetch_sub(1, Ordering::AcqRel);
        let Ok(query) = query else {
            return;
        };
        if conn.is_none() {
            match open(path) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    query(Err(e));
                    continue;
                }
            }
        }
        query(conn.as_ref().ok_or(Error::Closed));
    }
}

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::Storage(format!("cannot open a read connection: {e}")))?;
    conn.execute_batch(&format!(
        "PRAGMA busy_timeout = 5000; PRAGMA cache_size = -{CACHE_KIB};"
    ))?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_queries_waits_for_a_bounded_number_of_threads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (1);",
            )
            .unwrap();
        let readers = Arc::new(Readers::new(&path, 3));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let queries: Vec<_> = (0..200)
            .map(|_| {
                let (readers, running, most) = (readers.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    readers
                        .read(move |conn| {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(1));
                            let x: i64 = conn.query_row("SELECT x FROM t", [], |r| r.get(0))?;
                            running.fetch_sub(1, Ordering::SeqCst);
                            Ok(x)
                        })
                        .await
                })
            })
            .collect();
        for q in queries {
            assert_eq!(q.await.unwrap().unwrap(), 1);
        }
        assert!(most.load(Ordering::SeqCst) <= 3, "{most:?}");
        assert!(readers.started.load(Ordering::SeqCst) <= 3);
        let panicked = readers.read(|_| -> Result<()> { panic!("a bug") }).await;
        assert!(panicked.unwrap_err().to_string().contains("panicked"));
        readers.close();
        assert!(matches!(readers.read(|_| Ok(())).await, Err(Error::Closed)));
    }
}
