//! Tree (issue 9): an account tree six levels deep, 10 000 members at the root (1 % admins, some
//! with grants or denies of `users.delete`) and 1 000 at the leaf, on each engine of
//! `--scale-engines`. The tree and the two measured admins are made through the API; the
//! members are written straight into the stopped server's database.
//!
//! Measured from outside, one request after another on keep-alive connections, taking turns so
//! that each pair sees the same machine:
//! - `GET /v1/accounts/{leaf}/members` and `GET /v1/users/{id}/permissions?account_id={leaf}`
//!   by an admin of the root (inherited) and by an admin of the leaf (direct): the inherited
//!   reads must reach ≥ 80 % of the direct ones' requests per second;
//! - `GET /v1/accounts/{root}/access?scope=users.delete` (and the same on the leaf, which walks
//!   the five ancestors): p99 ≤ 20 ms.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use hyper::StatusCode;
use serde_json::{Value, json};

use super::scale::cases::{Ask, Client, SAMPLES};
use crate::loadgen::Conn;
use crate::report::Metric;
use crate::scenarios::{Ctx, EngineDb, ms};
use crate::server::{Server, ServerConfig, make_temp_dir};

const PG_DATABASE: &str = "roster_bench_tree";
const PASSWORD: &str = "violet harbor compass, kept under the stairs 7";
const ROOT_MEMBERS: usize = 10_000;
const LEAF_MEMBERS: usize = 1_000;
const LEVELS: usize = 6;

/// What the API made: the accounts from the root down, and the three signed-in callers.
struct Tree {
    accounts: Vec<String>,
    owner: String,
    root_admin: String,
    leaf_admin: String,
}

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<()> {
    let engines = ctx.args.scale_engines.clone();
    let mut failed = None;
    for engine in engines {
        eprintln!("   -- {engine}");
        if let Err(e) = one_engine(ctx, &engine).await {
            eprintln!("   {engine} failed: {e:#}");
            failed = Some(e.context(engine));
        }
    }
    failed.map_or(Ok(()), Err)
}

