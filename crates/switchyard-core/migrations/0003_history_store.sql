-- The history store proper: current breaker states, stream state changes, alert events,
-- the action audit log, and the 1-minute and 1-hour roll-ups that let a month or a year
-- of history load at once. Append-only like every migration: add 0004_… to change this.
-- Times are integer milliseconds since the Unix epoch, UTC.

-- The state each breaker was last seen in, and since when (by the console's clock, or
-- the service's when it reported the transition). One row per breaker, rewritten only
-- when the state changes, so a poll round costs nothing here. The timeline of a breaker
-- comes from breaker_transitions; this table answers "what was it when we stopped".
CREATE TABLE breaker_states (
    service_id INTEGER NOT NULL REFERENCES services(id),
    breaker    TEXT NOT NULL,
    state      TEXT NOT NULL,
    since_ms   INTEGER NOT NULL,
    PRIMARY KEY (service_id, breaker)
) WITHOUT ROWID;

-- Retention and timeline queries that span every service read transitions by time.
CREATE INDEX breaker_transitions_by_time ON breaker_transitions (at_ms);

-- A stream session's changes of state (connecting, connected, stale, disconnected, …).
CREATE TABLE stream_states (
    id         INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL REFERENCES services(id),
    stream     TEXT NOT NULL,
    at_ms      INTEGER NOT NULL,
    state      TEXT NOT NULL,
    detail     TEXT
);
CREATE INDEX stream_states_by_service_time ON stream_states (service_id, at_ms);
CREATE INDEX stream_states_by_time ON stream_states (at_ms);

-- One row per change of an alert's state. Acknowledgement and silence are written onto
-- the row they concern (the latest of that rule and service).
CREATE TABLE alert_events (
    id                 INTEGER PRIMARY KEY,
    rule               TEXT NOT NULL,
    service_id         INTEGER NOT NULL REFERENCES services(id),
    severity           TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
    value              REAL,
    at_ms              INTEGER NOT NULL,
    acknowledged_by    TEXT,
    acknowledged_at_ms INTEGER,
    ack_comment        TEXT,
    silenced_until_ms  INTEGER
);
CREATE INDEX alert_events_by_time ON alert_events (at_ms);
CREATE INDEX alert_events_by_service_time ON alert_events (service_id, at_ms);
CREATE INDEX alert_events_by_rule ON alert_events (rule, service_id, at_ms);

-- The audit log of actions. The intent row is written (and committed) before the
-- request goes out; the outcome columns are filled in when it is known, so an action
-- whose outcome is NULL was attempted and never finished (the console stopped).
CREATE TABLE action_log (
    id             INTEGER PRIMARY KEY,
    at_ms          INTEGER NOT NULL,
    operator       TEXT NOT NULL,
    service_id     INTEGER NOT NULL REFERENCES services(id),
    target         TEXT,            -- breaker name, cache name or pattern; NULL for the service
    action         TEXT NOT NULL,   -- reset_breaker, clear_cache, …
    reason         TEXT,
    override       INTEGER NOT NULL DEFAULT 0,  -- 1 when a safety check was overridden
    outcome_at_ms  INTEGER,
    http_status    INTEGER,
    message        TEXT,
    duration_ms    REAL,
    verified_state TEXT             -- what the re-poll showed afterwards
);
CREATE INDEX action_log_by_time ON action_log (at_ms);
CREATE INDEX action_log_by_service_time ON action_log (service_id, at_ms);

-- Roll-ups: one row per series and bucket (bucket_ms is the bucket's start). The mean
-- is sum / count; sums and counts add up when buckets are merged.
CREATE TABLE rollup_1m (
    series_id INTEGER NOT NULL,
    bucket_ms INTEGER NOT NULL,
    min       REAL NOT NULL,
    max       REAL NOT NULL,
    sum       REAL NOT NULL,
    last      REAL NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (series_id, bucket_ms)
) WITHOUT ROWID;

CREATE TABLE rollup_1h (
    series_id INTEGER NOT NULL,
    bucket_ms INTEGER NOT NULL,
    min       REAL NOT NULL,
    max       REAL NOT NULL,
    sum       REAL NOT NULL,
    last      REAL NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (series_id, bucket_ms)
) WITHOUT ROWID;

-- How far each roll-up has got: every source row older than done_until_ms is in it.
-- Pruning never removes source rows the next roll-up has not read yet.
CREATE TABLE rollup_progress (
    resolution    TEXT PRIMARY KEY,   -- '1m' (from samples), '1h' (from rollup_1m)
    done_until_ms INTEGER NOT NULL
) WITHOUT ROWID;
