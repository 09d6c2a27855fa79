//! The history store's schema and batched writer: migrations from empty and from the
//! previous release, the bounded queue that drops samples but never events, disk-full
//! and read-only failures that are reported and recovered from, and the event tables.

use sqlx::Row;
use switchyard_core::model::{BreakerState, Transition, TransitionSource};
use switchyard_core::store::writer::WriterFault;
use switchyard_core::store::{
    ActionIntent, ActionOutcome, AlertAcknowledgement, AlertEvent, AlertSilence, AlertState, Store,
    StoreHealth, StreamStateChange, TimeRange, WriteProblem, WriterOptions,
};
use switchyard_core::transitions::BreakerBook;

use crate::store_support::*;

async fn table_names(path: &std::path::Path) -> Vec<String> {
    let mut connection = raw_connection(path).await;
    sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .fetch_all(&mut connection)
        .await
        .unwrap()
}

const TABLES_OF_0003: [&str; 7] = [
    "action_log",
    "alert_events",
    "breaker_states",
    "rollup_1h",
    "rollup_1m",
    "rollup_progress",
    "stream_states",
];

#[tokio::test]
async fn migrations_apply_to_an_empty_database() {
    let db = TestDb::new().await;
    db.store.close().await;
    let tables = table_names(&db.path()).await;
    for table in TABLES_OF_0003.iter().chain(&[
        "samples",
        "series",
        "services",
        "health_observations",
        "breaker_transitions",
    ]) {
        assert!(tables.iter().any(|t| t == table), "{table} in {tables:?}");
    }
}

#[tokio::test]
async fn migrations_apply_to_a_database_of_the_previous_release() {
    // The previous release had 0001 and 0002: apply exactly those, write some history.
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("migrations");
    std::fs::create_dir(&old).unwrap();
    for name in ["0001_initial.sql", "0002_breaker_transitions.sql"] {
        std::fs::copy(
            format!("{}/migrations/{name}", env!("CARGO_MANIFEST_DIR")),
            old.join(name),
        )
        .unwrap();
    }
    let path = dir.path().join("history.db");
    {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate::Migrator::new(old.as_path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO services (id, name, profile) VALUES (1, 'orders', 'health-contract')",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO series (id, service_id, name) VALUES (7, 1, 'queue.depth')")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO samples VALUES (7, ?, 41.0), (7, ?, 42.0)")
            .bind(at(0).timestamp_millis())
            .bind(at(1000).timestamp_millis())
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO breaker_transitions (service_id, breaker, at_ms, from_state, to_state, source)
             VALUES (1, 'payments', ?, 'closed', 'open', 'poll')",
        )
        .bind(at(500).timestamp_millis())
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    assert!(!table_names(&path).await.iter().any(|t| t == "rollup_1m"));

    let store = Store::open(&path).await.expect("0003 applies on top");
    let points = store
        .series_points("orders", "queue.depth", at(-1))
        .await
        .unwrap();
    assert_eq!(
        points,
        [
            (at(0).timestamp_millis(), 41.0),
            (at(1000).timestamp_millis(), 42.0)
        ]
    );
    let transitions = store.transitions("orders", at(-1)).await.unwrap();
    assert_eq!(transitions.len(), 1);
    assert_eq!(transitions[0].to_state, "open");
    store.close().await;
    let tables = table_names(&path).await;
    for table in TABLES_OF_0003 {
        assert!(tables.iter().any(|t| t == table), "{table} in {tables:?}");
    }
}

fn transition(breaker: &str, at_ms: i64) -> Transition {
    Transition {
        breaker: breaker.into(),
        from: Some(BreakerState::Closed),
        to: BreakerState::Open,
        at: at(at_ms),
        source: TransitionSource::Poll,
        reason: None,
    }
}

