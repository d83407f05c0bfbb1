//! The store's watch on its database file: that the path still names the file the
//! engine opened.
//!
//! If the file is deleted, or replaced by another one (a restore copied over it, a
//! script that recreates it), SQLite goes on writing to the file it has open, which
//! no longer has a name, while new read connections open whatever the path names
//! now: the data would split silently, and everything written after the swap would
//! vanish when the process ends. So the writer checks the file's identity (device
//! and inode) before every commit, and the checkpointer every 50 ms while idle; on
//! the first mismatch the store stops for good: every command and query fails with
//! an error naming the file, nothing more is committed, and on close the write
//! connections neither checkpoint into the old file nor delete the WAL that now
//! belongs to the path's new database.

use std::path::{Path, PathBuf};

use tokio::sync::watch;

use crate::error::{Error, Result};

/// What identifies a file on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

/// The file `path` names now, if it names one.
#[cfg(unix)]
fn file_id(path: &Path) -> std::io::Result<FileId> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = std::fs::metadata(path)?;
    Ok(FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

/// Elsewhere, only that it still exists.
#[cfg(not(unix))]
fn file_id(path: &Path) -> std::io::Result<FileId> {
    std::fs::metadata(path).map(|_| FileId { dev: 0, ino: 0 })
}

/// The database file's identity as opened, and the fault once it changed.
#[derive(Debug)]
pub(crate) struct Guard {
    /// The path and the file it named at open; `None` for an in-memory database.
    file: Option<(PathBuf, FileId)>,
    fault: watch::Sender<Option<Error>>,
}

impl Guard {
    /// Records the identity of the file `path` names (just opened), or nothing for an
    /// in-memory database.
    pub(crate) fn new(path: Option<&Path>) -> Result<Guard> {
        let file = match path {
            Some(path) => {
                let id = file_id(path).map_err(|e| {
                    Error::Storage(format!(
                        "cannot read the database file {}: {e}",
                        path.display()
                    ))
                })?;
                Some((path.to_owned(), id))
            }
            None => None,
        };
        Ok(Guard {
            file,
            fault: watch::channel(None).0,
        })
    }

    /// The fault, once the store stopped.
    pub(crate) fn fault(&self) -> Option<Error> {
        self.fault.borrow().clone()
    }

    /// Fails if the store stopped, or if the path no longer names the file opened (the
    /// store then stops).
    pub(crate) fn check(&self) -> Result<()> {
        if let Some(fault) = self.fault() {
            return Err(fault);
        }
        let Some((path, opened)) = &self.file else {
            return Ok(());
        };
        let now = file_id(path);
        if now.as_ref().ok() == Some(opened) {
            return Ok(());
        }
        let what = match now {
            Ok(_) => "was replaced by another file",
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => "was deleted",
            Err(_) => "can no longer be read",
        };
        let fault = Error::Storage(format!(
            "the database file {} {what} while Baton was running; Baton stopped writing \
             so that the data does not split between two files (what it acknowledged \
             before is in the file it had open): restart it",
            path.display()
        ));
        tracing::error!(error = %fault, "the database file changed under the engine");
        self.fault.send_if_modified(|f| {
            if f.is_none() {
                *f = Some(fault.clone());
                true
            } else {
                false
            }
        });
        Err(self.fault().unwrap_or(fault))
    }

    /// Waits until the store stops, and answers why.
    pub(crate) async fn stopped(&self) -> Error {
        let mut fault = self.fault.subscribe();
        loop {
            if let Some(f) = fault.borrow_and_update().clone() {
                return f;
            }
            if fault.changed().await.is_err() {
                return Error::Closed;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_or_deleted_file_stops_the_guard_for_good() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        std::fs::write(&path, b"one").unwrap();
        let guard = Guard::new(Some(&path)).unwrap();
        guard.check().unwrap();
        // Written in place: the same file.
        std::fs::write(&path, b"two").unwrap();
        guard.check().unwrap();
        // Replaced: another file under the same name.
        let other = dir.path().join("b.db");
        std::fs::write(&other, b"three").unwrap();
        std::fs::rename(&other, &path).unwrap();
        let err = guard.check().unwrap_err().to_string();
        assert!(err.contains("was replaced by another file"), "{err}");
        assert!(err.contains("a.db"), "{err}");
        assert!(guard.fault().is_some());

        let deleted = Guard::new(Some(&other.with_file_name("c.db"))).unwrap_err();
        assert!(deleted.to_string().contains("cannot read"), "{deleted}");
        let path = dir.path().join("d.db");
        std::fs::write(&path, b"four").unwrap();
        let guard = Guard::new(Some(&path)).unwrap();
        std::fs::remove_file(&path).unwrap();
        let err = guard.check().unwrap_err().to_string();
        assert!(err.contains("was deleted"), "{err}");
        // Even if the file comes back, the store stays stopped.
        std::fs::write(&path, b"five").unwrap();
        assert!(guard.check().is_err());
    }

    #[test]
    fn an_in_memory_database_has_nothing_to_watch() {
        let guard = Guard::new(None).unwrap();
        guard.check().unwrap();
        assert!(guard.fault().is_none());
    }
}
