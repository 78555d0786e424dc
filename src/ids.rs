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
    let mut text = String::with_capacity(len);
    push_random(&mut text, len);
    text
}

/// A new id such as `cus_…`, of Stripe's length for its prefix.
///
/// The body starts with the clock (milliseconds, in base62 so that byte
/// order is time order) and ends with randomness. Ids are only ever
/// compared for equality, but they are the key of the objects' index: with
/// fully random ids every insert landed on a random index page, and a
/// session create (five objects) wrote about five 4 KiB index pages to the
/// WAL (and again at the checkpoint) for five 30-byte entries. Ids made in
/// the same few milliseconds now share a page.
pub fn new_id(prefix: &str) -> String {
    let len = id_len(prefix);
    let mut id = String::with_capacity(prefix.len() + 1 + len);
    id.push_str(prefix);
    id.push('_');
    push_ordered(&mut id, len);
    id
}

/// `len` base62 characters that begin with the clock (see `new_id`).
pub fn ordered_base62(len: usize) -> String {
    let mut text = String::with_capacity(len);
    push_ordered(&mut text, len);
    text
}

fn push_ordered(text: &mut String, len: usize) {
    push_ordered_at(text, len, now_millis());
}

fn push_ordered_at(text: &mut String, len: usize, millis: u64) {
    let clock = clock_chars(len);
    push_clock(text, millis, clock);
    push_random(text, len - clock);
}

/// How many characters of an id's body come from the clock. Long bodies
/// (24 or more) keep at least 17 random characters (101 bits; a session id,
/// which opens its payment page, keeps 49), with 7 of milliseconds that
/// wrap in 2081, so inserts append to the index. Bodies under 14 characters
/// stay random. Short bodies (14, 16) keep at least 10 random characters
/// (59 bits, shared only by ids of the same millisecond; a clash fails on
/// the unique index rather than overwriting); their 4 clock characters wrap
/// every 4.1 hours, which keeps the clustering (nearby milliseconds, nearby
/// keys) and spreads the ids over the whole space as time goes on.
fn clock_chars(len: usize) -> usize {
    if len < 14 {
        0
    } else if len >= 24 {
        7
    } else {
        4
    }
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `n` base62 digits of `millis` modulo 62ⁿ, most significant first.
fn push_clock(id: &mut String, millis: u64, n: usize) {
    let base = BASE62.len() as u64;
    id.extend((0..n as u32).rev().map(|i| char::from(BASE62[(millis / base.pow(i) % base) as usize])));
}

fn push_random(id: &mut String, n: usize) {
    let mut rng = rand::thread_rng();
    id.extend((0..n).map(|_| char::from(BASE62[rng.gen_range(0..BASE62.len())])));
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
    fn ids_made_later_sort_later() {
        let (mut a, mut b) = (String::new(), String::new());
        push_clock(&mut a, 1_765_000_000_000, 7);
        push_clock(&mut b, 1_765_000_000_001, 7);
        assert!(a < b, "{a} {b}");
        let (mut c, mut d) = (String::new(), String::new());
        push_clock(&mut c, 61, 2);
        push_clock(&mut d, 62, 2);
        assert_eq!((c.as_str(), d.as_str()), ("0z", "10"));
        // A session id's body (56) and a long id's (24): a later millisecond
        // sorts later whatever the random tail.
        for len in [56, 24] {
            let (mut early, mut late) = (String::new(), String::new());
            push_ordered_at(&mut early, len, 1_765_000_000_000);
            push_ordered_at(&mut late, len, 1_765_000_000_001);
            assert!(early < late && early.len() == len && late.len() == len, "{early} {late}");
        }
        assert_eq!(ordered_base62(56).len(), 56);
    }

    #[test]
    fn short_ids_keep_their_length_with_the_clock() {
        for prefix in ["cus", "acct", "pi", "cs"] {
            let id = new_id(prefix);
            assert_eq!(id.len(), prefix.len() + 1 + id_len(prefix), "{id}");
            assert!(id[prefix.len() + 1..].bytes().all(|b| b.is_ascii_alphanumeric()));
        }
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
