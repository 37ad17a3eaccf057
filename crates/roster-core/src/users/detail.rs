//! Users as they are shown: the one place where a user is completed with its email addresses
//! and phone numbers (`UserDetail`), so that every response carries the same `emails` and
//! `phones`. Until addresses and phones have tables of their own (the contact-channels issue),
//! the login address is the only address and there are no phones; that change is made here.

use roster_domain::user::{User, UserDetail, UserEmail};

/// `user` with its addresses and phones.
pub(crate) fn detail(user: User) -> UserDetail {
    let primary = UserEmail { address: user.email.clone(), verified: user.email_verified, primary: true };
    UserDetail { user, emails: vec![primary], phones: Vec::new() }
}

/// [`detail`] for a page of users.
pub(crate) fn details(users: Vec<User>) -> Vec<UserDetail> {
    users.into_iter().map(detail).collect()
}
