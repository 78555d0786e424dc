-- A change set in one round trip: kassa calls this function once per
-- commit, as a single statement in autocommit mode, so the call is its own
-- transaction and an exception anywhere in it writes nothing at all.
-- Before it, a commit was one round trip per statement (BEGIN, each object,
-- its tags, each event and delivery, the idempotency record, COMMIT).
--
-- p_changes is a JSON array, applied in order:
--   {"op": "insert", "id", "kind", "created", "doc", "tags": [[name, value], ...]}
--   {"op": "update", "id", "version", "doc", "tags": [[name, value], ...]}
--   {"op": "delete", "id", "version", "doc"}
-- where doc is the document's text as a JSON string, stored as it is so the
-- stored bytes are those the caller serialized. p_idem is NULL or
-- {"key", "fingerprint", "status", "body", "created"}.
--
-- Errors the caller maps (src/store/postgres/commit.rs):
--   KC409: the id is taken in the scope, or the object to update or delete
--          is gone or not at the expected version (StoreError::Conflict);
--   KC422: the idempotency key is recorded already
--          (StoreError::DuplicateIdempotencyKey).
-- Both use ON CONFLICT DO NOTHING and a check rather than catching
-- unique_violation: an EXCEPTION block would open a subtransaction per
-- change. A concurrent writer of the same key is waited for either way.
CREATE OR REPLACE FUNCTION kassa_commit(p_account TEXT, p_livemode BOOLEAN, p_changes JSONB, p_idem JSONB)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    c JSONB;
    v_seq BIGINT;
    v_kind TEXT;
BEGIN
    FOR c IN SELECT value FROM jsonb_array_elements(p_changes) LOOP
        IF c->>'op' = 'insert' THEN
            v_kind := c->>'kind';
            INSERT INTO objects (id, account_id, livemode, kind, created, version, doc)
            VALUES (c->>'id', p_account, p_livemode, v_kind, (c->>'created')::BIGINT, 1, c->>'doc')
            ON CONFLICT (id, account_id, livemode) DO NOTHING
            RETURNING seq INTO v_seq;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'object % exists in the scope', c->>'id' USING ERRCODE = 'KC409';
            END IF;
        ELSIF c->>'op' IN ('update', 'delete') THEN
            UPDATE objects
            SET doc = c->>'doc', version = version + 1, deleted = (c->>'op' = 'delete')
            WHERE id = c->>'id' AND account_id = p_account AND livemode = p_livemode
                AND version = (c->>'version')::BIGINT AND NOT deleted
            RETURNING seq, kind INTO v_seq, v_kind;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'object % is gone or not at version %', c->>'id', c->>'version'
                    USING ERRCODE = 'KC409';
            END IF;
            DELETE FROM object_tags WHERE seq = v_seq;
        ELSE
            RAISE EXCEPTION 'unknown change %', c->>'op';
        END IF;
        -- A delete carries no tags: jsonb_array_length(NULL) is NULL.
        IF jsonb_array_length(c->'tags') > 0 THEN
            INSERT INTO object_tags (account_id, livemode, kind, name, value, seq)
            SELECT p_account, p_livemode, v_kind, t->>0, t->>1, v_seq FROM jsonb_array_elements(c->'tags') AS t
            ON CONFLICT DO NOTHING;
        END IF;
    END LOOP;
    IF p_idem IS NOT NULL THEN
        INSERT INTO idempotency_keys (account_id, livemode, key, fingerprint, status, body, created)
        VALUES (p_account, p_livemode, p_idem->>'key', p_idem->>'fingerprint', (p_idem->>'status')::BIGINT,
            p_idem->>'body', (p_idem->>'created')::BIGINT)
        ON CONFLICT (account_id, livemode, key) DO NOTHING;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'idempotency key % is recorded already', p_idem->>'key' USING ERRCODE = 'KC422';
        END IF;
    END IF;
END;
$$;
