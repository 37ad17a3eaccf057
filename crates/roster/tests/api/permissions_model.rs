//! A property test: random account trees with random memberships, grants and denies, checked
//! against a plain model of API.md §4 written here from the contract alone — the store's
//! resolution (the recursive query), `GET /v1/users/{id}/permissions` and
//! `GET /v1/accounts/{id}/access` must all agree with it.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::StatusCode;
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::{Account, Membership, User, UserStatus};
use roster_domain::{AccountId, UserId};

use crate::helpers::{TestApp, spawn_app};

/// API.md §4, as written there.
const SCOPES: [&str; 21] = [
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
];
const ROLES: [&str; 4] = ["viewer", "member", "admin", "owner"];

fn role_scopes(role: &str) -> Vec<&'static str> {
    let viewer = vec!["users.read", "accounts.read", "workspaces.read", "contacts.read", "analytics.read"];
    let member = [viewer.clone(), vec!["contacts", "calendars"]].concat();
    let admin = [
        member.clone(),
        vec!["users", "accounts.update", "accounts.create", "workspaces", "analytics", "announcements"],
    ]
    .concat();
    match role {
        "viewer" => viewer,
        "member" => member,
        "admin" => admin,
        _ => vec!["*"],
    }
}

/// `resource` implies every `resource.*`; `*` implies everything.
fn implies(holder: &str, wanted: &str) -> bool {
    holder == "*" || holder == wanted || (!holder.contains('.') && wanted.starts_with(&format!("{holder}.")))
}

/// One membership of the model.
#[derive(Debug, Clone)]
struct Member {
    role: &'static str,
    grant: Vec<&'static str>,
    deny: Vec<&'static str>,
}

impl Member {
    /// Role ∪ grant − deny, deny winning over anything it touches (a denied action takes the
    /// whole resource away; a denied resource takes its actions).
    fn allows(&self, wanted: &str) -> bool {
        let held = role_scopes(self.role).into_iter().chain(self.grant.iter().copied()).any(|h| implies(h, wanted));
        let denied = self.deny.iter().any(|d| implies(d, wanted) || implies(wanted, d));
        held && !denied
    }
}

/// A random membership: user, account, role, grants and denies, as indexes.
type RawMember = (usize, usize, usize, Vec<usize>, Vec<usize>);

/// The random input: raw numbers, shaped into a tree in [`Model::new`].
#[derive(Debug, Clone)]
struct Spec {
    accounts: usize,
    parents: Vec<u8>,
    members: Vec<RawMember>,
    checks: Vec<(usize, usize, usize)>,
    access: Vec<(usize, usize)>,
}

const USERS: usize = 4;

fn spec() -> impl Strategy<Value = Spec> {
    (
        1..=7usize,
        prop::collection::vec(any::<u8>(), 6),
        prop::collection::vec(
            (
                0..USERS,
                0..7usize,
                0..4usize,
                prop::collection::vec(0..SCOPES.len(), 0..3),
                prop::collection::vec(0..SCOPES.len(), 0..3),
            ),
            0..14,
        ),
        prop::collection::vec((0..USERS, 0..7usize, 0..SCOPES.len()), 8),
        prop::collection::vec((0..7usize, 0..SCOPES.len()), 3),
    )
        .prop_map(|(accounts, parents, members, checks, access)| Spec {
            accounts,
            parents,
            members,
            checks,
            access,
        })
}

struct Model {
    /// Parent of each account (index), none for the root.
    parent: Vec<Option<usize>>,
    members: HashMap<(usize, usize), Member>,
}

impl Model {
    fn new(spec: &Spec) -> Self {
        let parent = (0..spec.accounts).map(|i| (i > 0).then(|| usize::from(spec.parents[i - 1]) % i)).collect();
        let mut members = HashMap::new();
        for (user, account, role, grant, deny) in &spec.members {
            let names = |list: &Vec<usize>| {
                let mut names: Vec<&'static str> = list.iter().map(|i| SCOPES[*i]).collect();
                names.dedup();
                names
            };
            members.entry((*user, account % spec.accounts)).or_insert(Member {
                role: ROLES[*role],
                grant: names(grant),
                deny: names(deny),
            });
        }
        Model { parent, members }
    }

    /// The account whose membership governs `user` in `account`: its own, or the nearest
    /// ancestor's.
    fn governing(&self, user: usize, account: usize) -> Option<(usize, &Member)> {
        let mut at = Some(account);
        while let Some(a) = at {
            if let Some(m) = self.members.get(&(user, a)) {
                return Some((a, m));
            }
            at = self.parent[a];
        }
        None
    }
}

fn user(email: String, now: time::OffsetDateTime) -> User {
    User {
        id: UserId::new(),
        name: email.clone(),
        email,
        email_verified: true,
        first_name: None,
        last_name: None,
        image: None,
        title: None,
        bio: None,
        timezone: "UTC".into(),
        locale: "en".into(),
        status: UserStatus::Active,
        metadata: serde_json::json!({}),
        mfa_enabled: false,
        platform_admin: false,
        created_at: now,
        updated_at: now,
        last_login_at: None,
        deleted_at: None,
    }
}

