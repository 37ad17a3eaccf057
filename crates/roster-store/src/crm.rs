//! CRM contacts: one per member of an account (the seed's `crm.contacts` association).

use roster_domain::{AccountId, UserId};
use uuid::Uuid;

use crate::db::Exec;
use crate::error::StoreResult;
use crate::on_conn;
use crate::ts::Ts;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Contact {
    pub id: Uuid,
    pub account_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

/// Create or refresh the contact of `user` in `account`.
pub async fn upsert(
    exec: &mut impl Exec,
    account: AccountId,
    user: UserId,
    name: &str,
    email: &str,
    phone: Option<&str>,
    now: Ts,
) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query(
            "INSERT INTO crm_contacts (id, account_id, user_id, name, email, phone, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (account_id, user_id) DO UPDATE SET \
             name = excluded.name, email = excluded.email, phone = excluded.phone, updated_at = excluded.updated_at",
        )
        .bind(Uuid::now_v7())
        .bind(account.as_uuid())
        .bind(user.as_uuid())
        .bind(name)
        .bind(email)
        .bind(phone)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Remove the contact of a user who left the account (or was deleted).
pub async fn remove(exec: &mut impl Exec, account: AccountId, user: UserId) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("DELETE FROM crm_contacts WHERE account_id = $1 AND user_id = $2")
            .bind(account.as_uuid())
            .bind(user.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn of_account(exec: &mut impl Exec, account: AccountId) -> StoreResult<Vec<Contact>> {
    let rows: Vec<Contact> = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT id, account_id, user_id, name, email, phone FROM crm_contacts WHERE account_id = $1 ORDER BY email",
        )
        .bind(account.as_uuid())
        .fetch_all(c)
        .await
    })?;
    Ok(rows)
}

/// Remove every contact of an account (the account was deleted).
pub async fn remove_account(exec: &mut impl Exec, account: AccountId) -> StoreResult<()> {
    on_conn!(exec, |c| {
        sqlx::query("DELETE FROM crm_contacts WHERE account_id = $1")
            .bind(account.as_uuid())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The contacts that stand for `user`, in account order.
pub async fn of_user(exec: &mut impl Exec, user: UserId) -> StoreResult<Vec<Contact>> {
    let rows: Vec<Contact> = on_conn!(exec, |c| {
        sqlx::query_as(
            "SELECT id, account_id, user_id, name, email, phone FROM crm_contacts WHERE user_id = $1 \
             ORDER BY account_id",
        )
        .bind(user.as_uuid())
        .fetch_all(c)
        .await
    })?;
    Ok(rows)
}
