-- Alerts as the evaluator knows them (issue 7). Append-only: 0003 is applied
-- everywhere, so this adds to it rather than editing it.

-- An alert is a rule on a service about one subject (a breaker, a dependency, a stream
-- path, or the series for one-per-service rules): two breakers of one service are two
-- alerts, and an acknowledgement must land on the right one. `detail` keeps the state
-- words that made the change (`open`, `degraded, slow`) next to `value`.
ALTER TABLE alert_events ADD COLUMN subject TEXT;
ALTER TABLE alert_events ADD COLUMN detail TEXT;
CREATE INDEX alert_events_by_key ON alert_events (rule, service_id, subject, at_ms);

-- Silences stand on their own: one may cover a rule on every service, or every rule of
-- a service, before any alert exists. `id` is the evaluator's silence number, kept
-- across restarts. A removed silence keeps its row, with who removed it and when.
-- `service` is a name rather than a services.id: a silence may name a service the
-- history has not seen yet.
CREATE TABLE alert_silences (
    id            INTEGER PRIMARY KEY,
    rule          TEXT,
    service       TEXT,
    until_ms      INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    removed_by    TEXT,
    removed_at_ms INTEGER,
    CHECK (rule IS NOT NULL OR service IS NOT NULL)
);
CREATE INDEX alert_silences_by_until ON alert_silences (until_ms);

-- The alert rules as last saved from the UI, as `[[alert]]` TOML (the same text the
-- export writes). The newest row is the rule set in force; older rows are the history
-- of edits.
CREATE TABLE alert_rule_sets (
    id          INTEGER PRIMARY KEY,
    saved_at_ms INTEGER NOT NULL,
    saved_by    TEXT NOT NULL,
    rules_toml  TEXT NOT NULL
);
