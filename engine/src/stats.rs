//! Statistics of what runs: per process definition version (running instances,
//! jobs without retries left, open incidents by type) and per activity of one
//! definition (where tokens wait, jobs failed, incidents are), as Camunda's
//! `ProcessDefinitionStatisticsQuery` and `ActivityStatisticsQuery` count them.
//!
//! Everything is counted in SQL, one `GROUP BY` per kind of thing counted, in
//! one read transaction so that the counts agree with each other; no instance
//! is loaded. Where tokens wait is read from `waiting_token` (migration 0013),
//! which the writer keeps with every instance's row from its execution tree (see
//! [`crate::runtime::state::waiting`] for which executions count): one range of
//! its key per definition, rather than every instance's tree.
//!
//! Authorization follows Camunda's `Statistics.xml`: the definition list holds
//! the definitions the user may read, and counts the instances, jobs and
//! incidents of the user's tenants (no per-instance check, as Camunda); the
//! activity list counts only the instances, jobs and incidents the user may
//! read (`READ` on the instance or `READ_INSTANCE` on the definition).

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension};

use crate::Engine;
use crate::authz::{Resource, Scope, perm};
use crate::error::{Error, Result};
use crate::query::Filter;
use crate::store::rows::{self, DEFINITION_COLUMNS};
use crate::types::{
    ActivityStatistics, DefinitionStatistics, IncidentCount, IncidentsWanted, StatisticsQuery,
};

/// The definition key of an incident row, for the `READ_INSTANCE` check.
const INCIDENT_KEY: &str =
    "(SELECT d.key FROM process_definition d WHERE d.id = incident.definition_id)";

/// Keeps the rows of the scope's tenants (or of none) in `column`; no
/// permission check.
fn tenants_only(f: &mut Filter, scope: &Option<Scope>, column: &str) {
    if let Some(s) = scope {
        let members = f.in_clause(column, &s.principal.tenants);
        f.raw(&format!("({column} IS NULL OR {members})"));
    }
}

/// Adds the incident type condition `wanted` asks for; false when no incidents
/// are wanted at all.
fn incident_type(f: &mut Filter, wanted: &IncidentsWanted) -> bool {
    match wanted {
        IncidentsWanted::None => false,
        IncidentsWanted::All | IncidentsWanted::Root => true,
        IncidentsWanted::OfType(t) => {
            f.raw_arg("type = ?", t.clone());
            true
        }
    }
}

/// A count read from SQLite.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// `(group, count)` rows of `head` (a `SELECT key, COUNT(*) FROM …`) under `f`,
/// grouped by the first column.
fn grouped(c: &Connection, f: &Filter, head: &str) -> Result<Vec<(String, u64)>> {
    f.query(c, head, " GROUP BY 1", |r| {
        Ok((r.get::<_, String>(0)?, count(r.get(1)?)))
    })
}

/// `(group, incident type, count)` rows of `head` under `f`.
fn grouped_incidents(
    c: &Connection,
    f: &Filter,
    head: &str,
) -> Result<Vec<(String, IncidentCount)>> {
    f.query(c, head, " GROUP BY 1, 2 ORDER BY 1, 2", |r| {
        Ok((
            r.get::<_, String>(0)?,
            IncidentCount {
                incident_type: r.get(1)?,
                count: count(r.get(2)?),
            },
        ))
    })
}

