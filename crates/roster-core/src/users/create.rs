//! `POST /v1/users`: open sign-up, creation by a member with `users.create`, and invitations.

use roster_domain::activity::Action;
use roster_domain::email::Email;
use roster_domain::password::normalize_password;
use roster_domain::role::Role;
use roster_domain::scope::Scope;
use roster_domain::user::{User, UserDetail, UserStatus};
use roster_domain::{AccountId, FieldErrors, UserId};
use roster_store::{Ts, Tx, accounts, preferences, tokens, users};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::input::{self, CreateUser};
use crate::access::Granted;
use crate::accounts::joining::{Joining, join_account, new_account};
use crate::error::{CoreError, CoreResult, Denied};
use crate::jobs::{self, payload};
use crate::purpose::Purpose;
use crate::{Actor, Core, RequestMeta, SignupMode, access, activity, secrets};

pub(crate) const VERIFICATION_VALIDITY: Duration = Duration::hours(24);
const INVITATION_VALIDITY: Duration = Duration::days(7);

/// Where the new user goes: a new account of its own (sign-up) or an existing one.
enum Placement {
    NewAccount { name: String },
    Existing { granted: Granted, role: Role, grant: Vec<Scope>, deny: Vec<Scope> },
}

/// A validated request.
pub(crate) struct Plan {
    email: Email,
    password: Option<String>,
    name: String,
    first_name: Option<String>,
    last_name: Option<String>,
    timezone: String,
    locale: String,
    metadata: serde_json::Value,
    placement: Placement,
    /// Only the command line and the start-up bootstrap create platform admins.
    platform_admin: bool,
}

impl Plan {
    /// An invitation of a new address into an account (`POST /v1/accounts/:id/members`): the
    /// user is named after the address until it accepts and sets its own name.
    pub(crate) fn invitation(email: Email, granted: Granted, role: Role, grant: Vec<Scope>, deny: Vec<Scope>) -> Plan {
        let name = email.as_str().split('@').next().unwrap_or(email.as_str()).to_owned();
        Plan {
            email,
            password: None,
            name,
            first_name: None,
            last_name: None,
            timezone: "UTC".to_owned(),
            locale: "en".to_owned(),
            metadata: json!({}),
            placement: Placement::Existing { granted, role, grant, deny },
            platform_admin: false,
        }
    }
}

impl Core {
    /// Create a user. `actor` is `None` for an anonymous sign-up.
    pub async fn create_user(
        &self,
        actor: Option<&Actor>,
        input: CreateUser,
        meta: &RequestMeta,
    ) -> CoreResult<UserDetail> {
        if actor.is_none() && self.config.signup == SignupMode::Invite {
            return Err(CoreError::Unauthenticated);
        }
        let plan = self.plan_creation(actor, input).await?;
        // Hash before the transaction: never hold the write lock during slow work.
        let hash = match &plan.password {
            Some(password) => Some(self.hasher.hash(normalize_password(password)).await?),
            None => None,
        };
        self.insert_user(actor, plan, hash, meta).await.map(super::fresh)
    }

