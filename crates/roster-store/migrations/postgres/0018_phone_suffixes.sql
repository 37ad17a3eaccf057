-- Phone numbers are searched by any run of three or more of their digits through every suffix
-- of their digits, a B-tree key each, instead of a trigram index (the SQLite migration says
-- why). Suffixes compare byte by byte (COLLATE "C"), as the range scan needs.
DROP INDEX user_phones_search;

CREATE TABLE phone_suffixes (
    suffix TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (suffix, seq)
);

INSERT INTO phone_suffixes (suffix, seq)
SELECT substr(p.digits, s.start), p.seq FROM user_phones p, generate_series(1, length(p.digits) - 2) AS s (start);

CREATE FUNCTION phone_suffixes_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF tg_op <> 'INSERT' THEN
        DELETE FROM phone_suffixes WHERE seq = old.seq
            AND suffix IN (SELECT substr(old.digits, s) FROM generate_series(1, length(old.digits) - 2) AS s);
    END IF;
    IF tg_op <> 'DELETE' THEN
        INSERT INTO phone_suffixes (suffix, seq)
        SELECT substr(new.digits, s), new.seq FROM generate_series(1, length(new.digits) - 2) AS s;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER phone_suffixes_follow AFTER INSERT OR DELETE ON user_phones
    FOR EACH ROW EXECUTE FUNCTION phone_suffixes_follow();
CREATE TRIGGER phone_suffixes_change AFTER UPDATE OF digits ON user_phones
    FOR EACH ROW WHEN (old.digits IS DISTINCT FROM new.digits) EXECUTE FUNCTION phone_suffixes_follow();
