-- Tags cost two B-tree inserts each instead of four (issue 19: a session
-- create wrote twelve tags, and their rows and indexes were most of its
-- SQLite work):
-- - object_tags becomes a WITHOUT ROWID table: its primary key is the table,
--   not a second copy of every row;
-- - each object row keeps its own tags in objects.tags (a JSON array of
--   [name, value] pairs, NULL for none), so an update or delete removes the
--   old tag rows by their key, and the index on seq is no longer needed.
-- The index for due work (kind, name, value) stays.
ALTER TABLE objects ADD COLUMN tags TEXT;

UPDATE objects SET tags = (
    SELECT json_group_array(json_array(t.name, t.value)) FROM object_tags t WHERE t.seq = objects.seq
) WHERE seq IN (SELECT seq FROM object_tags);

CREATE TABLE object_tags_lean (
    account_id TEXT NOT NULL,
    livemode INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    seq INTEGER NOT NULL REFERENCES objects (seq),
    PRIMARY KEY (account_id, livemode, kind, name, value, seq)
) WITHOUT ROWID;

INSERT INTO object_tags_lean (account_id, livemode, kind, name, value, seq)
    SELECT account_id, livemode, kind, name, value, seq FROM object_tags;

DROP TABLE object_tags;
ALTER TABLE object_tags_lean RENAME TO object_tags;

CREATE INDEX object_tags_due ON object_tags (kind, name, value);
