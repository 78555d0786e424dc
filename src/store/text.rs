//! A stored document's text as a read returns it. SQLite keeps documents
//! compressed (`sqlite::stored_text`) and hands them over still packed:
//! they are unpacked the first time they are read, so a read answered from
//! the render cache (`api::plumbing::rendered`), which needs only the
//! object's id and version, never decompresses them.

use std::sync::OnceLock;

use super::{StoreError, StoreResult};

/// How a backend unpacks its stored bytes; the error is a description.
pub type Unpack = fn(&[u8]) -> Result<String, String>;

#[derive(Debug, Clone)]
pub struct StoredText(Inner);

#[derive(Debug, Clone)]
enum Inner {
    Text(String),
    Packed { bytes: Box<[u8]>, unpack: Unpack, text: OnceLock<String> },
}

impl From<String> for StoredText {
    fn from(text: String) -> Self {
        StoredText(Inner::Text(text))
    }
}

impl StoredText {
    /// Bytes that `unpack` turns into the text, when it is first read.
    pub fn packed(bytes: &[u8], unpack: Unpack) -> Self {
        StoredText(Inner::Packed { bytes: bytes.into(), unpack, text: OnceLock::new() })
    }

    /// The text; bytes that do not unpack are a backend error, every time
    /// they are read.
    pub fn get(&self) -> StoreResult<&str> {
        match &self.0 {
            Inner::Text(t) => Ok(t),
            Inner::Packed { bytes, unpack, text } => {
                if let Some(t) = text.get() {
                    return Ok(t);
                }
                let t = unpack(bytes).map_err(StoreError::Backend)?;
                Ok(text.get_or_init(|| t))
            }
        }
    }

    /// The text, owned: unpacked if it was not read before.
    pub fn into_string(self) -> StoreResult<String> {
        match self.0 {
            Inner::Text(t) => Ok(t),
            Inner::Packed { bytes, unpack, text } => match text.into_inner() {
                Some(t) => Ok(t),
                None => unpack(&bytes).map_err(StoreError::Backend),
            },
        }
    }
}

/// Equal when the texts are: packed or not, and however packed.
impl PartialEq for StoredText {
    fn eq(&self, other: &Self) -> bool {
        match (self.get(), other.get()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upper(b: &[u8]) -> Result<String, String> {
        String::from_utf8(b.to_ascii_uppercase()).map_err(|e| e.to_string())
    }

    fn broken(_: &[u8]) -> Result<String, String> {
        Err("does not unpack".into())
    }

    #[test]
    fn packed_text_unpacks_when_read_and_equals_its_text() {
        let p = StoredText::packed(b"abc", upper);
        assert_eq!(p.get().unwrap(), "ABC");
        assert_eq!(p.get().unwrap(), "ABC");
        assert_eq!(p, StoredText::from("ABC".to_owned()));
        assert_eq!(p.into_string().unwrap(), "ABC");
        assert_eq!(StoredText::packed(b"xy", upper).into_string().unwrap(), "XY");
    }

    #[test]
    fn bytes_that_do_not_unpack_fail_each_read_and_equal_nothing() {
        let p = StoredText::packed(b"abc", broken);
        assert!(matches!(p.get(), Err(StoreError::Backend(m)) if m == "does not unpack"));
        assert!(p.get().is_err());
        assert_ne!(p, p.clone());
        assert!(p.into_string().is_err());
    }
}
