-- Ids are unique per account and mode, not globally: a merchant-chosen id
-- (coupon SUMMER, a product id) taken in one scope is free in every other,
-- and no error can depend on another tenant's data. seq stays the row's
-- key (tags and list cursors refer to it); (id, account_id, livemode) is
-- the id's key, and its leading id column also serves lookups by id alone.
--
-- SQLite cannot drop a column's UNIQUE, so both tables are rebuilt. Runs in
-- the migration's transaction with foreign keys on: the new tags table
-- refers to the new objects table, the old tags go first, and the renames
-- carry the reference over.
CREATE TABLE objects_new (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    livemode INTEGER NOT NULL,
    kind TEXT NOT NULL,
    created INTEGER NOT NULL,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL
);

INSERT INTO objects_new (seq, id, account_id, livemode, kind, created, version, deleted, doc)
    SELECT seq, id, account_id, livemode, kind, created, version, deleted, doc FROM objects ORDER BY seq;

CREATE TABLE object_tags_new (
    account_id TEXT NOT NULL,
    livemode INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    seq INTEGER NOT NULL REFERENCES objects_new (seq),
    PRIMARY KEY (account_id, livemode, kind, name, value, seq)
);

INSERT INTO object_tags_new (account_id, livemode, kind, name, value, seq)
    SELECT account_id, livemode, kind, name, value, seq FROM object_tags;

DROP TABLE object_tags;
DROP TABLE objects;
ALTER TABLE objects_new RENAME TO objects;
ALTER TABLE object_tags_new RENAME TO object_tags;

CREATE UNIQUE INDEX objects_scoped_id ON objects (id, account_id, livemode);
CREATE INDEX objects_list ON objects (account_id, livemode, kind, deleted, created DESC, seq DESC);
CREATE INDEX object_tags_seq ON object_tags (seq);
CREATE INDEX object_tags_due ON object_tags (kind, name, value);

-- Webhook deliveries are due per endpoint (`due:{endpoint}`), so the
-- worker reads each endpoint's queue on its own and a backlog at one
-- cannot crowd out the others.
INSERT INTO object_tags (account_id, livemode, kind, name, value, seq)
    SELECT d.account_id, d.livemode, d.kind, 'due:' || e.value, d.value, d.seq
    FROM object_tags d
    JOIN object_tags e ON e.seq = d.seq AND e.kind = d.kind AND e.name = 'webhook_endpoint'
    WHERE d.kind = 'webhook_delivery' AND d.name = 'due';
DELETE FROM object_tags WHERE kind = 'webhook_delivery' AND name = 'due';
