//! Range queries for charts: the finest resolution that covers the range, at most N
//! points. Raw samples are downsampled with LTTB (keeping the extremes); roll-ups are
//! merged into groups whose points carry the group's mean, minimum and maximum, so a
//! chart can draw the band and no spike is lost.

use std::collections::BTreeMap;

use serde::Serialize;

use super::lttb;
use super::queries::TimeRange;
use super::rollup::{self, Rollup};
use super::{Store, StoreError};
use crate::model::natural_cmp;

/// Where the points came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Raw,
    Minute,
    Hour,
}

/// One point of a chart. For raw data `min == max == value`; for roll-ups `value` is the
/// mean of the group and `min`/`max` its extremes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RangePoint {
    pub t_ms: i64,
    pub value: f64,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RangeResult {
    pub resolution: Resolution,
    /// For roll-ups, the width of each point's group (a multiple of the resolution).
    pub group_ms: Option<i64>,
    pub points: Vec<RangePoint>,
}

impl RangeResult {
    /// (time, value) of each point with a value: the line a chart draws.
    pub fn line(&self) -> Vec<(i64, f64)> {
        self.points
            .iter()
            .filter(|p| p.value.is_finite())
            .map(|p| (p.t_ms, p.value))
            .collect()
    }

    /// (time, min, max) of each point when the points are roll-up groups: the band a
    /// chart draws around the mean. Empty for raw samples, whose points have no spread.
    pub fn envelope(&self) -> Vec<(i64, f64, f64)> {
        if self.resolution == Resolution::Raw {
            return Vec::new();
        }
        self.points
            .iter()
            .filter(|p| p.min.is_finite() && p.max.is_finite())
            .map(|p| (p.t_ms, p.min, p.max))
            .collect()
    }
}

/// Accumulates one group across the tables it spans.
#[derive(Clone, Copy)]
struct Group {
    min: f64,
    max: f64,
    sum: f64,
    count: i64,
}

impl Group {
    fn add(&mut self, min: f64, max: f64, sum: f64, count: i64) {
        self.min = self.min.min(min);
        self.max = self.max.max(max);
        self.sum += sum;
        self.count += count;
    }
}

impl Store {
    /// The points of one service's series in `range`, at most `max_points` of them;
    /// `None` if the series was never written.
    pub async fn range(
        &self,
        service: &str,
        series: &str,
        range: TimeRange,
        max_points: usize,
    ) -> Result<Option<RangeResult>, StoreError> {
        match self.series_id(service, series).await? {
            Some(id) => Ok(Some(self.range_of(id, range, max_points).await?)),
            None => Ok(None),
        }
    }

    /// [`Store::range`] by series id.
    pub async fn range_of(
        &self,
        series_id: i64,
        range: TimeRange,
        max_points: usize,
    ) -> Result<RangeResult, StoreError> {
        let resolution = self.resolution_for(series_id, range.from_ms).await?;
        match resolution {
            Resolution::Raw => {
                let raw = self.raw_samples(series_id, range).await?;
                let points = lttb::downsample(&raw, max_points)
                    .into_iter()
                    .map(|(t_ms, value)| RangePoint {
                        t_ms,
                        value,
                        min: value,
                        max: value,
                    })
                    .collect();
                Ok(RangeResult {
                    resolution,
                    group_ms: None,
                    points,
                })
            }
            Resolution::Minute => {
                self.grouped(series_id, range, max_points, Rollup::Minute)
                    .await
            }
            Resolution::Hour => {
                self.grouped(series_id, range, max_points, Rollup::Hour)
                    .await
            }
        }
    }

