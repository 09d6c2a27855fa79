//! `json-mapping` (docs/contracts.md): any JSON, described in the configuration with
//! RFC 9535 JSONPath expressions per normalised field.
//!
//! Expressions are compiled by `serde_json_path`, which implements RFC 9535 itself (not
//! one of the older, dialect-specific JSONPaths) and is maintained. They are compiled
//! once: [`validate`] at configuration load, so a bad one is reported with its config
//! line, and [`Reader::new`] for polling.
//!
//! Reading rules:
//! - a path that matches nothing leaves its field absent; a path that matches several
//!   values uses the first;
//! - a matched `null` counts as nothing matched;
//! - the status may be a string, a boolean or a number: its text is looked up in
//!   `status_words`, and words found there fall back to the usual health words;
//! - numbers may be JSON numbers or numeric strings (`"0.85"`), which legacy services
//!   send; anything else is a `wrong_type` error naming the field;
//! - within each breaker object, the name defaults to `$.name` and the state to
//!   `$.state`; a breaker without a name takes its key when the breakers path selects
//!   the members of an object (`$.breakers.*`).

use std::collections::BTreeMap;

use serde_json::Value;
use serde_json_path::{JsonPath, LocatedNode};

use super::json::describe;
use super::words::{breaker_state, fold, health_status};
use super::{Endpoint, ParseError, ProfileReader, Reading, Response};
use crate::model::{Breaker, BreakerState, Health, HealthStatus};

/// `[service.mapping]` in the configuration. Every path is a JSONPath (RFC 9535).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappingSettings {
    /// The endpoint to poll, e.g. `/status`.
    pub endpoint: String,
    /// Where the status word is.
    pub status: Option<String>,
    /// Which words mean ok, degraded and down (`ok`, `degraded`, `down` keys).
    pub status_words: BTreeMap<String, Vec<String>>,
    /// Where the breakers are (a path selecting objects), and within each breaker
    /// object the paths of its name and state.
    pub breakers: Option<String>,
    pub breaker_name: Option<String>,
    pub breaker_state: Option<String>,
    pub queue_depth: Option<String>,
    pub queue_capacity: Option<String>,
    pub cache_hit_rate: Option<String>,
    pub cache_hits: Option<String>,
    pub cache_misses: Option<String>,
}

/// The numeric fields and the standard series each one feeds.
const NUMBERS: &[(&str, &str)] = &[
    ("queue_depth", "queue.depth"),
    ("queue_capacity", "queue.capacity"),
    ("cache_hit_rate", "cache.hit_rate"),
    ("cache_hits", "cache.hits"),
    ("cache_misses", "cache.misses"),
];

const DEFAULT_BREAKER_NAME: &str = "$.name";
const DEFAULT_BREAKER_STATE: &str = "$.state";

/// Every configured expression with its field name, in the order of the settings.
fn expressions(settings: &MappingSettings) -> Vec<(&'static str, &str)> {
    [
        ("status", &settings.status),
        ("breakers", &settings.breakers),
        ("breaker_name", &settings.breaker_name),
        ("breaker_state", &settings.breaker_state),
        ("queue_depth", &settings.queue_depth),
        ("queue_capacity", &settings.queue_capacity),
        ("cache_hit_rate", &settings.cache_hit_rate),
        ("cache_hits", &settings.cache_hits),
        ("cache_misses", &settings.cache_misses),
    ]
    .into_iter()
    .filter_map(|(field, expression)| expression.as_deref().map(|e| (field, e)))
    .collect()
}

/// Checks every expression compiles, naming the field of the first that does not.
pub fn validate(settings: &MappingSettings) -> Result<(), String> {
    for (field, expression) in expressions(settings) {
        compile(field, expression)?;
    }
    Ok(())
}

pub fn endpoints(settings: Option<&MappingSettings>) -> Vec<Endpoint> {
    vec![Endpoint::primary(
        settings.map_or("/", |s| s.endpoint.as_str()),
    )]
}

/// One compiled expression and where it came from, for messages.
struct Field {
    name: &'static str,
    source: String,
    path: JsonPath,
}

/// The deepest nesting of brackets and parentheses an expression may have. The parser
/// backtracks exponentially in the nesting (a 339-character expression of unclosed
/// filters took seconds to refuse, found by fuzzing); real mappings nest two or three.
const MAX_NESTING: usize = 8;

/// How deep `[` and `(` nest in `expression`, outside its quoted strings.
fn nesting(expression: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in expression.chars() {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(open), c) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '(') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (None, ']' | ')') => depth = depth.saturating_sub(1),
            (None, _) => {}
        }
    }
    deepest
}

