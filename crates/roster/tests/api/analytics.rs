//! The analytics queue seen from outside: logins and active days per user, one job per user and
//! day, and who may read them.

use reqwest::StatusCode;
use roster_core::Clock;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn analytics_counts_logins_and_active_days_for_those_who_may_see_them() {
    let app = spawn_app().await;
    let (user, token, _) = app.member("ada@example.com", "Ada").await;
    app.login("ada@example.com").await;
    let id = user["id"].as_str().unwrap();
    let before = app.get(&format!("/v1/users/{id}/analytics"), &token).await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.body["logins_7d"], 0, "nothing is counted until the analytics queue ran");
    app.drain().await;
    let after = app.get(&format!("/v1/users/{id}/analytics"), &token).await;
    assert_eq!(after.body["logins_7d"], 2);
    assert_eq!(after.body["logins_30d"], 2);
    assert_eq!(after.body["active_days_30d"], 1);
    assert!(after.body["last_active_at"].as_str().unwrap().ends_with('Z'));
    // Running the queue again changes nothing (recomputed, not incremented).
    app.drain().await;
    assert_eq!(app.get(&format!("/v1/users/{id}/analytics"), &token).await.body, after.body);

    let (_, stranger, _) = app.member("eve@example.com", "Eve").await;
    assert_eq!(app.get(&format!("/v1/users/{id}/analytics"), &stranger).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_users_day_is_one_analytics_job_however_many_entries_and_it_runs_again_after_new_ones() {
    let app = spawn_app().await;
    let (user, token, _) = app.member("ada@example.com", "Ada").await;
    let id = user["id"].as_str().unwrap();
    for _ in 0..5 {
        app.login("ada@example.com").await;
    }
    let analytics_jobs = |jobs: Vec<(String, String)>| jobs.iter().filter(|(_, k)| k == "analytics.activity").count();
    assert_eq!(analytics_jobs(app.jobs_for(id).await), 1, "sign-up and six logins: one job for the day");
    app.drain().await;
    assert_eq!(app.get(&format!("/v1/users/{id}/analytics"), &token).await.body["logins_7d"], 6);
    // After it ran, a new entry queues the same job again, and it counts the new one too.
    app.login("ada@example.com").await;
    assert_eq!(analytics_jobs(app.jobs_for(id).await), 1);
    app.drain().await;
    assert_eq!(app.get(&format!("/v1/users/{id}/analytics"), &token).await.body["logins_7d"], 7);
}

#[tokio::test]
async fn analytics_windows_are_seven_and_thirty_days_and_members_readers_see_them() {
    let app = spawn_app_with(|o| o.clock = Clock::pinned(time::OffsetDateTime::now_utc())).await;
    let (_, owner, account) = app.member("owner@example.com", "Owner").await;
    let (user, _) = app.add_member(&owner, &account, "ada@example.com", "member").await;
    let id = user["id"].as_str().unwrap();
    app.login("ada@example.com").await;
    app.clock.advance(time::Duration::days(10));
    app.login("ada@example.com").await;
    app.login("ada@example.com").await;
    app.drain().await;
    // Sessions idle for 7 days end: the owner signs in again to look.
    let owner = app.login("owner@example.com").await;
    let seen_by_owner = app.get(&format!("/v1/users/{id}/analytics"), &owner).await;
    assert_eq!(seen_by_owner.status, StatusCode::OK, "users.read in a shared account");
    assert_eq!(seen_by_owner.body["logins_7d"], 2, "{:?}", seen_by_owner.body);
    assert_eq!(seen_by_owner.body["logins_30d"], 4, "add_member signs the new member in once more");
    assert_eq!(seen_by_owner.body["active_days_30d"], 2);
    app.clock.advance(time::Duration::days(25));
    let owner = app.login("owner@example.com").await;
    let later = app.get(&format!("/v1/users/{id}/analytics"), &owner).await;
    assert_eq!((later.body["logins_7d"].as_i64(), later.body["logins_30d"].as_i64()), (Some(0), Some(2)));
    assert_eq!(later.body["active_days_30d"], 1);
}
