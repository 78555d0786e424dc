//! Where kassa draws randomness for names: object ids, API keys, webhook
//! signing secrets. The domain never does (it is deterministic: ids come in
//! through `domain::ids::IdSource`), so this lives outside it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::{Rng, RngCore};

use crate::domain::event::EventContext;
use crate::domain::ids::{id_len, IdSource, BASE62};
use crate::domain::keys::{self, KeyKind, Mode};

/// Random base62 text of `len` characters from the OS-seeded thread RNG.
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len).map(|_| char::from(BASE62[rng.gen_range(0..BASE62.len())])).collect()
}

/// A new id such as `cus_…`, of Stripe's length for its prefix.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_base62(id_len(prefix)))
}

/// The id source of a running server: random ids.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn new_id(&self, prefix: &str) -> String {
        new_id(prefix)
    }
}

/// The event context of kassa's own work (sweeps, deliveries): no request,
/// the latest API version, random ids.
pub fn system_events(livemode: bool, now: i64) -> EventContext<'static> {
    EventContext {
        api_version: crate::domain::version::LATEST,
        livemode,
        now,
        request_id: None,
        idempotency_key: None,
        ids: &RandomIds,
    }
}

/// A fresh API key of the given kind and mode.
pub fn new_api_key(kind: KeyKind, mode: Mode) -> String {
    format!("{}{}", keys::prefix(kind, mode), random_base62(keys::KEY_BODY_LEN))
}

/// A new signing secret: `whsec_` + base64 of 32 random bytes. Stripe's
/// scheme keys the HMAC with the whole string; Standard Webhooks with the
/// decoded bytes, so one secret serves both.
pub fn new_webhook_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("whsec_{}", STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::prefix_of;

    #[test]
    fn ids_carry_their_prefix_and_length() {
        let id = new_id("cus");
        assert!(id.starts_with("cus_"));
        assert_eq!(id.len(), 4 + 14);
        assert!(id[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(prefix_of(&id), Some("cus"));
    }

    #[test]
    fn ids_do_not_repeat() {
        let a: std::collections::HashSet<_> = (0..1000).map(|_| new_id("evt")).collect();
        assert_eq!(a.len(), 1000);
    }

    #[test]
    fn keys_carry_their_kind_and_mode() {
        let k = new_api_key(KeyKind::Secret, Mode::Live);
        assert_eq!(keys::classify(&k), Some((KeyKind::Secret, Mode::Live)));
        assert_eq!(k.len(), "sk_live_".len() + keys::KEY_BODY_LEN);
    }

    #[test]
    fn new_secrets_are_distinct_and_decode_to_32_bytes() {
        let (a, b) = (new_webhook_secret(), new_webhook_secret());
        assert_ne!(a, b);
        let raw = STANDARD.decode(a.trim_start_matches("whsec_")).unwrap();
        assert_eq!(raw.len(), 32);
    }
}
