//! A per-second request budget, as rate-limited APIs keep one: answers
//! carry `X-RateLimit-Limit`, `-Remaining` and `-Reset`, and a request past
//! the budget gets `429` with `Retry-After`. Windows are whole seconds of
//! the service's tokio clock.

use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// What `breaker-registry` advertises while no budget is enforced: a
/// generous limit, so its headers are always there to parse.
pub(crate) const ADVERTISED_LIMIT: u32 = 1000;

const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// Requests counted in the current one-second window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RateWindow {
    second: u64,
    used: u32,
}

/// One request's standing against the budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Standing {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// Whole seconds until the window resets (at least 1).
    pub(crate) reset_seconds: u64,
    /// True when the budget is enforced and this request is over it.
    pub(crate) refused: bool,
}

impl RateWindow {
    /// Counts a request at `now`. `enforced` is the budget set through the
    /// control API; `advertised` the limit to report without one. Answers
    /// `None` when there is nothing to report.
    pub(crate) fn admit(
        &mut self,
        now: Duration,
        enforced: Option<u32>,
        advertised: Option<u32>,
    ) -> Option<Standing> {
        let second = now.as_secs();
        if second != self.second {
            *self = RateWindow { second, used: 0 };
        }
        self.used = self.used.saturating_add(1);
        let limit = enforced.or(advertised)?;
        let into_window = now.saturating_sub(Duration::from_secs(second));
        let reset_seconds = (Duration::from_secs(1) - into_window).as_secs_f64().ceil() as u64;
        Some(Standing {
            limit,
            remaining: limit.saturating_sub(self.used),
            reset_seconds: reset_seconds.max(1),
            refused: enforced.is_some() && self.used > limit,
        })
    }
}

impl Standing {
    /// The `429` for a refused request.
    pub(crate) fn refusal(&self) -> Response {
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(serde_json::json!({
                "error": "rate limit exceeded",
                "retry_after_seconds": self.reset_seconds,
            })),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(self.reset_seconds));
        self.decorate(&mut response);
        response
    }

    /// Adds the three `X-RateLimit-*` headers.
    pub(crate) fn decorate(&self, response: &mut Response) {
        let headers = response.headers_mut();
        headers.insert(LIMIT, HeaderValue::from(self.limit));
        headers.insert(REMAINING, HeaderValue::from(self.remaining));
        headers.insert(RESET, HeaderValue::from(self.reset_seconds));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_resets_every_second() {
        let mut window = RateWindow::default();
        let at = |ms| Duration::from_millis(ms);
        for (n, ms) in [100, 200, 300].into_iter().enumerate() {
            let standing = window.admit(at(ms), Some(3), None);
            assert_eq!(
                standing.map(|s| (s.remaining, s.refused)),
                Some((2 - n as u32, false))
            );
        }
        let over = window.admit(at(900), Some(3), None);
        assert_eq!(
            over.map(|s| (s.remaining, s.refused, s.reset_seconds)),
            Some((0, true, 1))
        );
        let next = window.admit(at(1000), Some(3), None);
        assert_eq!(next.map(|s| (s.remaining, s.refused)), Some((2, false)));
    }

    #[test]
    fn advertised_limits_are_never_enforced() {
        let mut window = RateWindow::default();
        for _ in 0..5 {
            let standing = window.admit(Duration::ZERO, None, Some(2));
            assert_eq!(standing.map(|s| s.refused), Some(false));
        }
        assert_eq!(window.admit(Duration::ZERO, None, None), None);
    }
}
