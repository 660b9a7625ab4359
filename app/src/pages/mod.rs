//! One module per page.

mod account;
mod authorize;
mod cancel;
mod confirm_its_you;
mod credentials_form;
mod field;
mod hello;
mod home;
mod login;
mod not_found;
mod posted;
mod register;

pub use account::AccountPage;
pub use authorize::{AuthorizePage, SignedOutPage};
pub use hello::HelloPage;
pub use home::HomePage;
pub use login::{login_failure_message, LoginPage, SIGN_IN_EXPIRED, WRONG_CODE};
pub use not_found::NotFoundPage;
pub use posted::PostedForm;
pub use register::RegisterPage;

/// Where the log-in page sends the browser once signed in: its `next` if that stays on this
/// site, else the greeting.
pub(crate) fn next_path() -> String {
    query_param("next")
        .as_deref()
        .and_then(crate::redirect::local_path)
        .unwrap_or("/hello")
        .to_owned()
}

/// A parameter of the page's URL, where an island needs one. An island's props would be
/// serialized into the page and parsed with serde_json in the browser; reading the URL on both
/// sides keeps that parser out of the WebAssembly.
pub(crate) fn query_param(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::WithUntracked;
        leptos_router::hooks::use_query_map().with_untracked(|query| query.get(name))
    }
    #[cfg(not(feature = "ssr"))]
    {
        let search = leptos::prelude::window().location().search().ok()?;
        web_sys::UrlSearchParams::new_with_str(&search)
            .ok()?
            .get(name)
    }
}
