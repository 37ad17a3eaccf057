-- Every email address of every live user (the contact-channels issue §2): the login address
-- (`is_primary`, a copy of users.email kept by the triggers below) and the secondary ones. An
-- address belongs to one live user only, whichever of that user's addresses it is, so the one
-- unique index here holds across primaries and secondaries; deleting a user frees all of theirs.
-- `becomes_primary` marks an address that replaces the login address once it is confirmed.
-- `seq` is a stable integer key for the search index (the contact-channels issue §3).
CREATE TABLE user_emails (
    seq INTEGER PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    address_key TEXT NOT NULL,
    verified BOOLEAN NOT NULL,
    is_primary BOOLEAN NOT NULL,
    becomes_primary BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_emails_address ON user_emails (address_key);
CREATE INDEX user_emails_user ON user_emails (user_id, created_at);

INSERT INTO user_emails (user_id, address, address_key, verified, is_primary, becomes_primary, created_at)
    SELECT id, email, email_normalized, email_verified, TRUE, FALSE, created_at FROM users
    WHERE status <> 'deleted' ORDER BY created_at;

-- The login address follows users: inserted with a live user, changed and verified with it, and
-- every address of a user is released when the user is deleted. (A switch to another of the
-- user's addresses is made by the store, which moves `is_primary` first in the same transaction.)
CREATE TRIGGER user_emails_follow_insert AFTER INSERT ON users WHEN new.status <> 'deleted' BEGIN
    INSERT INTO user_emails (user_id, address, address_key, verified, is_primary, becomes_primary, created_at)
        VALUES (new.id, new.email, new.email_normalized, new.email_verified, TRUE, FALSE, new.created_at);
END;
CREATE TRIGGER user_emails_follow_address AFTER UPDATE OF email, email_normalized ON users
    WHEN new.status <> 'deleted' AND (old.email IS NOT new.email OR old.email_normalized IS NOT new.email_normalized) BEGIN
    UPDATE user_emails SET address = new.email, address_key = new.email_normalized WHERE user_id = new.id AND is_primary;
END;
CREATE TRIGGER user_emails_follow_verified AFTER UPDATE OF email_verified ON users
    WHEN old.email_verified IS NOT new.email_verified BEGIN
    UPDATE user_emails SET verified = new.email_verified WHERE user_id = new.id AND is_primary;
END;
CREATE TRIGGER user_emails_follow_delete AFTER UPDATE OF status ON users
    WHEN new.status = 'deleted' AND old.status <> 'deleted' BEGIN
    DELETE FROM user_emails WHERE user_id = new.id;
END;
