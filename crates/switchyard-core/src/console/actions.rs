//! An action from start to end, once for the window and the CLI: plan it from the
//! configuration and the engine's live state, claim it (a second identical request while
//! the first is on its way is refused), tell the engine which breaker change to expect
//! (so the transition is recorded as the action's), send the one request with its audit
//! rows, and watch the engine's state until the breaker shows the expected state. Each
//! time the audit row changes, subscribers of [`Console::action_log`] are told, once the
//! row is in the history.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Console;
use crate::actions::{
    self, ActionOutcome, ActionPlan, ActionRequest, Refusal, RefusalCode, VerifyOptions,
};
use crate::model::ServiceState;
use crate::transitions::ExpectedChange;

/// What [`Console::run_action`] did: the outcome, its verification inside.
pub type ActionRun = ActionOutcome;

/// An action's audit row was written or completed: the audit log has news.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ActionLogged {
    pub service: String,
    /// The row's id in the history.
    pub audit_id: i64,
}

/// How long a notice waits for the history to take the row; a failing disk shows as the
/// store's health, not as a stuck action.
const LOG_PATIENCE: Duration = Duration::from_secs(2);

impl Console {
    /// What the action would do, for the confirmation dialog; or why it will not be sent.
    pub fn plan_action(&self, request: &ActionRequest) -> Result<ActionPlan, Refusal> {
        let current = self.engine.feed().state(&request.service);
        if let Some(service) = self
            .config
            .services
            .iter()
            .find(|s| s.name == request.service)
        {
            if !service.instances.is_single() {
                return super::instance_actions::plan(service, request, current.as_deref());
            }
            return actions::plan(service, request, current.as_deref());
        }
        // A service a team's engine reports: sent to its instances, when the engine says where.
        if let Some(planned) = current
            .as_deref()
            .and_then(|state| super::engine_actions::plan(&self.config, state, request))
        {
            return planned;
        }
        let names: Vec<&str> = self
            .config
            .services
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        Err(Refusal {
            code: RefusalCode::UnknownService,
            message: format!(
                "no service `{}` is configured; services: {}",
                request.service,
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ),
            overridable: false,
        })
    }

    /// Waits until `service` has been polled once (each of its instances, for a service
    /// of several), or `patience` passes, so a console started just for one action
    /// plans with what the service says now. Returns its state then.
    pub async fn first_read(&self, service: &str, patience: Duration) -> Option<ServiceState> {
        let mut fleet = self.engine.fleet();
        // A service of several instances is read once every present instance was.
        let read = |engine: &crate::engine::EngineHandle| {
            engine
                .feed()
                .state(service)
                .filter(|s| {
                    s.latest.is_some()
                        && s.replicas.as_ref().is_none_or(|r| {
                            r.instances
                                .iter()
                                .all(|i| i.gone_since.is_some() || i.observed_at.is_some())
                        })
                })
                .map(|s| (*s).clone())
        };
        let wait = async {
            loop {
                if let Some(state) = read(&self.engine) {
                    return Some(state);
                }
                fleet.next().await?;
            }
        };
        tokio::time::timeout(patience, wait).await.ok().flatten()
    }

    /// Plans, claims, sends and verifies the action asked for.
    pub async fn run_action(
        &self,
        request: &ActionRequest,
        options: VerifyOptions,
    ) -> Result<ActionRun, Refusal> {
        let plan = self.plan_action(request)?;
        self.run_plan(&plan, options).await
    }

    /// Sends and verifies a plan made by [`Console::plan_action`]: one request, or one
    /// to each instance of a batch, all at once, each audited and verified on its own.
    pub async fn run_plan(
        &self,
        plan: &ActionPlan,
        options: VerifyOptions,
    ) -> Result<ActionRun, Refusal> {
        let _claim = self.in_flight.begin(plan)?;
        if let (Some(to), Some(breaker)) = (plan.expect, plan.request.target.as_deref()) {
            let until = self.clock.now()
                + chrono::Duration::from_std(options.deadline).unwrap_or(chrono::Duration::zero())
                + chrono::Duration::seconds(1);
            let change = ExpectedChange {
                to,
                reason: plan.request.reason.clone(),
                until,
            };
            self.engine
                .expect_change(&plan.request.service, breaker, change)
                .await;
        }
        if !plan.is_batch() {
            return Ok(self.send_and_verify(plan, options).await);
        }
        let each = plan
            .instances
            .iter()
            .map(|one| self.send_and_verify(one, options));
        let outcomes = futures::future::join_all(each).await;
        Ok(actions::batch::combine(plan, outcomes))
    }

    /// One request: sent with its audit row, then verified.
    async fn send_and_verify(&self, plan: &ActionPlan, options: VerifyOptions) -> ActionOutcome {
        let writer = self.audit.as_ref();
        let mut outcome = actions::execute(
            plan,
            &self.client,
            self.clock.as_ref(),
            writer,
            &self.operator,
        )
        .await;
        self.announce_logged(&outcome).await;
        actions::verify(plan, &mut outcome, &self.engine, writer, options).await;
        self.announce_logged(&outcome).await;
        outcome
    }

    /// Tells the action log's subscribers about `outcome`'s row, once it is written.
    async fn announce_logged(&self, outcome: &ActionOutcome) {
        let (Some(writer), Some(audit_id)) = (self.audit.as_ref(), outcome.audit_id) else {
            return;
        };
        if self.action_log.receiver_count() == 0 {
            return;
        }
        let _ = tokio::time::timeout(LOG_PATIENCE, writer.flush()).await;
        let _ = self.action_log.send(ActionLogged {
            service: outcome.request.service.clone(),
            audit_id,
        });
    }
}
