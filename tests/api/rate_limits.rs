//! Per-key rate limits in Stripe's shape (issue 16, "Also"): live mode is
//! limited like Stripe by default, test mode only when asked.

use std::time::Duration;

use crate::backend_test;
use crate::helpers::{Res, TestApp};
use clap::Parser;
use kassa::config::{Config, ModeLimits, Rate, RateLimitConfig};
use reqwest::Method;

/// Two reads and two writes per minute: small enough that no refill
/// happens while a test runs, however slow the machine.
fn two_a_minute() -> ModeLimits {
    let rate = Some(Rate { requests: 2, per: Duration::from_secs(60) });
    ModeLimits { read: rate, write: rate }
}

/// Asserts Stripe's 429: `rate_limit`, a `Retry-After` in whole seconds,
/// and `Stripe-Should-Retry: true`, so the SDKs back off and retry.
fn assert_rate_limited(r: &Res, max_wait: u64) {
    let e = r.error(429, Some("rate_limit"), None);
    assert_eq!(e["type"], "invalid_request_error", "{}", r.body);
    assert_eq!(e["doc_url"], "https://stripe.com/docs/error-codes/rate-limit");
    let wait: u64 = r.header("retry-after").expect("no Retry-After").parse().unwrap();
    assert!((1..=max_wait).contains(&wait), "Retry-After: {wait}");
    assert_eq!(r.header("stripe-should-retry"), Some("true"));
    assert!(r.header("request-id").is_some_and(|id| id.starts_with("req_")));
}

/// `n` GETs at once with `key`: their statuses.
async fn burst(app: &TestApp, key: &str, n: usize) -> Vec<u16> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let rb = app.req(Method::GET, "/v1/customers?limit=1").bearer_auth(key);
            tokio::spawn(async move { TestApp::send(rb).await.status })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn serve_config(args: &[&str]) -> Config {
    let argv = ["kassa", "serve"].iter().chain(args);
    let cli = kassa::cli::Cli::try_parse_from(argv).unwrap();
    let kassa::cli::Command::Serve(serve) = cli.command else { panic!("not serve") };
    Config::from_serve(&serve).unwrap()
}

backend_test!(
    a_live_key_over_its_limit_gets_stripes_429,
    config = |c: &mut Config| c.rate_limits.live = two_a_minute(),
    |app| {
        let live = app.keys.live_sk.clone();
        for _ in 0..2 {
            assert_eq!(app.get_as(&live, "/v1/customers").await.status, 200);
        }
        let r = app.get_as(&live, "/v1/customers").await;
        assert_rate_limited(&r, 30);

        // Writes have their own bucket, and are refused the same way.
        for i in 0..2 {
            let r = app.post_as(&live, "/v1/customers", &[("email", &format!("w{i}@example.com"))]).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let r = TestApp::send(
            app.req(Method::POST, "/v1/customers")
                .bearer_auth(&live)
                .header("idempotency-key", "rl-1")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("email=x@example.com"),
        )
        .await;
        assert_rate_limited(&r, 30);
        assert!(r.header("idempotent-replayed").is_none());

        // Per key: another account's live key, and this account's test
        // key, are not held back.
        let other = app.other_account().await;
        assert_eq!(app.get_as(&other.live_secret_key, "/v1/customers").await.status, 200);
        assert_eq!(app.get("/v1/customers").await.status, 200);
        assert_eq!(app.get_as(&live, "/v1/customers").await.status, 429, "still over its limit");
    }
);

backend_test!(
    an_unknown_key_is_refused_as_unauthenticated_not_limited,
    config = |c: &mut Config| c.rate_limits.live = two_a_minute(),
    |app| {
        for _ in 0..5 {
            let r = app.get_as("sk_live_doesnotexist0000000000000000", "/v1/customers").await;
            assert_eq!(r.status, 401, "{}", r.body);
        }
    }
);

backend_test!(test_mode_is_unlimited_by_default, |app| {
    let statuses = burst(&app, &app.keys.sk, 150).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
});

backend_test!(
    stripes_test_mode_limits_can_be_turned_on,
    config = |c: &mut Config| {
        c.rate_limits = serve_config(&["--test-mode-rate-limits", "stripe"]).rate_limits;
    },
    |app| {
        // 25 a second, with bursts of 25: 150 at once cannot all pass
        // unless they take more than 5 s to arrive.
        let statuses = burst(&app, &app.keys.sk, 150).await;
        let limited = statuses.iter().filter(|s| **s == 429).count();
        let ok = statuses.iter().filter(|s| **s == 200).count();
        assert_eq!(ok + limited, 150, "{statuses:?}");
        assert!(limited > 0 && ok >= 25, "{ok} passed, {limited} limited");
        let r = app.get("/v1/customers").await;
        if r.status == 429 {
            assert_rate_limited(&r, 1);
        }
    }
);

#[test]
fn defaults_are_stripes_live_limits_and_no_test_mode_limits() {
    let stripe_live = ModeLimits { read: Rate::per_second(100), write: Rate::per_second(100) };
    let defaults = RateLimitConfig { live: stripe_live, test: ModeLimits::UNLIMITED };
    assert_eq!(serve_config(&[]).rate_limits, defaults);
    assert_eq!(Config::for_addr("127.0.0.1:1".parse().unwrap()).rate_limits, defaults);
    let on = serve_config(&["--test-mode-rate-limits", "stripe", "--live-rate-limit-write", "0"]).rate_limits;
    assert_eq!(on.test, ModeLimits { read: Rate::per_second(25), write: Rate::per_second(25) });
    assert_eq!(on.live.write, None, "0 turns a limit off");
}

backend_test!(
    a_publishable_key_is_never_throttled,
    config = |c: &mut Config| c.rate_limits.live = two_a_minute(),
    |app| {
        // It is public: anyone could spend its bucket and stop the
        // merchant's buyers. A secret-key endpoint answers it 401 each time.
        let pk = app.other_account().await.live_publishable_key;
        for _ in 0..5 {
            let r = app.get_as(&pk, "/v1/customers").await;
            assert_eq!(r.status, 401, "{}", r.body);
        }
    }
);
