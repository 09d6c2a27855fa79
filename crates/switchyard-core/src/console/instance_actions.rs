//! Actions on a service of several instances (`instances`, `discover`): which instances
//! an action goes to, and a plan for each. A breaker action goes to each instance where
//! the breaker is not yet in the state asked for (with override, to every instance); a
//! cache action to every instance; `instance` in the request picks one. Each instance's
//! plan is the ordinary one, made against what that instance last showed, sent to its
//! own URL; [`crate::actions::batch`] gathers them.

use crate::actions::batch::batch;
use crate::actions::{self, ActionPlan, ActionRequest, Refusal, RefusalCode};
use crate::config::ServiceConfig;
use crate::model::{Breaker, Observation, Reachability, Replica, ServiceState};

/// The batch plan for `request` on `service`, from its live `state`.
pub(super) fn plan(
    service: &ServiceConfig,
    request: &ActionRequest,
    state: Option<&ServiceState>,
) -> Result<ActionPlan, Refusal> {
    let present: Vec<&Replica> = state
        .and_then(|s| s.replicas.as_ref())
        .map(|r| {
            r.instances
                .iter()
                .filter(|i| i.gone_since.is_none())
                .collect()
        })
        .unwrap_or_default();
    if present.is_empty() {
        return Err(refuse(
            RefusalCode::UnknownInstance,
            format!(
                "{} has no instances yet ({}): nothing to send it to",
                service.name, service.base_url
            ),
        ));
    }
    let chosen: Vec<&Replica> = match request.instance.as_deref() {
        Some(id) => {
            let Some(one) = present.iter().find(|i| i.id == id) else {
                let ids: Vec<&str> = present.iter().map(|i| i.id.as_str()).collect();
                return Err(refuse(
                    RefusalCode::UnknownInstance,
                    format!(
                        "{} has no instance `{id}` (it has: {})",
                        service.name,
                        ids.join(", ")
                    ),
                ));
            };
            vec![*one]
        }
        None => present.clone(),
    };
    let mut plans = Vec::new();
    let mut already = Vec::new();
    for replica in &chosen {
        let mut one = request.clone();
        one.instance = Some(replica.id.clone());
        let profile = state.map_or("unknown", |s| s.profile.as_str());
        let shown = observed(service, profile, replica);
        match actions::plan_observed(
            &service.at_instance(&replica.base_url),
            &one,
            shown.as_ref(),
        ) {
            Ok(plan) => plans.push(plan),
            // Already as asked on this instance: it is simply not among those concerned.
            Err(refusal) if refusal.code == RefusalCode::AlreadyInState && chosen.len() > 1 => {
                already.push(replica.id.as_str());
            }
            Err(mut refusal) => {
                if chosen.len() > 1 {
                    refusal.message = format!("{}: {}", replica.id, refusal.message);
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
    Ok(batch(plans, present.len()))
}

/// What the planner needs of an instance's last poll: its profile and breakers. `None`
/// until it answered once.
fn observed(service: &ServiceConfig, profile: &str, replica: &Replica) -> Option<Observation> {
    let reachability = replica.reachability.clone()?;
    if !matches!(reachability, Reachability::Reachable { .. }) {
        return None;
    }
    Some(Observation {
        service: service.name.clone(),
        profile: profile.to_string(),
        observed_at: replica.observed_at?,
        reachability,
        health: None,
        breakers: replica
            .breakers
            .iter()
            .map(|(name, state)| Breaker {
                name: name.clone(),
                state: *state,
                failure_count: None,
                success_count: None,
                failure_rate: None,
                backoff_seconds: None,
                health_score: None,
                call_count: None,
                since: None,
                reason: None,
            })
            .collect(),
        samples: Vec::new(),
        actions: Vec::new(),
        transitions: Vec::new(),
        service_alerts: Vec::new(),
        thresholds: Vec::new(),
        problems: Vec::new(),
    })
}

fn refuse(code: RefusalCode, message: String) -> Refusal {
    Refusal {
        code,
        message,
        overridable: false,
    }
}
