//! `/v1/accounts/{id}/members`: list, add (existing users and new addresses), remove.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with_mail};

#[tokio::test]
async fn an_existing_user_of_another_tenant_is_added_by_email_and_told_so() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (_, owner, agency) = app.member("owner@agency.test", "Owner").await;
    let (grace, grace_token, _) = app.member("grace@client.test", "Grace").await;
    let grace_id = grace["id"].as_str().unwrap().to_owned();
    app.drain().await;
    let before = smtp.messages().len();

    let path = format!("/v1/accounts/{agency}/members");
    let reply = app
        .post(&path, Some(&owner), json!({"email": "Grace@Client.test", "role": "admin", "deny": ["users.delete"]}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.header("location").unwrap(), format!("{path}/{grace_id}"));
    assert_eq!(reply.body["user_id"], grace_id.as_str());
    assert_eq!(reply.body["account_id"], agency.as_str());
    assert_eq!(reply.body["role"], "admin");
    assert_eq!(reply.body["deny"], json!(["users.delete"]));
    assert_eq!(reply.body["email"], "grace@client.test");
    let effective = reply.body["effective"].as_array().unwrap();
    assert!(effective.contains(&json!("users.update")) && !effective.contains(&json!("users.delete")));

    let again = app.post(&path, Some(&owner), json!({"user_id": grace_id})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "conflict");

    app.drain().await;
    let mails = smtp.messages();
    let told: Vec<_> = mails[before..].iter().filter(|m| m.to == ["grace@client.test".to_owned()]).collect();
    assert_eq!(told.len(), 1, "one 'you were added' mail");
    assert!(told[0].header("subject").unwrap().contains("Owner's account"));
    let accounts = app.get("/v1/accounts", &grace_token).await;
    assert_eq!(accounts.body["data"].as_array().unwrap().len(), 2);
    let account = app.get(&format!("/v1/accounts/{agency}"), &owner).await;
    assert_eq!(account.body["seats_used"], 2, "the sync queue counted the seat");
    let trail = app.stored_activity(&grace_id).await;
    assert!(trail.iter().any(|(action, changes)| action == "membership.created" && changes["role"] == "admin"));
    let kinds = app.jobs_for(&grace_id).await;
    assert!(kinds.contains(&("sync".into(), "sync.member".into())), "{kinds:?}");
    assert!(kinds.contains(&("sync".into(), "event.deliver".into())));
}

