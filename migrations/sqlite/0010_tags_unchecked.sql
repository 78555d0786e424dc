-- Nothing to do on SQLite: this version drops PostgreSQL's foreign key from
-- tag rows to their object. SQLite cannot drop a constraint without
-- rebuilding the table, and its check is a lookup by primary key in the
-- same process, with no lock or log record of its own; the version exists
-- on both backends so that they keep one numbering.
SELECT 1;
