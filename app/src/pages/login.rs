use super::credentials_form::CredentialsForm;
use crate::{
    api::{
        client::{self, ApiFailure},
        validate_username,
    },
    session::Session,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let query = use_query_map();
    let (pending, set_pending) = signal(false);
    let error = RwSignal::new(None::<String>);
    // Sent here because the session ended in the background: say so, keep the name.
    Effect::new(move |_| {
        if session.ended_for().is_some() {
            error.set(Some("Your session has ended. Please log in again.".into()));
        }
    });
    let prefill = Signal::derive(move || session.ended_for());

    let log_in = move |username: String, password: String| {
        set_pending.set(true);
        error.set(None);
        let navigate = navigate.clone();
        // Back where the user was sent from (`/login?next=/hello`), or the greeting.
        let next = safe_next(query.get_untracked().get("next").as_deref());
        spawn_local(async move {
            match sign_in_with_password(session, &username, &password).await {
                Ok(()) => navigate(&next, Default::default()),
                Err(message) => {
                    error.set(Some(message));
                    set_pending.set(false);
                }
            }
        });
    };

    view! {
        <Title text="Log in · rest-auth"/>
        <h1>"Log in"</h1>
        <CredentialsForm
            prefill_username=prefill
            submit_label="Log in"
            password_autocomplete="current-password"
            pending
            error
            check_username=check_login_username
            // Only presence: an account may predate a higher minimum length.
            check_password=|password| {
                if password.is_empty() { Err("Enter your password.".into()) } else { Ok(()) }
            }
            on_submit=log_in
        />
        <p>"No account yet? " <a href="/register">"Create one"</a> "."</p>
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
    session.sign_in(body.token, username.to_owned(), body.duration);
    Ok(())
}

/// Only a path on this site: `next` comes from the URL, and an absolute or protocol-relative
/// URL there would send a freshly signed-in user to someone else's page.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/hello".to_owned(),
    }
}

/// The API's 401 says "Unauthorized Access" (the original's words, meant for curl); a person
/// at a log-in form needs to hear which thing to retry.
fn login_failure_message(failure: &ApiFailure) -> String {
    match failure.status() {
        Some(401) => "Wrong username or password.".into(),
        _ => failure.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_a_local_path_or_the_greeting() {
        assert_eq!(safe_next(Some("/hello")), "/hello");
        assert_eq!(safe_next(None), "/hello");
        assert_eq!(safe_next(Some("https://evil.example/")), "/hello");
        assert_eq!(safe_next(Some("//evil.example/")), "/hello");
        assert_eq!(safe_next(Some("/\\evil.example/")), "/hello");
        assert_eq!(safe_next(Some("hello")), "/hello");
    }
}
