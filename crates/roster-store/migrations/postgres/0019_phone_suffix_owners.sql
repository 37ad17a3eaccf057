-- Each suffix of a number's digits carries the number's owner and the owner's creation time, in
-- the key's index, so a term's matches are read from the index alone: as a set of users, and in
-- creation order by sorting the matches themselves (the SQLite migration says why).
ALTER TABLE phone_suffixes ADD COLUMN user_id UUID, ADD COLUMN user_created_at TIMESTAMPTZ;
UPDATE phone_suffixes s SET user_id = p.user_id, user_created_at = u.created_at
FROM user_phones p JOIN users u ON u.id = p.user_id WHERE p.seq = s.seq;
ALTER TABLE phone_suffixes ALTER COLUMN user_id SET NOT NULL, ALTER COLUMN user_created_at SET NOT NULL;
ALTER TABLE phone_suffixes DROP CONSTRAINT phone_suffixes_pkey;
ALTER TABLE phone_suffixes ADD PRIMARY KEY (suffix, seq) INCLUDE (user_id, user_created_at);

CREATE OR REPLACE FUNCTION phone_suffixes_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF tg_op <> 'INSERT' THEN
        DELETE FROM phone_suffixes WHERE seq = old.seq
            AND suffix IN (SELECT substr(old.digits, s) FROM generate_series(1, length(old.digits) - 2) AS s);
    END IF;
    IF tg_op <> 'DELETE' THEN
        INSERT INTO phone_suffixes (suffix, seq, user_id, user_created_at)
        SELECT substr(new.digits, s), new.seq, new.user_id, u.created_at
        FROM generate_series(1, length(new.digits) - 2) AS s, users u WHERE u.id = new.user_id;
    END IF;
    RETURN NULL;
END $$;
