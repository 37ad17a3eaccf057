//! What every page shows around its content: the theme the user chose (or the system's), the
//! "Sign out" button and navigation when signed in, and the announcements not yet dismissed, as
//! banners with "Dismiss" and "Snooze".

use roster_core::Actor;
use roster_http::AppState;

use crate::visitor::Visitor;

pub(crate) struct Chrome {
    /// `light`, `dark` or `system` (the stylesheet follows `prefers-color-scheme` then).
    pub theme: &'static str,
    /// The form token of the signed-in session; `None` on pages for anyone.
    pub form_token: Option<String>,
    pub banners: Vec<Banner>,
    /// The paths of the stylesheet, the icon and htmx (named by their content).
    pub css: &'static str,
    pub icon: &'static str,
    pub htmx: &'static str,
}

pub(crate) struct Banner {
    pub id: String,
    pub title: String,
    pub body: String,
}

impl Chrome {
    pub(crate) fn anonymous() -> Self {
        Self {
            theme: "system",
            form_token: None,
            banners: Vec::new(),
            css: crate::assets::path("roster.css"),
            icon: crate::assets::path("favicon.svg"),
            htmx: crate::assets::path("htmx.min.js"),
        }
    }

    /// The chrome of a signed-in page, in the theme of the user's `preferences` (which the page
    /// has read). A part that cannot be read leaves its default (a banner missing is better than
    /// a page missing).
    pub(crate) async fn of(state: &AppState, visitor: &Visitor, preferences: &serde_json::Value) -> Self {
        Self::themed(state, visitor, theme_of(preferences)).await
    }

    async fn themed(state: &AppState, visitor: &Visitor, theme: &'static str) -> Self {
        let actor = &visitor.actor;
        Self {
            theme,
            form_token: Some(visitor.form_token.clone()),
            banners: banners(state, actor).await,
            ..Self::anonymous()
        }
    }
}

fn theme_of(config: &serde_json::Value) -> &'static str {
    match config.get("theme").and_then(|t| t.as_str()) {
        Some("light") => "light",
        Some("dark") => "dark",
        _ => "system",
    }
}

async fn banners(state: &AppState, actor: &Actor) -> Vec<Banner> {
    match state.core.my_announcements(actor).await {
        Ok(shown) => shown
            .into_iter()
            .filter(|s| s.status.as_deref() != Some("dismissed"))
            .map(|s| Banner {
                id: s.announcement.id.to_string(),
                title: s.announcement.title,
                body: s.announcement.body,
            })
            .collect(),
        Err(err) => {
            tracing::warn!(error = %err, "announcements not read for a page");
            Vec::new()
        }
    }
}
