//! The state of one process instance: its execution tree and its variables.
//!
//! The tree is small and always loaded whole: the root execution is the process
//! instance, and every other execution is one activity instance (a task waiting
//! for its worker, a subprocess scope, a multi-instance body or one of its
//! instances, a token waiting at a join). It is stored as JSON in the instance's
//! row, keyed by element ids rather than node indexes so that a stored instance
//! survives an upgrade of the parser.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::graph::Graph;
use crate::value::Value;

/// One execution: the process instance itself or one activity instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Exec {
    /// The execution id (the instance id for the root).
    pub id: String,
    /// The enclosing execution; `None` for the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The element this execution is at; empty for the root.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub activity: String,
    /// What kind of execution it is.
    pub kind: ExecKind,
    /// What it waits for.
    #[serde(default, skip_serializing_if = "Wait::is_none")]
    pub wait: Wait,
    /// Whether variables can be local to it (the root, subprocesses, multi-instance
    /// executions, activities with input/output mappings). Other executions keep their
    /// local variables in the nearest enclosing scope, as Camunda does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub var_scope: bool,
    /// Whether it owns message or signal subscriptions or timer jobs (its boundary
    /// events, the event it waits at, its scope's event subprocesses); they go when
    /// it does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub armed: bool,
    /// The conditional events it owns, by element id: evaluated whenever the
    /// instance's variables change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
}

/// The kinds of execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ExecKind {
    /// The process instance.
    Root,
    /// One activity instance (task, gateway, event, subprocess, call activity).
    Activity,
    /// The body of a multi-instance activity, parent of its instances.
    MiBody,
    /// One instance of a multi-instance activity.
    MiInner,
}

/// What an execution is waiting for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) enum Wait {
    /// Nothing: it is a scope with children, or it is moving.
    #[default]
    None,
    /// Its external task (by id) to be completed.
    ExternalTask(String),
    /// Its user task (by id) to be completed.
    UserTask(String),
    /// Other tokens to arrive at its joining gateway.
    Join,
    /// Its called process instance (by id) to end.
    Child(String),
    /// Nothing it can get: a step failed; the incident (by id) says why.
    Failed(String),
    /// An error it threw is looking for a catcher in a calling instance.
    ErrorPending,
    /// A message, signal, timer or condition: it is an intermediate catch event, a
    /// receive task or an event-based gateway, armed with what it waits for.
    Event,
    /// Its asynchronous continuation's job: before its activity starts
    /// (`camunda:asyncBefore`), or after it ended, before it leaves
    /// (`camunda:asyncAfter`).
    Async {
        /// Whether it waits after its activity.
        after: bool,
    },
}

impl Wait {
    fn is_none(&self) -> bool {
        matches!(self, Wait::None)
    }
}

impl Exec {
    /// Camunda's activity instance id for this execution.
    pub(crate) fn activity_instance_id(&self) -> String {
        match self.kind {
            ExecKind::Root => self.id.clone(),
            ExecKind::MiBody => format!("{}#multiInstanceBody:{}", self.activity, self.id),
            ExecKind::Activity | ExecKind::MiInner => format!("{}:{}", self.activity, self.id),
        }
    }
}

/// How a stored variable changed in this command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VarState {
    /// As loaded.
    Clean,
    /// Created in this command.
    New,
    /// Loaded, then changed.
    Updated,
    /// Loaded, then removed.
    Deleted,
    /// Created in this command, then removed in it: nothing to write anywhere.
    Dropped,
}

/// A variable of a running instance.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Var {
    /// Its id (kept across updates, as Camunda's variable instance id).
    pub id: String,
    /// The execution it is local to.
    pub scope: String,
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: Value,
    /// How it changed in this command.
    pub state: VarState,
    /// Whether its scope ended in this command: it leaves the runtime tables, but
    /// history keeps it as it was.
    pub gone: bool,
}

impl Var {
    fn live(&self) -> bool {
        !matches!(self.state, VarState::Deleted | VarState::Dropped) && !self.gone
    }
}

