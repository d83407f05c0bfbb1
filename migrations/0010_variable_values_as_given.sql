-- The `value` columns of variables and their history were declared `ANY`,
-- which in an ordinary SQLite table means NUMERIC affinity: a String variable
-- whose text looks like a number ("007", "1.0") was stored, and read back, as a
-- number ("7", "1"). The three tables are rebuilt with `value BLOB`, whose
-- affinity keeps every value as written. Strings stored as numbers become text
-- again (what the conversion dropped, leading zeros or a ".0", is lost).
--
-- Variable filters go by a variable's name and value: `variable_name_value`
-- (with the type and the instance, so that it answers alone) finds the instances
-- with a matching variable without a probe per row.

CREATE TABLE variable_new (
    execution_id TEXT NOT NULL,
    name         TEXT NOT NULL,
    id           TEXT NOT NULL,
    instance_id  TEXT NOT NULL,
    type         TEXT NOT NULL,
    value        BLOB,
    info         TEXT,
    PRIMARY KEY (execution_id, name)
) WITHOUT ROWID;
INSERT INTO variable_new (execution_id, name, id, instance_id, type, value, info)
SELECT execution_id, name, id, instance_id, type,
    CASE WHEN type = 'String' AND typeof(value) IN ('integer', 'real')
         THEN CAST(value AS TEXT) ELSE value END,
    info
FROM variable;
DROP TABLE variable;
ALTER TABLE variable_new RENAME TO variable;
CREATE INDEX variable_instance ON variable (instance_id);
CREATE INDEX variable_name_value ON variable (name, value, type, instance_id);

CREATE TABLE hi_variable_new (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    type                 TEXT NOT NULL,
    value                BLOB,
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
INSERT INTO hi_variable_new (id, name, type, value, info, instance_id, execution_id,
    activity_instance_id, definition_id, definition_key, create_time, state, tenant_id)
SELECT id, name, type,
    CASE WHEN type = 'String' AND typeof(value) IN ('integer', 'real')
         THEN CAST(value AS TEXT) ELSE value END,
    info, instance_id, execution_id, activity_instance_id, definition_id, definition_key,
    create_time, state, tenant_id
FROM hi_variable;
DROP TABLE hi_variable;
ALTER TABLE hi_variable_new RENAME TO hi_variable;
CREATE INDEX hi_variable_instance ON hi_variable (instance_id);

CREATE TABLE hi_variable_update_new (
    seq                  INTEGER PRIMARY KEY,
    variable_id          TEXT NOT NULL,
    name                 TEXT NOT NULL,
    type                 TEXT NOT NULL,
    value                BLOB,
    info                 TEXT,
    instance_id          TEXT NOT NULL,
    execution_id         TEXT NOT NULL,
    time                 INTEGER NOT NULL,
    revision             INTEGER NOT NULL
);
INSERT INTO hi_variable_update_new (seq, variable_id, name, type, value, info, instance_id,
    execution_id, time, revision)
SELECT seq, variable_id, name, type,
    CASE WHEN type = 'String' AND typeof(value) IN ('integer', 'real')
         THEN CAST(value AS TEXT) ELSE value END,
    info, instance_id, execution_id, time, revision
FROM hi_variable_update;
DROP TABLE hi_variable_update;
ALTER TABLE hi_variable_update_new RENAME TO hi_variable_update;
CREATE INDEX hi_variable_update_instance ON hi_variable_update (instance_id);
CREATE INDEX hi_variable_update_variable ON hi_variable_update (variable_id);
