-- Breaker transitions: reported by services (event logs, histories), derived by the
-- console from consecutive polls, or caused by an action. Kept long (retention is the
-- store issue's); the unique key makes re-reading a service's whole event log after a
-- restart harmless.
CREATE TABLE breaker_transitions (
    id          INTEGER PRIMARY KEY,
    service_id  INTEGER NOT NULL REFERENCES services(id),
    breaker     TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    source      TEXT NOT NULL,   -- poll, stream, action
    reason      TEXT,
    UNIQUE (service_id, breaker, at_ms, to_state)
);
CREATE INDEX breaker_transitions_by_service_time ON breaker_transitions (service_id, at_ms);
