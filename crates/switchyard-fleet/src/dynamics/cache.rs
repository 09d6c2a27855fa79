//! A cache that warms up: keys in a few namespaces, a hit ratio that drifts
//! while warm, collapses when the cache is cleared (by a request or by the
//! script) and recovers as the keys come back.

use serde::Deserialize;

use super::timeline::{round_to, wave, Cycle};

/// Requests the cache serves per simulated second.
const REQUESTS_PER_SECOND: u64 = 100;

/// Seconds an emptied namespace takes to fill back to its usual size.
const REWARM_SECONDS: u64 = 120;

/// Memory per key, chosen so the usual 1234 keys take 50.2 MB as in the
/// contract's example.
const MB_PER_KEY: f64 = 50.2 / 1234.0;

/// The hit ratio of a warm cache, before drift.
const WARM_RATIO: f64 = 0.85;

/// The namespaces and their usual key counts; they sum to 1234.
const NAMESPACES: [(&str, u64); 4] = [
    ("market_data", 500),
    ("portfolio", 300),
    ("orders", 284),
    ("session", 150),
];

#[derive(Clone, Debug, PartialEq)]
struct Namespace {
    name: &'static str,
    keys: u64,
    usual: u64,
}

/// When the script clears the cache and whether the ratio drifts.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CacheScript {
    /// The cache is cleared as each window opens.
    pub(crate) clears: Cycle,
    /// Whether the warm ratio wobbles around 0.85 (by ±0.05 over 10 min).
    pub(crate) drift: bool,
}

