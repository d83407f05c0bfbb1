//! The writer's cache of the rows it wrote last, with the same all-or-nothing
//! rules as the database: what a command wrote joins the group's entries only if
//! the command succeeded, and the group's join the committed ones only if the
//! group committed.
//!
//! Each entry is the whole state of a row as the writer last wrote it (for running
//! instances: the execution tree and variables, so that the next command on the
//! instance reads neither the row nor its variables nor parses the tree). An entry
//! is taken out when a command loads it and put back (staged) when the command
//! writes it, so it lives in at most one place and is always the newest state; a
//! command that fails after taking one leaves the database as the only copy, which
//! is then read as before.

use std::collections::HashMap;

/// Committed entries kept at most; beyond that, they are dropped.
const CAPACITY: usize = 4096;

/// Rows by id: committed, written by this group, written by the running command.
#[derive(Debug)]
pub(crate) struct Cache<T> {
    committed: HashMap<String, T>,
    group: HashMap<String, T>,
    command: Vec<(String, T)>,
}

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache {
            committed: HashMap::new(),
            group: HashMap::new(),
            command: Vec::new(),
        }
    }
}

impl<T> Cache<T> {
    /// Takes the newest state of `id` out of the cache, if it is there.
    pub(crate) fn take(&mut self, id: &str) -> Option<T> {
        // A command never loads what it staged itself (it writes once, at its end).
        self.group.remove(id).or_else(|| self.committed.remove(id))
    }

    /// Stages the state the running command just wrote for `id`.
    pub(crate) fn stage(&mut self, id: String, value: T) {
        self.command.push((id, value));
    }

    /// The running command ended: its entries join the group's if it succeeded.
    pub(crate) fn command_ended(&mut self, ok: bool) {
        if ok {
            self.group.extend(self.command.drain(..));
        } else {
            self.command.clear();
        }
    }

    /// The group ended: its entries join the committed ones if it committed.
    pub(crate) fn group_ended(&mut self, committed: bool) {
        self.command.clear();
        if !committed {
            self.group.clear();
            return;
        }
        if self.committed.len() + self.group.len() > CAPACITY {
            // Rarely reached (only with many instances touched and left waiting):
            // start over rather than track recency on every access.
            self.committed.clear();
        }
        self.committed.extend(self.group.drain());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_command_leaves_nothing_and_a_failed_group_keeps_the_committed() {
        let mut c = Cache::default();
        c.stage("a".into(), 1);
        c.command_ended(true);
        c.group_ended(true);
        assert_eq!(c.take("a"), Some(1));
        assert_eq!(c.take("a"), None, "taken out");
        c.stage("a".into(), 2);
        c.command_ended(false);
        c.group_ended(true);
        assert_eq!(c.take("a"), None, "the failed command's state is not kept");

        c.stage("b".into(), 1);
        c.command_ended(true);
        c.group_ended(true);
        c.stage("c".into(), 1);
        c.command_ended(true);
        c.group_ended(false);
        assert_eq!(
            c.take("c"),
            None,
            "the rolled-back group's state is not kept"
        );
        assert_eq!(c.take("b"), Some(1));
    }

    #[test]
    fn a_later_command_in_the_group_sees_an_earlier_ones_state() {
        let mut c = Cache::default();
        c.stage("a".into(), 1);
        c.command_ended(true);
        c.group_ended(true);
        let v = c.take("a").unwrap();
        c.stage("a".into(), v + 1);
        c.command_ended(true);
        assert_eq!(c.take("a"), Some(2));
    }
}
