//! Where kassa may send data: webhook endpoints and `http` processor routes
//! (which receive card numbers). In live mode only public `https` URLs are
//! taken, unless the operator opts in with `KASSA_ALLOW_PRIVATE_OUTBOUND`
//! for development; test mode takes any http(s) URL, loopback included.
//!
//! These are the checks that need no network: the scheme, literal
//! addresses, and names that are never public. Names are checked again on
//! every request by the HTTP clients' resolver (`webhooks::send`), on the
//! addresses actually connected to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::fields::FieldError;

/// What an outbound URL may point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlPolicy {
    /// Any absolute http(s) URL (test mode, or live with the opt-in).
    Open,
    /// Public `https` only (live mode).
    PublicHttps,
}

impl UrlPolicy {
    pub fn for_mode(livemode: bool, allow_private_outbound: bool) -> Self {
        if livemode && !allow_private_outbound {
            Self::PublicHttps
        } else {
            Self::Open
        }
    }
}

/// Loopback, private, link-local (169.254/16, where cloud metadata services
/// live; fe80::/10), unique-local, CGNAT, unspecified, broadcast,
/// multicast and reserved addresses: none is a public receiver's.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => private_v6(v6),
    }
}

fn private_v4(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10, CGNAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24, IETF protocol
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15, benchmarking
        || o[0] >= 240 // 240.0.0.0/4, reserved
}

fn private_v6(v6: Ipv6Addr) -> bool {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return private_v4(v4);
    }
    let s = v6.segments();
    // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) carry an
    // IPv4 address that some stacks still reach.
    let embedded = Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7]));
    if s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
        return private_v4(embedded);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return private_v4(embedded);
    }
    v6.is_loopback()
        || v6.is_unspecified()
        || v6.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // fc00::/7, unique local
        || (s[0] & 0xffc0) == 0xfe80 // fe80::/10, link-local
        || (s[0] & 0xffc0) == 0xfec0 // fec0::/10, the old site-local
}

/// Names that never resolve to a public receiver: `localhost` (RFC 6761),
/// mDNS `.local`, `.internal` (cloud metadata services, ICANN's private
/// TLD), `.home.arpa`, and names of one label (`metadata`, `intranet`).
fn local_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    let under = |suffix: &str| h == suffix || h.ends_with(&format!(".{suffix}"));
    !h.contains('.') || ["localhost", "local", "internal", "home.arpa", "localdomain"].iter().any(|s| under(s))
}

/// The address a URL names literally, if it does (never resolved, so the
/// resolver's check never sees it). `url` reads `https://2130706433/` and
/// `https://0x7f.1/` as 127.0.0.1, as browsers and HTTP clients do.
pub fn literal_ip(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(a) => Some(IpAddr::V4(a)),
        url::Host::Ipv6(a) => Some(IpAddr::V6(a)),
        url::Host::Domain(_) => None,
    }
}

/// Why `url` is not a public `https` URL, or `None` when it is one.
pub fn refusal(url: &str) -> Option<&'static str> {
    let Ok(u) = url::Url::parse(url) else { return Some("it is not a valid URL") };
    if u.scheme() != "https" {
        return Some("it uses plain http");
    }
    if literal_ip(&u).is_some_and(is_private) {
        return Some("it points at a loopback, private or link-local address");
    }
    match u.host() {
        Some(url::Host::Domain(d)) if local_name(d) => Some("its host is a local name, not a public one"),
        None => Some("it has no host"),
        _ => None,
    }
}

/// `param` (already a valid http(s) URL) may be used under `policy`.
pub fn check(param: &str, url: &str, policy: UrlPolicy) -> Result<(), FieldError> {
    if policy == UrlPolicy::Open {
        return Ok(());
    }
    match refusal(url) {
        None => Ok(()),
        Some(why) => Err(FieldError {
            param: param.to_owned(),
            code: "url_invalid",
            message: format!(
                "Invalid {param}: in live mode it must be a public https URL, but {why}. \
                 (For development, the server setting KASSA_ALLOW_PRIVATE_OUTBOUND=true allows it.)"
            ),
        }),
    }
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
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fc00::1",
            "fe80::1",
            "febf::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "ff02::1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "172.32.0.1", "100.128.0.1", "64:ff9b::8.8.8.8"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn only_public_https_passes_the_live_policy() {
        for url in [
            "http://example.com/hook",
            "https://127.0.0.1/hook",
            "https://2130706433/hook",
            "https://0x7f.1/hook",
            "https://[::1]:8443/hook",
            "https://[::ffff:10.0.0.1]/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://localhost/hook",
            "https://api.localhost./hook",
            "https://metadata.google.internal/computeMetadata",
            "https://metadata/hook",
            "https://printer.local/hook",
        ] {
            assert!(refusal(url).is_some(), "{url}");
            let e = check("processors[0][url]", url, UrlPolicy::PublicHttps).unwrap_err();
            assert_eq!((e.param.as_str(), e.code), ("processors[0][url]", "url_invalid"));
        }
        for url in ["https://example.com/hook", "https://8.8.8.8/x", "https://[2606:4700::1111]/x"] {
            assert_eq!(refusal(url), None, "{url}");
        }
        assert!(check("url", "http://127.0.0.1:9/x", UrlPolicy::Open).is_ok());
        assert_eq!(UrlPolicy::for_mode(true, false), UrlPolicy::PublicHttps);
        assert_eq!(UrlPolicy::for_mode(true, true), UrlPolicy::Open);
        assert_eq!(UrlPolicy::for_mode(false, false), UrlPolicy::Open);
    }
}