/// Up to this many variables an instance finds a name by looking at each; beyond,
/// through an index, so that a command setting thousands of variables costs what
/// its data costs rather than the square of it.
const SCAN_MAX: usize = 32;

/// The variables of an instance, in the order they were loaded or created, with at
/// most one entry per scope and name (live or not).
#[derive(Debug, Clone, Default)]
pub(crate) struct Vars {
    list: Vec<Var>,
    /// Positions in `list` by scope and name, once `list` is longer than [`SCAN_MAX`].
    index: Option<HashMap<String, HashMap<String, usize>>>,
}

impl Vars {
    /// The variables of an instance as loaded from its rows.
    pub(crate) fn loaded(list: Vec<Var>) -> Vars {
        let mut vars = Vars { list, index: None };
        vars.reindex();
        vars
    }

    /// Every entry, live or not.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Var> {
        self.list.iter()
    }

    /// Whether there are no entries.
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The entry for `name` in exactly `scope`, live or not.
    fn position(&self, scope: &str, name: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(scope)?.get(name).copied(),
            None => self
                .list
                .iter()
                .position(|v| v.scope == scope && v.name == name),
        }
    }

    fn push(&mut self, var: Var) {
        if let Some(index) = &mut self.index {
            index
                .entry(var.scope.clone())
                .or_default()
                .insert(var.name.clone(), self.list.len());
        }
        self.list.push(var);
        if self.index.is_none() && self.list.len() > SCAN_MAX {
            self.reindex();
        }
    }

    fn reindex(&mut self) {
        if self.list.len() <= SCAN_MAX {
            self.index = None;
            return;
        }
        let mut index: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for (i, v) in self.list.iter().enumerate() {
            index
                .entry(v.scope.clone())
                .or_default()
                .insert(v.name.clone(), i);
        }
        self.index = Some(index);
    }

    /// Keeps only what the database now holds, every entry clean: after the
    /// instance was written.
    pub(crate) fn written(&mut self) {
        self.list.retain(Var::live);
        for v in &mut self.list {
            v.state = VarState::Clean;
        }
        self.reindex();
    }
}

/// The state of one process instance, loaded for one command.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    /// The instance id.
    pub id: String,
    /// Its definition.
    pub graph: Arc<Graph>,
    /// Its business key.
    pub business_key: Option<String>,
    /// The calling instance and its call-activity execution, for a called instance.
    pub super_ref: Option<(String, String)>,
    /// The top-most calling instance (itself when not called).
    pub root_instance_id: String,
    /// The tenant.
    pub tenant_id: Option<String>,
    /// When it started.
    pub start_time: i64,
    /// The execution tree; the root comes first.
    pub execs: Vec<Exec>,
    /// Its variables.
    pub vars: Vars,
    /// Whether it was created by this command.
    pub is_new: bool,
    /// How it ended, once it has.
    pub ended: Option<EndState>,
    /// The number of times it has been written.
    pub rev: i64,
    /// How many variable writes this command made; conditional events are
    /// evaluated again when it grows.
    pub var_writes: u64,
    /// `var_writes` when conditional events were last evaluated.
    pub conditions_seen: u64,
    /// Where the ids of what it creates come from.
    pub ids: Ids,
    /// The variable changes since conditional events were last evaluated: each
    /// name with `create`, `update` or `delete`, for `camunda:variableName` and
    /// `camunda:variableEvents`.
    pub var_events: Vec<(String, &'static str)>,
    /// Where its tokens waited when its row was last written, as [`waiting`]
    /// reads them: the `waiting_token` rows stored for it (none for a new
    /// instance), which writing it again brings up to date.
    pub waiting: Vec<(String, u32)>,
}

