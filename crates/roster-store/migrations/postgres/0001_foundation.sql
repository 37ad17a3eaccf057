-- Foundation schema: users, accounts, memberships, sessions, tokens, preferences, activity,
-- the jobs outbox, idempotency records and server secrets.
-- Same tables and columns as migrations/sqlite (a test checks it); ids, times and defaults are
-- supplied by Roster, never by SQL defaults.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    secret BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    -- Byte order ("C"), as on SQLite: sorting and keyset cursors agree on both engines.
    email_normalized TEXT COLLATE "C" NOT NULL,
    email_verified BOOLEAN NOT NULL,
    password_hash TEXT,
    name TEXT NOT NULL,
    -- Lowercased in Rust (SQLite's lower() only folds ASCII): sort key and short-needle search.
    name_normalized TEXT COLLATE "C" NOT NULL,
    first_name TEXT,
    last_name TEXT,
    image TEXT,
    title TEXT,
    bio TEXT,
    timezone TEXT NOT NULL,
    locale TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'suspended', 'deleted')),
    metadata JSONB NOT NULL,
    mfa_enabled BOOLEAN NOT NULL,
    platform_admin BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);
-- An address belongs to at most one live user; deleting a user frees it.
CREATE UNIQUE INDEX users_email_live ON users (email_normalized) WHERE status <> 'deleted';
CREATE INDEX users_created ON users (created_at, id);
-- Substring search over name and email that stays fast at a million users.
CREATE INDEX users_search_name ON users USING gin (name_normalized gin_trgm_ops);
CREATE INDEX users_search_email ON users USING gin (email_normalized gin_trgm_ops);

CREATE TABLE accounts (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    parent_id UUID REFERENCES accounts (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deleted')),
    seats_used BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX accounts_parent ON accounts (parent_id);

CREATE TABLE memberships (
    user_id UUID NOT NULL REFERENCES users (id),
    account_id UUID NOT NULL REFERENCES accounts (id),
    role TEXT NOT NULL CHECK (role IN ('viewer', 'member', 'admin', 'owner')),
    grants JSONB NOT NULL,
    denies JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, account_id)
);
CREATE INDEX memberships_account ON memberships (account_id, user_id);

CREATE TABLE sessions (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id),
    token_hash BYTEA NOT NULL UNIQUE,
    active_account_id UUID REFERENCES accounts (id),
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    ip TEXT,
    user_agent TEXT,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Single-use, purpose-bound tokens (email verification, invitation, recovery, ...).
CREATE TABLE tokens (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX tokens_user_purpose ON tokens (user_id, purpose);

CREATE TABLE preferences (
    user_id UUID PRIMARY KEY NOT NULL REFERENCES users (id),
    config JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE activities (
    id UUID PRIMARY KEY NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    user_id UUID NOT NULL,
    actor_id UUID,
    account_id UUID,
    action TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    changes JSONB NOT NULL
);
CREATE INDEX activities_user ON activities (user_id, id);

-- The transactional outbox: every side effect is a row written with the change that causes it.
CREATE TABLE jobs (
    id UUID PRIMARY KEY NOT NULL,
    queue TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload JSONB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    run_at TIMESTAMPTZ NOT NULL,
    locked_by TEXT,
    locked_until TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_ready ON jobs (queue, status, run_at);

CREATE TABLE idempotency (
    caller TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    response_status INTEGER,
    response_body BYTEA,
    response_headers JSONB,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);
