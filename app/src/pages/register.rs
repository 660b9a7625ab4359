use super::{credentials_form::CredentialsForm, login::sign_in_with_password};
use crate::{
    api::{client, validate_password, validate_username, MIN_PASSWORD_CHARS_DEFAULT},
    session::Session,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    let (pending, set_pending) = signal(false);
    let error = RwSignal::new(None::<String>);

    let create_account = move |username: String, password: String| {
        set_pending.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            // Registering signs the user in: create the account, then get a token for it the
            // same way curl would.
            let signed_in = match client::register(&username, &password).await {
                Ok(_) => sign_in_with_password(session, &username, &password).await,
                Err(failure) => Err(failure.to_string()),
            };
            match signed_in {
                Ok(()) => navigate("/hello", Default::default()),
                Err(message) => {
                    error.set(Some(message));
                    set_pending.set(false);
                }
            }
        });
    };

    view! {
        <Title text="Create account · rest-auth"/>
        <h1>"Create account"</h1>
        <p class="hint">
            "Usernames: 1 to 32 letters, digits, dots, dashes or underscores. Passwords: at least "
            {MIN_PASSWORD_CHARS_DEFAULT} " characters."
        </p>
        <CredentialsForm
            submit_label="Create account"
            password_autocomplete="new-password"
            pending
            error
            check_username=validate_username
            // The server may be configured with a longer minimum; its 400 message is shown
            // in that case.
            check_password=|password| validate_password(password, MIN_PASSWORD_CHARS_DEFAULT)
            on_submit=create_account
        />
        <p>"Already registered? " <a href="/login">"Log in instead"</a> "."</p>
    }
}