#[tokio::test]
async fn a_full_queue_drops_the_oldest_samples_and_never_a_transition() {
    let db = TestDb::new().await;
    let writer = db.store.start_writer_with(WriterOptions {
        queue_samples: 100,
        batch_samples: 1_000,
        ..WriterOptions::default()
    });
    // Nothing can be written while the database refuses: the queue fills and overflows.
    writer.inject_fault(WriterFault::ReadOnly);
    for round in 0..50i64 {
        let mut o = observation("orders", at(round * 1000), &[]);
        o.samples = (0..10)
            .map(|i| switchyard_core::model::Sample {
                series: format!("s{i}"),
                value: round as f64,
            })
            .collect();
        o.transitions
            .push(transition(&format!("b{round}"), round * 1000));
        writer.record(o);
    }
    let mut health = writer.health();
    let failing = wait_health(&mut health, |h| *h != StoreHealth::Writing).await;
    assert!(
        matches!(
            failing,
            StoreHealth::Failing {
                problem: WriteProblem::ReadOnly,
                ..
            }
        ),
        "{failing:?}"
    );

    writer.inject_fault(WriterFault::Clear);
    writer.flush().await.unwrap();
    assert_eq!(*writer.health().borrow(), StoreHealth::Writing);
    assert_eq!(writer.dropped_samples(), 400, "40 rounds of 10 samples");
    let stats = writer.finish().await;
    assert_eq!(stats.dropped, 40);
    assert_eq!(stats.dropped_samples, 400);
    assert!(stats.failed_batches >= 1);
    assert_eq!(stats.events_lost, 0);

    // The newest ten rounds are there, the older ones are not; every transition is.
    let points = db
        .store
        .series_points("orders", "s3", at(-1))
        .await
        .unwrap();
    let kept: Vec<i64> = points
        .iter()
        .map(|(t, _)| (t - at(0).timestamp_millis()) / 1000)
        .collect();
    assert_eq!(kept, (40..50).collect::<Vec<_>>());
    let transitions = db.store.transitions("orders", at(-1)).await.unwrap();
    assert_eq!(transitions.len(), 50);
    db.store.close().await;
}

#[tokio::test]
async fn a_full_disk_is_reported_and_writing_resumes_without_losing_events() {
    let db = TestDb::new().await;
    let writer = db.store.start_writer();
    writer.record(observation("orders", at(0), &[("warm", 1.0)]));
    writer.flush().await.unwrap();

    writer.inject_fault(WriterFault::DiskFull);
    let series: Vec<String> = (0..50).map(|i| format!("metric.{i}")).collect();
    for round in 1..=400i64 {
        let samples: Vec<(&str, f64)> = series.iter().map(|s| (s.as_str(), round as f64)).collect();
        let mut o = observation("orders", at(round * 1000), &samples);
        if round % 100 == 0 {
            o.transitions.push(transition("payments", round * 1000));
        }
        writer.record(o);
    }
    let mut health = writer.health();
    let failing = wait_health(&mut health, |h| *h != StoreHealth::Writing).await;
    let StoreHealth::Failing { problem, message } = failing else {
        unreachable!()
    };
    assert_eq!(problem, WriteProblem::DiskFull, "{message}");
    assert!(message.contains("full"), "{message}");

    // Space again: the writer notices by itself and writes what it kept.
    writer.inject_fault(WriterFault::Clear);
    wait_health(&mut health, |h| *h == StoreHealth::Writing).await;
    writer.flush().await.unwrap();
    let stats = writer.finish().await;
    assert_eq!(stats.dropped_samples, 0);
    assert_eq!(stats.samples_written, 1 + 400 * 50);
    let points = db
        .store
        .series_points("orders", "metric.49", at(-1))
        .await
        .unwrap();
    assert_eq!(points.len(), 400);
    assert_eq!(
        db.store.transitions("orders", at(-1)).await.unwrap().len(),
        4
    );
    db.store.close().await;
}

