-- Search over every address and phone number of a user (the contact-channels issue §3): the
-- same kind of index as users_search (migration 0001), an FTS5 trigram index without a copy of
-- the text, keyed by the rows' stable `seq` (INTEGER PRIMARY KEY: kept by VACUUM). Addresses
-- are indexed lowercased, numbers by the digits of their E.164 form (`4155550142` finds
-- `+14155550142`).
CREATE VIRTUAL TABLE user_emails_search USING fts5 (
    address, content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO user_emails_search (rowid, address) SELECT seq, address_key FROM user_emails;
CREATE TRIGGER user_emails_search_insert AFTER INSERT ON user_emails BEGIN
    INSERT INTO user_emails_search (rowid, address) VALUES (new.seq, new.address_key);
END;
CREATE TRIGGER user_emails_search_update AFTER UPDATE OF address_key ON user_emails BEGIN
    DELETE FROM user_emails_search WHERE rowid = old.seq;
    INSERT INTO user_emails_search (rowid, address) VALUES (new.seq, new.address_key);
END;
CREATE TRIGGER user_emails_search_delete AFTER DELETE ON user_emails BEGIN
    DELETE FROM user_emails_search WHERE rowid = old.seq;
END;

CREATE VIRTUAL TABLE user_phones_search USING fts5 (
    digits, content = '', contentless_delete = 1, tokenize = 'trigram'
);
INSERT INTO user_phones_search (rowid, digits) SELECT seq, digits FROM user_phones;
CREATE TRIGGER user_phones_search_insert AFTER INSERT ON user_phones BEGIN
    INSERT INTO user_phones_search (rowid, digits) VALUES (new.seq, new.digits);
END;
CREATE TRIGGER user_phones_search_update AFTER UPDATE OF digits ON user_phones BEGIN
    DELETE FROM user_phones_search WHERE rowid = old.seq;
    INSERT INTO user_phones_search (rowid, digits) VALUES (new.seq, new.digits);
END;
CREATE TRIGGER user_phones_search_delete AFTER DELETE ON user_phones BEGIN
    DELETE FROM user_phones_search WHERE rowid = old.seq;
END;

-- A walked list (a common term, or one of one or two characters) compares each row it passes,
-- so each row carries what a term may match: the user's other addresses (`contact_emails`) and
-- the digits of its numbers (`contact_phones`), each list joined by U+001F, on users and — as
-- migration 0003 copies the sort keys — on memberships. Kept by the triggers below.
ALTER TABLE users ADD COLUMN contact_emails TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN contact_phones TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN contact_emails TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN contact_phones TEXT NOT NULL DEFAULT '';
UPDATE users SET
    contact_emails = COALESCE((SELECT group_concat(e.address_key, char(31)) FROM user_emails e
        WHERE e.user_id = users.id AND NOT e.is_primary), ''),
    contact_phones = COALESCE((SELECT group_concat(p.digits, char(31)) FROM user_phones p
        WHERE p.user_id = users.id), '');
UPDATE memberships SET (contact_emails, contact_phones) =
    (SELECT u.contact_emails, u.contact_phones FROM users u WHERE u.id = memberships.user_id);

CREATE TRIGGER members_follow_contacts AFTER UPDATE OF contact_emails, contact_phones ON users BEGIN
    UPDATE memberships SET contact_emails = new.contact_emails, contact_phones = new.contact_phones
    WHERE user_id = new.id;
END;
CREATE TRIGGER contact_emails_insert AFTER INSERT ON user_emails WHEN NOT new.is_primary BEGIN
    UPDATE users SET contact_emails = COALESCE((SELECT group_concat(e.address_key, char(31)) FROM user_emails e
        WHERE e.user_id = new.user_id AND NOT e.is_primary), '') WHERE id = new.user_id;
END;
CREATE TRIGGER contact_emails_update AFTER UPDATE OF address_key, is_primary ON user_emails BEGIN
    UPDATE users SET contact_emails = COALESCE((SELECT group_concat(e.address_key, char(31)) FROM user_emails e
        WHERE e.user_id = new.user_id AND NOT e.is_primary), '') WHERE id = new.user_id;
END;
CREATE TRIGGER contact_emails_delete AFTER DELETE ON user_emails WHEN NOT old.is_primary BEGIN
    UPDATE users SET contact_emails = COALESCE((SELECT group_concat(e.address_key, char(31)) FROM user_emails e
        WHERE e.user_id = old.user_id AND NOT e.is_primary), '') WHERE id = old.user_id;
END;
CREATE TRIGGER contact_phones_insert AFTER INSERT ON user_phones BEGIN
    UPDATE users SET contact_phones = COALESCE((SELECT group_concat(p.digits, char(31)) FROM user_phones p
        WHERE p.user_id = new.user_id), '') WHERE id = new.user_id;
END;
CREATE TRIGGER contact_phones_update AFTER UPDATE OF digits ON user_phones BEGIN
    UPDATE users SET contact_phones = COALESCE((SELECT group_concat(p.digits, char(31)) FROM user_phones p
        WHERE p.user_id = new.user_id), '') WHERE id = new.user_id;
END;
CREATE TRIGGER contact_phones_delete AFTER DELETE ON user_phones BEGIN
    UPDATE users SET contact_phones = COALESCE((SELECT group_concat(p.digits, char(31)) FROM user_phones p
        WHERE p.user_id = old.user_id), '') WHERE id = old.user_id;
END;
