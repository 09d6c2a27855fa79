//! Actions on a service a team's engine reports (`[[engine]]` with `actions = {
//! profile, base_url }`): the console does not poll such a service, so it has no
//! `[[service]]` to send with; the request goes to the instance the engine names, at
//! the URL the engine's `actions.base_url` builds from its instance label, with the
//! profile named there, through the same plan, execution, verification and audit as a
//! configured service. Without `actions` the engine's services are read-only, and say
//! so. A breaker not closed on several instances is refused for now: one request per
//! instance, each audited and verified, comes with the instances work.

use crate::actions::{ActionRequest, Refusal, RefusalCode};
use crate::config::{Config, ServiceConfig};
use crate::model::{BreakerState, ServiceState};

fn refuse(code: RefusalCode, message: String) -> Refusal {
    Refusal {
        code,
        message,
        overridable: false,
    }
}

/// The configuration an action on `state` (reported by an engine) is sent with, or why
/// it cannot be sent; `None` when no engine reports the service.
pub(super) fn instance_service(
    config: &Config,
    state: &ServiceState,
    request: &ActionRequest,
) -> Option<Result<ServiceConfig, Refusal>> {
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
    // Where the breaker is not closed; for a cache action, or a breaker closed
    // everywhere, any instance (the plan's own checks decide what is pointless).
    let not_closed: Vec<&str> = match request.target.as_deref() {
        Some(breaker) => view
            .instances
            .iter()
            .filter(|i| {
                i.breakers
                    .iter()
                    .any(|(name, s)| name == breaker && *s != BreakerState::Closed)
            })
            .map(|i| i.name.as_str())
            .collect(),
        None => Vec::new(),
    };
    let instance = match (not_closed.as_slice(), view.instances.as_slice()) {
        ([one], _) => (*one).to_string(),
        ([], [only]) => only.name.clone(),
        ([], []) => {
            return Some(Err(refuse(
                RefusalCode::UnknownService,
                format!("engine {} names no instance of {}", engine.name, state.name),
            )))
        }
        ([], many) if request.target.is_some() => many[0].name.clone(),
        (several, all) => {
            let names = if several.is_empty() {
                all.iter().map(|i| i.name.as_str()).collect::<Vec<_>>()
            } else {
                several.to_vec()
            };
            return Some(Err(refuse(
                RefusalCode::TargetNotAccepted,
                format!(
                    "{} has {} instances this would concern ({}); send it to one instance at a time",
                    state.name,
                    names.len(),
                    names.join(", ")
                ),
            )));
        }
    };
    let mut service = ServiceConfig::new(
        &state.name,
        &actions.base_url_for(&instance),
        Some(actions.profile),
    );
    service.allow_actions = true;
    Some(Ok(service))
}
