//! The `/v1/users` core (API.md §5).

pub mod config;
pub mod create;
pub mod delete;
mod detail;
pub mod emails;
pub mod export;
pub mod input;
pub mod list;
pub mod oversight;
pub mod phones;
pub mod push_tokens;
pub mod read;
pub mod update;

pub use delete::Deletion;
pub(crate) use detail::{detail, details, fresh};
pub use input::{CreateUser, UpdateUser};
pub use list::{ExportBatch, Paging, SearchUsers, UserFilters, UserList};
pub use oversight::RightsOver;
pub use read::{Profile, ProfileAccount};
pub use update::etag;
