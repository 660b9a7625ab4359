use crate::{api::client, session::Session};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

/// Shows what `GET /api/resource` says to the signed-in user: "Hello, <username>!".
#[component]
pub fn HelloPage() -> impl IntoView {
    let session = Session::get();
    let greeting = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);

    // Runs in the browser only (effects never run during server rendering), once the stored
    // token is known and again whenever it changes.
    Effect::new(move |_| {
        greeting.set(None);
        let Some(token) = session.token() else {
            return;
        };
        spawn_local(async move {
            match client::resource(&token).await {
                Ok(body) => greeting.set(Some(body.data)),
                Err(failure) if failure.status() == Some(401) => {
                    // Expired or revoked: forget it so the rest of the site agrees.
                    session.sign_out();
                    problem.set(Some("Your session has ended. Please log in again.".into()));
                }
                Err(failure) => problem.set(Some(failure.to_string())),
            }
        });
    });

    // Signed out (known only once the stored token has been read): to the log-in page, which
    // sends the user back here afterwards. A session that just ended stays to say so.
    let to_login = use_navigate();
    // Only on arrival: tracks `is_loaded` alone, so a log-out on this page (which goes to the
    // log-in page by itself) does not trigger it.
    Effect::new(move |_| {
        let arrived_signed_out =
            untrack(move || !session.is_signed_in() && problem.with(Option::is_none));
        if session.is_loaded() && arrived_signed_out {
            to_login("/login?next=/hello", Default::default());
        }
    });

    // Revokes every token of the user (other browsers, curl scripts), then forgets ours.
    let navigate = use_navigate();
    let revoking = RwSignal::new(false);
    let log_out_everywhere = move |_| {
        let Some(token) = session.token() else {
            return;
        };
        revoking.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match client::log_out_everywhere(&token).await {
                // 401: the token was already revoked or expired; the outcome is the same.
                Ok(()) | Err(client::ApiFailure::Status { status: 401, .. }) => {
                    session.sign_out();
                    navigate("/login", Default::default());
                }
                Err(failure) => {
                    problem.set(Some(failure.to_string()));
                    revoking.set(false);
                }
            }
        });
    };

    let status = move || {
        if greeting.with(Option::is_some) {
            let log_out_everywhere = log_out_everywhere.clone();
            view! {
                <p>"You are signed in. The API greeted you with the text above."</p>
                <p>
                    <button
                        type="button"
                        class="secondary"
                        on:click=log_out_everywhere
                        disabled=move || revoking.get()
                    >
                        "Log out everywhere"
                    </button>
                    <span class="muted">
                        " Ends every session of this account, on every device."
                    </span>
                </p>
            }
            .into_any()
        } else if !session.is_loaded() || session.is_signed_in() {
            view! { <p class="muted">"Checking your session…"</p> }.into_any()
        } else {
            view! {
                <p>
                    "You are not signed in. " <a href="/login">"Log in"</a> " or "
                    <a href="/register">"create an account"</a> " to see your greeting."
                </p>
            }
            .into_any()
        }
    };

    view! {
        <Title text="Hello · rest-auth"/>
        <h1>{move || greeting.get().unwrap_or_else(|| "Hello!".into())}</h1>
        <p class="error" role="alert">{move || problem.get()}</p>
        {status}
    }
}
