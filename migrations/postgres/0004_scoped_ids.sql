-- Ids are unique per account and mode, not globally: a merchant-chosen id
-- (coupon SUMMER, a product id) taken in one scope is free in every other,
-- and no error can depend on another tenant's data. seq stays the row's
-- key (tags and list cursors refer to it); (id, account_id, livemode) is
-- the id's key, and its leading id column also serves lookups by id alone.
ALTER TABLE objects DROP CONSTRAINT objects_id_key;
ALTER TABLE objects ADD CONSTRAINT objects_scoped_id UNIQUE (id, account_id, livemode);

-- Webhook deliveries are due per endpoint (`due:{endpoint}`), so the
-- worker reads each endpoint's queue on its own and a backlog at one
-- cannot crowd out the others.
INSERT INTO object_tags (account_id, livemode, kind, name, value, seq)
    SELECT d.account_id, d.livemode, d.kind, 'due:' || e.value, d.value, d.seq
    FROM object_tags d
    JOIN object_tags e ON e.seq = d.seq AND e.kind = d.kind AND e.name = 'webhook_endpoint'
    WHERE d.kind = 'webhook_delivery' AND d.name = 'due';
DELETE FROM object_tags WHERE kind = 'webhook_delivery' AND name = 'due';
