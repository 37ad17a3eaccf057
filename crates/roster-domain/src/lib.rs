//! Roster's pure rules and types. Nothing here does I/O or awaits: every rule can be unit
//! tested on its own, and every layer above shares one definition of it.

pub mod cursor;
pub mod email;
pub mod field_error;
pub mod ids;
pub mod json;
pub mod locale;
pub mod net;
pub mod password;
pub mod permissions;
pub mod phone;
pub mod role;
pub mod scope;
pub mod user;
pub mod web_url;
pub mod workspace;

pub use field_error::{FieldError, FieldErrors};
pub use ids::{AccountId, SessionId, UserId, WorkspaceId};
