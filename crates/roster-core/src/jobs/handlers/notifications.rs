//! The notifications queue: every email, SMS and push message (API.md §9).

use roster_domain::UserId;
use roster_store::{Ts, tokens, users};

use super::{Handlers, Outcome};
use crate::jobs::payload::{
    InvitationMail, PasswordChangedMail, Push, RecoveryMail, SecurityMail, SecurityNotice, Sms, VerificationMail,
    WelcomeMail,
};
use crate::notify::Template;

impl Handlers {
    pub(super) async fn verification_mail(&self, job: VerificationMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        let Some(token) = self.mint(job.token_id).await? else { return Ok(()) };
        let link = self.notifier.link("verify-email", &token);
        self.notifier
            .send_mail(&Template::EmailVerification { name: user.name.clone(), link }.render(&user.email))
            .await?;
        Ok(())
    }

    pub(super) async fn invitation_mail(&self, job: InvitationMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        let Some(token) = self.mint(job.token_id).await? else { return Ok(()) };
        let inviter = match job.invited_by {
            Some(id) => self.name_of(id).await?,
            None => None,
        };
        let link = self.notifier.link("accept-invite", &token);
        let template = Template::Invitation { name: user.name.clone(), inviter, link };
        self.notifier.send_mail(&template.render(&user.email)).await?;
        Ok(())
    }

    /// Mint the token of row `token_id` now (only its hash is stored, see `issue_token`), or
    /// `None` when it was used, expired or replaced: the message would carry a dead link.
    async fn mint(&self, token_id: uuid::Uuid) -> Result<Option<String>, super::JobError> {
        let (token, hash) = crate::secrets::new_token();
        // One statement, so no transaction around it: it commits on its own.
        let mut conn = self.core.db.write_conn().await?;
        let live = tokens::rotate(&mut conn, token_id, &hash, Ts::new(self.core.now())).await?;
        Ok(live.map(|_| token))
    }

    async fn name_of(&self, id: UserId) -> Result<Option<String>, super::JobError> {
        let mut conn = self.core.db.conn().await?;
        Ok(users::find(&mut conn, id).await?.map(|u| u.name))
    }

    pub(super) async fn welcome_mail(&self, job: WelcomeMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        self.notifier.send_mail(&Template::Welcome { name: user.name.clone() }.render(&user.email)).await?;
        Ok(())
    }

    /// A security notice: sent whatever the user's preferences say.
    pub(super) async fn password_changed_mail(&self, job: PasswordChangedMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        let template = Template::PasswordChanged { name: user.name.clone(), link: self.notifier.sign_in_link() };
        self.notifier.send_mail(&template.render(&user.email)).await?;
        Ok(())
    }

    /// A security notice about the user's own sign-in: sent whatever the preferences say.
    pub(super) async fn security_mail(&self, job: SecurityMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        let name = user.name.clone();
        let link = self.notifier.sign_in_link();
        let change =
            |what: &str| Template::MfaChanged { name: name.clone(), change: what.to_owned(), link: link.clone() };
        let template = match job.notice {
            SecurityNotice::MfaEnabled => change("it was turned on"),
            SecurityNotice::MfaDisabled => change("it was turned off"),
            SecurityNotice::RecoveryCodesRegenerated => change("new recovery codes replaced the old ones"),
            SecurityNotice::NewSignIn { at, ip, user_agent } => Template::NewSignIn {
                name: name.clone(),
                when: at,
                ip: ip.unwrap_or_else(|| "unknown".to_owned()),
                device: user_agent.unwrap_or_else(|| "unknown".to_owned()),
                link: link.clone(),
            },
            SecurityNotice::PasswordLocked => Template::PasswordLocked { name: name.clone(), link: link.clone() },
        };
        self.notifier.send_mail(&template.render(&user.email)).await?;
        Ok(())
    }

    pub(super) async fn recovery_mail(&self, job: RecoveryMail) -> Outcome {
        let Some(user) = self.live_user(job.user_id).await? else { return Ok(()) };
        let Some(token) = self.mint(job.token_id).await? else { return Ok(()) };
        let link = self.notifier.link("reset-password", &token);
        self.notifier.send_mail(&Template::Recovery { name: user.name.clone(), link }.render(&user.email)).await?;
        Ok(())
    }

    pub(super) async fn sms(&self, job: Sms) -> Outcome {
        self.notifier.send_sms(&job.to, &job.body).await?;
        Ok(())
    }

    pub(super) async fn push(&self, job: Push) -> Outcome {
        self.notifier.send_push(&job.tokens, &job.title, &job.body, &job.data).await?;
        Ok(())
    }
}
