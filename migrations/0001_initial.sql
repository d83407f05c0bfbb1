-- Baton's first schema: deployments, definitions, running instances with their
-- variables and external tasks, incidents, and history.
--
-- Times are INTEGER milliseconds since the Unix epoch (UTC). Ids are TEXT.
-- Later features (event subscriptions, jobs, user tasks) arrive as new files.

CREATE TABLE deployment (
    id          TEXT PRIMARY KEY,
    name        TEXT,
    source      TEXT,
    tenant_id   TEXT,
    deploy_time INTEGER NOT NULL
);

CREATE TABLE resource (
    deployment_id TEXT NOT NULL,
    name          TEXT NOT NULL,
    bytes         BLOB NOT NULL,
    PRIMARY KEY (deployment_id, name)
) WITHOUT ROWID;

CREATE TABLE process_definition (
    id             TEXT PRIMARY KEY,
    key            TEXT NOT NULL,
    version        INTEGER NOT NULL,
    name           TEXT,
    deployment_id  TEXT NOT NULL,
    resource_name  TEXT NOT NULL,
    version_tag    TEXT,
    tenant_id      TEXT,
    history_ttl    INTEGER,
    startable      INTEGER NOT NULL,
    suspended      INTEGER NOT NULL DEFAULT 0,
    -- digest of the process's resource, for duplicate filtering
    digest         TEXT NOT NULL
);
CREATE INDEX process_definition_key ON process_definition (key, version);
CREATE INDEX process_definition_deployment ON process_definition (deployment_id);

-- A running process instance. `state` is its execution tree (JSON, see
-- engine/src/runtime/state.rs); `rev` counts its updates.
CREATE TABLE process_instance (
    id                 TEXT PRIMARY KEY,
    definition_id      TEXT NOT NULL,
    definition_key     TEXT NOT NULL,
    business_key       TEXT,
    super_instance_id  TEXT,
    super_execution_id TEXT,
    root_instance_id   TEXT NOT NULL,
    tenant_id          TEXT,
    suspended          INTEGER NOT NULL DEFAULT 0,
    start_time         INTEGER NOT NULL,
    state              TEXT NOT NULL,
    rev                INTEGER NOT NULL
);
CREATE INDEX process_instance_definition ON process_instance (definition_id);
CREATE INDEX process_instance_business_key ON process_instance (business_key);
CREATE INDEX process_instance_super ON process_instance (super_instance_id);

-- Variables of running instances, per scope execution. `value` holds the
-- value in SQLite's matching storage class; `info` is valueInfo as JSON.
CREATE TABLE variable (
    execution_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    id           TEXT NOT NULL,
    instance_id  TEXT NOT NULL,
    type         TEXT NOT NULL,
    value        ANY,
    info         TEXT,
    PRIMARY KEY (execution_id, name)
) WITHOUT ROWID;
CREATE INDEX variable_instance ON variable (instance_id);

CREATE TABLE external_task (
    id                   TEXT PRIMARY KEY,
    topic                TEXT NOT NULL,
    worker_id            TEXT,
    lock_expiration      INTEGER,
    retries              INTEGER,
    error_message        TEXT,
    error_details        TEXT,
    priority             INTEGER NOT NULL,
    instance_id          TEXT NOT NULL,
    execution_id         TEXT NOT NULL,
    activity_id          TEXT NOT NULL,
    activity_instance_id TEXT NOT NULL,
    definition_id        TEXT NOT NULL,
    definition_key       TEXT NOT NULL,
    version_tag          TEXT,
    business_key         TEXT,
    tenant_id            TEXT,
    suspended            INTEGER NOT NULL DEFAULT 0,
    create_time          INTEGER NOT NULL
);
CREATE INDEX external_task_fetch ON external_task (topic, priority DESC, create_time);
CREATE INDEX external_task_instance ON external_task (instance_id);

