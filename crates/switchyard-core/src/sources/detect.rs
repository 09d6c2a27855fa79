//! Which profile does a service speak? Tries each profile's signature endpoint, most
//! specific first, and keeps the first whose reader accepts the answer; otherwise says,
//! profile by profile, why none fits.

use std::fmt;

use reqwest::header::HeaderMap;
use reqwest::Client;

use super::http;
use super::reading::read_response;
use crate::clock::SystemClock;
use crate::config::ServiceConfig;
use crate::model::Reachability;
use crate::profiles::Profile;

/// Candidates in the order they are tried, with the endpoint that identifies each.
/// Specific contracts come first: a `/health` that satisfies `health-contract` is also
/// answered by services of other profiles.
const CANDIDATES: &[(Profile, &str)] = &[
    (Profile::SpringActuator, "/actuator/health"),
    (Profile::BreakerRegistry, "/api/circuit-breakers/stats"),
    (Profile::SingleBreaker, "/api/circuit-breaker/status"),
    (Profile::EmergencyControls, "/api/v1/admin/emergency/status"),
    (Profile::HealthLevels, "/health/ready"),
    (Profile::HealthContract, "/health"),
    (Profile::Prometheus, "/metrics"),
];

/// Why each candidate did not fit.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionReport {
    pub tried: Vec<(Profile, String, String)>,
    /// Detection stopped because the service cannot be reached at all (refused, DNS,
    /// timeout): that, rather than "no profile fits", is what to report.
    pub unreachable: Option<Reachability>,
}

impl fmt::Display for DetectionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no known profile fits; set `profile` in the configuration (json-mapping describes any JSON). Tried:")?;
        for (profile, path, why) in &self.tried {
            write!(f, " {} ({path}): {why};", profile.name())?;
        }
        Ok(())
    }
}

/// Finds the profile `service` speaks.
pub async fn detect(
    client: &Client,
    service: &ServiceConfig,
    headers: &HeaderMap,
) -> Result<Profile, DetectionReport> {
    let mut tried = Vec::new();
    for (profile, path) in CANDIDATES {
        match try_profile(client, service, headers, *profile, path).await {
            Ok(()) => return Ok(*profile),
            Err(why) => {
                // A dead service will not fit any profile: stop at the first sign.
                let unreachable = matches!(
                    why,
                    Reachability::Refused { .. }
                        | Reachability::Dns { .. }
                        | Reachability::Timeout { .. }
                );
                tried.push((
                    *profile,
                    path.to_string(),
                    why.message().unwrap_or("").to_string(),
                ));
                if unreachable {
                    return Err(DetectionReport {
                        tried,
                        unreachable: Some(why),
                    });
                }
            }
        }
    }
    Err(DetectionReport {
        tried,
        unreachable: None,
    })
}

async fn try_profile(
    client: &Client,
    service: &ServiceConfig,
    headers: &HeaderMap,
    profile: Profile,
    path: &str,
) -> Result<(), Reachability> {
    let url = format!("{}{path}", service.base_url);
    let fetched = http::get(
        client,
        &url,
        headers,
        service.timeout,
        service.max_body_bytes,
    )
    .await?;
    if !fetched.status.is_success() {
        return Err(Reachability::HttpError {
            code: fetched.status.as_u16(),
            message: format!("HTTP {}", fetched.status.as_u16()),
        });
    }
    let mut reader = profile.reader(&service.settings);
    read_response(reader.as_mut(), path, &url, fetched, &SystemClock)
        .map(|_| ())
        .map_err(|(reachability, _)| reachability)
}
