//! Crash safety on open: a damaged database is moved aside with a timestamp, a fresh
//! one is created, and the open report says so; a sound one is left alone.

use chrono::TimeZone;
use switchyard_core::store::{ManualClock, Store, TimeRange};

use crate::store_support::*;

fn clock() -> ManualClock {
    ManualClock::new(
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 23, 10, 15, 0)
            .unwrap(),
    )
}

async fn fresh_store_works(store: &Store) {
    let writer = store.start_writer();
    writer.record(observation("orders", at(0), &[("depth", 3.0)]));
    writer.finish().await;
    let id = store.series_id("orders", "depth").await.unwrap().unwrap();
    assert_eq!(
        store.raw_samples(id, TimeRange::all()).await.unwrap().len(),
        1
    );
    assert_eq!(store.integrity_check().await.unwrap(), ["ok"]);
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_moved_aside_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let garbage = vec![0x5a_u8; 64 * 1024];
    std::fs::write(&path, &garbage).unwrap();

    let (store, report) = Store::open_with_report(&path, &clock()).await.unwrap();
    let moved = report.recovered_from.clone().expect("recovered");
    assert_eq!(moved, dir.path().join("history.db.corrupt-20261123T101500"));
    assert_eq!(
        std::fs::read(&moved).unwrap(),
        garbage,
        "the damaged file is kept as it was"
    );
    assert!(report.damage.unwrap().contains("not a database"));
    fresh_store_works(&store).await;
    store.close().await;

    // A second damaged file in the same second does not overwrite the first one. (In a
    // fresh folder: sqlx's close returns before SQLite has checkpointed its WAL, and a
    // WAL holding the whole database makes garbage in the main file harmless.)
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    std::fs::write(
        dir.path().join("history.db.corrupt-20261123T101500"),
        b"earlier",
    )
    .unwrap();
    std::fs::write(&path, &garbage).unwrap();
    let (store, report) = Store::open_with_report(&path, &clock()).await.unwrap();
    assert_eq!(
        report.recovered_from.unwrap(),
        dir.path().join("history.db.corrupt-20261123T101500-1")
    );
    assert_eq!(
        std::fs::read(dir.path().join("history.db.corrupt-20261123T101500")).unwrap(),
        b"earlier"
    );
    store.close().await;
}

#[tokio::test]
async fn a_database_with_damaged_pages_fails_quick_check_and_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    {
        let store = Store::open(&path).await.unwrap();
        let writer = store.start_writer();
        for round in 0..2_000i64 {
            let values: Vec<(String, f64)> = (0..10)
                .map(|i| (format!("m{i}"), (round * i) as f64))
                .collect();
            let refs: Vec<(&str, f64)> = values.iter().map(|(s, v)| (s.as_str(), *v)).collect();
            writer.record(observation("orders", at(round * 1000), &refs));
        }
        writer.finish().await;
        store.close().await; // checkpoints the WAL into the file
    }
    // Scribble over the middle of the file, page-aligned, as a bad disk would.
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    let pages = bytes.len() / page;
    assert!(pages > 20, "{pages} pages");
    let mut rng = fastrand::Rng::with_seed(9);
    for byte in &mut bytes[(pages / 2) * page..(pages / 2 + 4) * page] {
        *byte = rng.u8(..);
    }
    std::fs::write(&path, &bytes).unwrap();

    let (store, report) = Store::open_with_report(&path, &clock()).await.unwrap();
    let moved = report.recovered_from.expect("quick_check caught it");
    assert!(moved
        .to_string_lossy()
        .ends_with("history.db.corrupt-20261123T101500"));
    assert_eq!(std::fs::read(&moved).unwrap(), bytes);
    assert!(report.damage.is_some());
    // The fresh database is empty and works.
    assert!(store.service_names().await.unwrap().is_empty());
    fresh_store_works(&store).await;
    store.close().await;
}

#[tokio::test]
async fn a_sound_database_is_opened_as_it_is() {
    let db = TestDb::new().await;
    fresh_store_works(&db.store).await;
    db.store.close().await;
    let (store, report) = Store::open_with_report(&db.path(), &clock()).await.unwrap();
    assert_eq!(report, Default::default());
    assert_eq!(store.service_names().await.unwrap(), ["orders"]);
    store.close().await;
    let names: Vec<String> = std::fs::read_dir(db.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("corrupt")), "{names:?}");
}