#[tokio::test]
async fn alerts_actions_stream_states_and_stream_transitions_are_kept() {
    let db = TestDb::new().await;
    let writer = db.store.start_writer();
    let handle = writer.handle();
    writer.record(observation("orders", at(0), &[]));
    handle.record_alert(AlertEvent {
        rule: "queue-depth".into(),
        service: "orders".into(),
        severity: "critical".into(),
        state: AlertState::Firing,
        value: Some(950.0),
        at: at(1_000),
        subject: None,
        detail: None,
        silenced_until: None,
    });
    handle.acknowledge_alert(AlertAcknowledgement {
        rule: "queue-depth".into(),
        service: "orders".into(),
        subject: None,
        by: "alice".into(),
        at: at(2_000),
        comment: Some("looking".into()),
    });
    handle.silence_alert(AlertSilence {
        rule: "queue-depth".into(),
        service: "orders".into(),
        until: at(3_600_000),
    });
    handle.record_stream_state(StreamStateChange {
        service: "payments".into(),
        stream: "/ws/breakers".into(),
        at: at(1_500),
        state: "stale".into(),
        detail: Some("no message for 30 s".into()),
    });
    handle.record_transitions("orders", "breaker-registry", vec![transition("db", 1_700)]);
    let id = handle
        .action_started(ActionIntent {
            at: at(4_000),
            operator: "alice".into(),
            service: "orders".into(),
            target: Some("db".into()),
            action: "reset_breaker".into(),
            reason: Some("db is back".into()),
            override_checks: false,
            instance: None,
        })
        .await
        .unwrap();
    // The intent is committed before the request would go out.
    let actions = db
        .store
        .actions_between(None, TimeRange::all())
        .await
        .unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].id, id);
    assert_eq!(actions[0].http_status, None);
    handle.action_finished(
        id,
        ActionOutcome {
            at: at(4_300),
            http_status: Some(200),
            message: Some("reset".into()),
            duration_ms: 300.0,
            verified_state: Some("closed".into()),
        },
    );
    let stats = writer.finish().await;
    assert_eq!(stats.events_lost, 0);

    let alerts = db
        .store
        .alerts_between(Some("orders"), TimeRange::all())
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    assert_eq!((alert.state.as_str(), alert.value), ("firing", Some(950.0)));
    assert_eq!(alert.acknowledged_by.as_deref(), Some("alice"));
    assert_eq!(alert.ack_comment.as_deref(), Some("looking"));
    assert_eq!(
        alert.silenced_until_ms,
        Some(at(3_600_000).timestamp_millis())
    );
    let action = &db
        .store
        .actions_between(None, TimeRange::all())
        .await
        .unwrap()[0];
    assert_eq!(action.service, "orders");
    assert_eq!(action.http_status, Some(200));
    assert_eq!(action.verified_state.as_deref(), Some("closed"));
    assert!(!action.override_checks);
    let streams = db
        .store
        .stream_states_between(None, TimeRange::all())
        .await
        .unwrap();
    assert_eq!(streams.len(), 1);
    assert_eq!(
        (streams[0].service.as_str(), streams[0].state.as_str()),
        ("payments", "stale")
    );
    let states = db.store.breaker_states().await.unwrap();
    assert_eq!(states.len(), 1);
    assert_eq!(
        (states[0].breaker.as_str(), states[0].state.as_str()),
        ("db", "open")
    );
    // Ranges are inclusive and exclude what is outside.
    let range = TimeRange {
        from_ms: at(1_001).timestamp_millis(),
        to_ms: at(5_000).timestamp_millis(),
    };
    assert!(db
        .store
        .alerts_between(None, range)
        .await
        .unwrap()
        .is_empty());
    db.store.close().await;
}

#[tokio::test]
async fn a_breaker_first_seen_or_changed_while_away_gets_a_transition() {
    // The engine decides transitions (its breaker book starts from what the history
    // stored); the writer stores them. This follows both through two sessions.
    let db = TestDb::new().await;
    let writer = db.store.start_writer();
    let mut book = BreakerBook::default();
    for second in 0..3 {
        let mut o = observation("orders", at(second * 1000), &[]);
        o.breakers = vec![breaker("db", BreakerState::Closed)];
        let derived = book.poll(&o);
        o.transitions.extend(derived);
        writer.record(o);
    }
    writer.finish().await;
    let transitions = db.store.transitions("orders", at(-1)).await.unwrap();
    assert_eq!(transitions.len(), 1, "{transitions:?}");
    assert_eq!(transitions[0].from_state, None);
    assert_eq!(transitions[0].to_state, "closed");
    assert_eq!(transitions[0].reason.as_deref(), Some("first seen"));

    // Next session: the breaker opened while the console was not running.
    let stored = db.store.breaker_states().await.unwrap();
    let mut book = BreakerBook::from_stored(
        stored
            .into_iter()
            .filter_map(|r| Some((r.service, r.breaker, BreakerState::parse(&r.state)?))),
    );
    let writer = db.store.start_writer();
    let mut o = observation("orders", at(60_000), &[]);
    o.breakers = vec![breaker("db", BreakerState::Open)];
    let derived = book.poll(&o);
    o.transitions.extend(derived);
    writer.record(o);
    writer.finish().await;
    let transitions = db.store.transitions("orders", at(-1)).await.unwrap();
    assert_eq!(transitions.len(), 2);
    assert_eq!(transitions[1].from_state.as_deref(), Some("closed"));
    assert_eq!(transitions[1].to_state, "open");
    assert_eq!(transitions[1].at_ms, at(60_000).timestamp_millis());
    let states = db.store.breaker_states().await.unwrap();
    assert_eq!(states[0].state, "open");
    assert_eq!(states[0].since_ms, at(60_000).timestamp_millis());
    db.store.close().await;
}

