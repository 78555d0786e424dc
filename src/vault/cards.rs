//! Card numbers at rest: AES-256-GCM under a subkey of the master key, and a
//! keyed fingerprint so the same card can be recognised without its number.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

use super::MasterKey;
use crate::domain::card::CardNumber;

const VERSION: &str = "v1";

#[derive(Clone)]
pub struct CardVault {
    cipher: Aes256Gcm,
    fingerprint_key: [u8; 32],
}

impl std::fmt::Debug for CardVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardVault(…)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the stored card could not be decrypted")]
pub struct VaultError;

impl CardVault {
    pub fn new(master: &MasterKey) -> Self {
        let key = master.derive("kassa/card-encryption/v1");
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
            fingerprint_key: master.derive("kassa/card-fingerprint/v1"),
        }
    }

    /// `v1:` + base64(nonce ‖ ciphertext). `aad` binds it to its owner (the
    /// payment method id), so a ciphertext moved to another record fails.
    pub fn seal(&self, number: &CardNumber, aad: &str) -> Result<String, VaultError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = aes_gcm::aead::Payload { msg: number.digits().as_bytes(), aad: aad.as_bytes() };
        let ct = self.cipher.encrypt(&nonce, payload).map_err(|_| VaultError)?;
        let mut out = nonce.to_vec();
        out.extend(ct);
        Ok(format!("{VERSION}:{}", STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str, aad: &str) -> Result<CardNumber, VaultError> {
        let body = sealed.strip_prefix("v1:").ok_or(VaultError)?;
        let raw = STANDARD.decode(body).map_err(|_| VaultError)?;
        if raw.len() < 12 {
            return Err(VaultError);
        }
        let (nonce, ct) = raw.split_at(12);
        let payload = aes_gcm::aead::Payload { msg: ct, aad: aad.as_bytes() };
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), payload).map_err(|_| VaultError)?;
        let text = String::from_utf8(plain).map_err(|_| VaultError)?;
        CardNumber::parse(&text).map(|(n, _)| n).map_err(|_| VaultError)
    }

    /// The same card gives the same fingerprint within one kassa installation.
    pub fn fingerprint(&self, number: &CardNumber) -> String {
        let mac = crate::domain::mac::hmac_sha256(&self.fingerprint_key, &[number.digits().as_bytes()]);
        URL_SAFE_NO_PAD.encode(&mac[..12])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_cards_open_only_with_their_owner() {
        let v = CardVault::new(&MasterKey::from_bytes([1; 32]));
        let (n, _) = CardNumber::parse("4242424242424242").unwrap();
        let sealed = v.seal(&n, "pm_1").unwrap();
        assert!(!sealed.contains("4242424242424242"));
        assert_eq!(v.open(&sealed, "pm_1").unwrap(), n);
        assert!(v.open(&sealed, "pm_2").is_err());
        assert!(CardVault::new(&MasterKey::from_bytes([2; 32])).open(&sealed, "pm_1").is_err());
        assert_ne!(v.seal(&n, "pm_1").unwrap(), sealed, "fresh nonce each time");
    }

    #[test]
    fn fingerprints_are_stable_and_keyed() {
        let v = CardVault::new(&MasterKey::from_bytes([1; 32]));
        let (n, _) = CardNumber::parse("4242424242424242").unwrap();
        assert_eq!(v.fingerprint(&n), v.fingerprint(&n));
        assert_ne!(v.fingerprint(&n), CardVault::new(&MasterKey::from_bytes([3; 32])).fingerprint(&n));
        assert_eq!(v.fingerprint(&n).len(), 16);
    }
}
