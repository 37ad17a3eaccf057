//! Memberships: the governing membership through the account tree, and owner counts.

use roster_domain::role::Role;
use roster_domain::user::{Account, Membership, UserStatus};
use roster_domain::{AccountId, UserId};
use roster_store::{StoreError, Ts, Unique, accounts, memberships, users};

use crate::support::{T0, at, engines, insert_account, insert_membership, insert_user, membership, scope, start, user};

/// An agency with a client and the client's project, and another agency beside it.
struct Tree {
    agency: Account,
    client: Account,
    project: Account,
    other: Account,
}

async fn tree(db: &roster_store::Db) -> Tree {
    let agency = insert_account(db, "Agency", None).await;
    let client = insert_account(db, "Client", Some(agency.id)).await;
    let project = insert_account(db, "Project", Some(client.id)).await;
    let other = insert_account(db, "Other agency", None).await;
    Tree { agency, client, project, other }
}

#[tokio::test]
async fn the_governing_membership_is_inherited_down_the_tree_and_an_own_one_wins() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let Tree { agency, client, project, other } = tree(db).await;
        let ada = user("ada@example.com", "Ada");
        let bob = user("bob@example.com", "Bob");
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let at_agency = Membership {
            grant: vec![scope("billing")],
            deny: vec![scope("users.delete"), scope("analytics")],
            ..membership(ada.id, agency.id, Role::Admin)
        };
        insert_membership(db, &at_agency).await;

        let mut conn = db.conn().await.unwrap();
        let stored = |m: &Membership| Membership { created_at: Ts::new(m.created_at).get(), ..m.clone() };
        // Its own account, and inherited by the child and the grandchild, grants and denies included.
        for account in [agency.id, client.id, project.id] {
            let governing = memberships::governing(&mut conn, ada.id, account).await.unwrap();
            assert_eq!(governing, Some(stored(&at_agency)), "in {account}");
        }
        // Not upwards, not sideways, not for strangers, not in unknown accounts.
        assert_eq!(memberships::governing(&mut conn, ada.id, other.id).await.unwrap(), None);
        assert_eq!(memberships::governing(&mut conn, bob.id, project.id).await.unwrap(), None);
        assert_eq!(memberships::governing(&mut conn, ada.id, AccountId::new()).await.unwrap(), None);

        // An own membership in the middle of the tree wins there and below, not above.
        drop(conn);
        let at_client = Membership { grant: vec![scope("contacts")], ..membership(ada.id, client.id, Role::Viewer) };
        insert_membership(db, &at_client).await;
        let mut conn = db.conn().await.unwrap();
        assert_eq!(memberships::governing(&mut conn, ada.id, agency.id).await.unwrap(), Some(stored(&at_agency)));
        assert_eq!(memberships::governing(&mut conn, ada.id, client.id).await.unwrap(), Some(stored(&at_client)));
        assert_eq!(memberships::governing(&mut conn, ada.id, project.id).await.unwrap(), Some(stored(&at_client)));

        // Memberships a user holds itself, with account names, oldest first; accounts reachable.
        let own = memberships::of_user(&mut conn, ada.id).await.unwrap();
        let own: Vec<(AccountId, String)> = own.into_iter().map(|(m, name)| (m.account_id, name)).collect();
        assert_eq!(own, [(agency.id, "Agency".to_owned()), (client.id, "Client".to_owned())]);
        // Every account reachable, with the role that governs there: the agency's own, the
        // client's own, and the client's inherited by the project.
        let mut reachable: Vec<(AccountId, Role)> =
            accounts::of_user(&mut conn, ada.id).await.unwrap().into_iter().map(|(a, role)| (a.id, role)).collect();
        reachable.sort();
        let mut expected = vec![(agency.id, Role::Admin), (client.id, Role::Viewer), (project.id, Role::Viewer)];
        expected.sort();
        assert_eq!(reachable, expected);
    }
}

