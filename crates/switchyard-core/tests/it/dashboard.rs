//! The dashboard's charts from a real store fed by the real fleet: a queue chart carries
//! its capacity and backpressure lines, and the breaker timeline has a row per breaker.

use std::sync::Arc;

use chrono::Utc;
use serde_json::json;
use switchyard_core::charts::Theme;
use switchyard_core::clock::SystemClock;
use switchyard_core::config::Config;
use switchyard_core::dashboard::{self, Canvas, ChartRequest, RangeRequest, TimelineRequest};
use switchyard_core::engine::EngineHandle;
use switchyard_core::secrets::HeaderSource;
use switchyard_core::store::Store;
use switchyard_fleet::{Fleet, FleetSpec, Profile as SimProfile, ServiceSpec};

use crate::support::{set, wait_for};

const CANVAS: Canvas = Canvas {
    width: 640,
    height: 200,
    theme: Theme::Dark,
    utc_offset_minutes: 60,
};

#[tokio::test]
async fn queue_and_breaker_views_come_from_the_store() {
    let fleet = Fleet::start(FleetSpec {
        services: vec![
            ServiceSpec::quiet(SimProfile::HealthLevels, "events"),
            ServiceSpec::quiet(SimProfile::BreakerRegistry, "registry"),
        ],
    })
    .await
    .unwrap();
    let mut config = Config::parse(&fleet.config_toml("200ms", "150ms")).unwrap();
    config.services[0].headers[0].1 = HeaderSource::Literal(fleet.internal_key().to_string());
    set(
        &fleet,
        "events",
        json!({"queue": {"depth": 900, "capacity": 1000}}),
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("h.db")).await.unwrap();
    let engine = EngineHandle::start(&config, Arc::new(SystemClock), Some(store.start_writer()));
    let mut events = crate::support::events_of(&engine);
    // Three rounds of queue figures: a shaded breach needs at least two points.
    for _ in 0..3 {
        wait_for(&mut events, "events", "queue figures", |s| {
            s.latest
                .as_ref()
                .is_some_and(|o| o.samples.iter().any(|x| x.series == "queue.capacity"))
        })
        .await;
    }
    wait_for(&mut events, "registry", "breakers", |s| {
        s.last_good.is_some()
    })
    .await;
    set(
        &fleet,
        "registry",
        json!({"breakers": {"exchange_api": {"state": "OPEN"}}}),
    )
    .await;
    wait_for(&mut events, "registry", "exchange_api open", |s| {
        s.last_good.as_ref().is_some_and(|o| {
            o.breakers
                .iter()
                .any(|b| b.name == "exchange_api" && b.state.as_str() == "open")
        })
    })
    .await;
    let states = engine.snapshot().await;
    engine.shutdown().await;

    let request = ChartRequest {
        service: "events".into(),
        series: "queue.depth".into(),
        range: RangeRequest {
            minutes: 15,
            until_ms: None,
        },
        canvas: CANVAS,
        per_instance: false,
    };
    let chart = dashboard::series_chart(
        &store,
        Utc::now(),
        states.iter().find(|s| s.name == "events"),
        &request,
        vec![],
    )
    .await
    .unwrap();
    assert!(chart.points >= 1);
    assert_eq!(chart.last_value, Some(900.0));
    assert_eq!(chart.resolution, "raw");
    assert!(chart.svg.contains("capacity 1.0k"), "capacity line");
    assert!(
        chart.svg.contains("backpressure 800"),
        "backpressure line at 80 %"
    );
    assert!(
        chart.svg.contains("<polygon"),
        "the queue over backpressure is shaded"
    );

    let timeline = dashboard::breaker_timeline(
        &store,
        Utc::now(),
        &states,
        &TimelineRequest {
            range: RangeRequest {
                minutes: 15,
                until_ms: None,
            },
            canvas: CANVAS,
            services: None,
        },
    )
    .await
    .unwrap();
    let registry_breakers = states
        .iter()
        .find(|s| s.name == "registry")
        .unwrap()
        .last_good
        .as_ref()
        .unwrap()
        .breakers
        .len();
    assert_eq!(timeline.rows as usize, registry_breakers);
    assert!(timeline.svg.contains("registry / exchange_api"));
    assert!(
        timeline.svg.to_lowercase().contains("#e5534b"),
        "an open band is drawn"
    );

    // Sparklines: every service's, or only those asked for (the tiles on screen).
    let all = dashboard::sparklines(&store, Utc::now(), &states, None, 15, (240, 28))
        .await
        .unwrap();
    let names: Vec<&str> = all.iter().map(|l| l.service.as_str()).collect();
    assert_eq!(names, ["events", "registry"]);
    let asked = ["registry".to_string()];
    let some = dashboard::sparklines(&store, Utc::now(), &states, Some(&asked), 15, (240, 28))
        .await
        .unwrap();
    assert_eq!(some.len(), 1);
    assert_eq!(some[0].service, "registry");
    assert!(some[0].svg.contains("<svg"), "{}", some[0].svg);
    fleet.shutdown().await;
}
