//! The snapshot's timeline: every transition, alert, acknowledgement, silence, action
//! and stream state of the chosen services in the window, oldest first, each with one
//! line that says what happened.

use std::collections::BTreeSet;

use super::{queries, time, EventKind, SnapshotError, TimelineEvent};
use crate::store::{Store, TimeRange};

/// Every event of the chosen services in the window, oldest first.
pub(super) async fn timeline(
    store: &Store,
    range: TimeRange,
    chosen: &BTreeSet<&str>,
) -> Result<Vec<TimelineEvent>, SnapshotError> {
    let wanted = |service: &str| chosen.contains(service);
    // (ms, order of kind, sequence) keeps events at the same millisecond in the order
    // they were stored within each kind.
    let mut events: Vec<(i64, usize, TimelineEvent)> = Vec::new();
    let mut push = |ms: i64, event: TimelineEvent| {
        let n = events.len();
        events.push((ms, n, event));
    };

    for t in store.transitions_between(None, range).await? {
        if !wanted(&t.service) {
            continue;
        }
        let from = t.from_state.as_deref().unwrap_or("unknown");
        let reason = after(": ", t.reason.as_deref());
        push(
            t.at_ms,
            TimelineEvent {
                at: time(t.at_ms),
                kind: EventKind::Transition,
                service: Some(t.service.clone()),
                subject: Some(t.breaker.clone()),
                state: Some(t.to_state.clone()),
                text: format!(
                    "breaker {} {from} → {} ({}){reason}",
                    t.breaker, t.to_state, t.source
                ),
                by: None,
                severity: None,
            },
        );
    }
    for a in store.alerts_between(None, range).await? {
        if !wanted(&a.service) {
            continue;
        }
        let about = after(" on ", a.subject.as_deref());
        let value = a.value.map(|v| format!(" (value {v})")).unwrap_or_default();
        let detail = after(": ", a.detail.as_deref());
        push(
            a.at_ms,
            TimelineEvent {
                at: time(a.at_ms),
                kind: EventKind::Alert,
                service: Some(a.service.clone()),
                subject: Some(a.subject.clone().unwrap_or_else(|| a.rule.clone())),
                state: Some(a.state.clone()),
                text: format!("alert {} {}{about}{value}{detail}", a.rule, a.state),
                by: None,
                severity: Some(a.severity.clone()),
            },
        );
    }
    for ack in queries::acknowledgements_between(store, range).await? {
        if !wanted(&ack.service) {
            continue;
        }
        let comment = after(": ", ack.ack_comment.as_deref());
        let by = ack.acknowledged_by.clone();
        push(
            ack.acknowledged_at_ms,
            TimelineEvent {
                at: time(ack.acknowledged_at_ms),
                kind: EventKind::Acknowledgement,
                service: Some(ack.service.clone()),
                subject: Some(ack.subject.clone().unwrap_or_else(|| ack.rule.clone())),
                state: Some("acknowledged".into()),
                text: format!(
                    "alert {} acknowledged by {}{comment}",
                    ack.rule,
                    by.as_deref().unwrap_or("someone")
                ),
                by,
                severity: None,
            },
        );
    }
    for s in store.silences_between(range).await? {
        if s.service.as_deref().is_some_and(|name| !wanted(name)) {
            continue;
        }
        let what = s.rule.as_deref().unwrap_or("every rule");
        let whom = s.service.as_deref().unwrap_or("every service");
        push(
            s.created_at_ms,
            TimelineEvent {
                at: time(s.created_at_ms),
                kind: EventKind::Silence,
                service: s.service.clone(),
                subject: s.rule.clone(),
                state: Some("silenced".into()),
                text: format!(
                    "silence #{} of {what} on {whom} until {} by {}: {}",
                    s.id,
                    time(s.until_ms).to_rfc3339(),
                    s.created_by,
                    s.reason
                ),
                by: Some(s.created_by.clone()),
                severity: None,
            },
        );
    }
    for s in queries::silences_removed_between(store, range).await? {
        if s.service.as_deref().is_some_and(|name| !wanted(name)) {
            continue;
        }
        push(
            s.removed_at_ms,
            TimelineEvent {
                at: time(s.removed_at_ms),
                kind: EventKind::SilenceRemoved,
                service: s.service.clone(),
                subject: s.rule.clone(),
                state: Some("removed".into()),
                text: format!(
                    "silence #{} removed by {}",
                    s.id,
                    s.removed_by.as_deref().unwrap_or("someone")
                ),
                by: s.removed_by.clone(),
                severity: None,
            },
        );
    }
    for a in store.actions_between(None, range).await? {
        if !wanted(&a.service) {
            continue;
        }
        let outcome = action_outcome(&a);
        let target = after(" ", a.target.as_deref());
        let reason = after(" because ", a.reason.as_deref());
        let override_note = if a.override_checks {
            " (safety check overridden)"
        } else {
            ""
        };
        let mut details = Vec::new();
        if let Some(status) = a.http_status {
            details.push(format!("HTTP {status}"));
        }
        if let Some(verified) = &a.verified_state {
            details.push(format!("verified {verified}"));
        }
        if let Some(message) = &a.message {
            details.push(message.clone());
        }
        let details = if details.is_empty() {
            String::new()
        } else {
            format!(" [{}]", details.join("; "))
        };
        push(
            a.at_ms,
            TimelineEvent {
                at: time(a.at_ms),
                kind: EventKind::Action,
                service: Some(a.service.clone()),
                subject: a.target.clone(),
                state: Some(outcome.to_string()),
                text: format!(
                    "{}{target} by {}{reason}{override_note}: {outcome}{details}",
                    a.action, a.operator
                ),
                by: Some(a.operator.clone()),
                severity: None,
            },
        );
    }
    for s in store.stream_states_between(None, range).await? {
        if !wanted(&s.service) {
            continue;
        }
        let detail = after(": ", s.detail.as_deref());
        push(
            s.at_ms,
            TimelineEvent {
                at: time(s.at_ms),
                kind: EventKind::Stream,
                service: Some(s.service.clone()),
                subject: Some(s.stream.clone()),
                state: Some(s.state.clone()),
                text: format!("stream {} {}{detail}", s.stream, s.state),
                by: None,
                severity: None,
            },
        );
    }
    events.sort_by_key(|(ms, n, _)| (*ms, *n));
    Ok(events.into_iter().map(|(_, _, e)| e).collect())
}

/// `succeeded`, `failed` or `unfinished` (the console stopped before the outcome).
fn action_outcome(a: &crate::store::ActionRecord) -> &'static str {
    if a.outcome_at_ms.is_none() {
        "unfinished"
    } else if a.http_status.is_some_and(|s| (200..300).contains(&s)) {
        "succeeded"
    } else {
        "failed"
    }
}

/// `text` after `prefix` (`": "`, `" because "`), or nothing when there is no text.
fn after(prefix: &str, text: Option<&str>) -> String {
    text.map(|t| format!("{prefix}{t}")).unwrap_or_default()
}
