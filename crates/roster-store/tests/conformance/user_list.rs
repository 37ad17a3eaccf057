//! User lists: filters, the four sort keys both ways, keyset continuation, counts, and the
//! substring search on both of its code paths.

use roster_domain::role::Role;
use roster_domain::user::{User, UserStatus};
use roster_domain::{AccountId, UserId};
use roster_store::user_list::{Budget, ListPage, Population, SortKey, UserFilter, UserPage, count, list};
use roster_store::{Db, Ts, users};

use crate::support::{
    T0, TestEngine, at, engines, insert_account, insert_membership, insert_user, membership, nth_id, raw_execute,
    start, user,
};

/// The cast, members of account `a` unless said otherwise. Ids grow with `n` (ties in a sort
/// key are broken by id).
struct Cast {
    a: AccountId,
    ada: User,
    bob: User,
    cy: User,
    dee: User,
    eve: User,
    out: User,
}

#[allow(clippy::too_many_arguments)]
fn person(
    n: u128,
    email: &str,
    name: &str,
    created: i64,
    login: Option<i64>,
    verified: bool,
    status: UserStatus,
) -> User {
    User {
        id: UserId::from_uuid(nth_id(n)),
        email_verified: verified,
        status,
        created_at: at(T0 + created),
        updated_at: at(T0 + created),
        last_login_at: login.map(|l| at(T0 + l)),
        ..user(email, name)
    }
}

async fn cast(db: &Db) -> Cast {
    let a = insert_account(db, "A", None).await;
    let b = insert_account(db, "B", None).await;
    let ada = person(1, "ada@example.com", "Ada Lovelace", 1, Some(50), true, UserStatus::Active);
    // Upper case in the stored address: sorting and search go by the normalised one.
    let bob = person(2, "ZBob@Example.ORG", "bob Marley", 2, None, false, UserStatus::Active);
    // LIKE's wildcards in the data, to prove the search escapes them.
    let cy = person(3, "cy_t@example.net", "Cy 100% Twombly", 3, Some(10), false, UserStatus::Suspended);
    // Same name and last login as Ada: the id breaks the tie.
    let dee = person(4, "dee@example.com", "Ada Lovelace", 4, Some(50), true, UserStatus::Invited);
    let eve = person(5, "eve@example.com", "Eve Gone", 5, None, true, UserStatus::Deleted);
    let out = person(6, "zed@example.com", "Zed Outsider", 6, None, false, UserStatus::Active);
    let roles =
        [(&ada, Role::Owner), (&bob, Role::Member), (&cy, Role::Admin), (&dee, Role::Member), (&eve, Role::Viewer)];
    for (u, role) in roles {
        insert_user(db, u).await;
        insert_membership(db, &membership(u.id, a.id, role)).await;
    }
    insert_user(db, &out).await;
    insert_membership(db, &membership(out.id, b.id, Role::Member)).await;
    Cast { a: a.id, ada, bob, cy, dee, eve, out }
}

fn filter(population: Population) -> UserFilter {
    UserFilter::of(population)
}

fn page(sort: SortKey, descending: bool, limit: u32) -> UserPage {
    UserPage { sort, descending, after: None, limit, budget: Budget::DEFAULT }
}

/// Names of a whole list (one big page), checking that `count` agrees.
async fn names(db: &Db, f: &UserFilter, sort: SortKey, descending: bool) -> Vec<String> {
    let mut conn = db.conn().await.unwrap();
    let ListPage { users, next } = list(&mut conn, f, &page(sort, descending, 100)).await.unwrap();
    assert!(next.is_none());
    let total = count(&mut conn, f, Budget::DEFAULT).await.unwrap();
    assert!(total.exact);
    assert_eq!(total.n, users.len() as i64, "count agrees with the list for {f:?}");
    users.iter().map(label).collect()
}

/// Emails are unique in the cast, names are not.
fn label(u: &User) -> String {
    u.email.clone()
}

fn labels(users: &[&User]) -> Vec<String> {
    users.iter().map(|u| label(u)).collect()
}

async fn matching(db: &Db, f: &UserFilter, text: &str) -> Vec<String> {
    let f = UserFilter { text: Some(text.to_owned()), ..f.clone() };
    names(db, &f, SortKey::CreatedAt, false).await
}