impl CacheScript {
    pub(crate) fn quiet() -> Self {
        CacheScript {
            clears: Cycle::never(),
            drift: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Cache {
    script: CacheScript,
    namespaces: Vec<Namespace>,
    /// Since the last clear.
    pub(crate) hits: u64,
    pub(crate) misses: u64,
    /// The current hit ratio, 0..1.
    pub(crate) hit_ratio: f64,
    pub(crate) memory_mb: f64,
}

impl Cache {
    /// A warm cache with the contract example's numbers: 8500 hits, 1500
    /// misses, 1234 keys, 50.2 MB.
    pub(crate) fn new(script: CacheScript) -> Self {
        let namespaces = NAMESPACES
            .iter()
            .map(|&(name, usual)| Namespace {
                name,
                keys: usual,
                usual,
            })
            .collect();
        let mut cache = Cache {
            script,
            namespaces,
            hits: 8500,
            misses: 1500,
            hit_ratio: WARM_RATIO,
            memory_mb: 0.0,
        };
        cache.memory_mb = cache.memory_for_keys();
        cache
    }

    pub(crate) fn keys(&self) -> u64 {
        self.namespaces.iter().map(|n| n.keys).sum()
    }

    fn usual_keys(&self) -> u64 {
        self.namespaces.iter().map(|n| n.usual).sum()
    }

    fn memory_for_keys(&self) -> f64 {
        round_to(self.keys() as f64 * MB_PER_KEY, 1)
    }

    /// The hit rate in percent, as `breaker-registry` serves it.
    pub(crate) fn hit_rate_percent(&self) -> f64 {
        round_to(self.hit_ratio * 100.0, 1)
    }

    /// The hit rate as a ratio, as `health-levels` serves it.
    pub(crate) fn hit_rate_ratio(&self) -> f64 {
        round_to(self.hit_ratio, 3)
    }

    /// One simulated second.
    pub(crate) fn step(&mut self, second: u64) {
        if self.script.clears.starts_at(second) {
            self.clear();
        }
        for namespace in &mut self.namespaces {
            let refill = namespace.usual.div_ceil(REWARM_SECONDS);
            namespace.keys = (namespace.keys + refill).min(namespace.usual);
        }
        let warmth = self.keys() as f64 / self.usual_keys().max(1) as f64;
        let drift = if self.script.drift {
            wave(second, 600, 0.05)
        } else {
            0.0
        };
        self.hit_ratio = ((WARM_RATIO + drift) * warmth).clamp(0.0, 1.0);
        let hits = (REQUESTS_PER_SECOND as f64 * self.hit_ratio).round() as u64;
        self.hits += hits;
        self.misses += REQUESTS_PER_SECOND - hits.min(REQUESTS_PER_SECOND);
        self.memory_mb = self.memory_for_keys();
    }

    /// Empties the cache: no keys, no hits yet, so the ratio collapses.
    pub(crate) fn clear(&mut self) {
        for namespace in &mut self.namespaces {
            namespace.keys = 0;
        }
        self.hits = 0;
        self.misses = 0;
        self.hit_ratio = 0.0;
        self.memory_mb = 0.0;
    }

    /// Drops the keys `pattern` names and answers how many. Keys look like
    /// `namespace:id`; the part before the first `:` is matched against the
    /// namespace names with `*` and `?` wildcards. A pattern whose rest is
    /// `*` (or a bare `*`) drops whole namespaces; a rest naming particular
    /// keys drops one key from each matching namespace.
    pub(crate) fn invalidate(&mut self, pattern: &str) -> u64 {
        let (namespace_pattern, rest) = match pattern.split_once(':') {
            Some((namespace, rest)) => (namespace, rest),
            None => (pattern, "*"),
        };
        let whole = rest.chars().all(|c| c == '*');
        let mut invalidated = 0;
        for namespace in &mut self.namespaces {
            if !glob(namespace_pattern, namespace.name) {
                continue;
            }
            let dropped = if whole {
                namespace.keys
            } else {
                namespace.keys.min(1)
            };
            namespace.keys -= dropped;
            invalidated += dropped;
        }
        self.memory_mb = self.memory_for_keys();
        invalidated
    }

    /// Applies a control-API change; every value is checked before any
    /// is set.
    pub(crate) fn apply(&mut self, patch: &CachePatch) -> Result<(), String> {
        if let Some(ratio) = patch.hit_rate {
            if !(0.0..=1.0).contains(&ratio) {
                return Err(format!(
                    "cache.hit_rate is a ratio from 0 to 1, got {ratio}"
                ));
            }
        }
        if let Some(memory) = patch.memory_mb {
            if memory < 0.0 {
                return Err(format!(
                    "cache.memory_mb must not be negative, got {memory}"
                ));
            }
        }
        if let Some(keys) = patch.keys {
            self.set_keys(keys);
        }
        if let Some(hits) = patch.hits {
            self.hits = hits;
        }
        if let Some(misses) = patch.misses {
            self.misses = misses;
        }
        if let Some(ratio) = patch.hit_rate {
            self.hit_ratio = ratio;
            // Keep the counters telling the same story when only the
            // ratio was given.
            if patch.hits.is_none() && patch.misses.is_none() {
                let total = (self.hits + self.misses).max(10_000);
                self.hits = (total as f64 * ratio).round() as u64;
                self.misses = total - self.hits;
            }
        }
        if let Some(memory) = patch.memory_mb {
            self.memory_mb = memory;
        }
        Ok(())
    }

    /// Spreads `keys` over the namespaces in their usual proportions.
    fn set_keys(&mut self, keys: u64) {
        let usual = self.usual_keys().max(1);
        let mut left = keys;
        let last = self.namespaces.len().saturating_sub(1);
        for (index, namespace) in self.namespaces.iter_mut().enumerate() {
            let share = if index == last {
                left
            } else {
                (keys * namespace.usual / usual).min(left)
            };
            namespace.keys = share;
            left -= share;
        }
        self.memory_mb = self.memory_for_keys();
    }
}

/// The control API's change to a cache. `hit_rate` is a ratio whatever
/// unit the profile serves.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CachePatch {
    hit_rate: Option<f64>,
    hits: Option<u64>,
    misses: Option<u64>,
    keys: Option<u64>,
    memory_mb: Option<f64>,
}

/// `*` matches any run of characters, `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Classic two-pointer matching with backtracking to the last `*`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_with_the_contract_example() {
        let cache = Cache::new(CacheScript::quiet());
        assert_eq!((cache.hits, cache.misses, cache.keys()), (8500, 1500, 1234));
        assert_eq!(cache.hit_rate_percent(), 85.0);
        assert_eq!(cache.hit_rate_ratio(), 0.85);
        assert_eq!(cache.memory_mb, 50.2);
    }

