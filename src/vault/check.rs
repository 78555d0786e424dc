//! Which master key a database belongs to. On its first start a database
//! stores a keyed check value (an HMAC, so it reveals nothing of the key);
//! every start after compares it, so a wrong key is named at start instead
//! of every API key answering "Invalid API Key".

use super::MasterKey;
use crate::store::{Store, StoreError};

const CHECK_LABEL: &str = "kassa/master-key-check/v1";
const SETTING: &str = "master_key_check";

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("this database was created with a different master key")]
    Mismatch,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// HMAC of a fixed label under the check's own subkey.
fn check_value(master: &MasterKey) -> String {
    let subkey = MasterKey::from_bytes(master.derive(CHECK_LABEL));
    hex::encode(subkey.derive("check"))
}

/// Stores this key's check value if the database has none (a new database,
/// or one made before the check existed), else compares the stored one.
pub async fn verify(store: &dyn Store, master: &MasterKey) -> Result<(), CheckError> {
    let ours = check_value(master);
    let stored = store.setting_or_insert(SETTING, &ours).await?;
    if bool::from(subtle::ConstantTimeEq::ct_eq(stored.as_bytes(), ours.as_bytes())) {
        Ok(())
    } else {
        Err(CheckError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_value_depends_on_the_key_and_does_not_contain_it() {
        let a = MasterKey::from_bytes([1; 32]);
        let b = MasterKey::from_bytes([2; 32]);
        assert_ne!(check_value(&a), check_value(&b));
        assert_eq!(check_value(&a), check_value(&MasterKey::from_bytes([1; 32])));
        assert!(!check_value(&a).contains(&hex::encode([1u8; 32])));
    }
}
