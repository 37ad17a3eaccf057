//! Request heads are capped at 16 KiB and 100 headers (431 problem+json). hyper holds the hard
//! line further out (see [`crate::server`]): it reads no more than that, and answers a bare 431
//! past it.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Code};

pub const MAX_HEAD_BYTES: usize = 16 * 1024;
pub const MAX_HEADERS: usize = 100;

pub async fn head_limit(request: Request, next: Next) -> Response {
    let headers = request.headers();
    if headers.len() > MAX_HEADERS {
        return ApiError::new(Code::HeadersTooLarge, format!("a request may carry at most {MAX_HEADERS} headers"))
            .into_response();
    }
    // The request line and each `name: value\r\n`, as they came over the wire.
    let uri = request.uri();
    let target = uri.scheme_str().map_or(0, |s| s.len() + 3)
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(1, |p| p.as_str().len());
    let line = request.method().as_str().len() + target + " HTTP/1.1\r\n".len() + 1;
    let size = headers.iter().fold(line, |n, (name, value)| n + name.as_str().len() + value.len() + 4);
    if size > MAX_HEAD_BYTES {
        return ApiError::new(Code::HeadersTooLarge, "the request line and headers must be at most 16 KiB in all")
            .into_response();
    }
    next.run(request).await
}
