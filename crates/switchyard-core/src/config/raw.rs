//! The configuration as written (every key, with its position), and its validation into
//! [`Config`]. Keeping the raw shape separate lets every error point at a line.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::alertmanager_section::{validate_alertmanager, RawAlertmanager};
use super::engines::{validate_engines, RawEngine};
use super::instances_section::{validate_instances, RawDiscover, RawInstances};
use super::profile_sections::{validate_mapping, validate_prometheus, RawMapping, RawPrometheus};
use super::source::Source;
use super::suggest::closest;
use super::{Config, ConfigError, ServiceConfig, StorageConfig, StreamConfig};
use crate::alerts::{Rule, RuleField, RuleOrigin, RuleSpec, SelectSpec};
use crate::profiles::Profile;
use crate::profiles::ProfileSettings;
use crate::secrets::HeaderSource;
use crate::units::{parse_duration, parse_size};

const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_MAX_BODY: u64 = 1 << 20;
/// Polling faster than this is a load test, not monitoring.
const MIN_POLL_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// Who the audit log and acknowledgements name (else the OS user).
    operator: Option<Spanned<String>>,
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    service: Vec<RawService>,
    #[serde(default)]
    alert: Vec<RawAlert>,
    /// The team's Alertmanager (`[alertmanager]`), when there is one.
    alertmanager: Option<Spanned<RawAlertmanager>>,
    #[serde(default)]
    engine: Vec<RawEngine>,
}

/// One `[[alert]]`: the text form of a rule ([`RuleSpec`]) with positions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlert {
    name: Spanned<String>,
    select: Spanned<SelectSpec>,
    when: Spanned<String>,
    #[serde(rename = "for")]
    for_duration: Option<Spanned<String>>,
    recover: Option<Spanned<String>>,
    keep_firing: Option<Spanned<String>>,
    severity: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    path: Option<Spanned<String>>,
    raw_retention: Option<Spanned<String>>,
    minute_retention: Option<Spanned<String>>,
    hour_retention: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    poll_interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    name: Spanned<String>,
    base_url: Option<Spanned<String>>,
    instances: Option<Spanned<Vec<String>>>,
    discover: Option<Spanned<RawDiscover>>,
    quorum: Option<Spanned<u32>>,
    profile: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<String>,
    poll_interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<String>>,
    allow_actions: Option<bool>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    prometheus: Option<Spanned<RawPrometheus>>,
    mapping: Option<Spanned<RawMapping>>,
    #[serde(default)]
    stream: Vec<Spanned<RawStream>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStream {
    path: String,
    #[serde(default)]
    subscribe: Vec<String>,
    heartbeat: Option<String>,
    max_message: Option<String>,
    max_rate: Option<u32>,
    reconnect_min: Option<String>,
    reconnect_max: Option<String>,
}