fn compile(name: &'static str, expression: &str) -> Result<Field, String> {
    let depth = nesting(expression);
    if depth > MAX_NESTING {
        return Err(format!(
            "`{name}`: `{expression}` nests brackets {depth} deep; at most {MAX_NESTING} are read"
        ));
    }
    JsonPath::parse(expression)
        .map(|path| Field {
            name,
            source: expression.to_string(),
            path,
        })
        .map_err(|e| format!("`{name}`: `{expression}` is not an RFC 9535 JSONPath ({e})"))
}

impl Field {
    /// "`queue_depth` (`$.queue.pending`)", to start a message.
    fn label(&self) -> String {
        format!("`{}` (`{}`)", self.name, self.source)
    }

    /// The first non-null value the path matches in `root`.
    fn first<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        self.path.query(root).first().filter(|v| !v.is_null())
    }

    fn wrong_type(&self, place: &str, value: &Value, expected: &str) -> ParseError {
        ParseError::new(
            "wrong_type",
            format!(
                "{}{place} matched {}, expected {expected}",
                self.label(),
                describe(value)
            ),
        )
    }

    /// A number, or a string holding one.
    fn number(&self, root: &Value, place: &str) -> Result<Option<f64>, ParseError> {
        match self.first(root) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(Value::String(text)) => text.trim().parse::<f64>().map(Some).map_err(|_| {
                ParseError::new(
                    "wrong_type",
                    format!(
                        "{}{place} matched the string \"{text}\", expected a number",
                        self.label()
                    ),
                )
            }),
            Some(other) => Err(self.wrong_type(place, other, "a number")),
        }
    }

    /// A word: a string, or the text of a boolean or a number.
    fn word(&self, root: &Value, place: &str) -> Result<Option<String>, ParseError> {
        match self.first(root) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(self.wrong_type(place, other, "a string")),
        }
    }
}

/// The settings, compiled.
struct Compiled {
    status: Option<Field>,
    /// Folded words per status, in the order ok, degraded, down.
    status_words: Vec<(HealthStatus, Vec<String>)>,
    breakers: Option<Field>,
    breaker_name: Field,
    breaker_state: Field,
    numbers: Vec<(Field, &'static str)>,
}

fn optional(name: &'static str, expression: Option<&String>) -> Result<Option<Field>, String> {
    expression.map(|e| compile(name, e)).transpose()
}

impl Compiled {
    fn new(settings: &MappingSettings) -> Result<Compiled, String> {
        let status_words = [
            ("ok", HealthStatus::Ok),
            ("degraded", HealthStatus::Degraded),
            ("down", HealthStatus::Down),
        ]
        .into_iter()
        .filter_map(|(key, status)| {
            settings
                .status_words
                .get(key)
                .map(|words| (status, words.iter().map(|w| fold(w)).collect()))
        })
        .collect();
        let number_expressions = [
            &settings.queue_depth,
            &settings.queue_capacity,
            &settings.cache_hit_rate,
            &settings.cache_hits,
            &settings.cache_misses,
        ];
        let mut numbers = Vec::new();
        for ((field, series), expression) in NUMBERS.iter().zip(number_expressions) {
            if let Some(compiled) = optional(field, expression.as_ref())? {
                numbers.push((compiled, *series));
            }
        }
        Ok(Compiled {
            status: optional("status", settings.status.as_ref())?,
            status_words,
            breakers: optional("breakers", settings.breakers.as_ref())?,
            breaker_name: compile(
                "breaker_name",
                settings
                    .breaker_name
                    .as_deref()
                    .unwrap_or(DEFAULT_BREAKER_NAME),
            )?,
            breaker_state: compile(
                "breaker_state",
                settings
                    .breaker_state
                    .as_deref()
                    .unwrap_or(DEFAULT_BREAKER_STATE),
            )?,
            numbers,
        })
    }

    fn status_of(&self, word: &str) -> HealthStatus {
        let folded = fold(word);
        self.status_words
            .iter()
            .find(|(_, words)| words.contains(&folded))
            .map_or_else(|| health_status(word), |(status, _)| *status)
    }

