//! The notifications queue: every email, SMS and push message (API.md §9).

use roster_domain::UserId;
use roster_domain::user::User;
use roster_store::{Ts, tokens, user_emails, users};
use serde_json::Value;

use super::{Handlers, Outcome};
use crate::jobs::payload::{
    ConfirmEmailMail, Distrusted, InvitationMail, PasswordChangedMail, Push, RecoveryMail, RecoveryRequest,
    SecurityMail, SecurityNotice, Sms, VerificationMail, WelcomeMail,
};
use crate::notify::{DeliveryError, Template};

impl Handlers {
    pub(super) async fn verification_mail(&self, job: VerificationMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        let Some((token, _)) = self.mint(job.token_id).await? else { return Ok(()) };
        let link = self.notifier.link("verify-email", &token);
        self.notifier
            .send_mail(&Template::EmailVerification { name: user.name.clone(), link }.render(&user.email)?)
            .await?;
        Ok(())
    }

    pub(super) async fn invitation_mail(&self, job: InvitationMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        let Some((token, _)) = self.mint(job.token_id).await? else { return Ok(()) };
        let inviter = match job.invited_by {
            Some(id) => self.name_of(id).await?,
            None => None,
        };
        let link = self.notifier.link("accept-invite", &token);
        let template = Template::Invitation { name: user.name.clone(), inviter, link };
        self.notifier.send_mail(&template.render(&user.email)?).await?;
        Ok(())
    }

    /// The link to confirm an added address goes to that address (the token's data names it),
    /// while it is still the user's and waiting.
    pub(super) async fn confirm_email_mail(&self, job: ConfirmEmailMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        let Some((token, data)) = self.mint(job.token_id).await? else { return Ok(()) };
        let Some(address) = data.get("address").and_then(Value::as_str) else { return Ok(()) };
        let waiting = {
            let mut conn = self.core.db.conn().await?;
            user_emails::own(&mut conn, user.id, address).await?
        };
        let Some(email) = waiting.filter(|email| !email.verified) else {
            return Ok(());
        };
        let link = self.notifier.link("confirm-email", &token);
        let template = Template::ConfirmEmail { name: user.name.clone(), address: email.address.clone(), link };
        self.notifier.send_mail(&template.render(&email.address)?).await?;
        Ok(())
    }

    /// Mint the token of row `token_id` now (only its hash is stored, see `issue_token`) and
    /// return it with the data of its row, or `None` when it was used, expired or replaced: the
    /// message would carry a dead link.
    async fn mint(&self, token_id: uuid::Uuid) -> Result<Option<(String, Value)>, super::JobError> {
        let (token, hash) = crate::secrets::new_token();
        // One statement, so no transaction around it: it commits on its own.
        let mut conn = self.core.db.write_conn().await?;
        let live = tokens::rotate(&mut conn, token_id, &hash, Ts::new(self.core.now())).await?;
        Ok(live.map(|redeemed| (token, redeemed.data)))
    }

    async fn name_of(&self, id: UserId) -> Result<Option<String>, super::JobError> {
        let mut conn = self.core.db.conn().await?;
        Ok(users::find(&mut conn, id).await?.map(|u| u.name))
    }

    pub(super) async fn welcome_mail(&self, job: WelcomeMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        self.notifier.send_mail(&Template::Welcome { name: user.name.clone() }.render(&user.email)?).await?;
        Ok(())
    }

    /// A security notice: sent whatever the user's preferences say. After a reset that first
    /// proved the address, it lists what was removed.
    pub(super) async fn password_changed_mail(&self, job: PasswordChangedMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        let (name, link) = (user.name.clone(), self.notifier.sign_in_link());
        let template = match job.removed {
            Some(removed) => Template::PasswordResetCleared { name, removed: removed_lines(&removed), link },
            None => Template::PasswordChanged { name, link },
        };
        self.notifier.send_mail(&template.render(&user.email)?).await?;
        Ok(())
    }

    /// A recovery request: the link is issued (and mailed by its own job) when the address is an
    /// active user's and within the sending limits; otherwise nothing happens, as the requester
    /// was told nothing either way.
    pub(super) async fn recovery_request(&self, job: RecoveryRequest) -> Outcome {
        let Some(address) = self.core.recovery_address(&job) else {
            return Err(super::JobError::Dead("the address does not open with this server's secret key".into()));
        };
        self.core.issue_recovery(&address).await?;
        Ok(())
    }

    /// A security notice about the user's own sign-in: sent whatever the preferences say. A new
    /// sign-in is also pushed to the user's devices when `notifications.push.security` is on.
    pub(super) async fn security_mail(&self, id: roster_domain::JobId, job: SecurityMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        if let SecurityNotice::NewSignIn { ip, user_agent, .. } = &job.notice {
            self.push_new_sign_in(id, &user, ip.as_deref(), user_agent.as_deref()).await?;
        }
        let name = user.name.clone();
        let link = self.notifier.sign_in_link();
        let change =
            |what: &str| Template::MfaChanged { name: name.clone(), change: what.to_owned(), link: link.clone() };
        let template = match job.notice {
            SecurityNotice::MfaEnabled => change("it was turned on"),
            SecurityNotice::MfaDisabled => change("it was turned off"),
            SecurityNotice::RecoveryCodesRegenerated => change("new recovery codes replaced the old ones"),
            SecurityNotice::MfaReset => change("an administrator turned it off"),
            SecurityNotice::SignedOut { sessions } => {
                Template::SignedOut { name: name.clone(), sessions, link: link.clone() }
            }
            SecurityNotice::NewSignIn { at, ip, user_agent } => Template::NewSignIn {
                name: name.clone(),
                when: at,
                ip: ip.unwrap_or_else(|| "unknown".to_owned()),
                device: user_agent.unwrap_or_else(|| "unknown".to_owned()),
                link: link.clone(),
            },
            SecurityNotice::PasswordLocked => Template::PasswordLocked { name: name.clone(), link: link.clone() },
            SecurityNotice::MfaLocked => Template::MfaLocked { name: name.clone(), link: link.clone() },
            SecurityNotice::EmailChanged { from, to } => {
                let template = Template::EmailChanged { name: name.clone(), address: to, link: link.clone() };
                self.notifier.send_mail(&template.render(&from)?).await?;
                return Ok(());
            }
        };
        self.notifier.send_mail(&template.render(&user.email)?).await?;
        Ok(())
    }