pub(super) fn parse(text: &str) -> Result<Config, ConfigError> {
    let source = Source { text };
    let raw: RawConfig = toml::from_str(text).map_err(|e| deserialize_error(&source, &e))?;

    let storage = validate_storage(&source, &raw.storage)?;
    let default_interval = source
        .optional_duration(
            raw.defaults.poll_interval.as_ref(),
            "defaults.poll_interval",
        )?
        .unwrap_or(DEFAULT_POLL_INTERVAL);
    let default_timeout =
        source.optional_duration(raw.defaults.timeout.as_ref(), "defaults.timeout")?;
    let default_max_body = source
        .optional_size(raw.defaults.max_body.as_ref(), "defaults.max_body")?
        .unwrap_or(DEFAULT_MAX_BODY);

    // Engines alone are a fleet: their services are discovered.
    if raw.service.is_empty() && raw.engine.is_empty() {
        return Err(ConfigError {
            file: None,
            line: None,
            message: "no services: add at least one [[service]] with name, base_url and profile, or an [[engine]] to read them from"
                .into(),
        });
    }
    let engines = validate_engines(&source, &raw.engine)?;

    let mut services: Vec<ServiceConfig> = Vec::with_capacity(raw.service.len());
    for raw_service in &raw.service {
        let service = validate_service(
            &source,
            raw_service,
            default_interval,
            default_timeout,
            default_max_body,
        )?;
        if services.iter().any(|s| s.name == service.name) {
            return Err(source.error_at(
                &raw_service.name,
                format!(
                    "service name `{}` is used twice; names must be unique",
                    service.name
                ),
            ));
        }
        services.push(service);
    }
    let alerts = validate_alerts(&source, &raw.alert, &services, !engines.is_empty())?;
    let alertmanager = validate_alertmanager(&source, raw.alertmanager.as_ref())?;
    let operator = match &raw.operator {
        Some(name) if name.get_ref().trim().is_empty() => {
            return Err(source.error_at(
                name,
                "operator must name someone, or be left out".to_string(),
            ));
        }
        Some(name) => Some(name.get_ref().trim().to_string()),
        None => None,
    };
    Ok(Config {
        operator,
        storage,
        services,
        alerts,
        alertmanager,
        engines,
    })
}

fn validate_alerts(
    source: &Source,
    raw: &[RawAlert],
    services: &[ServiceConfig],
    engines_discover: bool,
) -> Result<Vec<Rule>, ConfigError> {
    let mut rules: Vec<Rule> = Vec::with_capacity(raw.len());
    for alert in raw {
        let text = |v: &Option<Spanned<String>>| v.as_ref().map(|s| s.get_ref().clone());
        let spec = RuleSpec {
            name: alert.name.get_ref().clone(),
            select: alert.select.get_ref().clone(),
            when: alert.when.get_ref().clone(),
            for_duration: text(&alert.for_duration),
            recover: text(&alert.recover),
            keep_firing: text(&alert.keep_firing),
            severity: text(&alert.severity),
            description: text(&alert.description),
        };
        let rule = Rule::from_spec(&spec, RuleOrigin::Config).map_err(|e| {
            // Point at the key the error is about.
            let at = match e.field {
                RuleField::Name => Some(&alert.name),
                RuleField::Select => None,
                RuleField::When => Some(&alert.when),
                RuleField::For => alert.for_duration.as_ref(),
                RuleField::Recover => alert.recover.as_ref(),
                RuleField::KeepFiring => alert.keep_firing.as_ref(),
                RuleField::Severity => alert.severity.as_ref(),
                RuleField::Description => alert.description.as_ref(),
            };
            match at {
                Some(spanned) => source.error_at(spanned, e.to_string()),
                None => source.error_at(&alert.select, e.to_string()),
            }
        })?;
        if let Some(service) = &rule.selector.services.service {
            // With an engine, services are discovered at run time: any name may come.
            if !engines_discover && !services.iter().any(|s| &s.name == service) {
                let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
                let hint = match closest(service, &names) {
                    Some(name) => format!("; did you mean `{name}`?"),
                    None => format!("; configured: {}", names.join(", ")),
                };
                return Err(source.error_at(
                    &alert.select,
                    format!(
                        "alert `{}`: select: `{service}` is not a configured service{hint}",
                        rule.name
                    ),
                ));
            }
        }
        if rules.iter().any(|r| r.name == rule.name) {
            return Err(source.error_at(
                &alert.name,
                format!(
                    "alert name `{}` is used twice; names must be unique",
                    rule.name
                ),
            ));
        }
        rules.push(rule);
    }
    Ok(rules)
}

const DAY: Duration = Duration::from_secs(86_400);

/// `[storage]` as it is when the file says nothing about it.
pub(super) fn default_storage() -> StorageConfig {
    StorageConfig {
        path: PathBuf::from("history.db"),
        raw_retention: 2 * DAY,
        minute_retention: 30 * DAY,
        hour_retention: 400 * DAY,
    }
}

