-- An address a user added but has not confirmed holds nothing against anyone else: several
-- users may wait on the same address, someone may sign up with it, and the first to confirm it
-- wins. Only a claim that holds — a sign-in address, or a confirmed one — is unique, and when
-- one comes into being it drops every other user's pending claim on that address (their link
-- then finds nothing to confirm). A user has an address at most once.
DROP INDEX user_emails_address;
CREATE UNIQUE INDEX user_emails_address ON user_emails (address_key) WHERE is_primary OR verified;
CREATE UNIQUE INDEX user_emails_claims ON user_emails (address_key, user_id);

CREATE TRIGGER user_emails_claim_insert AFTER INSERT ON user_emails WHEN new.is_primary OR new.verified BEGIN
    DELETE FROM user_emails
        WHERE address_key = new.address_key AND user_id <> new.user_id AND NOT is_primary AND NOT verified;
END;
CREATE TRIGGER user_emails_claim_update AFTER UPDATE OF address_key, is_primary, verified ON user_emails
    WHEN new.is_primary OR new.verified BEGIN
    DELETE FROM user_emails
        WHERE address_key = new.address_key AND user_id <> new.user_id AND NOT is_primary AND NOT verified;
END;
