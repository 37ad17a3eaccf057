-- A profile shows the user's addresses and phones, and profiles are cached while change_log
-- stands still (migration 0004): changes to either table move it too.
CREATE TRIGGER user_emails_changed_insert AFTER INSERT ON user_emails BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER user_emails_changed_update AFTER UPDATE ON user_emails BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER user_emails_changed_delete AFTER DELETE ON user_emails BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER user_phones_changed_insert AFTER INSERT ON user_phones BEGIN UPDATE change_log SET n = n + 1; END;
CREATE TRIGGER user_phones_changed_delete AFTER DELETE ON user_phones BEGIN UPDATE change_log SET n = n + 1; END;
-- The code columns change nothing a profile shows.
CREATE TRIGGER user_phones_changed_update AFTER UPDATE OF number, label, verified, is_primary ON user_phones
BEGIN UPDATE change_log SET n = n + 1; END;
