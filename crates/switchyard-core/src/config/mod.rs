//! The TOML configuration (docs/configuration.md): services, their profile, poll timing,
//! storage and alert rules. Parsing is strict: an unknown key is an error naming its
//! line and the key that was probably meant, because a silently ignored typo in an
//! on-call tool means a service that is never watched.

mod alertmanager_section;
pub mod edit;
mod engines;
mod instances_section;
mod profile_sections;
mod raw;
mod source;
mod suggest;
pub mod watch;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::profiles::Profile;
use crate::profiles::ProfileSettings;
use crate::secrets::HeaderSource;

pub use engines::{is_label_name, EngineActions, EngineConfig};
pub use instances_section::InstanceSource;

/// Where the configuration came from; the demo runs when none was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    File(PathBuf),
    Demo,
}

/// Looks up the configuration in the documented order: the command line, then
/// `$SWITCHYARD_CONFIG`, then the user's config directory.
pub fn locate(
    cli: Option<&Path>,
    env: Option<&str>,
    user_config_dir: Option<&Path>,
) -> ConfigSource {
    if let Some(path) = cli {
        return ConfigSource::File(path.to_path_buf());
    }
    if let Some(path) = env.filter(|p| !p.is_empty()) {
        return ConfigSource::File(PathBuf::from(path));
    }
    if let Some(dir) = user_config_dir {
        let candidate = dir.join("switchyard.toml");
        if candidate.is_file() {
            return ConfigSource::File(candidate);
        }
    }
    ConfigSource::Demo
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `operator = "…"`: who the audit log and acknowledgements name, when the OS user
    /// is not the person (a shared on-call account).
    pub operator: Option<String>,
    pub storage: StorageConfig,
    pub services: Vec<ServiceConfig>,
    /// The `[[alert]]` rules, validated; the built-in ones are not included (see
    /// [`crate::alerts::with_defaults`]): a rule named like a default replaces it.
    pub alerts: Vec<crate::alerts::Rule>,
    /// `[alertmanager]`: the team's alerts and acknowledgements, when configured.
    pub alertmanager: Option<AlertmanagerConfig>,
    /// The `[[engine]]`s: query APIs the fleet is read from besides (or instead of)
    /// the configured services.
    pub engines: Vec<EngineConfig>,
}

/// `[alertmanager]` (docs/configuration.md): the team's Alertmanager.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertmanagerConfig {
    /// Without a trailing slash; `/api/v2/...` is appended.
    pub url: String,
    /// Headers sent with every request, by reference (see [`crate::secrets`]).
    pub headers: Vec<(String, HeaderSource)>,
    /// How long an acknowledgement's silence lasts; renewed while the alert fires.
    pub ack_for: Duration,
    /// The labels an acknowledgement matches, of those the alert has.
    pub ack_labels: Vec<String>,
    /// How often the alerts and silences are read.
    pub refresh: Duration,
    /// The deadline of one request.
    pub timeout: Duration,
    /// Larger answers are refused.
    pub max_body_bytes: u64,
}

