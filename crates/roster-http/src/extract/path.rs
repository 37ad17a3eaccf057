//! Ids in paths. A malformed id names no resource, so it is a 404 like any unknown id.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use uuid::Uuid;

use crate::error::ApiError;

pub struct Id<T>(pub T);

impl<S: Send + Sync, T: From<Uuid>> FromRequestParts<S> for Id<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(id) = Path::<Uuid>::from_request_parts(parts, state).await.map_err(|_| ApiError::not_found())?;
        Ok(Id(T::from(id)))
    }
}

/// Two ids in a path, such as `/v1/accounts/{id}/members/{userId}`.
pub struct Ids<A, B>(pub A, pub B);

impl<S: Send + Sync, A: From<Uuid>, B: From<Uuid>> FromRequestParts<S> for Ids<A, B> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((a, b)) =
            Path::<(Uuid, Uuid)>::from_request_parts(parts, state).await.map_err(|_| ApiError::not_found())?;
        Ok(Ids(A::from(a), B::from(b)))
    }
}
