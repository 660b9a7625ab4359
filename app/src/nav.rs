use crate::session::Session;
use leptos::{either::Either, prelude::*};

/// Site navigation, an island on every page. Signed-out links are what the server renders
/// (they work before the WASM loads); once the stored token is known the bar switches to the
/// signed-in actions. It also keeps the token renewed while the page is open.
#[island]
pub fn NavBar() -> impl IntoView {
    let session = Session::provide();
    session.keep_renewed();

    // "unknown" until the browser has read the stored token (always so in the server
    // render); scripts and styles can wait for or react to the real state.
    let state = move || match (session.is_loaded(), session.is_signed_in()) {
        (false, _) => "unknown",
        (true, true) => "signed-in",
        (true, false) => "signed-out",
    };

    let signed_in = Memo::new(move |_| session.is_signed_in());
    view! {
        <header class="site-header" data-session=state>
            <nav aria-label="Main">
                <a class="brand" href="/">"rest-auth"</a>
                // `Either` rather than `<Show>`, whose fallback is a boxed `AnyView`: this
                // island is in every page's main module.
                {move || {
                    if !signed_in.get() {
                        return Either::Left(view! {
                            <a href="/login">"Log in"</a>
                            <a href="/register">"Create account"</a>
                        });
                    }
                    Either::Right(view! {
                        <span class="who" title="Signed in">{move || session.username()}</span>
                        <a href="/hello">"Greeting"</a>
                        <a href="/account">"Account"</a>
                        <button
                            type="button"
                            class="link-button"
                            on:click=move |_| session.log_out()
                        >
                            "Log out"
                        </button>
                    })
                }}
            </nav>
        </header>
    }
}
