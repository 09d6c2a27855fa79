//! The fleet's internal key, which `health-levels` services require in
//! `X-Internal-Key`. New for every fleet, so a configuration must take it
//! from the environment (or the keyring) rather than hold it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// The environment variable the printed configuration refers to.
pub const INTERNAL_KEY_ENV: &str = "SWITCHYARD_FLEET_INTERNAL_KEY";

/// A fresh key: 128 bits from the standard library's randomly seeded
/// hasher, mixed with the time and process id. Good enough to tell fleets
/// apart and to make a guessed key fail; not a secret for production.
pub(crate) fn generate() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let mut key = String::from("fleet-");
    for round in 0u8..2 {
        // Every `RandomState` gets its own keys, so the rounds differ.
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        hasher.write_u8(round);
        key.push_str(&format!("{:016x}", hasher.finish()));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_and_differ() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert_eq!(a.len(), "fleet-".len() + 32);
        assert!(a.is_ascii());
    }
}
