//! `PUT /v1/users/:id`: partial profile updates and status changes.

use roster_domain::activity::Action;
use roster_domain::scope::Scope;
use roster_domain::user::{User, UserDetail, UserStatus};
use roster_domain::{FieldErrors, UserId};
use roster_store::{Ts, Tx, sessions, users};
use serde_json::{Map, Value, json};

use super::input::{self, UpdateUser};
use crate::access::MayChange;
use crate::error::{CoreError, CoreResult, Denied};
use crate::{Actor, Core, RequestMeta, access, activity};

impl Core {
    /// Apply `update` to user `id`. `if_match` is the client's `If-Match` ETag, if any.
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: UserId,
        update: UpdateUser,
        if_match: Option<&str>,
        meta: &RequestMeta,
    ) -> CoreResult<UserDetail> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        // Locked before it is read: two updates (or an update and a deletion) of one user are
        // applied one after the other, each checking If-Match against the other's result.
        users::lock(&mut tx, id).await?;
        let current = access::visible_user(&mut tx, &actor.user, id).await?;
        let may = access::may_change(&mut tx, &actor.user, &current, &Scope::USERS_UPDATE).await?;
        if update.status.is_some() && may.by_self() {
            return Err(CoreError::Forbidden(Denied::OwnStatus));
        }
        if let Some(tag) = if_match
            && !etag_matches(tag, &current)
        {
            return Err(CoreError::PreconditionFailed);
        }
        let (next, changes) = apply(&current, update)?;
        if changes.is_empty() {
            return super::detail(&mut tx, current).await;
        }
        let next = User { updated_at: now, ..next };
        save(&mut tx, may, &current, &next).await?;
        activity::record(
            &mut tx,
            now,
            next.id,
            Some(actor.user.id),
            actor.account_id,
            Action::UserUpdated,
            meta,
            Value::Object(changes.clone()),
        )
        .await?;
        let data = json!({"user": crate::jobs::events::user_data(&next), "changes": changes});
        crate::jobs::events::record(&mut tx, "user.updated", next.id, data, now).await?;
        crate::jobs::sync_memberships(&mut tx, next.id, now).await?;
        let next = super::detail(&mut tx, next).await?;
        self.commit(tx).await?;
        Ok(next)
    }
}

/// The write of an update: reachable only with the proof that the caller may change this user.
/// Suspending revokes the user's sessions and push tokens in the same transaction.
async fn save(tx: &mut Tx, may: MayChange, current: &User, next: &User) -> CoreResult<()> {
    if may.target() != next.id {
        return Err(CoreError::Internal("a MayChange proof for another user".into()));
    }
    users::update_profile(tx, next).await?;
    if current.status != UserStatus::Suspended && next.status == UserStatus::Suspended {
        sessions::revoke_all(tx, next.id, Ts::new(next.updated_at)).await?;
        roster_store::push_tokens::delete_all(tx, next.id).await?;
    }
    Ok(())
}

/// The user's strong validator: it changes whenever the representation can (`updated_at`
/// covers every write through the API; sign-ins move `last_login_at` alone).
pub fn etag(user: &User) -> String {
    let login = user.last_login_at.map_or(0, |at| Ts::new(at).micros());
    format!("\"{}-{}-{login}\"", user.id.as_uuid().simple(), Ts::new(user.updated_at).micros())
}

fn etag_matches(header: &str, user: &User) -> bool {
    let current = etag(user);
    // If-Match compares strongly (RFC 9110 §13.1.1): a weak tag never matches.
    header.split(',').map(str::trim).any(|tag| tag == "*" || tag == current)
}

/// The user after `update`, and `{field: {from, to}}` for each field that really changed.
fn apply(current: &User, update: UpdateUser) -> CoreResult<(User, Map<String, Value>)> {
    let mut errors = FieldErrors::new();
    let mut next = current.clone();
    if let Some(name) = update.name
        && let Some(name) = input::text(&mut errors, "name", name.as_deref(), true, input::NAME_MAX)
    {
        next.name = name;
    }
    let optional_text = |errors: &mut FieldErrors,
                         field: &str,
                         value: Option<Option<String>>,
                         max: usize,
                         slot: &mut Option<String>| {
        if let Some(value) = value {
            *slot = input::text(errors, field, value.as_deref(), false, max);
        }
    };
    optional_text(&mut errors, "first_name", update.first_name, input::SHORT_MAX, &mut next.first_name);
    optional_text(&mut errors, "last_name", update.last_name, input::SHORT_MAX, &mut next.last_name);
    optional_text(&mut errors, "title", update.title, input::SHORT_MAX, &mut next.title);
    optional_text(&mut errors, "bio", update.bio, input::BIO_MAX, &mut next.bio);
    if let Some(image) = update.image {
        next.image = image.filter(|i| !i.trim().is_empty()).and_then(|i| input::image_url(&mut errors, &i));
    }
    match update.timezone {
        Some(Some(tz)) => next.timezone = input::timezone(&mut errors, &tz).unwrap_or_default(),
        Some(None) => errors.add("timezone", "required", "cannot be null"),
        None => {}
    }
    match update.locale {
        Some(Some(locale)) => next.locale = input::locale(&mut errors, &locale).unwrap_or_default(),
        Some(None) => errors.add("locale", "required", "cannot be null"),
        None => {}
    }
    match update.metadata {
        Some(Some(metadata)) => next.metadata = input::metadata(&mut errors, &metadata).unwrap_or_default(),
        Some(None) => next.metadata = json!({}),
        None => {}
    }
    match update.status.as_ref().map(|s| s.as_deref()) {
        Some(Some("active")) => next.status = UserStatus::Active,
        Some(Some("suspended")) => next.status = UserStatus::Suspended,
        Some(_) => errors.add("status", "invalid_status", "must be active or suspended"),
        None => {}
    }
    if next.status != current.status && current.status == UserStatus::Invited {
        errors.add("status", "invalid_transition", "an invited user becomes active by accepting the invitation");
    }
    errors.into_result().map_err(CoreError::Validation)?;

    let mut changes = Map::new();
    let mut diff = |field: &str, from: Value, to: Value| {
        if from != to {
            changes.insert(field.to_owned(), json!({"from": from, "to": to}));
        }
    };
    diff("name", json!(current.name), json!(next.name));
    diff("first_name", json!(current.first_name), json!(next.first_name));
    diff("last_name", json!(current.last_name), json!(next.last_name));
    diff("image", json!(current.image), json!(next.image));
    diff("title", json!(current.title), json!(next.title));
    diff("bio", json!(current.bio), json!(next.bio));
    diff("timezone", json!(current.timezone), json!(next.timezone));
    diff("locale", json!(current.locale), json!(next.locale));
    diff("metadata", current.metadata.clone(), next.metadata.clone());
    diff("status", json!(current.status.as_str()), json!(next.status.as_str()));
    Ok((next, changes))
}
