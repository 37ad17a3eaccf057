//! A run of digits many numbers share, in a list sorted by creation time: the pages are made
//! from the matches sorted by themselves (the suffixes of numbers carry their owner's creation
//! time). They are the pages a whole walk makes: each user once, every filter applied, complete
//! pages in both directions, and nothing of users outside the list.

use roster_domain::role::Role;
use roster_domain::user::{User, UserStatus};
use roster_domain::{AccountId, UserId};
use roster_store::user_list::{Budget, ListPage, Population, SortKey, UserFilter, UserPage, list};
use roster_store::user_phones;
use roster_store::{Db, Ts, memberships, users};

use crate::support::{T0, at, engines, insert_account, membership, nth_id, phone, start, user};

/// Any term of a few matches is served from them sorted; a walk reads five rows.
const ORDERED: Budget = Budget { walk: 5, count: 10, candidates: 2, fallback: 3, ordered: 100 };
/// A walk long enough to read every list here whole: the answer the plans must agree with.
const WHOLE: Budget = Budget { ordered: 0, ..Budget::DEFAULT };

/// Member `i`'s address: member 3's holds the digits the others' numbers share.
fn email(i: u128) -> String {
    if i == 3 { "n03.415777@numbers.test".to_owned() } else { format!("n{i:02}@numbers.test") }
}

/// 30 members of one account created ten microseconds apart, members 12 to 29 with a number
/// containing `415 777` (member 20 with two such numbers; 14 suspended, 16 invited, 18 deleted,
/// 25 an admin), and ten users of another account in between them with such numbers too.
async fn crowd(db: &Db) -> (AccountId, AccountId) {
    let (a, b) = (insert_account(db, "Numbers", None).await, insert_account(db, "Elsewhere", None).await);
    let mut tx = db.begin().await.unwrap();
    for i in 0..30u128 {
        let status = match i {
            14 => UserStatus::Suspended,
            16 => UserStatus::Invited,
            _ => UserStatus::Active,
        };
        let u = User {
            id: UserId::from_uuid(nth_id(900 + (i * 7) % 30)),
            status,
            created_at: at(T0 + 10 * i as i64),
            updated_at: at(T0),
            ..user(&email(i), &format!("Number {i:02}"))
        };
        users::insert(&mut tx, &u, None).await.unwrap();
        let role = if i == 25 { Role::Admin } else { Role::Member };
        memberships::insert(&mut tx, &membership(u.id, a.id, role)).await.unwrap();
        let number = if i >= 12 { format!("+1415777{i:04}") } else { format!("+1212555{i:04}") };
        user_phones::save(&mut tx, u.id, &phone(&number, true)).await.unwrap();
        if i == 20 {
            user_phones::save(&mut tx, u.id, &phone("+16501415777", false)).await.unwrap();
        }
        if i == 18 {
            users::mark_deleted(&mut tx, u.id, Ts::from_micros(T0 + 1_000), false).await.unwrap();
        }
    }
    for i in 0..10u128 {
        let u = User {
            id: UserId::from_uuid(nth_id(950 + i)),
            created_at: at(T0 + 10 * (12 + i as i64) + 5),
            updated_at: at(T0),
            ..user(&format!("e{i:02}@elsewhere.test"), &format!("Elsewhere {i:02}"))
        };
        users::insert(&mut tx, &u, None).await.unwrap();
        memberships::insert(&mut tx, &membership(u.id, b.id, Role::Member)).await.unwrap();
        user_phones::save(&mut tx, u.id, &phone(&format!("+1415777{:04}", 9000 + i), true)).await.unwrap();
    }
    tx.commit().await.unwrap();
    (a.id, b.id)
}

/// Every page of `f` sorted by creation time, `limit` at a time.
async fn pages(db: &Db, f: &UserFilter, descending: bool, limit: u32, budget: Budget) -> Vec<Vec<String>> {
    let mut conn = db.conn().await.unwrap();
    let mut page = UserPage { sort: SortKey::CreatedAt, descending, after: None, limit, budget };
    let mut pages = Vec::new();
    loop {
        let ListPage { users, next } = list(&mut conn, f, &page).await.unwrap();
        pages.push(users.iter().map(|u| u.email.clone()).collect());
        assert!(pages.len() < 50, "the pages end");
        match next {
            Some(next) => page.after = Some(next),
            None => return pages,
        }
    }
}

fn numbers(text: &str, population: Population) -> UserFilter {
    UserFilter { text: Some(text.to_owned()), ..UserFilter::of(population) }
}

#[tokio::test]
async fn a_run_many_numbers_share_is_paged_from_its_matches_sorted_by_creation_each_user_once() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (a, _) = crowd(db).await;
        let f = numbers("+1 415 777", Population::Account(a));
        let expected: Vec<String> = (12..30).filter(|&i| i != 18).map(|i| format!("n{i:02}@numbers.test")).collect();
        for descending in [false, true] {
            let mut expected = expected.clone();
            if descending {
                expected.reverse();
            }
            let walked = pages(db, &f, descending, 4, WHOLE).await.concat();
            assert_eq!(walked, expected, "the whole walk, descending: {descending}");
            let sorted = pages(db, &f, descending, 4, ORDERED).await;
            assert_eq!(sorted.concat(), expected, "descending: {descending}");
            let (last, full) = sorted.split_last().unwrap();
            assert!(full.iter().all(|p| p.len() == 4) && !last.is_empty(), "complete pages: {sorted:?}");
        }
        // The digits of member 20's second number only: found once, by that number.
        let second = numbers("650 141", Population::Account(a));
        assert_eq!(pages(db, &second, false, 4, ORDERED).await, [["n20@numbers.test"]]);
    }
}

#[tokio::test]
async fn the_matches_sorted_by_creation_keep_every_filter_and_the_population_of_the_list() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (a, b) = crowd(db).await;
        let members = numbers("415777", Population::Account(a));
        let suspended = UserFilter { status: Some(UserStatus::Suspended), ..members.clone() };
        assert_eq!(pages(db, &suspended, false, 4, ORDERED).await, [["n14@numbers.test"]]);
        let admins = UserFilter { role: Some("admin".into()), ..members.clone() };
        assert_eq!(pages(db, &admins, false, 4, ORDERED).await, [["n25@numbers.test"]]);
        // Member 3 by its address, among the numbers.
        let before = UserFilter { created_before: Some(Ts::from_micros(T0 + 140)), ..members };
        let expected = ["n13@numbers.test", "n12@numbers.test", "n03.415777@numbers.test"];
        assert_eq!(pages(db, &before, true, 4, ORDERED).await, [expected]);
        assert_eq!(pages(db, &before, true, 4, WHOLE).await, [expected]);

        let elsewhere = numbers("415777", Population::Account(b));
        let theirs: Vec<String> = (0..10).map(|i| format!("e{i:02}@elsewhere.test")).collect();
        assert_eq!(
            pages(db, &elsewhere, false, 20, ORDERED).await,
            [theirs],
            "another account's list holds its own users only"
        );

        // Everybody: both accounts' users, interleaved by creation time.
        let everyone = numbers("415 777", Population::Everyone);
        let walked = pages(db, &everyone, false, 5, WHOLE).await.concat();
        assert_eq!(walked.len(), 17 + 10);
        assert!(!walked.contains(&email(3)), "no number of its matches `+1 415 777`");
        assert_eq!(pages(db, &everyone, false, 5, ORDERED).await.concat(), walked);
    }
}
