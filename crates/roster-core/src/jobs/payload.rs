//! One payload type per kind of job, shared by the code that records the job and the handler
//! that runs it: a field renamed on one side cannot be missed on the other, and a payload that
//! does not decode is a dead job with serde's reason.
//!
//! Payloads name users and accounts by id, never by address: the worker reads what is current
//! when it runs, and purging a user can redact every job that names it (`user_id`). The one
//! exceptions are the notice that must reach an address the user no longer signs in with
//! ([`SecurityNotice::EmailChanged`]) and the list of what a first proof of the address removed
//! ([`Distrusted`]); they name the user too, so they are redacted the same way. A recovery
//! request names no user (none is looked up when it is made) and carries its address sealed.

use roster_domain::{AccountId, AnnouncementId, CalendarId, PhoneId, UserId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Kind, Queue};
use crate::notify::Event;

/// A job's payload, tied to its kind.
pub trait Payload: Serialize + DeserializeOwned {
    const KIND: Kind;
}

impl Kind {
    /// Every kind; `name` and `queue` below say what each is.
    pub const ALL: [Kind; 23] = [
        Kind::EmailVerification,
        Kind::EmailInvitation,
        Kind::EmailWelcome,
        Kind::EmailMemberAdded,
        Kind::EmailAccessChanged,
        Kind::EmailPasswordChanged,
        Kind::EmailSecurity,
        Kind::EmailRecovery,
        Kind::RecoveryRequest,
        Kind::EmailConfirm,
        Kind::AnnouncementNotify,
        Kind::EmailAnnouncement,
        Kind::PermissionsChanged,
        Kind::Sms,
        Kind::Push,
        Kind::OnboardingWelcome,
        Kind::OnboardingDashboard,
        Kind::OnboardingSync,
        Kind::AnalyticsInit,
        Kind::AnalyticsActivity,
        Kind::SyncMember,
        Kind::CalendarSync,
        Kind::Event,
    ];

    /// The name stored in `jobs.kind` (and shown by `GET /v1/admin/jobs`).
    pub const fn name(self) -> &'static str {
        match self {
            Kind::EmailVerification => "email.verification",
            Kind::EmailInvitation => "email.invitation",
            Kind::EmailWelcome => "email.welcome",
            Kind::EmailMemberAdded => "email.member_added",
            Kind::EmailAccessChanged => "email.access_changed",
            Kind::EmailPasswordChanged => "email.password_changed",
            Kind::EmailSecurity => "email.security",
            Kind::EmailRecovery => "email.recovery",
            Kind::RecoveryRequest => "recovery.request",
            Kind::EmailConfirm => "email.confirm",
            Kind::AnnouncementNotify => "announcement.notify",
            Kind::EmailAnnouncement => "email.announcement",
            Kind::PermissionsChanged => "permissions.changed",
            Kind::Sms => "sms.send",
            Kind::Push => "push.send",
            Kind::OnboardingWelcome => "onboarding.welcome",
            Kind::OnboardingDashboard => "onboarding.dashboard",
            Kind::OnboardingSync => "onboarding.sync",
            Kind::AnalyticsInit => "analytics.init",
            Kind::AnalyticsActivity => "analytics.activity",
            Kind::SyncMember => "sync.member",
            Kind::CalendarSync => "calendar.sync",
            Kind::Event => "event.deliver",
        }
    }

    /// The queue whose workers run it (API.md §9: every message is a notifications job).
    pub const fn queue(self) -> Queue {
        match self {
            Kind::EmailVerification
            | Kind::EmailInvitation
            | Kind::EmailWelcome
            | Kind::EmailMemberAdded
            | Kind::EmailAccessChanged
            | Kind::EmailPasswordChanged
            | Kind::EmailSecurity
            | Kind::EmailRecovery
            | Kind::RecoveryRequest
            | Kind::EmailConfirm
            | Kind::AnnouncementNotify
            | Kind::EmailAnnouncement
            | Kind::PermissionsChanged
            | Kind::Sms
            | Kind::Push => Queue::Notifications,
            Kind::OnboardingWelcome | Kind::OnboardingDashboard | Kind::OnboardingSync => Queue::Onboarding,
            Kind::AnalyticsInit | Kind::AnalyticsActivity => Queue::Analytics,
            Kind::SyncMember | Kind::CalendarSync | Kind::Event => Queue::Sync,
        }
    }

    /// The kind stored as `name`, if this build knows it.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// Email with a link to `{public_url}/verify-email?token=…` (the token is minted when sent).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerificationMail {
    pub user_id: UserId,
    pub token_id: uuid::Uuid,
}

