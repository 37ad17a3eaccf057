//! Search over every address and phone number (the contact-channels issue §3): a term matches a
//! user's secondary addresses and, written like a number, the digits of its phone numbers —
//! alike from the search indexes (a rare term) and walking the list (a common one).

use roster_domain::role::Role;
use roster_domain::user::User;
use roster_domain::{AccountId, UserId};
use roster_store::user_emails::{self, UserEmail};
use roster_store::user_list::{Budget, ListPage, Population, SortKey, UserFilter, UserPage, count, list};
use roster_store::user_phones::{self, StoredPhone};
use roster_store::{Db, Ts, memberships, users};

use crate::support::{T0, at, engines, insert_account, membership, nth_id, phone, start, user};

/// The search indexes serve every term (at most 2 000 matches).
const INDEXED: Budget = Budget::DEFAULT;
/// No term is rare enough for the indexes: every list is walked and compared.
const WALKED: Budget = Budget { walk: 6_000, count: 30_000, candidates: 0, fallback: 0, ordered: 0 };

async fn crowd(db: &Db) -> (AccountId, Vec<User>) {
    let account = insert_account(db, "Contacts", None).await;
    let mut tx = db.begin().await.unwrap();
    let mut people = Vec::new();
    for i in 0..12u128 {
        let u = User {
            id: UserId::from_uuid(nth_id(500 + i)),
            created_at: at(T0 + i as i64),
            updated_at: at(T0 + i as i64),
            ..user(&format!("c{i:02}@crowd.test"), &format!("Person {i:02}"))
        };
        users::insert(&mut tx, &u, None).await.unwrap();
        memberships::insert(&mut tx, &membership(u.id, account.id, Role::Member)).await.unwrap();
        people.push(u);
    }
    let email = |address: &str| UserEmail {
        address: address.to_owned(),
        address_key: address.to_lowercase(),
        verified: true,
        is_primary: false,
        becomes_primary: false,
        created_at: Ts::from_micros(T0 + 50),
    };
    user_emails::add(&mut tx, people[3].id, &email("Quill@Elsewhere.test")).await.unwrap();
    user_emails::add(&mut tx, people[5].id, &email("fax@pens.test")).await.unwrap();
    user_phones::save(&mut tx, people[7].id, &phone("+14155550142", true)).await.unwrap();
    user_phones::save(&mut tx, people[9].id, &phone("+442079460958", true)).await.unwrap();
    tx.commit().await.unwrap();
    (account.id, people)
}

async fn found(db: &Db, account: AccountId, text: &str, budget: Budget) -> Vec<String> {
    let mut conn = db.conn().await.unwrap();
    let f = UserFilter { text: Some(text.to_owned()), ..UserFilter::of(Population::Account(account)) };
    let page = UserPage { sort: SortKey::Name, descending: false, after: None, limit: 100, budget };
    let ListPage { users, next } = list(&mut conn, &f, &page).await.unwrap();
    assert!(next.is_none());
    let total = count(&mut conn, &f, budget).await.unwrap();
    assert_eq!(total.n, users.len() as i64, "{text}: the total agrees");
    users.iter().map(|u| u.email.clone()).collect()
}

#[tokio::test]
async fn a_term_finds_users_by_their_other_addresses_and_the_digits_of_their_numbers() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (account, _) = crowd(db).await;
        for budget in [INDEXED, WALKED] {
            let find = |text: &'static str| found(db, account, text, budget);
            assert_eq!(find("elsewhere").await, ["c03@crowd.test"], "{budget:?}");
            assert_eq!(find("QUILL@").await, ["c03@crowd.test"]);
            assert_eq!(find("pens.test").await, ["c05@crowd.test"]);
            assert_eq!(find("4155550142").await, ["c07@crowd.test"]);
            assert_eq!(find("+1 (415) 555").await, ["c07@crowd.test"]);
            assert_eq!(find("2079-460").await, ["c09@crowd.test"]);
            assert_eq!(find("c09@").await, ["c09@crowd.test"], "the sign-in address still matches");
            assert!(find("0142x").await.is_empty(), "a term with letters is no number");
            assert!(find("999").await.is_empty());
        }
    }
}

#[tokio::test]
async fn a_deleted_user_is_no_longer_found_by_its_other_addresses() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (account, people) = crowd(db).await;
        let mut tx = db.begin().await.unwrap();
        users::mark_deleted(&mut tx, people[3].id, Ts::from_micros(T0 + 99), false).await.unwrap();
        tx.commit().await.unwrap();
        for budget in [INDEXED, WALKED] {
            assert!(found(db, account, "elsewhere", budget).await.is_empty(), "{budget:?}");
        }
    }
}

