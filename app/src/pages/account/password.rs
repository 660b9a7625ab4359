//! Change the password: the current one, then a new one under the registration rules. Every
//! session ends; this browser stays signed in, in a new session with a new token.

use super::show_refusal;
use crate::{
    api::{client, validate_password, MIN_PASSWORD_CHARS_DEFAULT},
    pages::field::{all_pass, CheckedForm, CheckedInput, Field},
    session::Session,
};
use leptos::{html::Input, prelude::*};

fn required(password: &str) -> Result<(), String> {
    if password.is_empty() {
        Err("Enter your current password.".into())
    } else {
        Ok(())
    }
}

fn new_password_rule(password: &str) -> Result<(), String> {
    validate_password(password, MIN_PASSWORD_CHARS_DEFAULT)
}

#[component]
pub fn ChangePassword() -> impl IntoView {
    let session = Session::get();
    let current = Field::empty(required);
    let new = Field::empty(new_password_rule);
    let (current_input, new_input) = (NodeRef::<Input>::new(), NodeRef::<Input>::new());

    // The change ends every session, this one too, and the answer is the tokens of the new
    // session that replaces it here.
    let change = Action::new_local(move |(old, new): &(String, String)| {
        let (old, new) = (old.clone(), new.clone());
        async move {
            let body = session
                .authorized(move |token| {
                    let (old, new) = (old.clone(), new.clone());
                    async move { client::change_password(&token, &old, &new).await }
                })
                .await?;
            session.sign_in(body);
            Ok(())
        }
    });
    // The answer: success empties the form; a wrong current password is said at its field;
    // anything else (a lock, a server that cannot be reached) in the message line.
    let message = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    Effect::new(move |_| match change.value().get() {
        Some(Ok(())) => {
            current.clear();
            new.clear();
            message.set(None);
            done.set(true);
        }
        Some(Err(failure)) => show_refusal(
            failure,
            (current, current_input),
            "That is not your current password.",
            message,
        ),
        None => {}
    });
    let submit = move || {
        done.set(false);
        message.set(None);
        if !change.pending().get_untracked()
            && all_pass(&[(current, current_input), (new, new_input)])
        {
            change.dispatch_local((current.value_untracked(), new.value_untracked()));
        }
    };

    view! {
        <section aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <CheckedForm on_submit=submit>
                <CheckedInput
                    id="current-password"
                    label="Current password"
                    field=current
                    input_type="password"
                    autocomplete="current-password"
                    input_ref=current_input
                />
                <CheckedInput
                    id="new-password"
                    label="New password"
                    field=new
                    input_type="password"
                    autocomplete="new-password"
                    input_ref=new_input
                />
                <p class="error" role="alert">{move || message.get()}</p>
                <p class="done" role="status">
                    {move || {
                        done.get()
                            .then_some(
                                "Your password has been changed. Every other device has been signed out.",
                            )
                    }}
                </p>
                <button type="submit" disabled=move || change.pending().get()>
                    "Change password"
                </button>
            </CheckedForm>
        </section>
    }
}
