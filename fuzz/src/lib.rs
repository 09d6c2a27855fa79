//! What the fuzz targets share: how one input becomes a sequence of HTTP answers for a
//! profile's reader, fed through the same public entry points the poller uses
//! (`Profile::endpoints`, `Profile::reader`, `ProfileReader::read`), and the checks on
//! what comes out.
//!
//! Input format for the profile targets: documents separated by a `0xFF` byte (never
//! in UTF-8, so never inside a real document); each document's first byte picks the
//! endpoint (modulo the profile's endpoint count) and the rest is the body. Several
//! documents go through one reader, so the readers that remember across polls (a
//! breaker's history, Resilience4j events) are fuzzed across polls too.
//!
//! Every target links [`Bounded`], an allocator that aborts on any single allocation
//! over [`ALLOCATION_LIMIT`]: a count or length read from the input that turns into a
//! huge allocation is a finding, with or without a sanitizer (libFuzzer's own
//! `-malloc_limit_mb` needs one).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;

use chrono::{DateTime, TimeZone, Utc};
use switchyard_core::config::ServiceConfig;
use switchyard_core::profiles::{Profile, ProfileReader, Reading, Response};

/// The separator between documents in one input.
pub const SEPARATOR: u8 = 0xFF;

/// A fixed receive time, so a crash reproduces whatever the clock says.
pub fn received_at() -> DateTime<Utc> {
    Utc.timestamp_opt(1_795_000_000, 0).unwrap()
}

/// The documents of one input: `(endpoint selector, body)`.
pub fn documents(data: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    data.split(|b| *b == SEPARATOR)
        .filter_map(|chunk| chunk.split_first().map(|(first, rest)| (*first, rest)))
}

/// Feeds every document of `data` to one reader of `profile`, as the poller would.
pub fn read_profile(profile: Profile, data: &[u8]) {
    read_service(&service(profile), data);
}

/// A service of `profile` with the defaults of an empty configuration.
pub fn service(profile: Profile) -> ServiceConfig {
    ServiceConfig::new("fuzzed", "http://127.0.0.1:9", Some(profile))
}

/// Feeds every document of `data` to one reader of `service`'s profile.
pub fn read_service(service: &ServiceConfig, data: &[u8]) {
    let profile = service.profile.expect("a fuzzed service has a profile");
    let endpoints: Vec<String> = profile
        .endpoints(&service.settings)
        .into_iter()
        .map(|e| e.path)
        .collect();
    let mut reader = profile.reader(&service.settings);
    read_documents(reader.as_mut(), &endpoints, data);
}

/// Feeds every document of `data` to `reader`, checking each reading.
pub fn read_documents(reader: &mut dyn ProfileReader, endpoints: &[String], data: &[u8]) {
    for (selector, body) in documents(data).take(16) {
        let endpoint = &endpoints[usize::from(selector) % endpoints.len()];
        let response = Response {
            body,
            content_type: None,
            received_at: received_at(),
        };
        if let Ok(reading) = reader.read(endpoint, &response) {
            check(&reading);
        }
    }
}

/// What every reading promises whatever the input: samples are finite numbers (the
/// store, the charts and the alert rules take them as such).
pub fn check(reading: &Reading) {
    for sample in &reading.samples {
        assert!(
            sample.value.is_finite(),
            "sample {} is not finite: {}",
            sample.series,
            sample.value
        );
    }
}

/// The largest single allocation a reader may make: inputs are at most a few hundred
/// KiB, and the product reads bodies of at most `max_body` (1 MiB by default).
pub const ALLOCATION_LIMIT: usize = 64 << 20;

/// The system allocator, refusing allocations over [`ALLOCATION_LIMIT`] by aborting
/// (libFuzzer saves the input that did it).
pub struct Bounded;

#[global_allocator]
static ALLOCATOR: Bounded = Bounded;

/// Reports the size and aborts, without allocating.
#[cold]
fn over_the_bound(size: usize) -> ! {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = size;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut stderr = std::io::stderr();
    let _ = stderr.write_all(b"==switchyard-fuzz== allocation of ");
    let _ = stderr.write_all(&digits[at..]);
    let _ = stderr.write_all(b" bytes, over the bound (ALLOCATION_LIMIT)\n");
    std::process::abort()
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the contract;
// the only addition is refusing (aborting) before an oversized request.
unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > ALLOCATION_LIMIT {
            over_the_bound(layout.size());
        }
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > ALLOCATION_LIMIT {
            over_the_bound(layout.size());
        }
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > ALLOCATION_LIMIT {
            over_the_bound(new_size);
        }
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}
