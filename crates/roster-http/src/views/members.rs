//! Members of an account.

use roster_domain::user::{Membership, UserDetail, UserStatus};
use serde::Serialize;
use utoipa::ToSchema;

use super::MembershipView;

/// A membership with its user's name and email.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    #[serde(flatten)]
    pub membership: MembershipView,
    pub name: String,
    #[schema(format = Email)]
    pub email: String,
    /// The user's status.
    pub status: UserStatus,
}

impl MemberView {
    pub(crate) fn new(user: &UserDetail, m: &Membership) -> Self {
        Self {
            membership: MembershipView::from(m),
            name: user.user.name.clone(),
            email: user.user.email.clone(),
            status: user.user.status,
        }
    }
}
