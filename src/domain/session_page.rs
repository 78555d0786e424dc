//! What the buyer's page does around the payment: `after_completion` (seed
//! 003: redirect, or kassa's own confirmation) and `embed_origin` (seed
//! 002: the only origin an embedded page tells of its completion).

use serde::Deserialize;

use super::checkout_session::{
    AfterCompletion as Shown, AfterCompletionType, CheckoutSession, HostedConfirmation as HostedConfirmationShown,
    Redirect, RedirectOnCompletion,
};
use super::fields::{max_len, FieldError};
use super::session_params::UiMode;
use super::session_rules::{check_url, missing};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AfterCompletion {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub redirect: Option<RedirectParam>,
    pub hosted_confirmation: Option<HostedConfirmation>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedirectParam {
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostedConfirmation {
    pub custom_message: Option<String>,
}

/// Checks `after_completion` and returns it as the session stores it.
pub fn after_completion(a: &AfterCompletion, ui: UiMode) -> Result<Shown, FieldError> {
    if ui != UiMode::HostedPage {
        return Err(FieldError::invalid(
            "after_completion",
            "`after_completion` is only for sessions with `ui_mode=hosted_page`.",
        ));
    }
    let kind = a.kind.as_deref().ok_or_else(|| missing("after_completion[type]"))?;
    match kind {
        "redirect" => {
            if a.hosted_confirmation.is_some() {
                return Err(FieldError::invalid(
                    "after_completion[hosted_confirmation]",
                    "`after_completion[hosted_confirmation]` needs `after_completion[type]=hosted_confirmation`.",
                ));
            }
            let url = a.redirect.as_ref().and_then(|r| r.url.as_deref());
            let url = url.ok_or_else(|| missing("after_completion[redirect][url]"))?;
            check_url("after_completion[redirect][url]", url)?;
            Ok(Shown {
                kind: AfterCompletionType::Redirect,
                redirect: Some(Redirect { url: url.to_owned() }),
                hosted_confirmation: None,
            })
        }
        "hosted_confirmation" => {
            if a.redirect.is_some() {
                return Err(FieldError::invalid(
                    "after_completion[redirect]",
                    "`after_completion[redirect]` needs `after_completion[type]=redirect`.",
                ));
            }
            let msg = a.hosted_confirmation.as_ref().and_then(|h| h.custom_message.clone());
            if let Some(m) = &msg {
                max_len("after_completion[hosted_confirmation][custom_message]", m, 500)?;
            }
            Ok(Shown {
                kind: AfterCompletionType::HostedConfirmation,
                redirect: None,
                hosted_confirmation: Some(HostedConfirmationShown { custom_message: msg }),
            })
        }
        _ => Err(FieldError {
            param: "after_completion[type]".into(),
            code: "parameter_invalid_enum",
            message: "Invalid after_completion[type]: must be one of redirect, hosted_confirmation".into(),
        }),
    }
}

/// The origin (`scheme://host[:port]`) of an absolute http(s) URL.
pub fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return None;
    }
    Some(u.origin().ascii_serialization())
}

/// `embed_origin` as given (an origin and nothing more), or the origin of
/// `return_url`; only embedded pages have one.
pub fn embed_origin(given: Option<&str>, return_url: Option<&str>, ui: UiMode) -> Result<Option<String>, FieldError> {
    if ui != UiMode::EmbeddedPage {
        if given.is_some() {
            return Err(FieldError::invalid(
                "embed_origin",
                "`embed_origin` is only for sessions with `ui_mode=embedded_page`.",
            ));
        }
        return Ok(None);
    }
    match given {
        Some(o) => {
            let ok = origin_of(o).filter(|norm| norm == o.trim_end_matches('/'));
            match ok {
                Some(norm) => Ok(Some(norm)),
                None => Err(FieldError {
                    param: "embed_origin".into(),
                    code: "url_invalid",
                    message:
                        "Invalid embed_origin: an origin such as https://shop.example (scheme, host and port, no path)."
                            .into(),
                }),
            }
        }
        // With no return_url either, nobody could frame the page.
        None => return_url.and_then(origin_of).map(Some).ok_or_else(|| missing("embed_origin")),
    }
}