    fn read(&self, root: &Value) -> Result<Reading, ParseError> {
        let mut reading = Reading::default();
        if let Some(status) = &self.status {
            if let Some(word) = status.word(root, "")? {
                reading.health = Some(Health {
                    status: self.status_of(&word),
                    version: None,
                    uptime_seconds: None,
                    dependencies: Vec::new(),
                });
            }
        }
        if let Some(breakers) = &self.breakers {
            for node in breakers.path.query_located(root).iter() {
                reading.breakers.push(self.breaker(breakers, node)?);
            }
        }
        for (field, series) in &self.numbers {
            let value = field.number(root, "")?;
            // A hit rate above 1 was sent as a percentage; rates are ratios.
            let value = match *series {
                "cache.hit_rate" => value.map(|v| if v > 1.0 { v / 100.0 } else { v }),
                _ => value,
            };
            reading.sample(series, value);
        }
        Ok(reading)
    }

    fn breaker(&self, breakers: &Field, node: &LocatedNode<'_>) -> Result<Breaker, ParseError> {
        let object = node.node();
        let place = format!(" at {}", node.location());
        if !object.is_object() {
            return Err(breakers.wrong_type(&place, object, "an object"));
        }
        let key = node.location().last().and_then(|element| element.as_name());
        let name = match (self.breaker_name.word(object, &place)?, key) {
            (Some(name), _) => name,
            (None, Some(key)) => key.to_string(),
            (None, None) => {
                return Err(ParseError::new(
                    "missing_field",
                    format!(
                        "{} matched nothing in the breaker{place}",
                        self.breaker_name.label()
                    ),
                ))
            }
        };
        let state = self
            .breaker_state
            .word(object, &place)?
            .map_or(BreakerState::Unknown, |word| breaker_state(&word));
        Ok(Breaker::new(&name, state))
    }
}

/// Reads one service's documents through its compiled mapping.
pub struct Reader {
    /// The compiled mapping, or why there is none (no `[service.mapping]`, or an
    /// expression that config validation should already have refused).
    compiled: Result<Compiled, String>,
}

impl Reader {
    pub fn new(settings: Option<MappingSettings>) -> Reader {
        let compiled = match settings {
            Some(settings) => Compiled::new(&settings),
            None => Err("the json-mapping profile needs a [service.mapping] section".to_string()),
        };
        Reader { compiled }
    }
}

impl ProfileReader for Reader {
    fn read(&mut self, _endpoint: &str, response: &Response<'_>) -> Result<Reading, ParseError> {
        let compiled = self
            .compiled
            .as_ref()
            .map_err(|why| ParseError::new("invalid_mapping", why.clone()))?;
        let root: Value = serde_json::from_slice(response.body)
            .map_err(|e| ParseError::new("not_json", format!("the body is not JSON: {e}")))?;
        compiled.read(&root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sample;
    use chrono::Utc;

    fn legacy_billing() -> MappingSettings {
        MappingSettings {
            endpoint: "/status".into(),
            status: Some("$.state".into()),
            status_words: BTreeMap::from([
                ("ok".into(), vec!["green".into()]),
                (
                    "degraded".into(),
                    vec!["yellow".into(), "Amber Alert".into()],
                ),
                ("down".into(), vec!["red".into()]),
            ]),
            breakers: Some("$.breakers[*]".into()),
            breaker_name: Some("$.id".into()),
            breaker_state: Some("$.cb_state".into()),
            queue_depth: Some("$.queue.pending".into()),
            queue_capacity: Some("$.queue.max".into()),
            cache_hit_rate: Some("$.cache.ratio".into()),
            cache_hits: None,
            cache_misses: None,
        }
    }

    fn read_with(settings: MappingSettings, body: &str) -> Result<Reading, ParseError> {
        Reader::new(Some(settings)).read(
            "/status",
            &Response {
                body: body.as_bytes(),
                content_type: Some("application/json"),
                received_at: Utc::now(),
            },
        )
    }

    fn series(reading: &Reading) -> Vec<(&str, f64)> {
        reading
            .samples
            .iter()
            .map(|Sample { series, value }| (series.as_str(), *value))
            .collect()
    }

    #[test]
    fn the_interfaces_example_reads_every_field() {
        let reading = read_with(
            legacy_billing(),
            r#"{"state": "YELLOW", "uptime": 12, "queue": {"pending": 42, "max": 100},
                "cache": {"ratio": 0.93},
                "breakers": [{"id": "ledger", "cb_state": "HALF_OPEN", "extra": true},
                             {"id": "tax", "cb_state": "half-open"},
                             {"id": 7, "cb_state": "Half Open"},
                             {"id": "fx"}]}"#,
        )
        .unwrap();
        assert_eq!(
            reading.health.as_ref().map(|h| h.status),
            Some(HealthStatus::Degraded)
        );
        let names: Vec<&str> = reading.breakers.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["ledger", "tax", "7", "fx"]);
        for b in &reading.breakers[..3] {
            assert_eq!(b.state, BreakerState::HalfOpen, "{}", b.name);
        }
        assert_eq!(reading.breakers[3].state, BreakerState::Unknown);
        assert_eq!(
            series(&reading),
            [
                ("queue.depth", 42.0),
                ("queue.capacity", 100.0),
                ("cache.hit_rate", 0.93)
            ]
        );
    }