    /// Validate everything and check the caller's rights; every field problem at once.
    async fn plan_creation(&self, actor: Option<&Actor>, input: CreateUser) -> CoreResult<Plan> {
        let mut errors = FieldErrors::new();
        let email = match input.email.as_deref().map(str::trim) {
            None | Some("") => {
                errors.add("email", "required", "is required");
                None
            }
            Some(raw) => Email::parse(raw).map_err(|e| errors.add("email", "invalid_email", e.to_string())).ok(),
        };
        let name = input::text(&mut errors, "name", input.name.as_deref(), true, input::NAME_MAX);
        let first_name = input::text(&mut errors, "first_name", input.first_name.as_deref(), false, input::SHORT_MAX);
        let last_name = input::text(&mut errors, "last_name", input.last_name.as_deref(), false, input::SHORT_MAX);
        let timezone = input.timezone.as_deref().map_or(Some("UTC".to_owned()), |tz| input::timezone(&mut errors, tz));
        let locale = input.locale.as_deref().map_or(Some("en".to_owned()), |l| input::locale(&mut errors, l));
        let metadata = input.metadata.as_ref().map_or(Some(json!({})), |m| input::metadata(&mut errors, m));
        if let Some(password) = &input.password {
            let policy = self.config.password_policy;
            let email = email.as_ref().map(|e| e.as_str().to_owned());
            let problems = self.hasher.check_policy(policy, password.clone(), email, name.clone()).await?;
            for problem in problems {
                errors.add("password", problem.code(), problem.message(&policy));
            }
        } else if actor.is_none() {
            errors.add("password", "required", "is required to sign up");
        }
        let role = match input.role.as_deref() {
            None => Some(Role::Member),
            Some(raw) => Role::parse(raw).or_else(|| {
                errors.add("role", "invalid_role", "must be one of viewer, member, admin, owner");
                None
            }),
        };
        let account_name =
            input::text(&mut errors, "account_name", input.account_name.as_deref(), false, input::NAME_MAX);
        if actor.is_none() {
            if input.account_id.is_some() {
                errors.add("account_id", "not_allowed", "only signed-in callers can add users to an account");
            }
            if input.role.is_some() {
                errors.add("role", "not_allowed", "only signed-in callers can choose a role");
            }
        } else if input.account_name.is_some() {
            errors.add("account_name", "not_allowed", "is only used by open sign-up");
        }
        errors.into_result().map_err(CoreError::Validation)?;
        let (Some(email), Some(name), Some(timezone), Some(locale), Some(metadata), Some(role)) =
            (email, name, timezone, locale, metadata, role)
        else {
            return Err(CoreError::Internal("validated fields missing".into()));
        };

        let placement = match actor {
            None => Placement::NewAccount { name: account_name.unwrap_or_else(|| format!("{name}'s account")) },
            Some(actor) => {
                let account = input
                    .account_id
                    .map(AccountId::from_uuid)
                    .or(actor.account_id)
                    .ok_or_else(|| CoreError::field("account_id", "required", "no active account; name one"))?;
                let mut conn = self.db.conn().await?;
                let granted = access::require(&mut conn, &actor.user, account, &Scope::USERS_CREATE).await?;
                if !granted.may_assign(role) {
                    return Err(CoreError::Forbidden(Denied::RoleAboveOwn(role)));
                }
                Placement::Existing { granted, role, grant: Vec::new(), deny: Vec::new() }
            }
        };
        Ok(Plan {
            email,
            password: input.password,
            name,
            first_name,
            last_name,
            timezone,
            locale,
            metadata,
            placement,
            platform_admin: false,
        })
    }

