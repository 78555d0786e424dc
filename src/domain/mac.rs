//! HMAC-SHA256, the one keyed hash kassa uses: API-key hashes, webhook
//! signatures, idempotency and card fingerprints, page tokens, and subkeys.

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn keyed(key: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    // new_from_slice only fails for invalid key lengths, and HMAC takes any length.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    for p in parts {
        mac.update(p);
    }
    mac
}

#[cold]
fn unreachable_hmac() -> ! {
    unreachable!("HMAC accepts keys of any length")
}

/// HMAC-SHA256 under `key` of `parts`, concatenated.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    keyed(key, parts).finalize().into_bytes().into()
}

/// Whether `tag` is the HMAC of `parts` under `key`, compared in constant time.
pub fn verify(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    keyed(key, parts).verify_slice(tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_hashed_as_one_message_and_verified() {
        let whole = hmac_sha256(b"k", &[b"ab", b"c"]);
        assert_eq!(whole, hmac_sha256(b"k", &[b"abc"]));
        assert_ne!(whole, hmac_sha256(b"other", &[b"abc"]));
        assert!(verify(b"k", &[b"abc"], &whole));
        assert!(!verify(b"k", &[b"abd"], &whole));
    }
}
