//! Delivery against real receivers: the SMTP and HTTP sinks of roster-testkit, `.eml` files in a
//! temporary directory, and ports where nothing listens.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use super::*;

use roster_testkit::{HTTP_SINK_FAILURE_BODY, HttpSink, SmtpSink};

const WAIT: Duration = Duration::from_secs(10);

fn config() -> NotifyConfig {
    NotifyConfig {
        public_url: "https://roster.example.com/".into(),
        smtp_url: None,
        mail_dir: temp_dir(),
        mail_from: "Roster <no-reply@roster.test>".into(),
        sms_webhook_url: None,
        push_webhook_url: None,
        events_webhook_url: None,
        events_secret: None,
    }
}

/// A directory of this test's own that does not exist yet.
fn temp_dir() -> PathBuf {
    std::env::temp_dir().join(format!("roster-notify-{}", uuid::Uuid::now_v7())).join("mail")
}

/// A local port where nothing listens.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// A notifier that mails through `url`.
fn smtp_notifier(url: String) -> Notifier {
    Notifier::new(NotifyConfig { smtp_url: Some(url), ..config() }).unwrap()
}

fn verification(to: &str, notifier: &Notifier, token: &str) -> Mail {
    Template::EmailVerification { name: "Ada".into(), link: notifier.link("verify-email", token) }.render(to).unwrap()
}

#[test]
fn links_are_built_from_the_public_url_with_the_token_encoded() {
    let notifier = Notifier::new(config()).unwrap();
    assert_eq!(notifier.link("verify-email", "abc-_9"), "https://roster.example.com/verify-email?token=abc-_9");
    assert_eq!(
        notifier.link("reset-password", "a+b/c=&d"),
        "https://roster.example.com/reset-password?token=a%2Bb%2Fc%3D%26d"
    );
    let notifier = Notifier::new(NotifyConfig { public_url: "http://localhost:8080".into(), ..config() }).unwrap();
    assert_eq!(notifier.link("accept-invite", "t"), "http://localhost:8080/accept-invite?token=t");
}

