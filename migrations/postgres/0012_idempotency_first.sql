-- kassa_commit (0005) as it was, with the idempotency record inserted
-- first instead of last. Session and customer creates no longer read their
-- key before they run (src/api/plumbing/idempotency.rs, `Deferred`), so
-- this insert is what refuses a replay; first, it refuses it before the
-- set has written any row (in a group call, before its subtransaction has
-- anything to undo). A set is answered as before, except one that both
-- names a taken key and would lose a version race: it is now refused by
-- the key (KC422) rather than the version (KC409), which its request
-- answers as the replay.
CREATE OR REPLACE FUNCTION kassa_commit(p_account TEXT, p_livemode BOOLEAN, p_changes JSONB, p_idem JSONB)
RETURNS VOID
LANGUAGE plpgsql
AS $$
DECLARE
    c JSONB;
    v_seq BIGINT;
    v_kind TEXT;
BEGIN
    IF p_idem IS NOT NULL THEN
        INSERT INTO idempotency_keys (account_id, livemode, key, fingerprint, status, body, created)
        VALUES (p_account, p_livemode, p_idem->>'key', p_idem->>'fingerprint', (p_idem->>'status')::BIGINT,
            p_idem->>'body', (p_idem->>'created')::BIGINT)
        ON CONFLICT (account_id, livemode, key) DO NOTHING;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'idempotency key % is recorded already', p_idem->>'key' USING ERRCODE = 'KC422';
        END IF;
    END IF;
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
END;
$$;
