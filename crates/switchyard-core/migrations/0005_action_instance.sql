-- Which instance of a service an action went to (a service of several instances gets
-- one row per instance it reached); NULL for a service of one.
ALTER TABLE action_log ADD COLUMN instance TEXT;