#[test]
fn bad_settings_are_refused_by_name_without_echoing_secrets() {
    let refused = |config: NotifyConfig, var: &str| {
        let Err(e) = Notifier::new(config) else { panic!("accepted a bad {var}") };
        assert!(e.contains(var), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    };
    refused(
        NotifyConfig { smtp_url: Some("smtp://u:hunter2@host?tls=sometimes".into()), ..config() },
        "ROSTER_SMTP_URL",
    );
    refused(NotifyConfig { smtp_url: Some("imap://u:hunter2@host".into()), ..config() }, "ROSTER_SMTP_URL");
    refused(NotifyConfig { mail_from: "not an address".into(), ..config() }, "ROSTER_MAIL_FROM");
    refused(NotifyConfig { public_url: "roster.example.com".into(), ..config() }, "ROSTER_PUBLIC_URL");
    refused(NotifyConfig { sms_webhook_url: Some("ftp://hunter2@x".into()), ..config() }, "ROSTER_SMS_WEBHOOK_URL");
    refused(NotifyConfig { push_webhook_url: Some("nonsense".into()), ..config() }, "ROSTER_PUSH_WEBHOOK_URL");
    refused(NotifyConfig { events_webhook_url: Some("http://x/e".into()), ..config() }, "ROSTER_EVENTS_SECRET");
    // Blank values count as unset.
    let blank = NotifyConfig { smtp_url: Some(" ".into()), sms_webhook_url: Some(String::new()), ..config() };
    assert!(Notifier::new(blank).is_ok());
}

#[tokio::test]
async fn without_smtp_each_mail_is_an_eml_file() {
    let config = config();
    let dir = config.mail_dir.clone();
    let notifier = Notifier::new(config).unwrap();
    notifier.send_mail(&verification("ada@example.com", &notifier, "tok-1")).await.unwrap();
    notifier.send_mail(&Template::Welcome { name: "Ada".into() }.render("ada@example.com").unwrap()).await.unwrap();

    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    for name in &names {
        let (millis, rest) = name.split_once('-').unwrap();
        assert!(millis.parse::<u64>().unwrap() > 1_700_000_000_000, "{name}");
        let uuid = rest.strip_suffix(".eml").unwrap();
        assert!(uuid::Uuid::parse_str(uuid).is_ok(), "{name}");
    }
    let raw = std::fs::read_to_string(dir.join(&names[0])).unwrap();
    let mail = roster_testkit::ReceivedMail { from: String::new(), to: vec![], raw: raw.clone() };
    assert_eq!(mail.header("From").as_deref(), Some("Roster <no-reply@roster.test>"));
    assert_eq!(mail.header("To").as_deref(), Some("ada@example.com"));
    assert_eq!(mail.header("Subject").as_deref(), Some("Verify your email address"));
    assert!(mail.header("Message-ID").unwrap().ends_with("@roster.test>"));
    assert!(mail.header("Content-Type").unwrap().starts_with("multipart/alternative"));
    assert!(raw.contains("Content-Type: text/plain; charset=utf-8"), "{raw}");
    assert!(raw.contains("Content-Type: text/html; charset=utf-8"), "{raw}");
    assert!(raw.find("text/plain").unwrap() < raw.find("text/html").unwrap(), "HTML last: the preferred part");
    assert_eq!(mail.token("verify-email").as_deref(), Some("tok-1"));
    assert!(mail.decoded().contains("Hi Ada,"));

    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn with_smtp_mail_reaches_the_server() {
    let sink = SmtpSink::start().await;
    let notifier = smtp_notifier(sink.url());
    let token = "x".repeat(43);
    notifier.send_mail(&verification("ada@example.com", &notifier, &token)).await.unwrap();
    notifier.send_mail(&Template::Welcome { name: "Ada".into() }.render("ada@example.com").unwrap()).await.unwrap();

    let messages = sink.wait_for(2, WAIT).await;
    assert_eq!(messages[0].from, "no-reply@roster.test");
    assert_eq!(messages[0].to, vec!["ada@example.com".to_owned()]);
    assert_eq!(messages[0].header("Subject").as_deref(), Some("Verify your email address"));
    assert_eq!(messages[0].token("verify-email"), Some(token.clone()));
    assert_eq!(
        messages[0].link("verify-email").unwrap(),
        format!("https://roster.example.com/verify-email?token={token}"),
        "the link survives quoted-printable line wrapping"
    );
    assert_eq!(messages[1].header("Subject").as_deref(), Some("Welcome to Roster"));
    assert_eq!(sink.sessions(), 1, "the second message reuses the first one's connection");
}

#[tokio::test]
async fn smtp_replaces_connections_the_server_has_closed() {
    let sink = SmtpSink::start().await;
    let notifier = smtp_notifier(sink.url());
    let mail = verification("ada@example.com", &notifier, "t");
    notifier.send_mail(&mail).await.unwrap();
    sink.hang_up();
    notifier.send_mail(&mail).await.unwrap();
    notifier.send_mail(&mail).await.unwrap();
    assert_eq!(sink.wait_for(3, WAIT).await.len(), 3);
    assert_eq!(sink.sessions(), 2, "one connection hung up on, one that replaced it and was reused");
}

#[tokio::test]
async fn smtp_connections_are_kept_only_while_they_deliver() {
    let sink = SmtpSink::start().await;
    let notifier = smtp_notifier(sink.url());
    let mail = verification("ada@example.com", &notifier, "t");
    // A refused message closes its connection: the next one starts afresh.
    sink.fail_next(1);
    notifier.send_mail(&mail).await.unwrap_err();
    notifier.send_mail(&mail).await.unwrap();
    assert_eq!(sink.sessions(), 2);
    // Messages sent at once each get a connection; afterwards at most 8 stay open for reuse.
    let mut sending = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let (notifier, mail) = (notifier.clone(), mail.clone());
        sending.spawn(async move { notifier.send_mail(&mail).await });
    }
    while let Some(sent) = sending.join_next().await {
        sent.unwrap().unwrap();
    }
    assert_eq!(sink.wait_for(13, WAIT).await.len(), 13);
    let opened = sink.sessions();
    for _ in 0..8 {
        notifier.send_mail(&mail).await.unwrap();
    }
    assert_eq!(sink.sessions(), opened, "sequential messages reuse kept connections");
}

#[tokio::test]
async fn smtp_refusals_and_outages_are_failures() {
    let sink = SmtpSink::start().await;
    let notifier = smtp_notifier(sink.url());
    sink.fail_next(1);
    let mail = verification("ada@example.com", &notifier, "t");
    let err = notifier.send_mail(&mail).await.unwrap_err();
    assert!(matches!(&err, DeliveryError::Transport(m) if m.contains("451")), "{err:?}");
    notifier.send_mail(&mail).await.unwrap();
    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);

    let url = format!("smtp://127.0.0.1:{}", closed_port().await);
    let notifier = smtp_notifier(url);
    let err = notifier.send_mail(&mail).await.unwrap_err();
    assert!(matches!(err, DeliveryError::Transport(_)), "{err:?}");

    let err = notifier.send_mail(&Mail { to: "not an address".into(), ..mail }).await.unwrap_err();
    assert!(matches!(err, DeliveryError::Permanent(_)), "{err:?}");
}