#[tokio::test]
async fn filters_select_by_population_status_role_verification_and_creation_time() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let c = cast(db).await;
        let in_a = filter(Population::Account(c.a));
        let sort = SortKey::CreatedAt;

        // Deleted users are left out unless asked for.
        assert_eq!(names(db, &in_a, sort, false).await, labels(&[&c.ada, &c.bob, &c.cy, &c.dee]));
        let everyone = filter(Population::Everyone);
        assert_eq!(names(db, &everyone, sort, false).await, labels(&[&c.ada, &c.bob, &c.cy, &c.dee, &c.out]));

        let status = |s| UserFilter { status: Some(s), ..in_a.clone() };
        assert_eq!(names(db, &status(UserStatus::Active), sort, false).await, labels(&[&c.ada, &c.bob]));
        assert_eq!(names(db, &status(UserStatus::Suspended), sort, false).await, labels(&[&c.cy]));
        assert_eq!(names(db, &status(UserStatus::Invited), sort, false).await, labels(&[&c.dee]));
        assert_eq!(names(db, &status(UserStatus::Deleted), sort, false).await, labels(&[&c.eve]));

        let role = |r: &str, f: &UserFilter| UserFilter { role: Some(r.to_owned()), ..f.clone() };
        assert_eq!(names(db, &role("owner", &in_a), sort, false).await, labels(&[&c.ada]));
        assert_eq!(names(db, &role("member", &in_a), sort, false).await, labels(&[&c.bob, &c.dee]));
        assert_eq!(names(db, &role("viewer", &in_a), sort, false).await, Vec::<String>::new(), "Eve is deleted");
        assert_eq!(names(db, &role("member", &everyone), sort, false).await, labels(&[&c.bob, &c.dee, &c.out]));

        let verified = |v| UserFilter { email_verified: Some(v), ..in_a.clone() };
        assert_eq!(names(db, &verified(true), sort, false).await, labels(&[&c.ada, &c.dee]));
        assert_eq!(names(db, &verified(false), sort, false).await, labels(&[&c.bob, &c.cy]));

        // Time bounds are strict.
        let after = UserFilter { created_after: Some(Ts::from_micros(T0 + 2)), ..in_a.clone() };
        assert_eq!(names(db, &after, sort, false).await, labels(&[&c.cy, &c.dee]));
        let before = UserFilter { created_before: Some(Ts::from_micros(T0 + 3)), ..in_a.clone() };
        assert_eq!(names(db, &before, sort, false).await, labels(&[&c.ada, &c.bob]));
        let between = UserFilter { created_before: Some(Ts::from_micros(T0 + 4)), ..after.clone() };
        assert_eq!(names(db, &between, sort, false).await, labels(&[&c.cy]));

        let combined = UserFilter { email_verified: Some(true), ..role("member", &in_a) };
        assert_eq!(names(db, &combined, sort, false).await, labels(&[&c.dee]));
        let nobody = filter(Population::Account(AccountId::new()));
        assert_eq!(names(db, &nobody, sort, false).await, Vec::<String>::new());
    }
}

#[tokio::test]
async fn every_sort_key_orders_both_ways_with_the_id_breaking_ties() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let c = cast(db).await;
        let in_a = filter(Population::Account(c.a));
        let cases: [(SortKey, Vec<&User>); 4] = [
            // Case-insensitive names; Ada and Dee share one, Ada's id is smaller.
            (SortKey::Name, vec![&c.ada, &c.dee, &c.bob, &c.cy]),
            // By the normalised address: "zbob@example.org" comes last although "ZBob" < "ada".
            (SortKey::Email, vec![&c.ada, &c.cy, &c.dee, &c.bob]),
            (SortKey::CreatedAt, vec![&c.ada, &c.bob, &c.cy, &c.dee]),
            // Never signed in sorts first (as the epoch); Ada and Dee tie at T0+50.
            (SortKey::LastLoginAt, vec![&c.bob, &c.cy, &c.ada, &c.dee]),
        ];
        for (key, ascending) in cases {
            assert_eq!(names(db, &in_a, key, false).await, labels(&ascending), "{key:?} ascending");
            let descending: Vec<&User> = ascending.iter().rev().copied().collect();
            assert_eq!(names(db, &in_a, key, true).await, labels(&descending), "{key:?} descending");
        }
    }
}

/// Walk a whole list `limit` rows at a time, continuing from the last row's position.
async fn walk(db: &Db, f: &UserFilter, key: SortKey, descending: bool, limit: u32) -> Vec<String> {
    let mut conn = db.conn().await.unwrap();
    let mut seen = Vec::new();
    let mut p = page(key, descending, limit);
    for _ in 0..50 {
        let ListPage { users, next } = list(&mut conn, f, &p).await.unwrap();
        assert!(users.len() <= limit as usize);
        seen.extend(users.iter().map(label));
        if next.is_none() {
            return seen;
        }
        p.after = next;
    }
    panic!("the walk does not end: {seen:?}");
}

