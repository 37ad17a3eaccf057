-- A profile shows the user's addresses and phones: changes to either move change_log too (see
-- migrations/sqlite/0012_profile_changes.sql).
CREATE CONSTRAINT TRIGGER user_emails_changed AFTER INSERT OR UPDATE OR DELETE ON user_emails
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_change();
CREATE CONSTRAINT TRIGGER user_phones_changed AFTER INSERT OR DELETE
    OR UPDATE OF number, label, verified, is_primary ON user_phones
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION count_change();
