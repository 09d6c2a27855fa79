//! `clear-cache`: a cache clear, a named cache's eviction or an invalidation by pattern,
//! with the app's checks and audit rows (see [`super::reset::act`]).

use clap::Args;
use switchyard_core::actions::ActionRequest;
use switchyard_core::model::ActionKind;

use super::reset::{act, ActionArgs};
use crate::Outcome;

/// Clear a service's cache, or the entries matching a pattern, audited.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  switchyard-cli clear-cache --config fleet.toml trading-api --reason \"prices stale after the feed outage\"\n  switchyard-cli clear-cache --config fleet.toml trading-api --pattern 'market_data:*' --reason \"one feed was poisoned\"\n  switchyard-cli clear-cache --config fleet.toml payments-jvm --cache users --reason \"stale user records\"\n\n\
--pattern is breaker-registry's invalidate-by-pattern; --cache names one of a Spring service's\n\
caches. Exit codes: 0 done, 1 refused, failed or outcome unknown, 2 usage or configuration error."
)]
pub struct ClearCacheArgs {
    #[command(flatten)]
    pub common: ActionArgs,
    /// The service, by its configured name.
    pub service: String,
    /// Evict only the entries matching this pattern (e.g. `market_data:*`).
    #[arg(long, value_name = "P", conflicts_with = "cache")]
    pub pattern: Option<String>,
    /// Evict one named cache (spring-actuator) instead of all of them.
    #[arg(long, value_name = "NAME")]
    pub cache: Option<String>,
}

pub async fn run(args: ClearCacheArgs) -> Outcome {
    let (kind, target) = match (args.pattern, args.cache) {
        (Some(pattern), _) => (ActionKind::InvalidateCachePattern, Some(pattern)),
        (None, cache) => (ActionKind::ClearCache, cache),
    };
    let request = ActionRequest {
        service: args.service,
        kind,
        target,
        reason: args.common.reason.clone(),
        override_checks: false,
        instance: args.common.instance_id(),
    };
    act("clear-cache", &args.common, request).await
}
