-- The platform-wide audit search filters by who acted and in which account, newest first.
CREATE INDEX activities_actor ON activities (actor_id, id) WHERE actor_id IS NOT NULL;
CREATE INDEX activities_account ON activities (account_id, id) WHERE account_id IS NOT NULL;
CREATE INDEX activities_action ON activities (action, id);
