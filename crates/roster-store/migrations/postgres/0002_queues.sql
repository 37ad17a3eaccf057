-- Tables the queue manager's handlers keep: per-user daily activity (analytics queue) and the
-- CRM contact of each member of an account (sync queue).

CREATE TABLE user_analytics (
    user_id UUID PRIMARY KEY NOT NULL REFERENCES users (id),
    initialized_at TIMESTAMPTZ NOT NULL
);

-- One row per user and UTC day with activity, recomputed from the audit trail (idempotent).
CREATE TABLE user_activity_daily (
    user_id UUID NOT NULL REFERENCES users (id),
    day TEXT NOT NULL,
    logins INTEGER NOT NULL,
    events INTEGER NOT NULL,
    last_active_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, day)
);

CREATE TABLE crm_contacts (
    id UUID PRIMARY KEY NOT NULL,
    account_id UUID NOT NULL REFERENCES accounts (id),
    user_id UUID NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX crm_contacts_member ON crm_contacts (account_id, user_id);

CREATE INDEX activities_user_at ON activities (user_id, at);

-- Claims pick the earliest due queued jobs: a partial index keeps that cheap however long the
-- backlog (and however many done jobs are kept).
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE status = 'queued';
