//! One module per subcommand.

pub mod alerts;
pub mod check_config;
pub mod clear_cache;
pub mod engine_bench;
pub mod fleet;
pub mod history;
pub mod probe;
pub mod reset;
pub mod snapshot;
pub mod watch;
