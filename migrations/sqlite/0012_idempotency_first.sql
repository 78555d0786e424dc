-- Nothing to do on SQLite: this version moves PostgreSQL's idempotency
-- insert to the start of kassa_commit. SQLite's writer makes the same
-- change in code (store::sqlite::apply); the version exists on both
-- backends so that they keep one numbering.
SELECT 1;
