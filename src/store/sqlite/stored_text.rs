//! Text as SQLite stores it: an object's document and an idempotency
//! record's body.
//!
//! Text of 64 bytes to 16 MiB is compressed with zstd against a fixed
//! dictionary (`dictionary_v1.zdict`, 16 KiB), trained by zstd on 750 of
//! kassa's own documents and responses (`scripts/dictionary-samples.sh`):
//! their field names, usual values and entropy tables. A stored document is
//! mostly those, so a 2.4 KB Checkout Session keeps about 300 bytes and a
//! product about 50, and a trained dictionary compresses twice as fast as
//! the same documents given as raw content. Shorter text stays text, as
//! every document was before migration 0008; both read back exactly.
//!
//! A compressed value is a BLOB: one byte naming the dictionary, then a
//! zstd frame, which records the text's length (and not the dictionary's
//! id: the byte names it). The dictionary is part of
//! the storage format and never changes (a test pins its hash): a better
//! one would be version 2, with version 1 kept for reading.
//!
//! Before migration 0008, an idempotency body of 1 KiB or more was an LZ4
//! block after its length (4 bytes, little-endian, at most 16 MiB). Such a
//! record still reads back (it lasts a day). It cannot be mistaken for the
//! new form: bytes 1 to 3 of the new form (the zstd magic number) would be
//! the top three bytes of a length over 16 MiB.

use std::cell::RefCell;
use std::sync::LazyLock;

use rusqlite::types::{FromSqlError, Type, Value, ValueRef};
use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

use crate::store::StoredText;

/// Text this long or longer is stored compressed.
const COMPRESS_FROM: usize = 64;
/// No document or response is larger; a stored size above it is a corrupt
/// row, not an allocation to make.
const MAX_TEXT: usize = 16 << 20;
/// zstd's fastest level with a dictionary: a session compresses in a few
/// microseconds, and higher levels save only a few percent more here.
const LEVEL: i32 = 1;
/// The first byte of a value compressed against `DICTIONARY_V1`.
const V1: u8 = 1;
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

static DICTIONARY_V1: &[u8] = include_bytes!("dictionary_v1.zdict");
static ENCODER_V1: LazyLock<Option<EncoderDictionary<'static>>> =
    LazyLock::new(|| EncoderDictionary::try_copy(DICTIONARY_V1, LEVEL).ok());
static DECODER_V1: LazyLock<Option<DecoderDictionary<'static>>> =
    LazyLock::new(|| DecoderDictionary::try_copy(DICTIONARY_V1).ok());

thread_local! {
    // A context per thread: zstd's contexts are reused between calls, and
    // each request thread and the writer compress on their own.
    static COMPRESSOR: RefCell<Option<Compressor<'static>>> = RefCell::new(compressor());
    static DECOMPRESSOR: RefCell<Option<Decompressor<'static>>> =
        RefCell::new(DECODER_V1.as_ref().and_then(|d| Decompressor::with_prepared_dictionary(d).ok()));
}

fn compressor() -> Option<Compressor<'static>> {
    let mut c = Compressor::with_prepared_dictionary(ENCODER_V1.as_ref()?).ok()?;
    c.set_parameter(zstd::zstd_safe::CParameter::DictIdFlag(false)).ok()?;
    Some(c)
}

/// The column value for `text`: compressed, or as it is when it is short
/// (or, should zstd ever fail, which leaves it readable all the same).
pub(super) fn to_sql(text: &str) -> Value {
    if (COMPRESS_FROM..=MAX_TEXT).contains(&text.len()) {
        if let Some(blob) = compress(text.as_bytes()) {
            return Value::Blob(blob);
        }
    }
    Value::Text(text.to_owned())
}

fn compress(text: &[u8]) -> Option<Vec<u8>> {
    COMPRESSOR.with_borrow_mut(|c| {
        let mut frame = c.as_mut()?.compress(text).ok()?;
        frame.insert(0, V1);
        Some(frame)
    })
}

/// The text a column value holds.
pub fn from_sql(v: ValueRef<'_>) -> Result<String, FromSqlError> {
    let bytes = match v {
        ValueRef::Text(t) => t.to_vec(),
        ValueRef::Blob([V1, frame @ ..]) if frame.starts_with(&ZSTD_MAGIC) => decompress(frame)?,
        ValueRef::Blob(b) => legacy_lz4(b)?,
        _ => return Err(FromSqlError::InvalidType),
    };
    String::from_utf8(bytes).map_err(|e| FromSqlError::Other(Box::new(e)))
}

fn decompress(frame: &[u8]) -> Result<Vec<u8>, FromSqlError> {
    let corrupt = |why: &str| FromSqlError::Other(format!("a stored document that does not decompress: {why}").into());
    // kassa's frames record their size; the buffer is exactly that, so a
    // corrupt header can neither grow it past MAX_TEXT nor leave it unknown.
    let size = match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(n)) if n <= MAX_TEXT as u64 => n as usize,
        _ => return Err(corrupt("no size, or an impossible one, in its header")),
    };
    DECOMPRESSOR.with_borrow_mut(|d| {
        let d = d.as_mut().ok_or_else(|| corrupt("zstd could not load the dictionary"))?;
        let text = d.decompress(frame, size).map_err(|e| corrupt(&e.to_string()))?;
        if text.len() == size {
            Ok(text)
        } else {
            Err(corrupt("shorter than its header says"))
        }
    })
}

