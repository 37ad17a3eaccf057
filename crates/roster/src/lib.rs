//! The Roster binary's library half: configuration, start-up and shutdown, shared by `main.rs`
//! and the integration tests (which start the real app in-process).

pub mod app;
pub mod cli;
pub mod config;
pub mod telemetry;
