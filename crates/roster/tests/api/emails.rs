//! A user's email addresses: added with the password, confirmed by a single-use link mailed to
//! the new address, made the sign-in address only once confirmed (the former one told), removed;
//! one live user holds an address, whichever of its addresses it is, while an address only added
//! holds nothing against anyone (the first to confirm it or sign up with it wins); the user's
//! deletion frees them all.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Reply, TestApp, spawn_app_with_mail};
use crate::sinks::SmtpSink;

async fn add(app: &TestApp, token: &str, email: &str, primary: bool) -> Reply {
    app.put("/v1/users/email", token, json!({"email": email, "password": PASSWORD, "primary": primary})).await
}

async fn confirm(app: &TestApp, token: &str) -> Reply {
    app.post("/v1/users/email/verify", None, json!({"token": token})).await
}

async fn remove(app: &TestApp, token: &str, email: &str) -> Reply {
    app.call(Method::DELETE, "/v1/users/email", Some(token), Some(json!({"email": email}))).await
}

/// The token of the newest confirmation link mailed to `to`.
fn link_to(smtp: &SmtpSink, to: &str) -> String {
    smtp.messages()
        .into_iter()
        .rev()
        .filter(|m| m.to == [to.to_owned()])
        .find_map(|m| m.token("confirm-email"))
        .unwrap_or_else(|| panic!("a confirm-email link to {to}"))
}

