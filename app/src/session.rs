//! The signed-in state of the browser: the API token and the refresh token that renews it,
//! kept in localStorage so every page and every tab shares them, and the token quietly
//! renewed before it expires. [`Session`] is the only way to read or change them.
//!
//! Each island (the navigation bar, a page's form or panel) holds a `Session` of its own, read
//! from the one stored state: a change made by one island is announced to the others of the
//! page with a DOM event, and to other tabs by the browser's `storage` event, and each re-reads
//! the storage. So a logout in one tab signs out all of them within moments. A renewal is only
//! kept if the stored refresh token is still the one spent, so no tab ever writes a token back
//! after a logout.
//!
//! Renewing uses the refresh token (`POST /api/token/refresh`), which works after the token
//! has expired too: a laptop that slept past the token's ten minutes wakes signed in, as long
//! as its session lives. A renewal that fails for want of the network is tried again, with
//! backoff, and at once when the browser is back online or the tab visible again. A change the
//! server asks this session to confirm first (step-up) opens "Confirm it's you" where the
//! island has one ([`crate::step_up`]) and is sent again once confirmed.

use crate::{
    api::{
        client::{self, ApiFailure},
        SignedInBody,
    },
    step_up::StepUp,
};
use futures::{
    future::{LocalBoxFuture, Shared},
    FutureExt,
};
use leptos::{prelude::*, task::spawn_local};
use std::{
    cell::{Cell, RefCell},
    future::Future,
    time::Duration,
};

const TOKEN_KEY: &str = "rest-auth.token";
/// Renews the token (single use: each renewal stores the next one).
const REFRESH_KEY: &str = "rest-auth.refresh";
/// Who the token belongs to, for the navigation bar (the API token does not carry the name).
/// Kept when the session ends, so the log-in form can offer it again.
const USERNAME_KEY: &str = "rest-auth.username";
/// When the token expires, in milliseconds since the epoch (browser clock).
const EXPIRES_KEY: &str = "rest-auth.expires";
/// Set when the API refused the token, until someone signs in: pages say the session ended.
const ENDED_KEY: &str = "rest-auth.ended";
/// A word for the next page after signing out (this tab only).
const NOTICE_KEY: &str = "rest-auth.notice";
/// The DOM event one island sends the others of its page after changing the stored state.
const CHANGED_EVENT: &str = "rest-auth-session";

/// What the pages say when the API has refused the stored token.
pub const SESSION_ENDED: &str = "Your session has ended. Please log in again.";

/// How long before expiry the token is exchanged: a fifth of its lifetime, at most a minute.
fn refresh_margin_ms(lifetime_ms: f64) -> f64 {
    (lifetime_ms / 5.0).min(60_000.0)
}

/// How long to wait before trying a failed renewal again: 2 s, doubling, at most a minute.
fn retry_delay_ms(failures: u32) -> f64 {
    (2_000.0 * 2f64.powi(failures.min(5) as i32 - 1)).min(60_000.0)
}

#[derive(Clone, Copy)]
pub struct Session {
    token: RwSignal<Option<String>>,
    username: RwSignal<Option<String>>,
    expires_at_ms: RwSignal<Option<f64>>,
    ended: RwSignal<bool>,
    /// False until the browser has read localStorage. The server cannot know the token, so the
    /// server render and the first client render both show the "not yet known" state; the
    /// stored token is read in an effect, which only runs in the browser after hydration.
    loaded: RwSignal<bool>,
    /// When the next try of a renewal that failed is due (browser clock, ms), if one failed.
    retry_at_ms: RwSignal<Option<f64>>,
    /// "Confirm it's you", for a change the server wants confirmed first.
    step_up: StepUp,
}

impl Session {
    /// The session of this island, for every component in it. It follows every change of the
    /// stored state, made here, in another island or in another tab.
    pub fn provide() -> Self {
        let session = Session {
            token: RwSignal::new(None),
            username: RwSignal::new(None),
            expires_at_ms: RwSignal::new(None),
            ended: RwSignal::new(false),
            loaded: RwSignal::new(false),
            retry_at_ms: RwSignal::new(None),
            step_up: StepUp::new(),
        };
        Effect::new(move |_| {
            session.read_storage();
            session.loaded.set(true);
            let other_tab =
                window_event_listener(leptos::ev::storage, move |_| session.read_storage());
            let other_island =
                window_event_listener_untyped(CHANGED_EVENT, move |_| session.read_storage());
            on_cleanup(move || {
                other_tab.remove();
                other_island.remove();
            });
        });
        provide_context(session);
        session
    }

