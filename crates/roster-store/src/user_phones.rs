//! Users' phone numbers (migration 0009), with the state of their verification code and of
//! the limits on sending one. The services read a phone, decide, and save it whole, under the
//! user's row lock (`users::lock`), so two requests about one user's phones go one at a time.

use roster_domain::phone::PhoneLabel;
use roster_domain::{PhoneId, UserId};
use uuid::Uuid;

use crate::db::Exec;
use crate::error::{StoreError, StoreResult, Unique};
use crate::on_conn;
use crate::ts::Ts;

/// One phone of a user, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredPhone {
    #[sqlx(try_from = "Uuid")]
    pub id: PhoneId,
    /// E.164.
    pub number: String,
    #[sqlx(try_from = "String")]
    pub label: PhoneLabel,
    pub verified: bool,
    pub is_primary: bool,
    /// Keyed hash of the code last sent; `None` when no code is waiting.
    pub code_hash: Option<Vec<u8>>,
    pub code_expires_at: Option<Ts>,
    /// Wrong codes given since the last one was sent.
    pub code_attempts: i64,
    pub last_sent_at: Option<Ts>,
    /// Start of the hour whose sends `window_sends` counts.
    pub window_started_at: Option<Ts>,
    pub window_sends: i64,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl StoredPhone {
    /// The digits of the number, without `+` (what search matches).
    fn digits(&self) -> &str {
        self.number.trim_start_matches('+')
    }
}

const COLUMNS: &str = "id, number, label, verified, is_primary, code_hash, code_expires_at, code_attempts, \
    last_sent_at, window_started_at, window_sends, created_at, updated_at";
/// The order phones are shown in: the primary first, then by age.
pub(crate) const ORDER: &str = "is_primary DESC, created_at, id";

/// Add a phone to the user, or write every field of the user's phone `p.id` but its creation
/// time. A number the user has on another phone → `Conflict(PhoneNumber)`.
pub async fn save(exec: &mut impl Exec, user: UserId, p: &StoredPhone) -> StoreResult<()> {
    let result = on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO user_phones (id, user_id, number, digits, label, verified, is_primary, code_hash, \
             code_expires_at, code_attempts, last_sent_at, window_started_at, window_sends, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (id) DO UPDATE SET number = excluded.number, digits = excluded.digits, \
             label = excluded.label, verified = excluded.verified, is_primary = excluded.is_primary, \
             code_hash = excluded.code_hash, code_expires_at = excluded.code_expires_at, \
             code_attempts = excluded.code_attempts, last_sent_at = excluded.last_sent_at, \
             window_started_at = excluded.window_started_at, window_sends = excluded.window_sends, \
             updated_at = excluded.updated_at WHERE user_phones.user_id = excluded.user_id",
        )
        .bind(p.id.as_uuid())
        .bind(user.as_uuid())
        .bind(&p.number)
        .bind(p.digits())
        .bind(p.label.as_str())
        .bind(p.verified)
        .bind(p.is_primary)
        .bind(&p.code_hash)
        .bind(p.code_expires_at)
        .bind(p.code_attempts)
        .bind(p.last_sent_at)
        .bind(p.window_started_at)
        .bind(p.window_sends)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    });
    result.map_err(|e| StoreError::unique(e, Unique::PhoneNumber))?;
    Ok(())
}

/// The user's phone `id`.
pub async fn find(exec: &mut impl Exec, user: UserId, id: PhoneId) -> StoreResult<Option<StoredPhone>> {
    let sql = format!("SELECT {COLUMNS} FROM user_phones WHERE id = $1 AND user_id = $2");
    Ok(on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id.as_uuid()).bind(user.as_uuid()).fetch_optional(c).await
    })?)
}

/// The user's phones, the primary first, then by age.
pub async fn of_user(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<StoredPhone>> {
    let sql = format!("SELECT {COLUMNS} FROM user_phones WHERE user_id = $1 ORDER BY {ORDER}");
    Ok(on_conn!(exec, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(user.as_uuid()).fetch_all(c).await
    })?)
}

