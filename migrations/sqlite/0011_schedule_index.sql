-- Only schedule tags enter the due index (src/store/schedule.rs). The
-- workers' sweeps read it across accounts by (kind, name, value); every
-- other tag is read within its account through the table's own key, and
-- paid for a second B-tree insert that nothing read: a session create
-- writes about eight tag rows and one schedule.
--
-- The due queries repeat this predicate word for word, so that SQLite can
-- see that the partial index covers them; a test holds the two to the same
-- text. A new schedule tag is a new migration that builds this index again.
-- Nodes sharing the file upgrade together: one from before this version
-- sweeps without the predicate and reads every tag row.
DROP INDEX object_tags_due;
CREATE INDEX object_tags_due ON object_tags (kind, name, value) WHERE (name = '3ds_due' OR name = 'capture_due' OR name = 'due_at' OR name = 'lookup_due' OR name = 'open_until' OR substr(name, 1, 4) = 'due:');