/// Email with a link to `{public_url}/accept-invite?token=…`, naming who invited.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvitationMail {
    pub user_id: UserId,
    pub token_id: uuid::Uuid,
    pub invited_by: Option<UserId>,
}

/// The welcome email itself (decided by [`OnboardingWelcome`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WelcomeMail {
    pub user_id: UserId,
}

/// "You were added to ACCOUNT", to an existing user made a member of another account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberAddedMail {
    pub user_id: UserId,
    pub account_id: AccountId,
    pub added_by: Option<UserId>,
}

/// A member's role or scopes changed: tells the member (a security notice, always sent) and
/// the account's owners and admins (a product notice, by their preference), one
/// [`AccessChangedMail`] each.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PermissionsChanged {
    pub user_id: UserId,
    pub account_id: AccountId,
    pub changed_by: Option<UserId>,
}

/// Which kind of notice a message is: security notices always go by email; product notices
/// follow `notifications.email.product`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    Security,
    Product,
}

/// One "access changed" email: to `user_id` (the recipient) about `subject_id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessChangedMail {
    pub user_id: UserId,
    pub subject_id: UserId,
    pub account_id: AccountId,
    pub changed_by: Option<UserId>,
    pub notice: Notice,
}

/// "Your password was changed": a security notice, always sent. `removed` when a reset was the
/// first proof of the user's address and cleared what was set up before it (the notice lists it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordChangedMail {
    pub user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<Distrusted>,
}

/// What a reset that first proved the user's address removed from the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distrusted {
    /// Sessions ended (every recovery ends them all).
    pub sessions: u64,
    /// Devices registered for push notices.
    pub push_tokens: u64,
    /// Two-factor authentication, turned off.
    pub mfa: bool,
    /// Phone numbers never confirmed.
    pub phones: Vec<String>,
    /// Addresses added and never confirmed.
    pub emails: Vec<String>,
}

/// A security notice about the user's own sign-in (API.md §8: always sent, whatever the
/// preferences say).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecurityMail {
    pub user_id: UserId,
    pub notice: SecurityNotice,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SecurityNotice {
    MfaEnabled,
    MfaDisabled,
    RecoveryCodesRegenerated,
    /// A sign-in from a device and address not seen for 90 days (`at` in RFC 3339).
    NewSignIn {
        at: String,
        ip: Option<String>,
        user_agent: Option<String>,
    },
    /// 100 failed attempts in a row locked the password.
    PasswordLocked,
    /// 10 wrong two-factor codes within 15 minutes: the second step is refused for a while (and
    /// whoever typed them knows the password).
    MfaLocked,
    /// An administrator turned two-factor authentication off.
    MfaReset,
    /// An administrator ended `sessions` of the user's sessions (signed them out).
    SignedOut {
        sessions: u64,
    },
    /// The sign-in address changed from `from` (where this notice goes) to `to`.
    EmailChanged {
        from: String,
        to: String,
    },
}

/// A recovery link (`{public_url}/reset-password?token=…`; the token is minted when sent).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecoveryMail {
    pub user_id: UserId,
    pub token_id: uuid::Uuid,
}

/// Someone asked for a reset link for an address (`POST /v1/users/recovery {email}`): the
/// worker looks it up and issues the link for an active user ([`RecoveryMail`]), within the
/// sending limits. The request is recorded before any look-up, so that its answer and its time
/// are the same for every address; the address is sealed with the server's secret key
/// (base64url), since it may be anyone's, typed in by anyone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecoveryRequest {
    pub address: String,
}

/// A link confirming an added address (`{public_url}/confirm-email?token=…`), mailed to that
/// address: the token's data names it, so the job does not.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfirmEmailMail {
    pub user_id: UserId,
    pub token_id: uuid::Uuid,
}

/// Mail an announcement to its audience, a batch of recipients at a time: this job records one
/// [`AnnouncementMail`] per recipient after user `after` (by id), and itself again for the next
/// batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnnouncementNotify {
    pub announcement_id: AnnouncementId,
    pub after: Option<UserId>,
}

/// One recipient's email of an announcement (a product notice: it follows the preference).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnnouncementMail {
    pub announcement_id: AnnouncementId,
    pub user_id: UserId,
}

/// A text message to the SMS provider. A verification code is not in the job: `phone_id` says
/// the message carries a code for that phone of `user_id`, minted when it is sent (only its
/// keyed hash is stored) and put where `body` says [`Sms::CODE`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sms {
    pub to: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_id: Option<PhoneId>,
    /// When the code was asked for (Unix microseconds): a newer request voids this message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<i64>,
}

