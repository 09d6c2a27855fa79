//! The `[alertmanager]` section: where the team's Alertmanager is, how Switchyard
//! authenticates to it (headers by reference, as for services), and what an
//! acknowledgement is there (a silence on the stable labels, lasting `ack_for`). Kept
//! apart from `raw.rs` so the engines' sections and this one grow without touching
//! each other.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::source::Source;
use super::{AlertmanagerConfig, ConfigError};
use crate::secrets::HeaderSource;

/// An acknowledgement lasts this long unless the file says otherwise (renewed while the
/// alert fires and Switchyard runs).
const DEFAULT_ACK_FOR: Duration = Duration::from_secs(3600);
const DEFAULT_REFRESH: Duration = Duration::from_secs(15);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Alertmanager's alert list for a large team is a few MB at most.
const DEFAULT_MAX_BODY: u64 = 8 << 20;
/// Reading Alertmanager faster than this only loads it.
const MIN_REFRESH: Duration = Duration::from_secs(1);
/// A renewal needs time to happen before the silence ends.
const MIN_ACK_FOR: Duration = Duration::from_secs(60);

/// The labels that stay the same for the life of an alert: never a pod or an instance.
pub(super) fn default_ack_labels() -> Vec<String> {
    ["alertname", "job", "name"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlertmanager {
    url: Spanned<String>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    ack_for: Option<Spanned<String>>,
    ack_labels: Option<Spanned<Vec<String>>>,
    refresh: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<String>>,
}

pub(super) fn validate_alertmanager(
    source: &Source,
    spanned: Option<&Spanned<RawAlertmanager>>,
) -> Result<Option<AlertmanagerConfig>, ConfigError> {
    let Some(spanned) = spanned else {
        return Ok(None);
    };
    let raw = spanned.get_ref();
    let text = raw.url.get_ref().trim();
    let url = reqwest::Url::parse(text).map_err(|e| {
        source.error_at(
            &raw.url,
            format!("alertmanager: url `{text}` is not a URL ({e})"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(source.error_at(
            &raw.url,
            "alertmanager: url must start with http:// or https://".into(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(source.error_at(
            &raw.url,
            "alertmanager: url must not contain credentials; send them as a header".into(),
        ));
    }
    let mut headers = Vec::with_capacity(raw.headers.len());
    for (header, value) in &raw.headers {
        if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
            return Err(source.error_at(
                value,
                format!("alertmanager: `{header}` is not a header name"),
            ));
        }
        let parsed = HeaderSource::parse(header, value.get_ref())
            .map_err(|e| source.error_at(value, format!("alertmanager: {e}")))?;
        headers.push((header.clone(), parsed));
    }
    let ack_for = source
        .optional_duration(raw.ack_for.as_ref(), "alertmanager.ack_for")?
        .unwrap_or(DEFAULT_ACK_FOR);
    if ack_for < MIN_ACK_FOR {
        let at = raw.ack_for.as_ref().unwrap_or(spanned_key(spanned));
        return Err(source.error_at(
            at,
            "alertmanager: ack_for must be at least 1m, so it can be renewed before it ends".into(),
        ));
    }
    let refresh = source
        .optional_duration(raw.refresh.as_ref(), "alertmanager.refresh")?
        .unwrap_or(DEFAULT_REFRESH);
    if refresh < MIN_REFRESH {
        let at = raw.refresh.as_ref().unwrap_or(spanned_key(spanned));
        return Err(source.error_at(at, "alertmanager: refresh must be at least 1s".into()));
    }
    let timeout = source
        .optional_duration(raw.timeout.as_ref(), "alertmanager.timeout")?
        .unwrap_or(DEFAULT_TIMEOUT.min(refresh.mul_f64(0.8)));
    let max_body_bytes = source
        .optional_size(raw.max_body.as_ref(), "alertmanager.max_body")?
        .unwrap_or(DEFAULT_MAX_BODY);
    let ack_labels = match &raw.ack_labels {
        None => default_ack_labels(),
        Some(labels) => {
            let list: Vec<String> = labels
                .get_ref()
                .iter()
                .map(|l| l.trim().to_string())
                .collect();
            if list.is_empty() {
                return Err(source.error_at(
                    labels,
                    "alertmanager: ack_labels must name at least one label (alertname, say)".into(),
                ));
            }
            if let Some(bad) = list.iter().find(|l| !is_label_name(l)) {
                return Err(source.error_at(
                    labels,
                    format!("alertmanager: ack_labels: `{bad}` is not a label name"),
                ));
            }
            list
        }
    };
    Ok(Some(AlertmanagerConfig {
        url: text.trim_end_matches('/').to_string(),
        headers,
        ack_for,
        ack_labels,
        refresh,
        timeout,
        max_body_bytes,
    }))
}

/// Where an error about a missing key points: the section's url (its first line).
fn spanned_key(spanned: &Spanned<RawAlertmanager>) -> &Spanned<String> {
    &spanned.get_ref().url
}

/// Prometheus label names: `[a-zA-Z_][a-zA-Z0-9_]*`.
fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::Config;

    const SERVICE: &str = "[[service]]\nname = \"orders\"\nbase_url = \"http://127.0.0.1:8001\"\n";

    fn parse(section: &str) -> Result<Config, crate::config::ConfigError> {
        Config::parse(&format!("{SERVICE}\n[alertmanager]\n{section}"))
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let config = parse("url = \"http://127.0.0.1:9093/\"\n").unwrap();
        let am = config.alertmanager.unwrap();
        assert_eq!(am.url, "http://127.0.0.1:9093");
        assert_eq!(am.ack_for, Duration::from_secs(3600));
        assert_eq!(am.ack_labels, ["alertname", "job", "name"]);
        assert_eq!(am.refresh, Duration::from_secs(15));
        assert_eq!(am.timeout, Duration::from_secs(5));
        assert!(am.headers.is_empty());
        assert_eq!(Config::parse(SERVICE).unwrap().alertmanager, None);
    }

    #[test]
    fn an_unknown_key_names_its_line_and_the_key_meant() {
        let err =
            parse("url = \"http://127.0.0.1:9093\"\nack_lables = [\"alertname\"]\n").unwrap_err();
        assert_eq!(err.line, Some(7), "{err}");
        assert!(err.message.contains("did you mean `ack_labels`"), "{err}");
    }

    #[test]
    fn bad_values_are_refused_where_they_are() {
        let cases = [
            ("url = \"ftp://am\"\n", "http:// or https://"),
            ("url = \"http://u:p@am\"\n", "credentials"),
            ("url = \"http://am\"\nack_for = \"10s\"\n", "at least 1m"),
            (
                "url = \"http://am\"\nack_labels = []\n",
                "at least one label",
            ),
            (
                "url = \"http://am\"\nack_labels = [\"pod-name\"]\n",
                "`pod-name` is not a label name",
            ),
            ("url = \"http://am\"\nrefresh = \"100ms\"\n", "at least 1s"),
            (
                "url = \"http://am\"\nheaders = { Authorization = \"hunter2\" }\n",
                "env:NAME",
            ),
        ];
        for (section, expected) in cases {
            let err = parse(section).unwrap_err();
            assert!(err.message.contains(expected), "{section}: {err}");
            assert!(err.line.is_some_and(|l| l >= 5), "{section}: {err}");
        }
    }

    #[test]
    fn headers_are_references() {
        let am = parse("url = \"http://am\"\nheaders = { Authorization = \"env:AM_TOKEN\" }\n")
            .unwrap()
            .alertmanager
            .unwrap();
        assert_eq!(am.headers.len(), 1);
        assert_eq!(am.headers[0].1.describe(), "env:AM_TOKEN");
    }
}
