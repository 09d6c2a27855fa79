//! The `json-mapping` reader: both its JSONPath expressions (from the configuration) and
//! the documents they are applied to come from the input. The part before the first
//! `0xFF` holds the expressions, one a line in the order of [`FIELDS`] (an empty line
//! leaves the field unset); the rest is documents as in `switchyard_fuzz`. Expressions go
//! through `validate` as configuration loading does, and the reader is built either way.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use switchyard_core::profiles::json_mapping::{validate, MappingSettings};
use switchyard_core::profiles::{Profile, ProfileSettings};

/// The fields whose expressions the input gives, in order.
const FIELDS: usize = 9;

fn settings(head: &str) -> MappingSettings {
    let mut lines = head.split('\n').map(|line| {
        let line = line.trim_end_matches('\r');
        (!line.is_empty()).then(|| line.to_string())
    });
    let mut next = || lines.next().flatten();
    let mut fields: Vec<Option<String>> = (0..FIELDS).map(|_| next()).collect();
    let mut take = |i: usize| fields[i].take();
    MappingSettings {
        endpoint: "/status".to_string(),
        status: take(0),
        status_words: BTreeMap::from([
            (
                "ok".to_string(),
                vec!["green".to_string(), "UP".to_string()],
            ),
            ("degraded".to_string(), vec!["yellow".to_string()]),
            ("down".to_string(), vec!["red".to_string()]),
        ]),
        breakers: take(1),
        breaker_name: take(2),
        breaker_state: take(3),
        queue_depth: take(4),
        queue_capacity: take(5),
        cache_hit_rate: take(6),
        cache_hits: take(7),
        cache_misses: take(8),
    }
}

fuzz_target!(|data: &[u8]| {
    let split = data
        .iter()
        .position(|b| *b == switchyard_fuzz::SEPARATOR)
        .unwrap_or(data.len());
    let Ok(head) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let settings = settings(head);
    let _ = validate(&settings);
    let mut service = switchyard_fuzz::service(Profile::JsonMapping);
    service.settings = ProfileSettings::JsonMapping(Box::new(settings));
    switchyard_fuzz::read_service(&service, data.get(split + 1..).unwrap_or_default());
});
