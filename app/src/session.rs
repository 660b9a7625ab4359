//! The signed-in state of the browser: the API token, kept in localStorage so a reload keeps
//! the user signed in, and quietly exchanged for a fresh one before it expires.

use crate::api::client;
use gloo_storage::{LocalStorage, Storage};
use leptos::{prelude::*, task::spawn_local};
use std::time::Duration;

const TOKEN_KEY: &str = "rest-auth.token";
/// Who the token belongs to, for the navigation bar (the API token does not carry the name).
const USERNAME_KEY: &str = "rest-auth.username";
/// When the token expires, in milliseconds since the epoch (browser clock).
const EXPIRES_KEY: &str = "rest-auth.expires";

/// How long before expiry the token is exchanged: a fifth of its lifetime, at most a minute.
fn refresh_margin_ms(lifetime_ms: f64) -> f64 {
    (lifetime_ms / 5.0).min(60_000.0)
}

#[derive(Clone, Copy)]
pub struct Session {
    token: RwSignal<Option<String>>,
    username: RwSignal<Option<String>>,
    expires_at_ms: RwSignal<Option<f64>>,
    /// Set when a refresh was refused (revoked, or past the absolute lifetime): the name, so
    /// the log-in page can say the session ended and keep it in the form.
    ended_for: RwSignal<Option<String>>,
    /// False until the browser has read localStorage. The server cannot know the token, so the
    /// server render and the first client render both show the "not yet known" state; the
    /// stored token is read in an effect, which only runs in the browser after hydration.
    loaded: RwSignal<bool>,
}

impl Session {
    pub(crate) fn provide() -> Self {
        let session = Session {
            token: RwSignal::new(None),
            username: RwSignal::new(None),
            expires_at_ms: RwSignal::new(None),
            ended_for: RwSignal::new(None),
            loaded: RwSignal::new(false),
        };
        Effect::new(move |_| {
            session
                .token
                .set(LocalStorage::get::<String>(TOKEN_KEY).ok());
            session
                .username
                .set(LocalStorage::get::<String>(USERNAME_KEY).ok());
            session
                .expires_at_ms
                .set(LocalStorage::get::<f64>(EXPIRES_KEY).ok());
            session.loaded.set(true);
        });
        // Whenever the token changes, schedule its exchange shortly before it expires.
        Effect::new(move |previous: Option<Option<TimeoutHandle>>| {
            if let Some(Some(handle)) = previous {
                handle.clear();
            }
            let (Some(token), Some(expires)) = (session.token.get(), session.expires_at_ms.get())
            else {
                return None;
            };
            let now = js_sys::Date::now();
            let lifetime = (expires - now).max(0.0);
            let delay = (lifetime - refresh_margin_ms(lifetime)).max(0.0);
            set_timeout_with_handle(
                move || spawn_local(session.refresh(token)),
                Duration::from_millis(delay as u64),
            )
            .ok()
        });
        provide_context(session);
        session
    }

    pub fn get() -> Self {
        expect_context::<Session>()
    }

    /// The token, once known; `None` both before loading and when signed out.
    pub fn token(&self) -> Option<String> {
        self.token.get()
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded.get()
    }

    pub fn is_signed_in(&self) -> bool {
        self.token.with(Option::is_some)
    }

    /// The signed-in user's name, as typed at log-in (the API compares names without case).
    pub fn username(&self) -> Option<String> {
        self.username.get()
    }

    /// Keeps `token` (valid for `lifetime_secs`) for `username`.
    pub fn sign_in(&self, token: String, username: String, lifetime_secs: u64) {
        let expires = js_sys::Date::now() + lifetime_secs as f64 * 1000.0;
        // A full or private-mode storage only costs persistence across reloads.
        let _ = LocalStorage::set(TOKEN_KEY, &token);
        let _ = LocalStorage::set(USERNAME_KEY, &username);
        let _ = LocalStorage::set(EXPIRES_KEY, expires);
        self.ended_for.set(None);
        self.expires_at_ms.set(Some(expires));
        self.username.set(Some(username));
        self.token.set(Some(token));
    }

    pub fn sign_out(&self) {
        LocalStorage::delete(TOKEN_KEY);
        LocalStorage::delete(USERNAME_KEY);
        LocalStorage::delete(EXPIRES_KEY);
        self.token.set(None);
        self.username.set(None);
        self.expires_at_ms.set(None);
    }

    /// The name of a user whose session just ended (a refresh was refused), until they log in.
    pub fn ended_for(&self) -> Option<String> {
        self.ended_for.get()
    }

    /// `GET /api/token` with the current token, as a client of the original would renew.
    async fn refresh(self, token: String) {
        // The token may have changed (another sign-in) while this waited.
        if self.token.get_untracked().as_deref() != Some(token.as_str()) {
            return;
        }
        let username = self.username.get_untracked().unwrap_or_default();
        match client::refresh(&token).await {
            Ok(body) => self.sign_in(body.token, username, body.duration),
            // Revoked, or past the absolute lifetime: the session is over.
            Err(failure) if failure.status() == Some(401) => {
                self.sign_out();
                self.ended_for.set(Some(username));
            }
            // Offline or a server hiccup: the token stays until it expires; the next request
            // that needs it will tell.
            Err(_) => {}
        }
    }
}
