//! Writes the Switchyard TOML configuration that points the console at a
//! running fleet. Hand-written rather than through the `toml` crate: the
//! shape is fixed and small, and only strings need care.

use std::fmt::Write;

use crate::internal_key::INTERNAL_KEY_ENV;
use crate::profile::Profile;
use crate::profiles::health_levels::INTERNAL_KEY_HEADER;
use crate::streams::settings::DEFAULT_PING_INTERVAL;
use crate::streams::StreamKind;
use crate::RunningService;

/// Fleet services named `NAME#N` are replicas of one service `NAME`: the
/// configuration lists them as that service's `instances`.
pub const REPLICA_MARK: char = '#';

/// The configuration for `services`, with `poll_interval` and `timeout`
/// as `[defaults]` (humane durations such as `"2s"`, passed through as given).
pub(crate) fn render(services: &[RunningService], poll_interval: &str, timeout: &str) -> String {
    let mut out = String::from(
        "# Switchyard configuration for a simulated fleet started by switchyard-fleet.\n",
    );
    // `write!` into a String cannot fail; the results are ignored for that reason.
    let _ = writeln!(out, "[defaults]");
    let _ = writeln!(out, "poll_interval = {}", string(poll_interval));
    let _ = writeln!(out, "timeout = {}", string(timeout));
    for (index, service) in services.iter().enumerate() {
        let tags: Vec<String> = service.tags.iter().map(|tag| string(tag)).collect();
        let replica_of = service.name.split_once(REPLICA_MARK).map(|(name, _)| name);
        let is_replica = |other: &RunningService, name: &str| {
            other.name.split_once(REPLICA_MARK).map(|(n, _)| n) == Some(name)
        };
        if let Some(name) = replica_of {
            if services[..index].iter().any(|s| is_replica(s, name)) {
                continue; // listed with the first replica
            }
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "[[service]]");
        match replica_of {
            Some(name) => {
                let urls: Vec<String> = services
                    .iter()
                    .filter(|s| is_replica(s, name))
                    .map(|s| string(&s.base_url))
                    .collect();
                let _ = writeln!(out, "name = {}", string(name));
                let _ = writeln!(out, "instances = [{}]", urls.join(", "));
            }
            None => {
                let _ = writeln!(out, "name = {}", string(&service.name));
                let _ = writeln!(out, "base_url = {}", string(&service.base_url));
            }
        }
        let _ = writeln!(out, "profile = {}", string(service.profile));
        let _ = writeln!(out, "tags = [{}]", tags.join(", "));
        if service.profile == Profile::HealthLevels.name() {
            // A reference to the key, never the key: it changes with every
            // fleet, and configurations hold no secrets.
            let _ = writeln!(
                out,
                "headers = {{ {} = {} }}",
                string(INTERNAL_KEY_HEADER),
                string(&format!("env:{INTERNAL_KEY_ENV}"))
            );
        }
        let kind = service.profile.parse().ok().and_then(StreamKind::of);
        if let Some(stream) = kind.map(StreamKind::config) {
            // Indented as a sub-table of the service; the heartbeat is the
            // interval the service pings at (until a test changes it).
            let _ = writeln!(out, "  [[service.stream]]");
            let _ = writeln!(out, "  path = {}", string(stream.path));
            if !stream.subscribe.is_empty() {
                let channels: Vec<String> = stream.subscribe.iter().map(|c| string(c)).collect();
                let _ = writeln!(out, "  subscribe = [{}]", channels.join(", "));
            }
            let heartbeat = format!("{}s", DEFAULT_PING_INTERVAL.as_secs());
            let _ = writeln!(out, "  heartbeat = {}", string(&heartbeat));
        }
    }
    out
}

/// The comment line the binary prints above the configuration, so a user
/// can export the key the configuration refers to.
pub(crate) fn export_line(key: &str) -> String {
    format!("# export {INTERNAL_KEY_ENV}={key}\n")
}

