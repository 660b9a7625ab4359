use crate::{api::client, session::Session};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;

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

    let status = move || {
        if greeting.with(Option::is_some) {
            view! { <p>"You are signed in. The API greeted you with the text above."</p> }
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
