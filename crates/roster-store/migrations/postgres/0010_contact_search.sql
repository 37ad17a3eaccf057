-- Search over every address and phone number of a user: pg_trgm GIN indexes, which serve
-- `LIKE '%x%'` directly (see migrations/sqlite/0010_contact_search.sql for SQLite's).
CREATE INDEX user_emails_search ON user_emails USING gin (address_key gin_trgm_ops);
CREATE INDEX user_phones_search ON user_phones USING gin (digits gin_trgm_ops);

-- What a walked list compares besides the name and sign-in address: the user's other addresses
-- and the digits of its numbers, on users and memberships (see the SQLite migration).
ALTER TABLE users ADD COLUMN contact_emails TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN contact_phones TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN contact_emails TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN contact_phones TEXT NOT NULL DEFAULT '';
UPDATE users u SET contact_emails = e.list FROM
    (SELECT user_id, string_agg(address_key, E'\x1f' ORDER BY seq) AS list FROM user_emails
     WHERE NOT is_primary GROUP BY user_id) e WHERE e.user_id = u.id;
UPDATE users u SET contact_phones = p.list FROM
    (SELECT user_id, string_agg(digits, E'\x1f' ORDER BY seq) AS list FROM user_phones GROUP BY user_id) p
    WHERE p.user_id = u.id;
UPDATE memberships m SET contact_emails = u.contact_emails, contact_phones = u.contact_phones
    FROM users u WHERE u.id = m.user_id AND (u.contact_emails <> '' OR u.contact_phones <> '');

CREATE FUNCTION members_follow_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE memberships SET contact_emails = new.contact_emails, contact_phones = new.contact_phones
    WHERE user_id = new.id;
    RETURN NULL;
END $$;
CREATE TRIGGER members_follow_contacts AFTER UPDATE OF contact_emails, contact_phones ON users FOR EACH ROW
    WHEN (old.contact_emails IS DISTINCT FROM new.contact_emails OR old.contact_phones IS DISTINCT FROM new.contact_phones)
    EXECUTE FUNCTION members_follow_contacts();

CREATE FUNCTION contact_emails_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    owner UUID := CASE WHEN tg_op = 'DELETE' THEN old.user_id ELSE new.user_id END;
BEGIN
    UPDATE users SET contact_emails = COALESCE((SELECT string_agg(address_key, E'\x1f' ORDER BY seq)
        FROM user_emails WHERE user_id = owner AND NOT is_primary), '') WHERE id = owner;
    RETURN NULL;
END $$;
CREATE TRIGGER contact_emails_follow AFTER INSERT OR DELETE OR UPDATE OF address_key, is_primary ON user_emails
    FOR EACH ROW EXECUTE FUNCTION contact_emails_follow();

CREATE FUNCTION contact_phones_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    owner UUID := CASE WHEN tg_op = 'DELETE' THEN old.user_id ELSE new.user_id END;
BEGIN
    UPDATE users SET contact_phones = COALESCE((SELECT string_agg(digits, E'\x1f' ORDER BY seq)
        FROM user_phones WHERE user_id = owner), '') WHERE id = owner;
    RETURN NULL;
END $$;
CREATE TRIGGER contact_phones_follow AFTER INSERT OR DELETE OR UPDATE OF digits ON user_phones
    FOR EACH ROW EXECUTE FUNCTION contact_phones_follow();
