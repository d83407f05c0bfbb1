//! Compiled process definitions: a parsed [`Process`] with the indexes the
//! interpreter needs, cached per definition id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use baton_bpmn::expr::{self, Template};
use baton_bpmn::model::{NodeId, NodeKind, Process};

/// One deployed process definition, compiled once and shared by every instance.
#[derive(Debug)]
pub(crate) struct Graph {
    /// The definition id `key:version:uuid`.
    pub id: String,
    /// The process id (the definition key).
    pub key: String,
    /// The version.
    pub version: i64,
    /// The deployment it came with.
    pub deployment_id: String,
    /// The tenant.
    pub tenant_id: Option<String>,
    /// The model.
    pub process: Process,
    /// Node index by element id.
    by_id: HashMap<String, NodeId>,
    /// Parsed expressions by source text, filled on first use.
    templates: Mutex<HashMap<String, Arc<Template>>>,
    /// For each node (by index), the set of nodes that can reach it within its scope;
    /// filled on first use for inclusive joins.
    reach: Mutex<HashMap<NodeId, Arc<Vec<bool>>>>,
}

impl Graph {
    pub(crate) fn new(
        id: String,
        version: i64,
        deployment_id: String,
        tenant_id: Option<String>,
        process: Process,
    ) -> Graph {
        let by_id = process
            .node_ids()
            .map(|(id, n)| (n.id.clone(), id))
            .collect();
        Graph {
            key: process.id.clone(),
            id,
            version,
            deployment_id,
            tenant_id,
            process,
            by_id,
            templates: Mutex::default(),
            reach: Mutex::default(),
        }
    }

    /// The node with element id `id`.
    pub(crate) fn node_id(&self, id: &str) -> Option<NodeId> {
        self.by_id.get(id).copied()
    }

    /// The parsed template of an expression's source text.
    pub(crate) fn template(&self, source: &str) -> Result<Arc<Template>, String> {
        let mut cache = self.templates.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = cache.get(source) {
            return Ok(t.clone());
        }
        let t = Arc::new(expr::parse(source).map_err(|e| e.to_string())?);
        cache.insert(source.to_owned(), t.clone());
        Ok(t)
    }

    /// Whether a token resting at `from` can still reach `target` along sequence flows
    /// (boundary events of nodes on the way included).
    pub(crate) fn can_reach(&self, from: NodeId, target: NodeId) -> bool {
        let reach = {
            let mut cache = self.reach.lock().unwrap_or_else(|p| p.into_inner());
            cache
                .entry(target)
                .or_insert_with(|| Arc::new(self.reachers(target)))
                .clone()
        };
        reach[from.index()]
    }

    /// Every node from which `target` is reachable, found backwards from `target`.
    fn reachers(&self, target: NodeId) -> Vec<bool> {
        let p = &self.process;
        let mut seen = vec![false; p.nodes.len()];
        let mut stack = vec![target];
        while let Some(n) = stack.pop() {
            let node = p.node(n);
            let mut preds: Vec<NodeId> = node.incoming.iter().map(|f| p.flow(*f).source).collect();
            // A token in a boundary event's host can leave through the boundary event.
            if let NodeKind::BoundaryEvent(b) = &node.kind {
                preds.push(b.attached_to);
            }
            for pred in preds {
                if !seen[pred.index()] {
                    seen[pred.index()] = true;
                    stack.push(pred);
                }
            }
            // A token inside a subprocess reaches whatever the subprocess reaches.
            if let NodeKind::SubProcess(_) = &node.kind {
                for child in &node.children {
                    if !seen[child.index()] {
                        seen[child.index()] = true;
                        stack.push(*child);
                    }
                }
            }
        }
        seen
    }
}

/// Compiled definitions by id. Entries are immutable; a definition is compiled
/// once per process lifetime.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    graphs: RwLock<HashMap<String, Arc<Graph>>>,
}

impl Cache {
    pub(crate) fn get(&self, id: &str) -> Option<Arc<Graph>> {
        self.graphs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    pub(crate) fn insert(&self, graph: Arc<Graph>) {
        self.graphs
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(graph.id.clone(), graph);
    }

    /// Forgets a deleted definition.
    pub(crate) fn remove(&self, id: &str) {
        self.graphs
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }
}