async fn one_engine(ctx: &mut Ctx, engine: &str) -> anyhow::Result<()> {
    let dir = make_temp_dir()?;
    let (database, env) = EngineDb::create(ctx, engine, PG_DATABASE).await?;
    let bin = ctx.args.binary_path();
    let cfg = ServerConfig { bin: &bin, extra_env: env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect() };
    let result = async {
        let mut server = Server::spawn_in(&cfg, dir.clone())?;
        server.wait_healthy(Duration::from_millis(10)).await?;
        let tree = build(&server).await?;
        server.stop()?;
        let root = tree.accounts[0].parse()?;
        let leaf = tree.accounts[LEVELS - 1].parse()?;
        let t0 = Instant::now();
        if let Some(pg_url) = &database.pg_url {
            seed_postgres(pg_url, root, leaf).await?;
        } else {
            let db = dir.join("roster.db");
            tokio::task::spawn_blocking(move || seed_sqlite(&db, root, leaf)).await??;
        }
        eprintln!("   seeded {} members in {:.1} s", ROOT_MEMBERS + LEAF_MEMBERS, t0.elapsed().as_secs_f64());
        let mut server = Server::spawn_in(&cfg, dir.clone())?;
        server.wait_healthy(Duration::from_millis(10)).await?;
        let measured = measure(ctx, engine, &server, &tree).await;
        if measured.is_err() {
            eprintln!("   server log (tail):\n{}", server.log_tail(2048));
        }
        server.stop()?;
        measured
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    database.drop().await?;
    result
}

async fn call(conn: &mut Conn, server: &Server, path: &str, token: Option<&str>, body: Value) -> anyhow::Result<Value> {
    let t = &server.target;
    let mut req = t.post_json(path, &body);
    if let Some(token) = token {
        let bearer = hyper::header::HeaderValue::from_str(&format!("Bearer {token}"))?;
        req.headers_mut().insert(hyper::header::AUTHORIZATION, bearer);
    }
    let reply = conn.send(req).await?;
    ensure!(reply.status.is_success(), "POST {path}: {} {}", reply.status, reply.body_excerpt(300));
    Ok(serde_json::from_slice(&reply.body)?)
}

async fn sign_up_and_in(conn: &mut Conn, server: &Server, email: &str) -> anyhow::Result<String> {
    call(conn, server, "/v1/users", None, json!({"email": email, "password": PASSWORD, "name": email})).await?;
    let login = call(conn, server, "/v1/auth/login", None, json!({"email": email, "password": PASSWORD})).await?;
    Ok(login["token"].as_str().context("a token")?.to_owned())
}

/// The owner's account and five levels below it; an admin at the root and one at the leaf.
async fn build(server: &Server) -> anyhow::Result<Tree> {
    let mut conn = Conn::connect(server.target.addr).await?;
    let owner = sign_up_and_in(&mut conn, server, "owner@tree.test").await?;
    let reply = conn.send(server.target.get("/v1/users/profile", Some(&owner))).await?;
    ensure!(reply.status == StatusCode::OK, "profile: {}", reply.status);
    let profile: Value = serde_json::from_slice(&reply.body)?;
    let mut accounts = vec![profile["active_account_id"].as_str().context("an account")?.to_owned()];
    for level in 2..=LEVELS {
        let parent = accounts.last().cloned().unwrap_or_default();
        let body = json!({"name": format!("level {level}"), "parent_id": parent});
        let made = call(&mut conn, server, "/v1/accounts", Some(&owner), body).await?;
        accounts.push(made["id"].as_str().context("an id")?.to_owned());
    }
    let root_admin = sign_up_and_in(&mut conn, server, "root-admin@tree.test").await?;
    let leaf_admin = sign_up_and_in(&mut conn, server, "leaf-admin@tree.test").await?;
    for (email, account) in [("root-admin@tree.test", &accounts[0]), ("leaf-admin@tree.test", &accounts[LEVELS - 1])] {
        let path = format!("/v1/accounts/{account}/members");
        call(&mut conn, server, &path, Some(&owner), json!({"email": email, "role": "admin"})).await?;
    }
    Ok(Tree { accounts, owner, root_admin, leaf_admin })
}

/// Members `r1..r10000@tree.test` at the root (every 100th an admin, every 200th granted
/// `users.delete`, every 300th admin denied it) and `l1..l1000@tree.test` at the leaf.
const SQLITE_SEED: &str = "
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?3)
INSERT INTO users (id, email, email_normalized, email_verified, password_hash, name, name_normalized, timezone, locale,
    status, metadata, mfa_enabled, platform_admin, created_at, updated_at)
SELECT randomblob(16), 'r' || i || '@tree.test', 'r' || i || '@tree.test', 1, NULL, 'Root member ' || i,
    'root member ' || i, 'UTC', 'en', 'active', '{}', 0, 0, 1700000000000000 + i, 1700000000000000 + i FROM s;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?4)
INSERT INTO users (id, email, email_normalized, email_verified, password_hash, name, name_normalized, timezone, locale,
    status, metadata, mfa_enabled, platform_admin, created_at, updated_at)
SELECT randomblob(16), 'l' || i || '@tree.test', 'l' || i || '@tree.test', 1, NULL, 'Leaf member ' || i,
    'leaf member ' || i, 'UTC', 'en', 'active', '{}', 0, 0, 1700000000000000 + i, 1700000000000000 + i FROM s;
INSERT INTO memberships (user_id, account_id, role, grants, denies, created_at, user_status, name_key, email_key,
    email_verified, user_created_at, last_login_key)
SELECT u.id, CASE WHEN u.email LIKE 'r%' THEN ?1 ELSE ?2 END,
    CASE WHEN u.email LIKE 'r%' AND CAST(substr(u.email, 2, instr(u.email, '@') - 2) AS INTEGER) % 100 = 0
         THEN 'admin' ELSE 'member' END,
    CASE WHEN u.email LIKE 'r%' AND CAST(substr(u.email, 2, instr(u.email, '@') - 2) AS INTEGER) % 200 = 1
         THEN '[\"users.delete\"]' ELSE '[]' END,
    CASE WHEN u.email LIKE 'r%' AND CAST(substr(u.email, 2, instr(u.email, '@') - 2) AS INTEGER) % 300 = 0
         THEN '[\"users.delete\"]' ELSE '[]' END,
    u.created_at, u.status, u.name_normalized, u.email_normalized, u.email_verified, u.created_at, 0
