//! One action on a service of several instances: a reset sent to the load balancer
//! reaches one random replica and leaves the others open, so the console sends one
//! request to each instance concerned instead. Each instance gets a plan of its own
//! (planned, audited and verified alone); the batch plan gathers them for the
//! confirmation dialog ("to 2 of 3 instances: 10.0.0.5:8080, 10.0.0.7:8080") and sends
//! nothing itself, and the batch outcome says how it went across them, partial success
//! as such ("1 of 2 closed; 10.0.0.7:8080 refused: 409 …").

use super::{ActionOutcome, ActionPlan, OutcomeStatus, Verification};

/// The plan for `plans`, one per instance concerned, of a service with `present`
/// instances. `plans` must not be empty.
pub fn batch(plans: Vec<ActionPlan>, present: usize) -> ActionPlan {
    let first = &plans[0];
    let names: Vec<&str> = plans
        .iter()
        .filter_map(|p| p.request.instance.as_deref())
        .collect();
    let place = format!("{} of {present} instances", plans.len());
    let description = format!(
        "{} {} to {place}: {}",
        first.method,
        first.path,
        names.join(", ")
    );
    let mut request = first.request.clone();
    request.instance = None;
    let overridden = plans
        .iter()
        .flat_map(|p| {
            let at = p.request.instance.clone().unwrap_or_default();
            p.overridden.iter().map(move |why| format!("{at}: {why}"))
        })
        .collect();
    ActionPlan {
        request,
        profile: first.profile.clone(),
        method: first.method.clone(),
        place,
        path: first.path.clone(),
        body: first.body.clone(),
        effect: first.effect.clone(),
        description,
        breaker: None,
        expect: first.expect,
        overridden,
        instances: Vec::new(),
        call: None,
    }
    .with_instances(plans)
}

impl ActionPlan {
    fn with_instances(mut self, plans: Vec<ActionPlan>) -> ActionPlan {
        self.instances = plans;
        self
    }

    /// Whether this plan gathers per-instance plans rather than sending a request.
    pub fn is_batch(&self) -> bool {
        !self.instances.is_empty()
    }
}

/// How `plan` went, from each instance's outcome (in the plan's order).
pub fn combine(plan: &ActionPlan, outcomes: Vec<ActionOutcome>) -> ActionOutcome {
    let total = outcomes.len();
    let succeeded = |o: &ActionOutcome| {
        o.status == OutcomeStatus::Done
            && !matches!(o.verification, Some(Verification::NotVerified { .. }))
    };
    let good = outcomes.iter().filter(|o| succeeded(o)).count();
    let status = if good == total {
        OutcomeStatus::Done
    } else if good > 0 {
        OutcomeStatus::Partial
    } else {
        // None went well: the most uncertain of theirs (unknown over failed over refused).
        outcomes
            .iter()
            .map(|o| o.status)
            .max_by_key(|s| match s {
                OutcomeStatus::Unknown => 4,
                OutcomeStatus::Failed => 3,
                OutcomeStatus::Refused => 2,
                OutcomeStatus::NotSent => 1,
                OutcomeStatus::Done | OutcomeStatus::Partial => 0,
            })
            .unwrap_or(OutcomeStatus::NotSent)
    };
    let done_word = match plan.expect {
        Some(state) => state.as_str().to_string(),
        None => "done".to_string(),
    };
    let mut message = format!("{good} of {total} {done_word}");
    for outcome in outcomes.iter().filter(|o| !succeeded(o)) {
        let at = outcome.request.instance.as_deref().unwrap_or("?");
        let what = match (&outcome.verification, outcome.status) {
            (Some(Verification::NotVerified { message, .. }), OutcomeStatus::Done) => {
                format!("not verified: {message}")
            }
            (_, status) => match outcome.http_status {
                Some(code) => format!("{} ({code}): {}", status.as_str(), outcome.message),
                None => format!("{}: {}", status.as_str(), outcome.message),
            },
        };
        message.push_str(&format!("; {at} {what}"));
    }
    let started_at = outcomes.iter().map(|o| o.started_at).min();
    let finished_at = outcomes.iter().map(|o| o.finished_at).max();
    let verification = match (good == total, plan.expect) {
        (true, Some(state)) => Some(Verification::Verified {
            state,
            after_ms: outcomes
                .iter()
                .filter_map(|o| match &o.verification {
                    Some(Verification::Verified { after_ms, .. }) => Some(*after_ms),
                    _ => None,
                })
                .fold(0.0, f64::max),
        }),
        _ => None,
    };
    ActionOutcome {
        request: plan.request.clone(),
        operator: outcomes
            .first()
            .map(|o| o.operator.clone())
            .unwrap_or_default(),
        started_at: started_at.unwrap_or_else(chrono::Utc::now),
        finished_at: finished_at.unwrap_or_else(chrono::Utc::now),
        status,
        http_status: None,
        message,
        duration_ms: outcomes.iter().map(|o| o.duration_ms).fold(0.0, f64::max),
        override_available: false,
        audit_id: None,
        verification,
        instances: outcomes,
    }
}