    #[test]
    fn a_clear_collapses_the_ratio_which_recovers_in_two_minutes() {
        let mut cache = Cache::new(CacheScript::quiet());
        cache.clear();
        assert_eq!((cache.hit_rate_percent(), cache.keys()), (0.0, 0));
        cache.step(1);
        let early = cache.hit_ratio;
        assert!(early > 0.0 && early < 0.05, "{early}");
        for second in 2..=60 {
            cache.step(second);
        }
        let halfway = cache.hit_ratio;
        assert!(halfway > 0.45 && halfway < 0.6, "{halfway}");
        for second in 61..=REWARM_SECONDS {
            cache.step(second);
        }
        assert_eq!(cache.hit_rate_percent(), 85.0);
        assert_eq!(cache.keys(), 1234);
    }

    #[test]
    fn the_script_clears_and_drifts() {
        let mut cache = Cache::new(CacheScript {
            clears: Cycle::new(600, &[(300, 301)]),
            drift: true,
        });
        let mut ratios = Vec::new();
        for second in 1..=400 {
            cache.step(second);
            ratios.push(cache.hit_ratio);
        }
        // Drifting above 0.85 in the first quarter of the 10-minute wave.
        assert!(ratios[149] > 0.89, "{}", ratios[149]);
        // Collapsed by the clear at 300 s.
        assert!(ratios[299] < 0.05, "{}", ratios[299]);
        assert!(ratios[399] > 0.5, "{}", ratios[399]);
    }

    #[test]
    fn invalidation_drops_matching_namespaces() {
        let mut cache = Cache::new(CacheScript::quiet());
        assert_eq!(cache.invalidate("market_data:*"), 500);
        assert_eq!(cache.invalidate("market_data:*"), 0);
        assert_eq!(cache.invalidate("port*:*"), 300);
        assert_eq!(cache.invalidate("orders:BTC-1"), 1);
        assert_eq!(cache.invalidate("nothing:*"), 0);
        assert_eq!(cache.invalidate("*"), 283 + 150);
        assert_eq!(cache.keys(), 0);
    }

    #[test]
    fn glob_matches_wildcards() {
        assert!(glob("*", "market_data"));
        assert!(glob("mark?t_*", "market_data"));
        assert!(glob("*data", "market_data"));
        assert!(!glob("*data", "portfolio"));
        assert!(!glob("market", "market_data"));
    }

    #[test]
    fn patches_are_checked_then_applied() {
        let mut cache = Cache::new(CacheScript::quiet());
        let patch: CachePatch = serde_json::from_str(r#"{"hit_rate": 0.42}"#).unwrap_or_default();
        assert!(cache.apply(&patch).is_ok());
        assert_eq!(cache.hit_rate_percent(), 42.0);
        assert_eq!((cache.hits, cache.misses), (4200, 5800));

        let patch: CachePatch =
            serde_json::from_str(r#"{"keys": 100, "hit_rate": 1.5}"#).unwrap_or_default();
        assert!(cache.apply(&patch).is_err());
        assert_eq!(cache.keys(), 1234, "nothing changed");
        let patch: CachePatch = serde_json::from_str(r#"{"keys": 100}"#).unwrap_or_default();
        assert!(cache.apply(&patch).is_ok());
        assert_eq!(cache.keys(), 100);
    }
}
