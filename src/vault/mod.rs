//! Secret keys. One master key (from `KASSA_MASTER_KEY`, or a 0600 key file
//! created on first start) from which purpose-bound subkeys are derived, so a
//! key used to hash API keys is never the one that encrypts cards.

pub mod cards;
pub mod check;
pub mod secrets;

use std::io::Write;
use std::path::Path;

/// 32 secret bytes. Debug never prints them.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("KASSA_MASTER_KEY must be 64 hexadecimal characters (32 bytes)")]
    BadHex,
    #[error("key file {path}: {source}")]
    File { path: String, source: std::io::Error },
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn from_hex(s: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(s.trim()).map_err(|_| KeyError::BadHex)?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadHex)?;
        Ok(Self(arr))
    }

    pub fn generate() -> Self {
        use rand::RngCore;
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        Self(b)
    }

    /// Reads the key file, creating it (mode 0600) when it does not exist.
    /// Two processes racing to create it both end up with the winner's key.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let err = |source| KeyError::File { path: path.display().to_string(), source };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        match opts.open(path) {
            Ok(mut f) => {
                let key = Self::generate();
                f.write_all(hex::encode(key.0).as_bytes()).map_err(err)?;
                f.sync_all().map_err(err)?;
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // The creator may still be writing: wait briefly for 64 chars.
                for _ in 0..50 {
                    let text = std::fs::read_to_string(path).map_err(err)?;
                    if text.trim().len() >= 64 {
                        return Self::from_hex(&text);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(KeyError::BadHex)
            }
            Err(e) => Err(err(e)),
        }
    }

    /// A subkey for one purpose: HMAC-SHA256(master, label).
    pub fn derive(&self, label: &str) -> [u8; 32] {
        crate::domain::mac::hmac_sha256(&self.0, &[label.as_bytes()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_are_created_private_and_reread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let a = MasterKey::load_or_create(&path).unwrap();
        let b = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(a.0, b.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn subkeys_differ_by_purpose_and_debug_hides_the_key() {
        let k = MasterKey::from_bytes([7; 32]);
        assert_ne!(k.derive("a"), k.derive("b"));
        assert_eq!(format!("{k:?}"), "MasterKey(…)");
        assert!(MasterKey::from_hex("zz").is_err());
    }
}