/// Write the model's tree into the database; the ids of its accounts and users.
async fn build(app: &TestApp, spec: &Spec, model: &Model) -> (Vec<AccountId>, Vec<UserId>) {
    let now = app.clock.now();
    let mut tx = app.core.store().begin().await.unwrap();
    let mut accounts: Vec<AccountId> = Vec::new();
    for i in 0..spec.accounts {
        let account = Account {
            id: AccountId::new(),
            name: format!("account {i}"),
            parent_id: model.parent[i].map(|p| accounts[p]),
            status: roster_domain::user::AccountStatus::Active,
            seats_used: 0,
            created_at: now,
            updated_at: now,
        };
        roster_store::accounts::insert(&mut tx, &account).await.unwrap();
        accounts.push(account.id);
    }
    let mut users = Vec::new();
    for i in 0..USERS {
        let u = user(format!("u{i}-{}@model.test", uuid::Uuid::now_v7().simple()), now);
        roster_store::users::insert(&mut tx, &u, None).await.unwrap();
        users.push(u.id);
    }
    for ((u, a), m) in &model.members {
        let scopes = |list: &[&str]| list.iter().map(|s| Scope::parse(s).unwrap()).collect();
        let membership = Membership {
            user_id: users[*u],
            account_id: accounts[*a],
            role: Role::parse(m.role).unwrap(),
            grant: scopes(&m.grant),
            deny: scopes(&m.deny),
            created_at: now,
        };
        roster_store::memberships::insert(&mut tx, &membership).await.unwrap();
    }
    tx.commit().await.unwrap();
    (accounts, users)
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), TestCaseError> {
    if ok { Ok(()) } else { Err(TestCaseError::fail(message())) }
}

async fn agree(app: &TestApp, root: &str, spec: Spec) -> Result<(), TestCaseError> {
    let model = Model::new(&spec);
    let (accounts, users) = build(app, &spec, &model).await;

    // The store's resolution, for every user in every account.
    let mut conn = app.core.store().conn().await.unwrap();
    for (u, user_id) in users.iter().enumerate() {
        for (a, account_id) in accounts.iter().enumerate() {
            let stored = roster_store::memberships::governing(&mut conn, *user_id, *account_id).await.unwrap();
            let expected = model.governing(u, a);
            check(stored.as_ref().map(|m| m.account_id) == expected.map(|(g, _)| accounts[g]), || {
                format!("governing of user {u} in account {a}: store {stored:?}, model {expected:?}")
            })?;
        }
    }
    drop(conn);

    // `/permissions?check=`.
    for (u, a, s) in &spec.checks {
        let a = a % spec.accounts;
        let scope = SCOPES[*s];
        let path = format!("/v1/users/{}/permissions?account_id={}&check={scope}", users[*u], accounts[a]);
        let reply = app.get(&path, root).await;
        check(reply.status == StatusCode::OK, || format!("{path}: {:?}", reply.body))?;
        let expected = model.governing(*u, a);
        let allowed = expected.is_some_and(|(_, m)| m.allows(scope));
        check(reply.body["check"]["allowed"] == allowed, || {
            format!("{path}: {:?}, model allows: {allowed}", reply.body)
        })?;
        check(reply.body["role"] == serde_json::json!(expected.map(|(_, m)| m.role)), || format!("{path}: role"))?;
        let because = reply.body["check"]["because"].as_str().unwrap_or_default();
        if let Some((g, _)) = expected.filter(|(g, _)| *g != a) {
            check(because.contains(&accounts[g].to_string()), || format!("{path}: {because:?} names no ancestor"))?;
        }
    }

    // `/access?scope=`: exactly the users the model lets hold it.
    for (a, s) in &spec.access {
        let a = a % spec.accounts;
        let scope = SCOPES[*s];
        let expected: BTreeSet<String> = (0..USERS)
            .filter(|u| model.governing(*u, a).is_some_and(|(_, m)| m.allows(scope)))
            .map(|u| users[u].to_string())
            .collect();
        let mut listed = BTreeSet::new();
        let mut path = format!("/v1/accounts/{}/access?scope={scope}&limit=2", accounts[a]);
        loop {
            let reply = app.get(&path, root).await;
            check(reply.status == StatusCode::OK, || format!("{path}: {:?}", reply.body))?;
            for holder in reply.body["data"].as_array().unwrap() {
                listed.insert(holder["user_id"].as_str().unwrap().to_owned());
            }
            match reply.body["next_cursor"].as_str() {
                Some(cursor) => {
                    path = format!("/v1/accounts/{}/access?scope={scope}&limit=2&cursor={cursor}", accounts[a]);
                }
                None => break,
            }
        }
        check(listed == expected, || {
            format!("access to {scope} in account {a}: listed {listed:?}, model {expected:?}")
        })?;
    }
    Ok(())
}

#[test]
fn random_trees_agree_with_the_model_of_roles_and_scopes() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(spawn_app());
    let root = runtime.block_on(async {
        let root = app.signup("root@model.test", "Root").await;
        app.make_platform_admin(root["id"].as_str().unwrap()).await;
        app.login("root@model.test").await
    });
    let cases = if std::env::var("ROSTER_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) { 24 } else { 48 };
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = runner.run(&spec(), |spec| runtime.block_on(agree(&app, &root, spec)));
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