#[tokio::test]
async fn the_callers_governing_membership_in_each_account_of_a_target_comes_in_one_answer() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let Tree { agency, client, project, other } = tree(db).await;
        let (ada, zed) = (user("ada@example.com", "Ada"), user("zed@example.com", "Zed"));
        insert_user(db, &ada).await;
        insert_user(db, &zed).await;
        // Ada administers the agency and is a viewer in the client; Zed works in the project
        // (inherits from Ada's client membership, the nearest), the agency and another agency.
        let ada_agency = Membership { deny: vec![scope("users.delete")], ..membership(ada.id, agency.id, Role::Admin) };
        let ada_client = membership(ada.id, client.id, Role::Viewer);
        insert_membership(db, &ada_agency).await;
        insert_membership(db, &ada_client).await;
        let zed_project = membership(zed.id, project.id, Role::Member);
        let zed_agency = membership(zed.id, agency.id, Role::Viewer);
        let zed_other = membership(zed.id, other.id, Role::Owner);
        for m in [&zed_project, &zed_agency, &zed_other] {
            insert_membership(db, m).await;
        }

        let mut conn = db.conn().await.unwrap();
        let stored = |m: &Membership| Membership { created_at: Ts::new(m.created_at).get(), ..m.clone() };
        let pairs = memberships::governing_in_accounts_of(&mut conn, ada.id, zed.id).await.unwrap();
        // Oldest membership first (here all joined at once: by account), each with what governs
        // Ada there (as `governing` says).
        assert_eq!(
            pairs,
            [
                (stored(&zed_agency), Some(stored(&ada_agency))),
                (stored(&zed_project), Some(stored(&ada_client))),
                (stored(&zed_other), None),
            ]
        );
        for (theirs, ours) in &pairs {
            assert_eq!(&memberships::governing(&mut conn, ada.id, theirs.account_id).await.unwrap(), ours);
        }
        // A stranger governs nowhere; a user without memberships has none to list.
        let stranger = UserId::new();
        let alone = memberships::governing_in_accounts_of(&mut conn, stranger, zed.id).await.unwrap();
        assert!(alone.iter().all(|(_, ours)| ours.is_none()) && alone.len() == 3);
        assert!(memberships::governing_in_accounts_of(&mut conn, ada.id, stranger).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_deleted_account_governs_nothing() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let gone = Account {
            id: AccountId::new(),
            name: "Gone".to_owned(),
            parent_id: None,
            status: roster_domain::user::AccountStatus::Deleted,
            seats_used: 0,
            created_at: at(T0),
            updated_at: at(T0),
        };
        let mut tx = db.begin().await.unwrap();
        accounts::insert(&mut tx, &gone).await.unwrap();
        tx.commit().await.unwrap();
        let ada = user("ada@example.com", "Ada");
        insert_user(db, &ada).await;
        insert_membership(db, &membership(ada.id, gone.id, Role::Owner)).await;
        let mut conn = db.conn().await.unwrap();
        assert_eq!(memberships::governing(&mut conn, ada.id, gone.id).await.unwrap(), None);
        assert!(memberships::of_user(&mut conn, ada.id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn other_owners_counts_live_owners_but_the_one_named() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let account = insert_account(db, "Acme", None).await;
        let [ada, bob, cy]: [roster_domain::user::User; 3] =
            [user("ada@example.com", "Ada"), user("bob@example.com", "Bob"), user("cy@example.com", "Cy")];
        for (u, role) in [(&ada, Role::Owner), (&bob, Role::Owner), (&cy, Role::Admin)] {
            insert_user(db, u).await;
            insert_membership(db, &membership(u.id, account.id, role)).await;
        }
        let mut conn = db.conn().await.unwrap();
        assert_eq!(memberships::other_owners(&mut conn, account.id, ada.id).await.unwrap(), 1);
        assert_eq!(memberships::other_owners(&mut conn, account.id, cy.id).await.unwrap(), 2);
        assert_eq!(memberships::other_owners(&mut conn, account.id, UserId::new()).await.unwrap(), 2);
        drop(conn);

        // A duplicate membership is a conflict; a role change is written.
        let mut tx = db.begin().await.unwrap();
        let err = memberships::insert(&mut tx, &membership(cy.id, account.id, Role::Viewer)).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(Unique::Membership)), "{err:?}");
        drop(tx);
        let mut tx = db.begin().await.unwrap();
        memberships::set_role(&mut tx, cy.id, account.id, Role::Owner).await.unwrap();
        // A deleted owner does not count.
        users::mark_deleted(&mut tx, bob.id, Ts::from_micros(T0 + 1), false).await.unwrap();
        accounts::refresh_seats(&mut tx, account.id, Ts::from_micros(T0 + 2)).await.unwrap();
        tx.commit().await.unwrap();
        let mut conn = db.conn().await.unwrap();
        assert_eq!(
            memberships::other_owners(&mut conn, account.id, ada.id).await.unwrap(),
            1,
            "Cy now; Bob is deleted"
        );
        assert_eq!(memberships::other_owners(&mut conn, account.id, cy.id).await.unwrap(), 1);
        let bob_now = users::find(&mut conn, bob.id).await.unwrap().unwrap();
        assert_eq!(bob_now.status, UserStatus::Deleted);
        let acme = accounts::find(&mut conn, account.id).await.unwrap().unwrap();
        assert_eq!((acme.seats_used, acme.updated_at), (2, at(T0 + 2)));
    }
}
