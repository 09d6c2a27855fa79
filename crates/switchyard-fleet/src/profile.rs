//! The contracts a simulated service can speak, by the names the
//! configuration uses for them (docs/contracts.md describes each).

use std::fmt;

/// One seed profile (docs/contracts.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// `health-contract`: one standard health document per service.
    HealthContract,
    /// `health-levels`: liveness, readiness, detail, and an event pipeline behind a key.
    HealthLevels,
    /// `breaker-registry`: many named breakers, cache, metrics and alert thresholds.
    BreakerRegistry,
    /// `single-breaker`: one breaker with a guarded reset and a history.
    SingleBreaker,
    /// `emergency-controls`: per-operation breakers, read-only.
    EmergencyControls,
    /// `spring-actuator`: a Spring Boot service's actuator with Resilience4j breakers
    /// and caches. Not a seed profile: the demo and the seed fleet do not run one.
    SpringActuator,
}

impl Profile {
    /// Every seed profile, in the order of docs/contracts.md.
    pub const ALL: [Profile; 5] = [
        Profile::HealthContract,
        Profile::HealthLevels,
        Profile::BreakerRegistry,
        Profile::SingleBreaker,
        Profile::EmergencyControls,
    ];

    /// Every profile a service can speak: the seed profiles and `spring-actuator`.
    pub const EVERY: [Profile; 6] = [
        Profile::HealthContract,
        Profile::HealthLevels,
        Profile::BreakerRegistry,
        Profile::SingleBreaker,
        Profile::EmergencyControls,
        Profile::SpringActuator,
    ];

    /// The name the configuration's `profile = "…"` uses.
    pub fn name(self) -> &'static str {
        match self {
            Profile::HealthContract => "health-contract",
            Profile::HealthLevels => "health-levels",
            Profile::BreakerRegistry => "breaker-registry",
            Profile::SingleBreaker => "single-breaker",
            Profile::EmergencyControls => "emergency-controls",
            Profile::SpringActuator => "spring-actuator",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Profile {
    type Err = String;

    /// Case-insensitive with `-`, `_` and space alike, as for every enum word.
    fn from_str(word: &str) -> Result<Self, Self::Err> {
        let wanted = crate::words::fold(word);
        Profile::EVERY
            .into_iter()
            .find(|profile| crate::words::fold(profile.name()) == wanted)
            .ok_or_else(|| {
                let known: Vec<&str> = Profile::EVERY.iter().map(|p| p.name()).collect();
                format!(
                    "unknown profile {word:?}; expected one of {}",
                    known.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_tolerantly() {
        for profile in Profile::EVERY {
            assert_eq!(profile.name().parse(), Ok(profile));
        }
        assert_eq!("Breaker Registry".parse(), Ok(Profile::BreakerRegistry));
        assert_eq!("HEALTH_LEVELS".parse(), Ok(Profile::HealthLevels));
        assert!("prometheus".parse::<Profile>().is_err());
    }
}
