-- A user's phone numbers (the contact-channels issue §1): E.164, at most one row per number
-- and user, one of them primary. A number is verified with a 6-digit code sent by SMS: only
-- its keyed hash is kept (`code_hash`), minted by the worker that sends it so that the code in
-- clear is never at rest, not even in the job; good for 10 minutes and 5 wrong tries
-- (`code_attempts`). Sends are limited per phone — once a minute (`last_sent_at`) and 5 times
-- an hour (`window_started_at`, `window_sends`) — whatever the request that causes them.
-- `digits` is the E.164 number without `+`, what a search for a number matches; `seq` keys the
-- search index.
CREATE TABLE user_phones (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    number TEXT NOT NULL,
    digits TEXT NOT NULL,
    label TEXT NOT NULL CHECK (label IN ('mobile', 'work', 'home', 'other')),
    verified BOOLEAN NOT NULL,
    is_primary BOOLEAN NOT NULL,
    code_hash BLOB,
    code_expires_at INTEGER,
    code_attempts INTEGER NOT NULL,
    last_sent_at INTEGER,
    window_started_at INTEGER,
    window_sends INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_phones_number ON user_phones (user_id, number);
CREATE INDEX user_phones_user ON user_phones (user_id, created_at);
