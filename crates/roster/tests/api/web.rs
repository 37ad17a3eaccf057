//! The pages over HTTP, as a browser sends them (cookies, forms, `Origin`): the session cookie
//! and what it may reach, the form token and origin checks, the two-step sign-in, the limits'
//! message, the headers of every page, and errors as pages. The same pages in Chromium are in
//! `browser.rs`.

use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;
use serde_json::json;

use crate::helpers::{PASSWORD, enc, spawn_app, spawn_app_with, spawn_app_with_mail};
use crate::totp::code_at;
use crate::web_client::{Browser, Page};

#[tokio::test]
async fn signing_in_on_the_page_opens_a_session_in_a_cookie_that_the_api_never_accepts() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    let mut browser = Browser::new(&app);
    let page = browser.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, "/account"));
    let cookie = page.headers.get(SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cookie.starts_with("roster_session="), "{cookie}");
    for attribute in ["; Path=/", "; HttpOnly", "; SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{cookie} has {attribute}");
    }
    assert!(!cookie.contains("Secure"), "plain http: not Secure ({cookie})");
    let account = browser.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.html.contains("<h1>Your account</h1>") && account.html.contains("This device"));

    // The cookie is no way into the API.
    let session = browser.cookies["roster_session"].clone();
    let with_cookie = app
        .client
        .get(app.url("/v1/users/profile"))
        .header("Cookie", format!("roster_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), StatusCode::UNAUTHORIZED);
    // The page's session is a session like any other: listed, and in the history.
    let token = app.login("ada@example.com").await;
    let sessions = app.get("/v1/auth/sessions", &token).await;
    assert_eq!(sessions.body["data"].as_array().unwrap().len(), 2, "{:?}", sessions.body);
    let history = app.get("/v1/auth/login-history", &token).await;
    let successes = history.body["data"].as_array().unwrap().iter().filter(|a| a["success"] == true).count();
    assert_eq!(successes, 2, "{:?}", history.body);
    assert!(!account.html.contains(&token) && !account.html.contains(&session), "no token in a page");
}

#[tokio::test]
async fn a_form_without_this_sessions_token_or_from_another_site_changes_nothing() {
    let app = spawn_app().await;
    let user = app.signup("ada@example.com", "Ada").await;
    let mut browser = Browser::new(&app);
    browser.sign_in("ada@example.com", PASSWORD).await;
    let token = browser.form_token().await;
    let form = |csrf: &str| {
        vec![
            ("_csrf", csrf.to_owned()),
            ("name", "Mallory".to_owned()),
            ("timezone", "UTC".into()),
            ("locale", "en".into()),
        ]
    };
    let as_pairs = |f: &Vec<(&'static str, String)>| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    for (origin, csrf) in
        [("http://evil.example", token.as_str()), (app.address.as_str(), "forged"), (app.address.as_str(), "")]
    {
        let fields = as_pairs(&form(csrf));
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = browser.post_from(origin, "/account/profile", &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{origin} {csrf}");
        assert!(page.html.contains("Request refused"));
    }
    let id = user["id"].as_str().unwrap();
    assert_eq!(app.stored_user(id).await.unwrap().name, "Ada", "nothing changed");
    // Another session's token is not this one's.
    let mut other = Browser::new(&app);
    other.sign_in("ada@example.com", PASSWORD).await;
    let others = other.form_token().await;
    assert_ne!(others, token);
    let fields = as_pairs(&form(&others));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(browser.post("/account/profile", &fields).await.status, StatusCode::FORBIDDEN);

    let fields = as_pairs(&form(&token));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = browser.post("/account/profile", &fields).await;
    assert_eq!((saved.status, saved.location()), (StatusCode::SEE_OTHER, "/account?notice=profile-saved#profile"));
    assert_eq!(app.stored_user(id).await.unwrap().name, "Mallory");
    // A sign-in form from another site is refused too (no signing a victim into our account).
    let mut fresh = Browser::new(&app);
    let refused = fresh
        .post_from("http://evil.example", "/sign-in", &[("email", "ada@example.com"), ("password", PASSWORD)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(fresh.cookies.is_empty());
}

#[tokio::test]
async fn a_session_revoked_anywhere_signs_the_browser_out_at_once() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    let mut browser = Browser::new(&app);
    browser.sign_in("ada@example.com", PASSWORD).await;
    let token = app.login("ada@example.com").await;
    let sessions = app.get("/v1/auth/sessions", &token).await;
    let page_session =
        sessions.body["data"].as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"].clone();
    let revoked = app.delete(&format!("/v1/auth/sessions/{}", page_session.as_str().unwrap()), &token).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let page = browser.get("/account").await;
    assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, "/sign-in"));
    assert!(browser.cookies.is_empty(), "the dead cookie is removed");

    // And "Sign out" on the page ends the page's session in the API's list.
    browser.sign_in("ada@example.com", PASSWORD).await;
    let csrf = browser.form_token().await;
    let out = browser.post("/sign-out", &[("_csrf", &csrf)]).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/sign-in?notice=signed-out"));
    let sessions = app.get("/v1/auth/sessions", &token).await;
    assert_eq!(sessions.body["data"].as_array().unwrap().len(), 1, "only the API's session is left");
}

#[tokio::test]
async fn wrong_passwords_on_the_page_count_in_the_limits_and_say_when_to_try_again() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    let mut browser = Browser::new(&app);
    let wrong = browser.sign_in("ada@example.com", "not the password at all").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("role=\"alert\">Wrong email or password."), "{}", wrong.html);
    assert!(wrong.html.contains("value=\"ada@example.com\""), "the address stays in its field");
    let mut last = wrong;
    for _ in 0..12 {
        last = browser.sign_in("ada@example.com", "not the password at all").await;
        if last.status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(last.html.contains("Too many attempts, try again in 15 minutes."), "{}", last.html);
    assert!(last.headers.get("retry-after").is_some());
    // The API sees the same limit.
    let api = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": PASSWORD})).await;
    assert_eq!(api.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn with_two_factor_on_the_page_asks_for_a_code_and_only_a_right_one_signs_in() {
    let app = spawn_app_with(|o| o.clock = roster_core::Clock::pinned(time::OffsetDateTime::now_utc())).await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    let (seed, _) = crate::mfa::enrol(&app, &token).await;
    let mut browser = Browser::new(&app);
    let step = browser.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(step.status, StatusCode::OK);
    assert!(step.html.contains("<label for=\"code\">Code</label>") && step.html.contains(">Verify</button>"));
    assert!(browser.cookies.contains_key("roster_mfa") && !browser.cookies.contains_key("roster_session"));
    let wrong = browser.post("/sign-in/code", &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("That code is not right."));
    // The enrolment spent this step's code: the next step's.
    app.clock.advance(time::Duration::seconds(30));
    let code = code_at(&seed, app.clock.now().unix_timestamp());
    let right = browser.post("/sign-in/code", &[("code", &code)]).await;
    assert_eq!((right.status, right.location()), (StatusCode::SEE_OTHER, "/account"));
    assert!(browser.cookies.contains_key("roster_session") && !browser.cookies.contains_key("roster_mfa"));
    // The same code again (another browser) is refused: each step is accepted once.
    let mut again = Browser::new(&app);
    again.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(again.post("/sign-in/code", &[("code", &code)]).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_page_sends_its_safety_headers_and_pages_with_secrets_are_never_stored() {
    let app = spawn_app().await;
    app.signup("ada@example.com", "Ada").await;
    let mut browser = Browser::new(&app);
    for path in ["/sign-in", "/sign-up", "/recover"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_safe(&page, path);
    }
    browser.sign_in("ada@example.com", PASSWORD).await;
    let account = browser.get("/account").await;
    assert_safe(&account, "/account");
    let csrf = account.form_token();
    let set_up = browser.post("/account/two-factor/set-up", &[("_csrf", &csrf)]).await;
    assert_eq!(set_up.status, StatusCode::OK);
    assert_safe(&set_up, "two-factor set-up");
    assert!(set_up.html.contains("<svg") && set_up.html.contains("id=\"totp-secret\""));
    assert_eq!(set_up.headers["cache-control"], "no-store");
}

fn assert_safe(page: &Page, path: &str) {
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    assert_eq!(page.headers["x-content-type-options"], "nosniff", "{path}");
    assert_eq!(page.headers["referrer-policy"], "same-origin", "{path}");
    assert_eq!(page.headers["cache-control"], "no-store", "{path}");
    let inline_script = page.html.split("<script").skip(1).any(|tag| !tag.trim_start().starts_with("src="));
    assert!(!inline_script && !page.html.contains(" style="), "{path}: no inline script or style");
}

#[tokio::test]
async fn a_browser_gets_pages_for_errors_and_a_closed_sign_up_is_not_there() {
    let app = spawn_app_with(|o| o.settings.signup = roster::config::Signup::Invite).await;
    let mut browser = Browser::new(&app);
    let missing = browser.get("/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(missing.html.contains("Page not found"));
    let api = app.client.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(api.headers()["content-type"], "application/problem+json", "a client that does not ask for HTML");
    assert_eq!(browser.get("/sign-up").await.status, StatusCode::NOT_FOUND);
    let posted =
        browser.post("/sign-up", &[("name", "Eve"), ("email", "eve@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(posted.status, StatusCode::NOT_FOUND);
    assert!(!browser.get("/sign-in").await.html.contains("/sign-up"), "no link to a closed sign-up");
    // A signed-in page without a session leads to the sign-in page and back.
    let account = browser.get("/account?notice=x").await;
    assert_eq!(account.location(), "/sign-in?next=%2Faccount%3Fnotice%3Dx");
}

#[tokio::test]
async fn recovery_from_the_page_answers_the_same_for_any_address_and_mails_only_a_user() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    app.drain().await;
    let before = smtp.messages().len();
    let mut browser = Browser::new(&app);
    let known = browser.post("/recover", &[("email", "ada@example.com")]).await;
    let unknown = browser.post("/recover", &[("email", "nobody@example.com")]).await;
    assert_eq!((known.status, unknown.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(known.html.replace("ada@example.com", "X"), unknown.html.replace("nobody@example.com", "X"));
    app.drain().await;
    let sent: Vec<_> = smtp.messages().into_iter().skip(before).collect();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].link("reset-password").is_some());
}

#[tokio::test]
async fn signing_up_on_the_page_signs_in_and_mails_the_verification_link() {
    let (app, smtp) = spawn_app_with_mail().await;
    let mut browser = Browser::new(&app);
    let short = browser.post("/sign-up", &[("name", "Ada"), ("email", "ada@example.com"), ("password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.html.contains("id=\"password_error\""), "the policy's message beside the field");
    let created =
        browser.post("/sign-up", &[("name", "Ada"), ("email", "ada@example.com"), ("password", PASSWORD)]).await;
    assert_eq!((created.status, created.location()), (StatusCode::SEE_OTHER, "/account?notice=welcome"));
    let account = browser.get("/account?notice=welcome").await;
    assert!(account.html.contains("open its link to confirm your address"));
    app.drain().await;
    assert!(smtp.messages().iter().any(|m| m.link("verify-email").is_some()));
}

#[tokio::test]
async fn an_announcement_is_a_banner_that_dismiss_and_snooze_take_away() {
    let app = spawn_app().await;
    let (ada, token, _) = app.member("ada@example.com", "Ada").await;
    app.make_platform_admin(ada["id"].as_str().unwrap()).await;
    for title in ["Maintenance on Sunday", "New reports"] {
        let reply = app.post("/v1/announcements", Some(&token), json!({"title": title, "body": "Read me."})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    let mut browser = Browser::new(&app);
    browser.sign_in("ada@example.com", PASSWORD).await;
    let page = browser.get("/account").await;
    assert!(page.html.contains("aria-label=\"Announcement: Maintenance on Sunday\""));
    assert!(page.html.contains(">Dismiss</button>") && page.html.contains(">Snooze</button>"));
    let banner_action = |html: &str, title: &str| {
        let at = html.find(&format!("Announcement: {title}")).unwrap();
        let form = &html[at..];
        let start = form.find("action=\"").unwrap() + 8;
        form[start..].split('"').next().unwrap().to_owned()
    };
    let csrf = page.form_token();
    let dismiss = banner_action(&page.html, "Maintenance on Sunday");
    let snooze = banner_action(&page.html, "New reports");
    // htmx swaps the banner away with the empty answer; without script the page comes back.
    let request = app
        .client
        .post(app.url(&dismiss))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Origin", &app.address)
        .header("HX-Request", "true")
        .header("Cookie", browser.cookie_header())
        .body(format!("_csrf={}&answer=dismiss", enc(&csrf)));
    let answered = browser.page(request).await;
    assert_eq!((answered.status, answered.html.as_str()), (StatusCode::OK, ""));
    let snoozed = browser.post(&snooze, &[("_csrf", &csrf), ("answer", "snooze")]).await;
    assert_eq!(snoozed.status, StatusCode::SEE_OTHER);
    let page = browser.get("/account").await;
    assert!(!page.html.contains("Announcement: "), "both are gone");
    let mine = app.get("/v1/users/announcements", &token).await;
    assert!(mine.body["data"].as_array().unwrap().is_empty(), "{:?}", mine.body);
}