FROM users u WHERE u.email LIKE '_%@tree.test' AND (u.email LIKE 'r%' OR u.email LIKE 'l%')
    AND u.email NOT LIKE 'root-admin%' AND u.email NOT LIKE 'leaf-admin%';
";

fn seed_sqlite(db: &Path, root: uuid::Uuid, leaf: uuid::Uuid) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(db).with_context(|| format!("opening {}", db.display()))?;
    let tx = conn.unchecked_transaction()?;
    let values: Vec<rusqlite::types::Value> = vec![
        root.as_bytes().to_vec().into(),
        leaf.as_bytes().to_vec().into(),
        (ROOT_MEMBERS as i64).into(),
        (LEAF_MEMBERS as i64).into(),
    ];
    // One statement at a time: rusqlite binds parameters per statement (?1..?N, N the highest used).
    for statement in SQLITE_SEED.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let mut stmt = tx.prepare(statement)?;
        let count = stmt.parameter_count();
        stmt.execute(rusqlite::params_from_iter(values.iter().take(count)))?;
    }
    tx.execute(SEATS, [])?;
    tx.commit()?;
    Ok(())
}

const SEATS: &str = "UPDATE accounts SET seats_used = (SELECT COALESCE(SUM(n), 0) FROM member_counts \
                     WHERE member_counts.account_id = accounts.id AND user_status <> 'deleted')";

async fn seed_postgres(url: &str, root: uuid::Uuid, leaf: uuid::Uuid) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.context("connecting")?;
    let driver = tokio::spawn(connection);
    for (prefix, n, label) in [("r", ROOT_MEMBERS, "Root member "), ("l", LEAF_MEMBERS, "Leaf member ")] {
        client
            .execute(
                "INSERT INTO users (id, email, email_normalized, email_verified, name, name_normalized, timezone, \
                 locale, status, metadata, mfa_enabled, platform_admin, created_at, updated_at) \
                 SELECT gen_random_uuid(), $1::text || i || '@tree.test', $1::text || i || '@tree.test', true, \
                 $3::text || i, lower($3::text || i), 'UTC', 'en', 'active', '{}'::jsonb, false, false, now(), now() \
                 FROM generate_series(1, $2::int) AS i",
                &[&prefix, &(n as i32), &label],
            )
            .await?;
    }
    client
        .execute(
            "INSERT INTO memberships (user_id, account_id, role, grants, denies, created_at, user_status, name_key, \
             email_key, email_verified, user_created_at, last_login_key) \
             SELECT u.id, CASE WHEN u.email LIKE 'r%' THEN $1::uuid ELSE $2::uuid END, \
             CASE WHEN u.email LIKE 'r%' AND n % 100 = 0 THEN 'admin' ELSE 'member' END, \
             CASE WHEN u.email LIKE 'r%' AND n % 200 = 1 THEN '[\"users.delete\"]' ELSE '[]' END::jsonb, \
             CASE WHEN u.email LIKE 'r%' AND n % 300 = 0 THEN '[\"users.delete\"]' ELSE '[]' END::jsonb, \
             u.created_at, u.status, u.name_normalized, u.email_normalized, u.email_verified, u.created_at, \
             to_timestamp(0) \
             FROM (SELECT *, substring(email from '^[rl]([0-9]+)@')::int AS n FROM users \
                   WHERE email ~ '^[rl][0-9]+@tree\\.test$') AS u",
            &[&root, &leaf],
        )
        .await?;
    client.batch_execute(&format!("{SEATS}; ANALYZE users; ANALYZE memberships")).await?;
    drop(client);
    driver.await?.context("the connection")?;
    Ok(())
}