    pub fn get() -> Self {
        expect_context::<Session>()
    }

    /// Renews the token shortly before it expires, for as long as the page is open (one island
    /// per page does this: the navigation bar). A renewal that could not reach the server is
    /// tried again with backoff, and at once when the browser comes back online or the tab
    /// becomes visible; a refused one ends the session and goes to the log-in page, which says
    /// so.
    pub fn keep_renewed(self) {
        let failures = StoredValue::new(0u32);
        let due_at_ms = StoredValue::new(None::<f64>);
        let attempt = move || {
            spawn_local(async move {
                match self.renew().await {
                    Renewal::Renewed | Renewal::Skipped => {
                        failures.set_value(0);
                        self.retry_at_ms.set(None);
                    }
                    Renewal::Refused => go_to("/login"),
                    Renewal::Failed => {
                        let tries = failures.get_value() + 1;
                        failures.set_value(tries);
                        let at = js_sys::Date::now() + retry_delay_ms(tries);
                        self.retry_at_ms.set(Some(at));
                    }
                }
            })
        };
        Effect::new(move |previous: Option<Option<TimeoutHandle>>| {
            if let Some(Some(handle)) = previous {
                handle.clear();
            }
            let (Some(_), Some(expires)) = (self.token.get(), self.expires_at_ms.get()) else {
                due_at_ms.set_value(None);
                return None;
            };
            let now = js_sys::Date::now();
            let lifetime = (expires - now).max(0.0);
            let due = expires - refresh_margin_ms(lifetime);
            due_at_ms.set_value(Some(due));
            let when = self.retry_at_ms.get().unwrap_or(due);
            let delay = (when - now).max(0.0);
            set_timeout_with_handle(attempt, Duration::from_millis(delay as u64)).ok()
        });
        // Back from sleep, or from a network outage: renew at once if it is due (the timer may
        // be late, or may have fired while there was no network).
        let if_due = move || {
            let due = due_at_ms.get_value();
            if due.is_some_and(|due| js_sys::Date::now() >= due) {
                attempt();
            }
        };
        let online = window_event_listener_untyped("online", move |_| if_due());
        let visible = window_event_listener_untyped("visibilitychange", move |_| {
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                if_due();
            }
        });
        on_cleanup(move || {
            online.remove();
            visible.remove();
        });
    }

    /// For the island of a page only signed-in users may see: a visitor who arrives signed out
    /// is sent to log in and back to `back_to`; one signed out later (here, in another island,
    /// in another tab) to the log-in page. A session the API ended stays: the page says so.
    pub fn require_sign_in(self, back_to: &'static str) {
        Effect::new(move |was_loaded: Option<bool>| {
            let loaded = self.is_loaded();
            let signed_out = !self.is_signed_in() && !self.ended.get();
            if loaded && signed_out && !leaving() {
                if was_loaded == Some(true) {
                    go_to("/login");
                } else {
                    go_to(&format!("/login?next={back_to}"));
                }
            }
            loaded
        });
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

    /// The name of a user whose session the API ended, until someone logs in.
    pub fn ended_for(&self) -> Option<String> {
        self.ended
            .get()
            .then(|| self.username.get().unwrap_or_default())
    }

    /// Keeps what a sign-in (or a renewal) gave: the token, its refresh token, whose they are.
    pub fn sign_in(&self, body: SignedInBody) {
        // A full or private-mode storage only costs persistence across pages.
        store::set_text(REFRESH_KEY, body.refresh_token.expose());
        store::set_text(USERNAME_KEY, &body.username);
        store::delete(ENDED_KEY);
        self.keep_token(body.token.into_inner(), body.duration);
    }

    /// Keeps `token` (valid for `lifetime_secs`) in place of the current one, of the same
    /// session (a re-authentication's).
    pub fn keep_token(&self, token: String, lifetime_secs: u64) {
        let expires = js_sys::Date::now() + lifetime_secs as f64 * 1000.0;
        store::set_text(TOKEN_KEY, &token);
        store::set_number(EXPIRES_KEY, expires as u64);
        self.changed();
    }

    /// "Confirm it's you" of this island.
    pub fn step_up(&self) -> StepUp {
        self.step_up
    }

    /// Logs out and goes to the log-in page: the token is forgotten at once (every island and
    /// tab follows), the server is told to end the session by a request that survives the page
    /// being left, and the page navigates once.
    pub fn log_out(self) {
        LEAVING.set(true);
        if let Some(token) = self.token.get_untracked() {
            client::end_session(&token);
        }
        self.sign_out();
        go_to("/login");
    }

    /// Forgets the token and who it was for.
    pub fn sign_out(&self) {
        store::delete(USERNAME_KEY);
        store::delete(ENDED_KEY);
        self.forget_token();
    }

    /// Forgets the token and who it was for, then loads `path`, leaving `notice` for it to
    /// say (see [`take_notice`]).
    pub fn sign_out_and_go(self, path: &str, notice: &str) {
        LEAVING.set(true);
        store::set_notice(notice);
        self.sign_out();
        go_to(path);
    }

    /// The API refused the token: forget it, and remember that the session ended (and for
    /// whom) so the pages can say so and the log-in form can offer the name again.
    pub fn end(&self) {
        store::set_number(ENDED_KEY, 1);
        self.forget_token();
    }

    /// Calls the API with this browser's token, renewed first if it has expired (a tab that
    /// slept). A refused token (401) is renewed once, in case it expired unnoticed (a clock
    /// that differs from the server's); a session the server ended ends here too, the one place
    /// every page learns it was signed out. Without a token nothing is sent
    /// ([`ApiFailure::SignedOut`]). A change the server wants confirmed first opens "Confirm it's
    /// you", where this island shows it, and `call` runs again with the confirmed session's
    /// token.
    pub async fn authorized<T, Fut>(self, call: impl Fn(String) -> Fut) -> Result<T, ApiFailure>
    where
        Fut: Future<Output = Result<T, ApiFailure>>,
    {
        let expired = self
            .expires_at_ms
            .get_untracked()
            .is_some_and(|expires| js_sys::Date::now() >= expires - 2_000.0);
        if expired {
            match self.renew().await {
                Renewal::Refused => return Err(ApiFailure::SignedOut),
                Renewal::Failed => {
                    return Err(ApiFailure::Transport(
                        "the token could not be renewed".into(),
                    ))
                }
                Renewal::Renewed | Renewal::Skipped => {}
            }
        }
        let token = self.token.get_untracked().ok_or(ApiFailure::SignedOut)?;
        let result = self.with_token(token, &call).await;
        let Err(ApiFailure::ReauthenticationRequired(_)) = &result else {
            return result;
        };
        match self.step_up.confirm().await {
            Some(token) => self.with_token(token, &call).await,
            None => result,
        }
    }

    /// As [`Session::authorized`], with `token`. A refusal ends the session only if the stored
    /// token is still the one refused (another tab may have signed in meanwhile) and its refresh
    /// token cannot renew it.
    async fn with_token<T, Fut>(
        self,
        token: String,
        call: &impl Fn(String) -> Fut,
    ) -> Result<T, ApiFailure>
    where
        Fut: Future<Output = Result<T, ApiFailure>>,
    {
        let result = call(token.clone()).await;
        let refused = matches!(&result, Err(failure) if failure.is_signed_out());
        if !refused || stored_token().as_deref() != Some(token.as_str()) {
            return result;
        }
        match self.renew().await {
            Renewal::Renewed => match stored_token() {
                Some(renewed) if renewed != token => call(renewed).await,
                _ => result,
            },
            Renewal::Refused => {
                if stored_token().as_deref() == Some(token.as_str()) {
                    self.end();
                }
                result
            }
            Renewal::Skipped | Renewal::Failed => result,
        }
    }

    fn forget_token(&self) {
        store::delete(TOKEN_KEY);
        store::delete(REFRESH_KEY);
        store::delete(EXPIRES_KEY);
        self.changed();
    }

    /// Re-reads the stored state here, and tells the other islands of the page to.
    fn changed(&self) {
        self.read_storage();
        if let Ok(event) = web_sys::Event::new(CHANGED_EVENT) {
            let _ = window().dispatch_event(&event);
        }
    }

    /// Takes whatever the stored state is now.
    fn read_storage(&self) {
        let token = stored_token();
        if self.token.get_untracked() != token {
            self.token.set(token);
        }
        let username = store::text(USERNAME_KEY);
        if self.username.get_untracked() != username {
            self.username.set(username);
        }
        let expires = store::number(EXPIRES_KEY).map(|ms| ms as f64);
        if self.expires_at_ms.get_untracked() != expires {
            self.expires_at_ms.set(expires);
        }
        let ended = store::number(ENDED_KEY).is_some();
        if self.ended.get_untracked() != ended {
            self.ended.set(ended);
        }
    }

    /// Renews the token with the stored refresh token, once at a time in this tab (every
    /// caller that asks meanwhile waits for the same renewal).
    async fn renew(self) -> Renewal {
        let running = RENEWAL.with_borrow(Clone::clone);
        let renewal = match running {
            Some(renewal) => renewal,
            None => {
                let renewal = async move {
                    let outcome = self.renew_now().await;
                    RENEWAL.set(None);
                    outcome
                }
                .boxed_local()
                .shared();
                RENEWAL.set(Some(renewal.clone()));
                renewal
            }
        };
        renewal.await
    }

    async fn renew_now(self) -> Renewal {
        let Some(refresh_token) = store::text(REFRESH_KEY) else {
            // Nothing to renew with (a token kept by an older version of these pages).
            if stored_token().is_some() {
                self.end();
            }
            return Renewal::Refused;
        };
        match client::refresh(&refresh_token).await {
            // Kept only if no tab has logged out or signed in meanwhile: the stored refresh
            // token must still be the one spent.
            Ok(_) if store::text(REFRESH_KEY).as_deref() != Some(refresh_token.as_str()) => {
                Renewal::Skipped
            }
            Ok(body) => {
                self.sign_in(body);
                Renewal::Renewed
            }
            Err(failure) if failure.is_signed_out() => {
                if store::text(REFRESH_KEY).as_deref() == Some(refresh_token.as_str()) {
                    self.end();
                }
                Renewal::Refused
            }
            // Offline or a server hiccup: tried again (`keep_renewed`).
            Err(_) => Renewal::Failed,
        }
    }
}