    /// The finest resolution whose data reaches back to `from`, or, when none does (a
    /// series younger than the range), that holds the oldest data there is.
    async fn resolution_for(&self, series_id: i64, from_ms: i64) -> Result<Resolution, StoreError> {
        let mut starts = Vec::with_capacity(3);
        for (resolution, width_ms, sql) in [
            (
                Resolution::Raw,
                1,
                "SELECT t_ms FROM samples WHERE series_id = ? ORDER BY t_ms LIMIT 1",
            ),
            (
                Resolution::Minute,
                Rollup::Minute.width_ms(),
                "SELECT bucket_ms FROM rollup_1m WHERE series_id = ? ORDER BY bucket_ms LIMIT 1",
            ),
            (
                Resolution::Hour,
                Rollup::Hour.width_ms(),
                "SELECT bucket_ms FROM rollup_1h WHERE series_id = ? ORDER BY bucket_ms LIMIT 1",
            ),
        ] {
            let start: Option<i64> = sqlx::query_scalar(sql)
                .bind(series_id)
                .fetch_optional(self.pool())
                .await?;
            if let Some(start) = start {
                starts.push((resolution, start, width_ms));
            }
        }
        Ok(finest_covering(&starts, from_ms))
    }

    /// Roll-up groups of `[from, to]`: the roll-up table where it is complete, the finer
    /// tables (and raw samples) for the recent part it has not reached yet.
    async fn grouped(
        &self,
        series_id: i64,
        range: TimeRange,
        max_points: usize,
        rollup: Rollup,
    ) -> Result<RangeResult, StoreError> {
        let resolution_ms = rollup.width_ms();
        let origin = range.from_ms.div_euclid(resolution_ms) * resolution_ms;
        let span = range.to_ms.saturating_sub(origin).saturating_add(1).max(1);
        let per_group = ceil_div(span, i64::try_from(max_points.max(1)).unwrap_or(i64::MAX));
        let group_ms = ceil_div(per_group, resolution_ms).max(1) * resolution_ms;

        let done_1m = rollup::progress(self.pool(), Rollup::Minute)
            .await?
            .unwrap_or(i64::MIN);
        let done_1h = rollup::progress(self.pool(), Rollup::Hour)
            .await?
            .unwrap_or(i64::MIN);
        // Three stretches, oldest first and not overlapping: hour buckets where the
        // hourly roll-up is complete, minute buckets after that, raw samples for the
        // recent part no roll-up has reached. Read at once, each on its own thread.
        let minute_from = if rollup == Rollup::Hour {
            range.from_ms.max(done_1h)
        } else {
            range.from_ms
        };
        let raw_from = range.from_ms.max(done_1m);
        let end = range.to_ms.saturating_add(1);
        let reader = self.reader();
        let (hours, minutes, raw) = tokio::try_join!(
            async {
                match rollup {
                    Rollup::Hour if range.from_ms < done_1h.min(end) => {
                        reader
                            .buckets("rollup_1h", series_id, range.from_ms, done_1h.min(end))
                            .await
                    }
                    _ => Ok(Vec::new()),
                }
            },
            async {
                if minute_from < done_1m.min(end) {
                    reader
                        .buckets("rollup_1m", series_id, minute_from, done_1m.min(end))
                        .await
                } else {
                    Ok(Vec::new())
                }
            },
            async {
                if raw_from < end {
                    reader.samples(series_id, raw_from, range.to_ms).await
                } else {
                    Ok(Vec::new())
                }
            },
        )?;
        let raw = raw.into_iter().map(|(t, v)| (t, v, v, v, 1));
        let mut groups: Vec<(i64, Group)> = Vec::new();
        for (t_ms, min, max, sum, count) in hours.into_iter().chain(minutes).chain(raw) {
            let g = (t_ms - origin).div_euclid(group_ms);
            match groups.last_mut() {
                Some((last, group)) if *last == g => group.add(min, max, sum, count),
                _ => groups.push((
                    g,
                    Group {
                        min,
                        max,
                        sum,
                        count,
                    },
                )),
            }
        }
        let points = groups
            .into_iter()
            .filter(|(_, g)| g.count > 0)
            .map(|(g, group)| RangePoint {
                t_ms: origin + g * group_ms,
                value: group.sum / group.count as f64,
                min: group.min,
                max: group.max,
            })
            .collect();
        Ok(RangeResult {
            resolution: match rollup {
                Rollup::Minute => Resolution::Minute,
                Rollup::Hour => Resolution::Hour,
            },
            group_ms: Some(group_ms),
            points,
        })
    }
}

