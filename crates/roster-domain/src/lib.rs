//! Roster's pure rules and types. Nothing here does I/O or awaits: every rule can be unit
//! tested on its own, and every layer above shares one definition of it.

pub mod activity;
pub mod cursor;
pub mod email;
pub mod field_error;
pub mod ids;
pub mod job;
pub mod json;
pub mod locale;
pub mod login;
pub mod named;
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
pub use ids::{AccountId, ActivityId, AnnouncementId, CalendarId, JobId, PhoneId, SessionId, UserId, WorkspaceId};
