-- Calendar feeds; the same tables as migrations/sqlite/0013_calendars.sql, which says why.
CREATE TABLE calendars (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'error')),
    last_error TEXT,
    last_synced_at TIMESTAMPTZ,
    expanded_at TIMESTAMPTZ,
    event_count BIGINT NOT NULL,
    etag TEXT,
    failures BIGINT NOT NULL,
    sync_seq BIGINT NOT NULL,
    next_sync_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX calendars_user ON calendars (user_id, id);
CREATE INDEX calendars_due ON calendars (next_sync_at);

CREATE TABLE calendar_events (
    calendar_id UUID NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    starts_at TIMESTAMPTZ NOT NULL,
    uid TEXT NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL,
    all_day BOOLEAN NOT NULL,
    summary TEXT,
    location TEXT,
    PRIMARY KEY (calendar_id, starts_at, uid)
);
