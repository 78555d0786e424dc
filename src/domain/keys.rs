//! API keys: their kinds, generation, masking and keyed hashing.
//! A key is never stored or logged whole: only its HMAC and a masked form.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::ids::random_base62;

/// Secret keys may call every endpoint; publishable keys only client-side ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Secret,
    Publishable,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Secret => "secret",
            KeyKind::Publishable => "publishable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "secret" => Some(KeyKind::Secret),
            "publishable" => Some(KeyKind::Publishable),
            _ => None,
        }
    }
}

/// Test or live: every object belongs to exactly one mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Test,
    Live,
}

impl Mode {
    pub fn livemode(self) -> bool {
        self == Mode::Live
    }
}

/// What a key's text says about itself (`sk_test_…`), before any lookup.
pub fn classify(key: &str) -> Option<(KeyKind, Mode)> {
    let kind = match key.get(..3)? {
        "sk_" => KeyKind::Secret,
        "pk_" => KeyKind::Publishable,
        _ => return None,
    };
    let mode = match key.get(3..8)? {
        "test_" => Mode::Test,
        "live_" => Mode::Live,
        _ => return None,
    };
    Some((kind, mode))
}

/// A fresh key of the given kind and mode.
pub fn generate(kind: KeyKind, mode: Mode) -> String {
    let k = match kind {
        KeyKind::Secret => "sk",
        KeyKind::Publishable => "pk",
    };
    let m = match mode {
        Mode::Test => "test",
        Mode::Live => "live",
    };
    format!("{k}_{m}_{}", random_base62(40))
}

/// The form a key may take in messages and logs: `sk_test_…abcd`.
pub fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let prefix: String = match classify(key) {
        Some(_) => chars.iter().take(8).collect(),
        None => chars.iter().take(3).collect(),
    };
    if chars.len() <= prefix.chars().count() + 4 {
        return format!("{prefix}…");
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}…{tail}")
}

/// The keyed hash under which a key is stored and looked up (hex HMAC-SHA256).
pub fn hash(pepper: &[u8; 32], key: &str) -> String {
    // new_from_slice only fails for invalid key lengths, and HMAC takes any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(pepper) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    mac.update(key.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cold]
fn unreachable_hmac() -> ! {
    unreachable!("HMAC accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_keys_classify_as_what_they_are() {
        let k = generate(KeyKind::Secret, Mode::Live);
        assert_eq!(classify(&k), Some((KeyKind::Secret, Mode::Live)));
        let k = generate(KeyKind::Publishable, Mode::Test);
        assert_eq!(classify(&k), Some((KeyKind::Publishable, Mode::Test)));
        assert_eq!(classify("rk_test_abc"), None);
        assert_eq!(classify("sk_prod_abc"), None);
    }

    #[test]
    fn masks_show_only_prefix_and_last_four() {
        assert_eq!(mask("sk_test_abcdefgh1234"), "sk_test_…1234");
        assert_eq!(mask("sk_test_ab"), "sk_test_…");
        assert_eq!(mask("garbage-key-text"), "gar…text");
        assert_eq!(mask("é"), "é…");
    }

    #[test]
    fn hashes_depend_on_the_pepper() {
        let a = hash(&[1; 32], "sk_test_x");
        assert_eq!(a, hash(&[1; 32], "sk_test_x"));
        assert_ne!(a, hash(&[2; 32], "sk_test_x"));
        assert_eq!(a.len(), 64);
    }

    proptest! {
        #[test]
        fn a_mask_never_contains_the_middle_of_a_key(body in "[A-Za-z0-9]{20,60}") {
            let key = format!("sk_test_{body}");
            let m = mask(&key);
            prop_assert!(!m.contains(&body[..body.len() - 4]));
            prop_assert!(m.ends_with(&body[body.len() - 4..]));
        }
    }
}