fn addresses(user: &Value) -> Vec<(String, bool, bool)> {
    user["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["address"].as_str().unwrap().to_owned(),
                e["verified"].as_bool().unwrap(),
                e["primary"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn sign_in(app: &TestApp, email: &str) -> StatusCode {
    app.post("/v1/auth/login", None, json!({"email": email, "password": PASSWORD})).await.status
}

#[tokio::test]
async fn an_added_address_is_confirmed_by_the_link_mailed_to_it_and_shows_on_the_user() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (ada, token, _) = app.member("ada@example.com", "Ada").await;
    let added = add(&app, &token, "Ada@Work.example", false).await;
    assert_eq!(added.status, StatusCode::ACCEPTED, "{:?}", added.body);
    assert_eq!(added.body, json!({"status": "confirmation_sent"}));
    app.drain().await;
    let link = smtp.messages().into_iter().find_map(|m| m.link("confirm-email")).expect("a confirm-email link");
    assert!(link.starts_with("http://localhost:8080/confirm-email?token="), "{link}");
    let mail = smtp.messages().into_iter().find(|m| m.link("confirm-email").is_some()).unwrap();
    assert_eq!(mail.to, ["Ada@Work.example"], "the link goes to the new address, as typed");
    let user = app.get(&format!("/v1/users/{}", ada["id"].as_str().unwrap()), &token).await;
    assert_eq!(
        addresses(&user.body),
        [("ada@example.com".to_owned(), false, true), ("Ada@Work.example".to_owned(), false, false)]
    );

    // Another instance has the profile cached: the confirmation must reach it too.
    let other = app.second_instance().await;
    let before = other.get("/v1/users/profile", &token).await;
    assert!(!addresses(&before.body)[1].1);
    let done = confirm(&app, &link_to(&smtp, "Ada@Work.example")).await;
    let after = other.get("/v1/users/profile", &token).await;
    assert_eq!(addresses(&after.body)[1], ("Ada@Work.example".to_owned(), true, false), "not a stale cache");
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(
        addresses(&done.body),
        [("ada@example.com".to_owned(), false, true), ("Ada@Work.example".to_owned(), true, false)]
    );
    assert_eq!(done.body["email"], "ada@example.com", "the sign-in address stays");
    assert_eq!(confirm(&app, &link_to(&smtp, "Ada@Work.example")).await.code(), "invalid_token", "single use");
    assert_eq!(confirm(&app, "not-a-token").await.code(), "invalid_token");
    assert_eq!(sign_in(&app, "ada@work.example").await, StatusCode::UNAUTHORIZED, "sign-in stays by the primary");
    let listed = app.get("/v1/users/profile", &token).await;
    assert_eq!(addresses(&listed.body).len(), 2);
}

#[tokio::test]
async fn an_address_belongs_to_one_user_and_the_answer_does_not_say_which_of_theirs_it_is() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (_, ada, _) = app.member("ada@example.com", "Ada").await;
    let (_, bob, _) = app.member("bob@example.com", "Bob").await;
    assert_eq!(add(&app, &bob, "bob@work.example", false).await.status, StatusCode::ACCEPTED);
    app.drain().await;
    assert_eq!(confirm(&app, &link_to(&smtp, "bob@work.example")).await.status, StatusCode::OK);
    let primary = add(&app, &ada, "BOB@example.com", false).await;
    let secondary = add(&app, &ada, "bob@WORK.example", false).await;
    assert_eq!((primary.status, primary.code()), (StatusCode::CONFLICT, "email_taken"));
    assert_eq!(primary.body, secondary.body, "the same answer for Bob's sign-in and other address");
    let signup =
        app.post("/v1/users", None, json!({"email": "Bob@Work.example", "password": PASSWORD, "name": "B"})).await;
    assert_eq!(signup.code(), "email_taken", "a confirmed secondary address is taken for sign-ups too");

    let wrong =
        app.put("/v1/users/email", &ada, json!({"email": "ada@home.example", "password": "not it at all"})).await;
    assert_eq!((wrong.status, wrong.code()), (StatusCode::FORBIDDEN, "forbidden"));
    let bad = add(&app, &ada, "not an address", false).await;
    assert_eq!((bad.status, bad.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["email".to_owned()]));
    let unknown = app.put("/v1/users/email", &ada, json!({"email": "a@b.example", "password": PASSWORD, "x": 1})).await;
    assert_eq!(unknown.code(), "unknown_field");
    assert_eq!(add(&app, &ada, "ada@example.com", true).await.status, StatusCode::ACCEPTED, "her own: nothing to do");
    app.drain().await;
    assert!(
        smtp.messages().iter().all(|m| m.to != ["ada@example.com".to_owned()] || m.link("confirm-email").is_none())
    );
}

#[tokio::test]
async fn a_new_sign_in_address_takes_over_only_once_confirmed_and_the_former_one_is_told() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (ada, token, _) = app.member("ada@example.com", "Ada").await;
    let id = ada["id"].as_str().unwrap();
    assert_eq!(add(&app, &token, "ada@new.example", true).await.status, StatusCode::ACCEPTED);
    app.drain().await;
    assert_eq!(app.get(&format!("/v1/users/{id}"), &token).await.body["email"], "ada@example.com", "not yet");
    assert_eq!(sign_in(&app, "ada@new.example").await, StatusCode::UNAUTHORIZED);

    let done = confirm(&app, &link_to(&smtp, "ada@new.example")).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!((&done.body["email"], &done.body["email_verified"]), (&json!("ada@new.example"), &json!(true)));
    assert_eq!(
        addresses(&done.body),
        [("ada@new.example".to_owned(), true, true), ("ada@example.com".to_owned(), false, false)]
    );
    assert_eq!(sign_in(&app, "ada@new.example").await, StatusCode::OK);
    assert_eq!(sign_in(&app, "ada@example.com").await, StatusCode::UNAUTHORIZED);
    app.drain().await;
    let told: Vec<_> = smtp
        .messages()
        .into_iter()
        .filter(|m| m.header("Subject").is_some_and(|s| s.contains("sign-in email was changed")))
        .collect();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].to, ["ada@example.com"]);
    assert!(told[0].raw.contains("ada@new.example"));
    let actions: Vec<String> = app.stored_activity(id).await.into_iter().map(|(a, _)| a).collect();
    assert!(actions.contains(&"user.email_changed".to_owned()), "{actions:?}");

    // Back again: a confirmed address becomes the sign-in address at once.
    assert_eq!(add(&app, &token, "ada@example.com", true).await.status, StatusCode::ACCEPTED);
    app.drain().await;
    assert_eq!(sign_in(&app, "ada@example.com").await, StatusCode::UNAUTHORIZED, "not confirmed before: a link");
    confirm(&app, &link_to(&smtp, "ada@example.com")).await;
    assert_eq!(sign_in(&app, "ada@example.com").await, StatusCode::OK);
    assert_eq!(add(&app, &token, "ada@new.example", true).await.status, StatusCode::ACCEPTED);
    assert_eq!(sign_in(&app, "ada@new.example").await, StatusCode::OK, "confirmed already: switched at once");
}

