//! Users as they are shown: the one place where a user is completed with its email addresses
//! and phone numbers (`UserDetail`), so that every response carries the same `emails` and
//! `phones`, read from their tables (a page of users in one query per table).

use std::collections::HashMap;

use roster_domain::UserId;
use roster_domain::user::{User, UserDetail, UserEmail, UserPhone};
use roster_store::{Exec, user_emails, user_phones};

use crate::error::{CoreError, CoreResult};

/// A user just created: its login address is its only address, and it has no phones.
pub(crate) fn fresh(user: User) -> UserDetail {
    let primary = UserEmail { address: user.email.clone(), verified: user.email_verified, primary: true };
    UserDetail { user, emails: vec![primary], phones: Vec::new() }
}

/// `user` with its addresses and phones.
pub(crate) async fn detail(exec: &mut impl Exec, user: User) -> CoreResult<UserDetail> {
    details(exec, vec![user]).await?.pop().ok_or_else(|| CoreError::Internal("one user in, none out".into()))
}

/// [`detail`] for a page of users, in the same order.
pub(crate) async fn details(exec: &mut impl Exec, users: Vec<User>) -> CoreResult<Vec<UserDetail>> {
    let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
    let mut emails: HashMap<UserId, Vec<UserEmail>> = HashMap::new();
    for (user, email) in user_emails::of_users(exec, &ids).await? {
        let email = UserEmail { address: email.address, verified: email.verified, primary: email.is_primary };
        emails.entry(user).or_default().push(email);
    }
    let mut phones: HashMap<UserId, Vec<UserPhone>> = HashMap::new();
    for (user, phone) in user_phones::of_users(exec, &ids).await? {
        phones.entry(user).or_default().push(super::phones::shown(&phone));
    }
    Ok(users
        .into_iter()
        .map(|user| {
            let mut own = emails.remove(&user.id).unwrap_or_default();
            // A deleted user's addresses are released; its record still shows the last one.
            if !own.iter().any(|e| e.primary) {
                own.insert(0, UserEmail { address: user.email.clone(), verified: user.email_verified, primary: true });
            }
            let phones = phones.remove(&user.id).unwrap_or_default();
            UserDetail { user, emails: own, phones }
        })
        .collect())
}
