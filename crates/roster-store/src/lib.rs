//! Roster's storage: plain async functions over one SQL text per query, compiled for both
//! SQLite and PostgreSQL (see [`db`]). Services own transactions; this crate owns SQL.

pub mod db;
pub mod error;
pub mod ts;

pub mod accounts;
pub mod activities;
pub mod analytics;
pub mod announcements;
pub mod calendars;
pub mod changes;
pub mod crm;
pub mod idempotency;
pub mod job_queue;
pub mod jobs;
pub mod login_attempts;
pub mod memberships;
pub mod mfa;
mod named;
pub mod preferences;
pub mod push_tokens;
pub mod secrets;
pub mod sessions;
mod sql;
pub mod tokens;
pub mod user_emails;
pub mod user_list;
pub mod user_phones;
pub mod users;
pub mod workspaces;

pub use db::{Conn, Db, Engine, Exec, Tx};
pub use error::{StoreError, StoreResult, Unique};
pub use ts::Ts;
