use super::{credentials_form::CredentialsForm, login::sign_in_with_password};
use crate::{
    api::{client, validate_password, validate_username, MIN_PASSWORD_CHARS_DEFAULT},
    session::Session,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();

    // Registering signs the user in: create the account, then get a token for it the same
    // way curl would.
    let create_account = Action::new_local(move |(username, password): &(String, String)| {
        let (username, password) = (username.clone(), password.clone());
        async move {
            client::register(&username, &password)
                .await
                .map_err(|failure| failure.to_string())?;
            sign_in_with_password(session, &username, &password).await
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = create_account.value().get() {
            navigate("/hello", Default::default());
        }
    });
    let message = Signal::derive(move || match create_account.value().get() {
        Some(Err(message)) if !create_account.pending().get() => Some(message),
        _ => None,
    });

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
            pending=create_account.pending()
            message
            check_username=validate_username
            // The server may be configured with a longer minimum; its 400 message is shown
            // in that case.
            check_password=|password| validate_password(password, MIN_PASSWORD_CHARS_DEFAULT)
            on_submit=move |username, password| {
                create_account.dispatch_local((username, password));
            }
        />
        <p>"Already registered? " <a href="/login">"Log in instead"</a> "."</p>
    }
}
