//! Typed identifiers. Every id is a UUID v7 so ids sort by creation time and index well.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
            pub const fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A person known to Roster.
    UserId
);
id_type!(
    /// A tenant (or sub-account) that users belong to.
    AccountId
);
id_type!(
    /// A signed-in session (one bearer token).
    SessionId
);
id_type!(
    /// A workspace inside an account.
    WorkspaceId
);
id_type!(
    /// One of a user's phone numbers.
    PhoneId
);
id_type!(
    /// A calendar feed a user subscribed to.
    CalendarId
);
id_type!(
    /// An announcement shown to users.
    AnnouncementId
);
id_type!(
    /// A job of the background queues.
    JobId
);
id_type!(
    /// An entry of the audit trail.
    ActivityId
);