#[tokio::test]
async fn keyset_continuation_visits_every_row_once_for_every_key_and_direction() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let c = cast(db).await;
        // More rows with ties in every key, so page boundaries fall inside runs of equal keys.
        for n in 0..7u128 {
            let mut u = person(
                10 + n,
                &format!("p{n}@example.com"),
                if n % 2 == 0 { "Pat" } else { "pat" },
                7 + (n as i64 % 3),
                None,
                false,
                UserStatus::Active,
            );
            u.last_login_at = (n % 3 != 0).then(|| at(T0 + 50));
            insert_user(db, &u).await;
            insert_membership(db, &membership(u.id, c.a, Role::Viewer)).await;
        }
        let in_a = filter(Population::Account(c.a));
        for key in [SortKey::Name, SortKey::Email, SortKey::CreatedAt, SortKey::LastLoginAt] {
            for descending in [false, true] {
                let whole = names(db, &in_a, key, descending).await;
                assert_eq!(whole.len(), 11);
                for limit in [1, 2, 3, 10] {
                    assert_eq!(
                        walk(db, &in_a, key, descending, limit).await,
                        whole,
                        "{key:?} desc={descending} limit={limit}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn keyset_continuation_is_stable_under_inserts() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let c = cast(db).await;
        let in_a = filter(Population::Account(c.a));
        let mut conn = db.conn().await.unwrap();
        let first = page(SortKey::Name, false, 2);
        let ListPage { users, next } = list(&mut conn, &in_a, &first).await.unwrap();
        assert_eq!(labels(&users.iter().collect::<Vec<_>>()), labels(&[&c.ada, &c.dee]));
        let after = next.expect("a next page");

        // One user sorts before the cursor, one after it.
        for (n, email, name) in [(20, "aaron@example.com", "Aaron"), (21, "bz@example.com", "Bz")] {
            let u = person(n, email, name, 30, None, false, UserStatus::Active);
            insert_user(db, &u).await;
            insert_membership(db, &membership(u.id, c.a, Role::Member)).await;
        }
        let next = UserPage { after: Some(after), ..page(SortKey::Name, false, 10) };
        let ListPage { users, next } = list(&mut conn, &in_a, &next).await.unwrap();
        assert!(next.is_none());
        let rest: Vec<String> = users.iter().map(label).collect();
        assert_eq!(rest, [label(&c.bob), "bz@example.com".to_owned(), label(&c.cy)]);
    }
}

#[tokio::test]
async fn text_search_matches_substrings_of_name_or_email_case_insensitively_on_both_paths() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let c = cast(db).await;
        let in_a = filter(Population::Account(c.a));
        // Needles of one or two characters take the LIKE path; three or more take the index
        // path (the FTS5 trigram index on SQLite, pg_trgm on PostgreSQL).
        let cases: [(&str, Vec<&User>); 17] = [
            ("ad", vec![&c.ada, &c.dee]),
            ("ada", vec![&c.ada, &c.dee]),
            ("LOVELACE", vec![&c.ada, &c.dee]),
            ("ove", vec![&c.ada, &c.dee]),
            ("Zb", vec![&c.bob]),
            ("zbob@EXAMPLE", vec![&c.bob]),
            ("example.org", vec![&c.bob]),
            ("MARLEY", vec![&c.bob]),
            ("e", vec![&c.ada, &c.bob, &c.cy, &c.dee]),
            // LIKE's wildcards are matched literally.
            ("%", vec![&c.cy]),
            ("_", vec![&c.cy]),
            ("0%", vec![&c.cy]),
            ("y_t", vec![&c.cy]),
            ("100% tw", vec![&c.cy]),
            // Query syntax of the index is not interpreted.
            ("ada OR bob", vec![]),
            ("\"ada\"", vec![]),
            ("nobody", vec![]),
        ];
        for (needle, expected) in cases {
            assert_eq!(matching(db, &in_a, needle).await, labels(&expected), "needle {needle:?}");
        }
        // The search combines with other filters, and deleted users only show when asked for.
        let suspended = UserFilter { status: Some(UserStatus::Suspended), ..in_a.clone() };
        assert_eq!(matching(db, &suspended, "e").await, labels(&[&c.cy]));
        assert_eq!(matching(db, &in_a, "eve").await, Vec::<String>::new());
        assert_eq!(matching(db, &in_a, "ev").await, Vec::<String>::new());
        let deleted = UserFilter { status: Some(UserStatus::Deleted), ..in_a.clone() };
        assert_eq!(matching(db, &deleted, "eve").await, labels(&[&c.eve]));
        assert_eq!(matching(db, &deleted, "ev").await, labels(&[&c.eve]));
        let everyone = filter(Population::Everyone);
        assert_eq!(matching(db, &everyone, "zed").await, labels(&[&c.out]));
        assert_eq!(matching(db, &in_a, "zed").await, Vec::<String>::new());
    }
}

