//! Scopes: what a membership may do (API.md §4).
//!
//! A scope is `*`, a `resource` or a `resource.action`. `*` implies everything and a resource
//! implies each of its actions; an action implies only itself. Only scopes listed in
//! [`RESOURCES`] exist, so a typo in a grant is a 422 instead of a silent no-op, and code names
//! them by constant ([`Scope::USERS_READ`] …), so a typo in code does not compile.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Every known resource with its actions. Adding a scope is a one-line change here.
const RESOURCES: &[(&str, &[&str])] = &[
    ("users", &["read", "create", "update", "delete", "scope"]),
    ("accounts", &["read", "update", "create", "delete"]),
    ("workspaces", &["read"]),
    ("contacts", &["read"]),
    ("analytics", &["read"]),
    ("calendars", &[]),
    ("billing", &[]),
    ("announcements", &[]),
];

const WILDCARD: &str = "*";

/// Every resource and `resource.action`, sorted; built once from the static table.
static KNOWN: LazyLock<Vec<Scope>> = LazyLock::new(|| {
    let mut all = Vec::new();
    for (resource, actions) in RESOURCES {
        all.push(Scope(Cow::Borrowed(resource)));
        all.extend(actions.iter().map(|action| Scope(Cow::Owned(format!("{resource}.{action}")))));
    }
    all.sort();
    all
});

/// A scope name that is not `*`, a known resource or a known `resource.action`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?}")]
pub struct UnknownScope(pub String);

/// A known scope; the only ways to get one are [`Scope::parse`] and the constants below (a test
/// parses each), so holding one proves it exists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(Cow<'static, str>);

impl Scope {
    pub const EVERYTHING: Scope = Scope::fixed("*");
    pub const USERS: Scope = Scope::fixed("users");
    pub const USERS_READ: Scope = Scope::fixed("users.read");
    pub const USERS_CREATE: Scope = Scope::fixed("users.create");
    pub const USERS_UPDATE: Scope = Scope::fixed("users.update");
    pub const USERS_DELETE: Scope = Scope::fixed("users.delete");
    pub const USERS_SCOPE: Scope = Scope::fixed("users.scope");
    pub const ACCOUNTS: Scope = Scope::fixed("accounts");
    pub const ACCOUNTS_READ: Scope = Scope::fixed("accounts.read");
    pub const ACCOUNTS_UPDATE: Scope = Scope::fixed("accounts.update");
    pub const ACCOUNTS_CREATE: Scope = Scope::fixed("accounts.create");
    pub const ACCOUNTS_DELETE: Scope = Scope::fixed("accounts.delete");
    pub const WORKSPACES: Scope = Scope::fixed("workspaces");
    pub const WORKSPACES_READ: Scope = Scope::fixed("workspaces.read");
    pub const CONTACTS: Scope = Scope::fixed("contacts");
    pub const CONTACTS_READ: Scope = Scope::fixed("contacts.read");
    pub const ANALYTICS: Scope = Scope::fixed("analytics");
    pub const ANALYTICS_READ: Scope = Scope::fixed("analytics.read");
    pub const CALENDARS: Scope = Scope::fixed("calendars");
    pub const BILLING: Scope = Scope::fixed("billing");
    pub const ANNOUNCEMENTS: Scope = Scope::fixed("announcements");

    /// Every constant above, for the test that parses each.
    #[cfg(test)]
    const CONSTANTS: [Scope; 21] = [
        Scope::EVERYTHING,
        Scope::USERS,
        Scope::USERS_READ,
        Scope::USERS_CREATE,
        Scope::USERS_UPDATE,
        Scope::USERS_DELETE,
        Scope::USERS_SCOPE,
        Scope::ACCOUNTS,
        Scope::ACCOUNTS_READ,
        Scope::ACCOUNTS_UPDATE,
        Scope::ACCOUNTS_CREATE,
        Scope::ACCOUNTS_DELETE,
        Scope::WORKSPACES,
        Scope::WORKSPACES_READ,
        Scope::CONTACTS,
        Scope::CONTACTS_READ,
        Scope::ANALYTICS,
        Scope::ANALYTICS_READ,
        Scope::CALENDARS,
        Scope::BILLING,
        Scope::ANNOUNCEMENTS,
    ];

    const fn fixed(name: &'static str) -> Scope {
        Scope(Cow::Borrowed(name))
    }

