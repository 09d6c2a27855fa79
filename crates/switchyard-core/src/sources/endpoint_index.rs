//! A service's own list of the endpoints it has, for profiles that publish one (Spring
//! Boot's `GET /actuator`). Read on the first round and again every
//! [`REREAD_EVERY_ROUNDS`], so a service redeployed with more endpoints is picked up
//! without a restart. The primary endpoint is always polled: it decides reachability.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};

use super::http;
use crate::profiles::{Endpoint, Profile};

/// How many rounds an index answer is trusted for.
pub const REREAD_EVERY_ROUNDS: u64 = 60;

/// What the service's index said, if it has one.
#[derive(Debug, Default)]
pub struct EndpointIndex {
    /// The paths listed; none when the profile has no index or the service's index
    /// could not be read (then every endpoint is polled, as without an index).
    listed: Option<Vec<String>>,
    next_read: u64,
}

/// Where and how to ask.
pub struct IndexRequest<'a> {
    pub client: &'a Client,
    pub base_url: &'a str,
    pub headers: &'a HeaderMap,
    pub timeout: Duration,
    pub max_body: u64,
}

impl EndpointIndex {
    /// Reads the index when `round` is due for it.
    pub async fn refresh(&mut self, profile: Profile, round: u64, request: IndexRequest<'_>) {
        let Some(path) = profile.index() else { return };
        if round < self.next_read {
            return;
        }
        self.next_read = round + REREAD_EVERY_ROUNDS;
        let url = format!("{}{path}", request.base_url);
        let fetched = http::get(
            request.client,
            &url,
            request.headers,
            request.timeout,
            request.max_body,
        )
        .await;
        self.listed = match fetched {
            Ok(answer) if answer.status == StatusCode::OK => profile.listed_paths(&answer.body),
            // No index (404), or the service is failing: the endpoints' own answers say
            // what is wrong.
            _ => None,
        };
    }

    /// Whether `endpoint` is polled: the primary always; the rest when the index lists
    /// them, or when there is no index.
    pub fn allows(&self, endpoint: &Endpoint) -> bool {
        endpoint.primary
            || self
                .listed
                .as_ref()
                .is_none_or(|paths| paths.iter().any(|p| p.ends_with(&endpoint.path)))
    }
}
