//! The `emergency-controls` reader on any sequence of answers from any of its endpoints:
//! it must refuse what it cannot read with a `ParseError`, never panic or allocate
//! beyond the bound. See `switchyard_fuzz` for the input format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_core::profiles::Profile;

fuzz_target!(|data: &[u8]| switchyard_fuzz::read_profile(Profile::EmergencyControls, data));
