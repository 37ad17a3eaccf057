//! `spawn_app()`: the real Roster on a free port, over a fresh database — a new SQLite file by
//! default, or a new PostgreSQL database when `ROSTER_TEST_DATABASE_URL` names a server.

use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use roster::app::App;
use roster::config::Settings;
use roster_core::{Clock, Core};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub address: String,
    /// Where mail goes when no SMTP server is configured.
    pub mail_dir: String,
    /// Works every queue, in this test's task, when the test says so ([`TestApp::drain`]).
    pub runner: roster_core::jobs::runner::Runner,
    pub client: reqwest::Client,
    pub core: Core,
    pub clock: Clock,
    shutdown: Option<oneshot::Sender<()>>,
    pub db: TestDb,
}

/// A throw-away database (and folder) that is removed when the test ends.
pub struct TestDb {
    pub url: String,
    dir: PathBuf,
    postgres: Option<(String, String)>,
    /// Whether dropping this removes the database (false for a second instance's handle).
    owned: bool,
}

impl TestDb {
    pub async fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("roster-test-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        if let Some(admin_url) = std::env::var("ROSTER_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            let name = format!("roster_test_{}", uuid::Uuid::now_v7().simple());
            let mut conn =
                sqlx::PgConnection::connect(&admin_url).await.expect("connect to the test PostgreSQL server");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            conn.close().await.ok();
            let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
            Self { url: format!("{base}/{name}"), dir, postgres: Some((admin_url.clone(), name)), owned: true }
        } else {
            let url = format!("sqlite://{}", dir.join("roster.db").display());
            Self { url, dir, postgres: None, owned: true }
        }
    }

    /// [`TestDb::new`] for synchronous tests.
    pub fn new_blocking() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(Self::new())
    }

    pub fn dir(&self) -> &PathBuf {
        &self.dir
    }

    /// Another handle on the same database, for a second instance; the first one cleans up.
    pub fn shared(&self) -> Self {
        Self { url: self.url.clone(), dir: self.dir.clone(), postgres: None, owned: false }
    }

    /// On PostgreSQL: the server to administer it from, and the database's name.
    pub fn postgres(&self) -> Option<(&str, &str)> {
        self.postgres.as_ref().map(|(admin, name)| (admin.as_str(), name.as_str()))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin_url, name)) = self.postgres.take() {
            // Drop runs outside any async context we could borrow; use a small one of our own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                runtime.block_on(async {
                    let mut conn = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                        .execute(&mut conn)
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}

/// Options for [`spawn_app_with`].
pub struct Options {
    pub clock: Clock,
    pub settings: Settings,
    /// Client timeouts of the HTTP server (the defaults take seconds; tests shorten them).
    pub limits: roster_http::server::Limits,
    /// Loopback servers a calendar feed may come from although private addresses are not
    /// allowed (the "public" end of an SSRF test's redirect).
    pub fetch_exempt: Vec<std::net::SocketAddr>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Options)) -> TestApp {
    spawn_app_on(TestDb::new().await, configure).await
}

/// An app on a pinned clock whose mail goes over SMTP to a sink of the test's.
pub async fn spawn_app_with_mail() -> (TestApp, crate::sinks::SmtpSink) {
    let smtp = crate::sinks::SmtpSink::start().await;
    let url = smtp.url();
    let app = spawn_app_with(|o| {
        o.clock = Clock::pinned(time::OffsetDateTime::now_utc());
        o.settings.smtp_url = Some(roster::config::Secret(url));
    })
    .await;
    (app, smtp)
}

impl TestApp {
    /// A second instance on this app's database (as behind a load balancer), on the same clock.
    pub async fn second_instance(&self) -> TestApp {
        let clock = self.clock.clone();
        spawn_app_on(self.db.shared(), |o| o.clock = clock).await
    }
}

