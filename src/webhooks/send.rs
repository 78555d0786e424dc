//! One webhook POST: no redirects, a hard time limit that covers the
//! response body, a short sanitized excerpt of that body kept, and the
//! outbound address policy (`domain::outbound`): in live mode only public
//! https endpoints (unless `KASSA_ALLOW_PRIVATE_OUTBOUND`), and no private
//! addresses whenever they are refused, checked on the addresses actually
//! connected to. `http` processors in live mode use the same resolver.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

pub use crate::domain::outbound::is_private;
use crate::domain::outbound::{self, UrlPolicy};
use crate::domain::webhook_delivery::{response_excerpt, MAX_BODY};

/// Resolves names, dropping private addresses when asked to: the check and
/// the connection use the same answer, so DNS rebinding cannot slip past.
struct Guard {
    deny_private: bool,
}

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let deny = self.deny_private;
        Box::pin(async move {
            let host = format!("{}:0", name.as_str());
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host(host).await?.collect();
            let allowed: Vec<SocketAddr> = addrs.into_iter().filter(|a| !(deny && is_private(a.ip()))).collect();
            if allowed.is_empty() {
                return Err("the host resolves only to private addresses".into());
            }
            let out: Addrs = Box::new(allowed.into_iter());
            Ok(out)
        })
    }
}

/// `builder` with a resolver that never yields a private address. Literal
/// addresses are not resolved: callers check them (`outbound::refusal`).
pub fn deny_private(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    // Through a proxy the resolver would never see the target.
    builder.dns_resolver(Arc::new(Guard { deny_private: true })).no_proxy()
}

/// What one POST found.
#[derive(Debug, Clone)]
pub struct Sent {
    pub status: Option<u16>,
    pub body: Option<String>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

#[derive(Clone)]
pub struct Sender {
    /// Its resolver passes every address.
    open: reqwest::Client,
    /// Its resolver drops private addresses.
    guarded: reqwest::Client,
    /// `KASSA_WEBHOOK_DENY_PRIVATE`: no private addresses in either mode.
    deny_private: bool,
    /// `KASSA_ALLOW_PRIVATE_OUTBOUND`: live mode as open as test mode.
    allow_private_outbound: bool,
    timeout: Duration,
}

impl Sender {
    pub fn new(deny_private: bool, allow_private_outbound: bool, timeout: Duration) -> Self {
        let client = |deny: bool| {
            let builder = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .pool_max_idle_per_host(4)
                // `Stripe-Signature`, not `stripe-signature`: some receivers
                // (API gateways' event objects) look header names up exactly.
                .http1_title_case_headers()
                .user_agent(concat!("kassa-webhooks/", env!("CARGO_PKG_VERSION")))
                .dns_resolver(Arc::new(Guard { deny_private: deny }));
            // Through a proxy the resolver would never see the target.
            let builder = if deny { builder.no_proxy() } else { builder };
            builder.build().unwrap_or_else(|_| reqwest::Client::new())
        };
        Self { open: client(false), guarded: client(true), deny_private, allow_private_outbound, timeout }
    }

    /// Why a delivery to `url` in this mode is refused before sending, and
    /// whether its names must resolve to public addresses.
    fn policy(&self, livemode: bool, url: &str) -> (Option<String>, bool) {
        if UrlPolicy::for_mode(livemode, self.allow_private_outbound) == UrlPolicy::PublicHttps {
            let refused =
                outbound::refusal(url).map(|why| format!("refused: a live-mode endpoint must be public https: {why}"));
            return (refused, true);
        }
        let literal = url::Url::parse(url).ok().and_then(|u| outbound::literal_ip(&u));
        let refused = (self.deny_private && literal.is_some_and(is_private))
            .then(|| "refused: the endpoint is a private address".to_owned());
        (refused, self.deny_private)
    }

    /// POSTs a delivery of a `livemode` event to `url`.
    pub async fn post(&self, livemode: bool, url: &str, headers: &[(&str, String)], body: String) -> Sent {
        let started = Instant::now();
        let done = |status: Option<u16>, body: Option<String>, error: Option<String>| Sent {
            status,
            body,
            error,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        let (refused, guarded) = self.policy(livemode, url);
        if refused.is_some() {
            return done(None, None, refused);
        }
        let client = if guarded { &self.guarded } else { &self.open };
        let mut req = client.post(url).header("Content-Type", "application/json; charset=utf-8");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let attempt = async {
            let mut res = req.body(body).send().await?;
            let status = res.status().as_u16();
            let mut kept: Vec<u8> = Vec::new();
            while kept.len() < MAX_BODY {
                match res.chunk().await? {
                    Some(c) => kept.extend_from_slice(&c[..c.len().min(MAX_BODY - kept.len())]),
                    None => break,
                }
            }
            Ok::<_, reqwest::Error>((status, response_excerpt(&String::from_utf8_lossy(&kept))))
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Ok(Ok((status, body))) => done(Some(status), Some(body), None),
            Ok(Err(e)) => done(None, None, Some(describe(e))),
            Err(_) => done(None, None, Some(format!("timed out after {} s", self.timeout.as_secs_f32()))),
        }
    }
}

/// An error without the URL (it may carry credentials in its userinfo).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_guard_drops_private_answers_and_the_open_resolver_keeps_them() {
        let name = |h: &str| h.parse::<Name>().unwrap();
        let err = Guard { deny_private: true }.resolve(name("localhost")).await.err().unwrap();
        assert!(err.to_string().contains("private"), "{err}");
        let open: Vec<SocketAddr> = Guard { deny_private: false }.resolve(name("localhost")).await.unwrap().collect();
        assert!(open.iter().all(|a| a.ip().is_loopback()) && !open.is_empty(), "{open:?}");
    }

    #[test]
    fn live_mode_refuses_before_sending_unless_allowed() {
        let strict = Sender::new(false, false, Duration::from_secs(1));
        let (refused, guarded) = strict.policy(true, "http://127.0.0.1:9/hook");
        assert!(refused.is_some_and(|r| r.contains("plain http")) && guarded);
        let (refused, guarded) = strict.policy(true, "https://10.0.0.1/hook");
        assert!(refused.is_some_and(|r| r.contains("private")) && guarded);
        assert_eq!(strict.policy(true, "https://shop.example/hook"), (None, true));
        assert_eq!(strict.policy(false, "http://127.0.0.1:9/hook"), (None, false), "test mode as before");
        let allowed = Sender::new(false, true, Duration::from_secs(1));
        assert_eq!(allowed.policy(true, "http://127.0.0.1:9/hook"), (None, false));
        let deny = Sender::new(true, true, Duration::from_secs(1));
        assert!(deny.policy(false, "http://127.0.0.1:9/hook").0.is_some(), "KASSA_WEBHOOK_DENY_PRIVATE");
    }
}
