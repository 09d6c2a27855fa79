//! The snapshot's last line of defence against leaking secrets: every string that goes
//! into a snapshot passes through a [`Redactor`] built from the configuration. It
//! replaces known secret values (literal header values, resolved references, URL
//! credentials and query parameters named in the config), the credentials part of any
//! URL, the values of query parameters whose names say they are secrets, and the token
//! after `Bearer`/`Basic`, with `[redacted]`.

use secrecy::ExposeSecret;

use crate::config::Config;
use crate::secrets::HeaderSource;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Query parameters whose values are secrets wherever they appear, lower case.
const SENSITIVE_PARAMETERS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "api_key",
    "apikey",
    "key",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "auth",
    "signature",
    "sig",
    "session",
];

/// Headers whose configured values are harmless and may appear literally (the same few
/// the configuration accepts as literals).
const HARMLESS_HEADERS: &[&str] = &["accept", "accept-language", "user-agent", "content-type"];

/// Secret values shorter than this are not searched for: a one- or two-character value
/// would shred every string it occurs in without protecting anything.
const MIN_SECRET_LEN: usize = 3;

/// Replaces secrets in strings. Cheap to clone; build one per export.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Known secret values, longest first so a secret containing another is replaced whole.
    secrets: Vec<String>,
    /// Query parameter names (lower case) whose values are replaced.
    parameters: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    // The redactor holds secrets: its debug output says how many, never which.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .field("parameters", &self.parameters)
            .finish()
    }
}

