//! Headers that must come once. Two `Authorization` headers (or two `X-Account-Id`, two
//! `Idempotency-Key`, two `Content-Type`) make a request ambiguous: whichever one a layer picks,
//! another layer or a proxy in front may have picked the other — a request signed in as one
//! caller and rate-limited, logged or replayed as another. Such a request is refused whole,
//! 400 `bad_request`, before anything reads it.

use axum::extract::Request;
use axum::http::{HeaderName, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Code};
use crate::extract::auth::ACCOUNT_HEADER;
use crate::middleware::idempotency::IDEMPOTENCY_KEY;

/// The headers a request may carry at most once.
const ONCE: [HeaderName; 4] =
    [header::AUTHORIZATION, HeaderName::from_static(ACCOUNT_HEADER), IDEMPOTENCY_KEY, header::CONTENT_TYPE];

pub async fn single_headers(request: Request, next: Next) -> Response {
    for name in &ONCE {
        let mut values = request.headers().get_all(name).iter();
        if values.next().is_some() && values.next().is_some() {
            return ApiError::new(Code::BadRequest, format!("the request carries more than one {name} header"))
                .into_response();
        }
    }
    next.run(request).await
}
