//! Roster's API tests: every test drives the real app over HTTP, on a fresh SQLite file, or on a
//! fresh PostgreSQL database when ROSTER_TEST_DATABASE_URL is set (CI runs both).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test and its helpers fail by panicking")]

mod helpers;

mod accounts;
mod accounts_members;
mod accounts_scope;
mod accounts_tree;
mod activity;
mod analytics;
mod announcements;
mod audit;
mod auth;
mod browser;
mod calendars;
mod calendars_ssrf;
mod cli;
mod config;
mod emails;
mod export;
mod feeds;
mod hardening;
mod http_errors;
mod idempotency;
mod integrity;
mod limits;
mod login_history;
mod mfa;
mod operations;
mod pages;
mod permissions_model;
mod phones;
mod process;
mod push_tokens;
mod queue_busy;
mod queue_dead;
mod queue_faults;
mod queues;
mod recovery;
mod secrets_kept;
mod sessions;
mod signup;
mod sinks;
mod sqlite_file;
mod token_cache;
mod totp;
mod users_delete;
mod users_list;
mod users_oversight;
mod users_paging;
mod users_read;
mod users_search;
mod users_search_contacts;
mod users_update;
mod web;
mod workspaces;
