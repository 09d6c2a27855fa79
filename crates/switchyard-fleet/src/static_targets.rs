//! N loopback targets that all serve one fixed document, for measuring what it
//! costs a scraper (Switchyard or Prometheus) to read them: `scripts/bench-scrape.sh`
//! starts them with `switchyard-fleet --serve-static N FILE`.
//!
//! Nothing here simulates anything: the document never changes, so both scrapers do
//! the same work on every round. Every target counts the scrapes it answers into one
//! shared counter, read at `GET /_bench/requests` on any target, so both scrapers'
//! scrapes are counted the same way, at the targets.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

/// The Prometheus text format's content type, as Spring Boot's actuator sends it.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Targets bound to loopback, serving until the process ends.
pub struct StaticTargets {
    /// Every target's address, in the order they were bound.
    pub addresses: Vec<SocketAddr>,
}

#[derive(Clone)]
struct Shared {
    body: Arc<[u8]>,
    scrapes: Arc<AtomicU64>,
}

impl StaticTargets {
    /// Binds `count` listeners on 127.0.0.1 (ports chosen by the system) and serves
    /// `body` on every path but `/_bench/requests`.
    pub async fn start(count: usize, body: Vec<u8>) -> io::Result<StaticTargets> {
        let shared = Shared {
            body: body.into(),
            scrapes: Arc::new(AtomicU64::new(0)),
        };
        let app = Router::new()
            .route("/_bench/requests", get(requests))
            .fallback(get(document))
            .with_state(shared);
        let mut addresses = Vec::with_capacity(count);
        for _ in 0..count {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
            addresses.push(listener.local_addr()?);
            let app = app.clone();
            tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, app).await {
                    tracing::error!(%error, "a static target stopped");
                }
            });
        }
        Ok(StaticTargets { addresses })
    }
}

async fn document(State(shared): State<Shared>) -> impl IntoResponse {
    shared.scrapes.fetch_add(1, Ordering::Relaxed);
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        axum::body::Bytes::copy_from_slice(&shared.body),
    )
}

/// Scrapes answered by all targets together since they started.
async fn requests(State(shared): State<Shared>) -> String {
    format!("{}\n", shared.scrapes.load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn get_text(address: SocketAddr, path: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn every_target_serves_the_document_and_scrapes_are_counted_across_them() {
        let targets = StaticTargets::start(3, b"up 1\n".to_vec()).await.unwrap();
        assert_eq!(targets.addresses.len(), 3);
        for address in &targets.addresses {
            let answer = get_text(*address, "/metrics").await;
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            assert!(answer.ends_with("\r\n\r\nup 1\n"), "{answer}");
        }
        let count = get_text(targets.addresses[1], "/_bench/requests").await;
        assert!(count.ends_with("\r\n\r\n3\n"), "{count}");
    }
}
