-- From this version, SQLite stores documents and idempotency bodies of 64
-- bytes or more compressed with zstd against a fixed dictionary (see
-- src/store/sqlite/stored_text.rs), as BLOBs. A kassa from before cannot
-- read them, so this version is what makes it refuse the database
-- (migrate::check_not_newer). Rows written before stay as they are and
-- read back as before.
--
-- The list index is rebuilt ascending and without seq. Built descending, a
-- new object went to the front of its kind's range, and the pages it split
-- stayed half empty (49 % full); ascending, it goes to the range's end
-- (82 %). SQLite reads it backwards for the newest-first order, and the
-- rowid (seq), which ends every index entry anyway, orders equal times.
INSERT INTO settings (name, value) VALUES ('document_format', '')
    ON CONFLICT (name) DO NOTHING;
UPDATE settings SET value = 'lean sessions; zstd documents and idempotency bodies, dictionary v1'
    WHERE name = 'document_format';

DROP INDEX objects_list;
CREATE INDEX objects_list ON objects (account_id, livemode, kind, deleted, created);
