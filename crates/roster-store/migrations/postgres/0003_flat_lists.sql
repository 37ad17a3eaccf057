-- Lists that stay flat at a million users; the same tables, columns and indexes as
-- migrations/sqlite/0003_flat_lists.sql, which says why. Triggers are plpgsql functions here.

ALTER TABLE users ADD COLUMN last_login_key TIMESTAMPTZ
    GENERATED ALWAYS AS (COALESCE(last_login_at, TIMESTAMPTZ '1970-01-01 00:00:00+00')) STORED;
DROP INDEX users_created;
CREATE INDEX users_list_name ON users (status, name_normalized, id);
CREATE INDEX users_list_email ON users (status, email_normalized, id);
CREATE INDEX users_list_created ON users (status, created_at, id);
CREATE INDEX users_list_last_login ON users (status, last_login_key, id);

ALTER TABLE memberships ADD COLUMN user_status TEXT;
ALTER TABLE memberships ADD COLUMN name_key TEXT COLLATE "C";
ALTER TABLE memberships ADD COLUMN email_key TEXT COLLATE "C";
ALTER TABLE memberships ADD COLUMN email_verified BOOLEAN;
ALTER TABLE memberships ADD COLUMN user_created_at TIMESTAMPTZ;
ALTER TABLE memberships ADD COLUMN last_login_key TIMESTAMPTZ;
UPDATE memberships m SET user_status = u.status, name_key = u.name_normalized, email_key = u.email_normalized,
    email_verified = u.email_verified, user_created_at = u.created_at, last_login_key = u.last_login_key
FROM users u WHERE u.id = m.user_id;
ALTER TABLE memberships ALTER COLUMN user_status SET NOT NULL, ALTER COLUMN name_key SET NOT NULL,
    ALTER COLUMN email_key SET NOT NULL, ALTER COLUMN email_verified SET NOT NULL,
    ALTER COLUMN user_created_at SET NOT NULL, ALTER COLUMN last_login_key SET NOT NULL;
DROP INDEX memberships_account;
CREATE INDEX members_by_name ON memberships (account_id, user_status, name_key, user_id);
CREATE INDEX members_by_email ON memberships (account_id, user_status, email_key, user_id);
CREATE INDEX members_by_created ON memberships (account_id, user_status, user_created_at, user_id);
CREATE INDEX members_by_last_login ON memberships (account_id, user_status, last_login_key, user_id);

CREATE FUNCTION members_follow_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF old.status IS DISTINCT FROM new.status OR old.name_normalized IS DISTINCT FROM new.name_normalized
        OR old.email_normalized IS DISTINCT FROM new.email_normalized
        OR old.email_verified IS DISTINCT FROM new.email_verified
        OR old.last_login_at IS DISTINCT FROM new.last_login_at THEN
        UPDATE memberships SET user_status = new.status, name_key = new.name_normalized,
            email_key = new.email_normalized, email_verified = new.email_verified,
            last_login_key = new.last_login_key
        WHERE user_id = new.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER members_follow_user AFTER UPDATE OF status, name_normalized, email_normalized, email_verified,
    last_login_at ON users FOR EACH ROW EXECUTE FUNCTION members_follow_user();

-- 16 shards: a sign-up adds to the row of its id's last byte, so concurrent sign-ups rarely
-- wait for the same row lock.
CREATE TABLE user_counts (
    status TEXT NOT NULL,
    shard INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (status, shard)
);
INSERT INTO user_counts (status, shard, n)
    SELECT status, get_byte(uuid_send(id), 15) % 16, COUNT(*) FROM users GROUP BY 1, 2;
CREATE FUNCTION user_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF tg_op IN ('UPDATE', 'DELETE') THEN
        UPDATE user_counts SET n = n - 1 WHERE status = old.status AND shard = get_byte(uuid_send(old.id), 15) % 16;
    END IF;
    IF tg_op IN ('UPDATE', 'INSERT') THEN
        INSERT INTO user_counts (status, shard, n) VALUES (new.status, get_byte(uuid_send(new.id), 15) % 16, 1)
            ON CONFLICT (status, shard) DO UPDATE SET n = user_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER user_counts_insert_delete AFTER INSERT OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION user_counts_follow();
CREATE TRIGGER user_counts_update AFTER UPDATE OF status ON users FOR EACH ROW
    WHEN (old.status IS DISTINCT FROM new.status) EXECUTE FUNCTION user_counts_follow();

CREATE TABLE member_counts (
    account_id UUID NOT NULL REFERENCES accounts (id),
    user_status TEXT NOT NULL,
    role TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (account_id, user_status, role)
);
INSERT INTO member_counts (account_id, user_status, role, n)
    SELECT account_id, user_status, role, COUNT(*) FROM memberships GROUP BY 1, 2, 3;
CREATE FUNCTION member_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF tg_op IN ('UPDATE', 'DELETE') THEN
        UPDATE member_counts SET n = n - 1
        WHERE account_id = old.account_id AND user_status = old.user_status AND role = old.role;
    END IF;
    IF tg_op IN ('UPDATE', 'INSERT') THEN
        INSERT INTO member_counts (account_id, user_status, role, n) VALUES (new.account_id, new.user_status, new.role, 1)
            ON CONFLICT (account_id, user_status, role) DO UPDATE SET n = member_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER member_counts_insert_delete AFTER INSERT OR DELETE ON memberships FOR EACH ROW
    EXECUTE FUNCTION member_counts_follow();
CREATE TRIGGER member_counts_update AFTER UPDATE OF user_status, role ON memberships FOR EACH ROW
    WHEN (old.user_status IS DISTINCT FROM new.user_status OR old.role IS DISTINCT FROM new.role)
    EXECUTE FUNCTION member_counts_follow();