#[tokio::test]
async fn a_new_address_is_invited_into_the_account() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let reply = app
        .post(
            &format!("/v1/accounts/{account}/members"),
            Some(&owner),
            json!({"email": "new@x.test", "role": "viewer"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["status"], "invited");
    assert_eq!(reply.body["role"], "viewer");
    app.drain().await;
    let invitation = smtp.messages().into_iter().find(|m| m.to == ["new@x.test".to_owned()]).expect("a mail");
    assert!(invitation.token("accept-invite").is_some(), "the invitation of POST /v1/users");
}

#[tokio::test]
async fn adding_checks_the_callers_rights_and_the_body() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (_, admin) = app.add_member(&owner, &account, "admin@x.test", "admin").await;
    let (_, viewer) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;
    let (stranger, stranger_token, _) = app.member("s@y.test", "Stranger").await;
    let path = format!("/v1/accounts/{account}/members");

    let by_viewer = app.post(&path, Some(&viewer), json!({"email": "v@x.test"})).await;
    assert_eq!(by_viewer.status, StatusCode::FORBIDDEN);
    let by_stranger = app.post(&path, Some(&stranger_token), json!({"email": "v@x.test"})).await;
    assert_eq!(by_stranger.status, StatusCode::NOT_FOUND);
    let owner_by_admin = app.post(&path, Some(&admin), json!({"email": "o@x.test", "role": "owner"})).await;
    assert_eq!(owner_by_admin.status, StatusCode::FORBIDDEN);
    let billing_by_admin = app.post(&path, Some(&admin), json!({"email": "b@x.test", "grant": ["billing"]})).await;
    assert_eq!(billing_by_admin.status, StatusCode::FORBIDDEN, "admins do not hold billing");
    let unseen = app.post(&path, Some(&admin), json!({"user_id": stranger["id"]})).await;
    assert_eq!(unseen.status, StatusCode::NOT_FOUND, "a user the caller cannot see, by id");

    let bad =
        app.post(&path, Some(&owner), json!({"role": "boss", "grant": ["users", "teleport"], "deny": "all"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = app.post(&path, Some(&owner), json!({"role": "boss", "grant": ["users", "teleport"]})).await;
    assert_eq!(bad.fields(), ["role", "grant.1", "user_id"]);
    let both = app.post(&path, Some(&owner), json!({"user_id": stranger["id"], "email": "s@y.test"})).await;
    assert_eq!(both.fields(), ["email"]);
}

#[tokio::test]
async fn the_member_list_has_the_list_conventions_of_users() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    for (email, role) in [("a@x.test", "viewer"), ("b@x.test", "admin"), ("c@x.test", "viewer")] {
        app.add_member(&owner, &account, email, role).await;
    }
    let path = format!("/v1/accounts/{account}/members");
    let all = app.get(&format!("{path}?include_total=true&sort=email"), &owner).await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    assert_eq!(all.emails(), ["a@x.test", "b@x.test", "c@x.test", "owner@x.test"]);
    assert_eq!(all.body["total"], 4);
    assert_eq!(all.body["data"][1]["role"], "admin");
    assert_eq!(all.body["data"][1]["name"], "b@x.test");
    let viewers = app.get(&format!("{path}?role=viewer&sort=-email&limit=1"), &owner).await;
    assert_eq!(viewers.emails(), ["c@x.test"]);
    let cursor = viewers.body["next_cursor"].as_str().unwrap();
    let next = app.get(&format!("{path}?role=viewer&sort=-email&limit=1&cursor={cursor}"), &owner).await;
    assert_eq!(next.emails(), ["a@x.test"]);
    let found = app.get(&format!("{path}?q=OWNER"), &owner).await;
    assert_eq!(found.emails(), ["owner@x.test"]);
    let bad = app.get(&format!("{path}?role=boss&account_id={account}"), &owner).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, stranger, _) = app.member("s@y.test", "Stranger").await;
    assert_eq!(app.get(&path, &stranger).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn removing_a_member_takes_the_account_from_its_sessions_at_once() {
    let app = spawn_app().await;
    let (owner_user, owner, account) = app.member("owner@x.test", "Owner").await;
    let (grace, grace_token, grace_home) = app.member("grace@y.test", "Grace").await;
    let grace_id = grace["id"].as_str().unwrap();
    let path = format!("/v1/accounts/{account}/members");
    assert_eq!(app.post(&path, Some(&owner), json!({"user_id": grace_id})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.post(&path, Some(&owner), json!({"email": "grace@y.test"})).await.status, StatusCode::CREATED);
    let switched = app.post("/v1/auth/switch-account", Some(&grace_token), json!({"account_id": account})).await;
    assert_eq!(switched.status, StatusCode::OK);
    assert_eq!(app.get("/v1/users", &grace_token).await.status, StatusCode::OK);

    let removed = app.delete(&format!("{path}/{grace_id}"), &owner).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{:?}", removed.body);
    let profile = app.get("/v1/users/profile", &grace_token).await;
    assert_eq!(profile.body["active_account_id"], grace_home.as_str(), "fell back to its own account");
    let listed = app.get(&format!("/v1/users?account_id={account}"), &grace_token).await;
    assert_eq!(listed.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("{path}/{grace_id}"), &owner).await.status, StatusCode::NOT_FOUND);
    let trail = app.stored_activity(grace_id).await;
    assert!(trail.iter().any(|(action, _)| action == "membership.deleted"));
    app.drain().await;
    assert_eq!(app.get(&format!("/v1/accounts/{account}"), &owner).await.body["seats_used"], 1);

    let owner_id = owner_user["id"].as_str().unwrap();
    let last = app.delete(&format!("{path}/{owner_id}"), &owner).await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert_eq!(last.code(), "last_owner");
}

#[tokio::test]
async fn an_admin_removes_members_but_not_owners_and_anyone_may_leave() {
    let app = spawn_app().await;
    let (owner_user, owner, account) = app.member("owner@x.test", "Owner").await;
    let (_, admin) = app.add_member(&owner, &account, "admin@x.test", "admin").await;
    let (viewer, viewer_token) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;
    let (leaver, leaver_token) = app.add_member(&owner, &account, "leaver@x.test", "viewer").await;
    let path = format!("/v1/accounts/{account}/members");
    let owner_id = owner_user["id"].as_str().unwrap();
    let viewer_id = viewer["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("{path}/{owner_id}"), &admin).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&format!("{path}/{owner_id}"), &viewer_token).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&format!("{path}/{viewer_id}"), &admin).await.status, StatusCode::NO_CONTENT);
    let leaver_id = leaver["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("{path}/{leaver_id}"), &leaver_token).await.status, StatusCode::NO_CONTENT);
    let profile = app.get("/v1/users/profile", &leaver_token).await;
    assert_eq!(profile.body["active_account_id"], Value::Null);
    // A user left with no account still signs in.
    let login = app.post("/v1/auth/login", None, json!({"email": "leaver@x.test", "password": PASSWORD})).await;
    assert_eq!(login.status, StatusCode::OK);
}

#[tokio::test]
async fn the_same_user_added_twice_at_once_is_added_once() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (grace, _, _) = app.member("grace@y.test", "Grace").await;
    let path = format!("/v1/accounts/{account}/members");
    let body = json!({"email": grace["email"]});
    let (a, b) = tokio::join!(app.post(&path, Some(&owner), body.clone()), app.post(&path, Some(&owner), body.clone()));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{:?} {:?}", a.body, b.body);
    let members = app.get(&format!("{path}?include_total=true"), &owner).await;
    assert_eq!(members.body["total"], 2);
}

#[tokio::test]
async fn a_scope_change_tells_the_member_always_and_the_admins_by_their_preference() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (quiet, _) = app.add_member(&owner, &account, "quiet@x.test", "admin").await;
    let (_, admin) = app.add_member(&owner, &account, "admin@x.test", "admin").await;
    let (target, _) = app.add_member(&owner, &account, "target@x.test", "viewer").await;
    // The target turned product mail off (security notices go all the same); so did one admin.
    for who in [&target, &quiet] {
        let id = roster_domain::UserId::from_uuid(who["id"].as_str().unwrap().parse().unwrap());
        let mut tx = app.core.store().begin().await.unwrap();
        let mut config = roster_store::preferences::get(&mut tx, id).await.unwrap().unwrap();
        config["notifications"]["email"]["product"] = json!(false);
        roster_store::preferences::upsert(&mut tx, id, &config, roster_store::Ts::new(app.clock.now())).await.unwrap();
        tx.commit().await.unwrap();
    }
    app.drain().await;
    let before = smtp.messages().len();

    let path = format!("/v1/users/{}/scope", target["id"].as_str().unwrap());
    assert_eq!(app.put(&path, &admin, json!({"role": "member"})).await.status, StatusCode::OK);
    app.drain().await;
    let mails = smtp.messages();
    let mut told: Vec<(String, String)> =
        mails[before..].iter().map(|m| (m.to[0].clone(), m.header("subject").unwrap_or_default())).collect();
    told.sort();
    assert_eq!(
        told,
        [
            ("owner@x.test".to_owned(), "Access to Owner's account changed".to_owned()),
            ("target@x.test".to_owned(), "Access to Owner's account changed".to_owned()),
        ],
        "the member (security), the owner (product); not the changer, not the admin who opted out"
    );
    let to_target = mails[before..].iter().find(|m| m.to == ["target@x.test".to_owned()]).unwrap();
    assert!(
        to_target.decoded().contains("changed your access to Owner's account")
            && to_target.decoded().contains("member")
    );
}
