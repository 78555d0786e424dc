//! Per-key request rate limits in Stripe's shape: a 429 with code
//! `rate_limit`, `Retry-After` and `Stripe-Should-Retry: true`. Reads (GET,
//! HEAD) and writes have separate buckets, per API key and per mode.
//!
//! The limiters are keyed by the key's keyed hash (what the database
//! stores), never the key, and only for keys that exist: a made-up key is
//! refused by the handler and takes no room here.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::{ModeLimits, Rate, RateLimitConfig};
use crate::domain::keys::{self, Mode};
use crate::error::{ApiError, ErrorType};
use crate::AppState;

/// How many checks pass between sweeps of keys whose buckets are full again.
const SWEEP_EVERY: u64 = 1 << 16;

/// One bucket per key for one mode and kind of request.
struct Limiter {
    rate: Rate,
    limiter: DefaultKeyedRateLimiter<String>,
}

impl Limiter {
    fn new(rate: Option<Rate>) -> Option<Self> {
        let r = rate?;
        let burst = NonZeroU32::new(r.requests)?;
        let quota = Quota::with_period(r.per / r.requests)?.allow_burst(burst);
        Some(Self { rate: r, limiter: RateLimiter::keyed(quota) })
    }
}

/// Every limiter of this node. With several nodes each counts on its own.
pub struct RateLimits {
    live: [Option<Limiter>; 2],
    test: [Option<Limiter>; 2],
    checks: AtomicU64,
}

/// A refusal: how long to wait, and the limit that was hit.
struct Refused {
    wait: Duration,
    rate: Rate,
    live: bool,
    write: bool,
}

impl RateLimits {
    pub fn new(cfg: &RateLimitConfig) -> Self {
        let pair = |m: &ModeLimits| [Limiter::new(m.read), Limiter::new(m.write)];
        Self { live: pair(&cfg.live), test: pair(&cfg.test), checks: AtomicU64::new(0) }
    }

    fn pick(&self, live: bool, write: bool) -> Option<&Limiter> {
        let pair = if live { &self.live } else { &self.test };
        pair[usize::from(write)].as_ref()
    }

    fn check(&self, hash: &str, live: bool, write: bool) -> Result<(), Refused> {
        let Some(l) = self.pick(live, write) else { return Ok(()) };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            for l in self.live.iter().chain(&self.test).flatten() {
                l.limiter.retain_recent();
                l.limiter.shrink_to_fit();
            }
        }
        l.limiter.check_key(&hash.to_owned()).map_err(|not_until| Refused {
            wait: not_until.wait_time_from(l.limiter.clock().now()),
            rate: l.rate,
            live,
            write,
        })
    }
}

/// The middleware: counts the request against its key's bucket, or answers
/// 429. Requests without a valid key pass; their handler refuses them.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let write = !matches!(*req.method(), Method::GET | Method::HEAD);
    match check(&state, req.headers(), write).await {
        Ok(()) => next.run(req).await,
        Err(refused) => too_many(&refused),
    }
}

async fn check(state: &AppState, headers: &HeaderMap, write: bool) -> Result<(), Refused> {
    let Ok(key) = crate::api::plumbing::auth::presented_key(headers) else { return Ok(()) };
    // A publishable key is public (it is in every checkout page): a bucket
    // for it would let anyone throttle a merchant's buyers.
    let Some((kind, mode)) = keys::classify(&key) else { return Ok(()) };
    if kind == keys::KeyKind::Publishable {
        return Ok(());
    }
    let live = mode == Mode::Live;
    if state.rate_limits.pick(live, write).is_none() || key.len() > 256 {
        return Ok(());
    }
    let hash = keys::hash(&state.pepper, &key);
    if state.keys.get(&hash).is_none() {
        // Warms the cache the handler reads next; errors are the handler's.
        match state.store.find_api_key(&hash).await {
            Ok(Some(rec)) => state.keys.put(hash.clone(), rec),
            _ => return Ok(()),
        }
    }
    state.rate_limits.check(&hash, live, write)
}

fn too_many(r: &Refused) -> Response {
    let per = if r.rate.per == Duration::from_secs(1) { "second".to_owned() } else { format!("{:?}", r.rate.per) };
    let message = format!(
        "Request rate limit exceeded: this API key may make {} {} requests per {per} in {} mode. \
         Retry after the number of seconds in the Retry-After header.",
        r.rate.requests,
        if r.write { "write" } else { "read" },
        if r.live { "live" } else { "test" },
    );
    let err = ApiError::new(StatusCode::TOO_MANY_REQUESTS, ErrorType::InvalidRequest, Some("rate_limit"), message);
    let mut res = err.into_response();
    // Whole seconds, rounded up: a client that waits that long gets through.
    let secs = r.wait.as_secs() + u64::from(r.wait.subsec_nanos() > 0);
    let h = res.headers_mut();
    h.insert("retry-after", HeaderValue::from(secs.max(1)));
    h.insert("stripe-should-retry", HeaderValue::from_static("true"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_have_separate_buckets_per_key_and_mode() {
        let one = ModeLimits { read: Rate::per_second(1), write: Rate::per_second(1) };
        let limits = RateLimits::new(&RateLimitConfig { live: one, test: ModeLimits::UNLIMITED });
        assert!(limits.check("a", true, false).is_ok());
        let refused = limits.check("a", true, false).err().unwrap();
        assert!(refused.wait > Duration::ZERO && refused.wait <= Duration::from_secs(1));
        assert!(limits.check("a", true, true).is_ok(), "writes have their own bucket");
        assert!(limits.check("b", true, false).is_ok(), "another key has its own bucket");
        for _ in 0..100 {
            assert!(limits.check("a", false, false).is_ok(), "test mode is unlimited");
        }
    }

    #[test]
    fn the_429_has_stripes_shape_and_retry_headers() {
        let rate = Rate { requests: 100, per: Duration::from_secs(1) };
        let res = too_many(&Refused { wait: Duration::from_millis(10), rate, live: true, write: true });
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers()["retry-after"], "1");
        assert_eq!(res.headers()["stripe-should-retry"], "true");
    }
}
