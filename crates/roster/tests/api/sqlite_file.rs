//! The SQLite file is shared with other processes: an operator's `sqlite3`, a script in Python,
//! a backup tool or litestream open it beside a running `roster serve`, read, checkpoint and
//! close. None of that may hurt the server: it keeps serving, its WAL is never deleted under it,
//! every sign-up it acknowledged is there after a restart, and the file passes SQLite's
//! integrity check. (A process that opens and closes the database's files behind SQLite's back
//! drops SQLite's locks on them; the other process then takes itself for the last connection,
//! resets the shared memory the server has mapped and deletes its WAL.)

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestDb};
use crate::process::Server;

/// Concurrent clients signing up (and checking their token) while the readers come and go.
const CLIENTS: usize = 4;
/// Visits of another process to the file.
const VISITS: usize = 50;

/// The database file behind a `sqlite://` test database (`None` on PostgreSQL).
fn sqlite_file(db: &TestDb) -> Option<PathBuf> {
    db.url.strip_prefix("sqlite://").map(PathBuf::from)
}

/// Whether the `sqlite3` command line is installed (Debian's `sqlite3`); without it, Python's
/// `sqlite3` module plays both visitors.
fn has_sqlite3_cli() -> bool {
    static FOUND: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FOUND.get_or_init(|| Command::new("sqlite3").arg("-version").output().is_ok_and(|o| o.status.success()))
}

/// What `sql` (statements separated by `;`, each printed row on a line) prints when another
/// process runs it on `file` and closes: the `sqlite3` command line when `cli` (and installed),
/// else Python's `sqlite3` module.
fn outside(file: &Path, sql: &str, cli: bool) -> String {
    let output = if cli && has_sqlite3_cli() {
        Command::new("sqlite3").arg(file).arg(sql).output()
    } else {
        let script = "import sqlite3, sys\n\
                      c = sqlite3.connect(sys.argv[1])\n\
                      for statement in sys.argv[2].split(';'):\n    \
                          for row in c.execute(statement).fetchall():\n        \
                              print('|'.join(str(v) for v in row))\n\
                      c.close()\n";
        Command::new("python3").arg("-c").arg(script).arg(file).arg(sql.trim_end_matches(';')).output()
    }
    .expect("python3 runs");
    assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// Another process opens the file, reads a row, checkpoints what it can and closes: Python's
/// `sqlite3` module on even visits, the `sqlite3` command line on odd ones.
fn visit(file: &Path, n: usize) {
    let read = outside(file, "SELECT COUNT(*) FROM users; PRAGMA wal_checkpoint(PASSIVE);", n % 2 == 1);
    assert!(read.lines().next().is_some_and(|count| count.parse::<u64>().is_ok()), "visit {n} read {read:?}");
}

/// The users stored in `db`, read through a connection of the test's own (either engine).
pub async fn count_users(db: &TestDb) -> i64 {
    use sqlx::Connection;
    let sql = "SELECT COUNT(*) FROM users";
    if db.url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    }
}

async fn post(client: &reqwest::Client, base: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let response = client.post(format!("{base}{path}")).json(&body).send().await.expect("request answered");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn profile(client: &reqwest::Client, base: &str, token: &str) -> StatusCode {
    let response = client.get(format!("{base}/v1/users/profile")).bearer_auth(token).send().await;
    response.expect("request answered").status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_processes_reading_and_checkpointing_the_file_never_hurt_the_running_server() {
    let db = TestDb::new().await;
    let Some(file) = sqlite_file(&db) else { return };
    let env = [("ROSTER_RATE_LIMIT_ANON", "0")];
    let mut server = Server::serve(&db, &env).await;
    let base = server.base.clone();
    roster_core::notify::install_crypto_provider();
    let client = reqwest::Client::new();
    let (status, _) =
        post(&client, &base, "/v1/users", json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada"}))
            .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, login) =
        post(&client, &base, "/v1/auth/login", json!({"email": "ada@example.com", "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK);
    let token = login["token"].as_str().unwrap().to_owned();
    let wal = PathBuf::from(format!("{}-wal", file.display()));
    let wal_inode = std::fs::metadata(&wal).expect("the server keeps a WAL").ino();

    // Clients sign up and check their token (which asks whether the database changed) without a
    // pause, while other processes visit the file.
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for k in 0..CLIENTS {
        let (client, base, token, stop) = (client.clone(), base.clone(), token.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let email = format!("c{k}-{i}@example.com");
                let (status, body) =
                    post(&client, &base, "/v1/users", json!({"email": email, "password": PASSWORD, "name": "C"})).await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                acknowledged.push(email);
                assert_eq!(profile(&client, &base, &token).await, StatusCode::OK);
                i += 1;
            }
            acknowledged
        }));
    }
    for n in 0..VISITS {
        let at = file.clone();
        tokio::task::spawn_blocking(move || visit(&at, n)).await.unwrap();
        if let Some(status) = server.process.child.try_wait().unwrap() {
            panic!("roster serve died after visit {n} ({status}); log:\n{}", server.log());
        }
        let inode = std::fs::metadata(&wal).map(|m| m.ino()).ok();
        assert_eq!(inode, Some(wal_inode), "after visit {n}, the WAL was deleted under the server");
        assert_eq!(profile(&client, &base, &token).await, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::SeqCst);
    let mut acknowledged = BTreeSet::from(["ada@example.com".to_owned()]);
    for client in clients {
        acknowledged.extend(client.await.unwrap());
    }
    assert!(acknowledged.len() > VISITS / 5, "sign-ups ran alongside: {}", acknowledged.len());

    // A change written by another process (this test's, with SQLite's own library: the sqlite3
    // command line of the machine may be too old to write to the search index) is seen by the
    // very next request.
    {
        use sqlx::Connection;
        let mut outside = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query("UPDATE users SET status = 'suspended' WHERE email = 'ada@example.com'")
            .execute(&mut outside)
            .await
            .unwrap();
        outside.close().await.unwrap();
    }
    assert_eq!(profile(&client, &base, &token).await, StatusCode::UNAUTHORIZED);

    let status = tokio::task::spawn_blocking(move || server.terminate()).await.unwrap();
    assert!(status.success(), "clean exit: {status:?}");
    let at = file.clone();
    let (integrity, stored) = tokio::task::spawn_blocking(move || {
        (outside(&at, "PRAGMA integrity_check;", true), outside(&at, "SELECT email_normalized FROM users;", true))
    })
    .await
    .unwrap();
    assert_eq!(integrity.trim(), "ok");
    let stored: BTreeSet<String> = stored.lines().map(str::to_owned).collect();
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged sign-ups missing after the server stopped: {lost:?}");

    // And the server starts again on the file and finds them.
    let again = Server::serve(&db, &env).await;
    let (status, _) =
        post(&client, &again.base, "/v1/auth/login", json!({"email": "c0-0@example.com", "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::OK);
}