impl Sms {
    /// Where the code goes in the body of a code message.
    pub const CODE: &str = "{code}";

    /// The message that carries a new verification code to phone `phone` (number `to`), asked
    /// for at `requested_at` (Unix microseconds).
    pub fn code(user: UserId, phone: PhoneId, to: &str, requested_at: i64) -> Self {
        Sms {
            to: to.to_owned(),
            body: format!("Your Roster verification code is {}. It expires in 10 minutes.", Self::CODE),
            user_id: Some(user),
            phone_id: Some(phone),
            requested_at: Some(requested_at),
        }
    }
}

/// A push notification to the push provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Push {
    pub tokens: Vec<String>,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// A new member of an account: the subject of the onboarding and analytics jobs of a sign-up.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct NewMember {
    pub user_id: UserId,
    pub account_id: AccountId,
}

/// Decides and sends the welcome sequence (as notification jobs).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OnboardingWelcome(pub NewMember);

/// Writes the default dashboard into the user's preferences.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OnboardingDashboard(pub NewMember);

/// Brings the new member into its account's records (as a [`SyncMember`] job).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OnboardingSync(pub NewMember);

/// Starts the user's analytics record.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AnalyticsInit(pub NewMember);

/// Re-aggregates one user's UTC day (`YYYY-MM-DD`) from the audit trail (idempotent).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnalyticsActivity {
    pub user_id: UserId,
    pub day: String,
}

/// Keeps a member's CRM contact and its account's seat count up to date.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SyncMember {
    pub user_id: UserId,
    pub account_id: AccountId,
}

/// Fetches calendar `calendar_id` as link `seq` of its chain of syncs (see the migration
/// `0013_calendars`); `user_id` is its owner, so that purging the user redacts it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct CalendarSync {
    pub calendar_id: CalendarId,
    pub seq: i64,
    pub user_id: UserId,
}

/// Delivers one signed domain event to `ROSTER_EVENTS_WEBHOOK_URL`; `user_id` names the user
/// it is about, so that purging the user redacts it while it waits.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventDelivery {
    pub event: Event,
    pub user_id: UserId,
}

/// Which kind each payload is.
macro_rules! kinds {
    ($($payload:ty => $kind:ident,)*) => {
        $(impl Payload for $payload {
            const KIND: Kind = Kind::$kind;
        })*
    };
}

kinds! {
    VerificationMail => EmailVerification,
    InvitationMail => EmailInvitation,
    WelcomeMail => EmailWelcome,
    MemberAddedMail => EmailMemberAdded,
    AccessChangedMail => EmailAccessChanged,
    PasswordChangedMail => EmailPasswordChanged,
    SecurityMail => EmailSecurity,
    RecoveryMail => EmailRecovery,
    RecoveryRequest => RecoveryRequest,
    ConfirmEmailMail => EmailConfirm,
    AnnouncementNotify => AnnouncementNotify,
    AnnouncementMail => EmailAnnouncement,
    PermissionsChanged => PermissionsChanged,
    Sms => Sms,
    Push => Push,
    OnboardingWelcome => OnboardingWelcome,
    OnboardingDashboard => OnboardingDashboard,
    OnboardingSync => OnboardingSync,
    AnalyticsInit => AnalyticsInit,
    AnalyticsActivity => AnalyticsActivity,
    SyncMember => SyncMember,
    CalendarSync => CalendarSync,
    EventDelivery => Event,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_name_and_is_found_by_it() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
            assert!(Queue::ALL.contains(&kind.queue()), "{kind:?}");
        }
        let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
        assert_eq!(Kind::from_name("email.verify"), None);
    }

    #[test]
    fn payloads_read_what_earlier_builds_wrote() {
        // Jobs recorded before payloads were typed stay readable (an extra field is ignored).
        let user = UserId::new();
        let token = uuid::Uuid::now_v7();
        let old = serde_json::json!({"user_id": user, "token_id": token, "invited_by": null});
        let mail: VerificationMail = serde_json::from_value(old).unwrap();
        assert_eq!((mail.user_id, mail.token_id), (user, token));
        let account = AccountId::new();
        let subject = serde_json::json!({"user_id": user, "account_id": account});
        let welcome: OnboardingWelcome = serde_json::from_value(subject.clone()).unwrap();
        assert_eq!((welcome.0.user_id, welcome.0.account_id), (user, account));
        // And a sign-up's subject is written as before.
        assert_eq!(serde_json::to_value(welcome).unwrap(), subject);
    }
}
