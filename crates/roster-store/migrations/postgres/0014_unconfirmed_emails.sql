-- The same index as migrations/sqlite/0014_unconfirmed_emails.sql, which says why.
CREATE INDEX user_emails_unconfirmed ON user_emails (created_at) WHERE verified = FALSE AND is_primary = FALSE;