CREATE TABLE incident (
    id                   TEXT PRIMARY KEY,
    type                 TEXT NOT NULL,
    message              TEXT,
    create_time          INTEGER NOT NULL,
    instance_id          TEXT NOT NULL,
    execution_id         TEXT NOT NULL,
    activity_id          TEXT NOT NULL,
    definition_id        TEXT NOT NULL,
    configuration        TEXT,
    tenant_id            TEXT
);
CREATE INDEX incident_instance ON incident (instance_id);
CREATE INDEX incident_configuration ON incident (configuration);

CREATE TABLE hi_process_instance (
    id                 TEXT PRIMARY KEY,
    business_key       TEXT,
    definition_id      TEXT NOT NULL,
    definition_key     TEXT NOT NULL,
    definition_version INTEGER NOT NULL,
    definition_name    TEXT,
    start_time         INTEGER NOT NULL,
    end_time           INTEGER,
    start_activity_id  TEXT,
    end_activity_id    TEXT,
    super_instance_id  TEXT,
    root_instance_id   TEXT NOT NULL,
    tenant_id          TEXT,
    state              TEXT NOT NULL,
    delete_reason      TEXT
);
CREATE INDEX hi_process_instance_business_key ON hi_process_instance (business_key);
CREATE INDEX hi_process_instance_definition ON hi_process_instance (definition_key);

CREATE TABLE hi_activity_instance (
    id                   TEXT PRIMARY KEY,
    parent_id            TEXT,
    activity_id          TEXT NOT NULL,
    activity_name        TEXT,
    activity_type        TEXT NOT NULL,
    instance_id          TEXT NOT NULL,
    execution_id         TEXT NOT NULL,
    definition_id        TEXT NOT NULL,
    definition_key       TEXT NOT NULL,
    task_id              TEXT,
    called_instance_id   TEXT,
    start_time           INTEGER NOT NULL,
    end_time             INTEGER,
    canceled             INTEGER NOT NULL DEFAULT 0,
    complete_scope       INTEGER NOT NULL DEFAULT 0,
    seq                  INTEGER NOT NULL,
    tenant_id            TEXT
);
CREATE INDEX hi_activity_instance_instance ON hi_activity_instance (instance_id, seq);

CREATE TABLE hi_variable (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    type                 TEXT NOT NULL,
    value                ANY,
    info                 TEXT,
    instance_id          TEXT NOT NULL,
    execution_id         TEXT NOT NULL,
    activity_instance_id TEXT,
    definition_id        TEXT NOT NULL,
    definition_key       TEXT NOT NULL,
    create_time          INTEGER NOT NULL,
    state                TEXT NOT NULL,
    tenant_id            TEXT
);
CREATE INDEX hi_variable_instance ON hi_variable (instance_id);

-- Every variable write (Camunda's historic detail, type VariableUpdate).
CREATE TABLE hi_variable_update (
    seq                  INTEGER PRIMARY KEY,
    variable_id          TEXT NOT NULL,
    name                 TEXT NOT NULL,
    type                 TEXT NOT NULL,
    value                ANY,
    info                 TEXT,
    instance_id          TEXT NOT NULL,
    execution_id         TEXT NOT NULL,
    time                 INTEGER NOT NULL,
    revision             INTEGER NOT NULL
);
CREATE INDEX hi_variable_update_instance ON hi_variable_update (instance_id);

CREATE TABLE hi_incident (
    id                   TEXT PRIMARY KEY,
    type                 TEXT NOT NULL,
    message              TEXT,
    create_time          INTEGER NOT NULL,
    end_time             INTEGER,
    instance_id          TEXT NOT NULL,
    execution_id         TEXT NOT NULL,
    activity_id          TEXT NOT NULL,
    definition_id        TEXT NOT NULL,
    definition_key       TEXT NOT NULL,
    configuration        TEXT,
    state                TEXT NOT NULL,
    tenant_id            TEXT
);
CREATE INDEX hi_incident_instance ON hi_incident (instance_id);
