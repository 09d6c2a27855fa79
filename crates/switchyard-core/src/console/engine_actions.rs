//! Actions on a service a team's engine reports (`[[engine]]` with `actions = {
//! profile, base_url }`): the console does not poll such a service, so it has no
//! `[[service]]` to send with; the request goes to the instance the engine names, at
//! the URL the engine's `actions.base_url` builds from its instance label, with the
//! profile named there, through the same plan, execution, verification and audit as a
//! configured service. Without `actions` the engine's services are read-only, and say
//! so. A breaker open on several instances gets one request per instance, each
//! audited and verified, as for a service the console polls at several instances.

use super::instance_actions::{plan_targets, Target};
use crate::actions::batch::batch;
use crate::actions::{ActionPlan, ActionRequest, Refusal, RefusalCode};
use crate::config::{Config, ServiceConfig};
use crate::model::ServiceState;

fn refuse(code: RefusalCode, message: String) -> Refusal {
    Refusal {
        code,
        message,
        overridable: false,
    }
}

/// The plan for an action on `state` (reported by an engine), or why it cannot be sent;
/// `None` when no engine reports the service. One instance concerned gets the plain
/// plan (its request naming the instance); several get a batch, one request each.
pub(super) fn plan(
    config: &Config,
    state: &ServiceState,
    request: &ActionRequest,
) -> Option<Result<ActionPlan, Refusal>> {
    let view = state.engine.as_ref()?;
    let engine = config.engines.iter().find(|e| e.name == view.engine)?;
    let Some(actions) = &engine.actions else {
        return Some(Err(refuse(
            RefusalCode::ActionsNotAllowed,
            format!(
                "{} is read from engine {}, which has no `actions` in the configuration: its services are read-only",
                state.name, engine.name
            ),
        )));
    };
    let targets: Vec<Target> = view
        .instances
        .iter()
        .map(|instance| {
            let mut service = ServiceConfig::new(
                &state.name,
                &actions.base_url_for(&instance.name),
                Some(actions.profile),
            );
            service.allow_actions = true;
            Target {
                id: &instance.name,
                service,
                breakers: Some(instance.breakers.as_slice()),
            }
        })
        .collect();
    let total = targets.len();
    let found_at = format!("engine {}", engine.name);
    let planned = plan_targets(
        &state.name,
        &found_at,
        actions.profile.name(),
        request,
        targets,
    );
    Some(planned.map(|mut plans| {
        if plans.len() == 1 {
            plans.remove(0)
        } else {
            batch(plans, total)
        }
    }))
}
