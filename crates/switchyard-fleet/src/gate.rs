//! What stands between a request and its profile handler: the request
//! count, the record of write requests, the rate budget, and the injected
//! fault. Runs on every profile route (never on the control endpoints).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::faults::{self, Fault};
use crate::profiles::Simulation;
use crate::state::ServiceState;

pub(crate) async fn gate<M: Simulation>(
    State(state): State<Arc<ServiceState<M>>>,
    request: Request,
    next: Next,
) -> Response {
    // Recorded before any fault answers: a reset that hangs was still sent.
    state.record_action(request.method(), request.uri(), request.headers());
    let admission = state.admit(request.uri().path());
    if let Some(standing) = admission.standing.filter(|s| s.refused) {
        return standing.refusal();
    }
    let mut response = match admission.fault {
        Fault::None => next.run(request).await,
        Fault::Slow => {
            // Whichever comes first: the delay, or the fleet stopping.
            tokio::select! {
                () = tokio::time::sleep(admission.params.delay) => next.run(request).await,
                () = state.stopped() => faults::shutting_down(),
            }
        }
        Fault::Hang => {
            state.stopped().await;
            faults::shutting_down()
        }
        fault => match faults::canned(fault, &admission.params) {
            Some(response) => response,
            None => {
                let answer = next.run(request).await;
                faults::distort(fault, answer, state.stopped()).await
            }
        },
    };
    if let Some(standing) = admission.standing {
        standing.decorate(&mut response);
    }
    response
}
