-- The same column as migrations/sqlite/0015_recovery_clears_failures.sql, which says why.
ALTER TABLE login_locks ADD COLUMN cleared_at TIMESTAMPTZ;
