-- Secondary addresses never confirmed are released once their link has expired
-- (user_emails::expire_unconfirmed, run periodically): this index finds them oldest first
-- without reading the confirmed ones, which are nearly all of the table.
CREATE INDEX user_emails_unconfirmed ON user_emails (created_at) WHERE verified = FALSE AND is_primary = FALSE;
