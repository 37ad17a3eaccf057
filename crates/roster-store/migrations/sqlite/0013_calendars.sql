-- Calendar feeds (the contact-channels issue §7): a user's iCalendar subscriptions and the
-- events of each, as the last good fetch left them (recurrences expanded in a window). The
-- sync queue fetches a feed as the chain of jobs `calendar.sync`; `sync_seq` numbers the links
-- of that chain, so a job that runs twice (delivery is at least once) or a stale one does
-- nothing. `etag` is the feed's validator for the next `If-None-Match`; `expanded_at` is when
-- the events were last read from a whole body (the window they were expanded in moves with
-- it); `failures` counts the fetches that failed in a row (the backoff of the next try).
-- `calendars_due` finds the chains whose next link is long overdue (lost), to queue it again.
CREATE TABLE calendars (
    id BLOB PRIMARY KEY NOT NULL,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'error')),
    last_error TEXT,
    last_synced_at INTEGER,
    expanded_at INTEGER,
    event_count INTEGER NOT NULL,
    etag TEXT,
    failures INTEGER NOT NULL,
    sync_seq INTEGER NOT NULL,
    next_sync_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX calendars_user ON calendars (user_id, id);
CREATE INDEX calendars_due ON calendars (next_sync_at);

-- One row per occurrence: a recurring event is as many rows as it has occurrences in the
-- window, told apart by their start. Read in (starts_at, uid) order, which is the key.
CREATE TABLE calendar_events (
    calendar_id BLOB NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    starts_at INTEGER NOT NULL,
    uid TEXT NOT NULL,
    ends_at INTEGER NOT NULL,
    all_day BOOLEAN NOT NULL,
    summary TEXT,
    location TEXT,
    PRIMARY KEY (calendar_id, starts_at, uid)
);
