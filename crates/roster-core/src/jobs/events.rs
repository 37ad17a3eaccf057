//! Outbound domain events (API.md §9): recorded as `event.deliver` jobs in the change's
//! transaction, each with its own id so receivers can drop duplicates.

use roster_domain::UserId;
use roster_domain::user::User;
use roster_store::Exec;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::enqueue;
use super::payload::EventDelivery;
use crate::error::CoreResult;
use crate::notify::Event;

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// What events say about a user (no secrets, nothing beyond the public profile).
pub fn user_data(user: &User) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "status": user.status.as_str(),
        "timezone": user.timezone,
        "locale": user.locale,
        "created_at": rfc3339(user.created_at),
        "updated_at": rfc3339(user.updated_at),
    })
}

/// Record the event `kind` (e.g. `user.created`) about `user`, to be delivered after commit.
/// The job names the user, so purging the user redacts the events still waiting.
pub async fn record(
    exec: &mut impl Exec,
    kind_name: &str,
    user: UserId,
    data: Value,
    now: OffsetDateTime,
) -> CoreResult<()> {
    let event = Event::new(kind_name, now, data);
    enqueue(exec, &EventDelivery { event, user_id: user }, now).await
}