#[tokio::test]
async fn removing_an_address_frees_it_but_the_sign_in_address_stays() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    add(&app, &token, "ada@work.example", false).await;
    app.drain().await;
    let link = link_to(&smtp, "ada@work.example");
    let primary = remove(&app, &token, "ADA@example.com").await;
    assert_eq!((primary.status, primary.code()), (StatusCode::CONFLICT, "primary_email"));
    assert_eq!(remove(&app, &token, "nobody@example.com").await.status, StatusCode::NOT_FOUND);
    let removed = remove(&app, &token, "Ada@Work.example").await;
    assert_eq!(removed.status, StatusCode::OK, "{:?}", removed.body);
    assert_eq!(addresses(&removed.body), [("ada@example.com".to_owned(), false, true)]);
    assert_eq!(confirm(&app, &link).await.code(), "invalid_token", "the link of a removed address is dead");
    app.signup("ada@work.example", "Another Ada").await;
}

#[tokio::test]
async fn a_user_has_at_most_ten_addresses() {
    let (app, _smtp) = spawn_app_with_mail().await;
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    for n in 1..10 {
        assert_eq!(add(&app, &token, &format!("ada{n}@example.com"), false).await.status, StatusCode::ACCEPTED);
    }
    let over = add(&app, &token, "ada10@example.com", false).await;
    assert_eq!((over.status, over.fields()), (StatusCode::UNPROCESSABLE_ENTITY, vec!["email".to_owned()]));
    assert_eq!(over.body["errors"][0]["code"], "too_many");
    app.clock.advance(time::Duration::seconds(61));
    assert_eq!(add(&app, &token, "ada3@example.com", false).await.status, StatusCode::ACCEPTED, "again: a new link");
}

#[tokio::test]
async fn a_link_goes_to_one_address_at_most_once_a_minute_and_five_times_an_hour() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    assert_eq!(add(&app, &token, "target@example.com", false).await.status, StatusCode::ACCEPTED);
    let soon = add(&app, &token, "target@example.com", false).await;
    assert_eq!((soon.status, soon.code()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    let wait: i64 = soon.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(remove(&app, &token, "target@example.com").await.status, StatusCode::OK);
    assert_eq!(add(&app, &token, "target@example.com", false).await.code(), "rate_limited", "removing resets nothing");
    for _ in 0..4 {
        app.clock.advance(time::Duration::seconds(61));
        assert_eq!(add(&app, &token, "target@example.com", false).await.status, StatusCode::ACCEPTED);
    }
    app.clock.advance(time::Duration::seconds(61));
    let hourly = add(&app, &token, "target@example.com", false).await;
    assert_eq!(hourly.code(), "rate_limited", "five an hour");
    assert!(hourly.header("retry-after").unwrap().parse::<i64>().unwrap() > 60);
    assert_eq!(add(&app, &token, "other@example.com", false).await.status, StatusCode::ACCEPTED, "per address");
    app.drain().await;
    let links = smtp.messages().iter().filter(|m| m.to == ["target@example.com".to_owned()]).count();
    assert!(links <= 5, "{links} links");
}

#[tokio::test]
async fn deleting_a_user_frees_every_address_it_had() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (_, owner, account) = app.member("ada@example.com", "Ada").await;
    let (bob, bob_token) = app.add_member(&owner, &account, "bob@example.com", "member").await;
    add(&app, &bob_token, "bob@work.example", false).await;
    app.drain().await;
    confirm(&app, &link_to(&smtp, "bob@work.example")).await;
    let gone = app.delete(&format!("/v1/users/{}", bob["id"].as_str().unwrap()), &owner).await;
    assert_eq!(gone.status, StatusCode::OK, "{:?}", gone.body);
    app.signup("bob@work.example", "New Bob").await;
    app.signup("bob@example.com", "Newer Bob").await;
}

