//! Roster's API tests: every test drives the real app over HTTP, on a fresh SQLite file, or on a
//! fresh PostgreSQL database when ROSTER_TEST_DATABASE_URL is set (CI runs both).

mod helpers;

mod auth;
mod signup;
mod cli;
