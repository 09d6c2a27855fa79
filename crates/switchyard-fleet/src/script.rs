//! The scripted dynamics of a simulated service. A script also names the
//! profile the service speaks, since a script is written in one profile's
//! terms: for `health-contract` it is a cyclic timeline of phases, each
//! holding a [`ServiceCondition`] for a while; for the other seed profiles
//! it is either their demo timeline ([`Script::seed`]) or stillness
//! ([`Script::quiet`]), both defined with the profile's model.
//!
//! Pure logic: the caller passes the elapsed time (measured with
//! `tokio::time::Instant`, so paused-time tests drive it), and the same
//! elapsed time always gives the same phase.

use std::time::Duration;

use crate::condition::ServiceCondition;
use crate::profile::Profile;

/// One stretch of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    pub duration: Duration,
    pub condition: ServiceCondition,
}

impl Phase {
    pub fn new(duration: Duration, condition: ServiceCondition) -> Self {
        Phase {
            duration,
            condition,
        }
    }
}

/// A cyclic timeline: after the last phase the first starts again.
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    /// Never empty, and the durations sum to more than zero, so the cycle
    /// length is a valid divisor (see [`Script::cycle`]).
    phases: Vec<Phase>,
    /// Shifts where in the cycle a service starts, so services sharing a
    /// script (or similar ones) do not all change at the same instant.
    offset: Duration,
    /// The contract the service speaks.
    profile: Profile,
    /// For the profiles other than `health-contract`: whether their demo
    /// timeline runs (breakers trip, queues surge) or everything holds still.
    lively: bool,
}

impl Script {
    /// Always OK with healthy dependencies; never changes.
    pub fn steady() -> Self {
        Script {
            phases: vec![Phase::new(
                Duration::from_secs(1),
                ServiceCondition::healthy(),
            )],
            offset: Duration::ZERO,
            profile: Profile::HealthContract,
            lively: false,
        }
    }

    /// `profile`'s demo dynamics: for `health-contract` a 75 s cycle of
    /// OK → DEGRADED (slow postgres) → DOWN (redis refused); for the others
    /// the timeline their model documents (breakers tripping and
    /// recovering, a cache clear, a queue surge, a trading halt).
    pub fn seed(profile: Profile) -> Self {
        match profile {
            Profile::HealthContract => crate::demo::execution_service_script(),
            _ => Script {
                lively: true,
                profile,
                ..Script::steady()
            },
        }
    }

    /// `profile` holding still: healthy, nothing trips, nothing drifts.
    /// The control endpoint (and the service's own endpoints, such as a
    /// reset) still change it. For `health-contract` this is [`Script::steady`].
    pub fn quiet(profile: Profile) -> Self {
        Script {
            profile,
            ..Script::steady()
        }
    }

    /// The contract this script drives.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Whether a seed profile's demo timeline runs (see [`Script::seed`]).
    pub(crate) fn lively(&self) -> bool {
        self.lively
    }

    /// A `health-contract` script cycling through `phases` in order. Phases of zero duration are dropped
    /// (they could never be observed); with nothing left this is
    /// [`Script::steady`].
    pub fn cycle(phases: Vec<Phase>) -> Self {
        let phases: Vec<Phase> = phases
            .into_iter()
            .filter(|phase| !phase.duration.is_zero())
            .collect();
        if phases.is_empty() {
            return Script::steady();
        }
        Script {
            phases,
            ..Script::steady()
        }
    }

    /// The same timeline, entered `offset` into the cycle.
    pub fn with_offset(mut self, offset: Duration) -> Self {
        self.offset = offset;
        self
    }

    pub fn phases(&self) -> &[Phase] {
        &self.phases
    }

    pub fn offset(&self) -> Duration {
        self.offset
    }

    /// The offset in whole seconds, as the seed profiles' timelines count.
    pub(crate) fn offset_seconds(&self) -> u64 {
        self.offset.as_secs()
    }

    /// The length of one full cycle.
    pub fn cycle_length(&self) -> Duration {
        self.phases.iter().map(|phase| phase.duration).sum()
    }

    /// Index of the phase in force `elapsed` after the service started.
    pub fn phase_index_at(&self, elapsed: Duration) -> usize {
        // Nanoseconds in u128 cannot overflow for any Duration sum we hold,
        // and the cycle length is never zero (see `cycle`).
        let cycle = self.cycle_length().as_nanos().max(1);
        let mut position = (elapsed.as_nanos() + self.offset.as_nanos()) % cycle;
        for (index, phase) in self.phases.iter().enumerate() {
            let length = phase.duration.as_nanos();
            if position < length {
                return index;
            }
            position -= length;
        }
        // Unreachable while `position < cycle`; the last phase is the safe answer.
        self.phases.len() - 1
    }

    /// The condition in force `elapsed` after the service started.
    pub fn condition_at(&self, elapsed: Duration) -> &ServiceCondition {
        &self.phases[self.phase_index_at(elapsed)].condition
    }
}

