//! User lists at scale, shrunk: the kept counts and copied sort keys follow every change, a
//! filtered walk that runs out of budget ends its page early and resumes exactly, a rare term is
//! served from the search index, and a total beyond its budget says it is an upper bound.

use roster_domain::role::Role;
use roster_domain::user::{User, UserStatus};
use roster_domain::{AccountId, UserId};
use roster_store::user_list::{Budget, ListPage, Population, SortKey, Total, UserFilter, UserPage, count, list};
use roster_store::{Db, Ts, memberships, users};

use crate::support::{T0, at, engines, insert_account, membership, nth_id, start, user};

/// A tiny budget: every plan is reached with a few dozen rows.
const TINY: Budget = Budget { walk: 5, count: 10, candidates: 4, fallback: 4, ordered: 0 };

/// `n` members of a new account: "Member NN", every third verified, ids and creation times
/// growing with the number; members 7, 17 and 27 are also called "Quixote".
async fn crowd(db: &Db, n: u128) -> (AccountId, Vec<User>) {
    let account = insert_account(db, "Crowd", None).await;
    let mut tx = db.begin().await.unwrap();
    let mut people = Vec::new();
    for i in 0..n {
        let name = if i % 10 == 7 { format!("Member {i:02} Quixote") } else { format!("Member {i:02}") };
        let u = User {
            id: UserId::from_uuid(nth_id(100 + i)),
            email_verified: i % 3 == 0,
            created_at: at(T0 + i as i64),
            updated_at: at(T0 + i as i64),
            ..user(&format!("m{i:02}@crowd.test"), &name)
        };
        users::insert(&mut tx, &u, None).await.unwrap();
        memberships::insert(&mut tx, &membership(u.id, account.id, if i == 0 { Role::Owner } else { Role::Member }))
            .await
            .unwrap();
        people.push(u);
    }
    tx.commit().await.unwrap();
    (account.id, people)
}

fn members(account: AccountId) -> UserFilter {
    UserFilter::of(Population::Account(account))
}

/// Every page of a list, `limit` at a time: (emails in order, number of pages, shortest
/// non-final page).
async fn every_page(
    db: &Db,
    f: &UserFilter,
    sort: SortKey,
    descending: bool,
    limit: u32,
) -> (Vec<String>, usize, usize) {
    let mut conn = db.conn().await.unwrap();
    let mut page = UserPage { sort, descending, after: None, limit, budget: TINY };
    let (mut seen, mut pages, mut shortest) = (Vec::new(), 0, usize::MAX);
    loop {
        let ListPage { users, next } = list(&mut conn, f, &page).await.unwrap();
        pages += 1;
        assert!(pages < 200, "the walk ends");
        seen.extend(users.iter().map(|u| u.email.clone()));
        match next {
            Some(next) => {
                shortest = shortest.min(users.len());
                page.after = Some(next);
            }
            None => return (seen, pages, shortest),
        }
    }
}

async fn total(db: &Db, f: &UserFilter, budget: Budget) -> Total {
    count(&mut db.conn().await.unwrap(), f, budget).await.unwrap()
}

#[tokio::test]
async fn kept_counts_follow_joins_status_and_role_changes_and_deletion() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (a, people) = crowd(db, 12).await;
        let all = members(a);
        assert_eq!(total(db, &all, TINY).await, Total { n: 12, exact: true });
        let owners = UserFilter { role: Some("owner".into()), ..all.clone() };
        assert_eq!(total(db, &owners, TINY).await, Total { n: 1, exact: true });

        let mut tx = db.begin().await.unwrap();
        let suspended = User { status: UserStatus::Suspended, ..people[1].clone() };
        users::update_profile(&mut tx, &suspended).await.unwrap();
        users::mark_deleted(&mut tx, people[2].id, Ts::new(at(T0 + 100)), false).await.unwrap();
        memberships::set_role(&mut tx, people[3].id, a, Role::Owner).await.unwrap();
        tx.commit().await.unwrap();

        assert_eq!(total(db, &all, TINY).await, Total { n: 11, exact: true }, "the deleted one left the list");
        let only_suspended = UserFilter { status: Some(UserStatus::Suspended), ..all.clone() };
        assert_eq!(total(db, &only_suspended, TINY).await, Total { n: 1, exact: true });
        let only_deleted = UserFilter { status: Some(UserStatus::Deleted), ..all.clone() };
        assert_eq!(total(db, &only_deleted, TINY).await, Total { n: 1, exact: true });
        assert_eq!(total(db, &owners, TINY).await, Total { n: 2, exact: true });
        let mut conn = db.conn().await.unwrap();
        assert_eq!(memberships::other_owners(&mut conn, a, people[0].id).await.unwrap(), 1);

        let everyone = UserFilter { population: Population::Everyone, ..all.clone() };
        assert_eq!(total(db, &everyone, TINY).await, Total { n: 11, exact: true });
        let (listed, _, _) = every_page(db, &only_suspended, SortKey::Name, false, 5).await;
        assert_eq!(listed, [people[1].email.clone()]);
    }
}

