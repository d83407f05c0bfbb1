-- User tasks: the open tasks of running instances, their candidate users and
-- groups, comments, and their history (tasks and identity-link changes).
--
-- A task belongs to the execution that waits for it (`execution_id`); its local
-- variables are that execution's. Times are INTEGER milliseconds (UTC).

CREATE TABLE task (
    id                   TEXT PRIMARY KEY,
    name                 TEXT,
    description          TEXT,
    assignee             TEXT,
    owner                TEXT,
    -- NULL, 'PENDING' or 'RESOLVED'
    delegation_state     TEXT,
    priority             INTEGER NOT NULL,
    create_time          INTEGER NOT NULL,
    last_updated         INTEGER,
    due_date             INTEGER,
    follow_up_date       INTEGER,
    instance_id          TEXT NOT NULL,
    execution_id         TEXT NOT NULL,
    activity_instance_id TEXT NOT NULL,
    task_definition_key  TEXT NOT NULL,
    definition_id        TEXT NOT NULL,
    definition_key       TEXT NOT NULL,
    business_key         TEXT,
    tenant_id            TEXT,
    suspended            INTEGER NOT NULL DEFAULT 0,
    form_key             TEXT,
    -- camunda:formRef: the form's key, binding ('latest', 'deployment',
    -- 'version') and version
    form_ref_key         TEXT,
    form_ref_binding     TEXT,
    form_ref_version     INTEGER,
    parent_task_id       TEXT
) WITHOUT ROWID;
-- The task list's orders and its commonest filters: newest first, by assignee.
CREATE INDEX task_created ON task (create_time);
CREATE INDEX task_assignee ON task (assignee, create_time) WHERE assignee IS NOT NULL;
-- By instance, with the creation time: a variable filter finds a page of its
-- instances' tasks newest first from this index alone.
CREATE INDEX task_instance ON task (instance_id, create_time);

-- Candidate users and groups of open tasks (Camunda's identity links of type
-- 'candidate'; the assignee and owner are the task's own columns).
CREATE TABLE task_candidate (
    task_id  TEXT NOT NULL,
    -- exactly one of user_id and group_id is set
    user_id  TEXT,
    group_id TEXT
);
CREATE INDEX task_candidate_task ON task_candidate (task_id);
CREATE INDEX task_candidate_user ON task_candidate (user_id, task_id) WHERE user_id IS NOT NULL;
CREATE INDEX task_candidate_group ON task_candidate (group_id, task_id) WHERE group_id IS NOT NULL;

CREATE TABLE task_comment (
    id          TEXT PRIMARY KEY,
    task_id     TEXT,
    instance_id TEXT,
    user_id     TEXT,
    time        INTEGER NOT NULL,
    message     TEXT NOT NULL,
    root_instance_id TEXT
);
CREATE INDEX task_comment_task ON task_comment (task_id);

-- Every task, open or ended, with how it ended.
CREATE TABLE hi_task (
    id                   TEXT PRIMARY KEY,
    name                 TEXT,
    description          TEXT,
    assignee             TEXT,
    owner                TEXT,
    priority             INTEGER NOT NULL,
    due_date             INTEGER,
    follow_up_date       INTEGER,
    start_time           INTEGER NOT NULL,
    end_time             INTEGER,
    -- 'completed', 'deleted' or a reason given
    delete_reason        TEXT,
    instance_id          TEXT NOT NULL,
    execution_id         TEXT NOT NULL,
    activity_instance_id TEXT NOT NULL,
    task_definition_key  TEXT NOT NULL,
    definition_id        TEXT NOT NULL,
    definition_key       TEXT NOT NULL,
    root_instance_id     TEXT NOT NULL,
    tenant_id            TEXT,
    parent_task_id       TEXT,
    -- 'Created', 'Updated', 'Completed', 'Deleted'
    state                TEXT NOT NULL
);
CREATE INDEX hi_task_instance ON hi_task (instance_id);
CREATE INDEX hi_task_assignee ON hi_task (assignee) WHERE assignee IS NOT NULL;

-- Every change of a task's assignee, owner, candidate users and groups.
CREATE TABLE hi_identity_link (
    id               TEXT PRIMARY KEY,
    time             INTEGER NOT NULL,
    -- 'assignee', 'owner' or 'candidate'
    type             TEXT NOT NULL,
    user_id          TEXT,
    group_id         TEXT,
    task_id          TEXT NOT NULL,
    definition_id    TEXT,
    definition_key   TEXT,
    -- 'add' or 'delete'
    operation        TEXT NOT NULL,
    assigner_id      TEXT,
    instance_id      TEXT,
    root_instance_id TEXT,
    tenant_id        TEXT
);
CREATE INDEX hi_identity_link_task ON hi_identity_link (task_id);
