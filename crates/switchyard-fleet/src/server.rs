//! Serves one simulated service: its profile's routes behind the gate, the
//! control and stream routes beside them, and the task that runs them on an
//! already bound listener until the fleet shuts down (with, for services
//! with streams, the ticker that announces their breakers' transitions).

use std::sync::Arc;

use axum::middleware;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::profiles::Simulation;
use crate::state::ServiceState;
use crate::{control, gate, streams};

/// Serves `state` on `listener` until `shutdown` turns true or its sender is
/// dropped; the latter makes a fleet that never got built (or was dropped)
/// stop its servers without anyone having to ask.
pub(crate) fn spawn<M: Simulation>(
    listener: TcpListener,
    state: Arc<ServiceState<M>>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let name = state.name.clone();
    // `route_layer`: only matched profile routes pass the gate, so a 404
    // is neither counted nor faulted.
    let app = M::routes()
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            gate::gate::<M>,
        ))
        .merge(control::routes::<M>())
        .merge(streams::routes::<M>())
        .with_state(state.clone());
    tokio::spawn(async move {
        let stop = async move {
            // Err means the sender is gone: stop as well.
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        let serve = async {
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
            {
                tracing::warn!(service = %name, %error, "simulated service stopped with an error");
            }
        };
        // Both end when the fleet stops.
        tokio::join!(serve, streams::announce(state));
    })
}
