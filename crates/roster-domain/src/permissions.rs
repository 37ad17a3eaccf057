//! Effective permissions of one membership, and why a scope is allowed or not (API.md §4,
//! DESIGN.md §5): effective = role ∪ grant − deny, and deny wins.
//!
//! A scope that covers others (`users`, `*`) must be held whole, by the role or one grant: a
//! resource is more than its listed actions (`contacts` lets a member edit contacts, while
//! viewers only hold `contacts.read`). And it is allowed only if nothing it covers is denied:
//! holding `users` while `users.delete` is denied would be a lie, and would let a caller pass
//! on a grant it does not fully hold.

use serde::Serialize;
use uuid::Uuid;

use crate::role::Role;
use crate::scope::{Scope, implies_str};

/// Where a membership came from, for explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The user's own membership in this account.
    Direct,
    /// A membership in an ancestor account, inherited because the user has none here.
    /// `from_name` is the ancestor's name when it was looked up (for explanations; the checks
    /// that guard every request do not need it).
    Inherited { from_account: Uuid, from_name: Option<String> },
    /// Not a membership at all: platform admins may do everything everywhere.
    PlatformAdmin,
}

#[derive(Debug, Clone)]
pub struct Permissions {
    pub role: Role,
    pub grant: Vec<Scope>,
    pub deny: Vec<Scope>,
    pub source: Source,
}

/// One answer of [`Permissions::explain`], ready to show to an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub scope: String,
    pub allowed: bool,
    pub because: String,
}

impl Permissions {
    /// Everything allowed. The role, grant and deny lists are not consulted for a platform admin
    /// (their power does not come from a membership); they are filled only for display.
    pub fn platform_admin() -> Permissions {
        Permissions { role: Role::Owner, grant: Vec::new(), deny: Vec::new(), source: Source::PlatformAdmin }
    }

    pub fn allows(&self, wanted: &Scope) -> bool {
        self.decide(wanted).allowed()
    }

    /// Every known scope (not `*`) that [`Self::allows`], sorted.
    pub fn effective(&self) -> Vec<Scope> {
        Scope::all_known().into_iter().filter(|scope| self.allows(scope)).collect()
    }

    pub fn explain(&self, wanted: &Scope) -> Decision {
        let reason = self.decide(wanted);
        let from = match &self.source {
            Source::Inherited { from_account, from_name: Some(name) } => {
                format!(" inherited from account {name:?} ({from_account})")
            }
            Source::Inherited { from_account, from_name: None } => format!(" inherited from account {from_account}"),
            Source::Direct | Source::PlatformAdmin => String::new(),
        };
        let role = self.role;
        let because = match reason {
            Reason::PlatformAdmin => "platform admin".to_owned(),
            Reason::Denied(deny) => format!("denied by deny {deny}{from}"),
            Reason::Role => format!("granted by role {role}{from}"),
            Reason::Grant(grant) => format!("granted by grant {grant}{from}"),
            Reason::NotGranted => format!("not granted by role {role}{from} or any grant"),
        };
        Decision { scope: wanted.as_str().to_owned(), allowed: reason.allowed(), because }
    }

    /// The one decision procedure behind `allows` and `explain`, so they cannot disagree.
    fn decide(&self, wanted: &Scope) -> Reason<'_> {
        if self.source == Source::PlatformAdmin {
            return Reason::PlatformAdmin;
        }
        // Deny wins: over the wanted scope itself and over any scope it covers.
        let blocks = |deny: &&Scope| deny.implies(wanted) || wanted.parts().any(|part| deny.implies(part));
        if let Some(deny) = self.deny.iter().find(blocks) {
            return Reason::Denied(deny);
        }
        if self.role_grants(wanted.as_str()) {
            return Reason::Role;
        }
        match self.grant.iter().find(|grant| grant.implies(wanted)) {
            Some(grant) => Reason::Grant(grant),
            None => Reason::NotGranted,
        }
    }

    fn role_grants(&self, wanted: &str) -> bool {
        self.role.scope_names().any(|held| implies_str(held, wanted))
    }
}

