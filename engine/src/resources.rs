//! The files of a deployment, as Camunda's `getDeploymentResources` and
//! `getResourceAsStreamById` answer them.
//!
//! Resources are stored by deployment and name (`resource`, migration 0001),
//! without an id of their own. Camunda gives each one an id, which clients put in
//! URLs; Baton derives it from the deployment id and the name (a name-based
//! UUID), so it is the same on every read and across restarts, differs between
//! deployments, and needs no column.

use rusqlite::OptionalExtension;

use crate::Engine;
use crate::error::Result;
use crate::types::DeploymentResource;

/// The id of resource `name` of deployment `deployment_id`.
pub(crate) fn resource_id(deployment_id: &str, name: &str) -> String {
    /// A namespace of Baton's own for these ids.
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5d0c_a1e4_83b6_4c2e_9f17_6a40_b2d8_e31c);
    // The id's length first, so that no other pair gives the same text.
    let text = format!("{}:{deployment_id}{name}", deployment_id.len());
    uuid::Uuid::new_v5(&NAMESPACE, text.as_bytes()).to_string()
}

/// The resources of `deployment_id` on `c`, by name.
fn listed(c: &rusqlite::Connection, deployment_id: &str) -> Result<Vec<DeploymentResource>> {
    let mut stmt =
        c.prepare_cached("SELECT name FROM resource WHERE deployment_id = ?1 ORDER BY name")?;
    let names = stmt.query_map([deployment_id], |r| r.get::<_, String>(0))?;
    names
        .map(|name| {
            let name = name?;
            Ok(DeploymentResource {
                id: resource_id(deployment_id, &name),
                deployment_id: deployment_id.to_owned(),
                name,
            })
        })
        .collect()
}

impl Engine {
    /// The resources of deployment `deployment_id`, by name; none for an
    /// unknown deployment.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn deployment_resources(
        &self,
        deployment_id: &str,
    ) -> Result<Vec<DeploymentResource>> {
        let id = deployment_id.to_owned();
        self.read(move |c| listed(c, &id)).await
    }

    /// Resource `resource_id` of deployment `deployment_id` and its bytes, as
    /// deployed; `None` when the deployment has no such resource.
    ///
    /// # Errors
    ///
    /// Only storage errors.
    pub async fn deployment_resource_data(
        &self,
        deployment_id: &str,
        resource_id: &str,
    ) -> Result<Option<(DeploymentResource, Vec<u8>)>> {
        let id = deployment_id.to_owned();
        let wanted = resource_id.to_owned();
        self.read(move |c| {
            let Some(resource) = listed(c, &id)?.into_iter().find(|r| r.id == wanted) else {
                return Ok(None);
            };
            let bytes: Option<Vec<u8>> = c
                .prepare_cached(
                    "SELECT bytes FROM resource WHERE deployment_id = ?1 AND name = ?2",
                )?
                .query_row([&id, &resource.name], |r| r.get(0))
                .optional()?;
            Ok(bytes.map(|b| (resource, b)))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_differ_by_deployment_and_name() {
        let a = resource_id("d1", "a.bpmn");
        assert_eq!(a, resource_id("d1", "a.bpmn"));
        assert_ne!(a, resource_id("d2", "a.bpmn"));
        assert_ne!(a, resource_id("d1", "b.bpmn"));
        assert_ne!(resource_id("d", "1a"), resource_id("d1", "a"));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }
}
