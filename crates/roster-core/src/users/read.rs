//! Reading users: one user, the caller's profile.

use roster_domain::UserId;
use roster_domain::permissions::Permissions;
use roster_domain::user::UserDetail;
use roster_store::{memberships, preferences};

use crate::error::CoreResult;
use crate::{Actor, Core, access};

/// One of the caller's accounts as the profile shows it.
#[derive(Debug, Clone)]
pub struct ProfileAccount {
    pub account_id: roster_domain::AccountId,
    pub name: String,
    pub role: roster_domain::role::Role,
    pub grant: Vec<String>,
    pub deny: Vec<String>,
    pub effective: Vec<String>,
}

/// What a profile reads from the database, kept by the profile cache (auth::cache).
#[derive(Debug, Clone)]
pub struct ProfileParts {
    /// The user's memberships, with each account's name.
    own: Vec<(roster_domain::user::Membership, String)>,
    /// Stored preferences, if any.
    stored: Option<serde_json::Value>,
    /// The user's addresses and phones (their tables move the change log too: migration 0012).
    emails: Vec<roster_domain::user::UserEmail>,
    phones: Vec<roster_domain::user::UserPhone>,
}

/// `GET /v1/users/profile`.
#[derive(Debug, Clone)]
pub struct Profile {
    pub user: UserDetail,
    pub active_account_id: Option<roster_domain::AccountId>,
    pub accounts: Vec<ProfileAccount>,
    pub preferences: serde_json::Value,
}

impl Core {
    /// `GET /v1/users/:id`: visible users only (404 otherwise, never 403).
    pub async fn get_user(&self, actor: &Actor, id: UserId) -> CoreResult<UserDetail> {
        let mut conn = self.db.conn().await?;
        let user = access::visible_user(&mut conn, &actor.user, id).await?;
        super::detail(&mut conn, user).await
    }

    pub async fn profile(&self, actor: &Actor) -> CoreResult<Profile> {
        let ProfileParts { own, stored, emails, phones } =
            if let Some(parts) = self.profiles.get(actor.mark, &actor.user.id) {
                parts
            } else {
                let mut conn = self.db.conn().await?;
                let detail = super::detail(&mut conn, actor.user.clone()).await?;
                let parts = ProfileParts {
                    own: memberships::of_user(&mut conn, actor.user.id).await?,
                    stored: preferences::get(&mut conn, actor.user.id).await?,
                    emails: detail.emails,
                    phones: detail.phones,
                };
                self.profiles.put(actor.mark, actor.user.id, parts.clone());
                parts
            };
        let accounts = own
            .into_iter()
            .map(|(m, name)| {
                let names =
                    |scopes: &[roster_domain::scope::Scope]| scopes.iter().map(|s| s.as_str().to_owned()).collect();
                let (grant, deny) = (names(&m.grant), names(&m.deny));
                // An own membership governs its account (inherited ones never override it).
                let perms = if actor.user.platform_admin {
                    Permissions::platform_admin()
                } else {
                    Permissions {
                        role: m.role,
                        grant: m.grant,
                        deny: m.deny,
                        source: roster_domain::permissions::Source::Direct,
                    }
                };
                ProfileAccount {
                    account_id: m.account_id,
                    name,
                    role: m.role,
                    grant,
                    deny,
                    effective: perms.effective().iter().map(|s| s.as_str().to_owned()).collect(),
                }
            })
            .collect();
        let config = crate::preferences::effective(&actor.user, stored.as_ref());
        Ok(Profile {
            user: roster_domain::user::UserDetail { user: actor.user.clone(), emails, phones },
            active_account_id: actor.account_id,
            accounts,
            preferences: config,
        })
    }
}
