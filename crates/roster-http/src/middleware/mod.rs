//! Layers every request passes through.

pub mod anon_limit;
pub mod head_limit;
pub mod idempotency;
pub mod metrics;
pub mod request_id;
pub mod request_log;
pub mod single_headers;
