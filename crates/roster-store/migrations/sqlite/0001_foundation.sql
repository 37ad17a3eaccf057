-- Foundation schema: users, accounts, memberships, sessions, tokens, preferences, activity,
-- the jobs outbox, idempotency records and server secrets.
-- Times are INTEGER microseconds since the Unix epoch (UTC); ids are 16-byte UUID blobs.
-- Ids, times and defaults are supplied by Roster, never by SQL defaults.

CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    secret BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    email_verified BOOLEAN NOT NULL,
    password_hash TEXT,
    name TEXT NOT NULL,
    -- Lowercased in Rust (SQLite's lower() only folds ASCII): sort key and short-needle search.
    name_normalized TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    image TEXT,
    title TEXT,
    bio TEXT,
    timezone TEXT NOT NULL,
    locale TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'suspended', 'deleted')),
    metadata TEXT NOT NULL,
    mfa_enabled BOOLEAN NOT NULL,
    platform_admin BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_login_at INTEGER,
    deleted_at INTEGER
);
-- An address belongs to at most one live user; deleting a user frees it.
CREATE UNIQUE INDEX users_email_live ON users (email_normalized) WHERE status <> 'deleted';
CREATE INDEX users_created ON users (created_at, id);

-- Substring search over name and email that stays fast at a million users: an FTS5 trigram
-- index (SQLite only; PostgreSQL uses pg_trgm indexes on users). The index has no copy of the
-- text (contentless) and its own integer keys, mapped to user ids by users_search_ids: the
-- implicit rowid of users is not stable across VACUUM, so it cannot be the key.
CREATE VIRTUAL TABLE users_search USING fts5 (
    name, email, content = '', contentless_delete = 1, tokenize = 'trigram'
);
CREATE TABLE users_search_ids (
    user_id BLOB PRIMARY KEY NOT NULL,
    search_rowid INTEGER NOT NULL UNIQUE
);
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search_ids (user_id, search_rowid)
        VALUES (new.id, (SELECT COALESCE(MAX(search_rowid), 0) + 1 FROM users_search_ids));
    INSERT INTO users_search (rowid, name, email)
        SELECT search_rowid, new.name, new.email FROM users_search_ids WHERE user_id = new.id;
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF name, email ON users BEGIN
    DELETE FROM users_search WHERE rowid = (SELECT search_rowid FROM users_search_ids WHERE user_id = new.id);
    INSERT INTO users_search (rowid, name, email)
        SELECT search_rowid, new.name, new.email FROM users_search_ids WHERE user_id = new.id;
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM users_search WHERE rowid = (SELECT search_rowid FROM users_search_ids WHERE user_id = old.id);
    DELETE FROM users_search_ids WHERE user_id = old.id;
END;

CREATE TABLE accounts (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    parent_id BLOB REFERENCES accounts (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
    seats_used BIGINT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX accounts_parent ON accounts (parent_id);

CREATE TABLE memberships (
    user_id BLOB NOT NULL REFERENCES users (id),
    account_id BLOB NOT NULL REFERENCES accounts (id),
    role TEXT NOT NULL CHECK (role IN ('viewer', 'member', 'admin', 'owner')),
    grants TEXT NOT NULL,
    denies TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, account_id)
);
CREATE INDEX memberships_account ON memberships (account_id, user_id);

CREATE TABLE sessions (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id),
    token_hash BLOB NOT NULL UNIQUE,
    active_account_id BLOB REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    ip TEXT,
    user_agent TEXT,
    revoked_at INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Single-use, purpose-bound tokens (email verification, invitation, recovery, ...).
CREATE TABLE tokens (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX tokens_user_purpose ON tokens (user_id, purpose);

CREATE TABLE preferences (
    user_id BLOB PRIMARY KEY NOT NULL REFERENCES users (id),
    config TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE activities (
    id BLOB PRIMARY KEY NOT NULL,
    at INTEGER NOT NULL,
    user_id BLOB NOT NULL,
    actor_id BLOB,
    account_id BLOB,
    action TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    changes TEXT NOT NULL
);
CREATE INDEX activities_user ON activities (user_id, id);

-- The transactional outbox: every side effect is a row written with the change that causes it.
CREATE TABLE jobs (
    id BLOB PRIMARY KEY NOT NULL,
    queue TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    run_at INTEGER NOT NULL,
    locked_by TEXT,
    locked_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_ready ON jobs (queue, status, run_at);

CREATE TABLE idempotency (
    caller TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    response_status INTEGER,
    response_body BLOB,
    response_headers TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);
