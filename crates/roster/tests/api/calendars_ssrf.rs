//! SSRF (the contact-channels issue §7): with `ROSTER_ALLOW_PRIVATE_URLS` off (the default), a
//! feed on a loopback address is refused at subscription however it is written (IPv4, IPv6,
//! mapped, a name that resolves to it), and a redirect to one is refused when it is followed —
//! a name at connect time, by the resolver, so a name that changes its answer gets no further.
//! One loopback server is "public" here (`fetch_exempt`, by address and port) to play the
//! outside server that redirects inward.

use reqwest::StatusCode;
use serde_json::json;

use crate::calendars::{listed, subscribe};
use crate::feeds::{Feed, FeedServer, calendar};
use crate::helpers::{spawn_app, spawn_app_with};

const SECRET: &str =
    "BEGIN:VEVENT\r\nUID:secret@internal\r\nSUMMARY:Internal\r\nDTSTART:20261201T100000Z\r\nEND:VEVENT\r\n";

#[tokio::test]
async fn with_private_urls_off_a_feed_on_loopback_is_refused_at_subscription_however_it_is_written() {
    let app = spawn_app().await;
    let v4 = FeedServer::start().await;
    let v6 = FeedServer::start_v6().await;
    v4.put("secret.ics", Feed::Ics { body: calendar(SECRET), etag: None });
    v6.put("secret.ics", Feed::Ics { body: calendar(SECRET), etag: None });
    app.signup("ada@example.com", "Ada").await;
    let ada = app.login("ada@example.com").await;
    let port = v4.addr().port();

    for url in [
        v4.url("secret.ics"),
        v6.url("secret.ics"),
        format!("http://localhost:{port}/secret.ics"),
        format!("http://[::ffff:127.0.0.1]:{port}/secret.ics"),
        format!("http://127.1:{port}/secret.ics"),
        format!("http://2130706433:{port}/secret.ics"),
        format!("http://0.0.0.0:{port}/secret.ics"),
    ] {
        let reply =
            app.post("/v1/users/calendars", Some(&ada), json!({"provider": "ics", "name": "x", "url": url})).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {:?}", reply.body);
        assert_eq!(reply.body["errors"][0]["field"], "url");
        assert_eq!(reply.body["errors"][0]["code"], "private_address", "{url}");
    }
    assert!(v4.hits().is_empty() && v6.hits().is_empty(), "nothing was fetched");
    assert_eq!(app.get("/v1/users/calendars", &ada).await.body["data"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn a_redirect_to_loopback_is_refused_when_followed_whether_an_address_or_a_name() {
    let outside = FeedServer::start().await;
    let inside = FeedServer::start().await;
    let exempt = outside.addr();
    let app = spawn_app_with(|o| o.fetch_exempt = vec![exempt]).await;
    inside.put("secret.ics", Feed::Ics { body: calendar(SECRET), etag: None });
    outside.put("public.ics", Feed::Ics { body: calendar(""), etag: None });
    let port = inside.addr().port();
    let targets = [
        ("to-address", inside.url("secret.ics")),
        ("to-name", format!("http://localhost:{port}/secret.ics")),
        ("to-v6", format!("http://[::1]:{port}/secret.ics")),
        ("to-mapped", format!("http://[::ffff:127.0.0.1]:{port}/secret.ics")),
        ("to-ftp", format!("ftp://127.0.0.1:{port}/secret.ics")),
    ];
    app.signup("ada@example.com", "Ada").await;
    let ada = app.login("ada@example.com").await;

    // The exemption is the outside server's alone (its port): the inside one is still refused.
    let direct = app
        .post(
            "/v1/users/calendars",
            Some(&ada),
            json!({"provider": "ics", "name": "x", "url": inside.url("secret.ics")}),
        )
        .await;
    assert_eq!(direct.status, StatusCode::UNPROCESSABLE_ENTITY);
    let public = subscribe(&app, &ada, &outside.url("public.ics")).await;

    let mut ids = Vec::new();
    for (path, to) in &targets {
        outside.put(path, Feed::Redirect(to.clone()));
        ids.push(subscribe(&app, &ada, &outside.url(path)).await["id"].clone());
    }
    app.drain().await;
    assert_eq!(listed(&app, &ada, &public["id"]).await["status"], "ok", "the outside feed itself is read");
    for ((path, _), id) in targets.iter().zip(&ids) {
        let calendar = listed(&app, &ada, id).await;
        assert_eq!(calendar["status"], "error", "{path}: {calendar}");
        let error = calendar["last_error"].as_str().unwrap();
        let expected = if *path == "to-ftp" { "not http or https" } else { "non-public address" };
        assert!(error.contains(expected), "{path}: {error}");
        assert_eq!(outside.hits_of(path).len(), 1, "{path}: the redirect was asked for");
    }
    assert!(inside.hits().is_empty(), "the inside server was never reached");
}
