//! The configuration reader (`Config::parse`, every key: storage, defaults, services
//! with headers, streams, `[service.prometheus]` and `[service.mapping]`, alert rules)
//! on any text: a configuration is accepted or refused with a `ConfigError`, never a
//! panic. A configuration is UTF-8 text, so other inputs are skipped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_core::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::parse(text) {
        // What validation promises: polls of a service never overlap.
        for service in &config.services {
            assert!(service.timeout < service.poll_interval, "{service:?}");
        }
    }
});
