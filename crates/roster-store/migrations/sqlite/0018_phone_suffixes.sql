-- Phone numbers are searched by any run of three or more of their digits. A trigram index
-- serves numbers poorly: digits make only a thousand trigrams, and the numbers of one country
-- or area share their first ones, so a search for one number intersected lists holding nearly
-- every number. Instead every suffix of a number's digits (three digits or longer) is a key of
-- a B-tree: the numbers that contain a run are exactly those with a suffix starting with it,
-- found by one range scan (`suffix >= run AND suffix < run || ':'`, ':' being the character
-- after '9') that reads its matches and nothing else. `seq` is the number's row.
DROP TRIGGER user_phones_search_insert;
DROP TRIGGER user_phones_search_update;
DROP TRIGGER user_phones_search_delete;
DROP TABLE user_phones_search;

CREATE TABLE phone_suffixes (
    suffix TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (suffix, seq)
) WITHOUT ROWID;

-- Where a suffix may start: E.164 numbers have at most 15 digits.
INSERT INTO phone_suffixes (suffix, seq)
SELECT substr(p.digits, s.column1), p.seq
FROM user_phones p
JOIN (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13)) AS s
    ON length(p.digits) - s.column1 >= 2;

CREATE TRIGGER phone_suffixes_insert AFTER INSERT ON user_phones BEGIN
    INSERT INTO phone_suffixes (suffix, seq)
    SELECT substr(new.digits, s.column1), new.seq
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13)) AS s
    WHERE length(new.digits) - s.column1 >= 2;
END;
CREATE TRIGGER phone_suffixes_update AFTER UPDATE OF digits ON user_phones WHEN old.digits <> new.digits BEGIN
    DELETE FROM phone_suffixes WHERE seq = old.seq AND suffix IN
        (SELECT substr(old.digits, s.column1)
         FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13)) AS s);
    INSERT INTO phone_suffixes (suffix, seq)
    SELECT substr(new.digits, s.column1), new.seq
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13)) AS s
    WHERE length(new.digits) - s.column1 >= 2;
END;
CREATE TRIGGER phone_suffixes_delete AFTER DELETE ON user_phones BEGIN
    DELETE FROM phone_suffixes WHERE seq = old.seq AND suffix IN
        (SELECT substr(old.digits, s.column1)
         FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13)) AS s);
END;
