//! Tracing to stderr and to a daily-rolling file in the user's data directory, so that
//! what happened during an incident can be read afterwards.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Keep a week of log files.
const LOG_FILES_KEPT: usize = 7;

/// Installs the subscriber. The returned guard flushes the file writer when dropped.
pub fn init(log_dir: Option<&Path>) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = fmt::layer().with_writer(std::io::stderr).with_target(false);
    let file = log_dir.and_then(|dir| {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!(
                "switchyard: logging to stderr only: cannot create {}: {e}",
                dir.display()
            );
            return None;
        }
        RollingFileAppender::builder()
            .rotation(Rotation::DAILY)
            .filename_prefix("switchyard")
            .filename_suffix("log")
            .max_log_files(LOG_FILES_KEPT)
            .build(dir)
            .map_err(|e| {
                eprintln!(
                    "switchyard: logging to stderr only: cannot open {}: {e}",
                    dir.display()
                )
            })
            .ok()
    });
    match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .with(fmt::layer().with_writer(writer).with_ansi(false))
                .init();
            Some(guard)
        }
        None => {
            tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .init();
            None
        }
    }
}
