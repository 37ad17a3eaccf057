//! `PUT /v1/users/{id}/scope`, `GET /v1/users/{id}/permissions`, `GET /v1/accounts/{id}/access`
//! and `GET /v1/users/{id}/associated`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

fn id(user: &Value) -> String {
    user["id"].as_str().unwrap().to_owned()
}

async fn scope(app: &TestApp, token: &str, user: &str, body: Value) -> crate::helpers::Reply {
    app.put(&format!("/v1/users/{user}/scope"), token, body).await
}

#[tokio::test]
async fn an_admin_changes_a_members_role_and_it_holds_on_the_next_request() {
    let app = spawn_app().await;
    let (_, owner, account) = app.member("owner@x.test", "Owner").await;
    let (admin_user, admin) = app.add_member(&owner, &account, "admin@x.test", "admin").await;
    let (viewer, viewer_token) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;
    let viewer_id = id(&viewer);
    assert_eq!(app.get(&format!("/v1/users/{}/activity", id(&admin_user)), &viewer_token).await.status, StatusCode::OK);
    let update = json!({"title": "x"});
    assert_eq!(app.put(&format!("/v1/users/{viewer_id}"), &viewer_token, update.clone()).await.status, StatusCode::OK);

    let reply =
        scope(&app, &admin, &viewer_id, json!({"role": "member", "grant": ["users.create"], "deny": ["calendars"]}))
            .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["role"], "member");
    assert_eq!(reply.body["grant"], json!(["users.create"]));
    assert_eq!(reply.body["deny"], json!(["calendars"]));
    let effective = reply.body["effective"].as_array().unwrap();
    assert!(effective.contains(&json!("users.create")) && !effective.contains(&json!("calendars")));

    // The very next request of the member sees it.
    let created = app
        .post("/v1/users", Some(&viewer_token), json!({"email": "new@x.test", "name": "New", "role": "viewer"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let trail = app.stored_activity(&viewer_id).await;
    let (_, changes) = trail.iter().find(|(action, _)| action == "user.scope_updated").expect("audited");
    assert_eq!(changes["before"]["role"], "viewer");
    assert_eq!(changes["after"]["role"], "member");
    let kinds = app.jobs_for(&viewer_id).await;
    assert!(kinds.contains(&("notifications".into(), "permissions.changed".into())), "{kinds:?}");

    // Nothing sent keeps what it had.
    let kept = scope(&app, &admin, &viewer_id, json!({"role": "viewer"})).await;
    assert_eq!(kept.body["grant"], json!(["users.create"]));
}

#[tokio::test]
async fn escalation_self_and_owners_are_refused() {
    let app = spawn_app().await;
    let (owner_user, owner, account) = app.member("owner@x.test", "Owner").await;
    let (admin_user, admin) = app.add_member(&owner, &account, "admin@x.test", "admin").await;
    let (viewer, viewer_token) = app.add_member(&owner, &account, "viewer@x.test", "viewer").await;
    let (member, _) = app.add_member(&owner, &account, "member@x.test", "member").await;
    let (stranger, stranger_token, _) = app.member("s@y.test", "Stranger").await;

    let cases = [
        (&admin, id(&member), json!({"role": "owner"}), StatusCode::FORBIDDEN, "forbidden"),
        (&admin, id(&member), json!({"grant": ["billing"]}), StatusCode::FORBIDDEN, "forbidden"),
        (&admin, id(&owner_user), json!({"role": "viewer"}), StatusCode::CONFLICT, "last_owner"),
        (&admin, id(&admin_user), json!({"role": "owner"}), StatusCode::FORBIDDEN, "forbidden"),
        (&viewer_token, id(&member), json!({"role": "viewer"}), StatusCode::FORBIDDEN, "forbidden"),
        (
            &stranger_token,
            id(&member),
            json!({"role": "viewer", "account_id": account}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (&admin, id(&stranger), json!({"role": "viewer"}), StatusCode::NOT_FOUND, "not_found"),
        (&admin, id(&member), json!({"role": "chief"}), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        (&admin, id(&member), json!({"grant": ["users.fly"]}), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        (
            &admin,
            id(&member),
            json!({"role": "admin", "owner": true}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
        ),
    ];
    for (token, user, body, status, code) in cases {
        let reply = scope(&app, token, &user, body.clone()).await;
        assert_eq!((reply.status, reply.code()), (status, code), "{body} on {user}: {:?}", reply.body);
    }
    let own = scope(&app, &owner, &id(&owner_user), json!({"role": "admin"})).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "nobody changes their own role");
    // A second owner makes the first one demotable, by an owner only.
    assert_eq!(scope(&app, &owner, &id(&viewer), json!({"role": "owner"})).await.status, StatusCode::OK);
    assert_eq!(scope(&app, &admin, &id(&owner_user), json!({"role": "viewer"})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(scope(&app, &viewer_token, &id(&owner_user), json!({"role": "admin"})).await.status, StatusCode::OK);
    // Taking away a deny the caller could not grant is an escalation too.
    let (denied, _) = app.add_member(&owner, &account, "denied@x.test", "viewer").await;
    scope(&app, &viewer_token, &id(&denied), json!({"grant": ["billing"], "deny": ["billing"]})).await;
    let lift = scope(&app, &admin, &id(&denied), json!({"deny": []})).await;
    assert_eq!(lift.status, StatusCode::FORBIDDEN, "{:?}", lift.body);
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let app = spawn_app().await;
    let (a, a_token, account) = app.member("a@x.test", "A").await;
    let (b, b_token) = app.add_member(&a_token, &account, "b@x.test", "owner").await;
    for _ in 0..3 {
        let (a_id, b_id) = (id(&a), id(&b));
        let (x, y) = tokio::join!(
            scope(&app, &a_token, &b_id, json!({"role": "admin"})),
            scope(&app, &b_token, &a_id, json!({"role": "admin"})),
        );
        let mut outcome = [(x.status.as_u16(), x.code().to_owned()), (y.status.as_u16(), y.code().to_owned())];
        outcome.sort();
        assert_eq!(outcome[0].0, 200, "{outcome:?}");
        assert_eq!(outcome[1], (409, "last_owner".to_owned()), "{outcome:?}");
        let owners = app.get(&format!("/v1/accounts/{account}/members?role=owner&include_total=true"), &a_token).await;
        let owners = if owners.status == StatusCode::OK {
            owners
        } else {
            app.get(&format!("/v1/accounts/{account}/members?role=owner&include_total=true"), &b_token).await
        };
        assert_eq!(owners.body["total"], 1, "the account keeps exactly one owner");
        // Make both owners again for the next round.
        let remaining = if owners.body["data"][0]["user_id"] == a["id"] { &a_token } else { &b_token };
        let demoted = if owners.body["data"][0]["user_id"] == a["id"] { id(&b) } else { id(&a) };
        assert_eq!(scope(&app, remaining, &demoted, json!({"role": "owner"})).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn permissions_explain_the_role_the_grant_the_deny_and_inheritance() {
    let app = spawn_app().await;
    let (_, owner, agency) = app.member("owner@x.test", "Owner").await;
    let client =
        app.post("/v1/accounts", Some(&owner), json!({"name": "Client", "parent_id": agency})).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let (admin, admin_token) = app.add_member(&owner, &agency, "admin@x.test", "admin").await;
    scope(&app, &owner, &id(&admin), json!({"grant": ["billing"], "deny": ["users.delete"]})).await;
    let path =
        |check: &str, account: &str| format!("/v1/users/{}/permissions?account_id={account}&check={check}", id(&admin));

    let granted = app.get(&path("billing", &agency), &owner).await;
    assert_eq!(granted.status, StatusCode::OK, "{:?}", granted.body);
    assert_eq!(granted.body["role"], "admin");
    assert_eq!(
        granted.body["check"],
        json!({"scope": "billing", "allowed": true, "because": "granted by grant billing"})
    );
    let denied = app.get(&path("users.delete", &agency), &admin_token).await;
    assert_eq!(denied.body["check"]["allowed"], false);
    assert_eq!(denied.body["check"]["because"], "denied by deny users.delete");
    let inherited = app.get(&path("users.update", &client), &owner).await;
    assert_eq!(inherited.body["account_id"], client.as_str());
    assert_eq!(inherited.body["membership_account_id"], agency.as_str());
    let because = inherited.body["check"]["because"].as_str().unwrap();
    assert!(
        because.contains("role admin") && because.contains("Owner's account") && because.contains(&agency),
        "{because}"
    );
    let not = app.get(&path("accounts.delete", &agency), &owner).await;
    assert_eq!(not.body["check"]["allowed"], false);
    let unknown = app.get(&path("users.fly", &agency), &owner).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, stranger, _) = app.member("s@y.test", "Stranger").await;
    assert_eq!(app.get(&path("billing", &agency), &stranger).await.status, StatusCode::NOT_FOUND);
    let platform = app.signup("root@x.test", "Root").await;
    app.make_platform_admin(&id(&platform)).await;
    let root = app.login("root@x.test").await;
    let own =
        app.get(&format!("/v1/users/{}/permissions?account_id={agency}&check=billing", id(&platform)), &root).await;
    assert_eq!(own.body["check"]["because"], "platform admin");
}

#[tokio::test]
async fn access_lists_who_holds_a_scope_directly_and_by_inheritance() {
    let app = spawn_app().await;
    let (owner_user, owner, agency) = app.member("owner@x.test", "Owner").await;
    let client =
        app.post("/v1/accounts", Some(&owner), json!({"name": "Client", "parent_id": agency})).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let (admin, _) = app.add_member(&owner, &agency, "admin@x.test", "admin").await;
    let (denied, _) = app.add_member(&owner, &agency, "denied@x.test", "admin").await;
    scope(&app, &owner, &id(&denied), json!({"deny": ["users.delete"]})).await;
    let (granted, _) = app.add_member(&owner, &client, "granted@x.test", "viewer").await;
    scope(&app, &owner, &id(&granted), json!({"account_id": client, "grant": ["users.delete"]})).await;
    app.add_member(&owner, &client, "viewer@x.test", "viewer").await;
    // A member of the agency demoted in the client by its own membership there.
    app.post(&format!("/v1/accounts/{client}/members"), Some(&owner), json!({"user_id": id(&admin), "role": "viewer"}))
        .await;
    let root = app.signup("root@x.test", "Root").await;
    app.make_platform_admin(&id(&root)).await;

    let path = format!("/v1/accounts/{client}/access?scope=users.delete");
    let reply = app.get(&path, &owner).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["scope"], "users.delete");
    assert_eq!(reply.body["account_id"], client.as_str());
    let mut holders: Vec<(String, String)> = reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["email"].as_str().unwrap().to_owned(), h["because"].as_str().unwrap().to_owned()))
        .collect();
    holders.sort();
    assert_eq!(holders.len(), 2, "{holders:?}");
    assert_eq!(holders[0], ("granted@x.test".to_owned(), "granted by grant users.delete".to_owned()));
    assert_eq!(holders[1].0, "owner@x.test");
    assert!(holders[1].1.contains("inherited from account") && holders[1].1.contains(&agency), "{holders:?}");

    let with_admins = app.get(&format!("{path}&include_platform_admins=true"), &owner).await;
    assert_eq!(with_admins.status, StatusCode::FORBIDDEN, "tenants do not learn who the platform admins are");
    let root_token = app.login("root@x.test").await;
    let with_admins = app.get(&format!("{path}&include_platform_admins=true"), &root_token).await;
    let admins: Vec<&Value> =
        with_admins.body["data"].as_array().unwrap().iter().filter(|h| h["because"] == "platform admin").collect();
    assert_eq!(admins.len(), 1);
    assert_eq!(admins[0]["user_id"], root["id"]);
    assert_eq!(with_admins.body["data"].as_array().unwrap().len(), 3);
    // Nor through /permissions: a platform admin with no membership here is nobody to a tenant.
    let probe = app.get(&format!("/v1/users/{}/permissions?account_id={client}", id(&root)), &owner).await;
    assert_eq!(probe.status, StatusCode::NOT_FOUND);

    // A suspended holder holds nothing.
    let suspended = app.put(&format!("/v1/users/{}", id(&granted)), &owner, json!({"status": "suspended"})).await;
    assert_eq!(suspended.status, StatusCode::OK, "{:?}", suspended.body);
    let now = app.get(&path, &owner).await;
    assert_eq!(now.body["data"].as_array().unwrap().len(), 1);
    app.put(&format!("/v1/users/{}", id(&granted)), &owner, json!({"status": "active"})).await;

    let mut seen = Vec::new();
    let mut page = app.get(&format!("{path}&limit=1"), &owner).await;
    loop {
        seen.extend(page.body["data"].as_array().unwrap().iter().map(|h| h["user_id"].clone()));
        let Some(cursor) = page.body["next_cursor"].as_str() else { break };
        page = app.get(&format!("{path}&limit=1&cursor={cursor}"), &owner).await;
    }
    assert_eq!(seen.len(), 2);
    assert!(seen.contains(&owner_user["id"]));
    assert_eq!(
        app.get(&format!("/v1/accounts/{client}/access"), &owner).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let bad = app.get(&format!("/v1/accounts/{client}/access?scope=nope"), &owner).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn associated_shows_accounts_workspaces_and_contacts_the_caller_may_see() {
    let app = spawn_app().await;
    let (_, owner, agency) = app.member("owner@x.test", "Owner").await;
    let (grace, grace_token, grace_home) = app.member("grace@y.test", "Grace").await;
    app.post(&format!("/v1/accounts/{agency}/members"), Some(&owner), json!({"email": "grace@y.test"})).await;
    let workspace = app.post(&format!("/v1/accounts/{agency}/workspaces"), Some(&owner), json!({"name": "Ops"})).await;
    let workspace = workspace.body["id"].as_str().unwrap().to_owned();
    let added = app
        .post(
            &format!("/v1/workspaces/{workspace}/members"),
            Some(&owner),
            json!({"user_id": id(&grace), "role": "lead"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    app.drain().await;

    let by_owner = app.get(&format!("/v1/users/{}/associated", id(&grace)), &owner).await;
    assert_eq!(by_owner.status, StatusCode::OK, "{:?}", by_owner.body);
    let accounts: Vec<&str> =
        by_owner.body["accounts"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(accounts, [agency.as_str()], "not Grace's own account, which the owner cannot see");
    assert_eq!(by_owner.body["accounts"][0]["role"], "member");
    assert_eq!(by_owner.body["workspaces"][0]["id"], workspace.as_str());
    assert_eq!(by_owner.body["workspaces"][0]["role"], "lead");
    assert_eq!(by_owner.body["contacts"][0]["account_id"], agency.as_str());
    assert_eq!(by_owner.body["contacts"][0]["email"], "grace@y.test");

    let by_self = app.get(&format!("/v1/users/{}/associated", id(&grace)), &grace_token).await;
    assert_eq!(by_self.body["accounts"].as_array().unwrap().len(), 2);
    assert!(by_self.body["accounts"].as_array().unwrap().iter().any(|a| a["id"] == grace_home.as_str()));
    let (_, stranger, _) = app.member("s@z.test", "Stranger").await;
    assert_eq!(app.get(&format!("/v1/users/{}/associated", id(&grace)), &stranger).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_sub_account_admin_cannot_demote_an_agency_owner_by_adding_them_below() {
    let app = spawn_app().await;
    let (owner_user, owner, agency) = app.member("owner@agency.test", "Owner").await;
    let client =
        app.post("/v1/accounts", Some(&owner), json!({"name": "Client", "parent_id": agency})).await.body["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let (_, client_admin) = app.add_member(&owner, &client, "admin@client.test", "admin").await;
    let path = format!("/v1/accounts/{client}/members");
    let demote = app.post(&path, Some(&client_admin), json!({"email": "owner@agency.test", "role": "viewer"})).await;
    assert_eq!(demote.status, StatusCode::FORBIDDEN, "{:?}", demote.body);
    // By id the agency's owner is not even visible: none of its accounts is one of the admin's.
    let by_id = app.post(&path, Some(&client_admin), json!({"user_id": id(&owner_user), "role": "viewer"})).await;
    assert_eq!(by_id.status, StatusCode::NOT_FOUND);
    let role = app.get(&format!("/v1/users/{}/permissions?account_id={client}", id(&owner_user)), &owner).await;
    assert_eq!(role.body["role"], "owner", "still the agency's owner down there");
}

#[tokio::test]
async fn an_owner_denied_everything_is_no_owner_to_fall_back_on() {
    let app = spawn_app().await;
    let (a, a_token, account) = app.member("a@x.test", "A").await;
    let (b, _) = app.add_member(&a_token, &account, "b@x.test", "owner").await;
    // B keeps the owner role but is denied everything: A is the only owner who can act...
    let path = format!("/v1/accounts/{account}/members/{}", id(&a));
    assert_eq!(scope(&app, &a_token, &id(&b), json!({"deny": ["*"]})).await.status, StatusCode::OK);
    // ...so A cannot leave.
    let leave = app.delete(&path, &a_token).await;
    assert_eq!((leave.status, leave.code()), (StatusCode::CONFLICT, "last_owner"));
    // Lifting the deny makes B a full owner again, and A free to go.
    assert_eq!(scope(&app, &a_token, &id(&b), json!({"deny": []})).await.status, StatusCode::OK);
    assert_eq!(app.delete(&path, &a_token).await.status, StatusCode::NO_CONTENT);
}
