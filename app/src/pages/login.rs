use super::{credentials_form::CredentialsForm, query_param};
use crate::preload::PreloadIsland;
use crate::{
    api::{
        client::{self, ApiFailure},
        validate_username,
    },
    redirect::local_path,
    session::{go_to, Session, SESSION_ENDED},
};
use leptos::prelude::*;
use leptos_meta::Title;

/// What the form says when it was sent before the page could handle it (the browser posted it
/// to the server, which sent it back with the name kept and the password dropped).
pub const SEND_AGAIN: &str =
    "The page was still loading when you sent the form. Please enter your password and send it again.";

#[component]
pub fn LoginPage() -> impl IntoView {
    view! {
        <Title text="Log in · rest-auth"/>
        <PreloadIsland island="login_form"/>
        <h1>"Log in"</h1>
        <LoginForm/>
        <p>"No account yet? " <a href="/register">"Create one"</a> "."</p>
    }
}

/// The form, an island. From the URL: where to go once signed in (`next`), and what the server
/// kept of a form posted before the page was interactive (`username`, `resubmit`).
#[island(lazy)]
fn LoginForm() -> impl IntoView {
    let session = Session::provide();
    let next = query_param("next")
        .as_deref()
        .and_then(local_path)
        .unwrap_or("/hello")
        .to_owned();
    let username = query_param("username").unwrap_or_default();
    let sent_too_early = query_param("resubmit").is_some();
    // Exchanges the password for a token (which signs the user in).
    let log_in = Action::new_local(move |(username, password): &(String, String)| {
        let (username, password) = (username.clone(), password.clone());
        async move { sign_in_with_password(session, &username, &password).await }
    });
    // Signed in: back where the user was sent from (`/login?next=/hello`), or the greeting.
    Effect::new(move |_| {
        if let Some(Ok(())) = log_in.value().get() {
            go_to(&next);
        }
    });
    // The last attempt's failure; before any, why the user is here if their session ended or
    // the form came back from the server.
    let message = Signal::derive(move || {
        if log_in.pending().get() {
            return None;
        }
        match log_in.value().get() {
            Some(Err(message)) => Some(message),
            Some(Ok(())) => None,
            None if session.ended_for().is_some() => Some(SESSION_ENDED.to_owned()),
            None => sent_too_early.then(|| SEND_AGAIN.to_owned()),
        }
    });

    view! {
        <CredentialsForm
            initial_username=username
            prefill_username=Signal::derive(move || session.ended_for())
            submit_label="Log in"
            password_autocomplete="current-password"
            pending=log_in.pending()
            message
            check_username=check_login_username
            // Only presence: an account may predate a higher minimum length.
            check_password=|password| {
                if password.is_empty() { Err("Enter your password.".into()) } else { Ok(()) }
            }
            on_submit=move |username, password| {
                log_in.dispatch_local((username, password));
            }
        />
    }
}

/// Every account's name follows the registration rules, so a name that breaks them is a typo
/// worth pointing out before the server says "wrong username or password".
fn check_login_username(username: &str) -> Result<(), String> {
    if username.is_empty() {
        return Err("Enter your username.".into());
    }
    validate_username(username)
}

/// Exchanges a password for a token, as curl's `-u user:password /api/token` does, and keeps
/// the token. On failure, returns the message to show.
pub(super) async fn sign_in_with_password(
    session: Session,
    username: &str,
    password: &str,
) -> Result<(), String> {
    let body = client::token_for_password(username, password)
        .await
        .map_err(|failure| login_failure_message(&failure))?;
    session.sign_in(body.token.into_inner(), username.to_owned(), body.duration);
    Ok(())
}

/// The API's 401 says "Unauthorized Access" (the Flask original's words, meant for curl); a person
/// at a log-in form needs to hear which thing to retry.
fn login_failure_message(failure: &ApiFailure) -> String {
    match failure.status() {
        Some(401) => "Wrong username or password.".into(),
        _ => failure.to_string(),
    }
}