impl AlertmanagerConfig {
    /// The documented defaults for an Alertmanager at `url`, for tests and tools.
    pub fn new(url: &str) -> AlertmanagerConfig {
        AlertmanagerConfig {
            url: url.trim_end_matches('/').to_string(),
            headers: Vec::new(),
            ack_for: Duration::from_secs(3600),
            ack_labels: alertmanager_section::default_ack_labels(),
            refresh: Duration::from_secs(15),
            timeout: Duration::from_secs(5),
            max_body_bytes: 8 << 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StorageConfig {
    /// As written; relative paths are resolved against the user's data directory.
    pub path: PathBuf,
    pub raw_retention: Duration,
    pub minute_retention: Duration,
    pub hour_retention: Duration,
}

impl StorageConfig {
    pub fn resolved_path(&self, data_dir: &Path) -> PathBuf {
        if self.path.is_absolute() {
            self.path.clone()
        } else {
            data_dir.join(&self.path)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceConfig {
    pub name: String,
    /// Always without a trailing slash, so endpoint paths can be appended. For a service
    /// of several instances, where they come from ("dns checkout.internal:8080"): each
    /// instance is polled at its own URL.
    pub base_url: String,
    /// One instance at `base_url`, a static list, or DNS.
    pub instances: InstanceSource,
    /// How many instances must be up for the service to be up; all of them when `None`.
    pub quorum: Option<u32>,
    /// `None`: detected when polling starts, and written in the log.
    pub profile: Option<Profile>,
    pub tags: Vec<String>,
    pub poll_interval: Duration,
    pub timeout: Duration,
    pub max_body_bytes: u64,
    pub allow_actions: bool,
    /// Headers sent with every request, by reference (see [`crate::secrets`]).
    pub headers: Vec<(String, HeaderSource)>,
    /// The profile's own section (`[service.prometheus]`, `[service.mapping]`).
    pub settings: ProfileSettings,
    /// WebSocket streams to subscribe to (`[[service.stream]]`).
    pub streams: Vec<StreamConfig>,
}

/// One `[[service.stream]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamConfig {
    /// Path on the service, e.g. `/api/ws/breakers`; `ws://` or `wss://` follows the base URL.
    pub path: String,
    /// Channels to subscribe to, each sent as `{"type":"subscribe","channel":…}`.
    pub subscribe: Vec<String>,
    /// How often the server speaks at least; silent for twice this means stale.
    pub heartbeat: Duration,
    /// Larger frames or messages are refused and counted.
    pub max_message_bytes: u64,
    /// More messages per second than this are dropped and counted (flooding).
    pub max_messages_per_second: u32,
    pub reconnect: crate::backoff::Backoff,
}

impl StreamConfig {
    pub fn new(path: &str) -> StreamConfig {
        StreamConfig {
            path: path.to_string(),
            subscribe: Vec::new(),
            heartbeat: Duration::from_secs(30),
            max_message_bytes: 1 << 20,
            max_messages_per_second: 500,
            reconnect: crate::backoff::Backoff::default(),
        }
    }
}

impl ServiceConfig {
    /// The same service, at one of its instances: what its poller is given.
    pub fn at_instance(&self, base_url: &str) -> ServiceConfig {
        ServiceConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            instances: InstanceSource::Single,
            quorum: None,
            ..self.clone()
        }
    }

    /// A service with the defaults of an empty `[defaults]`, for probes and tests.
    pub fn new(name: &str, base_url: &str, profile: Option<Profile>) -> ServiceConfig {
        ServiceConfig {
            name: name.to_string(),
            base_url: base_url.trim_end_matches('/').to_string(),
            instances: InstanceSource::Single,
            quorum: None,
            profile,
            tags: Vec::new(),
            poll_interval: Duration::from_secs(5),
            timeout: Duration::from_secs(4),
            max_body_bytes: 1 << 20,
            allow_actions: false,
            headers: Vec::new(),
            settings: ProfileSettings::None,
            streams: Vec::new(),
        }
    }
}

/// A configuration problem, with where it is and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ConfigError {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    pub message: String,
}

impl ConfigError {
    fn render(&self) -> String {
        let place = match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{}:{line}: ", file.display()),
            (Some(file), None) => format!("{}: ", file.display()),
            (None, Some(line)) => format!("line {line}: "),
            (None, None) => String::new(),
        };
        format!("{place}{}", self.message)
    }
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: Some(path.to_path_buf()),
            line: None,
            message: format!("cannot read the configuration: {e}"),
        })?;
        Config::parse(&text).map_err(|mut e| {
            e.file = Some(path.to_path_buf());
            e
        })
    }

    /// Parses and validates configuration text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        raw::parse(text)
    }

    /// A configuration that watches nothing, for a console on a history alone (a
    /// snapshot exported without a configuration file).
    pub fn history_only() -> Config {
        Config {
            operator: None,
            storage: raw::default_storage(),
            services: Vec::new(),
            alerts: Vec::new(),
            alertmanager: None,
            engines: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