#[tokio::test]
async fn copied_sort_keys_follow_renames_and_logins() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (a, people) = crowd(db, 4).await;
        let mut tx = db.begin().await.unwrap();
        let renamed = User { name: "Aardvark".into(), ..people[3].clone() };
        users::update_profile(&mut tx, &renamed).await.unwrap();
        users::set_last_login(&mut tx, people[1].id, Ts::new(at(T0 + 500))).await.unwrap();
        tx.commit().await.unwrap();

        let (by_name, _, _) = every_page(db, &members(a), SortKey::Name, false, 10).await;
        assert_eq!(by_name[0], people[3].email, "{by_name:?}");
        let (by_login, _, _) = every_page(db, &members(a), SortKey::LastLoginAt, true, 10).await;
        assert_eq!(by_login[0], people[1].email, "{by_login:?}");
        let needle = UserFilter { text: Some("AARDV".into()), ..members(a) };
        assert_eq!(every_page(db, &needle, SortKey::Name, false, 10).await.0, [people[3].email.clone()]);
    }
}

#[tokio::test]
async fn a_filtered_walk_out_of_budget_ends_the_page_early_and_resumes_without_loss_or_repeat() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (a, people) = crowd(db, 40).await;
        let verified = UserFilter { email_verified: Some(true), ..members(a) };
        for (sort, descending) in [(SortKey::CreatedAt, false), (SortKey::Name, true), (SortKey::Email, false)] {
            let (seen, pages, shortest) = every_page(db, &verified, sort, descending, 3).await;
            let mut expected: Vec<&User> = people.iter().filter(|u| u.email_verified).collect();
            match sort {
                SortKey::Name => expected.sort_by_key(|u| (u.name.to_lowercase(), u.id.as_uuid())),
                _ => expected.sort_by_key(|u| (u.email.clone(), u.id.as_uuid())),
            }
            if descending {
                expected.reverse();
            }
            let expected: Vec<String> = expected.iter().map(|u| u.email.clone()).collect();
            assert_eq!(seen, expected, "{sort:?} descending={descending}");
            // One verified member in three and 5 examined per page: pages are short.
            assert!(shortest < 3 && pages > expected.len() / 3, "{pages} pages, shortest {shortest}");
        }
        // A two-character term has no index: it is only compared, within the budget.
        let short_term = UserFilter { text: Some("3@".into()), ..members(a) };
        assert_eq!(
            every_page(db, &short_term, SortKey::Email, false, 10).await.0,
            ["m03@crowd.test", "m13@crowd.test", "m23@crowd.test", "m33@crowd.test"]
        );
    }
}

#[tokio::test]
async fn a_rare_term_is_served_from_the_search_index_in_complete_pages() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (a, _) = crowd(db, 40).await;
        // Four matches: within the candidates' cap, far too rare for a walk of 5.
        let rare = UserFilter { text: Some("quixote".into()), ..members(a) };
        let (seen, pages, _) = every_page(db, &rare, SortKey::Name, false, 10).await;
        assert_eq!(seen, ["m07@crowd.test", "m17@crowd.test", "m27@crowd.test", "m37@crowd.test"]);
        assert_eq!(pages, 1, "one complete page");
        let (seen, pages, _) = every_page(db, &rare, SortKey::Name, true, 3).await;
        assert_eq!(seen, ["m37@crowd.test", "m27@crowd.test", "m17@crowd.test", "m07@crowd.test"]);
        assert_eq!(pages, 2);
        assert_eq!(total(db, &rare, TINY).await, Total { n: 4, exact: true });
        // A common term fills its pages by walking.
        let common = UserFilter { text: Some("member".into()), ..members(a) };
        let (seen, pages, _) = every_page(db, &common, SortKey::CreatedAt, false, 20).await;
        assert_eq!((seen.len(), pages), (40, 2));
    }
}

