//! The pages in a real browser: Debian's headless Chromium driven by Playwright
//! (tests/browser/links.mjs for the link pages, tests/browser/pages.mjs for a person's whole
//! round of the self-service pages). Ignored by the plain suite; `scripts/browser-test` installs
//! Chromium and playwright-core and runs them (CI does).

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with_mail};
use crate::sinks::SmtpSink;

const NEW: &str = "seven lanterns by the old mill road";

/// Run the driver in `mode` on the page of `link` (as mailed: its base replaced by the app's).
fn drive(app: &TestApp, mode: &str, link: &str, rest: &[&str]) {
    let after_scheme = &link[link.find("://").unwrap() + 3..];
    let path = &after_scheme[after_scheme.find('/').unwrap()..];
    let url = format!("{}{path}", app.address);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    let out = Command::new("node")
        .current_dir(&dir)
        .arg("links.mjs")
        .arg(mode)
        .arg(&url)
        .args(rest)
        .output()
        .expect("node runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && stdout.trim() == "ok", "links.mjs {mode}: {stdout}\n{stderr}");
}

fn link_of(smtp: &SmtpSink, path: &str) -> String {
    smtp.messages().into_iter().rev().find_map(|m| m.link(path)).unwrap_or_else(|| panic!("a {path} link"))
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and playwright-core: scripts/browser-test"]
async fn in_chromium_opening_the_verification_link_verifies_nothing_and_the_button_does() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    app.drain().await;
    let profile = app.url("/v1/users/profile");
    let link = link_of(&smtp, "verify-email");
    tokio::task::block_in_place(|| drive(&app, "verify", &link, &[&profile, &token]));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and playwright-core: scripts/browser-test"]
async fn in_chromium_opening_the_link_to_an_added_address_confirms_nothing_and_the_button_does() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let token = app.login("ada@example.com").await;
    let body = json!({"email": "ada@work.example", "password": crate::helpers::PASSWORD});
    assert_eq!(app.put("/v1/users/email", &token, body).await.status, reqwest::StatusCode::ACCEPTED);
    app.drain().await;
    let profile = app.url("/v1/users/profile");
    let link = link_of(&smtp, "confirm-email");
    tokio::task::block_in_place(|| drive(&app, "confirm", &link, &[&profile, &token, "ada@work.example"]));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and playwright-core: scripts/browser-test"]
async fn in_chromium_the_reset_form_checks_its_fields_and_sets_the_password() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    app.post("/v1/users/recovery", None, json!({"email": "ada@example.com"})).await;
    app.drain().await;
    let link = link_of(&smtp, "reset-password");
    tokio::task::block_in_place(|| drive(&app, "reset", &link, &[NEW]));
    let login = app.post("/v1/auth/login", None, json!({"email": "ada@example.com", "password": NEW})).await;
    assert_eq!(login.status, reqwest::StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and playwright-core: scripts/browser-test"]
async fn in_chromium_an_invitation_is_accepted_with_a_new_password() {
    let (app, smtp) = spawn_app_with_mail().await;
    app.signup("ada@example.com", "Ada").await;
    let admin = app.login("ada@example.com").await;
    app.post("/v1/users", Some(&admin), json!({"email": "grace@example.com", "name": "Grace"})).await;
    app.drain().await;
    let link = link_of(&smtp, "accept-invite");
    tokio::task::block_in_place(|| drive(&app, "invite", &link, &[NEW]));
    let login = app.post("/v1/auth/login", None, json!({"email": "grace@example.com", "password": NEW})).await;
    assert_eq!(login.status, reqwest::StatusCode::OK);
    assert_eq!(login.body["user"]["status"], "active");
}

/// The pages a person uses, in Chromium, against the binary as users run it (CI points
/// `ROSTER_BIN` at the release build) with its SMTP and SMS sinks: sign-up and the mailed
/// verification link, profile and notifications read back through the API, a phone verified by
/// the texted code, two-factor set up from the page's own secret and used to sign in, a session
/// revoked on one page signing the other out, a form from another origin refused, recovery
/// through the mailed link, an error page — with no CSP violation, no horizontal scroll at
/// 375 px, and a screenshot of each page under `target/screenshots/`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and playwright-core: scripts/browser-test"]
async fn in_chromium_a_person_signs_up_verifies_secures_and_recovers_their_account_on_the_pages() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;

    let db = crate::helpers::TestDb::new().await;
    let smtp = SmtpSink::start().await;
    let sms = crate::sinks::HttpSink::start().await;
    let (smtp_url, sms_url) = (smtp.url(), sms.url("/sms"));
    let server = crate::process::Server::serve(
        &db,
        &[("ROSTER_SMTP_URL", &smtp_url), ("ROSTER_SMS_WEBHOOK_URL", &sms_url), ("ROSTER_LOG", "warn")],
    )
    .await;
    let base = server.base.clone();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shots = root.join("target/screenshots");
    let mut node = Command::new("node")
        .current_dir(root.join("tests/browser"))
        .arg("pages.mjs")
        .arg(&base)
        .arg(&shots)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs");
    let mut to_node = node.stdin.take().unwrap();
    let from_node = BufReader::new(node.stdout.take().unwrap());
    let handle = tokio::runtime::Handle::current();
    let mut last = String::new();
    tokio::task::block_in_place(|| {
        for line in from_node.lines() {
            let line = line.unwrap();
            let Some(question) = line.strip_prefix("ASK ") else {
                last = line;
                continue;
            };
            let words: Vec<&str> = question.split_whitespace().collect();
            let answer = handle.block_on(async {
                match words.as_slice() {
                    ["link", path, address] => mailed_link(&smtp, path, address, &base).await,
                    ["sms", number] => texted_code(&sms, number).await,
                    _ => panic!("pages.mjs asked {question:?}"),
                }
            });
            writeln!(to_node, "{answer}").unwrap();
        }
    });
    let status = node.wait().unwrap();
    assert!(status.success() && last == "ok", "pages.mjs failed ({status}); roster's log:\n{}", server.log());
}

/// The newest link to `path` mailed to `address`, on the server's own base (waits for the mail).
async fn mailed_link(smtp: &SmtpSink, path: &str, address: &str, base: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let found = smtp
            .messages()
            .into_iter()
            .rev()
            .filter(|m| m.to.iter().any(|to| to == address))
            .find_map(|m| m.link(path));
        if let Some(link) = found {
            let after_scheme = &link[link.find("://").unwrap() + 3..];
            return format!("{base}{}", &after_scheme[after_scheme.find('/').unwrap()..]);
        }
        assert!(std::time::Instant::now() < deadline, "no {path} link mailed to {address}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The newest 6-digit code texted to `number` (waits for the text).
async fn texted_code(sms: &crate::sinks::HttpSink, number: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let found = sms.requests().into_iter().rev().filter(|r| r.body["to"] == number).find_map(|r| {
            let body = r.body["body"].as_str().unwrap_or_default().to_owned();
            body.split(|c: char| !c.is_ascii_digit()).find(|run| run.len() == 6).map(str::to_owned)
        });
        if let Some(code) = found {
            return code;
        }
        assert!(std::time::Instant::now() < deadline, "no code texted to {number}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The console in Chromium, against the binary as users run it: an owner searches as they type,
/// suspends and reactivates a member (whose open session is refused at once), grants a scope and
/// reads "Why?", resets a member's two-factor authentication, exports a filtered list of 250 users
/// as CSV, suspends three users at once and asks who can on an account tree; a platform admin
/// sees every section and retries a dead job (tests/browser/console.mjs).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium and playwright-core: scripts/browser-test"]
async fn in_chromium_an_owner_and_a_platform_admin_run_their_teams_from_the_console() {
    let db = crate::helpers::TestDb::new().await;
    let smtp = SmtpSink::start().await;
    let smtp_url = smtp.url();
    let server = crate::process::Server::serve(&db, &[("ROSTER_SMTP_URL", &smtp_url), ("ROSTER_LOG", "warn")]).await;
    let base = server.base.clone();
    roster_core::notify::install_crypto_provider();
    let client = reqwest::Client::new();
    let signup = json!({"email": "root@example.com", "password": NEW, "name": "Root Admin"});
    let created = client.post(format!("{base}/v1/users")).json(&signup).send().await.unwrap();
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    let root: serde_json::Value = created.json().await.unwrap();
    let root_id = roster_domain::UserId::from_uuid(root["id"].as_str().unwrap().parse().unwrap());

    // Root is made a platform admin, and one job lies dead (as after an outage of the mail server).
    let store = roster_store::Db::connect(&db.url).await.unwrap();
    let login = json!({"email": "root@example.com", "password": NEW});
    let token: serde_json::Value =
        client.post(format!("{base}/v1/auth/login")).json(&login).send().await.unwrap().json().await.unwrap();
    let profile: serde_json::Value = client
        .get(format!("{base}/v1/users/profile"))
        .bearer_auth(token["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let job = roster_store::jobs::NewJob {
        id: roster_domain::JobId::new(),
        queue: roster_domain::job::Queue::Onboarding,
        kind: "onboarding.dashboard",
        payload: json!({"user_id": root_id, "account_id": profile["active_account_id"]}),
        max_attempts: 5,
        run_at: now + time::Duration::days(1),
        created_at: now,
    };
    let mut tx = store.begin().await.unwrap();
    roster_store::users::set_platform_admin(&mut tx, root_id, true).await.unwrap();
    roster_store::jobs::enqueue(&mut tx, &job).await.unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    let dead = "UPDATE jobs SET status = 'dead', attempts = 5, last_error = 'the mail server refused the connection' \
                WHERE id = $1";
    if db.postgres().is_some() {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
        sqlx::query(dead).bind(job.id.as_uuid()).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db.url).await.unwrap();
        sqlx::query(dead).bind(job.id.as_uuid()).execute(&mut conn).await.unwrap();
    }

    let root_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = tokio::task::block_in_place(|| {
        Command::new("node")
            .current_dir(root_dir.join("tests/browser"))
            .arg("console.mjs")
            .arg(&base)
            .arg(root_dir.join("target/screenshots"))
            .arg("root@example.com")
            .arg(NEW)
            .output()
            .expect("node runs")
    });
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success() && stdout.trim().ends_with("ok"),
        "console.mjs: {stdout}\n{stderr}\nroster's log:\n{}",
        server.log()
    );
}
