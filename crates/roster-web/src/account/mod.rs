//! `/account`: everything a person manages about themselves, on one page with a section each —
//! profile, email addresses, phone numbers, password, two-factor authentication, sessions,
//! sign-in history, notifications, devices, calendars, accounts, and their data. Each form posts
//! to its own path, calls one service, and comes back to the page (a redirect with a notice, or
//! the page again with the form's errors beside its fields).

mod contact;
mod data;
mod page;
mod security;
mod settings;

use axum::Router;
use axum::routing::{get, post};
use roster_http::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(page::account))
        .route("/account/profile", post(settings::save_profile))
        .route("/account/emails", post(contact::add_email))
        .route("/account/emails/primary", post(contact::primary_email))
        .route("/account/emails/remove", post(contact::remove_email))
        .route("/account/phones", post(contact::add_phone))
        .route("/account/phones/{id}/verify", post(contact::verify_phone))
        .route("/account/phones/{id}/primary", post(contact::primary_phone))
        .route("/account/phones/{id}/remove", post(contact::remove_phone))
        .route("/account/password", post(security::change_password))
        .route("/account/two-factor/set-up", post(security::set_up_two_factor))
        .route("/account/two-factor/turn-on", post(security::turn_on_two_factor))
        .route("/account/two-factor/turn-off", post(security::turn_off_two_factor))
        .route("/account/two-factor/recovery-codes", post(security::new_recovery_codes))
        .route("/account/two-factor/recovery-codes.txt", post(security::download_recovery_codes))
        .route("/account/sessions/{id}/revoke", post(security::revoke_session))
        .route("/account/sessions/revoke-others", post(security::revoke_other_sessions))
        .route("/account/notifications", post(settings::save_notifications))
        .route("/account/devices/remove", post(settings::remove_device))
        .route("/account/calendars", post(settings::subscribe_calendar))
        .route("/account/calendars/{id}/remove", post(settings::remove_calendar))
        .route("/account/announcements/{id}", post(settings::answer_announcement))
        .route("/account/switch", post(data::switch_account))
        .route("/account/export", post(data::export))
        .route("/account/delete", post(data::delete))
}
