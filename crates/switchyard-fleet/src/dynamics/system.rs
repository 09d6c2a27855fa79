//! A host's vital signs for `breaker-registry`'s `/api/metrics/current`:
//! CPU, memory and disk that breathe, a CPU spike on the script's
//! timeline, and a request counter.

use serde::Deserialize;

use super::timeline::{round_to, wave, Cycle};

/// Requests the service handles per simulated second.
const REQUESTS_PER_SECOND: u64 = 100;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SystemScript {
    /// Windows in which CPU runs hot (past the default 80 % threshold).
    pub(crate) cpu_spikes: Cycle,
    /// Whether the values wobble; quiet services keep them still.
    pub(crate) breathe: bool,
}

impl SystemScript {
    pub(crate) fn quiet() -> Self {
        SystemScript {
            cpu_spikes: Cycle::never(),
            breathe: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct System {
    script: SystemScript,
    pub(crate) cpu_percent: f64,
    pub(crate) memory_percent: f64,
    pub(crate) disk_percent: f64,
    pub(crate) response_time_ms: f64,
    pub(crate) requests_total: u64,
}

impl System {
    /// The contract example's values.
    pub(crate) fn new(script: SystemScript) -> Self {
        System {
            script,
            cpu_percent: 35.2,
            memory_percent: 61.0,
            disk_percent: 40.5,
            response_time_ms: 42.0,
            requests_total: 123_456,
        }
    }

    /// One simulated second.
    pub(crate) fn step(&mut self, second: u64) {
        self.requests_total += REQUESTS_PER_SECOND;
        let breath = |period, amplitude| {
            if self.script.breathe {
                wave(second, period, amplitude)
            } else {
                0.0
            }
        };
        let cpu = if self.script.cpu_spikes.contains(second) {
            91.0 + breath(20, 2.0)
        } else {
            35.2 + breath(90, 4.0)
        };
        self.cpu_percent = round_to(cpu, 1);
        self.memory_percent = round_to(61.0 + breath(300, 3.0), 1);
        // The disk fills by a tenth of a percent an hour, as logs do.
        let growth = if self.script.breathe {
            (second / 3600) as f64 * 0.1
        } else {
            0.0
        };
        self.disk_percent = round_to((40.5 + growth).min(84.0), 1);
        // Latency follows load.
        self.response_time_ms = round_to(42.0 + (cpu - 35.2).max(0.0) * 0.8, 1);
    }

    /// Applies a control-API change; every value is checked before any is set.
    pub(crate) fn apply(&mut self, patch: &SystemPatch) -> Result<(), String> {
        for (name, value) in [
            ("cpu_percent", patch.cpu_percent),
            ("memory_percent", patch.memory_percent),
            ("disk_percent", patch.disk_percent),
        ] {
            if let Some(value) = value {
                if !(0.0..=100.0).contains(&value) {
                    return Err(format!("system.{name} is a percentage, got {value}"));
                }
            }
        }
        if let Some(value) = patch.response_time_ms {
            if value < 0.0 {
                return Err(format!(
                    "system.response_time_ms must not be negative, got {value}"
                ));
            }
        }
        self.cpu_percent = patch.cpu_percent.unwrap_or(self.cpu_percent);
        self.memory_percent = patch.memory_percent.unwrap_or(self.memory_percent);
        self.disk_percent = patch.disk_percent.unwrap_or(self.disk_percent);
        self.response_time_ms = patch.response_time_ms.unwrap_or(self.response_time_ms);
        self.requests_total = patch.requests_total.unwrap_or(self.requests_total);
        Ok(())
    }
}

/// The control API's change to the vital signs.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SystemPatch {
    cpu_percent: Option<f64>,
    memory_percent: Option<f64>,
    disk_percent: Option<f64>,
    response_time_ms: Option<f64>,
    requests_total: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_spikes_in_its_window_and_requests_count_up() {
        let mut system = System::new(SystemScript {
            cpu_spikes: Cycle::new(360, &[(200, 260)]),
            breathe: true,
        });
        for second in 1..=199 {
            system.step(second);
            assert!(
                system.cpu_percent < 45.0,
                "{second}: {}",
                system.cpu_percent
            );
        }
        system.step(200);
        assert!(system.cpu_percent > 88.0);
        assert!(system.response_time_ms > 80.0);
        assert_eq!(system.requests_total, 123_456 + 200 * 100);
        for second in 201..=260 {
            system.step(second);
        }
        assert!(system.cpu_percent < 45.0);
    }

    #[test]
    fn quiet_systems_hold_still() {
        let mut system = System::new(SystemScript::quiet());
        for second in 1..=1000 {
            system.step(second);
        }
        assert_eq!(
            (
                system.cpu_percent,
                system.memory_percent,
                system.disk_percent
            ),
            (35.2, 61.0, 40.5)
        );
    }

    #[test]
    fn patches_refuse_impossible_percentages() {
        let mut system = System::new(SystemScript::quiet());
        let patch: SystemPatch =
            serde_json::from_str(r#"{"memory_percent": 50, "cpu_percent": 120}"#)
                .unwrap_or_default();
        assert!(system.apply(&patch).is_err());
        assert_eq!(system.memory_percent, 61.0);
    }
}
