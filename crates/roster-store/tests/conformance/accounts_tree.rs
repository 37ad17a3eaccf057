//! The accounts issue's store functions: the tree (levels, children, path, deletion), writing
//! and removing memberships, "who can" candidates, sessions that fall back, platform admins,
//! CRM contacts by user; and the caller's own sessions (list, revoke, purge).

use roster_domain::role::Role;
use roster_domain::user::Membership;
use roster_domain::{AccountId, SessionId, UserId};
use roster_store::sessions::{self, NewSession};
use roster_store::{Ts, accounts, crm, memberships, users};

use crate::support::{T0, at, engines, insert_account, insert_membership, insert_user, membership, scope, start, user};

#[tokio::test]
async fn the_tree_knows_its_levels_children_and_path_and_a_deleted_account_stays() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let root = insert_account(db, "Root", None).await;
        let a = insert_account(db, "A", Some(root.id)).await;
        let b = insert_account(db, "B", Some(root.id)).await;
        let deep = insert_account(db, "Deep", Some(a.id)).await;
        let mut tx = db.begin().await.unwrap();
        assert_eq!(accounts::level(&mut tx, root.id).await.unwrap(), 1);
        assert_eq!(accounts::level(&mut tx, deep.id).await.unwrap(), 3);
        assert_eq!(accounts::level(&mut tx, AccountId::new()).await.unwrap(), 0);
        let path: Vec<(AccountId, String)> = accounts::path_up(&mut tx, deep.id).await.unwrap();
        assert_eq!(path, [(deep.id, "Deep".into()), (a.id, "A".into()), (root.id, "Root".into())]);

        let ids = |list: Vec<roster_domain::user::Account>| list.into_iter().map(|x| x.id).collect::<Vec<_>>();
        assert_eq!(ids(accounts::children(&mut tx, root.id, None, 10).await.unwrap()), [a.id, b.id]);
        assert_eq!(ids(accounts::children(&mut tx, root.id, None, 1).await.unwrap()), [a.id]);
        assert_eq!(ids(accounts::children(&mut tx, root.id, Some(a.id), 10).await.unwrap()), [b.id]);
        assert!(accounts::has_live_children(&mut tx, root.id).await.unwrap());
        assert!(!accounts::has_live_children(&mut tx, b.id).await.unwrap());

        accounts::rename(&mut tx, b.id, "Bee", Ts::from_micros(T0 + 5)).await.unwrap();
        accounts::mark_deleted(&mut tx, deep.id, Ts::from_micros(T0 + 6)).await.unwrap();
        let renamed = accounts::find(&mut tx, b.id).await.unwrap().unwrap();
        assert_eq!((renamed.name.as_str(), renamed.updated_at), ("Bee", at(T0 + 5)));
        let gone = accounts::find(&mut tx, deep.id).await.unwrap().unwrap();
        assert_eq!((gone.status.as_str(), gone.seats_used), ("deleted", 0));
        assert!(!accounts::has_live_children(&mut tx, a.id).await.unwrap(), "a deleted child is not live");
        assert!(accounts::children(&mut tx, a.id, None, 10).await.unwrap().is_empty());
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn memberships_are_found_updated_and_removed_one_by_one_or_by_account() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let acme = insert_account(db, "Acme", None).await;
        let other = insert_account(db, "Other", None).await;
        let (ada, bob, cy) = (user("ada@x.test", "Ada"), user("bob@x.test", "Bob"), user("cy@x.test", "Cy"));
        for u in [&ada, &bob, &cy] {
            insert_user(db, u).await;
        }
        insert_membership(db, &membership(ada.id, acme.id, Role::Owner)).await;
        insert_membership(db, &membership(bob.id, acme.id, Role::Admin)).await;
        insert_membership(db, &membership(cy.id, acme.id, Role::Viewer)).await;
        insert_membership(db, &membership(ada.id, other.id, Role::Member)).await;

        let mut tx = db.begin().await.unwrap();
        assert_eq!(memberships::find(&mut tx, bob.id, other.id).await.unwrap(), None);
        let changed = Membership {
            grant: vec![scope("billing")],
            deny: vec![scope("users.delete")],
            ..membership(bob.id, acme.id, Role::Member)
        };
        memberships::update(&mut tx, &changed).await.unwrap();
        let stored = memberships::find(&mut tx, bob.id, acme.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.role, stored.grant.clone(), stored.deny.clone()),
            (Role::Member, changed.grant, changed.deny)
        );

        let mut page = memberships::in_account_of(&mut tx, acme.id, &[cy.id, ada.id, UserId::new()]).await.unwrap();
        page.sort_by_key(|m| m.user_id);
        let mut expected = vec![ada.id, cy.id];
        expected.sort();
        assert_eq!(page.iter().map(|m| m.user_id).collect::<Vec<_>>(), expected);
        assert!(memberships::in_account_of(&mut tx, acme.id, &[]).await.unwrap().is_empty());
        let mut heads = memberships::with_roles(&mut tx, acme.id, &[Role::Owner, Role::Member]).await.unwrap();
        heads.sort();
        let mut expected = vec![ada.id, bob.id];
        expected.sort();
        assert_eq!(heads, expected);

        assert!(memberships::delete(&mut tx, cy.id, acme.id).await.unwrap());
        assert!(!memberships::delete(&mut tx, cy.id, acme.id).await.unwrap());
        let mut removed = memberships::delete_all_of_account(&mut tx, acme.id).await.unwrap();
        removed.sort();
        assert_eq!(removed, expected);
        assert_eq!(memberships::find(&mut tx, ada.id, other.id).await.unwrap().map(|m| m.role), Some(Role::Member));
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn who_can_candidates_are_the_governing_memberships_with_a_role_or_a_grant_in_user_order() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let root = insert_account(db, "Root", None).await;
        let leaf = insert_account(db, "Leaf", Some(root.id)).await;
        let mut people = Vec::new();
        for n in 0..5 {
            let mut u = user(&format!("p{n}@x.test"), &format!("P{n}"));
            u.id = UserId::from_uuid(crate::support::nth_id(n));
            insert_user(db, &u).await;
            people.push(u);
        }
        // p0 admin at the root; p1 admin at the root but a viewer at the leaf (its own wins);
        // p2 viewer at the leaf with a grant; p3 plain viewer at the root; p4 owner at the leaf.
        insert_membership(db, &membership(people[0].id, root.id, Role::Admin)).await;
        insert_membership(db, &membership(people[1].id, root.id, Role::Admin)).await;
        insert_membership(db, &membership(people[1].id, leaf.id, Role::Viewer)).await;
        let granted =
            Membership { grant: vec![scope("users.delete")], ..membership(people[2].id, leaf.id, Role::Viewer) };
        insert_membership(db, &granted).await;
        insert_membership(db, &membership(people[3].id, root.id, Role::Viewer)).await;
        insert_membership(db, &membership(people[4].id, leaf.id, Role::Owner)).await;

        let mut conn = db.conn().await.unwrap();
        let roles = [Role::Admin, Role::Owner];
        let found = memberships::holders(&mut conn, leaf.id, &roles, None, 10).await.unwrap();
        let seen: Vec<(UserId, AccountId, i64)> =
            found.iter().map(|h| (h.membership.user_id, h.membership.account_id, h.depth)).collect();
        assert_eq!(seen, [(people[0].id, root.id, 1), (people[2].id, leaf.id, 0), (people[4].id, leaf.id, 0)]);
        assert_eq!(
            (found[0].name.as_str(), found[0].email.as_str(), found[0].platform_admin),
            ("P0", "p0@x.test", false)
        );
        let after = memberships::holders(&mut conn, leaf.id, &roles, Some(people[0].id), 1).await.unwrap();
        assert_eq!(after.iter().map(|h| h.membership.user_id).collect::<Vec<_>>(), [people[2].id]);
        // At the root, p1's admin membership is its own.
        let at_root = memberships::holders(&mut conn, root.id, &roles, None, 10).await.unwrap();
        assert_eq!(at_root.iter().map(|h| h.membership.user_id).collect::<Vec<_>>(), [people[0].id, people[1].id]);
    }
}