/// An idempotency body as kassa stored it before migration 0008.
fn legacy_lz4(b: &[u8]) -> Result<Vec<u8>, FromSqlError> {
    let declared = b.get(..4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize);
    if declared.is_none_or(|n| n > MAX_TEXT) {
        return Err(FromSqlError::Other("a compressed body of an impossible size".into()));
    }
    lz4_flex::decompress_size_prepended(b).map_err(|e| FromSqlError::Other(Box::new(e)))
}

/// `from_sql` for a row's column `idx`.
pub(super) fn column(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<String> {
    from_sql(r.get_ref(idx)?).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Blob, Box::new(e)))
}

/// An object's document in column `idx`, left packed until it is read
/// (`store::StoredText`).
pub(super) fn lazy_column(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<StoredText> {
    match r.get_ref(idx)? {
        ValueRef::Blob(b) => Ok(StoredText::packed(b, unpack)),
        _ => column(r, idx).map(StoredText::from),
    }
}

fn unpack(blob: &[u8]) -> Result<String, String> {
    from_sql(ValueRef::Blob(blob)).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    fn back(v: &Value) -> Result<String, FromSqlError> {
        from_sql(ValueRef::from(v))
    }

    const SESSION: &str = include_str!("stored_text_session.json");
    const PRODUCT: &str = r#"{"id":"prod_eYEQHcdw8mqkbu","object":"product","active":true,"created":1796546148,"default_price":null,"description":null,"images":[],"livemode":false,"marketing_features":[],"metadata":{},"name":"Mug","package_dimensions":null,"shippable":null,"statement_descriptor":null,"tax_code":null,"type":"service","unit_label":null,"updated":1796546148,"url":null}"#;

    #[test]
    fn the_dictionary_never_changes() {
        // Every compressed row depends on these exact bytes. A new
        // dictionary is a new version byte, never an edit of this file.
        let hash = hex::encode(Sha256::digest(DICTIONARY_V1));
        assert_eq!(hash, "d6bcef20b2dd5130617cc6ac4af4f72b6c5faf19f91df70656fe7c07d3724055");
    }

    #[test]
    fn documents_compress_against_the_dictionary_and_come_back_exactly() {
        for (doc, at_most) in [(SESSION.trim_end(), 400), (PRODUCT, 80)] {
            let stored = to_sql(doc);
            let Value::Blob(b) = &stored else { panic!("not compressed") };
            assert_eq!(b[0], V1);
            assert!(b.len() <= at_most, "{} of {}", b.len(), doc.len());
            assert_eq!(back(&stored).unwrap(), doc);
        }
        let odd = format!(r#"{{"id":"x","é":"{}","n":"\u00e9"}}"#, "ü".repeat(300));
        assert_eq!(back(&to_sql(&odd)).unwrap(), odd);
    }

    #[test]
    fn short_text_stays_text() {
        let short = r#"{"id":"cus_1"}"#;
        assert_eq!(to_sql(short), Value::Text(short.to_owned()));
        assert_eq!(back(&to_sql(short)).unwrap(), short);
        let just_under = format!(r#"{{"id":"{}"}}"#, "a".repeat(COMPRESS_FROM - 10));
        assert_eq!(just_under.len(), COMPRESS_FROM - 1);
        assert!(matches!(to_sql(&just_under), Value::Text(_)));
        let at = format!(r#"{{"id":"{}"}}"#, "a".repeat(COMPRESS_FROM - 9));
        assert!(matches!(to_sql(&at), Value::Blob(_)));
        assert_eq!(back(&to_sql(&at)).unwrap(), at);
    }

    #[test]
    fn bodies_stored_before_0008_still_read_back() {
        let long = format!(r#"{{"id":"cs_1","lines":[{}]}}"#, vec![r#"{"price":null}"#; 90].join(","));
        let legacy = Value::Blob(lz4_flex::compress_prepend_size(long.as_bytes()));
        assert_eq!(back(&legacy).unwrap(), long);
        // A legacy block whose first byte is the version byte is still legacy.
        let mut one = format!(r#"{{"k":"{}"}}"#, "a".repeat(1025 - 8));
        one.truncate(1025);
        let legacy = lz4_flex::compress_prepend_size(one.as_bytes());
        assert_eq!(legacy[0], V1);
        assert_eq!(back(&Value::Blob(legacy)).unwrap(), one);
    }

    #[test]
    fn a_corrupt_blob_is_an_error_not_an_allocation() {
        assert!(back(&Value::Blob(vec![0xff, 0xff, 0xff, 0x7f, 1, 2])).is_err());
        assert!(back(&Value::Blob(vec![1, 2])).is_err());
        assert!(back(&Value::Blob(vec![10, 0, 0, 0, 0xf0])).is_err());
        assert!(back(&Value::Integer(3)).is_err());
        // A frame cut short. (A flipped bit inside a frame may decode to
        // other text, as it would in a text column: frames carry no checksum,
        // like SQLite's pages.)
        let Value::Blob(mut b) = to_sql(PRODUCT) else { panic!("not compressed") };
        b.truncate(b.len() - 3);
        assert!(back(&Value::Blob(b)).is_err());
        // A frame that claims a gigabyte, or just over the limit, is refused
        // from its header (the buffer is sized from it, so this comes first).
        let huge = [V1, 0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0, 0x40, 0, 0, 0];
        assert!(back(&Value::Blob(huge.to_vec())).is_err());
        let over = ((MAX_TEXT + 1) as u32).to_le_bytes();
        let over = [V1, 0x28, 0xb5, 0x2f, 0xfd, 0xa0, over[0], over[1], over[2], over[3], 0, 0, 0];
        assert!(back(&Value::Blob(over.to_vec())).is_err());
    }
}
