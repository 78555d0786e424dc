-- SQLite only (its object_tags becomes a WITHOUT ROWID table and each
-- object row keeps its own tags). PostgreSQL's tables have no rowid, and
-- its commit function (0005) deletes an updated object's tags by seq.
SELECT 1;
