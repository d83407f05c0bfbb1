-- Identity, as Camunda 7's database identity service keeps it: users with a
-- password hash, groups, tenants, and who belongs where.

CREATE TABLE id_user (
    id            TEXT PRIMARY KEY,
    first_name    TEXT,
    last_name     TEXT,
    email         TEXT,
    -- the PHC string of an argon2id hash (algorithm, parameters, salt, hash)
    password_hash TEXT
) WITHOUT ROWID;

CREATE TABLE id_group (
    id   TEXT PRIMARY KEY,
    name TEXT,
    type TEXT
) WITHOUT ROWID;

CREATE TABLE id_membership (
    user_id  TEXT NOT NULL,
    group_id TEXT NOT NULL,
    PRIMARY KEY (user_id, group_id)
) WITHOUT ROWID;
CREATE INDEX id_membership_group ON id_membership (group_id, user_id);

CREATE TABLE id_tenant (
    id   TEXT PRIMARY KEY,
    name TEXT
) WITHOUT ROWID;

-- A tenant's members: users (user_id) or groups (group_id), one per row.
CREATE TABLE id_tenant_member (
    tenant_id TEXT NOT NULL,
    user_id   TEXT,
    group_id  TEXT
);
CREATE INDEX id_tenant_member_tenant ON id_tenant_member (tenant_id);
CREATE INDEX id_tenant_member_user ON id_tenant_member (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX id_tenant_member_group ON id_tenant_member (group_id) WHERE group_id IS NOT NULL;
