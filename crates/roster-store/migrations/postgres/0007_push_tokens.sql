-- Push-notification tokens (the contact-channels issue §4). A token belongs to one user at a time:
-- registering it again moves it. Read by user for every push notice; removed with the user's
-- deletion or suspension, and when the push provider says it is gone (404/410).
CREATE TABLE push_tokens (
    token TEXT PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id),
    platform TEXT NOT NULL CHECK (platform IN ('ios', 'android', 'web')),
    device_id TEXT,
    device_name TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX push_tokens_user ON push_tokens (user_id, created_at);
