-- Only schedule tags enter the due index (src/store/schedule.rs). The
-- workers' sweeps read it across accounts by (kind, name, value); every
-- other tag is read within its account through the table's primary key,
-- and paid for an index entry that nothing read: a session create writes
-- about eight tag rows and one schedule.
--
-- The due queries repeat this predicate word for word: PostgreSQL uses a
-- partial index only when it can prove the query implies the predicate,
-- and a generic plan (sqlx prepares its statements) has no values to prove
-- it with, only the query's text. A test holds the two to the same text. A
-- new schedule tag is a new migration that builds this index again.
--
-- The new index is built beside the old one, then takes its name: the old
-- one's drop locks object_tags against every read and write until the
-- migration commits, so it comes last. The build blocks writes to
-- object_tags from its start until the migration commits.
--
-- Upgrade every node together: a node from before this version sweeps
-- without the predicate, and PostgreSQL then reads the whole table.
CREATE INDEX object_tags_schedule ON object_tags (kind, name, value) WHERE (name = '3ds_due' OR name = 'capture_due' OR name = 'due_at' OR name = 'lookup_due' OR name = 'open_until' OR substr(name, 1, 4) = 'due:');
DROP INDEX object_tags_due;
ALTER INDEX object_tags_schedule RENAME TO object_tags_due;