/// Whether the engine's own search structures still hold `needle` (SQLite: the FTS5 index).
async fn index_holds(engine: &TestEngine, needle: &str) -> Option<i64> {
    if !engine.is_sqlite() {
        return None;
    }
    let mut conn = engine.db.conn().await.unwrap();
    let quoted = format!("\"{needle}\"");
    let n: i64 = roster_store::on_conn!(&mut conn, |c| {
        sqlx::query_scalar("SELECT COUNT(*) FROM users_search WHERE users_search MATCH $1")
            .bind(quoted)
            .fetch_one(c)
            .await
    })
    .unwrap();
    Some(n)
}

#[tokio::test]
async fn the_search_index_follows_updates_and_deletions() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let c = cast(db).await;
        let everyone = filter(Population::Everyone);
        let all = UserFilter { status: Some(UserStatus::Deleted), ..everyone.clone() };

        // A new name replaces the old one in the index.
        let mut ada = c.ada.clone();
        ada.name = "Augusta King".to_owned();
        let mut tx = db.begin().await.unwrap();
        users::update_profile(&mut tx, &ada).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(matching(db, &everyone, "lovelace").await, labels(&[&c.dee]));
        assert_eq!(matching(db, &everyone, "augusta").await, labels(&[&c.ada]));
        assert_eq!(matching(db, &everyone, "king").await, labels(&[&c.ada]));
        assert_eq!(matching(db, &everyone, "ki").await, labels(&[&c.ada]));

        // So does a new address (the store has no email-change function yet; plain SQL).
        raw_execute(
            db,
            "UPDATE users SET email = $2, email_normalized = lower($2) WHERE id = $1",
            c.bob.id.as_uuid(),
            Some("robert@example.io"),
        )
        .await;
        assert_eq!(matching(db, &everyone, "zbob").await, Vec::<String>::new());
        assert_eq!(matching(db, &everyone, "example.io").await, ["robert@example.io".to_owned()]);
        assert_eq!(index_holds(&engine, "zbob").await.unwrap_or(0), 0);

        // A purge erases the name and address from the index too.
        let mut tx = db.begin().await.unwrap();
        users::mark_deleted(&mut tx, c.eve.id, Ts::from_micros(T0 + 99), true).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(matching(db, &all, "eve").await, Vec::<String>::new());
        assert_eq!(matching(db, &all, "gone").await, Vec::<String>::new());
        assert_eq!(index_holds(&engine, "gone").await.unwrap_or(0), 0);

        // A row deleted outright leaves the index (Zed holds the highest search key, which the
        // next user then reuses: the index must not mix the two up).
        raw_execute(db, "DELETE FROM memberships WHERE user_id = $1", c.out.id.as_uuid(), None).await;
        raw_execute(db, "DELETE FROM users WHERE id = $1", c.out.id.as_uuid(), None).await;
        assert_eq!(matching(db, &everyone, "zed").await, Vec::<String>::new());
        assert_eq!(index_holds(&engine, "outsider").await.unwrap_or(0), 0);
        let newcomer = person(30, "newcomer@example.com", "Nora Newcomer", 40, None, false, UserStatus::Active);
        insert_user(db, &newcomer).await;
        assert_eq!(matching(db, &everyone, "zed").await, Vec::<String>::new());
        assert_eq!(matching(db, &everyone, "outsider").await, Vec::<String>::new());
        assert_eq!(matching(db, &everyone, "nora").await, labels(&[&newcomer]));
        assert_eq!(matching(db, &everyone, "no").await, labels(&[&newcomer]));
        if engine.is_sqlite() {
            assert_eq!(index_holds(&engine, "nora").await, Some(1));
        }
    }
}

/// Known bug (reported, not fixed): on SQLite, `lower()` folds ASCII letters only, while the
/// cursor position is lowercased in Rust (`str::to_lowercase`), so a name sort that continues
/// past a name with a non-ASCII capital (`Éz` → key `Éz` in SQL, `éz` in the cursor) skips
/// rows; and short needles (the LIKE path) miss non-ASCII case variants (`é` does not find
/// `Éa`). PostgreSQL passes. Run with `--ignored` once it is fixed.
#[tokio::test]
async fn non_ascii_names_sort_page_and_match_like_ascii_ones() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        for (n, name) in ["Éa", "Éz", "éb", "Ünal", "ünal"].into_iter().enumerate() {
            let u =
                person(n as u128 + 1, &format!("u{n}@example.com"), name, n as i64, None, false, UserStatus::Active);
            insert_user(db, &u).await;
        }
        let everyone = filter(Population::Everyone);
        let whole = names(db, &everyone, SortKey::Name, false).await;
        assert_eq!(walk(db, &everyone, SortKey::Name, false, 1).await, whole, "no row skipped");
        assert_eq!(matching(db, &everyone, "é").await.len(), 3, "é matches Éa, Éz and éb");
        assert_eq!(matching(db, &everyone, "éa").await, ["u0@example.com".to_owned()]);
    }
}