impl Default for Script {
    fn default() -> Self {
        Script::steady()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::{DependencyCondition, Status};

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// OK 40 s → DEGRADED 20 s → DOWN 15 s, a 75 s cycle.
    fn three_phases() -> Script {
        Script::cycle(vec![
            Phase::new(secs(40), ServiceCondition::healthy()),
            Phase::new(
                secs(20),
                ServiceCondition::healthy()
                    .with_status(Status::Degraded)
                    .with_dependency(
                        "postgres",
                        DependencyCondition::failing(Status::Degraded, 250.3, "Slow query"),
                    ),
            ),
            Phase::new(
                secs(15),
                ServiceCondition::healthy()
                    .with_status(Status::Down)
                    .with_dependency(
                        "redis",
                        DependencyCondition::failing(Status::Down, 0.0, "Connection refused"),
                    ),
            ),
        ])
    }

    #[test]
    fn phase_follows_elapsed_time_with_half_open_boundaries() {
        let script = three_phases();
        assert_eq!(script.phase_index_at(Duration::ZERO), 0);
        assert_eq!(script.phase_index_at(secs(39)), 0);
        assert_eq!(script.phase_index_at(Duration::from_millis(39_999)), 0);
        assert_eq!(script.phase_index_at(secs(40)), 1);
        assert_eq!(script.phase_index_at(secs(59)), 1);
        assert_eq!(script.phase_index_at(secs(60)), 2);
        assert_eq!(script.phase_index_at(secs(74)), 2);
    }

    #[test]
    fn timeline_cycles() {
        let script = three_phases();
        assert_eq!(script.cycle_length(), secs(75));
        assert_eq!(script.phase_index_at(secs(75)), 0);
        assert_eq!(script.phase_index_at(secs(75 + 45)), 1);
        assert_eq!(script.phase_index_at(secs(75 * 1000 + 61)), 2);
        assert_eq!(script.condition_at(secs(75 + 61)).status, Status::Down);
    }

    #[test]
    fn offset_shifts_the_entry_point() {
        let script = three_phases().with_offset(secs(50));
        assert_eq!(script.phase_index_at(Duration::ZERO), 1);
        assert_eq!(script.phase_index_at(secs(10)), 2);
        assert_eq!(script.phase_index_at(secs(25)), 0);
        // An offset of whole cycles changes nothing.
        let wrapped = three_phases().with_offset(secs(75 * 3 + 50));
        for t in [0, 10, 25, 64, 65] {
            assert_eq!(
                wrapped.phase_index_at(secs(t)),
                script.phase_index_at(secs(t))
            );
        }
    }

    #[test]
    fn conditions_come_from_the_phase() {
        let script = three_phases();
        let degraded = script.condition_at(secs(45));
        assert_eq!(degraded.status, Status::Degraded);
        let postgres = &degraded.dependencies["postgres"];
        assert_eq!(postgres.latency_ms, 250.3);
        assert_eq!(postgres.error.as_deref(), Some("Slow query"));
    }

    #[test]
    fn steady_never_changes() {
        let script = Script::steady();
        for t in [0, 1, 59, 3600, 86_400 * 365] {
            assert_eq!(script.condition_at(secs(t)), &ServiceCondition::healthy());
        }
    }

    #[test]
    fn empty_or_zero_length_cycles_are_steady() {
        assert_eq!(Script::cycle(Vec::new()), Script::steady());
        let zero = Script::cycle(vec![Phase::new(
            Duration::ZERO,
            ServiceCondition::healthy().with_status(Status::Down),
        )]);
        assert_eq!(zero.condition_at(secs(3)).status, Status::Ok);
    }

    #[test]
    fn scripts_name_their_profile() {
        assert_eq!(Script::steady().profile(), Profile::HealthContract);
        assert_eq!(Script::cycle(Vec::new()).profile(), Profile::HealthContract);
        for profile in Profile::ALL {
            assert_eq!(Script::seed(profile).profile(), profile);
            assert_eq!(Script::quiet(profile).profile(), profile);
            assert!(!Script::quiet(profile).lively());
        }
        assert!(Script::seed(Profile::BreakerRegistry).lively());
        assert_eq!(Script::quiet(Profile::HealthContract), Script::steady());
        assert!(Script::seed(Profile::HealthContract).phases().len() > 1);
    }

    #[test]
    fn zero_length_phases_are_skipped() {
        let script = Script::cycle(vec![
            Phase::new(secs(10), ServiceCondition::healthy()),
            Phase::new(
                Duration::ZERO,
                ServiceCondition::healthy().with_status(Status::Down),
            ),
            Phase::new(
                secs(10),
                ServiceCondition::healthy().with_status(Status::Degraded),
            ),
        ]);
        assert_eq!(script.phases().len(), 2);
        assert_eq!(script.condition_at(secs(10)).status, Status::Degraded);
    }
}
