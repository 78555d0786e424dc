-- Nothing to do on SQLite: this version installs PostgreSQL's group-commit
-- function (kassa_commit_many). SQLite's writer thread already commits the
-- writes that queue while it works in one transaction; the version exists
-- on both backends so that they keep one numbering.
SELECT 1;