/// Where the ids of what an instance creates (executions, tasks, incidents,
/// variables, called instances) come from: the engine's time-ordered UUIDs, or,
/// in tests of the interpreter alone, a plain sequence, so that a run is a
/// function of its inputs.
#[derive(Debug, Clone, Default)]
pub(crate) enum Ids {
    /// The engine's UUIDv7 generator.
    #[default]
    Engine,
    /// `id1`, `id2`, ... shared by the clones of one instance.
    #[cfg(test)]
    Sequence(std::sync::Arc<std::sync::atomic::AtomicU64>),
}

impl Ids {
    /// A new id.
    pub(crate) fn next(&self) -> String {
        match self {
            Ids::Engine => crate::new_id(),
            #[cfg(test)]
            Ids::Sequence(n) => format!(
                "id{}",
                n.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
            ),
        }
    }
}

/// Where the tokens of an execution tree wait, by activity id (sorted), with how
/// many executions wait at each: the active activity instances Camunda's activity
/// statistics count. An execution counts when it is one activity instance (kind
/// `Activity`, or `MiInner` for one instance of a multi-instance activity) that
/// waits for something other than a join (a task, an event, a called instance, a
/// failed step, a pending error); scopes waiting for their children (the root, a
/// subprocess, a multi-instance body) and tokens waiting at a joining gateway, which
/// Camunda makes inactive, do not. Migration 0013 reads stored trees the same way.
pub(crate) fn waiting(execs: &[Exec]) -> Vec<(String, u32)> {
    let mut at: Vec<(String, u32)> = Vec::new();
    for e in execs {
        let counted = matches!(e.kind, ExecKind::Activity | ExecKind::MiInner)
            && !matches!(e.wait, Wait::None | Wait::Join)
            && !e.activity.is_empty();
        if !counted {
            continue;
        }
        match at.binary_search_by(|(a, _)| a.as_str().cmp(&e.activity)) {
            Ok(i) => at[i].1 += 1,
            Err(i) => at.insert(i, (e.activity.clone(), 1)),
        }
    }
    at
}

/// How an instance ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndState {
    /// It reached its end.
    Completed,
    /// It was cancelled from outside (deleted through the API).
    ExternallyTerminated,
    /// It was cancelled by the process (an error caught by a calling instance).
    InternallyTerminated,
}

impl EndState {
    /// Camunda's history state name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EndState::Completed => "COMPLETED",
            EndState::ExternallyTerminated => "EXTERNALLY_TERMINATED",
            EndState::InternallyTerminated => "INTERNALLY_TERMINATED",
        }
    }
}

impl Instance {
    /// The execution with `id`.
    pub(crate) fn exec(&self, id: &str) -> Option<&Exec> {
        self.execs.iter().find(|e| e.id == id)
    }

    pub(crate) fn exec_mut(&mut self, id: &str) -> Option<&mut Exec> {
        self.execs.iter_mut().find(|e| e.id == id)
    }