/// The word a sign-out left for this page, if any; said once.
pub fn take_notice() -> Option<String> {
    store::take_notice()
}

fn stored_token() -> Option<String> {
    store::text(TOKEN_KEY)
}

/// The browser's storage: localStorage for the session, shared by every tab, through
/// gloo-storage; sessionStorage for the one-time notice. Texts are kept as JSON strings
/// (`"..."`; tokens and usernames have no characters to escape), numbers as plain digits: the
/// format gloo-storage's typed `get`/`set` use, written here through its raw `Storage` so that
/// no JSON code reaches the WebAssembly (docs/performance.md), and by the server's page that
/// completes a sign-in posted before the WebAssembly arrived ([`signed_in_script`]). A storage
/// that is full, missing or refused (private mode) only costs persistence across pages.
mod store {
    use super::NOTICE_KEY;
    use gloo_storage::{LocalStorage, SessionStorage, Storage};
    use leptos::prelude::window;

    /// gloo-storage throws where the browser refuses storage; asked first.
    fn local() -> Option<web_sys::Storage> {
        window()
            .local_storage()
            .ok()
            .flatten()
            .map(|_| LocalStorage::raw())
    }

    pub fn text(key: &str) -> Option<String> {
        let raw = local()?.get_item(key).ok()??;
        Some(raw.strip_prefix('"')?.strip_suffix('"')?.to_owned())
    }

