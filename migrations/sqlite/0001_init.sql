CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    api_version TEXT NOT NULL,
    created INTEGER NOT NULL
);

CREATE TABLE api_keys (
    hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    livemode INTEGER NOT NULL,
    kind TEXT NOT NULL,
    masked TEXT NOT NULL,
    created INTEGER NOT NULL
);

-- seq is the rowid: rows are never removed, so it only grows (no AUTOINCREMENT
-- bookkeeping needed on the write path).
CREATE TABLE objects (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    livemode INTEGER NOT NULL,
    kind TEXT NOT NULL,
    created INTEGER NOT NULL,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    doc TEXT NOT NULL
);

CREATE INDEX objects_list ON objects (account_id, livemode, kind, deleted, created DESC, seq DESC);

CREATE TABLE object_tags (
    account_id TEXT NOT NULL,
    livemode INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    seq INTEGER NOT NULL REFERENCES objects (seq),
    PRIMARY KEY (account_id, livemode, kind, name, value, seq)
);

CREATE INDEX object_tags_seq ON object_tags (seq);

CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL,
    livemode INTEGER NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (account_id, livemode, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created);
