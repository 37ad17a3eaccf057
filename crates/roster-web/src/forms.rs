//! What a posted form must prove before a handler sees it: it comes from a page of ours
//! (`Origin`), and — when it changes a signed-in person's data — it carries the token of this
//! session's pages. A form that fails either is refused with a 403 page and changes nothing.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::Response;
use roster_http::AppState;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::render;
use crate::security::same_origin;
use crate::visitor::Visitor;

/// A form posted by anyone, from a page of ours.
pub(crate) struct Posted<T>(pub T);

/// A form posted by the signed-in person, from one of this session's pages.
pub(crate) struct SignedForm<T> {
    pub visitor: Visitor,
    pub form: T,
}

/// A form with no fields of its own (a button and the form token).
#[derive(Deserialize)]
pub(crate) struct Nothing {}

#[derive(Deserialize)]
struct FormToken {
    #[serde(rename = "_csrf", default)]
    token: String,
}

async fn body_of(request: Request, state: &AppState) -> Result<(axum::http::request::Parts, Bytes), Response> {
    if !same_origin(request.headers(), &state.core.config.public_url) {
        return Err(render::foreign_form());
    }
    let (parts, body) = request.into_parts();
    let bytes =
        Bytes::from_request(Request::from_parts(parts.clone(), body), state).await.map_err(|_| render::bad_form())?;
    Ok((parts, bytes))
}

fn parse<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Response> {
    serde_urlencoded::from_bytes(bytes).map_err(|_| render::bad_form())
}

impl<T: DeserializeOwned> FromRequest<AppState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (_, bytes) = body_of(request, state).await?;
        parse(&bytes).map(Posted)
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for SignedForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, bytes) = body_of(request, state).await?;
        let visitor = Visitor::from_request_parts(&mut parts, state).await?;
        let FormToken { token } = parse(&bytes)?;
        if !state.core.form_token_ok(&visitor.actor, &token) {
            return Err(render::foreign_form());
        }
        Ok(Self { visitor, form: parse(&bytes)? })
    }
}
