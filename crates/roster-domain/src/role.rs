//! Built-in roles (API.md §4). Each includes the one below it, so the order of the variants is
//! their rank and `Ord` compares roles by power.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::scope::Scope;

/// A role name that is not one of the built-in roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

/// Declared from weakest to strongest: the derived `Ord` is the rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    Viewer,
    Member,
    Admin,
    Owner,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Member, Role::Admin, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// Exact, lowercase role names only, as the API spells them.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == s)
    }

    /// The scopes this role holds: its own plus those of every role below it, sorted.
    pub fn scopes(self) -> Vec<Scope> {
        let mut scopes: Vec<Scope> = self.own_and_lower().cloned().collect();
        scopes.sort();
        scopes.dedup();
        scopes
    }

    /// Own and inherited scope names, unsorted; allocation-free for permission checks.
    pub(crate) fn scope_names(self) -> impl Iterator<Item = &'static str> {
        self.own_and_lower().map(Scope::as_str)
    }

    fn own_and_lower(self) -> impl Iterator<Item = &'static Scope> {
        Role::ALL.into_iter().filter(move |lower| *lower <= self).flat_map(|role| role.own_scopes().iter())
    }

    /// What each role adds to the one below it (API.md §4).
    fn own_scopes(self) -> &'static [Scope] {
        static VIEWER: [Scope; 5] = [
            Scope::USERS_READ,
            Scope::ACCOUNTS_READ,
            Scope::WORKSPACES_READ,
            Scope::CONTACTS_READ,
            Scope::ANALYTICS_READ,
        ];
        static MEMBER: [Scope; 2] = [Scope::CONTACTS, Scope::CALENDARS];
        static ADMIN: [Scope; 6] = [
            Scope::USERS,
            Scope::ACCOUNTS_UPDATE,
            Scope::ACCOUNTS_CREATE,
            Scope::WORKSPACES,
            Scope::ANALYTICS,
            Scope::ANNOUNCEMENTS,
        ];
        static OWNER: [Scope; 1] = [Scope::EVERYTHING];
        match self {
            Role::Viewer => &VIEWER,
            Role::Member => &MEMBER,
            Role::Admin => &ADMIN,
            Role::Owner => &OWNER,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::parse(s).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(role: Role) -> Vec<String> {
        role.scopes().iter().map(|s| s.as_str().to_owned()).collect()
    }

    #[test]
    fn every_role_table_entry_is_a_known_scope() {
        for role in Role::ALL {
            for scope in role.own_scopes() {
                assert!(Scope::parse(scope.as_str()).is_ok(), "{role}: {scope}");
            }
        }
    }

    #[test]
    fn ranks_order_viewer_member_admin_owner() {
        assert!(Role::Viewer < Role::Member);
        assert!(Role::Member < Role::Admin);
        assert!(Role::Admin < Role::Owner);
        let mut shuffled = vec![Role::Owner, Role::Viewer, Role::Admin, Role::Member];
        shuffled.sort();
        assert_eq!(shuffled, Role::ALL);
    }

    #[test]
    fn viewer_scopes_are_the_read_scopes() {
        assert_eq!(
            names(Role::Viewer),
            ["accounts.read", "analytics.read", "contacts.read", "users.read", "workspaces.read"]
        );
    }

    #[test]
    fn member_adds_contacts_and_calendars_to_viewer() {
        assert_eq!(
            names(Role::Member),
            [
                "accounts.read",
                "analytics.read",
                "calendars",
                "contacts",
                "contacts.read",
                "users.read",
                "workspaces.read"
            ]
        );
    }

    #[test]
    fn admin_adds_its_own_scopes_to_member() {
        assert_eq!(
            names(Role::Admin),
            [
                "accounts.create",
                "accounts.read",
                "accounts.update",
                "analytics",
                "analytics.read",
                "announcements",
                "calendars",
                "contacts",
                "contacts.read",
                "users",
                "users.read",
                "workspaces",
                "workspaces.read"
            ]
        );
    }

    #[test]
    fn each_role_includes_every_scope_of_the_roles_below() {
        for pair in Role::ALL.windows(2) {
            let (lower, higher) = (pair[0].scopes(), pair[1].scopes());
            for scope in &lower {
                assert!(higher.contains(scope), "{} lacks {scope} of {}", pair[1], pair[0]);
            }
            assert!(higher.len() > lower.len(), "{} adds nothing", pair[1]);
        }
    }

    #[test]
    fn owner_holds_the_wildcard() {
        let owner = Role::Owner.scopes();
        assert_eq!(owner.first().map(Scope::as_str), Some("*"));
        assert!(!Role::Admin.scopes().iter().any(|s| s.as_str() == "*"));
    }

    #[test]
    fn parse_accepts_exact_names_only() {
        assert_eq!(Role::parse("viewer"), Some(Role::Viewer));
        assert_eq!(Role::parse("member"), Some(Role::Member));
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("owner"), Some(Role::Owner));
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse(""), None);
        assert_eq!("owner".parse::<Role>(), Ok(Role::Owner));
        assert_eq!("god".parse::<Role>(), Err(UnknownRole("god".to_owned())));
    }

    #[test]
    fn as_str_round_trips_through_parse() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(role.to_string(), role.as_str());
        }
    }

    #[test]
    fn serde_uses_the_lowercase_names() {
        assert_eq!(serde_json::to_string(&Role::Admin).expect("serialize"), r#""admin""#);
        let back: Vec<Role> = serde_json::from_str(r#"["viewer","owner"]"#).expect("deserialize");
        assert_eq!(back, [Role::Viewer, Role::Owner]);
        assert!(serde_json::from_str::<Role>(r#""Admin""#).is_err());
    }
}
