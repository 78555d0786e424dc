//! One webhook POST: no redirects, a hard time limit that covers the
//! response body, at most 4 KiB of that body kept, and (when configured)
//! no private addresses, checked on the addresses actually connected to.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::webhook_delivery::MAX_BODY;

/// Loopback, private, link-local, unique-local, CGNAT, unspecified,
/// multicast: addresses a public webhook receiver never has.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

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
                return Err("the endpoint resolves only to private addresses".into());
            }
            let out: Addrs = Box::new(allowed.into_iter());
            Ok(out)
        })
    }
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
    client: reqwest::Client,
    deny_private: bool,
    timeout: Duration,
}

impl Sender {
    pub fn new(deny_private: bool, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(4)
            // `Stripe-Signature`, not `stripe-signature`: some receivers
            // (API gateways' event objects) look header names up exactly.
            .http1_title_case_headers()
            .user_agent(concat!("kassa-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(Guard { deny_private }))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { client, deny_private, timeout }
    }

    pub async fn post(&self, url: &str, headers: &[(&str, String)], body: String) -> Sent {
        let started = Instant::now();
        let done = |status: Option<u16>, body: Option<String>, error: Option<String>| Sent {
            status,
            body,
            error,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        // A literal address is never resolved: check it here.
        let literal = url::Url::parse(url).ok().and_then(|u| match u.host() {
            Some(url::Host::Ipv4(a)) => Some(IpAddr::V4(a)),
            Some(url::Host::Ipv6(a)) => Some(IpAddr::V6(a)),
            _ => None,
        });
        if self.deny_private && literal.is_some_and(is_private) {
            return done(None, None, Some("refused: the endpoint is a private address".into()));
        }
        let mut req = self.client.post(url).header("Content-Type", "application/json; charset=utf-8");
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
            Ok::<_, reqwest::Error>((status, String::from_utf8_lossy(&kept).into_owned()))
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

    #[test]
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "172.32.0.1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }
}