    /// The one transaction: user, account or membership, preferences, token, activity, jobs.
    pub(crate) async fn insert_user(
        &self,
        actor: Option<&Actor>,
        plan: Plan,
        hash: Option<String>,
        meta: &RequestMeta,
    ) -> CoreResult<User> {
        let now = self.now();
        let invited = hash.is_none();
        let user = User {
            id: UserId::new(),
            email: plan.email.as_str().to_owned(),
            email_verified: false,
            name: plan.name,
            first_name: plan.first_name,
            last_name: plan.last_name,
            image: None,
            title: None,
            bio: None,
            timezone: plan.timezone,
            locale: plan.locale,
            status: if invited { UserStatus::Invited } else { UserStatus::Active },
            metadata: plan.metadata,
            mfa_enabled: false,
            platform_admin: plan.platform_admin,
            created_at: now,
            updated_at: now,
            last_login_at: None,
            deleted_at: None,
        };
        let mut tx = self.db.begin().await?;
        // A live user with this email → `email_taken` (the store names the constraint).
        users::insert(&mut tx, &user, hash.as_deref()).await?;
        let (account, role) = match plan.placement {
            Placement::NewAccount { name } => {
                let account = new_account(name, now);
                accounts::insert(&mut tx, &account).await?;
                join_account(&mut tx, user.id, Joining::Founder(account.id), now).await?;
                (account.id, Role::Owner)
            }
            Placement::Existing { granted, role, grant, deny } => {
                let joining = Joining::AddedBy { granted: &granted, role, grant, deny };
                let membership = join_account(&mut tx, user.id, joining, now).await?;
                crate::accounts::joining::announce(&mut tx, &membership, actor.map(|a| a.user.id), now).await?;
                (granted.account(), role)
            }
        };
        preferences::upsert(&mut tx, user.id, &crate::preferences::stored_defaults(), Ts::new(now)).await?;

        let actor_id = actor.map(|a| a.user.id);
        // No address in the jobs: the worker mails the user's address as it is when it sends.
        if invited {
            let token_id = issue_token(&mut tx, user.id, Purpose::Invite, INVITATION_VALIDITY, json!({}), now).await?;
            let mail = payload::InvitationMail { user_id: user.id, token_id, invited_by: actor_id };
            jobs::enqueue(&mut tx, &mail, now).await?;
        } else {
            let token_id =
                issue_token(&mut tx, user.id, Purpose::VerifyEmail, VERIFICATION_VALIDITY, json!({}), now).await?;
            jobs::enqueue(&mut tx, &payload::VerificationMail { user_id: user.id, token_id }, now).await?;
        }
        let subject = payload::NewMember { user_id: user.id, account_id: account };
        jobs::enqueue(&mut tx, &payload::OnboardingWelcome(subject), now).await?;
        jobs::enqueue(&mut tx, &payload::OnboardingDashboard(subject), now).await?;
        jobs::enqueue(&mut tx, &payload::OnboardingSync(subject), now).await?;
        jobs::enqueue(&mut tx, &payload::AnalyticsInit(subject), now).await?;
        jobs::events::record(&mut tx, "user.created", user.id, jobs::events::user_data(&user), now).await?;
        let changes = json!({"email": user.email, "role": role.as_str(), "status": user.status.as_str()});
        activity::record(
            &mut tx,
            now,
            user.id,
            actor_id.or(Some(user.id)),
            Some(account),
            Action::UserCreated,
            meta,
            changes,
        )
        .await?;
        self.commit(tx).await?;
        Ok(user)
    }

    /// Create a user from the command line or the start-up bootstrap: no caller, an active user
    /// with a password, optionally a platform admin, in a new account.
    pub async fn bootstrap_user(
        &self,
        email: &str,
        password: &str,
        name: Option<&str>,
        platform_admin: bool,
        account_name: Option<&str>,
    ) -> CoreResult<User> {
        let name = name.map_or_else(|| email.split('@').next().unwrap_or(email).to_owned(), str::to_owned);
        let input = CreateUser {
            email: Some(email.to_owned()),
            password: Some(password.to_owned()),
            name: Some(name),
            account_name: account_name.map(str::to_owned),
            ..CreateUser::default()
        };
        let plan = Plan { platform_admin, ..self.plan_creation(None, input).await? };
        let hash = self.hasher.hash(normalize_password(password)).await?;
        self.insert_user(None, plan, Some(hash), &RequestMeta::default()).await
    }
}

/// Record a single-use token of `purpose` carrying `data` (voiding older ones) and return its id.
///
/// The token itself is never stored, not even in the job that mails it: the row starts with the
/// hash of a random value nobody knows, and the worker that sends the message mints the real
/// token then (`roster_store::tokens::rotate`), so only hashes are ever at rest.
pub(crate) async fn issue_token(
    tx: &mut Tx,
    user: UserId,
    purpose: Purpose,
    validity: Duration,
    data: serde_json::Value,
    now: OffsetDateTime,
) -> CoreResult<uuid::Uuid> {
    let (_, unusable_hash) = secrets::new_token();
    let record = tokens::NewToken {
        id: uuid::Uuid::now_v7(),
        user_id: user,
        purpose: purpose.as_str(),
        token_hash: unusable_hash,
        data,
        created_at: Ts::new(now),
        expires_at: Ts::new(now + validity),
    };
    tokens::replace(tx, &record).await?;
    Ok(record.id)
}
