-- Workers find due objects (e.g. open sessions past their expiry) across
-- accounts by a tag whose value is a zero-padded timestamp.
CREATE INDEX object_tags_due ON object_tags (kind, name, value);
