//! Read-only queries. They run on read connections (WAL readers), never on the writer.

use rusqlite::{Connection, OptionalExtension, ToSql, params};

use crate::Engine;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::list;
use crate::runtime::{Exec, ExecKind, activity_type};
use crate::store::rows::{
    self, DEFINITION_COLUMNS, HI_ACTIVITY_COLUMNS, HI_INSTANCE_COLUMNS, INCIDENT_COLUMNS,
    TASK_COLUMNS,
};
use crate::types::*;

/// A WHERE clause under construction.
#[derive(Default)]
struct Filter {
    sql: String,
    args: Vec<Box<dyn ToSql + Send>>,
}

impl Filter {
    fn eq<T: ToSql + Send + Clone + 'static>(&mut self, column: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.raw_arg(&format!("{column} = ?"), v.clone());
        }
    }

    fn raw(&mut self, clause: &str) {
        self.sql.push_str(if self.sql.is_empty() {
            " WHERE "
        } else {
            " AND "
        });
        self.sql.push_str(clause);
    }

    fn raw_arg<T: ToSql + Send + 'static>(&mut self, clause: &str, value: T) {
        self.args.push(Box::new(value));
        let n = self.args.len();
        self.raw(&clause.replace('?', &format!("?{n}")));
    }

    /// `column` is one of `values`, however many (see [`crate::list`]); an empty
    /// list filters nothing.
    fn any(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let (clause, params) = list::in_list(column, values, self.args.len() + 1);
        self.args.extend(params);
        self.raw(&clause);
    }

    fn page(&mut self, first: usize, max: Option<usize>) {
        let limit = max.map_or(-1, |m| i64::try_from(m).unwrap_or(i64::MAX));
        let offset = i64::try_from(first).unwrap_or(i64::MAX);
        self.args.push(Box::new(limit));
        self.args.push(Box::new(offset));
        let n = self.args.len();
        self.sql.push_str(&format!(" LIMIT ?{} OFFSET ?{n}", n - 1));
    }

    fn query<T>(
        &self,
        conn: &Connection,
        head: &str,
        tail: &str,
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let sql = format!("{head}{}{tail}", self.sql);
        let mut stmt = conn.prepare_cached(&sql)?;
        let params: Vec<&dyn ToSql> = self.args.iter().map(|a| a.as_ref() as &dyn ToSql).collect();
        let rows = stmt.query_map(params.as_slice(), f)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl Engine {
    /// Runs `f` on a read connection of the pool.
    pub(crate) async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        self.inner.store.read(f).await
    }

    /// Deployments, newest first.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn deployments(
        &self,
        id: Option<String>,
        name: Option<String>,
    ) -> Result<Vec<Deployment>> {
        self.read(move |c| {
            let mut f = Filter::default();
            f.eq("id", &id);
            f.eq("name", &name);
            f.query(
                c,
                "SELECT id, name, source, tenant_id, deploy_time FROM deployment",
                " ORDER BY deploy_time DESC",
                |r| {
                    Ok(Deployment {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        source: r.get(2)?,
                        tenant_id: r.get(3)?,
                        deployment_time: r.get(4)?,
                    })
                },
            )
        })
        .await
    }

    /// Process definitions matching `q`, by key then version.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn definitions(&self, q: DefinitionQuery) -> Result<Vec<ProcessDefinition>> {
        self.read(move |c| {
            let mut f = Filter::default();
            f.eq("id", &q.id);
            f.eq("key", &q.key);
            f.eq("name", &q.name);
            f.eq("version", &q.version);
            f.eq("deployment_id", &q.deployment_id);
            f.eq("version_tag", &q.version_tag);
            if let Some(like) = &q.key_like {
                f.raw_arg("key LIKE ?", like.clone());
            }
            f.any("tenant_id", &q.tenant_ids);
            if q.without_tenant_id {
                f.raw("tenant_id IS NULL");
            }
            if q.latest_version {
                f.raw(
                    "version = (SELECT MAX(version) FROM process_definition p2 \
                     WHERE p2.key = process_definition.key AND p2.tenant_id IS process_definition.tenant_id)",
                );
            }
            f.sql.push_str(" ORDER BY key, version");
            f.page(q.first_result, q.max_results);
            f.query(c, &format!("SELECT {DEFINITION_COLUMNS} FROM process_definition"), "", rows::definition_from)
        })
        .await
    }

    /// One process definition.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is none with `id`.
    pub async fn definition(&self, id: &str) -> Result<ProcessDefinition> {
        let q = DefinitionQuery {
            id: Some(id.to_owned()),
            ..DefinitionQuery::default()
        };
        self.definitions(q)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("No matching definition with id {id}")))
    }

    /// The BPMN XML a definition was deployed with.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no definition with `id`.
    pub async fn definition_xml(&self, id: &str) -> Result<Vec<u8>> {
        let id = id.to_owned();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT r.bytes FROM process_definition d JOIN resource r \
                 ON r.deployment_id = d.deployment_id AND r.name = d.resource_name WHERE d.id = ?1",
            )?
            .query_row([&id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("No matching definition with id {id}")))
        })
        .await
    }

    /// Running process instances matching `q`.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn instances(&self, q: InstanceQuery) -> Result<Vec<ProcessInstance>> {
        self.read(move |c| {
            let mut f = Filter::default();
            f.any("id", &q.ids);
            f.eq("business_key", &q.business_key);
            f.eq("definition_id", &q.definition_id);
            f.eq("definition_key", &q.definition_key);
            f.eq("super_instance_id", &q.super_instance_id);
            if let Some(sub) = &q.sub_instance_id {
                f.raw_arg(
                    "id = (SELECT super_instance_id FROM process_instance s WHERE s.id = ?)",
                    sub.clone(),
                );
            }
            if q.with_incident {
                f.raw(
                    "EXISTS (SELECT 1 FROM incident i WHERE i.instance_id = process_instance.id)",
                );
            }
            f.sql.push_str(" ORDER BY start_time, id");
            f.page(q.first_result, q.max_results);
            f.query(
                c,
                "SELECT id, definition_id, definition_key, business_key, tenant_id, suspended, \
                 super_instance_id, root_instance_id FROM process_instance",
                "",
                |r| {
                    Ok(ProcessInstance {
                        id: r.get(0)?,
                        definition_id: r.get(1)?,
                        definition_key: r.get(2)?,
                        business_key: r.get(3)?,
                        tenant_id: r.get(4)?,
                        suspended: r.get(5)?,
                        ended: false,
                        super_instance_id: r.get(6)?,
                        root_instance_id: r.get(7)?,
                    })
                },
            )
        })
        .await
    }

    /// One running instance.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no instance with `id` is running.
    pub async fn instance(&self, id: &str) -> Result<ProcessInstance> {
        let q = InstanceQuery {
            ids: vec![id.to_owned()],
            ..InstanceQuery::default()
        };
        self.instances(q)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(format!("Process instance with id {id} does not exist")))
    }

    /// External tasks matching `q`, by creation.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn external_tasks(&self, q: ExternalTaskQuery) -> Result<Vec<ExternalTask>> {
        let now = self.now();
        self.read(move |c| {
            let mut f = Filter::default();
            f.eq("id", &q.id);
            f.any("id", &q.ids);
            f.eq("topic", &q.topic);
            f.eq("worker_id", &q.worker_id);
            f.eq("instance_id", &q.process_instance_id);
            f.any("instance_id", &q.process_instance_ids);
            f.eq("definition_id", &q.process_definition_id);
            f.eq("definition_key", &q.process_definition_key);
            f.eq("activity_id", &q.activity_id);
            f.eq("execution_id", &q.execution_id);
            f.any("tenant_id", &q.tenant_ids);
            if q.locked {
                f.raw_arg("lock_expiration > ?", now);
            }
            if q.not_locked {
                f.raw_arg("(lock_expiration IS NULL OR lock_expiration <= ?)", now);
            }
            if q.with_retries_left {
                f.raw("(retries IS NULL OR retries > 0)");
            }
            if q.no_retries_left {
                f.raw("retries = 0");
            }
            if let Some(p) = q.priority_higher_than_or_equals {
                f.raw_arg("priority >= ?", p);
            }
            if let Some(p) = q.priority_lower_than_or_equals {
                f.raw_arg("priority <= ?", p);
            }
            f.sql.push_str(" ORDER BY create_time, id");
            f.page(q.first_result, q.max_results);
            f.query(
                c,
                &format!("SELECT {TASK_COLUMNS} FROM external_task"),
                "",
                rows::task_from,
            )
        })
        .await
    }

    /// One external task and its last failure's details.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no task with `id`.
    pub async fn external_task(&self, id: &str) -> Result<(ExternalTask, Option<String>)> {
        let id = id.to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM external_task WHERE id = ?1"
            ))?
            .query_row([&id], |r| Ok((rows::task_from(r)?, r.get(18)?)))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("External task with id {id} does not exist")))
        })
        .await
    }

    /// The distinct topics of external tasks.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn topic_names(&self) -> Result<Vec<String>> {
        self.read(|c| {
            Filter::default().query(
                c,
                "SELECT DISTINCT topic FROM external_task",
                " ORDER BY topic",
                |r| r.get(0),
            )
        })
        .await
    }

    /// Open incidents matching `q`.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn incidents(&self, q: IncidentQuery) -> Result<Vec<Incident>> {
        self.read(move |c| {
            let mut f = Filter::default();
            f.eq("id", &q.id);
            f.eq("type", &q.incident_type);
            f.eq("instance_id", &q.process_instance_id);
            f.eq("activity_id", &q.activity_id);
            f.eq("configuration", &q.configuration);
            f.query(
                c,
                &format!("SELECT {INCIDENT_COLUMNS} FROM incident"),
                " ORDER BY create_time, id",
                rows::incident_from,
            )
        })
        .await
    }

    /// The variables of a running instance, every scope.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn variables(&self, instance_id: &str) -> Result<Vec<VariableInstance>> {
        self.variables_where("instance_id = ?", instance_id).await
    }

    /// The variables local to execution `execution_id` (the instance's own, for the
    /// instance id). Variables live in scope executions only: a task without input
    /// mappings has none of its own.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn execution_variables(&self, execution_id: &str) -> Result<Vec<VariableInstance>> {
        self.variables_where("execution_id = ?", execution_id).await
    }

    async fn variables_where(
        &self,
        clause: &'static str,
        id: &str,
    ) -> Result<Vec<VariableInstance>> {
        let id = id.to_owned();
        self.read(move |c| {
            let mut f = Filter::default();
            f.raw_arg(clause, id);
            f.query(
                c,
                "SELECT id, name, type, value, info, instance_id, execution_id FROM variable",
                " ORDER BY name",
                |r| {
                    let t: String = r.get(2)?;
                    let info: Option<String> = r.get(4)?;
                    Ok(VariableInstance {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        value: rows::value_from(&t, r.get_ref(3)?, info.as_deref()),
                        process_instance_id: r.get(5)?,
                        execution_id: r.get(6)?,
                    })
                },
            )
        })
        .await
    }

    /// Historic process instances matching `q`, by start time.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn historic_instances(
        &self,
        q: HistoricInstanceQuery,
    ) -> Result<Vec<HistoricProcessInstance>> {
        self.read(move |c| {
            let mut f = Filter::default();
            f.eq("id", &q.id);
            f.eq("business_key", &q.business_key);
            f.eq("definition_key", &q.definition_key);
            f.eq("definition_id", &q.definition_id);
            f.eq("super_instance_id", &q.super_instance_id);
            if q.finished {
                f.raw("end_time IS NOT NULL");
            }
            if q.unfinished {
                f.raw("end_time IS NULL");
            }
            f.sql.push_str(" ORDER BY start_time, id");
            f.page(q.first_result, q.max_results);
            f.query(
                c,
                &format!("SELECT {HI_INSTANCE_COLUMNS} FROM hi_process_instance"),
                "",
                rows::historic_instance_from,
            )
        })
        .await
    }

    /// The historic activity instances of a process instance, in the order they started.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn historic_activities(
        &self,
        instance_id: &str,
    ) -> Result<Vec<HistoricActivityInstance>> {
        let id = instance_id.to_owned();
        self.read(move |c| {
            let mut f = Filter::default();
            f.raw_arg("instance_id = ?", id);
            f.query(
                c,
                &format!("SELECT {HI_ACTIVITY_COLUMNS} FROM hi_activity_instance"),
                " ORDER BY seq",
                rows::historic_activity_from,
            )
        })
        .await
    }

    /// The historic variables of a process instance (their latest values).
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn historic_variables(&self, instance_id: &str) -> Result<Vec<HistoricVariable>> {
        let id = instance_id.to_owned();
        self.read(move |c| {
            let mut f = Filter::default();
            f.raw_arg("instance_id = ?", id);
            f.query(
                c,
                "SELECT id, name, type, value, info, instance_id, execution_id, definition_id, \
                 definition_key, create_time, state, tenant_id, \
                 CASE WHEN execution_id = instance_id THEN instance_id ELSE \
                   (SELECT a.id FROM hi_activity_instance a WHERE a.instance_id = hi_variable.instance_id \
                    AND a.execution_id = hi_variable.execution_id ORDER BY a.seq LIMIT 1) END, \
                 (SELECT p.root_instance_id FROM hi_process_instance p WHERE p.id = hi_variable.instance_id) \
                 FROM hi_variable",
                " ORDER BY name",
                |r| {
                    let t: String = r.get(2)?;
                    let info: Option<String> = r.get(4)?;
                    Ok(HistoricVariable {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        value: rows::value_from(&t, r.get_ref(3)?, info.as_deref()),
                        process_instance_id: r.get(5)?,
                        execution_id: r.get(6)?,
                        process_definition_id: r.get(7)?,
                        process_definition_key: r.get(8)?,
                        create_time: r.get(9)?,
                        state: r.get(10)?,
                        tenant_id: r.get(11)?,
                        activity_instance_id: r.get(12)?,
                        root_process_instance_id: r.get(13)?,
                    })
                },
            )
        })
        .await
    }

    /// The activity-instance tree of a running instance.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when no instance with `id` is running.
    pub async fn activity_instances(&self, instance_id: &str) -> Result<ActivityInstance> {
        let id = instance_id.to_owned();
        let shared = self.inner.shared.clone();
        let (graph, state) = self
            .read(move |c| {
                let (def, state): (String, String) = c
                    .prepare_cached(
                        "SELECT definition_id, state FROM process_instance WHERE id = ?1",
                    )?
                    .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?
                    .ok_or_else(|| {
                        Error::NotFound(format!("Process instance with id {id} does not exist"))
                    })?;
                let graph = match shared.cache.get(&def) {
                    Some(g) => g,
                    None => crate::command::load_graph(c, &shared.cache, &def)?,
                };
                Ok((graph, state))
            })
            .await?;
        let execs: Vec<Exec> = serde_json::from_str(&state)
            .map_err(|e| Error::Internal(format!("unreadable instance state: {e}")))?;
        let incidents = self
            .incidents(IncidentQuery {
                process_instance_id: Some(instance_id.to_owned()),
                ..IncidentQuery::default()
            })
            .await?;
        fn build(
            execs: &[Exec],
            e: &Exec,
            parent: Option<String>,
            graph: &Graph,
            incidents: &[Incident],
        ) -> ActivityInstance {
            let id = e.activity_instance_id();
            let children = execs
                .iter()
                .filter(|c| c.parent.as_deref() == Some(e.id.as_str()))
                .map(|c| build(execs, c, Some(id.clone()), graph, incidents))
                .collect();
            let node = graph.node_id(&e.activity).map(|n| graph.process.node(n));
            let (activity_id, activity_type, activity_name) = match e.kind {
                ExecKind::Root => (
                    graph.id.clone(),
                    "processDefinition".to_owned(),
                    graph.process.name.clone(),
                ),
                ExecKind::MiBody => (
                    format!("{}#multiInstanceBody", e.activity),
                    "multiInstanceBody".to_owned(),
                    node.and_then(|n| n.name.clone()),
                ),
                ExecKind::Activity | ExecKind::MiInner => (
                    e.activity.clone(),
                    node.map_or("unknown", activity_type).to_owned(),
                    node.and_then(|n| n.name.clone()),
                ),
            };
            ActivityInstance {
                parent_id: parent,
                activity_id,
                activity_type,
                activity_name,
                execution_ids: vec![e.id.clone()],
                incident_ids: incidents
                    .iter()
                    .filter(|i| i.execution_id == e.id)
                    .map(|i| i.id.clone())
                    .collect(),
                children,
                id,
            }
        }
        let root = execs
            .iter()
            .find(|e| e.kind == ExecKind::Root)
            .ok_or_else(|| Error::Internal("instance without a root".into()))?;
        Ok(build(&execs, root, None, &graph, &incidents))
    }
}

