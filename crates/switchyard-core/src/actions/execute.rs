//! Sending a planned action: the audit intent first (committed, or nothing is sent), then
//! exactly one request with the service's headers and the reason, then the outcome row.
//! The request is never retried; a timeout is "outcome unknown", because the service may
//! well have done it.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use tokio::time::Instant;

use super::plan::{encode_header, Call};
use super::{ActionOutcome, ActionPlan, OutcomeStatus, REASON_HEADER};
use crate::clock::Clock;
use crate::model::ActionKind;
use crate::profiles::Profile;
use crate::secrets;
use crate::sources::http::describe_place;
use crate::store::{ActionIntent, ActionOutcome as AuditOutcome, WriterHandle};

/// How long the intent row may take to commit before the action is abandoned: the
/// writer waits out a failing disk, but an engineer should not.
const AUDIT_PATIENCE: Duration = Duration::from_secs(5);
/// The most of an answer read for its message.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// Service messages longer than this are cut (they go into the audit row and the UI).
const MAX_MESSAGE_CHARS: usize = 300;

/// Executes `plan` as `operator`. With a `writer`, the intent row is committed before the
/// request goes out and the outcome row follows; without one (a test, a console with no
/// history) nothing is recorded.
pub async fn execute(
    plan: &ActionPlan,
    client: &Client,
    clock: &dyn Clock,
    writer: Option<&WriterHandle>,
    operator: &str,
) -> ActionOutcome {
    let started_at = clock.now();
    let mut outcome = ActionOutcome {
        request: plan.request.clone(),
        operator: operator.to_string(),
        started_at,
        finished_at: started_at,
        status: OutcomeStatus::NotSent,
        http_status: None,
        message: String::new(),
        duration_ms: 0.0,
        override_available: false,
        audit_id: None,
        verification: None,
        instances: Vec::new(),
    };
    let Some(call) = plan.call.as_ref() else {
        outcome.message = "this plan was not made by the console's planner; plan it again".into();
        return outcome;
    };
    if let Some(writer) = writer {
        let intent = ActionIntent {
            at: started_at,
            operator: operator.to_string(),
            service: plan.request.service.clone(),
            target: plan.request.target.clone(),
            action: plan.request.kind.as_str().to_string(),
            reason: Some(plan.request.reason.clone()),
            override_checks: plan.request.override_checks,
            instance: plan.request.instance.clone(),
        };
        match tokio::time::timeout(AUDIT_PATIENCE, writer.action_started(intent)).await {
            Ok(Ok(id)) => outcome.audit_id = Some(id),
            Ok(Err(stopped)) => {
                outcome.message =
                    format!("nothing was sent: {stopped}, so it could not be audited");
                return outcome;
            }
            Err(_) => {
                outcome.message = format!(
                    "nothing was sent: the audit log could not be written within {} \
                     (the database is failing; see the status bar)",
                    humantime::format_duration(AUDIT_PATIENCE)
                );
                return outcome;
            }
        }
    }

    let (headers, problems) = secrets::resolve_headers(&call.service.name, &call.service.headers);
    if problems.is_empty() {
        send(plan, call, client, headers, &mut outcome).await;
    } else {
        // Without its credentials the request would only be refused; do not send it.
        outcome.message = format!("nothing was sent: {}", problems.join("; "));
    }
    outcome.finished_at = clock.now();
    tracing::info!(
        service = %plan.request.service,
        action = plan.request.kind.as_str(),
        target = plan.request.target.as_deref().unwrap_or(""),
        status = outcome.status.as_str(),
        http_status = outcome.http_status.unwrap_or(0),
        duration_ms = outcome.duration_ms,
        "action finished"
    );
    record_outcome(writer, &outcome, None);
    outcome
}

/// Writes (or rewrites, after verification) the outcome columns of the audit row.
pub(super) fn record_outcome(
    writer: Option<&WriterHandle>,
    outcome: &ActionOutcome,
    verified_state: Option<String>,
) {
    if let (Some(writer), Some(id)) = (writer, outcome.audit_id) {
        writer.action_finished(
            id,
            AuditOutcome {
                at: outcome.finished_at,
                http_status: outcome.http_status,
                message: Some(format!("{}: {}", outcome.status.as_str(), outcome.message)),
                duration_ms: outcome.duration_ms,
                verified_state,
            },
        );
    }
}