#[tokio::test]
async fn batches_are_few_and_every_sample_lands() {
    let db = TestDb::new().await;
    let writer = db.store.start_writer();
    for round in 0..1000i64 {
        let values: Vec<(String, f64)> = (0..20)
            .map(|i| (format!("m{i}"), (round * i) as f64))
            .collect();
        let samples: Vec<(&str, f64)> = values.iter().map(|(s, v)| (s.as_str(), *v)).collect();
        writer.record(observation("orders", at(round * 1000), &samples));
    }
    let stats = writer.finish().await;
    assert_eq!(stats.samples_written, 20_000);
    assert_eq!(stats.observations_written, 1000);
    assert!(stats.batches <= 5, "{stats:?}");
    let points = db
        .store
        .series_points("orders", "m7", at(-1))
        .await
        .unwrap();
    assert_eq!(points.len(), 1000);
    assert_eq!(points[999], (at(999_000).timestamp_millis(), 999.0 * 7.0));
    let mut connection = raw_connection(&db.path()).await;
    let row = sqlx::query("SELECT count(*) AS n FROM health_observations")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(row.get::<i64, _>("n"), 1000);
    db.store.close().await;
}

#[tokio::test]
async fn open_alerts_are_the_episodes_not_yet_resolved_with_their_acknowledgement() {
    let db = TestDb::new().await;
    let writer = db.store.start_writer();
    let event = |rule: &str, subject: &str, state: AlertState, ms: i64| AlertEvent {
        rule: rule.into(),
        service: "orders".into(),
        severity: "high".into(),
        state,
        value: Some(1.0),
        at: at(ms),
        subject: Some(subject.into()),
        detail: None,
        silenced_until: None,
    };
    let ack = |rule: &str, subject: &str, ms: i64| AlertAcknowledgement {
        rule: rule.into(),
        service: "orders".into(),
        subject: Some(subject.into()),
        by: "alice".into(),
        at: at(ms),
        comment: Some("on it".into()),
    };
    // Pending, acknowledged while pending: open, with that acknowledgement.
    writer.record_alert(event("cpu", "system.cpu", AlertState::Pending, 1_000));
    writer.acknowledge_alert(ack("cpu", "system.cpu", 2_000));
    // Fired, acknowledged, resolved, fired again: open, but the old acknowledgement
    // belonged to the episode that ended.
    writer.record_alert(event("breaker", "db", AlertState::Firing, 1_000));
    writer.acknowledge_alert(ack("breaker", "db", 1_500));
    writer.record_alert(event("breaker", "db", AlertState::Resolved, 3_000));
    writer.record_alert(event("breaker", "db", AlertState::Firing, 4_000));
    // Fired and resolved: closed.
    writer.record_alert(event("breaker", "cache", AlertState::Firing, 1_000));
    writer.record_alert(event("breaker", "cache", AlertState::Resolved, 2_000));
    writer.finish().await;

    let open = db.store.open_alerts().await.unwrap();
    let summary: Vec<_> = open
        .iter()
        .map(|o| {
            (
                o.rule.as_str(),
                o.subject.as_str(),
                o.state.as_str(),
                o.since_ms - at(0).timestamp_millis(),
                o.acknowledged_by.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("cpu", "system.cpu", "pending", 1_000, Some("alice")),
            ("breaker", "db", "firing", 4_000, None),
        ]
    );
}

#[tokio::test]
async fn opening_the_history_bounds_all_of_sqlites_memory_in_the_process() {
    let _db = TestDb::new().await;
    // The limit is the process's, so any connection reads it: this one is not the
    // store's, and shares the same bundled SQLite.
    let limit: i64 = rusqlite::Connection::open_in_memory()
        .unwrap()
        .query_row("PRAGMA soft_heap_limit", [], |row| row.get(0))
        .unwrap();
    assert_eq!(limit, switchyard_core::store::SQLITE_MEMORY_LIMIT);
}
