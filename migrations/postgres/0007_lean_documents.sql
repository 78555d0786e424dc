-- From this version, Checkout Sessions are stored without their null fields
-- (PostgreSQL keeps idempotency bodies as text: TOAST compresses them). A
-- kassa from before cannot read such a session, so this version is what
-- makes it refuse the database (migrate::check_not_newer). The schema is
-- unchanged; the setting records the format.
INSERT INTO settings (name, value) VALUES ('document_format', 'lean sessions')
    ON CONFLICT (name) DO NOTHING;