/// What decided a permission check; `explain` turns it into a sentence.
enum Reason<'a> {
    PlatformAdmin,
    Denied(&'a Scope),
    Role,
    Grant(&'a Scope),
    NotGranted,
}

impl Reason<'_> {
    fn allowed(&self) -> bool {
        matches!(self, Reason::PlatformAdmin | Reason::Role | Reason::Grant(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str) -> Scope {
        Scope::parse(name).expect("known scope")
    }

    fn scopes(names: &[&str]) -> Vec<Scope> {
        names.iter().map(|n| s(n)).collect()
    }

    fn direct(role: Role, grant: &[&str], deny: &[&str]) -> Permissions {
        Permissions { role, grant: scopes(grant), deny: scopes(deny), source: Source::Direct }
    }

    fn names(list: Vec<Scope>) -> Vec<String> {
        list.into_iter().map(|sc| sc.as_str().to_owned()).collect()
    }

    fn decision(scope: &str, allowed: bool, because: &str) -> Decision {
        Decision { scope: scope.to_owned(), allowed, because: because.to_owned() }
    }

    #[test]
    fn viewer_reads_but_does_not_write() {
        let p = direct(Role::Viewer, &[], &[]);
        assert!(p.allows(&s("users.read")));
        assert!(p.allows(&s("analytics.read")));
        assert!(!p.allows(&s("users.update")));
        assert!(!p.allows(&s("contacts")));
        assert!(!p.allows(&s("users")));
        assert!(!p.allows(&s("*")));
    }

    #[test]
    fn member_inherits_viewer_and_adds_contacts_and_calendars() {
        let p = direct(Role::Member, &[], &[]);
        assert!(p.allows(&s("users.read")));
        assert!(p.allows(&s("contacts")));
        assert!(p.allows(&s("contacts.read")));
        assert!(p.allows(&s("calendars")));
        assert!(!p.allows(&s("announcements")));
    }

    #[test]
    fn admin_holds_users_resource_and_all_its_actions() {
        let p = direct(Role::Admin, &[], &[]);
        for name in ["users", "users.read", "users.create", "users.update", "users.delete", "users.scope"] {
            assert!(p.allows(&s(name)), "{name}");
        }
        assert!(p.allows(&s("accounts.update")));
        assert!(!p.allows(&s("accounts.delete")));
        assert!(!p.allows(&s("accounts")));
        assert!(!p.allows(&s("billing")));
    }

    #[test]
    fn owner_holds_everything_including_the_wildcard() {
        let p = direct(Role::Owner, &[], &[]);
        assert!(p.allows(&s("*")));
        assert!(p.allows(&s("billing")));
        assert!(p.allows(&s("accounts.delete")));
        assert_eq!(p.effective(), Scope::all_known());
    }

    #[test]
    fn a_grant_adds_to_the_role() {
        let p = direct(Role::Viewer, &["billing", "users.update"], &[]);
        assert!(p.allows(&s("billing")));
        assert!(p.allows(&s("users.update")));
        assert!(!p.allows(&s("users.delete")));
    }

    #[test]
    fn a_granted_resource_implies_its_actions() {
        let p = direct(Role::Viewer, &["accounts"], &[]);
        assert!(p.allows(&s("accounts")));
        assert!(p.allows(&s("accounts.delete")));
    }

    #[test]
    fn deny_wins_over_role() {
        let p = direct(Role::Admin, &[], &["users.delete"]);
        assert!(!p.allows(&s("users.delete")));
        assert!(p.allows(&s("users.update")));
    }

    #[test]
    fn deny_wins_over_grant() {
        let p = direct(Role::Viewer, &["billing"], &["billing"]);
        assert!(!p.allows(&s("billing")));
    }

    #[test]
    fn deny_wins_over_owner_wildcard() {
        let p = direct(Role::Owner, &[], &["billing"]);
        assert!(!p.allows(&s("billing")));
        assert!(!p.allows(&s("*")), "`*` would include the denied billing");
        assert!(p.allows(&s("users")));
    }

    #[test]
    fn deny_of_a_resource_removes_its_actions() {
        let p = direct(Role::Admin, &[], &["users"]);
        for name in ["users", "users.read", "users.create", "users.update", "users.delete", "users.scope"] {
            assert!(!p.allows(&s(name)), "{name}");
        }
        assert!(p.allows(&s("contacts")));
    }

    #[test]
    fn deny_of_an_action_removes_its_resource() {
        let p = direct(Role::Admin, &[], &["users.delete"]);
        assert!(!p.allows(&s("users")));
    }

    #[test]
    fn deny_of_the_wildcard_removes_everything() {
        let p = direct(Role::Owner, &["billing"], &["*"]);
        assert!(p.effective().is_empty());
        assert!(!p.allows(&s("users.read")));
    }

    #[test]
    fn a_resource_is_not_assembled_from_its_actions() {
        // Viewers hold every listed contacts action (`contacts.read`) but not `contacts` itself.
        let viewer = direct(Role::Viewer, &[], &[]);
        assert!(!viewer.allows(&s("contacts")));
        assert!(!viewer.allows(&s("workspaces")));
        let all_users_actions =
            direct(Role::Viewer, &["users.create", "users.update", "users.delete", "users.scope"], &[]);
        assert!(all_users_actions.allows(&s("users.delete")));
        assert!(!all_users_actions.allows(&s("users")));
    }

    #[test]
    fn effective_lists_viewer_scopes_plus_grants_minus_denies() {
        let p = direct(Role::Viewer, &["billing", "contacts"], &["users.read"]);
        assert_eq!(
            names(p.effective()),
            ["accounts.read", "analytics.read", "billing", "contacts", "contacts.read", "workspaces.read"]
        );
    }

    #[test]
    fn effective_of_admin_with_one_deny_drops_the_resource_and_the_action() {
        let p = direct(Role::Admin, &[], &["users.delete"]);
        let eff = names(p.effective());
        assert!(!eff.contains(&"users".to_owned()));
        assert!(!eff.contains(&"users.delete".to_owned()));
        assert!(eff.contains(&"users.update".to_owned()));
        assert_eq!(eff.len(), 15, "admin's 17 known scopes less users and users.delete");
    }

    #[test]
    fn platform_admin_allows_everything() {
        let p = Permissions::platform_admin();
        assert!(p.allows(&s("*")));
        assert!(p.allows(&s("billing")));
        assert_eq!(p.effective(), Scope::all_known());
        assert_eq!(p.explain(&s("users.delete")), decision("users.delete", true, "platform admin"));
    }

    #[test]
    fn explain_names_the_role() {
        let p = direct(Role::Admin, &[], &[]);
        assert_eq!(p.explain(&s("users.update")), decision("users.update", true, "granted by role admin"));
    }

    #[test]
    fn explain_names_the_grant() {
        let p = direct(Role::Admin, &["billing"], &[]);
        assert_eq!(p.explain(&s("billing")), decision("billing", true, "granted by grant billing"));
    }

    #[test]
    fn explain_names_the_deny() {
        let p = direct(Role::Admin, &["users"], &["users.delete"]);
        assert_eq!(p.explain(&s("users.delete")), decision("users.delete", false, "denied by deny users.delete"));
        assert_eq!(p.explain(&s("users")), decision("users", false, "denied by deny users.delete"));
    }

    #[test]
    fn explain_names_the_account_an_inherited_role_comes_from() {
        let account = Uuid::parse_str("0192f0c1-2b3c-7d4e-8f50-123456789abc").expect("uuid");
        let p = Permissions {
            role: Role::Admin,
            grant: vec![],
            deny: vec![],
            source: Source::Inherited { from_account: account, from_name: None },
        };
        assert_eq!(
            p.explain(&s("users.read")).because,
            "granted by role admin inherited from account 0192f0c1-2b3c-7d4e-8f50-123456789abc"
        );
        assert_eq!(
            p.explain(&s("billing")).because,
            "not granted by role admin inherited from account 0192f0c1-2b3c-7d4e-8f50-123456789abc or any grant"
        );
        let named =
            Permissions { source: Source::Inherited { from_account: account, from_name: Some("Agency".into()) }, ..p };
        assert_eq!(
            named.explain(&s("users.read")).because,
            "granted by role admin inherited from account \"Agency\" (0192f0c1-2b3c-7d4e-8f50-123456789abc)"
        );
    }

    #[test]
    fn explain_says_nothing_granted_it() {
        let p = direct(Role::Viewer, &["billing"], &[]);
        assert_eq!(p.explain(&s("calendars")), decision("calendars", false, "not granted by role viewer or any grant"));
    }

    #[test]
    fn explain_refuses_a_resource_the_role_holds_only_in_part() {
        let p = direct(Role::Admin, &[], &[]);
        assert_eq!(p.explain(&s("accounts")), decision("accounts", false, "not granted by role admin or any grant"));
    }

    #[test]
    fn explain_agrees_with_allows_for_every_scope() {
        let cases = [
            direct(Role::Viewer, &[], &[]),
            direct(Role::Member, &["users.update"], &["contacts.read"]),
            direct(Role::Admin, &["billing"], &["users.delete"]),
            direct(Role::Owner, &[], &["accounts"]),
        ];
        let mut all = Scope::all_known();
        all.push(s("*"));
        for p in &cases {
            for scope in &all {
                assert_eq!(p.explain(scope).allowed, p.allows(scope), "{p:?} {scope}");
            }
        }
    }

    #[test]
    fn decision_serializes_with_its_three_fields() {
        let json = serde_json::to_value(decision("billing", false, "denied by deny billing")).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"scope": "billing", "allowed": false, "because": "denied by deny billing"})
        );
    }
}
