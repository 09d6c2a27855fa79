//! The actuator's index of links (`GET /actuator`): which endpoints this Spring Boot
//! service exposes. A service without Resilience4j has no `circuitbreakers` endpoint;
//! polling it anyway shows two permanent 404 problems on a healthy service, so the
//! poller asks the index first and polls only what it lists.

use serde_json::Value;

/// Where Spring Boot serves the index (the default management base path).
pub const INDEX: &str = "/actuator";

/// The paths the index links to (templated links left out), or none when the body is
/// not an index with links: such a service is polled as if it listed everything.
pub fn listed_paths(body: &[u8]) -> Option<Vec<String>> {
    let document: Value = serde_json::from_slice(body).ok()?;
    let links = document.get("_links")?.as_object()?;
    let paths: Vec<String> = links
        .values()
        .filter(|link| link.get("templated").and_then(Value::as_bool) != Some(true))
        .filter_map(|link| link.get("href")?.as_str())
        .map(path_of)
        .collect();
    (!paths.is_empty()).then_some(paths)
}

/// The path of an absolute or relative link: Spring writes absolute ones, with the host
/// the request named.
fn path_of(href: &str) -> String {
    let without_scheme = href.split_once("://").map_or(href, |(_, rest)| rest);
    let path = if href.contains("://") {
        without_scheme
            .find('/')
            .map_or("/", |at| &without_scheme[at..])
    } else {
        without_scheme
    };
    path.split(['?', '#']).next().unwrap_or(path).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_gives_the_paths_it_links_to_without_templates() {
        let body = br#"{"_links": {
            "self": {"href": "http://10.0.0.5:8080/app/actuator", "templated": false},
            "health": {"href": "http://10.0.0.5:8080/app/actuator/health", "templated": false},
            "health-path": {"href": "http://10.0.0.5:8080/app/actuator/health/{*path}", "templated": true},
            "info": {"href": "/actuator/info?x=1"}}}"#;
        assert_eq!(
            listed_paths(body).unwrap(),
            ["/app/actuator", "/app/actuator/health", "/actuator/info"]
        );
    }

    #[test]
    fn anything_but_an_index_with_links_lists_nothing() {
        for body in [
            &b"not json"[..],
            br#"{"status": "UP"}"#,
            br#"{"_links": {}}"#,
            br#"{"_links": []}"#,
            br#"{"_links": {"x": {"href": 5}}}"#,
        ] {
            assert_eq!(
                listed_paths(body),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
