//! Schema parity (DESIGN.md §3): the two migration folders list the same files, and after
//! migrating, both engines have the same tables with the same column names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use roster_store::Db;
use roster_store::on_conn;

use crate::support::{admin_url, engines};

/// Table name → column names.
type Schema = BTreeMap<String, BTreeSet<String>>;

fn migrations_dir(engine: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations").join(engine)
}

/// The `.sql` file names of one migration folder, sorted.
fn migration_files(engine: &str) -> Vec<String> {
    let dir = migrations_dir(engine);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| std::path::Path::new(name).extension().is_some_and(|e| e.eq_ignore_ascii_case("sql")))
        .collect();
    names.sort();
    names
}

/// Objects that exist on one engine only, by design:
/// - `_sqlx_migrations`, sqlx's own bookkeeping (its columns are sqlx's business);
/// - SQLite's internal tables (`sqlite_sequence`, `sqlite_stat1`, …);
/// - the SQLite implementation of the search indexes: the FTS5 tables `users_search` and
///   `user_emails_search`, their shadow tables (`*_search_*`), and
///   `users_search_ids`, which maps the users index's integer keys to user ids. PostgreSQL serves
///   the same search with `pg_trgm` GIN indexes, which are indexes, not tables, so there is
///   nothing to compare them with.
fn engine_specific(table: &str) -> bool {
    table == "_sqlx_migrations"
        || table.starts_with("sqlite_")
        || ["users_search", "user_emails_search"]
            .iter()
            .any(|index| table == *index || table.starts_with(&format!("{index}_")))
}

async fn sqlite_schema(db: &Db) -> (Schema, Vec<String>) {
    let mut conn = db.conn().await.unwrap();
    let tables: Vec<String> = on_conn!(&mut conn, |c| {
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetch_all(c).await
    })
    .unwrap();
    let mut schema = Schema::new();
    let mut skipped = Vec::new();
    for table in tables {
        if engine_specific(&table) {
            skipped.push(table);
            continue;
        }
        let columns: Vec<String> = on_conn!(&mut conn, |c| {
            sqlx::query_scalar("SELECT name FROM pragma_table_xinfo($1)").bind(table.clone()).fetch_all(c).await
        })
        .unwrap();
        assert!(!columns.is_empty(), "{table} has columns");
        schema.insert(table, columns.into_iter().collect());
    }
    (schema, skipped)
}

async fn postgres_schema(db: &Db) -> Schema {
    let mut conn = db.conn().await.unwrap();
    let rows: Vec<(String, String)> = on_conn!(&mut conn, |c| {
        sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
        )
        .fetch_all(c)
        .await
    })
    .unwrap();
    let mut schema = Schema::new();
    for (table, column) in rows {
        if engine_specific(&table) {
            continue;
        }
        schema.entry(table).or_default().insert(column);
    }
    schema
}

/// Tables the PostgreSQL migrations create (and do not drop), read from their text: lets the
/// SQLite side be checked against the PostgreSQL files even when no server is at hand.
fn tables_in_postgres_migrations() -> BTreeSet<String> {
    let mut tables = BTreeSet::new();
    for file in migration_files("postgres") {
        let text = std::fs::read_to_string(migrations_dir("postgres").join(&file)).unwrap();
        let code: String = text.lines().map(|l| l.split("--").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
        let words: Vec<String> = code
            .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        for i in 0..words.len().saturating_sub(2) {
            if words[i + 1] != "table" || !(words[i] == "create" || words[i] == "drop") {
                continue;
            }
            let mut name_at = i + 2;
            while matches!(words.get(name_at).map(String::as_str), Some("if" | "not" | "exists")) {
                name_at += 1;
            }
            let name = words[name_at].trim_matches('"').to_owned();
            if words[i] == "create" {
                tables.insert(name);
            } else {
                tables.remove(&name);
            }
        }
    }
    tables
}

#[test]
fn both_migration_folders_list_the_same_files() {
    let sqlite = migration_files("sqlite");
    let postgres = migration_files("postgres");
    assert!(!sqlite.is_empty(), "there are migrations");
    assert_eq!(sqlite, postgres, "migrations/sqlite and migrations/postgres must list the same file names");
}

#[tokio::test]
async fn both_engines_have_the_same_tables_and_columns() {
    let engines = engines().await;
    let (sqlite, skipped) = sqlite_schema(&engines[0].db).await;
    assert!(engines[0].is_sqlite());

    // The exclusions are not stale: the search index they name is really there.
    for expected in ["_sqlx_migrations", "users_search", "users_search_ids", "user_emails_search"] {
        assert!(skipped.iter().any(|t| t == expected), "{expected} exists on SQLite: {skipped:?}");
    }
    for core in ["users", "accounts", "memberships", "sessions", "tokens", "jobs", "idempotency"] {
        assert!(sqlite.contains_key(core), "SQLite has {core}");
    }
    let sqlite_tables: BTreeSet<String> = sqlite.keys().cloned().collect();
    assert_eq!(
        sqlite_tables,
        tables_in_postgres_migrations(),
        "SQLite tables = tables the PostgreSQL migrations create"
    );

    match engines.iter().find(|e| !e.is_sqlite()) {
        None => {
            assert!(admin_url().is_none());
            println!(
                "schema parity: PostgreSQL side skipped (ROSTER_TEST_DATABASE_URL is unset; CI runs it with PostgreSQL)"
            );
        }
        Some(pg) => {
            let postgres = postgres_schema(&pg.db).await;
            let tables = |s: &Schema| s.keys().cloned().collect::<Vec<_>>();
            assert_eq!(tables(&sqlite), tables(&postgres), "same tables on both engines");
            for (table, columns) in &sqlite {
                assert_eq!(Some(columns), postgres.get(table), "columns of {table}");
            }
        }
    }
}