/// Of `(resolution, first bucket or sample, bucket width)` finest first, the finest that
/// reaches back to `from_ms`, or, for a range that begins before the data, the finest
/// that holds the oldest data. A roll-up's first bucket starts at the minute (or hour)
/// the data began in, so "reaches back to the oldest data" cannot compare starts: the
/// oldest datum lies before the end of every table's first bucket, and a table whose
/// start is before the earliest such end holds it (raw samples 7 s into the first
/// minute hold all that minute's roll-up holds).
fn finest_covering(starts: &[(Resolution, i64, i64)], from_ms: i64) -> Resolution {
    let Some(oldest_before) = starts
        .iter()
        .map(|(_, start, width)| start.saturating_add(*width))
        .min()
    else {
        return Resolution::Raw;
    };
    let target = from_ms.max(oldest_before - 1);
    starts
        .iter()
        .find(|(_, start, _)| *start <= target)
        .map_or(Resolution::Raw, |(r, _, _)| *r)
}

/// `a / b` rounded up, for positive `a` and `b`.
fn ceil_div(a: i64, b: i64) -> i64 {
    a / b + i64::from(a % b != 0)
}

/// A breaker's state over a stretch of time, for the state timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakerInterval {
    pub breaker: String,
    pub state: String,
    pub start_ms: i64,
    /// The next transition, or the end of the queried range.
    pub end_ms: i64,
}

impl Store {
    /// Each breaker's states over `range`, clipped to it, by breaker then time. The
    /// state at the start comes from the last transition before it (or, when that was
    /// pruned, from the `from` of the first transition in the range).
    pub async fn breaker_intervals(
        &self,
        service: &str,
        range: TimeRange,
    ) -> Result<Vec<BreakerInterval>, StoreError> {
        // SQLite gives the bare columns of the row holding max(at_ms).
        let before: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT t.breaker, t.to_state, max(t.at_ms)
               FROM breaker_transitions t JOIN services s ON s.id = t.service_id
              WHERE s.name = ? AND t.at_ms < ?
              GROUP BY t.breaker",
        )
        .bind(service)
        .bind(range.from_ms)
        .fetch_all(self.pool())
        .await?;
        let within: Vec<(String, Option<String>, String, i64)> = sqlx::query_as(
            "SELECT t.breaker, t.from_state, t.to_state, t.at_ms
               FROM breaker_transitions t JOIN services s ON s.id = t.service_id
              WHERE s.name = ? AND t.at_ms BETWEEN ? AND ?
              ORDER BY t.breaker, t.at_ms, t.id",
        )
        .bind(service)
        .bind(range.from_ms)
        .bind(range.to_ms)
        .fetch_all(self.pool())
        .await?;

        // breaker -> (state, since), and the intervals closed so far.
        let mut current: BTreeMap<String, (String, i64)> = before
            .into_iter()
            .map(|(breaker, state, _)| (breaker, (state, range.from_ms)))
            .collect();
        let mut intervals = Vec::new();
        for (breaker, from_state, to_state, at_ms) in within {
            let entry = current.get(&breaker).cloned();
            let open = match (entry, from_state) {
                (Some(open), _) => Some(open),
                (None, Some(from)) if at_ms > range.from_ms => Some((from, range.from_ms)),
                _ => None,
            };
            match open {
                Some((state, _)) if state == to_state => continue,
                Some((state, since)) if at_ms > since => intervals.push(BreakerInterval {
                    breaker: breaker.clone(),
                    state,
                    start_ms: since,
                    end_ms: at_ms,
                }),
                _ => {}
            }
            current.insert(breaker, (to_state, at_ms));
        }
        for (breaker, (state, since)) in current {
            intervals.push(BreakerInterval {
                breaker,
                state,
                start_ms: since,
                end_ms: range.to_ms,
            });
        }
        intervals.sort_by(|a, b| {
            natural_cmp(&a.breaker, &b.breaker).then_with(|| a.start_ms.cmp(&b.start_ms))
        });
        Ok(intervals)
    }
}
