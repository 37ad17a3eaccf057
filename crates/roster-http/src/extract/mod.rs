//! Extractors: each turns part of a request into a typed value or a problem+json rejection.

pub mod auth;
pub mod body;
pub mod json;
pub mod meta;
pub mod path;
pub mod query;

pub use auth::{Auth, MaybeAuth};
pub use json::Json;
pub use meta::Meta;
pub use path::{Id, Ids};
pub use query::Query;
