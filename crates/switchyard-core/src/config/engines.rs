//! `[[engine]]`: a Prometheus-compatible query API (Prometheus, Thanos, Mimir, Cortex,
//! VictoriaMetrics) the console reads the team's fleet from instead of polling every
//! service itself (docs/configuration.md, "[[engine]]"). Read and checked here, strict
//! like the rest: unknown keys are errors with their line, labels must be label names,
//! the selector must be a `{…}` matcher list, secrets go in headers by reference.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::source::Source;
use super::ConfigError;
use crate::profiles::Profile;
use crate::secrets::HeaderSource;

/// How often an engine is read when the configuration does not say.
const DEFAULT_REFRESH: Duration = Duration::from_secs(15);
/// Reading an engine more often than this is a load test of the engine.
const MIN_REFRESH: Duration = Duration::from_secs(1);
/// The longest a refresh's queries may take, when the configuration does not say.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The cap on one answer: a whole fleet's series fit; a runaway query does not.
const DEFAULT_MAX_BODY: u64 = 32 << 20;

/// One `[[engine]]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Unique among engines; shown beside every service it reports and in its banner.
    pub name: String,
    /// The API's root without a trailing slash, a prefix included (Mimir and Cortex:
    /// `…/prometheus`); `/api/v1/query` is appended.
    pub url: String,
    /// Sent with every query, by reference (`X-Scope-OrgID` for a Mimir tenant).
    pub headers: Vec<(String, HeaderSource)>,
    /// The matchers inside the configured `{…}`, merged into every query; `None`: all
    /// series the engine holds.
    pub selector: Option<String>,
    /// The label that names a service.
    pub service_label: String,
    /// The label that names an instance of a service.
    pub instance_label: String,
    /// How often current values are read.
    pub refresh: Duration,
    /// The deadline of one query.
    pub timeout: Duration,
    /// The cap on one answer's body.
    pub max_body_bytes: u64,
    /// Thanos Querier's `dedup` parameter, sent when set.
    pub dedup: Option<bool>,
    /// Thanos Querier's `partial_response` parameter, sent when set.
    pub partial_response: Option<bool>,
    /// Where an instance's actions go; `None`: the engine's services are read-only.
    pub actions: Option<EngineActions>,
}

/// `actions = { profile, base_url }` of an engine.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineActions {
    /// The contract the instances speak for actions.
    pub profile: Profile,
    /// A URL template with `{instance}` standing for the instance label's value.
    pub base_url: String,
}

impl EngineActions {
    /// The base URL of one instance's actions, without a trailing slash.
    pub fn base_url_for(&self, instance: &str) -> String {
        self.base_url
            .replace("{instance}", instance)
            .trim_end_matches('/')
            .to_string()
    }
}

