//! The platform-wide audit search: every filter alone and together, newest first, in pages.

use roster_domain::activity::Action;
use roster_domain::{AccountId, ActivityId, UserId};
use roster_store::Ts;
use roster_store::activities::{self, Activity, AuditFilter};
use uuid::Uuid;

use crate::support::{T0, at, engines, nth_id, start};

fn entry(n: u128, user: UserId, actor: Option<UserId>, account: Option<AccountId>, action: Action) -> Activity {
    Activity {
        id: ActivityId::from_uuid(nth_id(n)),
        at: at(T0 + n as i64 * 10),
        user_id: user,
        actor_id: actor,
        account_id: account,
        action,
        ip: None,
        user_agent: None,
        changes: serde_json::json!({"n": n as u64}),
    }
}

fn ids(found: &[Activity]) -> Vec<u128> {
    found.iter().map(|a| (1..=20).find(|n| nth_id(*n) == a.id.as_uuid()).unwrap()).collect()
}

#[tokio::test]
async fn the_audit_search_selects_by_actor_user_account_action_and_time_newest_first() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let (ada, bob, eve) = (UserId::new(), UserId::new(), UserId::new());
        let (acme, globex) = (AccountId::new(), AccountId::new());
        let mut tx = db.begin().await.unwrap();
        for e in [
            entry(1, ada, None, None, Action::UserCreated),
            entry(2, bob, Some(ada), Some(acme), Action::MembershipCreated),
            entry(3, bob, Some(ada), Some(acme), Action::UserDeleted),
            entry(4, eve, Some(bob), Some(globex), Action::MembershipCreated),
            entry(5, ada, Some(ada), None, Action::UserUpdated),
            entry(6, eve, Some(ada), Some(globex), Action::UserDeleted),
        ] {
            activities::insert(&mut tx, &e).await.unwrap();
        }
        tx.commit().await.unwrap();
        let mut conn = db.conn().await.unwrap();
        let mut search = async |filter: AuditFilter, before: Option<u128>, limit: u32| {
            let before = before.map(|n| ActivityId::from_uuid(nth_id(n)));
            ids(&activities::search(&mut conn, &filter, before, limit).await.unwrap())
        };
        assert_eq!(search(AuditFilter::default(), None, 10).await, [6, 5, 4, 3, 2, 1]);
        // `limit` + 1 rows, and the next page starts below the last one shown.
        assert_eq!(search(AuditFilter::default(), None, 2).await, [6, 5, 4]);
        assert_eq!(search(AuditFilter::default(), Some(5), 2).await, [4, 3, 2]);
        assert_eq!(search(AuditFilter { actor: Some(ada), ..Default::default() }, None, 10).await, [6, 5, 3, 2]);
        assert_eq!(search(AuditFilter { user: Some(eve), ..Default::default() }, None, 10).await, [6, 4]);
        assert_eq!(search(AuditFilter { account: Some(acme), ..Default::default() }, None, 10).await, [3, 2]);
        let deleted = AuditFilter { action: Some(Action::UserDeleted), ..Default::default() };
        assert_eq!(search(deleted.clone(), None, 10).await, [6, 3]);
        // From is inclusive, to exclusive.
        let window =
            AuditFilter { from: Some(Ts::new(at(T0 + 20))), to: Some(Ts::new(at(T0 + 50))), ..Default::default() };
        assert_eq!(search(window, None, 10).await, [4, 3, 2]);
        let all = AuditFilter { actor: Some(ada), account: Some(globex), ..deleted };
        assert_eq!(search(all, None, 10).await, [6]);
        let nobody = AuditFilter { user: Some(UserId::from_uuid(Uuid::now_v7())), ..Default::default() };
        assert!(search(nobody, None, 10).await.is_empty());
    }
}
