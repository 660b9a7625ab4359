//! Delete the account: says what will happen, asks for the password again, then does it and
//! leaves the browser signed out on the home page with a word about it.

use super::{password_to_confirm, show_refusal};
use crate::{
    api::client,
    pages::field::{all_pass, CheckedForm, CheckedInput, Field},
    session::Session,
};
use leptos::{html::Input, prelude::*};

#[component]
pub fn DeleteAccount() -> impl IntoView {
    let session = Session::get();
    let password = Field::empty(password_to_confirm);
    let password_input = NodeRef::<Input>::new();
    let delete = Action::new_local(move |password: &String| {
        let password = password.clone();
        session
            .authorized(move |token| async move { client::delete_account(&token, &password).await })
    });
    let message = RwSignal::new(None::<String>);
    Effect::new(move |_| match delete.value().get() {
        // Every session has ended: signed out, to the home page, which says why.
        Some(Ok(())) => session.sign_out_and_go("/", "Your account has been deleted."),
        Some(Err(failure)) => show_refusal(
            failure,
            (password, password_input),
            "That is not your password.",
            message,
        ),
        None => {}
    });
    let submit = move || {
        message.set(None);
        if !delete.pending().get_untracked() && all_pass(&[(password, password_input)]) {
            delete.dispatch_local(password.value_untracked());
        }
    };

    view! {
        <section aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete account"</h2>
            <p>
                "Deleting your account signs you out on every device and removes your username "
                "and password for good; the username becomes free for anyone to register. "
                "This cannot be undone."
            </p>
            <CheckedForm on_submit=submit>
                <CheckedInput
                    id="delete-password"
                    label="Your password, to confirm"
                    field=password
                    input_type="password"
                    autocomplete="current-password"
                    input_ref=password_input
                />
                <p class="error" role="alert">{move || message.get()}</p>
                <button type="submit" class="danger" disabled=move || delete.pending().get()>
                    "Delete my account"
                </button>
            </CheckedForm>
        </section>
    }
    .into_any()
}
