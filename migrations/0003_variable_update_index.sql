-- Each variable write numbers its revision by counting the earlier writes of
-- the same variable; without this index that count scans the whole table, so
-- every write got slower as history grew.
CREATE INDEX hi_variable_update_variable ON hi_variable_update (variable_id);
