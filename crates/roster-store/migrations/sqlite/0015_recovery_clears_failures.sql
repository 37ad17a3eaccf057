-- A completed recovery proves the owner of an address: the failed attempts counted for it (its
-- password failures and its user's wrong codes) before then no longer count against it
-- (roster-core's auth::limits reads the windows from `cleared_at` on). What was counted per
-- client address stays.
ALTER TABLE login_locks ADD COLUMN cleared_at INTEGER;
