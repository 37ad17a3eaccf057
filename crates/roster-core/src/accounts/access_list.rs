//! "Who can" (`GET /v1/accounts/:id/access?scope=S`): every user who holds a scope in an
//! account, directly or inherited from an ancestor, with the reason — the reverse of
//! `/permissions`, decided by the same [`Permissions::explain`].
//!
//! The store hands over, in user order, the governing memberships that might hold the scope
//! (a role that covers it, or any grant); grants and denies are decided here. Platform admins,
//! when asked for, are merged in the same order.

use roster_domain::permissions::{Permissions, Source};
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::{AccountId, FieldErrors, UserId};
use roster_store::{accounts, memberships, users};

use super::Page;
use crate::error::{CoreError, CoreResult, Denied};
use crate::{Actor, Core, access};

/// One user who holds the scope.
#[derive(Debug, Clone)]
pub struct Holder {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    /// The governing membership's role; `None` for a platform admin without one.
    pub role: Option<Role>,
    pub because: String,
}

/// Candidates read per round, and rounds per page at most (a page may come back short, with a
/// cursor to go on, when many members hold the role but are denied the scope).
const BATCH: u32 = 200;
const MAX_ROUNDS: usize = 10;

impl Core {
    /// `GET /v1/accounts/:id/access` (`users.read`).
    pub async fn who_can(
        &self,
        actor: &Actor,
        account: AccountId,
        scope: Option<&str>,
        include_platform_admins: bool,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> CoreResult<Page<Holder>> {
        let mut errors = FieldErrors::new();
        let scope = match scope {
            None | Some("") => {
                errors.add("scope", "required", "is required");
                None
            }
            Some(raw) => Scope::parse(raw)
                .map_err(|_| errors.add("scope", "unknown_scope", format!("{raw:?} is not a known scope")))
                .ok(),
        };
        let limit = crate::paging::page_limit(&mut errors, limit);
        let mut conn = self.db.conn().await?;
        access::require(&mut conn, &actor.user, account, &Scope::USERS_READ).await?;
        errors.into_result().map_err(CoreError::Validation)?;
        // Platform admins are nobody's tenant: only they may list one another.
        if include_platform_admins && !actor.user.platform_admin {
            return Err(CoreError::Forbidden(Denied::PlatformAdminOnly));
        }
        let scope = scope.ok_or_else(|| CoreError::Internal("validated scope missing".into()))?;
        let context = format!("access:{account}:{}:{include_platform_admins}", scope.as_str());
        let after = self.cursor_id(&context, cursor)?.map(UserId::from_uuid);

        // Names of the account and its ancestors, by how far up they are.
        let path = accounts::path_up(&mut conn, account).await?;
        let roles: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|role| {
                let bare = Permissions { role: *role, grant: vec![], deny: vec![], source: Source::Direct };
                bare.allows(&scope)
            })
            .collect();

        // Members, in user order, until a page and one more are found or the rounds run out.
        let want = usize::try_from(limit).unwrap_or(usize::MAX) + 1;
        let mut found: Vec<Holder> = Vec::new();
        let mut position = after;
        let mut exhausted = false;
        for _ in 0..MAX_ROUNDS {
            let batch = memberships::holders(&mut conn, account, &roles, position, BATCH).await?;
            exhausted = batch.len() < usize::try_from(BATCH).unwrap_or(usize::MAX);
            for holder in batch {
                position = Some(holder.membership.user_id);
                let from = path.get(usize::try_from(holder.depth).unwrap_or(0)).cloned();
                let source = match from {
                    Some((id, name)) if holder.depth > 0 => {
                        Source::Inherited { from_account: id.as_uuid(), from_name: Some(name) }
                    }
                    _ => Source::Direct,
                };
                let m = holder.membership;
                let perms = Permissions { role: m.role, grant: m.grant, deny: m.deny, source };
                let decision = perms.explain(&scope);
                // A platform admin who is also a member: as a platform admin when those are
                // asked for, else by its membership like anyone.
                let as_admin = holder.platform_admin && include_platform_admins;
                if decision.allowed || as_admin {
                    found.push(Holder {
                        user_id: m.user_id,
                        name: holder.name,
                        email: holder.email,
                        role: Some(m.role),
                        because: if as_admin { "platform admin".to_owned() } else { decision.because },
                    });
                }
            }
            if found.len() >= want || exhausted {
                break;
            }
        }
        // Nothing past where the members were read up to may be listed yet.
        let horizon = if exhausted { None } else { position };
        if include_platform_admins {
            let admins = users::platform_admins(&mut conn, after, u32::try_from(want).unwrap_or(u32::MAX)).await?;
            for (user_id, name, email) in admins {
                if horizon.is_some_and(|h| user_id > h) || found.iter().any(|f| f.user_id == user_id) {
                    continue;
                }
                found.push(Holder { user_id, name, email, role: None, because: "platform admin".to_owned() });
            }
            found.sort_by_key(|h| h.user_id);
        }
        let mut page = self.id_page(&context, found, limit, |h| h.user_id.as_uuid());
        if page.next_cursor.is_none() && !exhausted {
            // A short page: the members were not all read; go on from where the reading stopped.
            page.next_cursor = position.map(|p| self.seal_id(&context, p.as_uuid()));
        }
        Ok(page)
    }
}