/// The phones of each of `users` (a page of a list: at most 100), each user's in the order of
/// [`of_user`].
pub async fn of_users(exec: &mut impl Exec, users: &[UserId]) -> StoreResult<Vec<(UserId, StoredPhone)>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=users.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT user_id, {COLUMNS} FROM user_phones WHERE user_id IN ({}) ORDER BY user_id, {ORDER}",
        marks.join(", ")
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: Uuid,
        #[sqlx(flatten)]
        phone: StoredPhone,
    }
    let rows: Vec<Row> = on_conn!(exec, |c| {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
        for user in users {
            query = query.bind(user.as_uuid());
        }
        query.fetch_all(c).await
    })?;
    Ok(rows.into_iter().map(|r| (UserId::from_uuid(r.user_id), r.phone)).collect())
}

/// Make the user's phone `id` its primary one (and no other).
pub async fn make_primary(exec: &mut impl Exec, user: UserId, id: PhoneId) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("UPDATE user_phones SET is_primary = (id = $2) WHERE user_id = $1")
            .bind(user.as_uuid())
            .bind(id.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Remove the user's phone `id`; `false` if the user has no such phone.
pub async fn delete(exec: &mut impl Exec, user: UserId, id: PhoneId) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query("DELETE FROM user_phones WHERE id = $1 AND user_id = $2")
            .bind(id.as_uuid())
            .bind(user.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Remove the user's phones never verified; their numbers (oldest first), and whether the
/// primary one was among them.
pub async fn delete_unverified(exec: &mut impl Exec, user: UserId) -> StoreResult<(Vec<String>, bool)> {
    let gone: Vec<(String, bool, Ts)> = on_conn!(exec, |c| {
        sqlx::query_as(
            "DELETE FROM user_phones WHERE user_id = $1 AND NOT verified RETURNING number, is_primary, created_at",
        )
        .bind(user.as_uuid())
        .fetch_all(c)
        .await
    })?;
    let primary = gone.iter().any(|(_, primary, _)| *primary);
    let mut gone: Vec<(Ts, String)> = gone.into_iter().map(|(number, _, at)| (at, number)).collect();
    gone.sort();
    Ok((gone.into_iter().map(|(_, number)| number).collect(), primary))
}

/// Remove every phone of the user (a purge).
pub async fn delete_all(exec: &mut impl Exec, user: UserId) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("DELETE FROM user_phones WHERE user_id = $1")
            .bind(user.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Store the hash of the code being sent now to phone `id`, if it is still unverified, has the
/// number `number` and its newest code was asked for at `requested` (a job for a number changed
/// since, or overtaken by a newer request, sends nothing); fresh tries, valid until
/// `expires_at`. Returns whether it was stored.
pub async fn set_code(
    exec: &mut impl Exec,
    id: PhoneId,
    number: &str,
    requested: Ts,
    hash: &[u8],
    expires_at: Ts,
) -> StoreResult<bool> {
    let n = on_conn!(exec, |c| {
        sqlx::query(
            "UPDATE user_phones SET code_hash = $3, code_expires_at = $4, code_attempts = 0 \
             WHERE id = $1 AND number = $2 AND NOT verified AND last_sent_at = $5",
        )
        .bind(id.as_uuid())
        .bind(number)
        .bind(hash)
        .bind(expires_at)
        .bind(requested)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// The user's primary number, if it has phones (what the accounts' CRM contacts show).
pub async fn primary_number(exec: &mut impl Exec, user: UserId) -> StoreResult<Option<String>> {
    Ok(on_conn!(exec, |c| {
        sqlx::query_scalar("SELECT number FROM user_phones WHERE user_id = $1 AND is_primary")
            .bind(user.as_uuid())
            .fetch_optional(c)
            .await
    })?)
}
