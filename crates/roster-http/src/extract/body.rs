//! Reading a whole request body, with the one mapping of what can go wrong: over the limit →
//! 413, not in time → 408, cut off → 400. Shared by the JSON extractor and the idempotency layer.

use axum::body::{Body, Bytes};

use crate::error::{ApiError, Code};
use crate::server::BodyTimedOut;

/// Bodies above 1 MiB are refused with 413 (API.md §1).
pub const BODY_LIMIT: usize = 1024 * 1024;

pub async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|err| {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = cause {
            if e.is::<http_body_util::LengthLimitError>() {
                return ApiError::new(Code::PayloadTooLarge, "the body must be at most 1 MiB");
            }
            if e.is::<BodyTimedOut>() {
                return ApiError::new(Code::RequestTimeout, "the body did not arrive in time");
            }
            cause = e.source();
        }
        ApiError::new(Code::BadRequest, "the body could not be read")
    })
}
