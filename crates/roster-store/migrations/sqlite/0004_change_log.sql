-- A counter that every change to what authentication or a profile reads moves, in the same
-- transaction (changes.rs reads it before serving a cached token check). A session's
-- last_seen_at is left out: touching a session changes nothing a cache holds but itself.
CREATE TABLE change_log (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO change_log (id, n) VALUES (1, 0);

CREATE TRIGGER users_changed_insert AFTER INSERT ON users BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER users_changed_update AFTER UPDATE ON users BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER users_changed_delete AFTER DELETE ON users BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER memberships_changed_insert AFTER INSERT ON memberships BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER memberships_changed_update AFTER UPDATE ON memberships BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER memberships_changed_delete AFTER DELETE ON memberships BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER accounts_changed_insert AFTER INSERT ON accounts BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER accounts_changed_update AFTER UPDATE ON accounts BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER accounts_changed_delete AFTER DELETE ON accounts BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER preferences_changed_insert AFTER INSERT ON preferences BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER preferences_changed_update AFTER UPDATE ON preferences BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER preferences_changed_delete AFTER DELETE ON preferences BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER sessions_changed_insert AFTER INSERT ON sessions BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER sessions_changed_delete AFTER DELETE ON sessions BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER sessions_changed_update AFTER UPDATE OF user_id, token_hash, active_account_id, expires_at, revoked_at ON sessions BEGIN UPDATE change_log SET n = n + 1; END;
