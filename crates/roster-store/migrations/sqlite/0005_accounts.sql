-- Accounts, members and workspaces (the accounts issue).
--
-- 1. Sub-accounts are listed by parent in id order (keyset pages).
-- 2. "Who can" (`/v1/accounts/:id/access`) walks the members of an account and its ancestors
--    in user order: those whose role can hold a scope come from (account, role, user), those
--    with grants from a partial index of memberships that carry any — a few rows of 10 000.
-- 3. Platform admins are a short list of their own; a user's CRM contacts are found by user.
-- 4. Workspaces live inside an account; their members are members of that account.
DROP INDEX accounts_parent;
CREATE INDEX accounts_children ON accounts (parent_id, id);
CREATE INDEX memberships_by_role ON memberships (account_id, role, user_id);
CREATE INDEX memberships_with_grants ON memberships (account_id, user_id) WHERE grants <> '[]';
CREATE INDEX users_platform_admins ON users (id) WHERE platform_admin;
CREATE INDEX crm_contacts_user ON crm_contacts (user_id);

CREATE TABLE workspaces (
    id BLOB PRIMARY KEY NOT NULL,
    account_id BLOB NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX workspaces_account ON workspaces (account_id, id);

CREATE TABLE workspace_members (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    role TEXT NOT NULL CHECK (role IN ('lead', 'member')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id, workspace_id);
