-- From this version, Checkout Sessions are stored without their null fields
-- and SQLite stores idempotency bodies of 1 KiB or more LZ4-compressed (as
-- BLOBs). A kassa from before cannot read either, so this version is what
-- makes it refuse the database (migrate::check_not_newer). The schema is
-- unchanged; the setting records the format.
INSERT INTO settings (name, value) VALUES ('document_format', 'lean sessions; lz4 idempotency bodies')
    ON CONFLICT (name) DO NOTHING;
