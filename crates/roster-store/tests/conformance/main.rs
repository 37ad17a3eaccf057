//! The store conformance suite: every test runs the same body against a fresh SQLite file and,
//! when `ROSTER_TEST_DATABASE_URL` is set, a fresh PostgreSQL database (CI runs both), through
//! the store's public API only. `schema` checks that the two migration folders agree.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test and its helpers fail by panicking")]

mod support;

mod accounts_tree;
mod announcements;
mod audit;
mod calendars;
mod export_reads;
mod idempotency;
mod job_queue;
mod jobs_secrets;
mod login_attempts;
mod memberships;
mod mfa;
mod push_tokens;
mod schema;
mod sessions;
mod tokens;
mod transactions;
mod ts;
mod user_emails;
mod user_list;
mod user_list_budget;
mod user_list_contacts;
mod user_list_ordered;
mod user_phones;
mod users;
mod workspaces;
