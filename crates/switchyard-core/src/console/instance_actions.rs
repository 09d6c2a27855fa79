//! Actions on a service of several instances (`instances`, `discover`): which instances
//! an action goes to, and a plan for each. A breaker action goes to each instance where
//! the breaker is not yet in the state asked for (with override, to every instance); a
//! cache action to every instance; `instance` in the request picks one. Each instance's
//! plan is the ordinary one, made against what that instance last showed, sent to its
//! own URL; [`crate::actions::batch`] gathers them. A team engine's service with
//! `actions` is planned the same way over the instances the engine names
//! (`engine_actions.rs`).

use crate::actions::batch::batch;
use crate::actions::{self, ActionPlan, ActionRequest, Refusal, RefusalCode};
use crate::config::ServiceConfig;
use crate::model::{Breaker, Observation, Reachability, ServiceState};

/// An instance an action may go to: where, and what it last showed.
pub(super) struct Target<'a> {
    pub id: &'a str,
    /// The configuration its request is sent with (its URL, the profile).
    pub service: ServiceConfig,
    /// Its breakers as last seen; `None` when it has not answered.
    pub breakers: Option<&'a [(String, crate::model::BreakerState)]>,
}

/// The batch plan for `request` on `service` (a service of several instances the
/// console polls), from its live `state`.
pub(super) fn plan(
    service: &ServiceConfig,
    request: &ActionRequest,
    state: Option<&ServiceState>,
) -> Result<ActionPlan, Refusal> {
    let present: Vec<Target> = state
        .and_then(|s| s.replicas.as_ref())
        .map(|r| {
            r.instances
                .iter()
                .filter(|i| i.gone_since.is_none())
                .map(|replica| Target {
                    id: &replica.id,
                    service: service.at_instance(&replica.base_url),
                    breakers: replica
                        .reachability
                        .as_ref()
                        .filter(|r| matches!(r, Reachability::Reachable { .. }))
                        .map(|_| replica.breakers.as_slice()),
                })
                .collect()
        })
        .unwrap_or_default();
    let profile = state.map_or("unknown", |s| s.profile.as_str());
    plan_targets(&service.name, &service.base_url, profile, request, present)
        .map(|plans| batch(plans, present_count(state)))
}

fn present_count(state: Option<&ServiceState>) -> usize {
    state.and_then(|s| s.replicas.as_ref()).map_or(0, |r| {
        r.instances
            .iter()
            .filter(|i| i.gone_since.is_none())
            .count()
    })
}

/// One plan per instance `request` concerns among `present` (every instance the
/// service has now): the one named, or each concerned. Each plan's request names its
/// instance, and so do its audit row and verification.
pub(super) fn plan_targets(
    service: &str,
    found_at: &str,
    profile: &str,
    request: &ActionRequest,
    present: Vec<Target>,
) -> Result<Vec<ActionPlan>, Refusal> {
    if present.is_empty() {
        return Err(refuse(
            RefusalCode::UnknownInstance,
            format!("{service} has no instances yet ({found_at}): nothing to send it to"),
        ));
    }
    let chosen: Vec<&Target> = match request.instance.as_deref() {
        Some(id) => {
            let Some(one) = present.iter().find(|t| t.id == id) else {
                let ids: Vec<&str> = present.iter().map(|t| t.id).collect();
                return Err(refuse(
                    RefusalCode::UnknownInstance,
                    format!(
                        "{service} has no instance `{id}` (it has: {})",
                        ids.join(", ")
                    ),
                ));
            };
            vec![one]
        }
        None => present.iter().collect(),
    };
    let mut plans = Vec::new();
    let mut already = Vec::new();
    for target in &chosen {
        let mut one = request.clone();
        one.instance = Some(target.id.to_string());
        let shown = target.breakers.map(|b| observed(service, profile, b));
        match actions::plan_observed(&target.service, &one, shown.as_ref()) {
            Ok(plan) => plans.push(plan),
            // Already as asked on this instance: it is simply not among those concerned.
            Err(refusal) if refusal.code == RefusalCode::AlreadyInState && chosen.len() > 1 => {
                already.push(target.id);
            }
            Err(mut refusal) => {
                if chosen.len() > 1 {
                    refusal.message = format!("{}: {}", target.id, refusal.message);
                }
                return Err(refusal);
            }
        }
    }
    if plans.is_empty() {
        return Err(Refusal {
            code: RefusalCode::AlreadyInState,
            message: format!(
                "{} is already as asked on all {} instances ({}); confirm with override to send it to every one",
                request.target.as_deref().unwrap_or("the service"),
                already.len(),
                already.join(", ")
            ),
            overridable: true,
        });
    }
    Ok(plans)
}

/// What the planner needs of an instance's last answer: its profile and breakers.
fn observed(
    service: &str,
    profile: &str,
    breakers: &[(String, crate::model::BreakerState)],
) -> Observation {
    Observation {
        service: service.to_string(),
        profile: profile.to_string(),
        observed_at: chrono::Utc::now(),
        reachability: Reachability::Reachable { latency_ms: 0.0 },
        health: None,
        breakers: breakers
            .iter()
            .map(|(name, state)| Breaker::new(name, *state))
            .collect(),
        samples: Vec::new(),
        actions: Vec::new(),
        transitions: Vec::new(),
        service_alerts: Vec::new(),
        thresholds: Vec::new(),
        problems: Vec::new(),
    }
}

fn refuse(code: RefusalCode, message: String) -> Refusal {
    Refusal {
        code,
        message,
        overridable: false,
    }
}
