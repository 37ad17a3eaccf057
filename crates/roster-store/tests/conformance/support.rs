//! The engines every conformance test runs on, and small fixtures.
//!
//! [`engines`] yields a fresh, migrated SQLite file and — when `ROSTER_TEST_DATABASE_URL` names a
//! PostgreSQL server (e.g. `postgres://postgres@127.0.0.1:5432/test`) — a fresh PostgreSQL
//! database created through that admin URL. Each test loops over them and runs the same body;
//! the engine's name is printed first, so a failure says which engine it happened on.

use std::path::PathBuf;

use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::{Account, Membership, User, UserStatus};
use roster_domain::{AccountId, UserId};
use roster_store::user_phones::StoredPhone;
use roster_store::{Db, Ts, accounts, memberships, on_conn, users};
use sqlx::Connection;
use time::OffsetDateTime;
use uuid::Uuid;

/// A fixed instant near the time of writing (2026-05-28), in microseconds since the epoch.
pub const T0: i64 = 1_780_000_000_000_000;

/// The PostgreSQL admin URL of the test server, if one is configured.
pub fn admin_url() -> Option<String> {
    std::env::var("ROSTER_TEST_DATABASE_URL").ok().filter(|url| !url.trim().is_empty())
}

/// One throw-away database. Dropping it removes the SQLite folder or drops the PostgreSQL
/// database (`WITH (FORCE)`, so connections still open in the pool do not stop it).
pub struct TestEngine {
    pub name: &'static str,
    pub db: Db,
    dir: Option<PathBuf>,
    postgres: Option<(String, String)>,
}

impl TestEngine {
    pub fn is_sqlite(&self) -> bool {
        self.dir.is_some()
    }

    /// A fresh SQLite file, not yet migrated.
    pub async fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("roster-store-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}", dir.join("roster.db").display());
        let db = Db::connect(&url).await.expect("open SQLite");
        Self { name: "sqlite", db, dir: Some(dir), postgres: None }
    }

    /// A fresh PostgreSQL database on the server behind `admin_url`, not yet migrated.
    pub async fn postgres(admin_url: &str) -> Self {
        let name = format!("roster_store_{}", Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(admin_url).await.expect("connect to ROSTER_TEST_DATABASE_URL");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        admin.close().await.ok();
        let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
        let db = Db::connect(&format!("{base}/{name}")).await.expect("open the test database");
        Self { name: "postgres", db, dir: None, postgres: Some((admin_url.to_owned(), name)) }
    }
}

impl Drop for TestEngine {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin_url, name)) = self.postgres.take() {
            // Drop cannot await; drop the database from a small runtime of our own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                runtime.block_on(async {
                    let mut conn = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let done = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.ok();
                    conn.close().await.ok();
                    done
                })
            })
            .join();
        }
    }
}

/// Fresh, migrated databases of every engine under test: SQLite always, PostgreSQL when
/// `ROSTER_TEST_DATABASE_URL` is set.
pub async fn engines() -> Vec<TestEngine> {
    let mut engines = vec![TestEngine::sqlite().await];
    if let Some(url) = admin_url() {
        engines.push(TestEngine::postgres(&url).await);
    }
    for engine in &engines {
        engine.db.migrate().await.unwrap_or_else(|e| panic!("{}: migrations fail: {e}", engine.name));
    }
    engines
}

/// Announce the engine a test body is about to run on (shown with a failure's output).
pub fn start(engine: &TestEngine) {
    println!("--- engine: {}", engine.name);
}

pub fn at(micros: i64) -> OffsetDateTime {
    Ts::from_micros(micros).get()
}

/// A deterministic id: ids of fixtures compare in the order of `n`, on both engines (SQLite
/// compares the 16-byte blobs, PostgreSQL the uuids, both bytewise).
pub fn nth_id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

/// An unverified mobile number, created at `T0`, to store with `user_phones::save`.
pub fn phone(number: &str, primary: bool) -> StoredPhone {
    StoredPhone {
        id: roster_domain::PhoneId::new(),
        number: number.to_owned(),
        label: roster_domain::phone::PhoneLabel::Mobile,
        verified: false,
        is_primary: primary,
        code_hash: None,
        code_expires_at: None,
        code_attempts: 0,
        last_sent_at: None,
        window_started_at: None,
        window_sends: 0,
        created_at: Ts::from_micros(T0),
        updated_at: Ts::from_micros(T0),
    }
}

/// An active, unverified user created at `T0` with every optional field empty.
pub fn user(email: &str, name: &str) -> User {
    User {
        id: UserId::new(),
        email: email.to_owned(),
        email_verified: false,
        name: name.to_owned(),
        first_name: None,
        last_name: None,
        image: None,
        title: None,
        bio: None,
        timezone: "UTC".to_owned(),
        locale: "en".to_owned(),
        status: UserStatus::Active,
        metadata: serde_json::json!({}),
        mfa_enabled: false,
        platform_admin: false,
        created_at: at(T0),
        updated_at: at(T0),
        last_login_at: None,
        deleted_at: None,
    }
}

/// Insert `user` (with a fake password hash) in a transaction of its own.
pub async fn insert_user(db: &Db, user: &User) {
    let mut tx = db.begin().await.unwrap();
    users::insert(&mut tx, user, Some("$fake$hash")).await.unwrap();
    tx.commit().await.unwrap();
}

pub async fn insert_account(db: &Db, name: &str, parent: Option<AccountId>) -> Account {
    let account = Account {
        id: AccountId::new(),
        name: name.to_owned(),
        parent_id: parent,
        status: roster_domain::user::AccountStatus::Active,
        seats_used: 0,
        created_at: at(T0),
        updated_at: at(T0),
    };
    let mut tx = db.begin().await.unwrap();
    accounts::insert(&mut tx, &account).await.unwrap();
    tx.commit().await.unwrap();
    account
}

pub fn membership(user: UserId, account: AccountId, role: Role) -> Membership {
    Membership { user_id: user, account_id: account, role, grant: Vec::new(), deny: Vec::new(), created_at: at(T0) }
}

pub async fn insert_membership(db: &Db, m: &Membership) {
    let mut tx = db.begin().await.unwrap();
    memberships::insert(&mut tx, m).await.unwrap();
    tx.commit().await.unwrap();
}

pub fn scope(s: &str) -> Scope {
    Scope::parse(s).unwrap()
}

/// Run one statement outside the store API (for what the API deliberately cannot do, such as
/// hard-deleting a row), binding `id` as `$1` and `text` as `$2` when given.
pub async fn raw_execute(db: &Db, sql: &'static str, id: Uuid, text: Option<&str>) {
    let mut tx = db.begin().await.unwrap();
    on_conn!(&mut tx, |c| {
        let mut query = sqlx::query(sql).bind(id);
        if let Some(text) = text {
            query = query.bind(text.to_owned());
        }
        query.execute(c).await.map(|_| ())
    })
    .unwrap();
    tx.commit().await.unwrap();
}
