//! Serves one simulated service: its routes, and the task that runs them on
//! an already bound listener until the fleet shuts down.

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::state::ServiceState;
use crate::{control, health_contract};

fn router(state: Arc<ServiceState>) -> Router {
    Router::new()
        .route("/health", get(health_contract::health))
        .route("/_fleet/set", post(control::set))
        .route("/_fleet/script", post(control::script))
        .route("/_fleet/state", get(control::state))
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` turns true or its sender is
/// dropped; the latter makes a fleet that never got built (or was dropped)
/// stop its servers without anyone having to ask.
pub(crate) fn spawn(
    listener: TcpListener,
    state: Arc<ServiceState>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let name = state.name.clone();
    let app = router(state);
    tokio::spawn(async move {
        let stop = async move {
            // Err means the sender is gone: stop as well.
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::warn!(service = %name, %error, "simulated service stopped with an error");
        }
    })
}