    pub(super) async fn recovery_mail(&self, job: RecoveryMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        let Some((token, _)) = self.mint(job.token_id).await? else { return Ok(()) };
        let link = self.notifier.link("reset-password", &token);
        self.notifier.send_mail(&Template::Recovery { name: user.name.clone(), link }.render(&user.email)?).await?;
        Ok(())
    }

    pub(super) async fn sms(&self, job: Sms) -> Outcome {
        let body = match (job.phone_id, job.requested_at) {
            (Some(phone), Some(requested)) => {
                let Some(code) = self.mint_phone_code(phone, &job.to, requested).await? else { return Ok(()) };
                job.body.replace(Sms::CODE, &code)
            }
            _ => job.body,
        };
        self.notifier.send_sms(&job.to, &body).await?;
        Ok(())
    }

    /// A fresh 6-digit code for the phone, its keyed hash stored now (valid for
    /// `phones::CODE_VALIDITY`), or `None` when the phone is gone, verified, has another number
    /// or a newer code was asked for since: the message would carry a useless code.
    async fn mint_phone_code(
        &self,
        phone: roster_domain::PhoneId,
        number: &str,
        requested: i64,
    ) -> Result<Option<String>, super::JobError> {
        let code = format!("{:06}", rand::random_range(0..1_000_000u32));
        let hash = self.core.phone_code_hash(phone, &code);
        let expires = Ts::new(self.core.now() + crate::users::phones::CODE_VALIDITY);
        let mut conn = self.core.db.write_conn().await?;
        let requested = Ts::from_micros(requested);
        let stored = roster_store::user_phones::set_code(&mut conn, phone, number, requested, &hash, expires).await?;
        Ok(stored.then_some(code))
    }

    /// One `push.send` per device of the user's (so that a token the provider says is gone is
    /// known), recorded as children of the notice's job: a notice that runs twice pushes once.
    async fn push_new_sign_in(
        &self,
        parent: roster_domain::JobId,
        user: &User,
        ip: Option<&str>,
        agent: Option<&str>,
    ) -> Outcome {
        let mut conn = self.core.db.conn().await?;
        let stored = roster_store::preferences::get(&mut conn, user.id).await?.unwrap_or_default();
        if stored.pointer("/notifications/push/security").and_then(Value::as_bool) == Some(false) {
            return Ok(());
        }
        let tokens = roster_store::push_tokens::of_user(&mut conn, user.id).await?;
        drop(conn);
        let body = format!(
            "Signed in from {} ({}). Not you? Reset your password.",
            agent.unwrap_or("an unknown device"),
            ip.unwrap_or("an unknown address")
        );
        let mut tx = self.core.db.begin().await?;
        for token in tokens {
            let push = Push {
                tokens: vec![token.token.clone()],
                title: "New sign-in to your account".to_owned(),
                body: body.clone(),
                data: serde_json::json!({"type": "new_sign_in"}),
            };
            crate::jobs::enqueue_child_keyed(&mut tx, parent, token.token.as_bytes(), &push, self.core.now()).await?;
        }
        self.core.commit(tx).await?;
        Ok(())
    }

    /// A token the provider answers 404 or 410 for is forgotten, and the job is done: there is
    /// nobody left to send it to.
    pub(super) async fn push(&self, job: Push) -> Outcome {
        match self.notifier.send_push(&job.tokens, &job.title, &job.body, &job.data).await {
            Err(DeliveryError::Gone(_)) => {
                let mut conn = self.core.db.write_conn().await?;
                for token in &job.tokens {
                    roster_store::push_tokens::forget(&mut conn, token).await?;
                }
                tracing::info!(tokens = job.tokens.len(), "the push provider answered 404/410: tokens forgotten");
                Ok(())
            }
            other => Ok(other?),
        }
    }
}

/// What a reset that first proved the address removed, one line each, as the notice lists it.
fn removed_lines(removed: &Distrusted) -> Vec<String> {
    let count = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut lines = Vec::new();
    if removed.sessions > 0 {
        lines.push(format!("{}, now signed out", count(removed.sessions, "signed-in session", "signed-in sessions")));
    }
    if removed.push_tokens > 0 {
        lines.push(count(
            removed.push_tokens,
            "device registered for push notifications",
            "devices registered for push notifications",
        ));
    }
    if removed.mfa {
        lines.push("two-factor authentication (turn it on again from your account)".to_owned());
    }
    lines.extend(removed.phones.iter().map(|number| format!("the phone number {number}, never confirmed")));
    lines.extend(removed.emails.iter().map(|address| format!("the email address {address}, never confirmed")));
    if lines.is_empty() {
        lines.push("nothing: no session, device, second factor, phone or other address was set up".to_owned());
    }
    lines
}
