//! One module per subcommand.

pub mod check_config;
pub mod history;
pub mod probe;
pub mod watch;
