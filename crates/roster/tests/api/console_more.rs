//! The console's accounts (tree, members, workspaces, who can) and the platform admin's pages
//! (jobs with retry, the audit log, announcements) over HTTP.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app};
use crate::web_client::Browser;

async fn sub_account(app: &TestApp, token: &str, name: &str, parent: &str) -> String {
    let reply = app.post("/v1/accounts", Some(token), json!({"name": name, "parent_id": parent})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_accounts_tree_nests_sub_accounts_and_an_account_page_adds_removes_and_says_who_can() {
    let app = spawn_app().await;
    let (_, token, root) = app.member("olive@x.test", "Olive Owner").await;
    let mut parent = root.clone();
    let mut chain = Vec::new();
    for level in 1..8 {
        parent = sub_account(&app, &token, &format!("Level {level}"), &parent).await;
        chain.push(parent.clone());
    }
    let mut owner = Browser::new(&app);
    owner.sign_in("olive@x.test", PASSWORD).await;
    let tree = owner.get("/console/accounts").await;
    assert_eq!(tree.status, StatusCode::OK);
    let opened = tree.html.find("Level 1").unwrap();
    let deepest = tree.html.find("Level 7").unwrap();
    assert!(opened < deepest);
    assert_eq!(tree.html.matches("<details open>").count(), 7, "eight levels, the last a leaf: {}", tree.html);

    // Members: add by email (a new address is invited), search, remove.
    let page = owner.get(&format!("/console/accounts/{root}")).await;
    assert!(page.html.contains("Add member") && page.html.contains("Who can"), "{}", page.html);
    let csrf = page.form_token();
    let added = owner
        .post(
            &format!("/console/accounts/{root}/members"),
            &[("_csrf", &csrf), ("email", "nia@x.test"), ("role", "admin")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    let listed = owner.get(added.location()).await;
    assert!(listed.html.contains("nia@x.test") && listed.html.contains("admin"), "{}", listed.html);
    let nia = app.get(&format!("/v1/accounts/{root}/members?q=nia"), &token).await.body["data"][0]["user_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Who can: the owner by role (Nia has not accepted her invitation yet).
    let who = owner.get(&format!("/console/accounts/{root}?scope=users.delete")).await;
    assert!(who.html.contains("Who holds users.delete") && who.html.contains("granted by role owner"), "{}", who.html);
    // Inherited down the tree.
    let below = owner.get(&format!("/console/accounts/{}?scope=users.read", chain[3])).await;
    assert!(below.html.contains("inherited from account"), "{}", below.html);

    let removed = owner.post(&format!("/console/accounts/{root}/members/{nia}/remove"), &[("_csrf", &csrf)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let after = app.get(&format!("/v1/accounts/{root}/members?q=nia"), &token).await;
    assert_eq!(after.body["data"], json!([]));

    // Another tenant's account is not there.
    let (_, _, other) = app.member("otto@y.test", "Otto").await;
    assert_eq!(owner.get(&format!("/console/accounts/{other}")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_viewer_sees_members_without_the_buttons_to_change_them() {
    let app = spawn_app().await;
    let (_, token, account) = app.member("olive@x.test", "Olive").await;
    app.add_member(&token, &account, "vera@x.test", "viewer").await;
    let mut viewer = Browser::new(&app);
    viewer.sign_in("vera@x.test", PASSWORD).await;
    let page = viewer.get(&format!("/console/accounts/{account}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("olive@x.test"));
    assert!(!page.html.contains(">Remove<") && !page.html.contains(">Add member<"), "{}", page.html);
}

#[tokio::test]
async fn a_platform_admin_retries_a_dead_job_reads_the_audit_log_and_runs_announcements() {
    let app = spawn_app().await;
    let (admin, _, _) = app.member("root@x.test", "Root").await;
    app.make_platform_admin(admin["id"].as_str().unwrap()).await;
    app.drain().await;
    let job = app.enqueue_raw("sms.teleport", json!({})).await;
    app.drain().await;

    let mut root = Browser::new(&app);
    root.sign_in("root@x.test", PASSWORD).await;
    let jobs = root.get("/console/jobs").await;
    assert!(jobs.html.contains("sms.teleport") && jobs.html.contains("unknown job kind"), "{}", jobs.html);
    assert!(jobs.html.contains("<svg class=\"chart\" role=\"img\""), "{}", jobs.html);
    assert!(jobs.html.contains("notifications dead: 1"), "the chart says each value: {}", jobs.html);
    let csrf = jobs.form_token();
    let retried = root.post(&format!("/console/jobs/{job}/retry"), &[("_csrf", &csrf)]).await;
    assert_eq!(retried.status, StatusCode::SEE_OTHER, "{}", retried.html);
    let mut conn = app.core.store().conn().await.unwrap();
    let stored = roster_store::job_queue::find(&mut conn, job).await.unwrap().unwrap();
    assert_eq!(stored.status, roster_domain::job::JobStatus::Queued);
    drop(conn);

    let audit = root.get("/console/audit?actor=root%40x.test").await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.html);
    assert!(audit.html.contains("user.login") || audit.html.contains("user.created"), "{}", audit.html);
    let unknown = root.get("/console/audit?user=nobody%40x.test").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.html.contains("no user has the address nobody@x.test"));

    let page = root.get("/console/announcements").await;
    let csrf = page.form_token();
    let created = root
        .post(
            "/console/announcements",
            &[("_csrf", &csrf), ("title", "Maintenance"), ("body", "Sunday 02:00 UTC"), ("account", "")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let listed = root.get("/console/announcements").await;
    assert!(listed.html.contains("Maintenance") && listed.html.contains("showing"), "{}", listed.html);
    let id =
        listed.html.split("action=\"/console/announcements/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let edited = root
        .post(
            &format!("/console/announcements/{id}"),
            &[
                ("_csrf", &csrf),
                ("title", "Maintenance moved"),
                ("body", "Monday"),
                ("starts_at", ""),
                ("ends_at", ""),
                ("account", ""),
            ],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.html);
    let ended = root.post(&format!("/console/announcements/{id}/end"), &[("_csrf", &csrf)]).await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.html);
    let listed = root.get("/console/announcements").await;
    assert!(listed.html.contains("Maintenance moved") && listed.html.contains(">ended<"), "{}", listed.html);
    let bad = root.post("/console/announcements", &[("_csrf", &csrf), ("title", ""), ("body", "")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}
