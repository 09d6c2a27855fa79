//! Did it take? After the service answers, the console watches the engine's state of the
//! breaker until it shows the state the action asked for, or a deadline passes. It asks
//! the service's poller for a full round at once (and again while it waits), so the
//! re-read is an ordinary poll: it reaches the history and the screen like any other, and
//! no second poller (with its own copy of the secrets) is built. A service that says
//! "done" and changes nothing is exactly what an engineer must hear about at 3 a.m.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::execute::record_outcome;
use super::{ActionOutcome, ActionPlan, OutcomeStatus, Verification};
use crate::engine::EngineHandle;
use crate::model::{BreakerState, ServiceState};
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

/// Watches the breaker of `plan` through `engine` until it shows `plan.expect` or the
/// deadline passes; stores the result in `outcome.verification` and in the audit row, and
/// returns it. Only an action that was done, or whose outcome is unknown, is checked: a
/// re-read is exactly how an unknown outcome becomes known.
pub async fn verify(
    plan: &ActionPlan,
    outcome: &mut ActionOutcome,
    engine: &EngineHandle,
    writer: Option<&WriterHandle>,
    options: VerifyOptions,
) -> Verification {
    let verification = check(plan, outcome, engine, options).await;
    outcome.verification = Some(verification.clone());
    if let Some(word) = verification.audit_word() {
        record_outcome(writer, outcome, Some(word));
    }
    verification
}

/// What one fresh poll said of the breaker.
enum Reading {
    State(BreakerState),
    Problem(String),
}

/// The breaker as the newest poll begun after `after` shows it, if there is one: of the
/// service, or of one of its instances.
fn read(
    state: &ServiceState,
    instance: Option<&str>,
    breaker: &str,
    after: DateTime<Utc>,
) -> Option<Reading> {
    if let Some(id) = instance {
        return read_instance(state, id, breaker, after);
    }
    state.round_started_at.filter(|started| *started >= after)?;
    let latest = state.latest.as_ref()?;
    if let Some(message) = latest.reachability.message() {
        return Some(Reading::Problem(message.to_string()));
    }
    Some(match state.breaker(breaker) {
        Some(found) => Reading::State(found.state),
        None => Reading::Problem(format!("the service no longer lists {breaker}")),
    })
}

/// The breaker on instance `id`, from a poll of it begun after `after` (for an
/// engine's instance, a refresh begun after it).
fn read_instance(
    state: &ServiceState,
    id: &str,
    breaker: &str,
    after: DateTime<Utc>,
) -> Option<Reading> {
    let polled = state
        .replicas
        .as_ref()
        .and_then(|r| r.instances.iter().find(|i| i.id == id));
    let (started, problem, breakers) = match polled {
        Some(replica) => (
            replica.round_started_at,
            replica.reachability.as_ref().and_then(|r| r.message()),
            replica.breakers.as_slice(),
        ),
        None => match state
            .engine
            .as_ref()
            .and_then(|e| e.instances.iter().find(|i| i.name == id))
        {
            Some(instance) => (
                state.round_started_at,
                state.latest.as_ref().and_then(|o| o.reachability.message()),
                instance.breakers.as_slice(),
            ),
            None => return Some(Reading::Problem(format!("{id} is no longer an instance"))),
        },
    };
    started.filter(|started| *started >= after)?;
    if let Some(message) = problem {
        return Some(Reading::Problem(format!("{id}: {message}")));
    }
    Some(match breakers.iter().find(|(name, _)| name == breaker) {
        Some((_, state)) => Reading::State(*state),
        None => Reading::Problem(format!("{id} no longer lists {breaker}")),
    })
}

async fn check(
    plan: &ActionPlan,
    outcome: &ActionOutcome,
    engine: &EngineHandle,
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
    let service = call.service.name.as_str();
    let instance = plan.request.instance.as_deref();
    let every = options
        .every
        .min(call.service.poll_interval)
        .max(Duration::from_millis(50));
    let started = Instant::now();
    let deadline = started + options.deadline;
    // Only what was read after the answer counts: the state before is what we changed.
    let answered_at = Utc::now();
    let mut fleet = engine.fleet();
    let mut seen: Option<BreakerState> = None;
    let mut problem: Option<String> = None;
    let mut read_once = false;
    if !engine.poll_now(service) {
        problem = Some(format!("{service} is not being polled"));
    }
    let mut next_nudge = started + every;
    loop {
        if let Some(reading) = engine
            .feed()
            .state(service)
            .and_then(|state| read(&state, instance, breaker, answered_at))
        {
            read_once = true;
            match reading {
                Reading::State(state) => {
                    seen = Some(state);
                    problem = None;
                    if state == expect {
                        return Verification::Verified {
                            state,
                            after_ms: started.elapsed().as_secs_f64() * 1000.0,
                        };
                    }
                }
                Reading::Problem(message) => {
                    seen = None;
                    problem = Some(message);
                }
            }
        }
        let wake = next_nudge.min(deadline);
        tokio::select! {
            more = fleet.wait() => {
                if !more {
                    problem.get_or_insert_with(|| "the console is stopping".into());
                    break;
                }
                fleet.take();
            }
            _ = tokio::time::sleep_until(wake) => {
                if wake >= deadline {
                    break;
                }
                engine.poll_now(service);
                next_nudge = Instant::now() + every;
            }
        }
    }
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
        (None, None) if read_once => format!("{breaker} was not seen within {waited}"),
        (None, None) => format!("{breaker} was not re-read within {waited}"),
    };
    Verification::NotVerified {
        state: seen,
        after_ms: started.elapsed().as_secs_f64() * 1000.0,
        message,
    }
}

fn round_to_tenths(d: Duration) -> Duration {
    Duration::from_millis((d.as_millis() as u64).div_ceil(100) * 100)
}
