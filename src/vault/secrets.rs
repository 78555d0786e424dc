//! Webhook signing secrets at rest: AES-256-GCM under their own subkey of
//! the master key, bound to the endpoint that owns them. kassa must sign
//! with them, so they are sealed rather than hashed.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::MasterKey;

#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(…)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a stored secret could not be decrypted")]
pub struct SecretError;

impl SecretBox {
    pub fn new(master: &MasterKey) -> Self {
        let key = master.derive("kassa/webhook-secrets/v1");
        Self { cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)) }
    }

    /// `v1:` + base64(nonce ‖ ciphertext), bound to `owner` (the endpoint id).
    pub fn seal(&self, secret: &str, owner: &str) -> Result<String, SecretError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = aes_gcm::aead::Payload { msg: secret.as_bytes(), aad: owner.as_bytes() };
        let ct = self.cipher.encrypt(&nonce, payload).map_err(|_| SecretError)?;
        let mut out = nonce.to_vec();
        out.extend(ct);
        Ok(format!("v1:{}", STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str, owner: &str) -> Result<String, SecretError> {
        let raw = STANDARD.decode(sealed.strip_prefix("v1:").ok_or(SecretError)?).map_err(|_| SecretError)?;
        if raw.len() < 12 {
            return Err(SecretError);
        }
        let (nonce, ct) = raw.split_at(12);
        let payload = aes_gcm::aead::Payload { msg: ct, aad: owner.as_bytes() };
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), payload).map_err(|_| SecretError)?;
        String::from_utf8(plain).map_err(|_| SecretError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_only_for_their_owner() {
        let b = SecretBox::new(&MasterKey::generate());
        let sealed = b.seal("whsec_abc", "we_1").unwrap();
        assert!(!sealed.contains("whsec_abc"));
        assert_eq!(b.open(&sealed, "we_1").unwrap(), "whsec_abc");
        assert!(b.open(&sealed, "we_2").is_err());
        assert!(SecretBox::new(&MasterKey::generate()).open(&sealed, "we_1").is_err());
    }
}
