//! Object identifiers: a Stripe-style prefix followed by random base62.

use rand::Rng;

pub(crate) const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Random base62 text of `len` characters from the OS-seeded thread RNG.
pub fn random_base62(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len).map(|_| char::from(BASE62[rng.gen_range(0..BASE62.len())])).collect()
}

/// A new id such as `cus_…`. Lengths follow Stripe's fixtures (reference §4.1).
pub fn new_id(prefix: &str) -> String {
    let len = match prefix {
        "cus" | "prod" => 14,
        "req" => 14,
        "acct" => 16,
        _ => 24,
    };
    format!("{prefix}_{}", random_base62(len))
}

/// The prefix of an id (`cus_abc` → `cus`); `None` when the id has no `_`.
/// Compares a presented secret (a client secret) with the stored one in
/// time that does not depend on where they differ.
pub fn secret_eq(stored: Option<&str>, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    stored.is_some_and(|s| bool::from(s.as_bytes().ct_eq(given.as_bytes())))
}

pub fn prefix_of(id: &str) -> Option<&str> {
    id.split_once('_').map(|(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
