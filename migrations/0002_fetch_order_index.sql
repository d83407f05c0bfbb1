-- fetchAndLock without usePriority hands out tasks oldest first; this index
-- serves that order without sorting every task of the topic.
CREATE INDEX external_task_fetch_fifo ON external_task (topic, create_time, id);