/// Where the buyer goes once a hosted session completes: `after_completion`'s
/// redirect, else `success_url`; `None` shows kassa's confirmation.
/// `{CHECKOUT_SESSION_ID}` becomes the session's id.
pub fn success_redirect(session: &CheckoutSession) -> Option<String> {
    let url = match &session.after_completion {
        Some(Shown { kind: AfterCompletionType::HostedConfirmation, .. }) => return None,
        Some(Shown { kind: AfterCompletionType::Redirect, redirect, .. }) => redirect.as_ref().map(|r| &r.url),
        None => session.success_url.as_ref(),
    }?;
    Some(url.replace("{CHECKOUT_SESSION_ID}", &session.id))
}

/// Where an embedded page's parent goes after completion, or `None` when it
/// stays (`redirect_on_completion=never`, or no `return_url`).
pub fn embedded_return(session: &CheckoutSession) -> Option<String> {
    if session.redirect_on_completion == Some(RedirectOnCompletion::Never) {
        return None;
    }
    let url = session.return_url.as_ref()?;
    Some(url.replace("{CHECKOUT_SESSION_ID}", &session.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ac(kind: &str, url: Option<&str>) -> AfterCompletion {
        AfterCompletion {
            kind: Some(kind.into()),
            redirect: url.map(|u| RedirectParam { url: Some(u.into()) }),
            hosted_confirmation: None,
        }
    }

    #[test]
    fn after_completion_needs_a_type_and_a_url_for_redirects() {
        let e = after_completion(&ac("redirect", None), UiMode::HostedPage).unwrap_err();
        assert_eq!(e.param, "after_completion[redirect][url]");
        let e = after_completion(&ac("bounce", None), UiMode::HostedPage).unwrap_err();
        assert_eq!(e.code, "parameter_invalid_enum");
        let e = after_completion(&ac("hosted_confirmation", None), UiMode::EmbeddedPage).unwrap_err();
        assert_eq!(e.param, "after_completion");
        let v = after_completion(&ac("redirect", Some("https://x.test/ok")), UiMode::HostedPage).unwrap();
        assert_eq!(v.redirect.map(|r| r.url).as_deref(), Some("https://x.test/ok"));
    }

    #[test]
    fn embed_origin_is_an_origin_or_comes_from_return_url() {
        assert_eq!(
            embed_origin(None, Some("https://shop.test:8443/done?x=1"), UiMode::EmbeddedPage).unwrap(),
            Some("https://shop.test:8443".to_owned())
        );
        assert_eq!(
            embed_origin(Some("https://a.test"), None, UiMode::EmbeddedPage).unwrap().as_deref(),
            Some("https://a.test")
        );
        assert!(embed_origin(Some("https://a.test/path"), None, UiMode::EmbeddedPage).is_err());
        assert!(embed_origin(Some("javascript:alert(1)"), None, UiMode::EmbeddedPage).is_err());
        assert!(embed_origin(Some("https://a.test"), None, UiMode::HostedPage).is_err());
        assert_eq!(embed_origin(None, None, UiMode::EmbeddedPage).unwrap_err().param, "embed_origin");
        assert_eq!(embed_origin(None, None, UiMode::HostedPage).unwrap(), None);
    }

    #[test]
    fn the_success_redirect_names_the_session() {
        let docs: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("testdata/checkout_sessions.json")).unwrap();
        let mut s: CheckoutSession = serde_json::from_value(docs[0].clone()).unwrap();
        s.id = "cs_1".into();
        s.after_completion = None;
        s.success_url = Some("https://x.test/ok?s={CHECKOUT_SESSION_ID}".into());
        assert_eq!(success_redirect(&s).as_deref(), Some("https://x.test/ok?s=cs_1"));
        s.after_completion =
            Some(Shown { kind: AfterCompletionType::HostedConfirmation, redirect: None, hosted_confirmation: None });
        assert_eq!(success_redirect(&s), None);
        s.return_url = Some("https://x.test/r?s={CHECKOUT_SESSION_ID}".into());
        s.redirect_on_completion = Some(RedirectOnCompletion::Always);
        assert_eq!(embedded_return(&s).as_deref(), Some("https://x.test/r?s=cs_1"));
        s.redirect_on_completion = Some(RedirectOnCompletion::Never);
        assert_eq!(embedded_return(&s), None);
    }
}
