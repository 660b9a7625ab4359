use super::credentials_form::CredentialsForm;
use crate::{
    api::client::{self, ApiFailure},
    session::Session,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let (pending, set_pending) = signal(false);
    let (error, set_error) = signal(None::<String>);

    let log_in = move |username: String, password: String| {
        if username.is_empty() || password.is_empty() {
            set_error.set(Some("Enter your username and password.".into()));
            return;
        }
        set_pending.set(true);
        set_error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            match sign_in_with_password(session, &username, &password).await {
                Ok(()) => navigate("/hello", Default::default()),
                Err(message) => {
                    set_error.set(Some(message));
                    set_pending.set(false);
                }
            }
        });
    };

    view! {
        <Title text="Log in · rest-auth"/>
        <h1>"Log in"</h1>
        <CredentialsForm
            submit_label="Log in"
            password_autocomplete="current-password"
            pending
            error
            on_submit=log_in
        />
        <p>"No account yet? " <a href="/register">"Create one"</a> "."</p>
    }
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
    session.sign_in(body.token);
    Ok(())
}

/// The API's 401 says "Unauthorized Access" (the original's words, meant for curl); a person
/// at a log-in form needs to hear which thing to retry.
fn login_failure_message(failure: &ApiFailure) -> String {
    match failure.status() {
        Some(401) => "Wrong username or password.".into(),
        _ => failure.to_string(),
    }
}