#[tokio::test]
async fn an_smtp_5xx_is_a_refusal_for_good_and_a_4xx_a_failure_for_now() {
    let sink = SmtpSink::start().await;
    let notifier = smtp_notifier(sink.url());
    let mail = verification("ada@example.com", &notifier, "t");
    sink.refuse_next(1);
    let err = notifier.send_mail(&mail).await.unwrap_err();
    assert!(matches!(&err, DeliveryError::Permanent(m) if m.contains("550")), "{err:?}");
    sink.fail_next(1);
    let err = notifier.send_mail(&mail).await.unwrap_err();
    assert!(matches!(&err, DeliveryError::Transport(m) if m.contains("451")), "{err:?}");
    notifier.send_mail(&mail).await.unwrap();
}

#[tokio::test]
async fn a_provider_4xx_is_a_refusal_for_good_but_408_429_and_5xx_are_worth_another_try() {
    let sink = HttpSink::start().await;
    let notifier = Notifier::new(NotifyConfig { sms_webhook_url: Some(sink.url("sms")), ..config() }).unwrap();
    for status in [400, 403, 404, 410, 408, 429, 500, 503] {
        sink.fail_next(1, status);
        let err = notifier.send_sms("+15550100", "x").await.unwrap_err();
        let named = |m: &str| m.contains(&status.to_string());
        // 404 and 410 say the addressee is gone (a push token the provider forgot): for good too.
        let ok = match status {
            404 | 410 => matches!(&err, DeliveryError::Gone(m) if named(m)),
            400 | 403 => matches!(&err, DeliveryError::Permanent(m) if named(m)),
            _ => matches!(&err, DeliveryError::Rejected(m) if named(m)),
        };
        assert!(ok, "HTTP {status}: {err:?}");
    }
}

#[tokio::test]
async fn smtp_credentials_are_taken_from_the_url_decoded() {
    let sink = SmtpSink::start().await;
    let url = format!("smtp://us%40er:p%40ss%3Aw%C3%B6rd@127.0.0.1:{}", sink.port());
    let notifier = smtp_notifier(url);
    notifier.send_mail(&verification("ada@example.com", &notifier, "t")).await.unwrap();
    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);
    assert_eq!(sink.logins(), vec![("us@er".to_owned(), "p@ss:wörd".to_owned())]);
}