impl Redactor {
    /// A redactor that knows only the generic patterns (URL credentials, sensitive query
    /// parameters, bearer tokens).
    pub fn new() -> Redactor {
        Redactor {
            secrets: Vec::new(),
            parameters: SENSITIVE_PARAMETERS.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// A redactor that also knows the configuration's secrets: literal values of
    /// non-harmless headers, user names and passwords in base URLs, and the query
    /// parameters of base URLs (names and values).
    pub fn from_config(config: Option<&Config>) -> Redactor {
        let mut redactor = Redactor::new();
        let Some(config) = config else {
            return redactor;
        };
        for service in &config.services {
            for (name, source) in &service.headers {
                if let HeaderSource::Literal(value) = source {
                    if !is_harmless_header(name) {
                        redactor.add_secret(value);
                    }
                }
            }
            let (credentials, parameters) = url_secrets(&service.base_url);
            for value in credentials {
                redactor.add_secret(&value);
            }
            for (name, value) in parameters {
                redactor.add_parameter(&name);
                redactor.add_secret(&value);
            }
        }
        redactor
    }

    /// Adds the values behind the configuration's secret references that can be read
    /// now (environment variables; the OS keyring when `keyring` is set). References that
    /// do not resolve are skipped: what cannot be read cannot leak either.
    pub fn add_resolved_references(&mut self, config: &Config, keyring: bool) {
        for service in &config.services {
            for (_, source) in &service.headers {
                if let HeaderSource::Secret(reference) = source {
                    let readable =
                        keyring || matches!(reference, crate::secrets::SecretRef::Env(_));
                    if readable {
                        if let Ok(secret) = reference.resolve() {
                            self.add_secret(secret.expose_secret());
                        }
                    }
                }
            }
        }
    }

    /// Adds one secret value to replace wherever it occurs.
    pub fn add_secret(&mut self, value: &str) {
        let value = value.trim();
        if value.len() < MIN_SECRET_LEN || self.secrets.iter().any(|s| s == value) {
            return;
        }
        self.secrets.push(value.to_string());
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Adds a query parameter name whose values are replaced.
    pub fn add_parameter(&mut self, name: &str) {
        let name = name.to_ascii_lowercase();
        if !name.is_empty() && !self.parameters.contains(&name) {
            self.parameters.push(name);
        }
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        if out.contains("://") {
            out = redact_url_credentials(&out);
        }
        if out.contains('=') {
            out = self.redact_parameters(&out);
        }
        // Authorization schemes are case-insensitive (RFC 9110): `BASIC x` is as secret
        // as `Basic x`.
        for scheme in ["bearer ", "basic "] {
            if out.to_ascii_lowercase().contains(scheme) {
                out = redact_after(&out, scheme);
            }
        }
        out
    }

    /// Replaces `name=value` after `?`, `&` or `;` when `name` is a sensitive parameter.
    fn redact_parameters(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(eq) = rest.find('=') {
            let (before, after) = rest.split_at(eq);
            let name_start = before
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .map_or(0, |i| i + 1);
            let separator = before[..name_start].chars().last();
            let name = before[name_start..].to_ascii_lowercase();
            let sensitive =
                matches!(separator, Some('?' | '&' | ';')) && self.parameters.contains(&name);
            out.push_str(before);
            out.push('=');
            let value = &after[1..];
            if sensitive {
                let end = value.find(is_value_end).unwrap_or(value.len());
                if end > 0 {
                    out.push_str(REDACTED);
                }
                rest = &value[end..];
            } else {
                rest = value;
            }
        }
        out.push_str(rest);
        out
    }
}

fn is_harmless_header(name: &str) -> bool {
    HARMLESS_HEADERS.contains(&name.to_ascii_lowercase().as_str())
}

/// Where a URL part or a token ends in running text, markup or JSON.
fn is_value_end(c: char) -> bool {
    c.is_whitespace() || matches!(c, '&' | '#' | '"' | '\'' | '<' | '>' | ')' | ',' | ';')
}

/// The user name and password of a URL, and its query parameters.
fn url_secrets(url: &str) -> (Vec<String>, Vec<(String, String)>) {
    let mut credentials = Vec::new();
    let mut parameters = Vec::new();
    if let Some(scheme_end) = url.find("://") {
        let authority_start = scheme_end + 3;
        let authority_end = url[authority_start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |i| authority_start + i);
        let authority = &url[authority_start..authority_end];
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            match userinfo.split_once(':') {
                Some((user, password)) => {
                    credentials.push(user.to_string());
                    credentials.push(password.to_string());
                }
                None => credentials.push(userinfo.to_string()),
            }
        }
    }
    if let Some((_, query)) = url.split_once('?') {
        let query = query.split('#').next().unwrap_or_default();
        for pair in query.split('&') {
            if let Some((name, value)) = pair.split_once('=') {
                parameters.push((name.to_string(), value.to_string()));
            }
        }
    }
    (credentials, parameters)
}

/// Replaces `user:password@` (or `user@`) after every `://`.
fn redact_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (before, after) = rest.split_at(i + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| matches!(c, '/' | '?' | '#') || is_value_end(c))
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(at) if at > 0 => {
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

/// Replaces the token after every occurrence of `prefix`, a lower-case ASCII word, in
/// any case (`Bearer abc` → `Bearer [redacted]`).
fn redact_after(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // ASCII lower-casing keeps every byte offset, so positions found in the lower-case
    // copy are positions in `rest`.
    while let Some(i) = rest.to_ascii_lowercase().find(prefix) {
        let (before, after) = rest.split_at(i + prefix.len());
        out.push_str(before);
        let end = after.find(is_value_end).unwrap_or(after.len());
        if end > 0 && &after[..end] != REDACTED {
            out.push_str(REDACTED);
        } else {
            out.push_str(&after[..end]);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every string in a JSON value, keys included, through the redactor.
pub(crate) fn redact_value(redactor: &Redactor, value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => {
            let redacted = redactor.redact(text);
            if redacted != *text {
                *text = redacted;
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                redact_value(redactor, item);
            }
        }
        serde_json::Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut item) in entries {
                redact_value(redactor, &mut item);
                map.insert(redactor.redact(&key), item);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_and_patterns_are_replaced() {
        let mut r = Redactor::new();
        r.add_secret("canary-1234");
        assert_eq!(r.redact("x canary-1234 y"), "x [redacted] y");
        assert_eq!(
            r.redact("see https://bob:hunter2@example.com/path?token=abc&page=2"),
            "see https://[redacted]@example.com/path?token=[redacted]&page=2"
        );
        assert_eq!(
            r.redact("Authorization: Bearer xyz.abc"),
            "Authorization: Bearer [redacted]"
        );
        assert_eq!(
            r.redact("authorization: BASIC dXNlcg== and bearer t0k"),
            "authorization: BASIC [redacted] and bearer [redacted]"
        );
        assert_eq!(
            r.redact("<svg xmlns=\"http://www.w3.org/2000/svg\">"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\">"
        );
        assert_eq!(r.redact("a=b c=d"), "a=b c=d");
    }

    #[test]
    fn config_urls_give_their_credentials_and_parameters() {
        let (credentials, parameters) = url_secrets("http://u:p4ss@h:1/x?tenant=acme-77&a=b");
        assert_eq!(credentials, vec!["u".to_string(), "p4ss".to_string()]);
        assert_eq!(parameters[0], ("tenant".to_string(), "acme-77".to_string()));
        let mut r = Redactor::new();
        r.add_parameter("tenant");
        assert_eq!(r.redact("GET /x?tenant=zzz"), "GET /x?tenant=[redacted]");
    }
}
