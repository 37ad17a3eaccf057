//! `GET` and `PUT /v1/users/config` (API.md §5): the caller's preferences. A change is a JSON
//! merge patch (RFC 7396, the `json-patch` crate) of the whole document, checked after merging
//! (preferences::check); `null` puts a setting back to its default. Time zone and locale are the
//! user's own fields: a change of them here changes the user, in the same transaction.

use roster_domain::activity::Action;
use roster_domain::user::User;
use roster_store::{Ts, preferences, users};
use serde_json::{Map, Value, json};

use crate::error::{CoreError, CoreResult};
use crate::preferences::{effective, overlay};
use crate::{Actor, Core, RequestMeta, activity};

impl Core {
    /// The caller's configuration, defaults filled in.
    pub async fn config(&self, actor: &Actor) -> CoreResult<Value> {
        let mut conn = self.db.conn().await?;
        let stored = preferences::get(&mut conn, actor.user.id).await?;
        Ok(effective(&actor.user, stored.as_ref()))
    }

    /// Apply `patch` to the caller's configuration and return the result. Every problem of the
    /// merged document at once (422, each by its path); nothing is written unless all is well.
    pub async fn update_config(&self, actor: &Actor, patch: &Value, meta: &RequestMeta) -> CoreResult<Value> {
        if !patch.is_object() {
            return Err(CoreError::field("", "invalid_type", "a merge patch of the configuration is a JSON object"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        users::lock(&mut tx, actor.user.id).await?;
        let user = users::find(&mut tx, actor.user.id).await?.ok_or(CoreError::Unauthenticated)?;
        let stored = preferences::get(&mut tx, user.id).await?;
        let before = effective(&user, stored.as_ref());
        let mut merged = before.clone();
        json_patch::merge(&mut merged, patch);
        // What a `null` removed comes back as its default.
        let mut after = crate::preferences::defaults(&user.timezone, &user.locale);
        overlay(&mut after, &merged);
        crate::preferences::check(&after).map_err(CoreError::Validation)?;
        if after == before {
            return Ok(after);
        }
        let (timezone, locale) = (text(&after, "timezone"), text(&after, "locale"));
        let mut user_changes = Map::new();
        for (field, from, to) in [("timezone", &user.timezone, &timezone), ("locale", &user.locale, &locale)] {
            if from != to {
                user_changes.insert(field.to_owned(), json!({"from": from, "to": to}));
            }
        }
        if !user_changes.is_empty() {
            let next = User {
                timezone: normal_timezone(&timezone),
                locale: normal_locale(&locale),
                updated_at: now,
                ..user.clone()
            };
            users::update_profile(&mut tx, &next).await?;
            let changes = Value::Object(user_changes.clone());
            activity::record(
                &mut tx,
                now,
                user.id,
                Some(user.id),
                actor.account_id,
                Action::UserUpdated,
                meta,
                changes,
            )
            .await?;
            let data = json!({"user": crate::jobs::events::user_data(&next), "changes": user_changes});
            crate::jobs::events::record(&mut tx, "user.updated", user.id, data, now).await?;
        }
        let mut kept = after.clone();
        if let Some(doc) = kept.as_object_mut() {
            doc.remove("timezone");
            doc.remove("locale");
        }
        preferences::upsert(&mut tx, user.id, &kept, Ts::new(now)).await?;
        let changed: Vec<&String> = after
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(key, value)| before.get(key.as_str()) != Some(value))
            .map(|(key, _)| key)
            .collect();
        activity::record(
            &mut tx,
            now,
            user.id,
            Some(user.id),
            actor.account_id,
            Action::UserConfigUpdated,
            meta,
            json!({"changed": changed}),
        )
        .await?;
        self.commit(tx).await?;
        let mut shown = after;
        shown["timezone"] = json!(normal_timezone(&timezone));
        shown["locale"] = json!(normal_locale(&locale));
        Ok(shown)
    }
}

fn text(config: &Value, key: &str) -> String {
    config.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The canonical forms the user's fields keep (checked valid by then).
fn normal_timezone(tz: &str) -> String {
    roster_domain::locale::parse_timezone(tz).unwrap_or_else(|| tz.to_owned())
}

fn normal_locale(locale: &str) -> String {
    roster_domain::locale::parse_locale(locale).unwrap_or_else(|| locale.to_owned())
}
