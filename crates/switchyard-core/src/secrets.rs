//! Secrets are never in the configuration: a header value there is a *reference*,
//! `env:NAME` or `keyring:SERVICE/ACCOUNT`, resolved when polling starts. Resolved values
//! live in `SecretString`s and in header values marked sensitive, so they do not reach
//! `Debug` output, logs, the database or a snapshot; errors name the reference only.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// Where a secret lives. Its `Display` is the reference itself, safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    Keyring { service: String, account: String },
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "env:{name}"),
            SecretRef::Keyring { service, account } => write!(f, "keyring:{service}/{account}"),
        }
    }
}

/// Headers whose values are not secrets and may be written literally (`X-Scope-OrgID`
/// names a Mimir or Cortex tenant; it is not a credential).
const LITERAL_HEADERS: &[&str] = &[
    "accept",
    "accept-language",
    "user-agent",
    "content-type",
    "x-scope-orgid",
];

/// A configured header value: a reference, or a literal for the few harmless headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderSource {
    Secret(SecretRef),
    Literal(String),
}

impl HeaderSource {
    /// Reads a header value from the configuration. A literal value for any header but a
    /// harmless few is refused without repeating it, since it is probably a secret.
    pub fn parse(header: &str, value: &str) -> Result<HeaderSource, String> {
        if let Some(reference) = SecretRef::parse(value)? {
            return Ok(HeaderSource::Secret(reference));
        }
        if LITERAL_HEADERS.contains(&header.to_ascii_lowercase().as_str()) {
            return Ok(HeaderSource::Literal(value.to_string()));
        }
        Err(format!(
            "header `{header}` holds a literal value; secrets never go in the configuration file: \
             write \"env:NAME\" (an environment variable) or \"keyring:SERVICE/ACCOUNT\" (the OS keyring)"
        ))
    }

    /// How the configuration summary shows this value: the reference, never the secret.
    pub fn describe(&self) -> String {
        match self {
            HeaderSource::Secret(reference) => reference.to_string(),
            HeaderSource::Literal(value) => value.clone(),
        }
    }
}

impl SecretRef {
    /// `Ok(None)` when `value` is not a reference at all.
    pub fn parse(value: &str) -> Result<Option<SecretRef>, String> {
        if let Some(name) = value.strip_prefix("env:") {
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!(
                    "`env:{name}` is not an environment variable name (letters, digits, _)"
                ));
            }
            return Ok(Some(SecretRef::Env(name.to_string())));
        }
        if let Some(rest) = value.strip_prefix("keyring:") {
            return match rest.split_once('/') {
                Some((service, account)) if !service.is_empty() && !account.is_empty() => {
                    Ok(Some(SecretRef::Keyring {
                        service: service.to_string(),
                        account: account.to_string(),
                    }))
                }
                _ => Err(format!("`keyring:{rest}` must be keyring:SERVICE/ACCOUNT")),
            };
        }
        Ok(None)
    }

    /// Fetches the secret. The error names the reference and what to do, never a value.
    pub fn resolve(&self) -> Result<SecretString, String> {
        match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(value) if !value.is_empty() => Ok(SecretString::from(value)),
                Ok(_) => Err(format!("environment variable {name} is empty")),
                Err(_) => Err(format!("environment variable {name} is not set")),
            },
            SecretRef::Keyring { service, account } => keyring::Entry::new(service, account)
                .and_then(|entry| entry.get_password())
                .map(SecretString::from)
                .map_err(|e| match e {
                    keyring::Error::NoEntry => format!(
                        "the OS keyring has no secret for service `{service}`, account `{account}`"
                    ),
                    other => format!("cannot read the OS keyring ({service}/{account}): {other}"),
                }),
        }
    }
}

/// The keyring service name the window stores typed secrets under.
pub const KEYRING_SERVICE: &str = "switchyard";

