-- The same indexes and triggers as migrations/sqlite/0016_pending_addresses.sql, which says why.
DROP INDEX user_emails_address;
CREATE UNIQUE INDEX user_emails_address ON user_emails (address_key) WHERE is_primary OR verified;
CREATE UNIQUE INDEX user_emails_claims ON user_emails (address_key, user_id);

CREATE FUNCTION user_emails_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM user_emails
        WHERE address_key = new.address_key AND user_id <> new.user_id AND NOT is_primary AND NOT verified;
    RETURN NULL;
END $$;
CREATE TRIGGER user_emails_claim_insert AFTER INSERT ON user_emails FOR EACH ROW
    WHEN (new.is_primary OR new.verified) EXECUTE FUNCTION user_emails_claim();
CREATE TRIGGER user_emails_claim_update AFTER UPDATE OF address_key, is_primary, verified ON user_emails FOR EACH ROW
    WHEN (new.is_primary OR new.verified) EXECUTE FUNCTION user_emails_claim();