#[tokio::test]
async fn smtp_never_falls_back_to_plain_text_when_tls_is_required() {
    let sink = SmtpSink::start().await;
    let mail = |notifier: &Notifier| verification("ada@example.com", notifier, "t");
    let port = sink.port();

    // The sink offers no STARTTLS.
    let notifier = smtp_notifier(format!("smtp://127.0.0.1:{port}?tls=required"));
    let err = notifier.send_mail(&mail(&notifier)).await.unwrap_err();
    assert!(matches!(&err, DeliveryError::Transport(m) if m.contains("STARTTLS")), "{err:?}");

    // It does not speak TLS first either.
    let notifier = smtp_notifier(format!("smtps://127.0.0.1:{port}"));
    let err = notifier.send_mail(&mail(&notifier)).await.unwrap_err();
    assert!(matches!(&err, DeliveryError::Transport(m) if m.contains("TLS handshake")), "{err:?}");
    assert!(sink.messages().is_empty());

    // Opportunistic TLS is the one form that sends in the clear when TLS is not offered.
    let notifier = smtp_notifier(format!("smtp://127.0.0.1:{port}?tls=opportunistic"));
    notifier.send_mail(&mail(&notifier)).await.unwrap();
    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn sms_and_push_are_posted_as_json() {
    let sink = HttpSink::start().await;
    let notifier = Notifier::new(NotifyConfig {
        sms_webhook_url: Some(sink.url("sms")),
        push_webhook_url: Some(sink.url("push?key=k")),
        ..config()
    })
    .unwrap();
    notifier.send_sms("+15550100", "Your code is 123456").await.unwrap();
    let tokens = vec!["device-1".to_owned(), "device-2".to_owned()];
    notifier.send_push(&tokens, "Hello", "World", &json!({"user_id": "u1"})).await.unwrap();

    let requests = sink.wait_for(2, WAIT).await;
    assert_eq!((requests[0].method.as_str(), requests[0].path.as_str()), ("POST", "/sms"));
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
    assert_eq!(requests[0].body, json!({"to": "+15550100", "body": "Your code is 123456"}));
    assert_eq!(requests[1].path, "/push");
    assert_eq!(
        requests[1].body,
        json!({"tokens": ["device-1", "device-2"], "title": "Hello", "body": "World", "data": {"user_id": "u1"}})
    );
}

#[tokio::test]
async fn unconfigured_channels() {
    let notifier = Notifier::new(config()).unwrap();
    let err = notifier.send_sms("+15550100", "x").await.unwrap_err();
    assert!(matches!(err, DeliveryError::NotConfigured("ROSTER_SMS_WEBHOOK_URL")), "{err:?}");
    let err = notifier.send_push(&[], "t", "b", &json!(null)).await.unwrap_err();
    assert!(matches!(err, DeliveryError::NotConfigured("ROSTER_PUSH_WEBHOOK_URL")), "{err:?}");
    // Events are optional: nothing to send to is no failure.
    notifier.send_event(&Event::new("user.created", time::OffsetDateTime::now_utc(), json!({}))).await.unwrap();
}

#[tokio::test]
async fn events_are_signed_over_the_exact_body() {
    let sink = HttpSink::start().await;
    let secret = "whsec_4f9c";
    let notifier = Notifier::new(NotifyConfig {
        events_webhook_url: Some(sink.url("hooks/roster")),
        events_secret: Some(secret.into()),
        ..config()
    })
    .unwrap();
    let event = Event::new("user.created", time::OffsetDateTime::now_utc(), json!({"id": "u1", "name": "Ädä"}));
    notifier.send_event(&event).await.unwrap();

    let request = sink.wait_for(1, WAIT).await.remove(0);
    assert_eq!(request.path, "/hooks/roster");
    assert_eq!(request.body, serde_json::to_value(&event).unwrap());
    let header = request.header("roster-signature").expect("Roster-Signature");
    let t: i64 = header.strip_prefix("t=").unwrap().split(',').next().unwrap().parse().unwrap();
    assert!((time::OffsetDateTime::now_utc().unix_timestamp() - t).abs() < 60, "t is the time of sending");
    assert_eq!(header, signature(secret, t, request.raw.as_bytes()));
    // The same, worked out here apart from `signature`: hex HMAC-SHA256 of "{t}.{body}".
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    hmac::Mac::update(&mut mac, format!("{t}.{}", request.raw).as_bytes());
    let hex: String = hmac::Mac::finalize(mac).into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(header, format!("t={t},v1={hex}"));
}

#[tokio::test]
async fn refusals_and_outages_of_webhooks_are_failures() {
    let sink = HttpSink::start().await;
    let notifier = Notifier::new(NotifyConfig {
        events_webhook_url: Some(sink.url("events")),
        events_secret: Some("s".into()),
        ..config()
    })
    .unwrap();
    let event = Event::new("user.deleted", time::OffsetDateTime::now_utc(), json!({"id": "u1"}));
    sink.fail_next(2, 503);
    for _ in 0..2 {
        let err = notifier.send_event(&event).await.unwrap_err();
        let DeliveryError::Rejected(message) = &err else { panic!("{err:?}") };
        assert!(message.contains("503") && message.contains(HTTP_SINK_FAILURE_BODY), "{message}");
    }
    notifier.send_event(&event).await.unwrap();
    let requests = sink.wait_for(3, WAIT).await;
    assert_eq!(requests.iter().map(|r| r.status).collect::<Vec<_>>(), vec![503, 503, 200]);
    assert!(requests.iter().all(|r| r.body["id"] == event.id.to_string()), "redeliveries keep the id");

    let url = format!("http://127.0.0.1:{}/sms", closed_port().await);
    let notifier = Notifier::new(NotifyConfig { sms_webhook_url: Some(url), ..config() }).unwrap();
    let err = notifier.send_sms("+15550100", "x").await.unwrap_err();
    assert!(matches!(&err, DeliveryError::Transport(m) if m.starts_with("cannot connect")), "{err:?}");
}

#[test]
fn refusal_bodies_are_cut_to_200_bytes() {
    let body = "é".repeat(300);
    let err = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app =
            axum::Router::new().fallback(move || async move { (axum::http::StatusCode::BAD_REQUEST, "é".repeat(300)) });
        tokio::spawn(async move { axum::serve(listener, app).await });
        let notifier =
            Notifier::new(NotifyConfig { sms_webhook_url: Some(format!("http://{addr}/")), ..config() }).unwrap();
        notifier.send_sms("+1", "x").await.unwrap_err()
    });
    let DeliveryError::Permanent(message) = err else { panic!("{err:?}") };
    assert!(message.starts_with("HTTP 400 Bad Request: é"), "{message}");
    assert!(message.len() < "HTTP 400 Bad Request: ".len() + 200 + 4, "{}", message.len());
    assert!(body.starts_with(message.trim_start_matches("HTTP 400 Bad Request: ").trim_end_matches('\u{fffd}')));
}
