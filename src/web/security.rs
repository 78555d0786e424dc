//! Headers every buyer-facing page carries, and CSRF tokens for the forms
//! that post back to kassa.
//!
//! The payment page itself posts no form: its script calls the API with a
//! bearer key, which a cross-site page cannot attach. Forms that do post
//! (the 3-D Secure challenge, the demo) carry an HMAC token bound to what
//! they act on, and a cross-site `Origin` is refused outright.

use crate::domain::mac;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;

/// Who may frame a page.
#[derive(Debug, Clone, Copy)]
pub enum Framing<'a> {
    Deny,
    /// An embedded session's page, framed only by its embedding origin.
    Origin(&'a str),
}

fn csp(framing: Framing<'_>) -> String {
    let ancestors = match framing {
        Framing::Deny => "'none'".to_owned(),
        Framing::Origin(o) => format!("'self' {o}"),
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; frame-src 'self'; \
         form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    )
}

/// Adds the page headers: CSP, framing, no caching, no referrer (a session
/// id in a URL must not travel to a third party).
pub fn harden(res: &mut Response, framing: Framing<'_>) {
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, name: HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(name, v);
        }
    };
    set(h, header::CONTENT_SECURITY_POLICY, &csp(framing));
    if matches!(framing, Framing::Deny) {
        set(h, header::X_FRAME_OPTIONS, "DENY");
    }
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::CACHE_CONTROL, "no-store");
    set(h, HeaderName::from_static("cross-origin-opener-policy"), "same-origin-allow-popups");
}

/// A token for a form acting on `context`, under `key`.
pub fn token(key: &[u8; 32], context: &str) -> String {
    hex::encode(mac::hmac_sha256(key, &[context.as_bytes()]))
}

/// Whether `given` is the token for `context`, in constant time.
pub fn verify(key: &[u8; 32], context: &str, given: &str) -> bool {
    hex::decode(given).is_ok_and(|g| mac::verify(key, &[context.as_bytes()], &g))
}

/// A cross-site post: its `Origin` (or, failing that, `Sec-Fetch-Site`)
/// says it came from another site.
/// `public_origin` is kassa's own (from `KASSA_PUBLIC_URL`); the `Host` the
/// request came to is accepted too, for a server reached by its address.
pub fn cross_site(headers: &HeaderMap, public_origin: &str) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        // Pages sent with `Referrer-Policy: no-referrer` post `Origin: null`;
        // then only the browser's own Sec-Fetch-Site can vouch for them.
        Some("null") => fetch_site != Some("same-origin"),
        Some(origin) => origin != public_origin && origin.split_once("://").map(|(_, rest)| rest) != host,
        None => fetch_site.is_some_and(|s| s == "cross-site" || s == "same-site"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bound_to_their_context() {
        let k = [7u8; 32];
        let t = token(&k, "3ds|pi_1|abc");
        assert!(verify(&k, "3ds|pi_1|abc", &t));
        assert!(!verify(&k, "3ds|pi_2|abc", &t));
        assert!(!verify(&[8u8; 32], "3ds|pi_1|abc", &t));
        assert!(!verify(&k, "3ds|pi_1|abc", "zz"));
    }

    #[test]
    fn cross_site_posts_are_recognised() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:4242"));
        assert!(!cross_site(&h, "https://pay.example"));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:4242"));
        assert!(!cross_site(&h, "https://pay.example"));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://pay.example"));
        assert!(!cross_site(&h, "https://pay.example"), "behind a proxy that rewrites Host");
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.test"));
        assert!(cross_site(&h, "https://pay.example"));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(cross_site(&h, "https://pay.example"), "an opaque origin with nothing to vouch for it");
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(!cross_site(&h, "https://pay.example"), "no-referrer pages post Origin: null");
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(cross_site(&h, "https://pay.example"));
    }

    #[test]
    fn embedded_pages_name_their_one_ancestor() {
        assert!(csp(Framing::Origin("https://shop.test")).ends_with("frame-ancestors 'self' https://shop.test"));
        assert!(csp(Framing::Deny).contains("frame-ancestors 'none'"));
    }
}
