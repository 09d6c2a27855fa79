//! Reads a service's latest good observation into the readings each kind of subject
//! needs: a series, a ratio, a counter's increase over a window, the health, every
//! breaker, every dependency.

use crate::alerts::lifecycle::AlertEvent;
use crate::alerts::rule::{breaker_word, health_word, Subject};
use crate::model::Observation;

use super::track::{per_entity, Pass, Reading, Track, Words};

pub(super) fn sample(observation: &Observation, series: &str) -> Option<f64> {
    observation
        .samples
        .iter()
        .find(|s| s.series == series)
        .map(|s| s.value)
}

/// Applies readings to every present entity, then `Absent` to the tracked ones that
/// The subjects read from the service's latest good observation.
pub(super) fn evaluate_observation(
    pass: &Pass<'_>,
    subject: &Subject,
    key: &str,
    observation: &Observation,
    slot: &mut Vec<Track>,
    events: &mut Vec<AlertEvent>,
) {
    match subject {
        Subject::Series(series) => {
            if let Some(value) = sample(observation, series) {
                pass.apply(slot, 0, key, Reading::number(value), events);
            }
        }
        Subject::Ratio {
            numerator,
            denominator,
        } => {
            if let (Some(n), Some(d)) = (
                sample(observation, numerator),
                sample(observation, denominator),
            ) {
                if d > 0.0 {
                    pass.apply(slot, 0, key, Reading::number(n / d), events);
                }
            }
        }
        Subject::Increase { series, window } => {
            let Some(value) = sample(observation, series) else {
                return;
            };
            if slot.is_empty() {
                slot.push(Track::new(key));
            }
            let track = &mut slot[0];
            if track
                .counter
                .back()
                .is_none_or(|(at, _)| *at < observation.observed_at)
            {
                track.counter.push_back((observation.observed_at, value));
            }
            let start =
                pass.now - chrono::Duration::from_std(*window).unwrap_or(chrono::TimeDelta::MAX);
            while track.counter.front().is_some_and(|(at, _)| *at < start) {
                track.counter.pop_front();
            }
            let increase: f64 = track
                .counter
                .iter()
                .zip(track.counter.iter().skip(1))
                .map(|((_, a), (_, b))| if b >= a { b - a } else { *b })
                .sum();
            pass.apply_to(track, Reading::number(increase), events);
        }
        Subject::Health => {
            if let Some(health) = &observation.health {
                let reading = Reading::Present {
                    value: None,
                    words: Words::one(health_word(health.status)),
                };
                pass.apply(slot, 0, key, reading, events);
            }
        }
        Subject::Breaker(only) => {
            let entities = observation.breakers.iter().map(|b| {
                (
                    b.name.as_str(),
                    Reading::Present {
                        value: b.failure_rate,
                        words: Words::one(breaker_word(b.state)),
                    },
                )
            });
            per_entity(pass, slot, only.as_deref(), entities, events);
        }
        Subject::Dependency(only) => {
            let Some(health) = &observation.health else {
                return;
            };
            let entities = health.dependencies.iter().map(|d| {
                let mut words = Words::one(health_word(d.status));
                if d.slow {
                    words.push("slow");
                }
                (
                    d.name.as_str(),
                    Reading::Present {
                        value: d.latency_ms,
                        words,
                    },
                )
            });
            per_entity(pass, slot, only.as_deref(), entities, events);
        }
        // Handled by the caller: they do not need an observation.
        Subject::Staleness | Subject::Stream(_) => {}
    }
}
