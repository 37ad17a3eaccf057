//! Seeding a million users straight into the database of a stopped server: one transaction on
//! SQLite (through the same schema's triggers, so the search index and the kept counts are
//! written as the service writes them); binary COPY on PostgreSQL, with triggers off and the
//! counts and trigram indexes rebuilt afterwards exactly as migrations 0003, 0008 and 0010 build
//! them. Every user gets a phone and every third a second address (data.rs).

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::Context;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use super::data::{Person, people};

pub fn sqlite(db: &Path, account: Uuid, n: usize) -> anyhow::Result<()> {
    let mut conn = rusqlite::Connection::open(db).with_context(|| format!("opening {}", db.display()))?;
    // The server is stopped: no journal and a large cache for the one big transaction (a WAL
    // would grow by the whole seed), then back to WAL as the server keeps it.
    conn.pragma_update(None, "journal_mode", "OFF")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "cache_size", -1_048_576)?;
    let tx = conn.transaction()?;
    {
        let mut user = tx.prepare(
            "INSERT INTO users (id, email, email_normalized, email_verified, password_hash, name, name_normalized, \
             first_name, last_name, image, title, bio, timezone, locale, status, metadata, mfa_enabled, \
             platform_admin, created_at, updated_at, last_login_at, deleted_at) \
             VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, NULL, NULL, NULL, NULL, NULL, 'UTC', 'en', ?7, '{}', 0, 0, \
             ?8, ?8, ?9, NULL)",
        )?;
        let mut member = tx.prepare(
            "INSERT INTO memberships (user_id, account_id, role, grants, denies, created_at, user_status, name_key, \
             email_key, email_verified, user_created_at, last_login_key) \
             VALUES (?1, ?2, 'member', '[]', '[]', ?3, ?4, ?5, ?6, ?7, ?3, ?8)",
        )?;
        let mut email = tx.prepare(
            "INSERT INTO user_emails (user_id, address, address_key, verified, is_primary, becomes_primary, \
             created_at) VALUES (?1, ?2, ?2, 1, 0, 0, ?3)",
        )?;
        let mut phone = tx.prepare(
            "INSERT INTO user_phones (id, user_id, number, digits, label, verified, is_primary, code_attempts, \
             window_sends, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'mobile', 1, 1, 0, 0, ?5, ?5)",
        )?;
        for p in people(n) {
            let id = p.id.as_bytes().to_vec();
            user.execute(rusqlite::params![
                id,
                p.email,
                p.email_key(),
                p.email_verified,
                p.name,
                p.name_key(),
                p.status,
                p.created_at,
                p.last_login_at
            ])?;
            member.execute(rusqlite::params![
                id,
                account.as_bytes().to_vec(),
                p.created_at,
                p.status,
                p.name_key(),
                p.email_key(),
                p.email_verified,
                p.last_login_at.unwrap_or(0)
            ])?;
            if let Some(secondary) = &p.secondary {
                email.execute(rusqlite::params![id, secondary, p.created_at])?;
            }
            phone.execute(rusqlite::params![
                p.phone_id.as_bytes().to_vec(),
                id,
                p.phone,
                p.phone_digits(),
                p.created_at
            ])?;
        }
    }
    tx.execute(SEATS, [])?;
    tx.commit()?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    Ok(())
}

const SEATS: &str = "UPDATE accounts SET seats_used = (SELECT COALESCE(SUM(n), 0) FROM member_counts \
                     WHERE member_counts.account_id = accounts.id AND user_status <> 'deleted')";

fn at(micros: i64) -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_micros(micros as u64)
}