    pub fn set_text(key: &str, value: &str) {
        if let Some(storage) = local() {
            let _ = storage.set_item(key, &format!("\"{value}\""));
        }
    }

    pub fn number(key: &str) -> Option<u64> {
        local()?.get_item(key).ok()??.parse().ok()
    }

    pub fn set_number(key: &str, value: u64) {
        if let Some(storage) = local() {
            let _ = storage.set_item(key, &value.to_string());
        }
    }

    pub fn delete(key: &str) {
        if local().is_some() {
            LocalStorage::delete(key);
        }
    }

    fn session() -> Option<web_sys::Storage> {
        window()
            .session_storage()
            .ok()
            .flatten()
            .map(|_| SessionStorage::raw())
    }

    pub fn set_notice(notice: &str) {
        if let Some(storage) = session() {
            let _ = storage.set_item(NOTICE_KEY, notice);
        }
    }

    pub fn take_notice() -> Option<String> {
        let storage = session()?;
        let notice = storage.get_item(NOTICE_KEY).ok()?;
        let _ = storage.remove_item(NOTICE_KEY);
        notice
    }
}

/// What the server renders into the head of the page it answers a sign-in with, when the
/// browser posted the form itself (server/src/http/forms.rs): the script of
/// [`signed_in_script`], run before any island reads the storage.
#[derive(Clone, Debug)]
pub struct CompletedSignIn(pub String);

