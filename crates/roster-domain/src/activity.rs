//! What an entry of the audit trail says happened. Entries are kept for years, so a name once
//! written is never renamed; new actions are added at the end of their group.

use crate::named::named_enum;

named_enum! {
    /// The action of an audit-trail entry, `subject.verb` as the trail and its readers show it.
    pub enum Action {
        UserCreated = "user.created",
        UserUpdated = "user.updated",
        UserDeleted = "user.deleted",
        UserExported = "user.exported",
        UserLogin = "user.login",
        UserConfigUpdated = "user.config_updated",
        UserScopeUpdated = "user.scope_updated",
        UserEmailAdded = "user.email_added",
        UserEmailConfirmed = "user.email_confirmed",
        UserEmailRemoved = "user.email_removed",
        UserEmailChanged = "user.email_changed",
        UserEmailVerified = "user.email_verified",
        UserPhoneAdded = "user.phone_added",
        UserPhoneUpdated = "user.phone_updated",
        UserPhoneRemoved = "user.phone_removed",
        UserPhoneVerified = "user.phone_verified",
        UserPasswordChanged = "user.password_changed",
        UserPasswordReset = "user.password_reset",
        UserInvitationAccepted = "user.invitation_accepted",
        UserMfaEnabled = "user.mfa_enabled",
        UserMfaDisabled = "user.mfa_disabled",
        UserRecoveryCodesRegenerated = "user.recovery_codes_regenerated",
        UserCalendarAdded = "user.calendar_added",
        UserCalendarRemoved = "user.calendar_removed",
        /// An administrator ended one or all of the user's sessions.
        UserSessionsRevoked = "user.sessions_revoked",
        /// An administrator turned the user's two-factor authentication off.
        UserMfaReset = "user.mfa_reset",
        AccountCreated = "account.created",
        AccountUpdated = "account.updated",
        AccountDeleted = "account.deleted",
        MembershipCreated = "membership.created",
        MembershipDeleted = "membership.deleted",
        WorkspaceCreated = "workspace.created",
        WorkspaceUpdated = "workspace.updated",
        WorkspaceDeleted = "workspace.deleted",
        WorkspaceMemberAdded = "workspace.member_added",
        WorkspaceMemberRemoved = "workspace.member_removed",
        AnnouncementCreated = "announcement.created",
        AnnouncementUpdated = "announcement.updated",
        AnnouncementDeleted = "announcement.deleted",
    }
}
