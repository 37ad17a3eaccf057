-- Announcements (the contact-channels issue §6): written by platform admins, shown to users
-- between `starts_at` and `ends_at` (open-ended when NULL), to everyone or to the members of
-- one account and its sub-accounts (`account_id`); each user's answer to one (seen, dismissed,
-- snoozed until a time) in announcement_statuses.
CREATE TABLE announcements (
    id BLOB PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER,
    account_id BLOB REFERENCES accounts (id),
    notify BOOLEAN NOT NULL,
    created_by BLOB REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX announcements_starts ON announcements (starts_at, id);

CREATE TABLE announcement_statuses (
    announcement_id BLOB NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('seen', 'dismissed', 'snoozed')),
    snooze_until INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (announcement_id, user_id)
);
CREATE INDEX announcement_statuses_user ON announcement_statuses (user_id);
