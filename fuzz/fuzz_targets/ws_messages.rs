//! The WebSocket message reader on any text frame (a text frame is UTF-8, so other
//! inputs are skipped): every frame is classified, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_core::sources::ws::messages::parse;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse(text);
    }
});