/// Sends the one request and reads what came back.
async fn send(
    plan: &ActionPlan,
    call: &Call,
    client: &Client,
    mut headers: HeaderMap,
    outcome: &mut ActionOutcome,
) {
    if let Ok(value) = HeaderValue::from_str(&encode_header(&plan.request.reason)) {
        headers.insert(HeaderName::from_static("x-switchyard-reason"), value);
    }
    debug_assert!(REASON_HEADER.eq_ignore_ascii_case("x-switchyard-reason"));
    let mut builder = client
        .request(call.method.clone(), &call.url)
        .headers(headers);
    if let Some(body) = &call.json {
        builder = builder.json(body);
    }
    let place = describe_place(&call.url);
    let timeout = call.service.timeout;
    let started = Instant::now();
    // One deadline for the whole exchange: headers and the (capped) body.
    let exchange = async {
        let mut response = builder.send().await?;
        let status = response.status();
        let mut body = Vec::new();
        while body.len() < MAX_ANSWER_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                // A body cut short still has a status worth reporting.
                Ok(None) | Err(_) => break,
            }
        }
        Ok::<_, reqwest::Error>((status, body))
    };
    let result = tokio::time::timeout(timeout, exchange).await;
    outcome.duration_ms = (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
    match result {
        Err(_) => {
            outcome.status = OutcomeStatus::Unknown;
            outcome.message = format!(
                "{place} did not answer within {}; the action may or may not have happened \
                 (it was not retried): check the breaker before trying again",
                humantime::format_duration(timeout)
            );
        }
        Ok(Err(error)) if error.is_connect() => {
            outcome.status = OutcomeStatus::Failed;
            outcome.message = format!("could not connect to {place}; nothing was delivered");
        }
        Ok(Err(error)) => {
            outcome.status = OutcomeStatus::Unknown;
            outcome.message = format!(
                "the exchange with {place} broke off ({}); the action may or may not have \
                 happened (it was not retried)",
                if error.is_timeout() {
                    "timed out"
                } else {
                    "connection lost"
                }
            );
        }
        Ok(Ok((status, body))) => interpret(plan, call, status, &body, outcome),
    }
}

/// Turns an HTTP answer into the outcome's status and message.
fn interpret(
    plan: &ActionPlan,
    call: &Call,
    status: StatusCode,
    body: &[u8],
    outcome: &mut ActionOutcome,
) {
    outcome.http_status = Some(status.as_u16());
    let said = service_message(body);
    let code = format!(
        "HTTP {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .trim_end()
    .to_string();
    if status.is_success() {
        outcome.status = OutcomeStatus::Done;
        outcome.message = said.unwrap_or(code);
        return;
    }
    if status == StatusCode::CONFLICT {
        outcome.status = OutcomeStatus::Refused;
        outcome.override_available = call.guarded
            && plan.request.kind == ActionKind::ResetBreaker
            && plan.profile == Profile::SingleBreaker.name();
        outcome.message = format!(
            "the service refused ({code}): {}{}",
            said.unwrap_or_else(|| "no reason given".into()),
            if outcome.override_available {
                "; reset anyway sends override=true with the reason"
            } else {
                ""
            }
        );
        return;
    }
    outcome.status = OutcomeStatus::Failed;
    outcome.message = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => format!(
            "the service refused the credentials ({code}); write endpoints usually need a \
             token: check the service's headers in the configuration"
        ),
        _ => match said {
            Some(said) => format!("{code}: {said}"),
            None => code,
        },
    };
}

/// The service's own words from its answer: a `message` or `error`, else what the
/// contract's answer says happened, else the start of a text body.
fn service_message(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let said = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => {
            let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
            let number = |key: &str| map.get(key).and_then(Value::as_f64);
            text("message")
                .or_else(|| text("error"))
                .or_else(|| {
                    // breaker-registry answers the breaker; Spring its current state.
                    let name = text("name").or_else(|| text("circuitBreakerName"));
                    let state = text("state").or_else(|| text("currentState"));
                    state.map(|s| match name {
                        Some(n) => format!("{n} is now {s}"),
                        None => format!("now {s}"),
                    })
                })
                .or_else(|| number("invalidated").map(|n| format!("{n} entries invalidated")))
                .or_else(|| number("keys_removed").map(|n| format!("{n} keys removed")))
                .or_else(|| text("status"))
        }
        Ok(other) => Some(other.to_string()),
        Err(_) => Some(String::from_utf8_lossy(body).trim().to_string()),
    }?;
    let said = said.trim();
    if said.is_empty() {
        return None;
    }
    Some(if said.chars().count() > MAX_MESSAGE_CHARS {
        let cut: String = said.chars().take(MAX_MESSAGE_CHARS).collect();
        format!("{cut}…")
    } else {
        said.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_messages_come_from_the_contracts_answers() {
        assert_eq!(
            service_message(br#"{"status": "error", "message": "circuit breaker not active"}"#)
                .as_deref(),
            Some("circuit breaker not active")
        );
        assert_eq!(
            service_message(br#"{"name": "exchange_api", "state": "CLOSED"}"#).as_deref(),
            Some("exchange_api is now CLOSED")
        );
        assert_eq!(
            service_message(br#"{"invalidated": 12}"#).as_deref(),
            Some("12 entries invalidated")
        );
        assert_eq!(
            service_message(br#"{"status": "cleared", "keys_removed": 1234}"#).as_deref(),
            Some("1234 keys removed")
        );
        assert_eq!(
            service_message(b"Internal Server Error\n").as_deref(),
            Some("Internal Server Error")
        );
        assert_eq!(service_message(b""), None);
        let long = "x".repeat(MAX_MESSAGE_CHARS + 10);
        let cut = service_message(long.as_bytes()).unwrap_or_default();
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}
