//! A team engine's query API answers (Prometheus, Thanos, Mimir, VictoriaMetrics): an
//! instant or range query's answer with any status and body must become series, the
//! engine's own error, or a clear refusal, never a panic or an allocation beyond the
//! bound. Input: the first byte picks the query kind (even: instant, odd: range), the
//! second the HTTP status, the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_core::engines::api::{read_instant, read_range};

/// The statuses engines answer with: success, bad query, execution error, unavailable,
/// refused credentials, and one outside HTTP's range.
const STATUSES: [u16; 6] = [200, 400, 422, 503, 401, 1000];

fuzz_target!(|data: &[u8]| {
    let [kind, status, body @ ..] = data else {
        return;
    };
    let status = STATUSES[usize::from(*status) % STATUSES.len()];
    if kind % 2 == 0 {
        if let Ok((series, _)) = read_instant(status, body, "engine") {
            // Every series has its labels; values may be NaN, never missing.
            assert!(series.len() <= body.len());
        }
    } else if let Ok((series, _)) = read_range(status, body, "engine") {
        assert!(series.iter().map(|s| s.points.len()).sum::<usize>() <= body.len());
    }
});
