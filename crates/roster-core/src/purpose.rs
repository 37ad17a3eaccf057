//! What a single-use token is for. Each purpose is its own kind of link or step: a token issued
//! for one is never accepted as another, and a new token of a purpose voids the user's older
//! unused ones of the same purpose. Stored as text in `tokens.purpose`.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The sign-up address's link (`/verify-email`).
    VerifyEmail,
    /// An invitation to set a password (`/accept-invite`).
    Invite,
    /// A password reset (`/reset-password`).
    Recovery,
    /// An added address's link (`/confirm-email`).
    ConfirmEmail,
    /// The second step of a sign-in (`mfa_token`).
    Mfa,
}

impl Purpose {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::Invite => "invite",
            Self::Recovery => "recovery",
            Self::ConfirmEmail => "confirm_email",
            Self::Mfa => "mfa",
        }
    }
}
