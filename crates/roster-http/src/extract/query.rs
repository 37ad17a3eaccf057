//! `Query<T>`: query strings with the same problem+json answers as bodies (422, field named).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use roster_domain::FieldError;

use super::json::{NUL_MESSAGE, field_error};
use crate::error::ApiError;

pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        if let Some((name, _)) =
            form_urlencoded::parse(query.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            let field = FieldError::new(name.replace('\0', ""), "invalid_characters", NUL_MESSAGE);
            return Err(ApiError::validation(vec![field]));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Query).map_err(|err| {
            let path = err.path().to_string();
            ApiError::validation(vec![field_error(&path, &err.into_inner().to_string())])
        })
    }
}
