use super::{
    credentials_form::CredentialsForm,
    login::sign_in_with_password,
    posted::{PostedForm, PostedFormCarrier},
};
use crate::preload::PreloadIsland;
use crate::{
    api::{client, validate_password, validate_username, MIN_PASSWORD_CHARS_DEFAULT},
    session::{go_to, Session},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! {
        <Title text="Create account · rest-auth"/>
        <PreloadIsland island="register_form"/>
        <h1>"Create account"</h1>
        <PostedFormCarrier/>
        <p class="hint">
            "Usernames: 1 to 32 letters, digits, dots, dashes or underscores. Passwords: at least "
            {MIN_PASSWORD_CHARS_DEFAULT} " characters."
        </p>
        <RegisterForm/>
        <p>"Already registered? " <a href="/login">"Log in instead"</a> "."</p>
    }
}

/// The form, an island; from the page, the outcome of a form the browser posted itself.
#[island(lazy)]
fn RegisterForm() -> impl IntoView {
    let session = Session::provide();
    let PostedForm {
        username,
        message: posted_message,
        ..
    } = PostedForm::current().unwrap_or_default();
    // Registering signs the user in: create the account, then get a token for it the same
    // way curl would.
    let create_account = Action::new_local(move |(username, password): &(String, String)| {
        let (username, password) = (username.clone(), password.clone());
        async move {
            client::register(&username, &password)
                .await
                .map_err(|failure| failure.to_string())?;
            sign_in_with_password(session, &username, &password)
                .await
                .map_err(|refusal| refusal.message())
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = create_account.value().get() {
            go_to("/hello");
        }
    });
    let message = Signal::derive(move || {
        if create_account.pending().get() {
            return None;
        }
        match create_account.value().get() {
            Some(Err(message)) => Some(message),
            Some(Ok(())) => None,
            None => posted_message.clone(),
        }
    });

    view! {
        <CredentialsForm
            initial_username=username
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
    }
}
