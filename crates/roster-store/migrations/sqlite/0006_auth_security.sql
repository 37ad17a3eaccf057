-- Authentication and account security (the authentication issue).
--
-- 1. A user's TOTP seed, encrypted (XChaCha20-Poly1305, nonce || ciphertext) with the server's
--    secret key; `enabled_at` is NULL while enrolment waits for its first code, and `last_step`
--    is the last time step accepted, so that each code is accepted once.
-- 2. Recovery codes are stored as HMAC-SHA256 hashes keyed from the server's secret key.
-- 3. Every login attempt, kept 90 days: the user's history, and the counts behind the limits
--    (failures by email and by client address within 15 minutes, MFA failures by user). The
--    email is kept as a SHA-256 key so that an unknown email typed in is not stored readable.
-- 4. Consecutive failures per email; at 100 the password is locked until a recovery.
-- 5. Purpose-bound tokens count wrong codes (an `mfa_token` is void after 5).
CREATE TABLE user_mfa (
    user_id BLOB PRIMARY KEY NOT NULL REFERENCES users (id),
    seed BLOB NOT NULL,
    enabled_at INTEGER,
    last_step BIGINT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE recovery_codes (
    user_id BLOB NOT NULL REFERENCES users (id),
    code_hash BLOB NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE login_attempts (
    id BLOB PRIMARY KEY NOT NULL,
    at INTEGER NOT NULL,
    email_key BLOB NOT NULL,
    user_id BLOB REFERENCES users (id),
    ip TEXT,
    user_agent TEXT,
    factor TEXT NOT NULL CHECK (factor IN ('password', 'mfa')),
    success BOOLEAN NOT NULL,
    counted BOOLEAN NOT NULL,
    reason TEXT
);
CREATE INDEX login_attempts_email ON login_attempts (email_key, at) WHERE counted AND factor = 'password';
CREATE INDEX login_attempts_ip ON login_attempts (ip, at) WHERE counted;
CREATE INDEX login_attempts_mfa ON login_attempts (user_id, at) WHERE counted AND factor = 'mfa';
CREATE INDEX login_attempts_user ON login_attempts (user_id, id);
CREATE INDEX login_attempts_seen ON login_attempts (user_id, user_agent, ip, at) WHERE success;
CREATE INDEX login_attempts_at ON login_attempts (at);

CREATE TABLE login_locks (
    email_key BLOB PRIMARY KEY NOT NULL,
    consecutive INTEGER NOT NULL,
    locked_at INTEGER
);

ALTER TABLE tokens ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
