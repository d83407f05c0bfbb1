-- The running-instance and external-task tables keyed by their ids alone
-- (WITHOUT ROWID: one b-tree instead of a table plus its primary-key index), and
-- the indexes on mostly-NULL columns over the rows that have a value only (a
-- query `column = ?` still uses them). Every instance inserts and deletes one
-- row of each table, so each b-tree left out is work saved twice per instance.

CREATE TABLE process_instance_new (
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
) WITHOUT ROWID;
INSERT INTO process_instance_new (id, definition_id, definition_key, business_key,
    super_instance_id, super_execution_id, root_instance_id, tenant_id, suspended,
    start_time, state, rev)
SELECT id, definition_id, definition_key, business_key, super_instance_id,
    super_execution_id, root_instance_id, tenant_id, suspended, start_time, state, rev
FROM process_instance;
DROP TABLE process_instance;
ALTER TABLE process_instance_new RENAME TO process_instance;
CREATE INDEX process_instance_definition ON process_instance (definition_id);
CREATE INDEX process_instance_business_key ON process_instance (business_key)
    WHERE business_key IS NOT NULL;
CREATE INDEX process_instance_super ON process_instance (super_instance_id)
    WHERE super_instance_id IS NOT NULL;

CREATE TABLE external_task_new (
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
) WITHOUT ROWID;
INSERT INTO external_task_new (id, topic, worker_id, lock_expiration, retries,
    error_message, error_details, priority, instance_id, execution_id, activity_id,
    activity_instance_id, definition_id, definition_key, version_tag, business_key,
    tenant_id, suspended, create_time)
SELECT id, topic, worker_id, lock_expiration, retries, error_message, error_details,
    priority, instance_id, execution_id, activity_id, activity_instance_id,
    definition_id, definition_key, version_tag, business_key, tenant_id, suspended,
    create_time
FROM external_task;
DROP TABLE external_task;
ALTER TABLE external_task_new RENAME TO external_task;
-- With the id as the key, every index ends in it: this one serves fetchAndLock's
-- ORDER BY priority DESC, create_time, id without a sort.
CREATE INDEX external_task_fetch ON external_task (topic, priority DESC, create_time);
CREATE INDEX external_task_instance ON external_task (instance_id);
CREATE INDEX external_task_fetch_fifo ON external_task (topic, create_time);

DROP INDEX hi_process_instance_business_key;
CREATE INDEX hi_process_instance_business_key ON hi_process_instance (business_key)
    WHERE business_key IS NOT NULL;
