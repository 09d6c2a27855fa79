//! Alertmanager's API v2 answers: a list of alerts and a list of silences (two documents
//! separated by a 0xFF byte), decoded as the client does and joined into what the window
//! shows; never a panic or an allocation beyond the bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_core::alertmanager::client::decode;
use switchyard_core::alertmanager::{team_alerts, GettableAlert, GettableSilence};

fuzz_target!(|data: &[u8]| {
    let mut documents = data.splitn(2, |b| *b == switchyard_fuzz::SEPARATOR);
    let alerts: Vec<GettableAlert> = documents
        .next()
        .and_then(|body| decode(body).ok())
        .unwrap_or_default();
    let silences: Vec<GettableSilence> = documents
        .next()
        .and_then(|body| decode(body).ok())
        .unwrap_or_default();
    let shown = team_alerts("alertmanager", &alerts, &silences, switchyard_fuzz::received_at());
    assert_eq!(shown.alerts.len(), alerts.len());
});