/// The script that completes a sign-in the browser posted itself: it keeps what
/// [`Session::sign_in`] keeps, in the same keys and format, and puts `next` in the address bar
/// in place of the post (the page is `next`'s, rendered in answer to it), so the history holds
/// no entry that would send the password again.
pub fn signed_in_script(body: &SignedInBody, next: &str) -> String {
    format!(
        "try{{const s=localStorage;\
         s.setItem({refresh_key},JSON.stringify({refresh}));\
         s.setItem({username_key},JSON.stringify({username}));\
         s.removeItem({ended_key});\
         s.setItem({token_key},JSON.stringify({token}));\
         s.setItem({expires_key},String(Date.now()+{lifetime_ms}))}}catch(e){{}}\
         history.replaceState(null,\"\",{next})",
        refresh_key = js_string(REFRESH_KEY),
        refresh = js_string(body.refresh_token.expose()),
        username_key = js_string(USERNAME_KEY),
        username = js_string(&body.username),
        ended_key = js_string(ENDED_KEY),
        token_key = js_string(TOKEN_KEY),
        token = js_string(body.token.expose()),
        expires_key = js_string(EXPIRES_KEY),
        lifetime_ms = body.duration.saturating_mul(1000),
        next = js_string(next),
    )
}

/// The completion's script, where the server rendered one into this page.
#[component]
pub fn CompletedSignInScript() -> impl IntoView {
    use_context::<CompletedSignIn>().map(|CompletedSignIn(script)| {
        view! { <script nonce=leptos::nonce::use_nonce()>{script}</script> }
    })
}

/// `value` as a JavaScript string literal that is safe inside a `<script>` element: quotes,
/// backslashes, `<`, `>`, `&`, line separators and control characters escaped.
fn js_string(value: &str) -> String {
    let mut literal = String::with_capacity(value.len() + 2);
    literal.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                literal.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if c.is_control() => literal.push_str(&format!("\\u{:04x}", c as u32)),
            c => literal.push(c),
        }
    }
    literal.push('"');
    literal
}

thread_local! {
    /// Set once this page is on its way to another (shared by every island of the page), so
    /// nothing else sends it elsewhere meanwhile.
    static LEAVING: Cell<bool> = const { Cell::new(false) };
    /// The renewal under way in this tab, if any.
    static RENEWAL: RefCell<Option<Shared<LocalBoxFuture<'static, Renewal>>>> =
        const { RefCell::new(None) };
}

fn leaving() -> bool {
    LEAVING.get()
}

/// Loads another page (pages are rendered by the server; there is no client-side routing).
pub fn go_to(path: &str) {
    LEAVING.set(true);
    let _ = window().location().assign(path);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Renewal {
    Renewed,
    /// The refresh token is spent or unknown: signed out.
    Refused,
    /// Another sign-in or logout came first: nothing to keep.
    Skipped,
    /// The server could not be reached: to be tried again.
    Failed,
}

#[cfg(test)]
mod tests {
    use super::js_string;

    #[test]
    fn a_script_string_cannot_end_its_script_or_its_literal() {
        let literal = js_string("a\"</script><script>x\\\n\u{2028}b");
        assert_eq!(
            literal,
            r#""a\u0022\u003c/script\u003e\u003cscript\u003ex\u005c\u000a\u2028b""#
        );
    }
}