fn validate_storage(source: &Source, raw: &RawStorage) -> Result<StorageConfig, ConfigError> {
    let defaults = default_storage();
    Ok(StorageConfig {
        path: raw
            .path
            .as_ref()
            .map(|p| PathBuf::from(p.get_ref()))
            .unwrap_or(defaults.path),
        raw_retention: source
            .optional_duration(raw.raw_retention.as_ref(), "storage.raw_retention")?
            .unwrap_or(defaults.raw_retention),
        minute_retention: source
            .optional_duration(raw.minute_retention.as_ref(), "storage.minute_retention")?
            .unwrap_or(defaults.minute_retention),
        hour_retention: source
            .optional_duration(raw.hour_retention.as_ref(), "storage.hour_retention")?
            .unwrap_or(defaults.hour_retention),
    })
}

fn validate_service(
    source: &Source,
    raw: &RawService,
    default_interval: Duration,
    default_timeout: Option<Duration>,
    default_max_body: u64,
) -> Result<ServiceConfig, ConfigError> {
    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(source.error_at(&raw.name, "service name is empty".into()));
    }
    let instances = RawInstances {
        base_url: raw.base_url.as_ref(),
        instances: raw.instances.as_ref(),
        discover: raw.discover.as_ref(),
        quorum: raw.quorum.as_ref(),
        name_at: &raw.name,
    };
    let (base_url, instances, quorum) = validate_instances(source, instances, &name, |url| {
        validate_base_url(source, url, &name)
    })?;
    // No profile: the poller detects it at start and logs what it found.
    let profile = raw
        .profile
        .as_ref()
        .map(|word| {
            Profile::from_name(word.get_ref())
                .map_err(|e| source.error_at(word, format!("service `{name}`: {e}")))
        })
        .transpose()?;
    let poll_interval = source
        .optional_duration(raw.poll_interval.as_ref(), "poll_interval")?
        .unwrap_or(default_interval);
    if poll_interval < MIN_POLL_INTERVAL {
        let at = raw.poll_interval.as_ref().unwrap_or(&raw.name);
        return Err(source.error_at(
            at,
            format!("service `{name}`: poll_interval must be at least 100ms"),
        ));
    }
    let timeout = match source.optional_duration(raw.timeout.as_ref(), "timeout")? {
        Some(timeout) if timeout >= poll_interval => {
            let at = raw.timeout.as_ref().unwrap_or(&raw.name);
            return Err(source.error_at(
                at,
                format!(
                    "service `{name}`: timeout ({}) must be shorter than poll_interval ({})",
                    humantime::format_duration(timeout),
                    humantime::format_duration(poll_interval)
                ),
            ));
        }
        Some(timeout) => timeout,
        // A default timeout never reaches the interval: polls must not overlap.
        None => default_timeout
            .unwrap_or(DEFAULT_TIMEOUT)
            .min(poll_interval.mul_f64(0.8)),
    };
    let max_body_bytes = source
        .optional_size(raw.max_body.as_ref(), "max_body")?
        .unwrap_or(default_max_body);
    let mut headers = Vec::with_capacity(raw.headers.len());
    for (header, value) in &raw.headers {
        if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(source.error_at(
                value,
                format!("service `{name}`: `{header}` is not a header name"),
            ));
        }
        let parsed = HeaderSource::parse(header, value.get_ref())
            .map_err(|e| source.error_at(value, format!("service `{name}`: {e}")))?;
        headers.push((header.clone(), parsed));
    }
    let prometheus = validate_prometheus(source, raw.prometheus.as_ref(), profile, &name)?;
    let mapping = validate_mapping(source, raw.mapping.as_ref(), profile, &name)?;
    if profile == Some(Profile::JsonMapping) && mapping.is_none() {
        return Err(source.error_at(
            &raw.name,
            format!("service `{name}`: the json-mapping profile needs a [service.mapping] section"),
        ));
    }
    let streams = raw
        .stream
        .iter()
        .map(|stream| validate_stream(source, stream, &name))
        .collect::<Result<_, _>>()?;
    Ok(ServiceConfig {
        name,
        base_url,
        instances,
        quorum,
        profile,
        tags: raw.tags.clone(),
        poll_interval,
        timeout,
        max_body_bytes,
        allow_actions: raw.allow_actions.unwrap_or(true),
        headers,
        settings: match (prometheus, mapping) {
            (Some(prometheus), _) => ProfileSettings::Prometheus(prometheus),
            (None, Some(mapping)) => ProfileSettings::JsonMapping(Box::new(mapping)),
            (None, None) => ProfileSettings::None,
        },
        streams,
    })
}

