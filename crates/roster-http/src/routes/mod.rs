//! One file per resource.

pub mod accounts;
pub mod auth;
pub mod health;
pub mod users;

use roster_domain::FieldError;

use crate::error::ApiError;

/// A page size from the query: 1–100, default 20.
pub(crate) fn limit(limit: Option<u32>) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation(vec![FieldError::new("limit", "out_of_range", "must be between 1 and 100")]));
    }
    Ok(limit)
}