    #[test]
    fn status_words_are_matched_tolerantly_and_fall_back() {
        for (word, status) in [
            ("green", HealthStatus::Ok),
            ("amber-alert", HealthStatus::Degraded),
            ("RED", HealthStatus::Down),
            ("healthy", HealthStatus::Ok),
            ("purple", HealthStatus::Unknown),
        ] {
            let reading =
                read_with(legacy_billing(), &format!(r#"{{"state": "{word}"}}"#)).unwrap();
            assert_eq!(reading.health.unwrap().status, status, "{word}");
        }
    }

    #[test]
    fn without_status_words_the_usual_words_apply() {
        let settings = MappingSettings {
            endpoint: "/s".into(),
            status: Some("$.health.overall".into()),
            ..MappingSettings::default()
        };
        let reading = read_with(settings.clone(), r#"{"health": {"overall": "DOWN"}}"#).unwrap();
        assert_eq!(reading.health.unwrap().status, HealthStatus::Down);
        let reading = read_with(settings, r#"{"health": {"overall": true}}"#).unwrap();
        assert_eq!(reading.health.unwrap().status, HealthStatus::Unknown);
    }

    #[test]
    fn paths_that_match_nothing_leave_fields_absent() {
        let reading = read_with(
            legacy_billing(),
            r#"{"unrelated": 1, "queue": {"pending": null}}"#,
        )
        .unwrap();
        assert_eq!(reading, Reading::default());
    }

    #[test]
    fn percentages_become_ratios_and_numeric_strings_are_numbers() {
        let settings = MappingSettings {
            endpoint: "/s".into(),
            cache_hit_rate: Some("$.hit_rate".into()),
            cache_hits: Some("$.hits".into()),
            cache_misses: Some("$.misses".into()),
            ..MappingSettings::default()
        };
        let reading = read_with(
            settings,
            r#"{"hit_rate": "85.0", "hits": 8500, "misses": "1500"}"#,
        )
        .unwrap();
        assert_eq!(
            series(&reading),
            [
                ("cache.hit_rate", 0.85),
                ("cache.hits", 8500.0),
                ("cache.misses", 1500.0)
            ]
        );
    }

    #[test]
    fn wrong_types_name_the_field_and_the_place() {
        let err = read_with(legacy_billing(), r#"{"queue": {"pending": [1]}}"#).unwrap_err();
        assert_eq!(err.reason, "wrong_type");
        assert_eq!(
            err.message,
            "`queue_depth` (`$.queue.pending`) matched an array, expected a number"
        );
        let err = read_with(legacy_billing(), r#"{"queue": {"max": "lots"}}"#).unwrap_err();
        assert_eq!(
            err.message,
            "`queue_capacity` (`$.queue.max`) matched the string \"lots\", expected a number"
        );
        let err = read_with(legacy_billing(), r#"{"state": {"color": "green"}}"#).unwrap_err();
        assert_eq!(
            err.message,
            "`status` (`$.state`) matched an object, expected a string"
        );
        let err = read_with(legacy_billing(), r#"{"breakers": [{"id": "a"}, "b"]}"#).unwrap_err();
        assert_eq!(
            err.message,
            "`breakers` (`$.breakers[*]`) at $['breakers'][1] matched a string, expected an object"
        );
        let err = read_with(
            legacy_billing(),
            r#"{"breakers": [{"id": "a", "cb_state": {}}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "`breaker_state` (`$.cb_state`) at $['breakers'][0] matched an object, expected a string"
        );
    }

    #[test]
    fn breakers_under_object_keys_take_the_key_as_their_name() {
        let settings = MappingSettings {
            endpoint: "/s".into(),
            breakers: Some("$.circuits.*".into()),
            ..MappingSettings::default()
        };
        let reading = read_with(
            settings,
            r#"{"circuits": {"payments": {"state": "open"}, "search": {"name": "search-v2", "state": "closed"}}}"#,
        )
        .unwrap();
        let found: Vec<(&str, BreakerState)> = reading
            .breakers
            .iter()
            .map(|b| (b.name.as_str(), b.state))
            .collect();
        assert_eq!(
            found,
            [
                ("payments", BreakerState::Open),
                ("search-v2", BreakerState::Closed)
            ]
        );
    }

    #[test]
    fn a_nameless_breaker_in_an_array_is_an_error() {
        let err =
            read_with(legacy_billing(), r#"{"breakers": [{"cb_state": "OPEN"}]}"#).unwrap_err();
        assert_eq!(err.reason, "missing_field");
        assert_eq!(
            err.message,
            "`breaker_name` (`$.id`) matched nothing in the breaker at $['breakers'][0]"
        );
    }

    #[test]
    fn filters_and_functions_of_rfc_9535_work() {
        let settings = MappingSettings {
            endpoint: "/s".into(),
            breakers: Some("$.components[?@.kind == 'breaker' && length(@.name) > 0]".into()),
            queue_depth: Some("$.queues[?search(@.name, '^main')].depth".into()),
            ..MappingSettings::default()
        };
        let reading = read_with(
            settings,
            r#"{"components": [{"kind": "breaker", "name": "a", "state": "OPEN"}, {"kind": "db", "name": "pg"}],
                "queues": [{"name": "retry", "depth": 1}, {"name": "main-1", "depth": 9}]}"#,
        )
        .unwrap();
        assert_eq!(reading.breakers.len(), 1);
        assert_eq!(reading.breakers[0].state, BreakerState::Open);
        assert_eq!(series(&reading), [("queue.depth", 9.0)]);
    }

    #[test]
    fn validate_names_the_first_bad_field() {
        assert_eq!(validate(&legacy_billing()), Ok(()));
        let bad = MappingSettings {
            queue_capacity: Some("$.queue[".into()),
            cache_hits: Some("no dollar".into()),
            ..legacy_billing()
        };
        let err = validate(&bad).unwrap_err();
        assert!(
            err.starts_with(
                "`queue_capacity`: `$.queue[` is not an RFC 9535 JSONPath (at position"
            ),
            "{err}"
        );
    }

    #[test]
    fn deeply_nested_expressions_are_refused_before_parsing() {
        // Found by the json_mapping fuzz target: the parser backtracks exponentially in
        // the nesting of brackets, so a 339-character expression of unclosed filters
        // took longer than 10 s to refuse (config load hung on it).
        let found = "$.poocmneonenind .naeles[?sech(@.namnts[?@.kind == 'breaker' && length(@.naocmneonents[?@.kind .naeues[?sech(@.namnts[?@.kindts[?@.kind .naeues[?sech(@.namnts[?@.kind == 'brr' && length(@.naocmneonents[?@.kind .naeues[?sech(@.namnts[?@.kindts[?@.kind .naeues[?sech(@.namnts[?@.kind == 'breaker' && length(@.naocmneonents[?@.kind .naeues[0]";
        let nested = format!("$.a{}{}", "[?@.b".repeat(9), "]".repeat(9));
        for expression in [found, nested.as_str()] {
            let settings = MappingSettings {
                queue_depth: Some(expression.to_string()),
                ..legacy_billing()
            };
            let err = validate(&settings).unwrap_err();
            assert!(err.contains("nests brackets"), "{err}");
            let err = read_with(settings, "{}").unwrap_err();
            assert_eq!(err.reason, "invalid_mapping");
        }
        // Quoted brackets are text, not nesting; the nesting real mappings use passes.
        let quoted = MappingSettings {
            breakers: Some("$.components[?@.kind == '[[[[[[[[[' && length(@.name) > 0]".into()),
            queue_depth: Some("$.q[?(@.a[?(@.b[?@.c])])].depth".into()),
            ..legacy_billing()
        };
        assert_eq!(validate(&quoted), Ok(()));
    }

    #[test]
    fn a_body_that_is_not_json_is_named() {
        let err = read_with(legacy_billing(), "<html>").unwrap_err();
        assert_eq!(err.reason, "not_json");
        assert!(
            err.message.starts_with("the body is not JSON"),
            "{}",
            err.message
        );
    }

    #[test]
    fn without_a_mapping_the_reader_says_so() {
        let err = Reader::new(None)
            .read(
                "/",
                &Response {
                    body: b"{}",
                    content_type: None,
                    received_at: Utc::now(),
                },
            )
            .unwrap_err();
        assert_eq!(err.reason, "invalid_mapping");
        assert!(err.message.contains("[service.mapping]"));
        assert_eq!(endpoints(Some(&legacy_billing()))[0].path, "/status");
    }
}
