-- A process definition's category: the targetNamespace of the definitions it was
-- deployed from, as Camunda reports it. Definitions deployed before this migration
-- keep NULL (their models are not parsed again).
ALTER TABLE process_definition ADD COLUMN category TEXT;
