//! API keys: their kinds, generation, masking and keyed hashing.
//! A key is never stored or logged whole: only its HMAC and a masked form.

use super::ids::BASE62;

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

    pub fn from_livemode(livemode: bool) -> Self {
        if livemode {
            Mode::Live
        } else {
            Mode::Test
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Test => "test",
            Mode::Live => "live",
        }
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

/// The length of a key's random (or derived) part.
pub const KEY_BODY_LEN: usize = 40;

/// `sk_test_`, `pk_live_`, …
pub fn prefix(kind: KeyKind, mode: Mode) -> String {
    let k = match kind {
        KeyKind::Secret => "sk",
        KeyKind::Publishable => "pk",
    };
    format!("{k}_{}_", mode.as_str())
}

/// The account's publishable key for `mode`, derived rather than random:
/// HMAC-SHA256 under the API-key pepper of a label naming the account and
/// mode, in base62. The server can compute it again at any time (its hosted
/// pages need it, and only hashes of keys are stored), while nobody without
/// the pepper can. Publishable keys are public by design; this one differs
/// from a random one only in being recomputable by the server.
pub fn derived_publishable(pepper: &[u8; 32], account_id: &str, mode: Mode) -> String {
    let label = format!("kassa/page-pk/v1|{account_id}|{}", mode.as_str());
    format!("{}{}", prefix(KeyKind::Publishable, mode), base62(&mac(pepper, label.as_bytes()), KEY_BODY_LEN))
}

/// The last `len` base62 digits of `bytes` read as a big-endian number
/// (32 bytes hold about 43 digits, so 40 keep about 238 bits).
fn base62(bytes: &[u8], len: usize) -> String {
    let mut n = bytes.to_vec();
    let mut digits = Vec::with_capacity(len);
    for _ in 0..len {
        // n = n / 62, and the remainder is the next digit (least significant first).
        let mut rem: u32 = 0;
        for b in n.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 62) as u8;
            rem = cur % 62;
        }
        digits.push(BASE62[rem as usize]);
    }
    digits.reverse();
    digits.into_iter().map(char::from).collect()
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
    hex::encode(mac(pepper, key.as_bytes()))
}

fn mac(pepper: &[u8; 32], data: &[u8]) -> [u8; 32] {
    super::mac::hmac_sha256(pepper, &[data])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_classify_as_what_they_are() {
        assert_eq!(classify("sk_live_abc"), Some((KeyKind::Secret, Mode::Live)));
        assert_eq!(classify("pk_test_abc"), Some((KeyKind::Publishable, Mode::Test)));
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

    #[test]
    fn derived_publishable_keys_are_stable_per_account_and_mode() {
        let pepper = [7; 32];
        let k = derived_publishable(&pepper, "acct_1", Mode::Test);
        assert_eq!(k, derived_publishable(&pepper, "acct_1", Mode::Test));
        assert!(k.starts_with("pk_test_"));
        assert_eq!(k.len(), "pk_test_".len() + KEY_BODY_LEN);
        assert!(k["pk_test_".len()..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(classify(&k), Some((KeyKind::Publishable, Mode::Test)));
        let live = derived_publishable(&pepper, "acct_1", Mode::Live);
        assert!(live.starts_with("pk_live_"));
        assert_eq!(classify(&live), Some((KeyKind::Publishable, Mode::Live)));
        assert_ne!(k[8..], live[8..]);
        assert_ne!(k, derived_publishable(&pepper, "acct_2", Mode::Test));
        assert_ne!(k, derived_publishable(&[8; 32], "acct_1", Mode::Test));
    }

    #[test]
    fn base62_digits_are_the_number_in_base_62() {
        assert_eq!(base62(&[0, 0], 3), "000");
        assert_eq!(base62(&[0, 61], 2), "0z");
        assert_eq!(base62(&[0, 62], 2), "10");
        // 0xFFFF = 65535 = 17·62² + 3·62 + 1
        assert_eq!(base62(&[0xff, 0xff], 4), "0H31");
        assert_eq!(base62(&[0xff; 32], 40).len(), 40);
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
