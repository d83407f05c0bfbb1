-- Camunda Forms: every `.form` resource of a deployment, keyed by the `id` in its
-- JSON and versioned per key and tenant, as Camunda's ACT_RE_CAMFORMDEF. The
-- form's JSON stays in `resource`; deleting a deployment deletes its rows.
CREATE TABLE form_definition (
    id            TEXT PRIMARY KEY,
    key           TEXT NOT NULL,
    version       INTEGER NOT NULL,
    deployment_id TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    tenant_id     TEXT
);

-- The `latest` and `version` bindings, and the next version at deployment.
CREATE INDEX form_definition_key ON form_definition (key, tenant_id, version);

-- The `deployment` binding, and deleting a deployment's forms.
CREATE INDEX form_definition_deployment ON form_definition (deployment_id, key);
