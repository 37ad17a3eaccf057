//! One file per resource.

pub mod accounts;
pub mod admin;
pub mod announcements;
pub mod auth;
pub mod health;
pub mod users;