pub async fn postgres(url: &str, account: Uuid, n: usize) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.context("connecting")?;
    let driver = tokio::spawn(connection);
    client
        .batch_execute(
            "SET session_replication_role = replica; SET maintenance_work_mem = '256MB'; \
             DROP INDEX users_search_name, users_search_email, user_emails_search; \
             ALTER TABLE phone_suffixes DROP CONSTRAINT phone_suffixes_pkey",
        )
        .await?;

    let sink = client
        .copy_in(
            "COPY users (id, email, email_normalized, email_verified, name, name_normalized, timezone, locale, \
             status, metadata, mfa_enabled, platform_admin, created_at, updated_at, last_login_at, contact_emails, \
             contact_phones) FROM STDIN BINARY",
        )
        .await?;
    let types = [
        Type::UUID,
        Type::TEXT,
        Type::TEXT,
        Type::BOOL,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::JSONB,
        Type::BOOL,
        Type::BOOL,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
        Type::TEXT,
        Type::TEXT,
    ];
    let writer = BinaryCopyInWriter::new(sink, &types);
    tokio::pin!(writer);
    let metadata = serde_json::json!({});
    for p in people(n) {
        let (email_key, name_key) = (p.email_key(), p.name_key());
        let (created, login) = (at(p.created_at), p.last_login_at.map(at));
        let (emails, digits) = (p.secondary.clone().unwrap_or_default(), p.phone_digits().to_owned());
        let row: [&(dyn ToSql + Sync); 17] = [
            &p.id,
            &p.email,
            &email_key,
            &p.email_verified,
            &p.name,
            &name_key,
            &"UTC",
            &"en",
            &p.status,
            &metadata,
            &false,
            &false,
            &created,
            &created,
            &login,
            &emails,
            &digits,
        ];
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await?;

    let sink = client
        .copy_in(
            "COPY memberships (user_id, account_id, role, grants, denies, created_at, user_status, name_key, \
             email_key, email_verified, user_created_at, last_login_key, contact_emails, contact_phones) \
             FROM STDIN BINARY",
        )
        .await?;
    let types = [
        Type::UUID,
        Type::UUID,
        Type::TEXT,
        Type::JSONB,
        Type::JSONB,
        Type::TIMESTAMPTZ,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::BOOL,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
        Type::TEXT,
        Type::TEXT,
    ];
    let writer = BinaryCopyInWriter::new(sink, &types);
    tokio::pin!(writer);
    let none = serde_json::json!([]);
    for p in people(n) {
        let Person { id, .. } = &p;
        let (email_key, name_key) = (p.email_key(), p.name_key());
        let (created, login) = (at(p.created_at), at(p.last_login_at.unwrap_or(0)));
        let (emails, digits) = (p.secondary.clone().unwrap_or_default(), p.phone_digits().to_owned());
        let row: [&(dyn ToSql + Sync); 14] = [
            id,
            &account,
            &"member",
            &none,
            &none,
            &created,
            &p.status,
            &name_key,
            &email_key,
            &p.email_verified,
            &created,
            &login,
            &emails,
            &digits,
        ];
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await?;

    // Triggers are off: the sign-in addresses are copied into user_emails as its trigger would.
    client
        .batch_execute(
            "INSERT INTO user_emails (user_id, address, address_key, verified, is_primary, becomes_primary, \
             created_at) SELECT id, email, email_normalized, email_verified, TRUE, FALSE, created_at FROM users \
             WHERE status <> 'deleted' ORDER BY created_at ON CONFLICT (address_key) WHERE is_primary OR verified DO NOTHING",
        )
        .await?;
    let sink = client
        .copy_in(
            "COPY user_emails (user_id, address, address_key, verified, is_primary, becomes_primary, created_at) \
             FROM STDIN BINARY",
        )
        .await?;
    let types = [Type::UUID, Type::TEXT, Type::TEXT, Type::BOOL, Type::BOOL, Type::BOOL, Type::TIMESTAMPTZ];
    let writer = BinaryCopyInWriter::new(sink, &types);
    tokio::pin!(writer);
    for p in people(n) {
        let Some(secondary) = &p.secondary else { continue };
        let created = at(p.created_at);
        let row: [&(dyn ToSql + Sync); 7] = [&p.id, secondary, secondary, &true, &false, &false, &created];
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await?;
    let sink = client
        .copy_in(
            "COPY user_phones (id, user_id, number, digits, label, verified, is_primary, code_attempts, \
             window_sends, created_at, updated_at) FROM STDIN BINARY",
        )
        .await?;
    let types = [
        Type::UUID,
        Type::UUID,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::BOOL,
        Type::BOOL,
        Type::INT8,
        Type::INT8,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
    ];
    let writer = BinaryCopyInWriter::new(sink, &types);
    tokio::pin!(writer);
    for p in people(n) {
        let created = at(p.created_at);
        let digits = p.phone_digits().to_owned();
        let row: [&(dyn ToSql + Sync); 11] =
            [&p.phone_id, &p.id, &p.phone, &digits, &"mobile", &true, &true, &0i64, &0i64, &created, &created];
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await?;

    client
        .batch_execute(&format!(
            "CREATE INDEX user_emails_search ON user_emails USING gin (address_key gin_trgm_ops); \
             INSERT INTO phone_suffixes (suffix, seq, user_id, user_created_at) \
                 SELECT substr(p.digits, s.start), p.seq, p.user_id, u.created_at \
                 FROM user_phones p JOIN users u ON u.id = p.user_id, \
                     generate_series(1, length(p.digits) - 2) AS s (start); \
             ALTER TABLE phone_suffixes ADD PRIMARY KEY (suffix, seq) INCLUDE (user_id, user_created_at); \
             CREATE INDEX users_search_name ON users USING gin (name_normalized gin_trgm_ops); \
             CREATE INDEX users_search_email ON users USING gin (email_normalized gin_trgm_ops); \
             DELETE FROM user_counts; \
             INSERT INTO user_counts (status, shard, n) \
                 SELECT status, get_byte(uuid_send(id), 15) % 16, COUNT(*) FROM users GROUP BY 1, 2; \
             DELETE FROM member_counts; \
             INSERT INTO member_counts (account_id, user_status, role, n) \
                 SELECT account_id, user_status, role, COUNT(*) FROM memberships GROUP BY 1, 2, 3; \
             {SEATS}; SET session_replication_role = DEFAULT"
        ))
        .await?;
    // VACUUM runs outside a transaction block: one statement at a time.
    client.batch_execute("VACUUM ANALYZE users").await?;
    client.batch_execute("VACUUM ANALYZE memberships").await?;
    client.batch_execute("VACUUM ANALYZE user_emails").await?;
    client.batch_execute("VACUUM ANALYZE user_phones").await?;
    client.batch_execute("VACUUM ANALYZE phone_suffixes").await?;
    // Flush the seed's dirty pages now rather than under the measurements.
    client.batch_execute("CHECKPOINT").await?;
    drop(client);
    driver.await?.context("the connection")?;
    Ok(())
}

/// Drop and create `name` on the server of `admin_url`.
pub async fn fresh_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .with_context(|| format!("connecting to {admin_url}"))?;
    let driver = tokio::spawn(connection);
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    client.batch_execute(&format!("CREATE DATABASE {name}")).await?;
    drop(client);
    driver.await?.context("the connection")?;
    Ok(())
}

pub async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    drop(client);
    driver.await??;
    Ok(())
}
