use super::confirm_its_you::ConfirmItsYou;
use crate::preload::PreloadIsland;
use crate::{
    api::client,
    session::{Session, SESSION_ENDED},
};
use leptos::prelude::*;
use leptos_meta::Title;

/// What the page shows until the greeting is known; all the server can render, since only the
/// browser knows the token.
fn checking_session() -> impl IntoView {
    view! {
        <h1>"Hello!"</h1>
        <p class="muted">"Checking your session…"</p>
    }
}

/// What `GET /api/resource` said.
#[derive(Clone)]
enum Greeting {
    Text(String),
    /// No token, or the API refused it (which ends the session).
    SignedOut,
    Failed(String),
}

/// Shows what `GET /api/resource` says to the signed-in user: "Hello, <username>!". Signed-out
/// visitors are sent to log in and back.
#[component]
pub fn HelloPage() -> impl IntoView {
    view! {
        <Title text="Hello · rest-auth"/>
        <PreloadIsland island="greeting"/>
        <Greeting/>
    }
}

/// The greeting and "Log out everywhere", an island.
#[island(lazy)]
fn Greeting() -> impl IntoView {
    let session = Session::provide();
    session.require_sign_in("/hello");
    // Fetched in the browser, again whenever the token changes.
    let greeting = LocalResource::new(move || {
        session.token();
        async move {
            match session
                .authorized(|token| async move { client::resource(&token).await })
                .await
            {
                Ok(body) => Greeting::Text(body.data),
                Err(failure) if failure.is_signed_out() => Greeting::SignedOut,
                Err(failure) => Greeting::Failed(failure.to_string()),
            }
        }
    });

    // Ends every session of the user (other browsers, curl scripts), then forgets ours, and
    // the page goes to the log-in page. A session that signed in a while ago confirms it is its
    // owner's first.
    let log_out_everywhere = Action::new_local(move |_: &()| async move {
        let ended = session
            .authorized(|token| async move { client::log_out_everywhere(&token).await })
            .await;
        match ended {
            // Signed out already (the token was revoked or expired): the outcome is the same.
            Ok(()) => Ok(()),
            Err(failure) if failure.is_signed_out() => Ok(()),
            Err(failure) => Err(failure.to_string()),
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = log_out_everywhere.value().get() {
            session.sign_out();
        }
    });
    let log_out_failure = move || match log_out_everywhere.value().get() {
        Some(Err(message)) => Some(message),
        _ => None,
    };

    let signed_in = move |text: String| {
        view! {
            <h1>{text}</h1>
            <p class="error" role="alert">{log_out_failure}</p>
            <p>"You are signed in. The API greeted you with the text above."</p>
            <p>
                <button
                    type="button"
                    class="secondary"
                    on:click=move |_| {
                        log_out_everywhere.dispatch_local(());
                    }
                    disabled=move || log_out_everywhere.pending().get()
                >
                    "Log out everywhere"
                </button>
                <span class="muted">" Ends every session of this account, on every device."</span>
            </p>
        }
    };
    let signed_out = move || {
        view! {
            <h1>"Hello!"</h1>
            <p class="error" role="alert">
                {move || session.ended_for().map(|_| SESSION_ENDED)}
            </p>
            <p>
                "You are not signed in. " <a href="/login">"Log in"</a> " or "
                <a href="/register">"create an account"</a> " to see your greeting."
            </p>
        }
    };

    view! {
        <ConfirmItsYou/>
        <Transition fallback=checking_session>
            {move || Suspend::new(async move {
                match greeting.await {
                    Greeting::Text(text) => signed_in(text).into_any(),
                    Greeting::SignedOut => signed_out().into_any(),
                    Greeting::Failed(message) => {
                        view! {
                            <h1>"Hello!"</h1>
                            <p class="error" role="alert">{message}</p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
