//! Streaming bodies for the faults that must not be held in memory or that
//! unfold over time: 50 MiB of padding, a drip, a connection dropped
//! mid-body.

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use futures::stream::{self, StreamExt};

/// The size of `huge`: 50 MiB, fifty times the contract's default cap.
pub(crate) const HUGE_BODY_BYTES: u64 = 50 * 1024 * 1024;

/// Padding is sent in chunks of this size, all sharing one buffer.
const PADDING_CHUNK: usize = 64 * 1024;

/// The pause between the half body and the dropped connection of
/// `close_mid_body`: hyper flushes what it has while the body is pending,
/// so the client really sees headers and a partial body.
const FLUSH_PAUSE: Duration = Duration::from_millis(100);

/// The real document padded to exactly [`HUGE_BODY_BYTES`] of valid JSON:
/// `{"padding":"xxx…",` followed by the document's own fields. It stays
/// valid, so only a size cap (not a parse error) can reject it, and it is
/// generated as it is sent, never allocated whole.
pub(crate) fn huge(document: &[u8]) -> Body {
    let prefix = Bytes::from_static(b"{\"padding\":\"");
    // The document's fields after the padding, or just the closing brace
    // when it is not a non-empty JSON object.
    let is_object = document.starts_with(b"{") && document.ends_with(b"}");
    let suffix = if is_object && document.len() > 2 {
        let mut suffix = b"\",".to_vec();
        suffix.extend_from_slice(&document[1..]);
        Bytes::from(suffix)
    } else {
        Bytes::from_static(b"\"}")
    };
    let fixed = (prefix.len() + suffix.len()) as u64;
    let padding = usize::try_from(HUGE_BODY_BYTES.saturating_sub(fixed)).unwrap_or(0);
    let chunk = Bytes::from(vec![b'x'; PADDING_CHUNK]);
    let full_chunks = padding / PADDING_CHUNK;
    let last = chunk.slice(..padding % PADDING_CHUNK);
    let body = stream::iter([prefix])
        .chain(stream::repeat(chunk).take(full_chunks))
        .chain(stream::iter([last, suffix]))
        .map(Ok::<Bytes, io::Error>);
    Body::from_stream(body)
}

/// `document` one byte per second, the first at once. Ends early when
/// `stopped` resolves, so a dripping request does not hold up shutdown.
pub(crate) fn drip(document: Bytes, stopped: impl Future<Output = ()> + Send + 'static) -> Body {
    let stopped = Box::pin(stopped);
    let bytes = stream::unfold(
        (document, 0usize, stopped),
        |(document, index, mut stopped)| async move {
            if index >= document.len() {
                return None;
            }
            if index > 0 {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    () = &mut stopped => return None,
                }
            }
            let byte = document.slice(index..index + 1);
            Some((Ok::<Bytes, io::Error>(byte), (document, index + 1, stopped)))
        },
    );
    Body::from_stream(bytes)
}

/// The first half of `document`, then an error that makes hyper drop the
/// connection before the promised Content-Length is reached.
pub(crate) fn close_mid_body(document: Bytes) -> Body {
    let half = document.slice(..document.len() / 2);
    let body = stream::iter([Ok::<Bytes, io::Error>(half)]).chain(stream::once(async {
        tokio::time::sleep(FLUSH_PAUSE).await;
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "connection dropped mid-body (simulated by switchyard-fleet)",
        ))
    }));
    Body::from_stream(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    #[tokio::test]
    async fn huge_is_exactly_fifty_mebibytes_of_valid_json() {
        let body = to_bytes(huge(br#"{"status":"OK"}"#), usize::MAX).await;
        let body = body.unwrap_or_default();
        assert_eq!(body.len() as u64, HUGE_BODY_BYTES);
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(value["status"], "OK");

        let empty = to_bytes(huge(b"not json"), usize::MAX)
            .await
            .unwrap_or_default();
        assert_eq!(empty.len() as u64, HUGE_BODY_BYTES);
        assert!(serde_json::from_slice::<serde_json::Value>(&empty).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn drip_sends_a_byte_a_second() {
        let started = tokio::time::Instant::now();
        let body = to_bytes(
            drip(Bytes::from_static(b"abcd"), std::future::pending()),
            16,
        )
        .await;
        assert_eq!(body.unwrap_or_default(), Bytes::from_static(b"abcd"));
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test]
    async fn drip_stops_with_the_fleet() {
        let body = to_bytes(drip(Bytes::from_static(b"abcd"), async {}), 16).await;
        assert_eq!(body.unwrap_or_default(), Bytes::from_static(b"a"));
    }

    #[tokio::test]
    async fn close_mid_body_ends_in_an_error() {
        assert!(to_bytes(close_mid_body(Bytes::from_static(b"abcd")), 16)
            .await
            .is_err());
    }
}