#[tokio::test]
async fn an_address_never_confirmed_is_released_a_day_after_it_was_last_added() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (_, token, _) = app.member("ada@example.com", "Ada").await;
    add(&app, &token, "grace@example.com", false).await;
    add(&app, &token, "ada@work.example", false).await;
    app.drain().await;
    confirm(&app, &link_to(&smtp, "ada@work.example")).await;

    // Typed by Ada and never confirmed: it stays on her list until its link has expired…
    app.clock.advance(time::Duration::hours(23));
    assert_eq!(app.core.sweep_unconfirmed_emails().await.unwrap(), 0);
    // …added again, it stays another day from then…
    assert_eq!(add(&app, &token, "grace@example.com", false).await.status, StatusCode::ACCEPTED);
    app.clock.advance(time::Duration::hours(2));
    assert_eq!(app.core.sweep_unconfirmed_emails().await.unwrap(), 0);
    // …and then it goes; Ada's confirmed address stays.
    app.clock.advance(time::Duration::hours(23));
    assert_eq!(app.core.sweep_unconfirmed_emails().await.unwrap(), 1);
    let profile = app.get("/v1/users/profile", &token).await;
    assert_eq!(
        addresses(&profile.body),
        [("ada@example.com".to_owned(), false, true), ("ada@work.example".to_owned(), true, false)]
    );
    app.signup("grace@example.com", "Grace").await;
}

#[tokio::test]
async fn an_address_someone_only_added_does_not_keep_its_owner_from_signing_up() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (_, ada, _) = app.member("ada@example.com", "Ada").await;
    assert_eq!(add(&app, &ada, "grace@example.com", false).await.status, StatusCode::ACCEPTED);
    app.drain().await;
    let adas_link = link_to(&smtp, "grace@example.com");

    let grace =
        app.post("/v1/users", None, json!({"email": "Grace@example.com", "password": PASSWORD, "name": "Grace"})).await;
    assert_eq!(grace.status, StatusCode::CREATED, "{:?}", grace.body);
    // Ada's claim is dropped with it: her link confirms nothing, and her list no longer has it.
    assert_eq!(confirm(&app, &adas_link).await.code(), "invalid_token");
    let profile = app.get("/v1/users/profile", &ada).await;
    assert_eq!(addresses(&profile.body), [("ada@example.com".to_owned(), false, true)]);
    assert_eq!(sign_in(&app, "grace@example.com").await, StatusCode::OK);
    let again = add(&app, &ada, "grace@example.com", false).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "email_taken"));
}

#[tokio::test]
async fn of_two_users_waiting_on_one_address_the_first_to_confirm_it_holds_it() {
    let (app, smtp) = spawn_app_with_mail().await;
    let (_, ada, _) = app.member("ada@example.com", "Ada").await;
    let (_, bob, _) = app.member("bob@example.com", "Bob").await;
    assert_eq!(add(&app, &ada, "desk@example.com", false).await.status, StatusCode::ACCEPTED);
    app.drain().await;
    let adas_link = link_to(&smtp, "desk@example.com");
    assert_eq!(
        add(&app, &bob, "Desk@example.com", true).await.status,
        StatusCode::ACCEPTED,
        "Ada's claim holds nothing"
    );
    app.drain().await;
    let bobs_link = link_to(&smtp, "Desk@example.com");
    assert_ne!(adas_link, bobs_link);

    let bobs = confirm(&app, &bobs_link).await;
    assert_eq!(bobs.status, StatusCode::OK, "{:?}", bobs.body);
    assert_eq!(bobs.body["email"], "Desk@example.com", "Bob asked for it as his sign-in address");
    assert_eq!(confirm(&app, &adas_link).await.code(), "invalid_token", "Ada was second");
    let profile = app.get("/v1/users/profile", &ada).await;
    assert_eq!(addresses(&profile.body), [("ada@example.com".to_owned(), false, true)]);
    assert_eq!(add(&app, &ada, "desk@example.com", false).await.code(), "email_taken");
}