impl EngineConfig {
    /// An engine at `url` with every default, for tests and probes.
    pub fn new(name: &str, url: &str) -> EngineConfig {
        EngineConfig {
            name: name.to_string(),
            url: url.trim_end_matches('/').to_string(),
            headers: Vec::new(),
            selector: None,
            service_label: "job".to_string(),
            instance_label: "instance".to_string(),
            refresh: DEFAULT_REFRESH,
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY,
            dedup: None,
            partial_response: None,
            actions: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEngine {
    name: Spanned<String>,
    url: Spanned<String>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    selector: Option<Spanned<String>>,
    service_label: Option<Spanned<String>>,
    instance_label: Option<Spanned<String>>,
    refresh: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<String>>,
    dedup: Option<bool>,
    partial_response: Option<bool>,
    actions: Option<Spanned<RawEngineActions>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEngineActions {
    profile: String,
    base_url: String,
}

/// Every `[[engine]]`, checked; names unique.
pub(super) fn validate_engines(
    source: &Source,
    raw: &[RawEngine],
) -> Result<Vec<EngineConfig>, ConfigError> {
    let mut engines: Vec<EngineConfig> = Vec::with_capacity(raw.len());
    for raw_engine in raw {
        let engine = validate_engine(source, raw_engine)?;
        if engines.iter().any(|e| e.name == engine.name) {
            return Err(source.error_at(
                &raw_engine.name,
                format!(
                    "engine name `{}` is used twice; names must be unique",
                    engine.name
                ),
            ));
        }
        engines.push(engine);
    }
    Ok(engines)
}

fn validate_engine(source: &Source, raw: &RawEngine) -> Result<EngineConfig, ConfigError> {
    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(source.error_at(&raw.name, "engine name is empty".into()));
    }
    let url = validate_url(source, &raw.url, &name)?;
    let mut engine = EngineConfig::new(&name, &url);
    for (header, value) in &raw.headers {
        if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(source.error_at(
                value,
                format!("engine `{name}`: `{header}` is not a header name"),
            ));
        }
        let parsed = HeaderSource::parse(header, value.get_ref())
            .map_err(|e| source.error_at(value, format!("engine `{name}`: {e}")))?;
        engine.headers.push((header.clone(), parsed));
    }
    if let Some(selector) = &raw.selector {
        engine.selector = parse_selector(selector.get_ref())
            .map_err(|e| source.error_at(selector, format!("engine `{name}`: selector: {e}")))?;
    }
    for (raw_label, slot, key) in [
        (
            &raw.service_label,
            &mut engine.service_label,
            "service_label",
        ),
        (
            &raw.instance_label,
            &mut engine.instance_label,
            "instance_label",
        ),
    ] {
        if let Some(label) = raw_label {
            if !is_label_name(label.get_ref()) {
                return Err(source.error_at(
                    label,
                    format!(
                        "engine `{name}`: {key} `{}` is not a label name (letters, digits and _, not starting with a digit)",
                        label.get_ref()
                    ),
                ));
            }
            label.get_ref().clone_into(slot);
        }
    }
    if engine.service_label == engine.instance_label {
        let at = raw.instance_label.as_ref().unwrap_or(&raw.name);
        return Err(source.error_at(
            at,
            format!("engine `{name}`: service_label and instance_label must differ"),
        ));
    }
    if let Some(refresh) = source.optional_duration(raw.refresh.as_ref(), "refresh")? {
        if refresh < MIN_REFRESH {
            let at = raw.refresh.as_ref().unwrap_or(&raw.name);
            return Err(
                source.error_at(at, format!("engine `{name}`: refresh must be at least 1s"))
            );
        }
        engine.refresh = refresh;
    }
    engine.timeout = match source.optional_duration(raw.timeout.as_ref(), "timeout")? {
        Some(timeout) if timeout >= engine.refresh => {
            let at = raw.timeout.as_ref().unwrap_or(&raw.name);
            return Err(source.error_at(
                at,
                format!("engine `{name}`: timeout must be shorter than refresh"),
            ));
        }
        Some(timeout) => timeout,
        None => DEFAULT_TIMEOUT.min(engine.refresh.mul_f64(0.8)),
    };
    if let Some(size) = source.optional_size(raw.max_body.as_ref(), "max_body")? {
        engine.max_body_bytes = size;
    }
    engine.dedup = raw.dedup;
    engine.partial_response = raw.partial_response;
    if let Some(spanned) = &raw.actions {
        let actions = spanned.get_ref();
        let profile = Profile::from_name(&actions.profile)
            .map_err(|e| source.error_at(spanned, format!("engine `{name}`: actions: {e}")))?;
        if !actions.base_url.contains("{instance}") {
            return Err(source.error_at(
                spanned,
                format!(
                    "engine `{name}`: actions: base_url must contain {{instance}}, e.g. \"http://{{instance}}\""
                ),
            ));
        }
        let example = actions.base_url.replace("{instance}", "host:8080");
        let parsed = reqwest::Url::parse(&example).map_err(|e| {
            source.error_at(
                spanned,
                format!("engine `{name}`: actions: base_url is not a URL ({e})"),
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(source.error_at(
                spanned,
                format!("engine `{name}`: actions: base_url must start with http:// or https://"),
            ));
        }
        engine.actions = Some(EngineActions {
            profile,
            base_url: actions.base_url.clone(),
        });
    }
    Ok(engine)
}

fn validate_url(source: &Source, raw: &Spanned<String>, name: &str) -> Result<String, ConfigError> {
    let text = raw.get_ref().trim();
    let url = reqwest::Url::parse(text).map_err(|e| {
        source.error_at(
            raw,
            format!("engine `{name}`: url `{text}` is not a URL ({e})"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(source.error_at(
            raw,
            format!("engine `{name}`: url must start with http:// or https://"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(source.error_at(
            raw,
            format!("engine `{name}`: url must not contain credentials; send them as a header"),
        ));
    }
    if url.query().is_some() {
        return Err(source.error_at(
            raw,
            format!("engine `{name}`: url must not have a query; the API's path is appended to it"),
        ));
    }
    Ok(text.trim_end_matches('/').to_string())
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, Prometheus's label names.
pub fn is_label_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `{a="b", c=~"d"}` → the matchers inside, `a="b", c=~"d"`; `{}` → none. Checks the
/// shape (braces, label names, an operator, a quoted value) so a typo fails at load
/// rather than as a `bad_data` answer at every refresh.
fn parse_selector(text: &str) -> Result<Option<String>, String> {
    let trimmed = text.trim();
    let inner = trimmed
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .ok_or_else(|| {
            format!("`{trimmed}` must be label matchers in braces, e.g. {{namespace=\"payments\"}}")
        })?
        .trim();
    if inner.is_empty() {
        return Ok(None);
    }
    let mut rest = inner;
    loop {
        let label_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let label = &rest[..label_end];
        if !is_label_name(label) {
            return Err(format!("`{inner}`: expected a label name at `{rest}`"));
        }
        rest = rest[label_end..].trim_start();
        let operator = ["=~", "!~", "!=", "="]
            .into_iter()
            .find(|op| rest.starts_with(op))
            .ok_or_else(|| format!("`{inner}`: expected =, !=, =~ or !~ after `{label}`"))?;
        rest = rest[operator.len()..].trim_start();
        let quote = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\'' | '`'))
            .ok_or_else(|| format!("`{inner}`: the value of `{label}` must be quoted"))?;
        let mut escaped = false;
        let mut end = None;
        for (i, c) in rest.char_indices().skip(1) {
            match c {
                '\\' if !escaped => escaped = true,
                c if c == quote && !escaped => {
                    end = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let end = end.ok_or_else(|| format!("`{inner}`: the value of `{label}` is not closed"))?;
        rest = rest[end + 1..].trim_start();
        if rest.is_empty() {
            break;
        }
        rest = rest
            .strip_prefix(',')
            .ok_or_else(|| format!("`{inner}`: expected a comma at `{rest}`"))?
            .trim_start();
        if rest.is_empty() {
            break;
        }
    }
    Ok(Some(inner.trim_end_matches(',').trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_keep_their_matchers_and_refuse_typos() {
        assert_eq!(
            parse_selector(r#"{namespace="payments", env=~"prod|staging"}"#).unwrap(),
            Some(r#"namespace="payments", env=~"prod|staging""#.to_string())
        );
        assert_eq!(parse_selector("{}").unwrap(), None);
        assert_eq!(
            parse_selector(r#"{a="x,}y",}"#).unwrap(),
            Some(r#"a="x,}y""#.to_string())
        );
        for bad in [
            r#"namespace="payments""#,
            r#"{namespace=payments}"#,
            r#"{1ns="a"}"#,
            r#"{ns~"a"}"#,
            r#"{ns="a" env="b"}"#,
            r#"{ns="a}"#,
        ] {
            assert!(parse_selector(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn action_urls_put_the_instance_in_place() {
        let actions = EngineActions {
            profile: Profile::BreakerRegistry,
            base_url: "http://{instance}/".into(),
        };
        assert_eq!(
            actions.base_url_for("10.0.0.5:8080"),
            "http://10.0.0.5:8080"
        );
    }
}