/// Every page of `f` by creation under `budget`, three at a time: the emails of each page.
async fn pages_under(db: &Db, f: &UserFilter, budget: Budget) -> Vec<Vec<String>> {
    let mut conn = db.conn().await.unwrap();
    let mut page = UserPage { sort: SortKey::CreatedAt, descending: false, after: None, limit: 3, budget };
    let mut pages = Vec::new();
    loop {
        let ListPage { users, next } = list(&mut conn, f, &page).await.unwrap();
        pages.push(users.iter().map(|u| u.email.clone()).collect());
        assert!(pages.len() < 50, "the walk ends");
        match next {
            Some(next) => page.after = Some(next),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn a_search_whose_matches_lie_beyond_the_walk_is_never_answered_with_an_empty_page() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (a, _) = crowd(db, 40).await;
        // Four matches, more than the candidates' cap: walked first, and the first five rows
        // hold none of them.
        let quixote = UserFilter { text: Some("quixote".into()), ..members(a) };
        let all = ["m07@crowd.test", "m17@crowd.test", "m27@crowd.test", "m37@crowd.test"];
        // Few enough to collect: the short walk is done again from the index's matches.
        let collected = Budget { walk: 5, count: 10, candidates: 2, fallback: 20, ordered: 0 };
        let pages = pages_under(db, &quixote, collected).await;
        assert_eq!(pages, [vec![all[0], all[1], all[2]], vec![all[3]]], "full pages, then the last");
        // Too many to collect: an empty walk looks sixteen budgets further.
        let far = Budget { walk: 5, count: 10, candidates: 2, fallback: 3, ordered: 0 };
        let pages = pages_under(db, &quixote, far).await;
        assert!(pages.iter().all(|p| !p.is_empty()), "no empty page: {pages:?}");
        assert_eq!(pages.concat(), all);
    }
}

#[tokio::test]
async fn a_filtered_total_beyond_its_budget_is_an_upper_bound() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (a, _) = crowd(db, 40).await;
        let verified = UserFilter { email_verified: Some(true), ..members(a) };
        // 14 verified of 40; 10 examined (4 verified among them), 30 not examined.
        assert_eq!(total(db, &verified, TINY).await, Total { n: 34, exact: false });
        assert_eq!(total(db, &verified, Budget::DEFAULT).await, Total { n: 14, exact: true });
        // A common term beyond the candidates' cap: a bound as well.
        let common = UserFilter { text: Some("member 1".into()), ..members(a) };
        let bound = total(db, &common, TINY).await;
        assert!(!bound.exact && bound.n >= 10 && bound.n <= 40, "{bound:?}");
        assert_eq!(total(db, &common, Budget::DEFAULT).await, Total { n: 10, exact: true });
    }
}

#[tokio::test]
async fn a_list_of_several_statuses_visits_every_match_once_in_order_under_any_budget() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let account = insert_account(db, "Mixed", None).await;
        let mut tx = db.begin().await.unwrap();
        let mut people = Vec::new();
        for i in 0..60u128 {
            let status = match i % 5 {
                0 => UserStatus::Invited,
                3 => UserStatus::Suspended,
                _ => UserStatus::Active,
            };
            let name = if i % 2 == 0 { format!("Even {i:02}") } else { format!("Odd {i:02}") };
            let u = User {
                id: UserId::from_uuid(nth_id(700 + i)),
                status,
                created_at: at(T0 + (i as i64 * 7) % 60),
                updated_at: at(T0),
                ..user(&format!("x{i:02}@mixed.test"), &name)
            };
            users::insert(&mut tx, &u, None).await.unwrap();
            memberships::insert(&mut tx, &membership(u.id, account.id, Role::Member)).await.unwrap();
            people.push(u);
        }
        tx.commit().await.unwrap();
        let even = UserFilter { text: Some("even".into()), ..members(account.id) };
        let mut expected: Vec<&User> = people.iter().filter(|u| u.name.starts_with("Even")).collect();
        expected.sort_by_key(|u| (u.created_at, u.id.as_uuid()));
        let expected: Vec<String> = expected.iter().map(|u| u.email.clone()).collect();
        // Walked a few rows at a time (pages end early), or to the end of each page at once
        // (an export's batches): the same matches, each once, in order.
        for budget in [TINY, Budget { walk: 12, ..TINY }, Budget::EXPORT] {
            let pages = pages_under(db, &even, budget).await;
            assert_eq!(pages.concat(), expected, "{budget:?}");
            if budget == Budget::EXPORT {
                assert!(pages.iter().rev().skip(1).all(|p| p.len() == 3), "every batch but the last is full");
            }
        }
    }
}
