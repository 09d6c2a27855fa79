//! Switchyard's core: everything the console does, with no Tauri and no display, so it
//! compiles and tests anywhere. The desktop shell and the CLI are thin layers over it:
//! both start a [`console::Console`] and forward to it.
//!
//! # A map of the modules
//!
//! The data path, in order:
//!
//! - [`config`]: the TOML configuration, strict (unknown keys are errors); [`units`]
//!   reads its durations and sizes; [`secrets`] resolves its header references.
//! - [`console`]: the one composition root: opens the [`store`], restores alert state,
//!   starts the sources and the [`engine`], and runs actions and snapshot exports.
//! - [`sources`]: where news comes from: HTTP polls ([`sources::poller`], on a
//!   [`backoff`] schedule), profile detection, WebSocket streams ([`sources::ws`]).
//! - [`engines`]: the team's engines (Prometheus-compatible query APIs) as a source:
//!   a few aggregated queries per refresh for the whole fleet, sent on the ingress
//!   like poll rounds. Not [`engine`], which owns the live state.
//! - [`discovery`]: a service's instances from a static list or DNS (A/AAAA, SRV),
//!   re-resolved on a refresh; [`sources::replicas`] polls each instance on its own and
//!   the engine combines them ([`model::aggregate`]: "open on 1 of 3 instances").
//! - [`profiles`]: one reader per contract: an HTTP answer becomes [`model`] values.
//! - [`ingress`]: the one channel every source sends its news on.
//! - [`engine`]: owns the live state ([`model::ServiceState`]), applies each piece of
//!   news in one function, asks [`transitions`] which breaker changes it makes, feeds
//!   the alert [`alerts`] evaluator and the [`store`] writer.
//! - [`feed`]: the fleet as a subscription (the whole state once, then what changed);
//!   the window, `watch` and action verification read it.
//! - [`store`]: the SQLite history: one writer, roll-ups, retention, range reads.
//! - [`alerts`]: rules, the evaluator, acknowledge and silence (pure);
//!   [`alert_notices`]: what the desktop shows of them (panel news, notification
//!   wording, tray colour).
//! - [`alertmanager`]: the team's Alertmanager: its alerts and silences read, and
//!   acknowledgements shared through it as `ACK!` silences.
//! - [`actions`]: breaker resets and cache clears: plan, execute once, verify.
//! - [`dashboard`]: the dashboard's charts and timelines assembled from the history;
//!   [`charts`] draws them (SVG, plotters); [`snapshot`] exports an incident file.
//!
//! Around them: [`clock`] (injected time), [`operator`] (who is at the keyboard),
//! [`dirs`] (where files live), [`preferences`] (theme and range), [`session`] (what the
//! header shows), [`summary`] (the fleet in one line), [`bindings`] (the TypeScript twins
//! of the types the window receives), [`ipc_error`] (every error the window may see, with
//! the stable code it branches on).
//!
//! No module imports another in a cycle: `scripts/check-module-cycles.py` checks it.

pub mod actions;
pub mod alert_notices;
pub mod alertmanager;
pub mod alerts;
pub mod backoff;
pub mod bindings;
pub mod charts;
pub mod clock;
pub mod config;
pub mod console;
pub mod dashboard;
pub mod dirs;
pub mod discovery;
pub mod engine;
pub mod engines;
pub mod feed;
pub mod ingress;
pub mod ipc_error;
pub mod model;
pub mod operator;
pub mod preferences;
pub mod profiles;
pub mod secrets;
pub mod session;
pub mod snapshot;
pub mod sources;
pub mod store;
pub mod summary;
pub mod transitions;
pub mod units;