impl Engine {
    /// Every process definition version the scope may read, by id, with its
    /// running instances and, as `q` asks, its jobs without retries left and
    /// its open incidents by type.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn definition_statistics(
        &self,
        q: StatisticsQuery,
    ) -> Result<Vec<DefinitionStatistics>> {
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            let mut f = Filter::default();
            f.scope(
                &q.scope,
                &[(Resource::ProcessDefinition, perm::READ, "key")],
                Some("tenant_id"),
            );
            let definitions = f.query(
                &tx,
                &format!("SELECT {DEFINITION_COLUMNS} FROM process_definition"),
                " ORDER BY id",
                rows::definition_from,
            )?;

            let mut f = Filter::default();
            tenants_only(&mut f, &q.scope, "tenant_id");
            let instances: BTreeMap<String, u64> = grouped(
                &tx,
                &f,
                "SELECT definition_id, COUNT(*) FROM process_instance",
            )?
            .into_iter()
            .collect();

            let mut failed_jobs = BTreeMap::new();
            if q.failed_jobs {
                let mut f = Filter::default();
                f.raw("retries = 0");
                tenants_only(&mut f, &q.scope, "tenant_id");
                failed_jobs = grouped(&tx, &f, "SELECT definition_id, COUNT(*) FROM job")?
                    .into_iter()
                    .collect();
            }

            let mut incidents: BTreeMap<String, Vec<IncidentCount>> = BTreeMap::new();
            let mut f = Filter::default();
            if incident_type(&mut f, &q.incidents) {
                tenants_only(&mut f, &q.scope, "tenant_id");
                for (definition, n) in grouped_incidents(
                    &tx,
                    &f,
                    "SELECT definition_id, type, COUNT(*) FROM incident",
                )? {
                    incidents.entry(definition).or_default().push(n);
                }
            }

            Ok(definitions
                .into_iter()
                .map(|d| DefinitionStatistics {
                    instances: instances.get(&d.id).copied().unwrap_or(0),
                    failed_jobs: failed_jobs.get(&d.id).copied().unwrap_or(0),
                    incidents: incidents.remove(&d.id).unwrap_or_default(),
                    definition: d,
                })
                .collect())
        })
        .await
    }

    /// The activities of definition `definition_id` where tokens of running
    /// instances wait and, as `q` asks, where jobs have no retries left or
    /// incidents are open, by activity id. A multi-instance activity counts its
    /// inner instances under its own id, as Camunda counts them; its body, like
    /// every other scope, is not counted.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no definition with `definition_id`;
    /// storage errors.
    pub async fn activity_statistics(
        &self,
        definition_id: &str,
        q: StatisticsQuery,
    ) -> Result<Vec<ActivityStatistics>> {
        let id = definition_id.to_owned();
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            let Some((key, tenant)) = tx
                .prepare_cached("SELECT key, tenant_id FROM process_definition WHERE id = ?1")?
                .query_row([&id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
                })
                .optional()?
            else {
                return Err(Error::NotFound(format!(
                    "No matching definition with id {id}"
                )));
            };
            let mut rows: BTreeMap<String, ActivityStatistics> = BTreeMap::new();

            // An instance has its definition's key and tenant, so only `READ` on
            // the instance itself needs a condition per row.
            let mut f = Filter::default();
            f.raw_arg("definition_id = ?", id.clone());
            if let Some(s) = &q.scope {
                if !s.sees_tenant(tenant.as_deref()) {
                    f.raw("0");
                } else if !s.grants.allows(
                    Resource::ProcessDefinition,
                    perm::READ_INSTANCE,
                    Some(&key),
                ) {
                    f.scope(
                        &q.scope,
                        &[(Resource::ProcessInstance, perm::READ, "instance_id")],
                        None,
                    );
                }
            }
            for (activity, n) in grouped(
                &tx,
                &f,
                "SELECT activity_id, SUM(tokens) FROM waiting_token",
            )? {
                entry(&mut rows, activity).instances = n;
            }

            if q.failed_jobs {
                let mut f = Filter::default();
                f.raw_arg("definition_id = ?", id.clone());
                f.raw("retries = 0");
                f.scope(
                    &q.scope,
                    &[
                        (Resource::ProcessInstance, perm::READ, "instance_id"),
                        (
                            Resource::ProcessDefinition,
                            perm::READ_INSTANCE,
                            "definition_key",
                        ),
                    ],
                    Some("tenant_id"),
                );
                for (activity, n) in grouped(&tx, &f, "SELECT activity_id, COUNT(*) FROM job")? {
                    entry(&mut rows, activity).failed_jobs = n;
                }
            }

            let mut f = Filter::default();
            f.raw_arg("definition_id = ?", id.clone());
            if incident_type(&mut f, &q.incidents) {
                f.scope(
                    &q.scope,
                    &[
                        (Resource::ProcessInstance, perm::READ, "instance_id"),
                        (
                            Resource::ProcessDefinition,
                            perm::READ_INSTANCE,
                            INCIDENT_KEY,
                        ),
                    ],
                    Some("tenant_id"),
                );
                for (activity, n) in
                    grouped_incidents(&tx, &f, "SELECT activity_id, type, COUNT(*) FROM incident")?
                {
                    entry(&mut rows, activity).incidents.push(n);
                }
            }
            Ok(rows.into_values().collect())
        })
        .await
    }
}

/// The row of `activity`, made empty if it is not there yet.
fn entry(
    rows: &mut BTreeMap<String, ActivityStatistics>,
    activity: String,
) -> &mut ActivityStatistics {
    rows.entry(activity.clone())
        .or_insert_with(|| ActivityStatistics {
            activity_id: activity,
            instances: 0,
            failed_jobs: 0,
            incidents: Vec::new(),
        })
}
