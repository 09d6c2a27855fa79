//! The frames the stream faults send: garbage of every kind a parser must
//! survive, one oversized frame, and how many messages a flood sends per
//! tick. What happens to the connection (cut, silenced) is the session's.

use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes};

/// How often garbage repeats while the fault lasts.
pub(crate) const GARBAGE_INTERVAL: Duration = Duration::from_secs(1);

/// A flood is sent in batches this often: smooth enough to look like a
/// rate, coarse enough not to wake the fleet 50 000 times a second.
pub(crate) const FLOOD_TICK: Duration = Duration::from_millis(10);

/// One batch of garbage: text that is not JSON, binary junk, a message of a
/// type no contract defines, and JSON that is not an object.
pub(crate) fn garbage() -> [Message; 4] {
    [
        Message::Text(Utf8Bytes::from_static("this is not JSON {{{ \u{1F4A5}")),
        Message::Binary(vec![0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0xFF, 0x13, 0x37].into()),
        Message::Text(Utf8Bytes::from_static(
            r#"{"type":"surprise","payload":42}"#,
        )),
        Message::Text(Utf8Bytes::from_static("[1,2,3]")),
    ]
}

/// A well-formed data message on `channel` padded to exactly `bytes` bytes
/// (or as small as it can be, should `bytes` be smaller than that): it is
/// the size a client must refuse, not the content.
pub(crate) fn oversized(channel: &str, bytes: usize) -> String {
    let channel = serde_json::Value::from(channel).to_string();
    let head = format!(r#"{{"type":"data","channel":{channel},"data":{{"padding":""#);
    let tail = r#""}}"#;
    let padding = bytes.saturating_sub(head.len() + tail.len());
    let mut frame = String::with_capacity(head.len() + padding + tail.len());
    frame.push_str(&head);
    frame.extend(std::iter::repeat_n('x', padding));
    frame.push_str(tail);
    frame
}

/// Messages per [`FLOOD_TICK`] for `per_second`, at least one.
pub(crate) fn flood_batch(per_second: u32) -> usize {
    let ticks_per_second = 1000 / FLOOD_TICK.as_millis().max(1);
    usize::try_from((u128::from(per_second)).div_ceil(ticks_per_second))
        .unwrap_or(1)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_frames_have_the_exact_size_and_stay_json() {
        let frame = oversized("breakers", 2 * 1024 * 1024);
        assert_eq!(frame.len(), 2 * 1024 * 1024);
        let parsed: serde_json::Value = serde_json::from_str(&frame).unwrap_or_default();
        assert_eq!(parsed["type"], "data");
        assert_eq!(parsed["channel"], "breakers");
        assert!(oversized("breakers", 3).len() > 3);
    }

    #[test]
    fn garbage_is_not_a_valid_message() {
        for message in garbage() {
            if let Message::Text(text) = message {
                let parsed: Result<serde_json::Value, _> = serde_json::from_str(text.as_str());
                let known = parsed.ok().and_then(|value| {
                    let kind = value.get("type")?.as_str()?.to_owned();
                    ["data", "ping", "error"]
                        .contains(&kind.as_str())
                        .then_some(kind)
                });
                assert!(known.is_none(), "{text}");
            }
        }
    }

    #[test]
    fn flood_batches_cover_the_rate() {
        assert_eq!(flood_batch(1), 1);
        assert_eq!(flood_batch(5000), 50);
        assert_eq!(flood_batch(150), 2);
    }
}
