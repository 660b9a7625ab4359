use super::credentials_form::CredentialsForm;
use crate::{
    api::{
        client::{self, ApiFailure},
        validate_username,
    },
    session::{Session, SESSION_ENDED},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let query = use_query_map();

    // Exchanges the password for a token (which signs the user in).
    let log_in = Action::new_local(move |(username, password): &(String, String)| {
        let (username, password) = (username.clone(), password.clone());
        async move { sign_in_with_password(session, &username, &password).await }
    });
    // Signed in: back where the user was sent from (`/login?next=/hello`), or the greeting.
    Effect::new(move |_| {
        if let Some(Ok(())) = log_in.value().get() {
            let next = safe_next(query.get_untracked().get("next").as_deref());
            navigate(&next, Default::default());
        }
    });
    // The last attempt's failure; before any, why the user is here if their session ended.
    let message = Signal::derive(move || {
        if log_in.pending().get() {
            return None;
        }
        match log_in.value().get() {
            Some(Err(message)) => Some(message),
            _ => session.ended_for().map(|_| SESSION_ENDED.to_owned()),
        }
    });

    view! {
        <Title text="Log in · rest-auth"/>
        <h1>"Log in"</h1>
        <CredentialsForm
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
    session.sign_in(body.token.into_inner(), username.to_owned(), body.duration);
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

/// The API's 401 says "Unauthorized Access" (the Flask original's words, meant for curl); a person
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
