-- Server-wide values, written once and read at start: e.g. the check value
-- that tells whether the master key is the one the database was made with.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
