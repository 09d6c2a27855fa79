-- Switchyard's first schema. Migrations are append-only: never edit this file once it
-- has shipped; add 0002_… instead. Times are integer milliseconds since the Unix epoch, UTC.

CREATE TABLE services (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    profile TEXT NOT NULL
);

-- One row per poll round: the console's reachability and the service's own health.
CREATE TABLE health_observations (
    id             INTEGER PRIMARY KEY,
    service_id     INTEGER NOT NULL REFERENCES services(id),
    observed_at_ms INTEGER NOT NULL,
    reachability   TEXT NOT NULL,   -- reachable, timeout, refused, http_error, …
    message        TEXT,            -- why, for every kind but reachable
    http_code      INTEGER,
    latency_ms     REAL,
    status         TEXT,            -- ok, degraded, down, unknown; NULL when unreadable
    detail         TEXT             -- JSON: version, uptime and dependencies
);
CREATE INDEX health_observations_by_service_time
    ON health_observations (service_id, observed_at_ms);

-- A series is one service's named metric (with labels, for mapped metrics).
CREATE TABLE series (
    id         INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL REFERENCES services(id),
    name       TEXT NOT NULL,
    labels     TEXT NOT NULL DEFAULT '',
    UNIQUE (service_id, name, labels)
);

-- Raw samples, keyed by series and time so range queries read one contiguous run.
CREATE TABLE samples (
    series_id INTEGER NOT NULL REFERENCES series(id),
    t_ms      INTEGER NOT NULL,
    value     REAL NOT NULL,
    PRIMARY KEY (series_id, t_ms)
) WITHOUT ROWID;