fn validate_stream(
    source: &Source,
    spanned: &Spanned<RawStream>,
    name: &str,
) -> Result<StreamConfig, ConfigError> {
    let raw = spanned.get_ref();
    let fail = |message: String| {
        source.error_at(
            spanned,
            format!("service `{name}`: stream {}: {message}", raw.path),
        )
    };
    if !raw.path.starts_with('/') {
        return Err(fail("path must start with /".into()));
    }
    let mut stream = StreamConfig::new(&raw.path);
    stream.subscribe.clone_from(&raw.subscribe);
    let duration = |text: &Option<String>, key: &str| -> Result<Option<Duration>, ConfigError> {
        text.as_deref()
            .map(|t| parse_duration(t).map_err(|e| fail(format!("{key}: {e}"))))
            .transpose()
    };
    if let Some(heartbeat) = duration(&raw.heartbeat, "heartbeat")? {
        stream.heartbeat = heartbeat;
    }
    if let Some(size) = &raw.max_message {
        stream.max_message_bytes =
            parse_size(size).map_err(|e| fail(format!("max_message: {e}")))?;
    }
    if let Some(rate) = raw.max_rate {
        stream.max_messages_per_second = rate.max(1);
    }
    if let Some(min) = duration(&raw.reconnect_min, "reconnect_min")? {
        stream.reconnect.min = min;
    }
    if let Some(max) = duration(&raw.reconnect_max, "reconnect_max")? {
        stream.reconnect.max = max;
    }
    if stream.reconnect.min.is_zero() || stream.reconnect.max < stream.reconnect.min {
        return Err(fail(
            "reconnect_min must be above zero and at most reconnect_max".into(),
        ));
    }
    Ok(stream)
}

fn validate_base_url(
    source: &Source,
    raw: &Spanned<String>,
    name: &str,
) -> Result<String, ConfigError> {
    let text = raw.get_ref().trim();
    let url = reqwest::Url::parse(text).map_err(|e| {
        source.error_at(
            raw,
            format!("service `{name}`: base_url `{text}` is not a URL ({e})"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(source.error_at(
            raw,
            format!("service `{name}`: base_url must start with http:// or https://"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials in a URL end up in logs and snapshots; headers with references don't.
        return Err(source.error_at(
            raw,
            format!(
                "service `{name}`: base_url must not contain credentials; send them as a header"
            ),
        ));
    }
    Ok(text.trim_end_matches('/').to_string())
}

/// Turns a TOML or serde error into one with a line and, for an unknown key, a suggestion.
fn deserialize_error(source: &Source, error: &toml::de::Error) -> ConfigError {
    let line = error.span().map(|span| source.line_of(span.start));
    let message = error.message().trim().to_string();
    ConfigError {
        file: None,
        line,
        message: with_suggestion(&message),
    }
}

/// serde says "unknown field `x`, expected one of `a`, `b`"; add "did you mean `a`?".
fn with_suggestion(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    match closest(unknown, &known) {
        Some(suggestion) => format!("unknown key `{unknown}`; did you mean `{suggestion}`?"),
        None => format!(
            "unknown key `{unknown}`; known keys here: {}",
            known.join(", ")
        ),
    }
}