async fn spawn_app_on(db: TestDb, configure: impl FnOnce(&mut Options)) -> TestApp {
    let settings = Settings {
        database_url: db.url.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        mail_dir: db.dir().join("mail").display().to_string(),
        rate_limit_anon: 0,
        log: "warn".into(),
        ..Settings::default()
    };
    let mut options = Options {
        clock: Clock::system(),
        settings,
        limits: roster_http::server::Limits::default(),
        fetch_exempt: Vec::new(),
    };
    configure(&mut options);
    // The first app of this test process installs the log writer; it lives as long as the process.
    std::mem::forget(roster::telemetry::init_logging(&options.settings.log));
    // Background workers are off: tests run the queues explicitly with `drain`.
    options.settings.qm_user_onboarding = false;
    options.settings.qm_user_notifications = false;
    options.settings.qm_user_analytics = false;
    options.settings.qm_account_sync = false;
    let mut core_config = options.settings.core_config();
    core_config.fetch_exempt.clone_from(&options.fetch_exempt);
    let mut app = App::build_with(&options.settings, options.clock.clone(), core_config).await.expect("app builds");
    app.limits = options.limits;
    let notifier = roster_core::notify::Notifier::new(options.settings.notify_config()).expect("notifier");
    let runner = roster_core::jobs::runner::Runner::new(
        app.core.clone(),
        roster_core::jobs::handlers::Handlers::new(app.core.clone(), notifier),
        roster_core::jobs::Queue::ALL.to_vec(),
        4,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let core = app.core.clone();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        app.serve(listener, async {
            let _ = rx.await;
        })
        .await
        .expect("server runs");
    });
    TestApp {
        address,
        mail_dir: options.settings.mail_dir.clone(),
        runner,
        client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        core,
        clock: options.clock,
        shutdown: Some(tx),
        db,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Percent-encode one query-string value (`+`, `:` and friends in times and cursors).
pub fn enc(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The problem+json `code`, for error replies.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `email` of every item of a list reply, in order.
    pub fn emails(&self) -> Vec<String> {
        self.body["data"]
            .as_array()
            .map(|items| items.iter().map(|u| u["email"].as_str().unwrap_or("").to_owned()).collect())
            .unwrap_or_default()
    }

    /// Field names of a validation problem, in order.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| errors.iter().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect())
            .unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body read");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply { status, headers, body }
    }

    /// A JSON request, signed in with `token` if given.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Open sign-up; returns the created user.
    pub async fn signup(&self, email: &str, name: &str) -> Value {
        let reply = self.post("/v1/users", None, json!({"email": email, "password": PASSWORD, "name": name})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "sign-up of {email}: {:?}", reply.body);
        reply.body
    }

    pub async fn login(&self, email: &str) -> String {
        let reply = self.post("/v1/auth/login", None, json!({"email": email, "password": PASSWORD})).await;
        assert_eq!(reply.status, StatusCode::OK, "login of {email}: {:?}", reply.body);
        reply.body["token"].as_str().expect("token").to_owned()
    }

    /// Sign up and sign in: (user, token, the user's own account id).
    pub async fn member(&self, email: &str, name: &str) -> (Value, String, String) {
        let user = self.signup(email, name).await;
        let token = self.login(email).await;
        let profile = self.get("/v1/users/profile", &token).await;
        let account = profile.body["active_account_id"].as_str().expect("active account").to_owned();
        (user, token, account)
    }

    /// Create a user in `account` as the signed-in `token` holder, with a password and a role.
    pub async fn add_member(&self, token: &str, account: &str, email: &str, role: &str) -> (Value, String) {
        let reply = self
            .post(
                "/v1/users",
                Some(token),
                json!({"email": email, "password": PASSWORD, "name": email, "account_id": account, "role": role}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "add {email}: {:?}", reply.body);
        let user_token = self.login(email).await;
        (reply.body, user_token)
    }

    /// Create a user as the `token` holder (in its active account unless the body names one);
    /// returns the user's id.
    pub async fn create(&self, token: &str, email: &str, name: &str) -> String {
        let reply =
            self.post("/v1/users", Some(token), json!({"email": email, "password": PASSWORD, "name": name})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "create {email}: {:?}", reply.body);
        reply.body["id"].as_str().expect("id").to_owned()
    }

    /// Run every job that is due now, and the jobs those create, until none is left.
    pub async fn drain(&self) -> usize {
        self.runner.drain().await.expect("queues drain")
    }

    /// Run raw SQL on the app's database: `sqlite` on SQLite, each of `postgres` on PostgreSQL
    /// (for fault injection).
    pub async fn sql(&self, sqlite: &str, postgres: &[&str]) {
        let mut tx = self.core.store().begin().await.unwrap();
        match roster_store::Exec::conn(&mut tx) {
            roster_store::db::ConnRef::Sqlite(c) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sqlite.to_owned())).execute(c).await.unwrap();
            }
            roster_store::db::ConnRef::Postgres(c) => {
                for statement in postgres {
                    sqlx::raw_sql(sqlx::AssertSqlSafe((*statement).to_owned())).execute(&mut *c).await.unwrap();
                }
            }
        }
        tx.commit().await.unwrap();
    }

    /// Rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        let mut conn = self.core.store().conn().await.unwrap();
        let sql = format!("SELECT COUNT(*) FROM {table}");
        roster_store::on_conn!(&mut conn, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(c).await).unwrap()
    }

    /// Make an existing user a platform admin (there is no API for it, by design).
    pub async fn make_platform_admin(&self, user_id: &str) {
        let id = roster_domain::UserId::from_uuid(user_id.parse().unwrap());
        let mut tx = self.core.store().begin().await.unwrap();
        roster_store::users::set_platform_admin(&mut tx, id, true).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// Write a job of `kind` straight into the outbox, due now (as a worker of another version,
    /// or a bug, might leave it): its id.
    pub async fn enqueue_raw(&self, kind: &'static str, payload: Value) -> roster_domain::JobId {
        let now = self.clock.now();
        let job = roster_store::jobs::NewJob {
            id: roster_domain::JobId::new(),
            queue: roster_domain::job::Queue::Notifications,
            kind,
            payload,
            max_attempts: 10,
            run_at: now,
            created_at: now,
        };
        let mut tx = self.core.store().begin().await.unwrap();
        roster_store::jobs::enqueue(&mut tx, &job).await.unwrap();
        tx.commit().await.unwrap();
        job.id
    }

    /// Give an existing user a membership in another account, optionally with denied scopes.
    /// The membership API comes later; multi-account users are made here, in the store.
    pub async fn join(&self, user_id: &str, account_id: &str, role: &str, deny: &[&str]) {
        let membership = roster_domain::user::Membership {
            user_id: roster_domain::UserId::from_uuid(user_id.parse().unwrap()),
            account_id: roster_domain::AccountId::from_uuid(account_id.parse().unwrap()),
            role: roster_domain::role::Role::parse(role).expect("a role"),
            grant: Vec::new(),
            deny: deny.iter().map(|s| roster_domain::scope::Scope::parse(s).expect("a scope")).collect(),
            created_at: self.clock.now(),
        };
        let mut tx = self.core.store().begin().await.unwrap();
        roster_store::memberships::insert(&mut tx, &membership).await.unwrap();
        roster_store::accounts::refresh_seats(&mut tx, membership.account_id, roster_store::Ts::new(self.clock.now()))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// Mark a user's email verified in the store (the verification link has its own tests).
    pub async fn verify_email(&self, user_id: &str) {
        let id = roster_domain::UserId::from_uuid(user_id.parse().unwrap());
        let mut tx = self.core.store().begin().await.unwrap();
        roster_store::users::set_email_verified(&mut tx, id, roster_store::Ts::new(self.clock.now())).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// The stored user record, deleted or not (the API shows no deleted user).
    pub async fn stored_user(&self, user_id: &str) -> Option<roster_domain::user::User> {
        let mut conn = self.core.store().conn().await.unwrap();
        roster_store::users::find(&mut conn, roster_domain::UserId::from_uuid(user_id.parse().unwrap())).await.unwrap()
    }

    /// The stored audit trail of a user, newest first, as (action, changes); readable after the
    /// user is deleted, when the API answers 404.
    pub async fn stored_activity(&self, user_id: &str) -> Vec<(String, Value)> {
        let mut conn = self.core.store().conn().await.unwrap();
        let id = roster_domain::UserId::from_uuid(user_id.parse().unwrap());
        roster_store::activities::of_user(&mut conn, id, None, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.action.as_str().to_owned(), a.changes))
            .collect()
    }

    /// The jobs recorded for a user, as (queue, kind).
    pub async fn jobs_for(&self, user_id: &str) -> Vec<(String, String)> {
        let mut conn = self.core.store().conn().await.unwrap();
        let mut jobs: Vec<(String, String)> = roster_store::jobs::for_user(&mut conn, user_id.parse().unwrap())
            .await
            .unwrap()
            .into_iter()
            .map(|j| (j.queue.as_str().to_owned(), j.kind))
            .collect();
        jobs.sort();
        jobs
    }
}
