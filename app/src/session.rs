//! The signed-in state of the browser: the API token, kept in localStorage so a reload keeps
//! the user signed in, and quietly exchanged for a fresh one before it expires. [`Session`] is
//! the only way to read or change it.

use crate::api::client;
use gloo_storage::{LocalStorage, Storage};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;
use std::time::Duration;

const TOKEN_KEY: &str = "rest-auth.token";
/// Who the token belongs to, for the navigation bar (the API token does not carry the name).
const USERNAME_KEY: &str = "rest-auth.username";
/// When the token expires, in milliseconds since the epoch (browser clock).
const EXPIRES_KEY: &str = "rest-auth.expires";

/// What the pages say when the API has refused the stored token.
pub const SESSION_ENDED: &str = "Your session has ended. Please log in again.";

/// How long before expiry the token is exchanged: a fifth of its lifetime, at most a minute.
fn refresh_margin_ms(lifetime_ms: f64) -> f64 {
    (lifetime_ms / 5.0).min(60_000.0)
}

#[derive(Clone, Copy)]
pub struct Session {
    token: RwSignal<Option<String>>,
    /// The signed-in user's name; kept after the session ended, for the log-in form.
    username: RwSignal<Option<String>>,
    expires_at_ms: RwSignal<Option<f64>>,
    /// The API refused the token (revoked, expired, past the absolute lifetime).
    ended: RwSignal<bool>,
    /// The user logged out in this page (rather than arriving signed out).
    logged_out_here: RwSignal<bool>,
    /// False until the browser has read localStorage. The server cannot know the token, so the
    /// server render and the first client render both show the "not yet known" state; the
    /// stored token is read in an effect, which only runs in the browser after hydration.
    loaded: RwSignal<bool>,
}

impl Session {
    /// Makes the session available to every component below. Call it inside the `Router`:
    /// a renewal refused in the background takes the user to the log-in page.
    pub fn provide() -> Self {
        let session = Session {
            token: RwSignal::new(None),
            username: RwSignal::new(None),
            expires_at_ms: RwSignal::new(None),
            ended: RwSignal::new(false),
            logged_out_here: RwSignal::new(false),
            loaded: RwSignal::new(false),
        };
        Effect::new(move |_| {
            session.token.set(LocalStorage::get(TOKEN_KEY).ok());
            session.username.set(LocalStorage::get(USERNAME_KEY).ok());
            session
                .expires_at_ms
                .set(LocalStorage::get(EXPIRES_KEY).ok());
            session.loaded.set(true);
        });
        // Whenever the token changes, schedule its exchange shortly before it expires.
        let navigate = use_navigate();
        Effect::new(move |previous: Option<Option<TimeoutHandle>>| {
            if let Some(Some(handle)) = previous {
                handle.clear();
            }
            let (Some(token), Some(expires)) = (session.token.get(), session.expires_at_ms.get())
            else {
                return None;
            };
            let lifetime = (expires - js_sys::Date::now()).max(0.0);
            let delay = (lifetime - refresh_margin_ms(lifetime)).max(0.0);
            let navigate = navigate.clone();
            let renew = move || {
                spawn_local(async move {
                    if session.renew(token).await == Renewal::Refused {
                        navigate("/login", Default::default());
                    }
                })
            };
            set_timeout_with_handle(renew, Duration::from_millis(delay as u64)).ok()
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

    /// For pages only a signed-in user may see (the router's `ProtectedRoute`): `None` until
    /// the stored token is known, then whether to show the page. A session that ended while
    /// the page was open stays on it, which says so.
    pub fn may_see_private_pages(&self) -> Option<bool> {
        self.is_loaded()
            .then(|| self.is_signed_in() || self.ended.get())
    }

    /// Where a page only signed-in users may see sends everyone else: a visitor who arrived
    /// signed out to log in and come back to `back_to`; one who just logged out here, to the
    /// log-in page alone.
    pub fn log_in_path(&self, back_to: &str) -> String {
        if self.logged_out_here.get_untracked() {
            "/login".to_owned()
        } else {
            format!("/login?next={back_to}")
        }
    }

    /// The signed-in user's name, as typed at log-in (the API compares names without case).
    pub fn username(&self) -> Option<String> {
        self.username.get()
    }

    /// The name of a user whose session the API ended, until someone logs in.
    pub fn ended_for(&self) -> Option<String> {
        self.ended
            .get()
            .then(|| self.username.get().unwrap_or_default())
    }

    /// Keeps `token` (valid for `lifetime_secs`) for `username`.
    pub fn sign_in(&self, token: String, username: String, lifetime_secs: u64) {
        let expires = js_sys::Date::now() + lifetime_secs as f64 * 1000.0;
        // A full or private-mode storage only costs persistence across reloads.
        let _ = LocalStorage::set(TOKEN_KEY, &token);
        let _ = LocalStorage::set(USERNAME_KEY, &username);
        let _ = LocalStorage::set(EXPIRES_KEY, expires);
        self.ended.set(false);
        self.logged_out_here.set(false);
        self.expires_at_ms.set(Some(expires));
        self.username.set(Some(username));
        self.token.set(Some(token));
    }

    /// Forgets the token and who it was for.
    pub fn sign_out(&self) {
        self.forget();
        self.username.set(None);
        self.ended.set(false);
        self.logged_out_here.set(true);
    }

    /// The API refused the token: forget it, and remember that the session ended (and for
    /// whom, in this page only) so the pages can say so and the log-in form can keep the name.
    pub fn end(&self) {
        self.forget();
        self.ended.set(true);
    }

    fn forget(&self) {
        LocalStorage::delete(TOKEN_KEY);
        LocalStorage::delete(USERNAME_KEY);
        LocalStorage::delete(EXPIRES_KEY);
        self.token.set(None);
        self.expires_at_ms.set(None);
    }

    /// `GET /api/token` with the current token, as a client of the Flask original would renew.
    async fn renew(self, token: String) -> Renewal {
        // The token may have changed (another sign-in) while this waited.
        if self.token.get_untracked().as_deref() != Some(token.as_str()) {
            return Renewal::Skipped;
        }
        let username = self.username.get_untracked().unwrap_or_default();
        match client::refresh(&token).await {
            Ok(body) => {
                self.sign_in(body.token.into_inner(), username, body.duration);
                Renewal::Renewed
            }
            Err(failure) if failure.status() == Some(401) => {
                self.end();
                Renewal::Refused
            }
            // Offline or a server hiccup: the token stays until it expires; the next request
            // that needs it will tell.
            Err(_) => Renewal::Skipped,
        }
    }
}

#[derive(PartialEq, Eq)]
enum Renewal {
    Renewed,
    Refused,
    Skipped,
}
