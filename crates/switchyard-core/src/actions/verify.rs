//! Did it take? After the service answers, the console re-reads the breaker until it shows
//! the state the action asked for, or a deadline passes. A service that says "done" and
//! changes nothing is exactly what an engineer must hear about at 3 a.m.

use std::time::Duration;

use reqwest::Client;
use tokio::time::Instant;

use super::execute::record_outcome;
use super::{ActionOutcome, ActionPlan, OutcomeStatus, Verification};
use crate::clock::Clock;
use crate::model::BreakerState;
use crate::sources::poller::ServicePoller;
use crate::store::WriterHandle;

/// How long and how often to re-read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Give up after this long.
    pub deadline: Duration,
    /// Re-read this often, or at the service's poll interval when that is shorter.
    pub every: Duration,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            deadline: Duration::from_secs(10),
            every: Duration::from_millis(500),
        }
    }
}

/// Re-polls the service of `plan` until the breaker shows `plan.expect` or the deadline
/// passes; stores the result in `outcome.verification` and in the audit row, and returns
/// it. Only an action that was done, or whose outcome is unknown, is checked: a re-read
/// is exactly how an unknown outcome becomes known.
pub async fn verify(
    plan: &ActionPlan,
    outcome: &mut ActionOutcome,
    client: &Client,
    clock: &dyn Clock,
    writer: Option<&WriterHandle>,
    options: VerifyOptions,
) -> Verification {
    let verification = check(plan, outcome, client, clock, options).await;
    outcome.verification = Some(verification.clone());
    if let Some(word) = verification.audit_word() {
        record_outcome(writer, outcome, Some(word));
    }
    verification
}

async fn check(
    plan: &ActionPlan,
    outcome: &ActionOutcome,
    client: &Client,
    clock: &dyn Clock,
    options: VerifyOptions,
) -> Verification {
    if !matches!(outcome.status, OutcomeStatus::Done | OutcomeStatus::Unknown) {
        return Verification::NotChecked {
            message: format!("the action was {}", outcome.status.as_str()),
        };
    }
    let (Some(expect), Some(breaker), Some(call)) = (
        plan.expect,
        plan.request.target.as_deref(),
        plan.call.as_ref(),
    ) else {
        return Verification::NotChecked {
            message: "a cache action leaves no state to re-read; the service's answer is the \
                      outcome"
                .into(),
        };
    };
    let every = options
        .every
        .min(call.service.poll_interval)
        .max(Duration::from_millis(50));
    let started = Instant::now();
    let mut seen: Option<BreakerState> = None;
    let mut problem: Option<String>;
    loop {
        // A fresh poller each time: its first round reads every endpoint, so the breakers
        // are always among them.
        let mut poller = ServicePoller::new(call.service.clone());
        let (observation, _) = poller.poll_round(client, clock).await;
        let after_ms = started.elapsed().as_secs_f64() * 1000.0;
        if let Some(message) = observation.reachability.message() {
            problem = Some(message.to_string());
        } else {
            match observation.breakers.iter().find(|b| b.name == breaker) {
                Some(found) => {
                    seen = Some(found.state);
                    problem = None;
                    if found.state == expect {
                        return Verification::Verified {
                            state: found.state,
                            after_ms,
                        };
                    }
                }
                None => {
                    seen = None;
                    problem = Some(format!("the service no longer lists {breaker}"));
                }
            }
        }
        if started.elapsed() + every > options.deadline {
            let waited = humantime::format_duration(round_to_tenths(started.elapsed()));
            let message = match (seen, problem) {
                (_, Some(problem)) => {
                    format!("{breaker} could not be re-read after {waited}: {problem}")
                }
                (Some(state), None) => format!(
                    "{breaker} is still {} after {waited} (expected {})",
                    state.as_str(),
                    expect.as_str()
                ),
                (None, None) => format!("{breaker} was not seen within {waited}"),
            };
            return Verification::NotVerified {
                state: seen,
                after_ms: started.elapsed().as_secs_f64() * 1000.0,
                message,
            };
        }
        tokio::time::sleep(every).await;
    }
}

fn round_to_tenths(d: Duration) -> Duration {
    Duration::from_millis((d.as_millis() as u64).div_ceil(100) * 100)
}
