//! One service's part of the snapshot: its series charted with the window's events
//! marked, its breakers' state intervals, its last observation, and the worst it was
//! seen (health, reachability, breaker, alert severity) for the summary.

use super::charts::{series_chart, thresholds};
use super::{
    queries, time, BreakerHistory, DependencyDetail, EventKind, LastObservation, SeriesValue,
    ServiceSnapshot, SnapshotError, StateInterval, TimelineEvent, WorstState,
};
use crate::alerts::Rule;
use crate::charts::{Marker, MarkerKind};
use crate::model::{instance_of_series, natural_cmp, Dependency, Health};
use crate::profiles::words::breaker_state;
use crate::store::{Store, StoreError, TimeRange};

/// At most this many series are charted per service; the rest are named in
/// `omitted_series` so the reader knows they exist.
const MAX_CHARTS_PER_SERVICE: usize = 24;

/// One service's part of the snapshot, and the worst it was seen.
pub(super) async fn service_snapshot(
    store: &Store,
    name: &str,
    tags: &[String],
    range: TimeRange,
    timeline: &[TimelineEvent],
    rules: &[Rule],
) -> Result<(ServiceSnapshot, WorstState), SnapshotError> {
    let mine: Vec<&TimelineEvent> = timeline
        .iter()
        .filter(|e| e.service.as_deref() == Some(name))
        .collect();
    let markers: Vec<Marker> = mine
        .iter()
        .filter_map(|e| {
            let kind = match e.kind {
                EventKind::Transition => MarkerKind::Transition,
                EventKind::Alert => MarkerKind::Alert,
                EventKind::Action => MarkerKind::Action,
                _ => return None,
            };
            let label = match e.kind {
                EventKind::Transition => format!(
                    "{} → {}",
                    e.subject.as_deref().unwrap_or_default(),
                    e.state.as_deref().unwrap_or_default()
                ),
                _ => format!(
                    "{} {}",
                    e.subject.as_deref().unwrap_or_default(),
                    e.state.as_deref().unwrap_or_default()
                ),
            };
            Some(Marker {
                at_ms: e.at.timestamp_millis(),
                kind,
                label,
            })
        })
        .collect();

    let series_names = store.series_names(name).await?;
    let mut charts = Vec::new();
    let mut omitted = Vec::new();
    let mut values = Vec::new();
    let mut instances: Vec<String> = Vec::new();
    let capacity = last_value(store, name, "queue.capacity", range).await?;
    for series in &series_names {
        let Some(series_id) = store.series_id(name, series).await? else {
            continue;
        };
        if let Some((t_ms, value)) = queries::last_sample(store, series_id, range).await? {
            if let Some(instance) = instance_of_series(series) {
                if !instances.iter().any(|known| known == instance) {
                    instances.push(instance.to_string());
                }
            }
            if value.is_finite() {
                values.push(SeriesValue {
                    series: series.clone(),
                    value,
                    at: time(t_ms),
                });
            }
        }
        if charts.len() >= MAX_CHARTS_PER_SERVICE {
            omitted.push(series.clone());
            continue;
        }
        let thresholds = thresholds(rules, name, tags, series, capacity.map(|(_, v)| v));
        if let Some(chart) =
            series_chart(store, series_id, series, range, &markers, thresholds).await?
        {
            charts.push(chart);
        }
    }

    let intervals = store.breaker_intervals(name, range).await?;
    // By breaker in natural order, then time, as the store gives them.
    let mut breakers: Vec<BreakerHistory> = Vec::new();
    for i in intervals {
        let interval = StateInterval {
            state: i.state,
            from: time(i.start_ms),
            until: time(i.end_ms),
        };
        match breakers.last_mut() {
            Some(last) if last.name == i.breaker => last.intervals.push(interval),
            _ => breakers.push(BreakerHistory {
                name: i.breaker,
                intervals: vec![interval],
            }),
        }
    }

    let last_observation = queries::last_health(store, name, range).await?.map(|h| {
        let health = h
            .detail
            .as_deref()
            .and_then(|d| serde_json::from_str::<Health>(d).ok());
        LastObservation {
            observed_at: time(h.observed_at_ms),
            reachability: h.reachability,
            status: h.status,
            latency_ms: h.latency_ms.filter(|v| v.is_finite()),
            message: h.message,
            version: health.as_ref().and_then(|h| h.version.clone()),
            dependencies: health
                .map(|h| h.dependencies.into_iter().map(dependency_detail).collect())
                .unwrap_or_default(),
            values,
        }
    });

    let health = queries::health_counts(store, name, range).await?;
    let rounds: i64 = health.iter().map(|(_, _, n)| *n).sum();
    let unreachable: i64 = health
        .iter()
        .filter(|(r, _, _)| r != "reachable")
        .map(|(_, _, n)| *n)
        .sum();
    let worst_health = health
        .iter()
        .filter_map(|(_, status, _)| status.as_deref())
        .max_by_key(|s| health_rank(s))
        .map(str::to_string);
    let worst_breaker = breakers
        .iter()
        .flat_map(|b| {
            b.intervals
                .iter()
                .map(move |i| (b.name.as_str(), i.state.as_str()))
        })
        .max_by_key(|(_, state)| breaker_rank(state));
    let alert_severity = mine
        .iter()
        .filter(|e| e.kind == EventKind::Alert && e.state.as_deref() == Some("firing"))
        .filter_map(|e| e.severity.as_deref())
        .max_by_key(|s| severity_rank(s))
        .map(str::to_string);
    let worst = WorstState {
        service: name.to_string(),
        health: worst_health,
        unreachable_rounds: u32::try_from(unreachable).unwrap_or(u32::MAX),
        rounds: u32::try_from(rounds).unwrap_or(u32::MAX),
        breaker: worst_breaker.map(|(_, s)| s.to_string()),
        breaker_name: worst_breaker.map(|(b, _)| b.to_string()),
        alert_severity,
    };
    Ok((
        ServiceSnapshot {
            name: name.to_string(),
            charts,
            omitted_series: omitted,
            breakers,
            last_observation,
            instances: {
                instances.sort_by(|a, b| natural_cmp(a, b));
                instances
            },
        },
        worst,
    ))
}

async fn last_value(
    store: &Store,
    service: &str,
    series: &str,
    range: TimeRange,
) -> Result<Option<(i64, f64)>, StoreError> {
    match store.series_id(service, series).await? {
        Some(id) => queries::last_sample(store, id, range).await,
        None => Ok(None),
    }
}

fn dependency_detail(d: Dependency) -> DependencyDetail {
    DependencyDetail {
        name: d.name,
        status: d.status.as_str().to_string(),
        latency_ms: d.latency_ms.filter(|v| v.is_finite()),
        slow: d.slow,
        error: d.error,
    }
}

fn health_rank(status: &str) -> u8 {
    match status {
        "down" => 3,
        "degraded" => 2,
        "unknown" => 1,
        _ => 0,
    }
}

fn breaker_rank(state: &str) -> u8 {
    use crate::model::BreakerState as B;
    match breaker_state(state) {
        B::Open | B::ForcedOpen => 4,
        B::HalfOpen => 3,
        B::Disabled | B::MetricsOnly => 2,
        B::Unknown => 1,
        B::Closed => 0,
    }
}

fn severity_rank(severity: &str) -> u8 {
    match severity {
        "critical" => 4,
        "high" => 3,
        "warning" => 2,
        "info" => 1,
        _ => 0,
    }
}
