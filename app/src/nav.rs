use crate::session::{go_to, Session};
use leptos::prelude::*;

/// Site navigation, an island on every page. Signed-out links are what the server renders
/// (they work before the WASM loads); once the stored token is known the bar switches to the
/// signed-in actions. It also keeps the token renewed while the page is open.
#[island]
pub fn NavBar() -> impl IntoView {
    let session = Session::provide();
    session.keep_renewed();
    // Ends the session on the server, then forgets the token; then to the log-in page.
    let log_out = Action::new_local(move |_: &()| async move {
        session.log_out().await;
        go_to("/login");
    });

    // "unknown" until the browser has read the stored token (always so in the server
    // render); scripts and styles can wait for or react to the real state.
    let state = move || match (session.is_loaded(), session.is_signed_in()) {
        (false, _) => "unknown",
        (true, true) => "signed-in",
        (true, false) => "signed-out",
    };

    view! {
        <header class="site-header" data-session=state>
            <nav aria-label="Main">
                <a class="brand" href="/">"rest-auth"</a>
                <Show
                    when=move || session.is_signed_in()
                    fallback=|| {
                        view! {
                            <a href="/login">"Log in"</a>
                            <a href="/register">"Create account"</a>
                        }
                    }
                >
                    <span class="who" title="Signed in">{move || session.username()}</span>
                    <a href="/hello">"Greeting"</a>
                    <a href="/account">"Account"</a>
                    <button
                        type="button"
                        class="link-button"
                        on:click=move |_| {
                            log_out.dispatch_local(());
                        }
                        disabled=move || log_out.pending().get()
                    >
                        "Log out"
                    </button>
                </Show>
            </nav>
        </header>
    }
}
