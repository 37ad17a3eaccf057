-- Each suffix of a number's digits carries the number's owner and the owner's creation time (a
-- user's creation time never changes). A term's matches are then read from the suffixes alone:
-- as a set of users without a look-up per number, and in creation order (the lists' default)
-- by sorting the matches themselves, so a page of a term matched by thousands of numbers far
-- down the list costs a sort of those matches rather than a walk of everything before them.
CREATE TABLE phone_suffixes_next (
    suffix TEXT NOT NULL,
    seq INTEGER NOT NULL,
    user_id BLOB NOT NULL,
    user_created_at INTEGER NOT NULL,
    PRIMARY KEY (suffix, seq)
) WITHOUT ROWID;

INSERT INTO phone_suffixes_next (suffix, seq, user_id, user_created_at)
SELECT s.suffix, s.seq, p.user_id, u.created_at
FROM phone_suffixes s JOIN user_phones p ON p.seq = s.seq JOIN users u ON u.id = p.user_id;

DROP TRIGGER phone_suffixes_insert;
DROP TRIGGER phone_suffixes_update;
DROP TRIGGER phone_suffixes_delete;
DROP TABLE phone_suffixes;
ALTER TABLE phone_suffixes_next RENAME TO phone_suffixes;

-- Where a suffix may start: E.164 numbers have at most 15 digits.
CREATE TRIGGER phone_suffixes_insert AFTER INSERT ON user_phones BEGIN
    INSERT INTO phone_suffixes (suffix, seq, user_id, user_created_at)
    SELECT substr(new.digits, s.column1), new.seq, new.user_id, (SELECT u.created_at FROM users u WHERE u.id = new.user_id)
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13)) AS s
    WHERE length(new.digits) - s.column1 >= 2;
END;
CREATE TRIGGER phone_suffixes_update AFTER UPDATE OF digits ON user_phones WHEN old.digits <> new.digits BEGIN
    DELETE FROM phone_suffixes WHERE seq = old.seq AND suffix IN
        (SELECT substr(old.digits, s.column1)
         FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13)) AS s);
    INSERT INTO phone_suffixes (suffix, seq, user_id, user_created_at)
    SELECT substr(new.digits, s.column1), new.seq, new.user_id, (SELECT u.created_at FROM users u WHERE u.id = new.user_id)
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13)) AS s
    WHERE length(new.digits) - s.column1 >= 2;
END;
CREATE TRIGGER phone_suffixes_delete AFTER DELETE ON user_phones BEGIN
    DELETE FROM phone_suffixes WHERE seq = old.seq AND suffix IN
        (SELECT substr(old.digits, s.column1)
         FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13)) AS s);
END;