/// Stores a secret typed once into the window in the OS keyring (the Secret Service on
/// a Linux desktop, which `keyring:` references read) under `switchyard/ACCOUNT`, and
/// returns the reference to write into the configuration instead of the secret. The
/// error names the place, never the value.
pub fn store_in_keyring(account: &str, secret: SecretString) -> Result<SecretRef, String> {
    let account: String = account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if account.is_empty() {
        return Err("the keyring account needs a name".into());
    }
    if secret.expose_secret().is_empty() {
        return Err("the secret is empty".into());
    }
    keyring::Entry::new(KEYRING_SERVICE, &account)
        .and_then(|entry| entry.set_password(secret.expose_secret()))
        .map_err(|e| {
            format!(
                "cannot store the secret in the OS keyring ({KEYRING_SERVICE}/{account}): {e}; \
                 a desktop keyring (such as GNOME Keyring) must be running and unlocked, \
                 or use an env: reference"
            )
        })?;
    Ok(SecretRef::Keyring {
        service: KEYRING_SERVICE.to_string(),
        account,
    })
}

/// Resolves a header's value. The returned value is marked sensitive.
pub fn header_value(source: &HeaderSource) -> Result<reqwest::header::HeaderValue, String> {
    let mut value = match source {
        HeaderSource::Literal(text) => reqwest::header::HeaderValue::from_str(text),
        HeaderSource::Secret(reference) => {
            let secret = reference.resolve()?;
            reqwest::header::HeaderValue::from_str(secret.expose_secret())
        }
    }
    .map_err(|_| match source {
        HeaderSource::Secret(reference) => {
            format!("the secret behind {reference} is not a valid header value")
        }
        HeaderSource::Literal(_) => "the value is not a valid header value".to_string(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Resolves every header of a service once. An unresolvable reference is logged (by
/// reference) and the header left out; the returned problems say which, for status
/// messages when the service then refuses us.
pub fn resolve_headers(
    service: &str,
    headers: &[(String, HeaderSource)],
) -> (reqwest::header::HeaderMap, Vec<String>) {
    let mut map = reqwest::header::HeaderMap::new();
    let mut problems = Vec::new();
    for (name, source) in headers {
        let Ok(header) = reqwest::header::HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        match header_value(source) {
            Ok(value) => {
                map.insert(header, value);
            }
            Err(e) => {
                tracing::warn!(service, header = %name, problem = %e, "header not sent");
                problems.push(format!("{name} not sent: {e}"));
            }
        }
    }
    (map, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_and_display_as_written() {
        let env = SecretRef::parse("env:ORDERS_KEY").unwrap().unwrap();
        assert_eq!(env, SecretRef::Env("ORDERS_KEY".into()));
        assert_eq!(env.to_string(), "env:ORDERS_KEY");
        let keyring = SecretRef::parse("keyring:switchyard/orders")
            .unwrap()
            .unwrap();
        assert_eq!(keyring.to_string(), "keyring:switchyard/orders");
        assert_eq!(SecretRef::parse("hunter2").unwrap(), None);
        assert!(SecretRef::parse("env:").is_err());
        assert!(SecretRef::parse("keyring:only-service").is_err());
    }

    #[test]
    fn a_literal_secret_is_refused_without_repeating_it() {
        let err = HeaderSource::parse("X-Internal-Key", "s3cr3t-value").unwrap_err();
        assert!(err.contains("env:NAME"), "{err}");
        assert!(!err.contains("s3cr3t-value"), "{err}");
        assert_eq!(
            HeaderSource::parse("Accept", "application/json").unwrap(),
            HeaderSource::Literal("application/json".into())
        );
    }

    #[test]
    fn a_missing_variable_names_the_variable_not_a_value() {
        let err = SecretRef::Env("SWITCHYARD_TEST_SURELY_UNSET".into())
            .resolve()
            .unwrap_err();
        assert_eq!(
            err,
            "environment variable SWITCHYARD_TEST_SURELY_UNSET is not set"
        );
    }

    #[test]
    fn resolved_headers_are_sensitive() {
        let value = header_value(&HeaderSource::Literal("application/json".into())).unwrap();
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("application/json"));
    }
}
