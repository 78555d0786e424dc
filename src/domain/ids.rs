//! Object identifiers: a Stripe-style prefix followed by base62. The domain
//! never draws them: they come in through `IdSource`, so its functions are
//! deterministic (`crate::ids::RandomIds` is the server's source).

pub const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Where new ids come from.
pub trait IdSource: Send + Sync {
    /// A new id such as `evt_…`.
    fn new_id(&self, prefix: &str) -> String;
}

/// The length of the random part of an id with this prefix, after Stripe's
/// fixtures (reference §4.1).
pub fn id_len(prefix: &str) -> usize {
    match prefix {
        "cus" | "prod" | "req" => 14,
        "acct" => 16,
        _ => 24,
    }
}

/// Compares a presented secret (a client secret) with the stored one in
/// time that does not depend on where they differ.
pub fn secret_eq(stored: Option<&str>, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    stored.is_some_and(|s| bool::from(s.as_bytes().ct_eq(given.as_bytes())))
}

/// The prefix of an id (`cus_abc` → `cus`); `None` when the id has no `_`.
pub fn prefix_of(id: &str) -> Option<&str> {
    id.split_once('_').map(|(p, _)| p)
}

/// Ids numbered in order (`evt_1`, `evt_2`, …): a deterministic source for
/// tests of domain functions.
#[derive(Debug, Default)]
pub struct Sequential(std::sync::atomic::AtomicU64);

impl IdSource for Sequential {
    fn new_id(&self, prefix: &str) -> String {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        format!("{prefix}_{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_lengths() {
        assert_eq!(prefix_of("cus_abc"), Some("cus"));
        assert_eq!(prefix_of("abc"), None);
        assert_eq!((id_len("cus"), id_len("acct"), id_len("evt")), (14, 16, 24));
    }

    #[test]
    fn sequential_ids_count_up() {
        let ids = Sequential::default();
        assert_eq!((ids.new_id("evt"), ids.new_id("ch")), ("evt_1".to_owned(), "ch_2".to_owned()));
    }
}