#[tokio::test]
async fn what_a_walk_compares_follows_every_change_of_addresses_numbers_and_memberships() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (account, people) = crowd(db).await;
        let other = insert_account(db, "Other", None).await;
        let mut tx = db.begin().await.unwrap();
        user_emails::remove(&mut tx, people[3].id, "quill@elsewhere.test").await.unwrap();
        let mut moved = user_phones::of_user(&mut tx, people[7].id).await.unwrap().remove(0);
        moved.number = "+16175550100".to_owned();
        user_phones::save(&mut tx, people[7].id, &moved).await.unwrap();
        assert!(
            user_emails::make_primary(&mut tx, people[5].id, "fax@pens.test", Ts::from_micros(T0 + 70)).await.unwrap()
        );
        memberships::insert(&mut tx, &membership(people[9].id, other.id, Role::Member)).await.unwrap();
        tx.commit().await.unwrap();
        for budget in [INDEXED, WALKED] {
            assert!(found(db, account, "elsewhere", budget).await.is_empty(), "{budget:?}");
            assert!(found(db, account, "4155550142", budget).await.is_empty());
            assert_eq!(found(db, account, "617 555", budget).await, ["c07@crowd.test"]);
            assert_eq!(found(db, account, "c05@crowd", budget).await, ["fax@pens.test"], "the former sign-in address");
            assert_eq!(found(db, other.id, "2079", budget).await, ["c09@crowd.test"], "copied to a new membership");
        }
    }
}

#[tokio::test]
async fn a_run_of_digits_is_found_wherever_it_stands_in_a_number_and_never_after_the_number_is_gone() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (account, people) = crowd(db).await;
        for budget in [INDEXED, WALKED] {
            let find = |text: &'static str| found(db, account, text, budget);
            assert_eq!(find("14155550142").await, ["c07@crowd.test"], "the whole number: {budget:?}");
            assert_eq!(find("141").await, ["c07@crowd.test"], "its first digits");
            assert_eq!(find("142").await, ["c07@crowd.test"], "its last digits");
            assert_eq!(find("555").await, ["c07@crowd.test"], "a run that occurs twice finds the user once");
            assert!(find("0141").await.is_empty(), "digits that are not one run of it");
            assert!(find("141555501420").await.is_empty(), "longer than the number");
        }
        let mut tx = db.begin().await.unwrap();
        let number = user_phones::of_user(&mut tx, people[7].id).await.unwrap().remove(0);
        assert!(user_phones::delete(&mut tx, people[7].id, number.id).await.unwrap());
        tx.commit().await.unwrap();
        for budget in [INDEXED, WALKED] {
            assert!(found(db, account, "4155550142", budget).await.is_empty(), "{budget:?}");
            assert!(found(db, account, "555", budget).await.is_empty());
        }
    }
}

#[tokio::test]
async fn an_export_batch_holds_each_user_of_the_page_with_its_role_and_primary_number_in_list_order() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (account, people) = crowd(db).await;
        let mut conn = db.conn().await.unwrap();
        let mut page =
            UserPage { sort: SortKey::Name, descending: true, after: None, limit: 5, budget: Budget::EXPORT };
        let members = UserFilter::of(Population::Account(account));
        let listed = list(&mut conn, &members, &page).await.unwrap();
        let (rows, next) = roster_store::user_list::export(&mut conn, &members, &page).await.unwrap();
        assert_eq!(next, listed.next, "the same page");
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Person 11", "Person 10", "Person 09", "Person 08", "Person 07"]);
        assert!(rows.iter().all(|r| r.role == Some(Role::Member)), "the role in the listed account");
        let seven = &rows[4];
        assert_eq!((seven.id, seven.email.as_str()), (people[7].id, "c07@crowd.test"));
        assert_eq!(seven.phone.as_deref(), Some("+14155550142"));
        assert_eq!(rows[0].phone, None);
        assert_eq!(seven.created_at, people[7].created_at);

        // A second number, primary: it is the one listed.
        let mut tx = db.begin().await.unwrap();
        let mut first = user_phones::of_user(&mut tx, people[7].id).await.unwrap().remove(0);
        first.is_primary = false;
        user_phones::save(&mut tx, people[7].id, &first).await.unwrap();
        let second = StoredPhone {
            id: roster_domain::PhoneId::new(),
            number: "+16175550100".to_owned(),
            is_primary: true,
            created_at: Ts::from_micros(T0 + 90),
            ..first.clone()
        };
        user_phones::save(&mut tx, people[7].id, &second).await.unwrap();
        tx.commit().await.unwrap();
        page.after = None;
        let everyone = UserFilter { text: Some("617".into()), ..UserFilter::of(Population::Everyone) };
        let (rows, _) = roster_store::user_list::export(&mut conn, &everyone, &page).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].phone.as_deref(), Some("+16175550100"));
        assert_eq!(rows[0].role, None, "no account listed, no role");
    }
}
