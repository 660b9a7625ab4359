//! The signed-in state of the browser: the API token, kept in localStorage so a reload keeps
//! the user signed in.

use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;

const TOKEN_KEY: &str = "rest-auth.token";
/// Who the token belongs to, for the navigation bar (the API token does not carry the name).
const USERNAME_KEY: &str = "rest-auth.username";

#[derive(Clone, Copy)]
pub struct Session {
    token: RwSignal<Option<String>>,
    username: RwSignal<Option<String>>,
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
            loaded: RwSignal::new(false),
        };
        Effect::new(move |_| {
            session
                .token
                .set(LocalStorage::get::<String>(TOKEN_KEY).ok());
            session
                .username
                .set(LocalStorage::get::<String>(USERNAME_KEY).ok());
            session.loaded.set(true);
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

    pub fn sign_in(&self, token: String, username: String) {
        // A full or private-mode storage only costs persistence across reloads.
        let _ = LocalStorage::set(TOKEN_KEY, &token);
        let _ = LocalStorage::set(USERNAME_KEY, &username);
        self.token.set(Some(token));
        self.username.set(Some(username));
    }

    pub fn sign_out(&self) {
        LocalStorage::delete(TOKEN_KEY);
        LocalStorage::delete(USERNAME_KEY);
        self.token.set(None);
        self.username.set(None);
    }
}
