//! An idempotency record's body as SQLite stores it. A response of a
//! kilobyte or more (a session is three or four) is LZ4-compressed into a
//! BLOB, about a third of its size, so a record no longer fills a page of
//! its own; a shorter one stays text, as every body did before migration
//! 0007. A replay gets the exact bytes back either way. PostgreSQL
//! compresses large text itself (TOAST) and keeps text.

use rusqlite::types::{FromSqlError, Type, Value, ValueRef};

/// Bodies this long or longer are stored compressed.
const COMPRESS_FROM: usize = 1024;
/// No response is larger; a stored size above it is a corrupt row, not an
/// allocation to make.
const MAX_BODY: usize = 16 << 20;

/// The column value for `body` (one too large to read back compressed stays text).
pub(super) fn to_sql(body: &str) -> Value {
    if (COMPRESS_FROM..=MAX_BODY).contains(&body.len()) {
        Value::Blob(lz4_flex::compress_prepend_size(body.as_bytes()))
    } else {
        Value::Text(body.to_owned())
    }
}

/// The body a column value holds: text as it is, a BLOB decompressed.
pub(super) fn from_sql(v: ValueRef<'_>) -> Result<String, FromSqlError> {
    let bytes = match v {
        ValueRef::Text(t) => t.to_vec(),
        ValueRef::Blob(b) => {
            let declared = b.get(..4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize);
            if declared.is_none_or(|n| n > MAX_BODY) {
                return Err(FromSqlError::Other("a compressed body of an impossible size".into()));
            }
            lz4_flex::decompress_size_prepended(b).map_err(|e| FromSqlError::Other(Box::new(e)))?
        }
        _ => return Err(FromSqlError::InvalidType),
    };
    String::from_utf8(bytes).map_err(|e| FromSqlError::Other(Box::new(e)))
}

/// `from_sql` for a row's column `idx`.
pub(super) fn column(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<String> {
    from_sql(r.get_ref(idx)?).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Blob, Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn back(v: &Value) -> Result<String, FromSqlError> {
        from_sql(ValueRef::from(v))
    }

    #[test]
    fn long_bodies_are_compressed_and_every_body_comes_back_exactly() {
        let short = r#"{"id":"cus_1"}"#;
        assert!(matches!(to_sql(short), Value::Text(_)));
        assert_eq!(back(&to_sql(short)).unwrap(), short);
        let long = format!(r#"{{"id":"cs_1","lines":[{}]}}"#, vec![r#"{"price":null,"é":"\u00e9"}"#; 60].join(","));
        let stored = to_sql(&long);
        let Value::Blob(b) = &stored else { panic!("not compressed") };
        assert!(b.len() * 3 < long.len(), "{} of {}", b.len(), long.len());
        assert_eq!(back(&stored).unwrap(), long);
    }

    #[test]
    fn a_corrupt_blob_is_an_error_not_an_allocation() {
        assert!(back(&Value::Blob(vec![0xff, 0xff, 0xff, 0x7f, 1, 2])).is_err());
        assert!(back(&Value::Blob(vec![1, 2])).is_err());
        assert!(back(&Value::Blob(vec![10, 0, 0, 0, 0xf0])).is_err());
        assert!(back(&Value::Integer(3)).is_err());
    }
}
