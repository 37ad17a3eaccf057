//! Workspaces: create, list in order, rename, members, delete with their memberships.

use roster_domain::workspace::{Workspace, WorkspaceMember, WorkspaceRole};
use roster_domain::{UserId, WorkspaceId};
use roster_store::{StoreError, Ts, Unique, workspaces};

use crate::support::{T0, at, engines, insert_account, insert_user, nth_id, start, user};

#[tokio::test]
async fn workspaces_and_their_members_are_kept_per_account() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let acme = insert_account(db, "Acme", None).await;
        let other = insert_account(db, "Other", None).await;
        let mut people = Vec::new();
        for n in 0..2u128 {
            let mut u = user(&format!("w{n}@x.test"), &format!("W{n}"));
            u.id = UserId::from_uuid(nth_id(200 + n));
            insert_user(db, &u).await;
            people.push(u);
        }
        let make = |n: u128, account, name: &str| Workspace {
            id: WorkspaceId::from_uuid(nth_id(300 + n)),
            account_id: account,
            name: name.to_owned(),
            created_at: at(T0),
            updated_at: at(T0),
        };
        let (ops, design, elsewhere) = (make(0, acme.id, "Ops"), make(1, acme.id, "Design"), make(2, other.id, "X"));
        let mut tx = db.begin().await.unwrap();
        for w in [&ops, &design, &elsewhere] {
            workspaces::insert(&mut tx, w).await.unwrap();
        }
        assert_eq!(workspaces::find(&mut tx, ops.id).await.unwrap(), Some(ops.clone()));
        assert_eq!(workspaces::find(&mut tx, WorkspaceId::new()).await.unwrap(), None);
        let listed = workspaces::of_account(&mut tx, acme.id, None, 10).await.unwrap();
        assert_eq!(listed.iter().map(|w| w.id).collect::<Vec<_>>(), [ops.id, design.id]);
        let after = workspaces::of_account(&mut tx, acme.id, Some(ops.id), 10).await.unwrap();
        assert_eq!(after.iter().map(|w| w.id).collect::<Vec<_>>(), [design.id]);
        workspaces::rename(&mut tx, ops.id, "Operations", Ts::from_micros(T0 + 9)).await.unwrap();
        let renamed = workspaces::find(&mut tx, ops.id).await.unwrap().unwrap();
        assert_eq!((renamed.name.as_str(), renamed.updated_at), ("Operations", at(T0 + 9)));

        let member =
            |w: WorkspaceId, u: UserId, role| WorkspaceMember { workspace_id: w, user_id: u, role, created_at: at(T0) };
        workspaces::add_member(&mut tx, &member(ops.id, people[1].id, WorkspaceRole::Lead)).await.unwrap();
        workspaces::add_member(&mut tx, &member(ops.id, people[0].id, WorkspaceRole::Member)).await.unwrap();
        workspaces::add_member(&mut tx, &member(design.id, people[0].id, WorkspaceRole::Member)).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        let twice = workspaces::add_member(&mut tx, &member(ops.id, people[0].id, WorkspaceRole::Lead)).await;
        assert!(matches!(twice, Err(StoreError::Conflict(Unique::WorkspaceMember))), "{twice:?}");
        drop(tx);

        let mut tx = db.begin().await.unwrap();
        let listed = workspaces::members(&mut tx, ops.id, None, 10).await.unwrap();
        let seen: Vec<(UserId, WorkspaceRole, String)> =
            listed.into_iter().map(|m| (m.member.user_id, m.member.role, m.name)).collect();
        assert_eq!(
            seen,
            [(people[0].id, WorkspaceRole::Member, "W0".into()), (people[1].id, WorkspaceRole::Lead, "W1".into())]
        );
        let page = workspaces::members(&mut tx, ops.id, Some(people[0].id), 1).await.unwrap();
        assert_eq!(page.len(), 1);
        let mine: Vec<(WorkspaceId, WorkspaceRole)> =
            workspaces::of_user(&mut tx, people[0].id).await.unwrap().into_iter().map(|(w, r)| (w.id, r)).collect();
        assert_eq!(mine, [(ops.id, WorkspaceRole::Member), (design.id, WorkspaceRole::Member)]);
        assert!(workspaces::remove_member(&mut tx, design.id, people[0].id).await.unwrap());
        assert!(!workspaces::remove_member(&mut tx, design.id, people[0].id).await.unwrap());
        workspaces::delete(&mut tx, design.id).await.unwrap();
        assert_eq!(workspaces::find(&mut tx, design.id).await.unwrap(), None);
        workspaces::delete_all_of_account(&mut tx, acme.id).await.unwrap();
        assert!(workspaces::of_account(&mut tx, acme.id, None, 10).await.unwrap().is_empty());
        assert!(workspaces::of_user(&mut tx, people[1].id).await.unwrap().is_empty());
        assert_eq!(workspaces::of_account(&mut tx, other.id, None, 10).await.unwrap().len(), 1);
        tx.commit().await.unwrap();
    }
}
