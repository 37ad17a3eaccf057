-- Lists that stay flat at a million users (user_list.rs says how they are walked).
--
-- 1. Every list is walked in its own order through an index that starts with the population
--    and the status: (account, status, sort key, id) for members of an account, (status, sort
--    key, id) for everyone. The sort keys of a member therefore live beside the membership,
--    copied from the user by the trigger below in the same statement that changes them.
-- 2. Counts per account, status and role (and per status for everyone) are kept by triggers in
--    the transaction that changes them, so an unfiltered total is a sum of a few rows.

-- Never-logged-in users sort as the epoch, so the key is never NULL and keyset comparisons stay
-- total.
ALTER TABLE users ADD COLUMN last_login_key INTEGER
    GENERATED ALWAYS AS (COALESCE(last_login_at, 0)) VIRTUAL;
DROP INDEX users_created;
CREATE INDEX users_list_name ON users (status, name_normalized, id);
CREATE INDEX users_list_email ON users (status, email_normalized, id);
CREATE INDEX users_list_created ON users (status, created_at, id);
CREATE INDEX users_list_last_login ON users (status, last_login_key, id);

-- The defaults exist only for the rows already there (filled below); memberships::insert
-- copies the values from the user.
ALTER TABLE memberships ADD COLUMN user_status TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE memberships ADD COLUMN user_created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE memberships ADD COLUMN last_login_key INTEGER NOT NULL DEFAULT 0;
UPDATE memberships SET (user_status, name_key, email_key, email_verified, user_created_at, last_login_key) =
    (SELECT u.status, u.name_normalized, u.email_normalized, u.email_verified, u.created_at, u.last_login_key
     FROM users u WHERE u.id = memberships.user_id);
DROP INDEX memberships_account;
CREATE INDEX members_by_name ON memberships (account_id, user_status, name_key, user_id);
CREATE INDEX members_by_email ON memberships (account_id, user_status, email_key, user_id);
CREATE INDEX members_by_created ON memberships (account_id, user_status, user_created_at, user_id);
CREATE INDEX members_by_last_login ON memberships (account_id, user_status, last_login_key, user_id);

CREATE TRIGGER members_follow_user AFTER UPDATE OF status, name_normalized, email_normalized, email_verified,
    last_login_at ON users
    WHEN old.status IS NOT new.status OR old.name_normalized IS NOT new.name_normalized
        OR old.email_normalized IS NOT new.email_normalized OR old.email_verified IS NOT new.email_verified
        OR old.last_login_at IS NOT new.last_login_at
BEGIN
    UPDATE memberships SET user_status = new.status, name_key = new.name_normalized,
        email_key = new.email_normalized, email_verified = new.email_verified,
        last_login_key = COALESCE(new.last_login_at, 0)
    WHERE user_id = new.id;
END;

-- `shard` spreads the count of everyone over several rows on PostgreSQL, where concurrent
-- sign-ups would otherwise queue on one row lock; SQLite has one writer and uses shard 0.
CREATE TABLE user_counts (
    status TEXT NOT NULL,
    shard INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (status, shard)
);
INSERT INTO user_counts (status, shard, n) SELECT status, 0, COUNT(*) FROM users GROUP BY status;
CREATE TRIGGER user_counts_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_counts (status, shard, n) VALUES (new.status, 0, 1)
        ON CONFLICT (status, shard) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER user_counts_delete AFTER DELETE ON users BEGIN
    UPDATE user_counts SET n = n - 1 WHERE status = old.status AND shard = 0;
END;
CREATE TRIGGER user_counts_update AFTER UPDATE OF status ON users WHEN old.status <> new.status BEGIN
    UPDATE user_counts SET n = n - 1 WHERE status = old.status AND shard = 0;
    INSERT INTO user_counts (status, shard, n) VALUES (new.status, 0, 1)
        ON CONFLICT (status, shard) DO UPDATE SET n = n + 1;
END;

CREATE TABLE member_counts (
    account_id BLOB NOT NULL REFERENCES accounts (id),
    user_status TEXT NOT NULL,
    role TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (account_id, user_status, role)
);
INSERT INTO member_counts (account_id, user_status, role, n)
    SELECT account_id, user_status, role, COUNT(*) FROM memberships GROUP BY account_id, user_status, role;
CREATE TRIGGER member_counts_insert AFTER INSERT ON memberships BEGIN
    INSERT INTO member_counts (account_id, user_status, role, n) VALUES (new.account_id, new.user_status, new.role, 1)
        ON CONFLICT (account_id, user_status, role) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER member_counts_delete AFTER DELETE ON memberships BEGIN
    UPDATE member_counts SET n = n - 1
    WHERE account_id = old.account_id AND user_status = old.user_status AND role = old.role;
END;
CREATE TRIGGER member_counts_update AFTER UPDATE OF user_status, role ON memberships
    WHEN old.user_status <> new.user_status OR old.role <> new.role
BEGIN
    UPDATE member_counts SET n = n - 1
    WHERE account_id = old.account_id AND user_status = old.user_status AND role = old.role;
    INSERT INTO member_counts (account_id, user_status, role, n) VALUES (new.account_id, new.user_status, new.role, 1)
        ON CONFLICT (account_id, user_status, role) DO UPDATE SET n = n + 1;
END;
