//! The signed-in state of the browser: the API token, kept in localStorage so a reload keeps
//! the user signed in, and quietly exchanged for a fresh one before it expires. [`Session`] is
//! the only way to read or change it.
//!
//! Every tab of the browser shares the one stored token, and follows when another tab changes
//! it (the `storage` event): a logout in one tab signs out all of them within moments, and a
//! renewal is only kept if the stored token is still the one renewed, so no tab ever writes a
//! token back after a logout.

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
    /// Where the user asked to go after signing out in this page, if they did (rather than
    /// arriving signed out).
    signed_out_to: RwSignal<Option<&'static str>>,
    /// A word for the next page after signing out ("Your account has been deleted.").
    notice: RwSignal<Option<&'static str>>,
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
            signed_out_to: RwSignal::new(None),
            notice: RwSignal::new(None),
            loaded: RwSignal::new(false),
        };
        Effect::new(move |_| {
            session.read_storage();
            session.loaded.set(true);
            // Another tab signed in, renewed, or logged out.
            let listener = window_event_listener(leptos::ev::storage, move |event| {
                let ours = event.key().is_none_or(|key| key == TOKEN_KEY);
                if ours && session.token.get_untracked() != stored_token() {
                    session.read_storage();
                }
            });
            on_cleanup(move || listener.remove());
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

    /// The token now, without tracking it (for event handlers and actions).
    pub fn token_untracked(&self) -> Option<String> {
        self.token.get_untracked()
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
    /// signed out to log in and come back to `back_to`; one who just signed out here, where
    /// the sign-out said.
    pub fn log_in_path(&self, back_to: &str) -> String {
        match self.signed_out_to.get_untracked() {
            Some(destination) => destination.to_owned(),
            None => format!("/login?next={back_to}"),
        }
    }

    /// A word left for the next page by the last sign-out, if any.
    pub fn notice(&self) -> Option<&'static str> {
        self.notice.get()
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
        self.signed_out_to.set(None);
        self.notice.set(None);
        self.expires_at_ms.set(Some(expires));
        self.username.set(Some(username));
        self.token.set(Some(token));
    }

    /// Ends this session on the server (`DELETE /api/sessions/current`), then forgets the
    /// token, whatever the server said: the person asked to be signed out here.
    pub async fn log_out(self) {
        if let Some(token) = self.token.get_untracked() {
            if let Err(failure) = client::end_session(&token).await {
                leptos::logging::warn!("ending the session on the server failed: {failure}");
            }
        }
        self.sign_out();
    }

    /// Forgets the token and who it was for; pages for signed-in users send the user to the
    /// log-in page.
    pub fn sign_out(&self) {
        self.sign_out_to("/login", None);
    }

    /// Forgets the token and who it was for; pages for signed-in users send the user to
    /// `destination`, where `notice` may be said.
    pub fn sign_out_to(&self, destination: &'static str, notice: Option<&'static str>) {
        self.forget();
        self.username.set(None);
        self.ended.set(false);
        self.notice.set(notice);
        self.signed_out_to.set(Some(destination));
    }

    /// Exchanges the token for a fresh one in the same session now (after a password change).
    pub async fn renew_now(self) {
        if let Some(token) = self.token.get_untracked() {
            self.renew(token).await;
        }
    }

    /// The API refused the token: forget it, and remember that the session ended (and for
    /// whom, in this page only) so the pages can say so and the log-in form can keep the name.
    pub fn end(&self) {
        self.forget();
        self.ended.set(true);
    }

    /// Takes whatever the stored token is now (another tab may have changed it).
    fn read_storage(&self) {
        self.token.set(stored_token());
        self.username.set(LocalStorage::get(USERNAME_KEY).ok());
        self.expires_at_ms.set(LocalStorage::get(EXPIRES_KEY).ok());
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
            // Kept only if no tab has logged out or signed in meanwhile: the stored token must
            // still be the one renewed.
            Ok(_) if stored_token().as_deref() != Some(token.as_str()) => Renewal::Skipped,
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

fn stored_token() -> Option<String> {
    LocalStorage::get(TOKEN_KEY).ok()
}

#[derive(PartialEq, Eq)]
enum Renewal {
    Renewed,
    Refused,
    Skipped,
}