/// Median and p99 of each ask, asked in turns by its own client.
async fn in_turns(clients: &mut [(&mut Client, Ask)]) -> anyhow::Result<Vec<(Duration, Duration)>> {
    for (client, ask) in clients.iter_mut() {
        for _ in 0..5 {
            client.ask(ask).await?;
        }
    }
    let mut samples = vec![Vec::with_capacity(SAMPLES * 4); clients.len()];
    for _ in 0..SAMPLES * 4 {
        for ((client, ask), samples) in clients.iter_mut().zip(&mut samples) {
            let t0 = Instant::now();
            client.ask(ask).await?;
            samples.push(t0.elapsed());
        }
    }
    Ok(samples
        .into_iter()
        .map(|mut s| {
            s.sort();
            let n = s.len();
            (s[n / 2], s[(n * 99).div_ceil(100) - 1])
        })
        .collect())
}

async fn measure(ctx: &mut Ctx, engine: &str, server: &Server, tree: &Tree) -> anyhow::Result<()> {
    let (root, leaf) = (&tree.accounts[0], &tree.accounts[LEVELS - 1]);
    let mut owner = Client::new(server.target.clone(), tree.owner.clone()).await?;
    let mut inherited = Client::new(server.target.clone(), tree.root_admin.clone()).await?;
    let mut direct = Client::new(server.target.clone(), tree.leaf_admin.clone()).await?;
    let members = Ask::Get(format!("/v1/accounts/{leaf}/members"));
    let page = inherited.ask(&members).await?;
    let someone = page["data"][0]["user_id"].as_str().context("the leaf has members")?.to_owned();
    ensure!(page["data"].as_array().map_or(0, Vec::len) == 20, "a full first page of leaf members");
    let permissions = Ask::Get(format!("/v1/users/{someone}/permissions?account_id={leaf}&check=users.delete"));
    let key = |k: &str| format!("tree_{engine}_{k}");

    for (slug, label, ask) in
        [("members", "GET leaf members", &members), ("permissions", "GET leaf permissions", &permissions)]
    {
        let timings = in_turns(&mut [(&mut inherited, ask.clone()), (&mut direct, ask.clone())]).await?;
        let ((inh_median, inh_p99), (dir_median, dir_p99)) = (timings[0], timings[1]);
        // Requests per second of one sequential client: the reciprocal of the median.
        let ratio = dir_median.as_secs_f64() / inh_median.as_secs_f64().max(1e-9);
        eprintln!(
            "   {label}: inherited {:.2} ms (p99 {:.2}), direct {:.2} ms (p99 {:.2}); inherited/direct req/s {ratio:.2}",
            ms(inh_median),
            ms(inh_p99),
            ms(dir_median),
            ms(dir_p99)
        );
        ctx.report.add(Metric::new(
            key(&format!("{slug}_inherited_p50_ms")),
            format!("{engine}: {label}, root admin (inherited) median"),
            ms(inh_median),
            "ms",
            2,
        ));
        ctx.report.add(Metric::new(
            key(&format!("{slug}_direct_p50_ms")),
            format!("{engine}: {label}, leaf admin (direct) median"),
            ms(dir_median),
            "ms",
            2,
        ));
        ctx.report.add(
            Metric::new(
                key(&format!("{slug}_inherited_ratio")),
                format!("{engine}: {label}, inherited / direct req/s"),
                ratio,
                "×",
                2,
            )
            .at_least(0.8),
        );
    }

    for (slug, label, account) in [
        ("access_root", "access?scope=users.delete on the root", root),
        ("access_leaf", "access?scope=users.delete on the leaf", leaf),
    ] {
        let ask = Ask::Get(format!("/v1/accounts/{account}/access?scope=users.delete&limit=100"));
        let first = owner.ask(&ask).await?;
        let holders = first["data"].as_array().map_or(0, Vec::len);
        let timing = owner.time(&ask).await?;
        eprintln!("   {label}: {holders} on page 1, median {:.2} ms, p99 {:.2} ms", ms(timing.median), ms(timing.p99));
        ctx.report.add(Metric::new(
            key(&format!("{slug}_p50_ms")),
            format!("{engine}: {label} median"),
            ms(timing.median),
            "ms",
            2,
        ));
        ctx.report.add(
            Metric::new(key(&format!("{slug}_p99_ms")), format!("{engine}: {label} p99"), ms(timing.p99), "ms", 2)
                .at_most(20.0),
        );
    }
    Ok(())
}
