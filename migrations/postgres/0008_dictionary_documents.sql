-- SQLite compresses its documents from this version (see the SQLite
-- migration of the same number). PostgreSQL keeps them as text: TOAST
-- compresses a large one already, and its commit function reads the
-- change set as JSON. The version exists here so that both backends keep
-- one list of versions; it changes nothing.
SELECT 1;
