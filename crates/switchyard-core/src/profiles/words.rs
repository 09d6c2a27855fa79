//! Tolerant matching of the words services use for states (docs/contracts.md, "Rules for
//! every profile"): case-insensitive, with `-`, `_` and space treated alike, so `HALF_OPEN`,
//! `half-open` and `Half Open` are one word.

/// Folds a service's word into a canonical form: lower case, separators as `_`.
pub fn fold(word: &str) -> String {
    word.trim()
        .chars()
        .map(|c| match c {
            '-' | ' ' => '_',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn separators_and_case_fold_to_one_word() {
        assert_eq!(fold("HALF_OPEN"), "half_open");
        assert_eq!(fold("half-open"), "half_open");
        assert_eq!(fold(" Half Open "), "half_open");
        assert_eq!(fold("OK"), "ok");
    }
}

use crate::model::{BreakerState, HealthStatus};

/// Maps the health words services use to the four normalised ones. Words nobody
/// recognises stay `unknown` rather than being guessed at.
pub fn health_status(word: &str) -> HealthStatus {
    match fold(word).as_str() {
        "ok" | "up" | "healthy" | "pass" | "green" | "connected" => HealthStatus::Ok,
        "degraded" | "warn" | "warning" | "yellow" | "slow" => HealthStatus::Degraded,
        "down" | "unhealthy" | "fail" | "failed" | "error" | "red" | "disconnected"
        | "out_of_service" => HealthStatus::Down,
        _ => HealthStatus::Unknown,
    }
}

/// Maps the breaker-state words of every contract to the normalised ones.
pub fn breaker_state(word: &str) -> BreakerState {
    match fold(word).as_str() {
        "closed" | "close" => BreakerState::Closed,
        "open" => BreakerState::Open,
        "half_open" | "halfopen" => BreakerState::HalfOpen,
        "forced_open" | "force_open" => BreakerState::ForcedOpen,
        "disabled" => BreakerState::Disabled,
        "metrics_only" => BreakerState::MetricsOnly,
        _ => BreakerState::Unknown,
    }
}

#[cfg(test)]
mod health_word_tests {
    use super::health_status;
    use crate::model::HealthStatus;

    #[test]
    fn contract_words_map_to_the_normalised_four() {
        assert_eq!(health_status("OK"), HealthStatus::Ok);
        assert_eq!(health_status("DEGRADED"), HealthStatus::Degraded);
        assert_eq!(health_status("DOWN"), HealthStatus::Down);
        assert_eq!(health_status("Out-Of-Service"), HealthStatus::Down);
        assert_eq!(health_status("sideways"), HealthStatus::Unknown);
    }

    #[test]
    fn breaker_words_fold_every_spelling() {
        use super::breaker_state;
        use crate::model::BreakerState;
        for word in ["HALF_OPEN", "half-open", "Half Open"] {
            assert_eq!(breaker_state(word), BreakerState::HalfOpen, "{word}");
        }
        assert_eq!(breaker_state("FORCED_OPEN"), BreakerState::ForcedOpen);
        assert_eq!(breaker_state("metrics only"), BreakerState::MetricsOnly);
        assert_eq!(breaker_state("ajar"), BreakerState::Unknown);
    }
}
