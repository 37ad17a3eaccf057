//! Announcements (migration 0011): saved and listed newest first, active in their window for
//! their audience (an account and the accounts below it), hidden by a dismissal or a snooze that
//! has not ended, and their recipients paged by id.

use roster_domain::AnnouncementId;
use roster_domain::role::Role;
use roster_store::Ts;
use roster_store::announcements::{self, Announcement, Answer};
use uuid::Uuid;

use crate::support::{T0, engines, insert_account, insert_membership, insert_user, membership, start, user};

fn announcement(title: &str, starts: i64, ends: Option<i64>, account: Option<Uuid>) -> Announcement {
    Announcement {
        id: AnnouncementId::new(),
        title: title.to_owned(),
        body: "body".to_owned(),
        starts_at: Ts::from_micros(T0 + starts),
        ends_at: ends.map(|e| Ts::from_micros(T0 + e)),
        account_id: account,
        notify: false,
        created_by: None,
        created_at: Ts::from_micros(T0),
        updated_at: Ts::from_micros(T0),
    }
}

#[tokio::test]
async fn active_announcements_follow_window_audience_and_answers() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let top = insert_account(db, "Top", None).await;
        let below = insert_account(db, "Below", Some(top.id)).await;
        let other = insert_account(db, "Other", None).await;
        let (ada, bob) = (user("an1@x.test", "Ada"), user("an2@x.test", "Bob"));
        insert_user(db, &ada).await;
        insert_user(db, &bob).await;
        insert_membership(db, &membership(ada.id, below.id, Role::Member)).await;
        insert_membership(db, &membership(bob.id, other.id, Role::Member)).await;
        let all = announcement("all", 0, None, None);
        let scoped = announcement("top", 0, Some(100), Some(top.id.as_uuid()));
        let later = announcement("later", 50, None, None);
        let mut tx = db.begin().await.unwrap();
        for a in [&all, &scoped, &later] {
            announcements::save(&mut tx, a).await.unwrap();
        }
        let titles = |shown: Vec<announcements::Shown>| -> Vec<String> {
            shown.into_iter().map(|s| s.announcement.title).collect()
        };
        let now = Ts::from_micros(T0 + 10);
        assert_eq!(titles(announcements::active_for(&mut tx, ada.id, now).await.unwrap()), ["top", "all"]);
        assert_eq!(titles(announcements::active_for(&mut tx, bob.id, now).await.unwrap()), ["all"]);
        assert!(announcements::in_audience(&mut tx, ada.id, Some(top.id.as_uuid())).await.unwrap());
        assert!(!announcements::in_audience(&mut tx, bob.id, Some(top.id.as_uuid())).await.unwrap());
        assert!(announcements::in_audience(&mut tx, bob.id, None).await.unwrap());

        let answer = |id: AnnouncementId, status: &str, until: Option<i64>| Answer {
            announcement_id: id,
            status: status.to_owned(),
            snooze_until: until.map(|u| Ts::from_micros(T0 + u)),
            updated_at: Ts::from_micros(T0 + 10),
        };
        announcements::answer(&mut tx, ada.id, &answer(all.id, "seen", None)).await.unwrap();
        announcements::answer(&mut tx, ada.id, &answer(scoped.id, "snoozed", Some(60))).await.unwrap();
        let shown = announcements::active_for(&mut tx, ada.id, now).await.unwrap();
        assert_eq!((shown.len(), shown[0].status.as_deref()), (1, Some("seen")));
        let at70 = Ts::from_micros(T0 + 70);
        assert_eq!(titles(announcements::active_for(&mut tx, ada.id, at70).await.unwrap()), ["later", "top", "all"]);
        announcements::answer(&mut tx, ada.id, &answer(later.id, "dismissed", None)).await.unwrap();
        let at200 = Ts::from_micros(T0 + 200);
        assert_eq!(
            titles(announcements::active_for(&mut tx, ada.id, at200).await.unwrap()),
            ["all"],
            "ended, dismissed"
        );
        assert_eq!(announcements::answers_of(&mut tx, ada.id).await.unwrap().len(), 3);

        let page = announcements::page(&mut tx, None, 2).await.unwrap();
        assert_eq!(page.iter().map(|a| a.id).collect::<Vec<_>>(), [later.id, scoped.id]);
        let rest = announcements::page(&mut tx, Some(scoped.id), 10).await.unwrap();
        assert_eq!(rest.iter().map(|a| a.id).collect::<Vec<_>>(), [all.id]);
        let changed = Announcement { title: "renamed".into(), ..all.clone() };
        announcements::save(&mut tx, &changed).await.unwrap();
        assert_eq!(announcements::find(&mut tx, all.id).await.unwrap().unwrap().title, "renamed");
        assert!(announcements::delete(&mut tx, all.id).await.unwrap());
        assert!(!announcements::delete(&mut tx, all.id).await.unwrap());
        assert_eq!(announcements::answers_of(&mut tx, ada.id).await.unwrap().len(), 2, "its answers went with it");
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn recipients_are_the_active_members_below_an_account_paged_by_id() {
    for engine in engines().await {
        start(&engine);
        let db = &engine.db;
        let top = insert_account(db, "Top", None).await;
        let below = insert_account(db, "Below", Some(top.id)).await;
        let mut people = Vec::new();
        for i in 0..5 {
            let u = user(&format!("r{i}@x.test"), "R");
            insert_user(db, &u).await;
            let account = if i % 2 == 0 { top.id } else { below.id };
            insert_membership(db, &membership(u.id, account, Role::Member)).await;
            people.push(u.id);
        }
        let outsider = user("out@x.test", "Out");
        insert_user(db, &outsider).await;
        people.sort_by_key(roster_domain::UserId::as_uuid);
        let mut conn = db.conn().await.unwrap();
        let first = announcements::recipients(&mut conn, Some(top.id.as_uuid()), Uuid::nil(), 3).await.unwrap();
        assert_eq!(first, people[..3]);
        let rest = announcements::recipients(&mut conn, Some(top.id.as_uuid()), first[2].as_uuid(), 3).await.unwrap();
        assert_eq!(rest, people[3..]);
        let everyone = announcements::recipients(&mut conn, None, Uuid::nil(), 100).await.unwrap();
        assert_eq!(everyone.len(), 6);
    }
}