impl Engine {
    /// The `camunda:properties` of an element (what `fetchAndLock` answers as a
    /// task's `extensionProperties`), in document order.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown definition; an unknown element has none.
    pub async fn extension_properties(
        &self,
        definition_id: &str,
        activity_id: &str,
    ) -> Result<Vec<(String, String)>> {
        let shared = self.inner.shared.clone();
        let graph = match shared.cache.get(definition_id) {
            Some(g) => g,
            None => {
                let def = definition_id.to_owned();
                self.read(move |c| crate::command::load_graph(c, &shared.cache, &def))
                    .await?
            }
        };
        Ok(graph
            .node_id(activity_id)
            .map(|n| {
                graph
                    .process
                    .node(n)
                    .properties
                    .iter()
                    .map(|p| (p.name.clone(), p.value.clone().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl Engine {
    /// When the next task of `topics` that is locked now (by a worker, or by a retry
    /// timeout) becomes fetchable: the earliest future lock expiration among them, if
    /// any. Long polls sleep until then, since an expiring lock sends no wake-up.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn next_lock_expiration(&self, topics: &[String]) -> Result<Option<i64>> {
        let now = self.now();
        let topics = topics.to_vec();
        self.read(move |c| {
            let mut earliest: Option<i64> = None;
            let mut stmt = c.prepare_cached(
                "SELECT MIN(lock_expiration) FROM external_task WHERE topic = ?1 \
                 AND lock_expiration > ?2 AND (retries IS NULL OR retries > 0) AND suspended = 0",
            )?;
            for topic in &topics {
                let next: Option<i64> = stmt.query_row(params![topic, now], |r| r.get(0))?;
                earliest = match (earliest, next) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            Ok(earliest)
        })
        .await
    }
}
