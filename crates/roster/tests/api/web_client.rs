//! A browser as the HTTP tests of the pages drive it: its cookies, and forms posted from the
//! app's own origin (or another one, to see it refused). The same pages in Chromium are in
//! `browser.rs`.

use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, SET_COOKIE};

use crate::helpers::{TestApp, enc};

/// A browser: its cookies, and forms posted from the app's own origin.
pub struct Browser<'a> {
    app: &'a TestApp,
    pub cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get("location").map_or("", |v| v.to_str().unwrap())
    }

    /// The value of the first hidden `_csrf` field.
    pub fn form_token(&self) -> String {
        let at = self.html.find("name=\"_csrf\" value=\"").expect("a form with a token") + 20;
        self.html[at..].split('"').next().unwrap().to_owned()
    }
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self { app, cookies: HashMap::new() }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn page(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = if self.cookies.is_empty() { request } else { request.header("Cookie", self.cookie_header()) };
        let response = request.header("Accept", "text/html").send().await.unwrap();
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let (status, headers) = (response.status(), response.headers().clone());
        Page { status, headers, html: response.text().await.unwrap() }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.app.client.get(self.app.url(path));
        self.page(request).await
    }

    pub async fn post_from(&mut self, origin: &str, path: &str, form: &[(&str, &str)]) -> Page {
        let body = form.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&");
        let request = self
            .app
            .client
            .post(self.app.url(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Origin", origin)
            .body(body);
        self.page(request).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let origin = self.app.address.clone();
        self.post_from(&origin, path, form).await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        self.post("/sign-in", &[("email", email), ("password", password)]).await
    }

    pub async fn form_token(&mut self) -> String {
        self.get("/account").await.form_token()
    }
}
