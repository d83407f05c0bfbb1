-- Events and time: what waits for a message or a signal, and the jobs (timers)
-- the job executor runs when they fall due.
--
-- A row with an instance belongs to one execution of it (an intermediate catch
-- event, a receive task, an event-based gateway, an activity with boundary
-- events, a scope with event subprocesses) and goes when that execution ends.
-- A row without one is a start event of a process definition: it starts new
-- instances, and goes when a newer version of the definition is deployed or the
-- definition is deleted.

CREATE TABLE event_subscription (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,      -- 'message' or 'signal'
    name           TEXT NOT NULL,      -- the message or signal name, evaluated
    instance_id    TEXT,               -- NULL for a start event
    execution_id   TEXT,               -- the execution that owns it
    activity_id    TEXT NOT NULL,      -- the catching element
    definition_id  TEXT NOT NULL,
    tenant_id      TEXT,
    create_time    INTEGER NOT NULL
);
CREATE INDEX event_subscription_name ON event_subscription (kind, name);
CREATE INDEX event_subscription_execution ON event_subscription (execution_id);
CREATE INDEX event_subscription_instance ON event_subscription (instance_id);
CREATE INDEX event_subscription_definition ON event_subscription (definition_id);

CREATE TABLE job (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,      -- 'timer'
    due            INTEGER NOT NULL,   -- when it runs, ms since the epoch
    timer_kind     TEXT NOT NULL,      -- 'date', 'duration' or 'cycle'
    timer_text     TEXT NOT NULL,      -- the evaluated timer value
    fired          INTEGER NOT NULL DEFAULT 0, -- how often a cycle fired
    instance_id    TEXT,               -- NULL for a timer start event
    execution_id   TEXT,
    activity_id    TEXT NOT NULL,      -- the timer event
    definition_id  TEXT NOT NULL,
    definition_key TEXT NOT NULL,
    tenant_id      TEXT,
    retries        INTEGER NOT NULL,
    retry_cycle    TEXT,               -- camunda:failedJobRetryTimeCycle
    exception      TEXT,               -- the last failure's message
    incident_id    TEXT,               -- the failedJob incident at 0 retries
    priority       INTEGER NOT NULL DEFAULT 0,
    suspended      INTEGER NOT NULL DEFAULT 0,
    create_time    INTEGER NOT NULL
);
CREATE INDEX job_due ON job (due) WHERE retries > 0 AND suspended = 0;
CREATE INDEX job_execution ON job (execution_id);
CREATE INDEX job_instance ON job (instance_id);
CREATE INDEX job_definition ON job (definition_id);
