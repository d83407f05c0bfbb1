-- Authorizations, as Camunda 7 keeps them: who (a user, a group, or everyone)
-- may or may not do what (a bit set of permissions) to which resource (a type,
-- and an id or '*' for all of that type).

CREATE TABLE id_authorization (
    id            TEXT PRIMARY KEY,
    -- 0 global (everyone, user_id '*'), 1 grant, 2 revoke
    type          INTEGER NOT NULL,
    user_id       TEXT,
    group_id      TEXT,
    -- Camunda's resource type number (0 application, 6 process definition, …)
    resource_type INTEGER NOT NULL,
    resource_id   TEXT NOT NULL,
    -- granted bits for types 0 and 1; for type 2 the revoked bits are the clear ones
    perms         INTEGER NOT NULL,
    rev           INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE INDEX id_authorization_user ON id_authorization (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX id_authorization_group ON id_authorization (group_id) WHERE group_id IS NOT NULL;