#[tokio::test]
async fn sessions_acting_in_a_lost_account_fall_back_to_the_users_oldest_other_account() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let home = insert_account(db, "Home", None).await;
        let work = insert_account(db, "Work", None).await;
        let (ada, bob) = (user("ada@x.test", "Ada"), user("bob@x.test", "Bob"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        insert_membership(db, &membership(ada.id, home.id, Role::Owner)).await;
        insert_membership(db, &Membership { created_at: at(T0 + 1), ..membership(ada.id, work.id, Role::Member) })
            .await;
        insert_membership(db, &membership(bob.id, work.id, Role::Owner)).await;
        let session = |user: UserId, hash: u8| NewSession {
            id: SessionId::new(),
            user_id: user,
            token_hash: vec![hash; 32],
            active_account_id: Some(home.id),
            created_at: Ts::from_micros(T0),
            expires_at: Ts::from_micros(T0 + 3_600_000_000),
            ip: None,
            user_agent: None,
        };
        let (ada_session, bob_session) = (session(ada.id, 1), session(bob.id, 2));
        let mut tx = db.begin().await.unwrap();
        sessions::insert(&mut tx, &ada_session).await.unwrap();
        sessions::insert(&mut tx, &bob_session).await.unwrap();
        sessions::set_active_account(&mut tx, ada_session.id, work.id).await.unwrap();
        assert_eq!(sessions::active_accounts_of(&mut tx, ada.id).await.unwrap(), [work.id]);

        memberships::delete(&mut tx, ada.id, work.id).await.unwrap();
        assert_eq!(sessions::fall_back(&mut tx, work.id, Some(ada.id)).await.unwrap(), 1);
        assert_eq!(sessions::active_accounts_of(&mut tx, ada.id).await.unwrap(), [home.id]);
        // Every session acting in Home falls back: Bob's to Work, Ada's to none (Home is all
        // she has left, and it is the account being left).
        assert_eq!(sessions::fall_back(&mut tx, home.id, None).await.unwrap(), 2);
        assert_eq!(sessions::active_accounts_of(&mut tx, bob.id).await.unwrap(), [work.id]);
        assert_eq!(sessions::active_accounts_of(&mut tx, ada.id).await.unwrap(), Vec::<AccountId>::new());
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn platform_admins_and_crm_contacts_are_listed_and_removed() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let acme = insert_account(db, "Acme", None).await;
        let mut admins = Vec::new();
        for n in 0..3u128 {
            let mut u = user(&format!("root{n}@x.test"), "Root");
            u.id = UserId::from_uuid(crate::support::nth_id(100 + n));
            u.platform_admin = n != 1;
            insert_user(db, &u).await;
            admins.push(u.id);
        }
        let mut tx = db.begin().await.unwrap();
        let listed: Vec<UserId> =
            users::platform_admins(&mut tx, None, 10).await.unwrap().into_iter().map(|a| a.0).collect();
        assert_eq!(listed, [admins[0], admins[2]]);
        let after = users::platform_admins(&mut tx, Some(admins[0]), 10).await.unwrap();
        assert_eq!(after.iter().map(|a| a.0).collect::<Vec<_>>(), [admins[2]]);

        let now = Ts::from_micros(T0);
        crm::upsert(&mut tx, acme.id, admins[0], "Root", "root0@x.test", None, now).await.unwrap();
        assert_eq!(crm::of_user(&mut tx, admins[0]).await.unwrap().len(), 1);
        crm::remove_account(&mut tx, acme.id).await.unwrap();
        assert!(crm::of_user(&mut tx, admins[0]).await.unwrap().is_empty());
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn only_active_owners_without_denies_count_as_owners_to_fall_back_on() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let acme = insert_account(db, "Acme", None).await;
        let ada = user("ada@x.test", "Ada");
        let suspended = roster_domain::user::User {
            status: roster_domain::user::UserStatus::Suspended,
            ..user("sus@x.test", "Sus")
        };
        let restricted = user("res@x.test", "Res");
        let full = user("full@x.test", "Full");
        for u in [&ada, &suspended, &restricted, &full] {
            insert_user(db, u).await;
        }
        insert_membership(db, &membership(ada.id, acme.id, Role::Owner)).await;
        insert_membership(db, &membership(suspended.id, acme.id, Role::Owner)).await;
        let denied = Membership { deny: vec![scope("billing")], ..membership(restricted.id, acme.id, Role::Owner) };
        insert_membership(db, &denied).await;
        let mut conn = db.conn().await.unwrap();
        assert_eq!(memberships::other_owners(&mut conn, acme.id, ada.id).await.unwrap(), 0);
        drop(conn);
        insert_membership(db, &membership(full.id, acme.id, Role::Owner)).await;
        let mut conn = db.conn().await.unwrap();
        assert_eq!(memberships::other_owners(&mut conn, acme.id, ada.id).await.unwrap(), 1);
        assert_eq!(memberships::other_owners(&mut conn, acme.id, full.id).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn the_callers_sessions_are_listed_revoked_and_ended_ones_purged() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob) = (user("ada@x.test", "Ada"), user("bob@x.test", "Bob"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        let hour = 3_600_000_000;
        let session = |user: UserId, hash: u8, seen: i64| NewSession {
            id: SessionId::new(),
            user_id: user,
            token_hash: vec![hash; 32],
            active_account_id: None,
            created_at: Ts::from_micros(seen),
            expires_at: Ts::from_micros(seen + 10 * hour),
            ip: Some("203.0.113.9".into()),
            user_agent: Some(format!("agent {hash}")),
        };
        let (old, recent, expired, bobs) = (
            session(ada.id, 1, T0),
            session(ada.id, 2, T0 + hour),
            session(ada.id, 3, T0 - 20 * hour),
            session(bob.id, 4, T0),
        );
        let mut tx = db.begin().await.unwrap();
        for s in [&old, &recent, &expired, &bobs] {
            sessions::insert(&mut tx, s).await.unwrap();
        }
        let now = Ts::from_micros(T0 + 2 * hour);
        let live = sessions::live_of_user(&mut tx, ada.id, now, Ts::from_micros(T0 - hour)).await.unwrap();
        assert_eq!(live.iter().map(|s| s.id).collect::<Vec<_>>(), [recent.id.as_uuid(), old.id.as_uuid()]);
        assert_eq!(live[0].user_agent.as_deref(), Some("agent 2"));
        // Idle since before T0 + 30 min: only the recent one is live.
        let idle = sessions::live_of_user(&mut tx, ada.id, now, Ts::from_micros(T0 + hour / 2)).await.unwrap();
        assert_eq!(idle.len(), 1);

        assert!(!sessions::revoke_own(&mut tx, bob.id, old.id, now).await.unwrap(), "not Bob's");
        assert!(sessions::revoke_own(&mut tx, ada.id, old.id, now).await.unwrap());
        assert!(!sessions::revoke_own(&mut tx, ada.id, old.id, now).await.unwrap(), "already revoked");
        assert_eq!(sessions::revoke_others(&mut tx, ada.id, recent.id, now).await.unwrap(), 1, "the expired one");
        let live = sessions::live_of_user(&mut tx, ada.id, now, Ts::from_micros(T0 - hour)).await.unwrap();
        assert_eq!(live.len(), 1);

        // Ended before T0 + 3 h (revoked at T0 + 2 h, expired at T0 - 10 h): gone; the rest stay.
        let purged =
            sessions::purge_ended(&mut tx, Ts::from_micros(T0 + 3 * hour), Ts::from_micros(T0 - 100 * hour), 10)
                .await
                .unwrap();
        assert_eq!(purged, 2);
        assert!(sessions::find_by_token(&mut tx, &[2; 32]).await.unwrap().is_some());
        assert!(sessions::find_by_token(&mut tx, &[4; 32]).await.unwrap().is_some());
        assert!(sessions::find_by_token(&mut tx, &[1; 32]).await.unwrap().is_none());
        tx.commit().await.unwrap();
    }
}
