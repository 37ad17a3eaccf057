//! Why a sign-in attempt failed, as the login history records and shows it.

use crate::named::named_enum;

named_enum! {
    /// The reason a failed (or not yet settled) attempt carries in the history.
    pub enum AttemptReason {
        /// The secret is still being checked: an attempt whose process died half-way counts
        /// as a failure.
        Pending = "pending",
        WrongPassword = "wrong_password",
        /// The user is suspended (not counted against the limits).
        Suspended = "suspended",
        /// The user is invited or deleted.
        NotActive = "not_active",
        /// The second factor (TOTP or recovery code) was wrong.
        MfaFailed = "mfa_failed",
        /// Refused by the brute-force limits before any secret was checked.
        TooManyAttempts = "too_many_attempts",
    }
}