/// A TOML basic string: quoted, with quotes, backslashes and control
/// characters escaped as the TOML spec requires.
fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string("plain"), "\"plain\"");
        assert_eq!(string(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(string("line\nnext\ttab\u{1}"), r#""line\nnext\ttab\u0001""#);
        assert_eq!(string("ünïcode"), "\"ünïcode\"");
    }

    #[test]
    fn renders_the_documented_shape() {
        let services = [RunningService {
            name: "execution-service".to_owned(),
            profile: "health-contract",
            base_url: "http://127.0.0.1:40123".to_owned(),
            tags: vec!["demo".to_owned(), "trading".to_owned()],
        }];
        let expected = "\
# Switchyard configuration for a simulated fleet started by switchyard-fleet.
[defaults]
poll_interval = \"2s\"
timeout = \"1s\"

[[service]]
name = \"execution-service\"
base_url = \"http://127.0.0.1:40123\"
profile = \"health-contract\"
tags = [\"demo\", \"trading\"]
";
        assert_eq!(render(&services, "2s", "1s"), expected);
    }

    #[test]
    fn replicas_are_one_service_with_instances() {
        let replica = |name: &str, port: u16| RunningService {
            name: name.to_owned(),
            profile: "breaker-registry",
            base_url: format!("http://127.0.0.1:{port}"),
            tags: vec!["demo".to_owned()],
        };
        let services = [
            replica("ledger-api#1", 1),
            replica("trading-api", 2),
            replica("ledger-api#2", 3),
            replica("ledger-api#3", 4),
        ];
        let text = render(&services, "2s", "1s");
        assert!(
            text.contains(
                "[[service]]\nname = \"ledger-api\"\ninstances = [\"http://127.0.0.1:1\", \"http://127.0.0.1:3\", \"http://127.0.0.1:4\"]\nprofile = \"breaker-registry\"\ntags = [\"demo\"]\n  [[service.stream]]"
            ),
            "{text}"
        );
        assert_eq!(text.matches("[[service]]").count(), 2, "{text}");
        // Each instance follows the service's stream.
        assert_eq!(text.matches("[[service.stream]]").count(), 2, "{text}");
    }

    #[test]
    fn services_with_streams_list_their_breaker_stream() {
        let service = |name: &str, profile| RunningService {
            name: name.to_owned(),
            profile,
            base_url: "http://127.0.0.1:40125".to_owned(),
            tags: Vec::new(),
        };
        let services = [
            service("trading-api", "breaker-registry"),
            service("wallet-api", "emergency-controls"),
            service("trading-bot", "single-breaker"),
        ];
        let text = render(&services, "2s", "1s");
        assert!(
            text.contains(
                "tags = []\n  [[service.stream]]\n  path = \"/api/ws/breakers\"\n  subscribe = [\"breakers\"]\n  heartbeat = \"30s\"\n\n[[service]]\nname = \"wallet-api\""
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "tags = []\n  [[service.stream]]\n  path = \"/ws/breakers\"\n  heartbeat = \"30s\"\n\n[[service]]\nname = \"trading-bot\""
            ),
            "{text}"
        );
        assert_eq!(text.matches("[[service.stream]]").count(), 2);
    }

    #[test]
    fn health_levels_services_refer_to_the_key_by_environment_variable() {
        let services = [RunningService {
            name: "events-api".to_owned(),
            profile: "health-levels",
            base_url: "http://127.0.0.1:40124".to_owned(),
            tags: Vec::new(),
        }];
        let text = render(&services, "2s", "1s");
        assert!(
            text.ends_with(
                "tags = []\nheaders = { \"X-Internal-Key\" = \"env:SWITCHYARD_FLEET_INTERNAL_KEY\" }\n"
            ),
            "{text}"
        );
        assert_eq!(
            export_line("k"),
            "# export SWITCHYARD_FLEET_INTERNAL_KEY=k\n"
        );
    }
}
