-- A counter that every change to what authentication or a profile reads moves, in the same
-- transaction (changes.rs reads it before serving a cached token check): same table and
-- meaning as SQLite's 0004. Here it has 16 rows, a transaction adding to the one of its id, and
-- the triggers are deferred to the commit, so that a transaction takes that row's lock only when
-- it holds every other lock it needs: writers never wait on each other in a cycle through it.
-- A session's last_seen_at is left out: touching a session changes nothing a cache holds.
CREATE TABLE change_log (
    id INTEGER PRIMARY KEY NOT NULL,
    n BIGINT NOT NULL
);
INSERT INTO change_log (id, n) SELECT g, 0 FROM generate_series(0, 15) AS g;
CREATE FUNCTION count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE change_log SET n = n + 1 WHERE id = txid_current() % 16;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_change();
CREATE CONSTRAINT TRIGGER memberships_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_change();
CREATE CONSTRAINT TRIGGER accounts_changed AFTER INSERT OR UPDATE OR DELETE ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_change();
CREATE CONSTRAINT TRIGGER preferences_changed AFTER INSERT OR UPDATE OR DELETE ON preferences
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_change();
CREATE CONSTRAINT TRIGGER sessions_changed AFTER INSERT OR DELETE
    OR UPDATE OF user_id, token_hash, active_account_id, expires_at, revoked_at ON sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_change();