    /// The direct children of `id`.
    pub(crate) fn children<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Exec> + 'a {
        self.execs
            .iter()
            .filter(move |e| e.parent.as_deref() == Some(id))
    }

    /// The execution whose variables `id`'s local variables are: itself if it is a
    /// variable scope, else the nearest enclosing one.
    pub(crate) fn var_scope(&self, id: &str) -> String {
        let mut cur = self.exec(id);
        while let Some(e) = cur {
            if e.var_scope || e.kind == ExecKind::Root {
                return e.id.clone();
            }
            cur = e.parent.as_deref().and_then(|p| self.exec(p));
        }
        self.id.clone()
    }

    /// The chain of variable scopes from `id` outwards, ending at the root.
    fn scope_chain(&self, id: &str) -> Vec<&str> {
        let mut chain = Vec::new();
        let mut cur = self.exec(id);
        while let Some(e) = cur {
            if e.var_scope || e.kind == ExecKind::Root {
                chain.push(e.id.as_str());
            }
            cur = e.parent.as_deref().and_then(|p| self.exec(p));
        }
        if chain.is_empty() {
            chain.push(self.id.as_str());
        }
        chain
    }

    fn var_index(&self, scope: &str, name: &str) -> Option<usize> {
        self.vars
            .position(scope, name)
            .filter(|&i| self.vars.list[i].live())
    }

    /// The variable `name` as seen from execution `id`.
    pub(crate) fn variable(&self, id: &str, name: &str) -> Option<&Value> {
        self.scope_chain(id)
            .into_iter()
            .find_map(|s| self.var_index(s, name))
            .map(|i| &self.vars.list[i].value)
    }

    /// The variable `name` if it is local to `id`'s scope.
    pub(crate) fn local_variable(&self, id: &str, name: &str) -> Option<&Value> {
        let scope = self.var_scope(id);
        self.var_index(&scope, name)
            .map(|i| &self.vars.list[i].value)
    }

    /// Every variable visible from `id`, nearest scope first wins.
    pub(crate) fn visible_variables(&self, id: &str) -> Vec<(String, Value)> {
        let mut out: Vec<(String, Value)> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for scope in self.scope_chain(id) {
            // A variable whose scope ended in this command is still seen from it.
            for v in self.vars.iter().filter(|v| {
                v.scope == scope && !matches!(v.state, VarState::Deleted | VarState::Dropped)
            }) {
                if seen.insert(v.name.as_str()) {
                    out.push((v.name.clone(), v.value.clone()));
                }
            }
        }
        out
    }

    /// The variables local to `id`'s scope.
    pub(crate) fn local_variables(&self, id: &str) -> Vec<(String, Value)> {
        let scope = self.var_scope(id);
        self.vars
            .iter()
            .filter(|v| v.scope == scope && v.live())
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect()
    }

    /// Camunda's `setVariable`: updates the variable in the nearest scope that has it,
    /// or creates it in the process instance.
    pub(crate) fn set_variable(&mut self, id: &str, name: &str, value: Value) {
        let chain: Vec<String> = self
            .scope_chain(id)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let scope = chain
            .iter()
            .find(|s| self.var_index(s, name).is_some())
            .cloned()
            .unwrap_or_else(|| self.id.clone());
        self.put(&scope, name, value);
    }

    /// Camunda's `setVariableLocal`.
    pub(crate) fn set_local(&mut self, id: &str, name: &str, value: Value) {
        let scope = self.var_scope(id);
        self.put(&scope, name, value);
    }

    /// Sets `name` in exactly `scope`.
    pub(crate) fn put(&mut self, scope: &str, name: &str, value: Value) {
        self.var_writes += 1;
        if let Some(i) = self.vars.position(scope, name) {
            let var = &mut self.vars.list[i];
            let event = if var.live() { "update" } else { "create" };
            self.var_events.push((name.to_owned(), event));
            var.value = value;
            var.state = match var.state {
                VarState::Clean | VarState::Updated => VarState::Updated,
                VarState::New | VarState::Dropped => VarState::New,
                // A variable deleted earlier in this command comes back under its old id.
                VarState::Deleted => VarState::Updated,
            };
            var.gone = false;
            return;
        }
        self.var_events.push((name.to_owned(), "create"));
        self.vars.push(Var {
            id: self.ids.next(),
            scope: scope.to_owned(),
            name: name.to_owned(),
            value,
            state: VarState::New,
            gone: false,
        });
    }

    /// Removes `name` from exactly `scope`; whether it existed.
    pub(crate) fn remove_var(&mut self, scope: &str, name: &str) -> bool {
        self.var_writes += 1;
        match self.var_index(scope, name) {
            Some(i) => {
                self.var_events.push((name.to_owned(), "delete"));
                let var = &mut self.vars.list[i];
                var.state = if var.state == VarState::New {
                    VarState::Dropped
                } else {
                    VarState::Deleted
                };
                true
            }
            None => false,
        }
    }

    /// Drops every variable local to exactly `scope` (when it ends). History keeps them.
    pub(crate) fn drop_scope_vars(&mut self, scope: &str) {
        for v in self.vars.list.iter_mut().filter(|v| v.scope == scope) {
            v.gone = true;
        }
    }
}
