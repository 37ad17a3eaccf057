//! The console over HTTP (`/console`): who gets in and which sections they see, the users list
//! (search, paging, CSV export, bulk actions, invite), a user's page and its buttons, the jobs
//! and the audit log. The same console in Chromium is in `browser.rs`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app};
use crate::web_client::Browser;

/// An owner of an account, signed in on the pages: (the app's browser, owner id, account id).
async fn owner_in_browser<'a>(app: &'a TestApp, email: &str) -> (Browser<'a>, String, String, String) {
    let (user, token, account) = app.member(email, "Olive Owner").await;
    let mut browser = Browser::new(app);
    let signed_in = browser.sign_in(email, PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.html);
    (browser, user["id"].as_str().unwrap().to_owned(), token, account)
}

fn links_of(html: &str, nav: &str) -> Vec<String> {
    let start = html.find(&format!("aria-label=\"{nav}\"")).expect("the navigation");
    let end = start + html[start..].find("</nav>").unwrap();
    html[start..end]
        .split("\">")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The `href` of the link whose attributes go on with `marker`.
fn link_before(html: &str, marker: &str) -> String {
    let before = html.split(marker).next().unwrap();
    before.rsplit("href=\"").next().unwrap().split('"').next().unwrap().replace("&#38;", "&").replace("&amp;", "&")
}

#[tokio::test]
async fn the_console_is_for_those_who_read_users_and_shows_platform_sections_only_to_platform_admins() {
    let app = spawn_app().await;
    let (mut owner, owner_id, owner_token, account) = owner_in_browser(&app, "olive@x.test").await;
    let users = owner.get("/console/users").await;
    assert_eq!(users.status, StatusCode::OK, "{}", users.html);
    assert_eq!(links_of(&users.html, "Console"), ["Users", "Accounts"]);
    assert_eq!(owner.get("/console").await.location(), "/console/users");
    assert_eq!(owner.get("/console/jobs").await.status, StatusCode::FORBIDDEN);
    assert_eq!(owner.get("/console/audit").await.status, StatusCode::FORBIDDEN);

    // A viewer holds users.read; a viewer denied it does not, and gets the 403 page.
    app.add_member(&owner_token, &account, "vera@x.test", "viewer").await;
    let (denied, _) = app.add_member(&owner_token, &account, "dan@x.test", "viewer").await;
    let reply = app
        .put(
            &format!("/v1/users/{}/scope", denied["id"].as_str().unwrap()),
            &owner_token,
            json!({"deny": ["users.read"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let mut viewer = Browser::new(&app);
    viewer.sign_in("vera@x.test", PASSWORD).await;
    assert_eq!(viewer.get("/console/users").await.status, StatusCode::OK);
    let mut dan = Browser::new(&app);
    dan.sign_in("dan@x.test", PASSWORD).await;
    let refused = dan.get("/console/users").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.html.contains("Not allowed"));
    // Signed out: to the sign-in page, and back afterwards.
    let mut stranger = Browser::new(&app);
    assert_eq!(stranger.get("/console/users").await.location(), "/sign-in?next=%2Fconsole%2Fusers");

    app.make_platform_admin(&owner_id).await;
    let users = owner.get("/console/users").await;
    assert_eq!(links_of(&users.html, "Console"), ["Users", "Accounts", "Jobs", "Audit log", "Announcements"]);
    assert_eq!(owner.get("/console/jobs").await.status, StatusCode::OK);
    assert_eq!(owner.get("/console/audit").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_users_list_searches_pages_both_ways_and_keeps_the_chosen_columns() {
    let app = spawn_app().await;
    let (mut owner, _, token, _) = owner_in_browser(&app, "olive@x.test").await;
    for i in 0..25 {
        let reply = app
            .post(
                "/v1/users",
                Some(&token),
                json!({"email": format!("p{i:02}@x.test"), "name": format!("Person {i:02}")}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    app.post("/v1/users", Some(&token), json!({"email": "grace@x.test", "name": "Grace Hopper"})).await;

    let found = owner.get("/console/users?q=hopper").await;
    assert!(found.html.contains("Grace Hopper") && !found.html.contains("Person 01"), "{}", found.html);

    let first = owner.get("/console/users?sort=email").await;
    assert!(
        first.html.contains("grace@x.test") && first.html.contains("p17@x.test") && !first.html.contains("p18@x.test"),
        "{}",
        first.html
    );
    assert!(!first.html.contains("rel=\"prev\""));
    let next = link_before(&first.html, "rel=\"next\"");
    let second = owner.get(&next).await;
    assert!(second.html.contains("p18@x.test") && !second.html.contains("p17@x.test"), "{}", second.html);
    let previous = link_before(&second.html, "rel=\"prev\"");
    let back = owner.get(&previous).await;
    assert!(back.html.contains("p17@x.test") && !back.html.contains("p18@x.test"), "{}", back.html);

    // The columns: MFA and Created chosen, Email dropped; kept in the dashboard preferences.
    let csrf = first.form_token();
    let saved = owner
        .post(
            "/console/users/columns",
            &[("_csrf", &csrf), ("column", "name"), ("column", "created"), ("column", "mfa")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = owner.get("/console/users").await;
    assert!(page.html.contains("<th scope=\"col\">MFA</th>") && !page.html.contains("<th scope=\"col\">Email</th>"));
    let config = app.get("/v1/users/config", &token).await;
    assert_eq!(config.body["dashboard"]["console_user_columns"], json!(["name", "created", "mfa"]));
}

#[tokio::test]
async fn the_csv_export_holds_every_filtered_user_and_neutralises_formulas() {
    let app = spawn_app().await;
    let (mut owner, _, token, _) = owner_in_browser(&app, "olive@x.test").await;
    for i in 0..250 {
        let name = if i == 7 { "=HYPERLINK(\"http://127.0.0.1:9/\",\"x\")".to_owned() } else { format!("Crew {i:03}") };
        let reply =
            app.post("/v1/users", Some(&token), json!({"email": format!("crew{i:03}@x.test"), "name": name})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    app.post("/v1/users", Some(&token), json!({"email": "other@y.test", "name": "Someone Else"})).await;
    let csv = owner.get("/console/users.csv?q=crew&status=invited").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.html.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "id,name,email,status,role,email_verified,phone,mfa,created_at,last_login_at");
    assert_eq!(lines.len(), 251, "a header and 250 rows");
    let formula = lines.iter().find(|l| l.contains("crew007@x.test")).unwrap();
    assert!(formula.contains(",\"'=HYPERLINK(\"\"http://127.0.0.1:9/\"\",\"\"x\"\")\","), "{formula}");
    assert!(
        formula.contains(",crew007@x.test,invited,member,false,,false,"),
        "status, role, no phone, no MFA: {formula}"
    );
    assert!(!csv.html.contains("Someone Else"));
}

#[tokio::test]
async fn bulk_suspend_applies_to_each_selected_user_and_says_each_result() {
    let app = spawn_app().await;
    let (mut owner, owner_id, token, account) = owner_in_browser(&app, "olive@x.test").await;
    let mut ids = Vec::new();
    for name in ["ann", "ben", "cat"] {
        let (user, _) = app.add_member(&token, &account, &format!("{name}@x.test"), "member").await;
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    let csrf = owner.get("/console/users").await.form_token();
    let mut form = vec![("_csrf", csrf.as_str()), ("action", "suspend")];
    form.extend(ids.iter().map(|id| ("user", id.as_str())));
    form.push(("user", owner_id.as_str()));
    let done = owner.post("/console/users/bulk", &form).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert_eq!(done.html.matches("Suspended.").count(), 3, "{}", done.html);
    assert!(done.html.contains("Olive Owner"), "one's own row says why not: {}", done.html);
    for id in &ids {
        assert_eq!(app.stored_user(id).await.unwrap().status.as_str(), "suspended");
    }
    let mut back = vec![("_csrf", csrf.as_str()), ("action", "reactivate")];
    back.extend(ids.iter().map(|id| ("user", id.as_str())));
    let again = owner.post("/console/users/bulk", &back).await;
    assert_eq!(again.html.matches("Reactivated.").count(), 3);
    let nothing = owner.post("/console/users/bulk", &[("_csrf", csrf.as_str()), ("action", "suspend")]).await;
    assert!(nothing.html.contains("Select one or more users first."));
}

#[tokio::test]
async fn on_a_users_page_an_owner_suspends_resets_two_factor_and_sees_why_a_scope_is_held() {
    let app = spawn_app().await;
    let (mut owner, owner_id, token, account) = owner_in_browser(&app, "olive@x.test").await;
    let (member, member_token) = app.add_member(&token, &account, "mia@x.test", "member").await;
    let id = member["id"].as_str().unwrap();
    crate::mfa::enrol(&app, &member_token).await;
    let page = owner.get(&format!("/console/users/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    for part in ["Suspend", "Sign out everywhere", "Reset two-factor", "Sign-ins per day", "Save membership", "Delete"]
    {
        assert!(page.html.contains(part), "{part} on the page");
    }
    let csrf = page.form_token();

    // A grant, then "Why?".
    let saved = owner
        .post(
            &format!("/console/users/{id}/scope"),
            &[("_csrf", &csrf), ("account_id", &account), ("role", "member"), ("grant", "billing"), ("deny", "")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let why = owner.get(&format!("/console/users/{id}?why=billing&why_account={account}")).await;
    assert!(why.html.contains("granted by grant billing"), "{}", why.html);

    // Reset two-factor: the member signs in with the password alone.
    let reset = owner.post(&format!("/console/users/{id}/two-factor/reset"), &[("_csrf", &csrf)]).await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    let login = app.post("/v1/auth/login", None, json!({"email": "mia@x.test", "password": PASSWORD})).await;
    assert!(login.body["token"].is_string(), "{:?}", login.body);

    // Suspend: the member's open session is refused at once.
    let suspended =
        owner.post(&format!("/console/users/{id}/status"), &[("_csrf", &csrf), ("status", "suspended")]).await;
    assert_eq!(suspended.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/v1/users/profile", &member_token).await.status, StatusCode::UNAUTHORIZED);
    let page = owner.get(&format!("/console/users/{id}?notice=suspended")).await;
    assert!(page.html.contains("Reactivate") && page.html.contains("The user is suspended"));
    owner.post(&format!("/console/users/{id}/status"), &[("_csrf", &csrf), ("status", "active")]).await;
    assert_eq!(app.stored_user(id).await.unwrap().status.as_str(), "active");

    // The owner's own page has none of these buttons.
    let own = owner.get(&format!("/console/users/{owner_id}")).await;
    assert!(!own.html.contains(">Suspend<") && !own.html.contains("Reset two-factor"));
    // A user the owner cannot see is not there.
    let (stranger, _, _) = app.member("sam@y.test", "Sam").await;
    let absent = owner.get(&format!("/console/users/{}", stranger["id"].as_str().unwrap())).await;
    assert_eq!(absent.status, StatusCode::NOT_FOUND);
    assert_eq!(owner.get("/console/users/not-an-id").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_of_one_of_two_accounts_sees_the_user_without_the_buttons_of_a_change_to_the_whole_user() {
    let app = spawn_app().await;
    let (_, owner_token, account) = app.member("olive@x.test", "Olive").await;
    let (_, other_token, other_account) = app.member("otto@x.test", "Otto").await;
    let (shared, _) = app.add_member(&owner_token, &account, "sue@x.test", "member").await;
    let id = shared["id"].as_str().unwrap();
    app.join(id, &other_account, "member", &[]).await;
    let (_, _) = app.add_member(&owner_token, &account, "adam@x.test", "admin").await;
    let _ = other_token;
    let mut admin = Browser::new(&app);
    admin.sign_in("adam@x.test", PASSWORD).await;
    let page = admin.get(&format!("/console/users/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.html.contains(">Suspend<") && !page.html.contains("Reset two-factor") && !page.html.contains(">Delete<")
    );
}

#[tokio::test]
async fn inviting_from_the_list_mails_the_new_address_with_the_role() {
    let app = spawn_app().await;
    let (mut owner, _, token, account) = owner_in_browser(&app, "olive@x.test").await;
    let csrf = owner.get("/console/users").await.form_token();
    let invited =
        owner.post("/console/users/invite", &[("_csrf", &csrf), ("email", "new@x.test"), ("role", "admin")]).await;
    assert_eq!(invited.status, StatusCode::OK);
    assert!(invited.html.contains("We sent an invitation to new@x.test."), "{}", invited.html);
    let members = app.get(&format!("/v1/accounts/{account}/members?q=new@x.test"), &token).await;
    assert_eq!(members.body["data"][0]["role"], "admin", "{:?}", members.body);
    let bad = owner.post("/console/users/invite", &[("_csrf", &csrf), ("email", "nope"), ("role", "member")]).await;
    assert!(bad.html.contains("Not invited"), "{}", bad.html);
}