    /// Accepts only known scopes, spelled exactly (scopes are machine words: no case folding).
    pub fn parse(s: &str) -> Result<Scope, UnknownScope> {
        if is_known(s) { Ok(Scope(Cow::Owned(s.to_owned()))) } else { Err(UnknownScope(s.to_owned())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `*` implies everything; `users` implies `users` and every `users.*`; `users.read`
    /// implies only itself.
    pub fn implies(&self, other: &Scope) -> bool {
        implies_str(&self.0, &other.0)
    }

    /// Every resource and `resource.action` (not `*`), sorted.
    pub fn all_known() -> Vec<Scope> {
        KNOWN.clone()
    }

    /// The known scopes this one covers besides itself: the actions of a resource, or every
    /// known scope for `*`. Empty for an action or a resource without actions.
    pub(crate) fn parts(&self) -> impl Iterator<Item = &'static Scope> + '_ {
        KNOWN.iter().filter(move |known| *known != self && self.implies(known))
    }
}

/// The implication rule on plain strings, so role tables of `&'static str` need no allocation.
pub(crate) fn implies_str(holder: &str, wanted: &str) -> bool {
    holder == WILDCARD
        || holder == wanted
        || (!holder.contains('.') && wanted.strip_prefix(holder).is_some_and(|rest| rest.starts_with('.')))
}

fn is_known(s: &str) -> bool {
    if s == WILDCARD {
        return true;
    }
    match s.split_once('.') {
        None => RESOURCES.iter().any(|(resource, _)| *resource == s),
        Some((res, act)) => RESOURCES.iter().any(|(resource, actions)| *resource == res && actions.contains(&act)),
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::parse(s)
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Scope::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str) -> Scope {
        Scope::parse(name).expect("known scope")
    }

    #[test]
    fn every_scope_named_in_the_contract_parses() {
        for name in [
            "*",
            "users",
            "users.read",
            "users.create",
            "users.update",
            "users.delete",
            "users.scope",
            "accounts",
            "accounts.read",
            "accounts.update",
            "accounts.create",
            "accounts.delete",
            "workspaces",
            "workspaces.read",
            "contacts",
            "contacts.read",
            "analytics",
            "analytics.read",
            "calendars",
            "billing",
            "announcements",
        ] {
            assert_eq!(Scope::parse(name).map(|sc| sc.as_str().to_owned()), Ok(name.to_owned()));
        }
    }

    #[test]
    fn every_constant_is_a_known_scope() {
        for constant in Scope::CONSTANTS {
            assert_eq!(Scope::parse(constant.as_str()), Ok(constant.clone()), "{constant}");
        }
        // And every known scope has its constant.
        for known in Scope::all_known() {
            assert!(Scope::CONSTANTS.contains(&known), "{known} has no constant");
        }
    }

    #[test]
    fn unknown_scopes_are_rejected() {
        for name in [
            "",
            "user",
            "users.",
            ".read",
            "users.read.extra",
            "Users.read",
            "users.READ",
            " users",
            "calendars.read",
            "billing.update",
            "users.*",
            "**",
        ] {
            assert_eq!(Scope::parse(name), Err(UnknownScope(name.to_owned())), "{name:?}");
        }
    }

    #[test]
    fn wildcard_implies_everything() {
        for known in Scope::all_known() {
            assert!(s("*").implies(&known), "{known}");
        }
        assert!(s("*").implies(&s("*")));
    }

    #[test]
    fn resource_implies_itself_and_its_actions_only() {
        let users = s("users");
        assert!(users.implies(&s("users")));
        assert!(users.implies(&s("users.read")));
        assert!(users.implies(&s("users.scope")));
        assert!(!users.implies(&s("accounts.read")));
        assert!(!users.implies(&s("*")));
        assert!(!users.implies(&s("accounts")));
    }

    #[test]
    fn action_implies_only_itself() {
        let read = s("users.read");
        assert!(read.implies(&s("users.read")));
        assert!(!read.implies(&s("users")));
        assert!(!read.implies(&s("users.update")));
        assert!(!read.implies(&s("*")));
    }

    #[test]
    fn a_resource_does_not_imply_another_resource_sharing_its_prefix() {
        // "user" is not a scope, but the rule itself must not treat prefixes loosely.
        assert!(!implies_str("user", "users.read"));
        assert!(!implies_str("accounts", "accountsx.read"));
        assert!(implies_str("accounts", "accounts.read"));
    }

    #[test]
    fn all_known_lists_every_resource_and_action_sorted_without_wildcard() {
        let names: Vec<String> = Scope::all_known().iter().map(|sc| sc.as_str().to_owned()).collect();
        assert_eq!(
            names,
            [
                "accounts",
                "accounts.create",
                "accounts.delete",
                "accounts.read",
                "accounts.update",
                "analytics",
                "analytics.read",
                "announcements",
                "billing",
                "calendars",
                "contacts",
                "contacts.read",
                "users",
                "users.create",
                "users.delete",
                "users.read",
                "users.scope",
                "users.update",
                "workspaces",
                "workspaces.read",
            ]
        );
    }

    #[test]
    fn parts_of_a_resource_are_its_actions() {
        let parts: Vec<&str> = s("accounts").parts().map(Scope::as_str).collect();
        assert_eq!(parts, ["accounts.create", "accounts.delete", "accounts.read", "accounts.update"]);
        assert_eq!(s("billing").parts().count(), 0);
        assert_eq!(s("users.read").parts().count(), 0);
        assert_eq!(s("*").parts().count(), Scope::all_known().len());
    }

    #[test]
    fn serde_round_trips_as_a_plain_string() {
        let scopes = vec![s("users.read"), s("*"), s("billing")];
        let json = serde_json::to_string(&scopes).expect("serialize");
        assert_eq!(json, r#"["users.read","*","billing"]"#);
        let back: Vec<Scope> = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, scopes);
    }

    #[test]
    fn deserializing_an_unknown_scope_fails() {
        let err = serde_json::from_str::<Scope>(r#""users.fly""#).expect_err("unknown scope");
        assert!(err.to_string().contains("unknown scope \"users.fly\""), "{err}");
        assert!(serde_json::from_str::<Scope>("42").is_err());
    }

    #[test]
    fn from_str_and_display_agree_with_parse() {
        let sc: Scope = "contacts".parse().expect("known");
        assert_eq!(sc.to_string(), "contacts");
        assert_eq!("nope".parse::<Scope>(), Err(UnknownScope("nope".to_owned())));
    }
}
