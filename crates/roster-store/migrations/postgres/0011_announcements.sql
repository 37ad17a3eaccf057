-- Announcements; the same tables as migrations/sqlite/0011_announcements.sql, which says why.
CREATE TABLE announcements (
    id UUID PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ,
    account_id UUID REFERENCES accounts (id),
    notify BOOLEAN NOT NULL,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX announcements_starts ON announcements (starts_at, id);

CREATE TABLE announcement_statuses (
    announcement_id UUID NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('seen', 'dismissed', 'snoozed')),
    snooze_until TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (announcement_id, user_id)
);
CREATE INDEX announcement_statuses_user ON announcement_statuses (user_id);
