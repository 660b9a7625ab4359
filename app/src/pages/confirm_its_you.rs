//! "Confirm it's you", the dialog of a change the server wants confirmed first (see
//! `crate::step_up`): the password, and the code where two-step verification is on, or a
//! passkey. Modal and keyboard-only: it takes the focus when it opens, Escape or "Cancel" closes
//! it, and the focus goes back where it was.

use super::{
    cancel::CancelButton,
    field::{all_pass, CheckedForm, CheckedInput, Field},
};
use crate::{
    api::{client, ReauthenticationOptions},
    passkey::{self, PasskeyFailure},
    session::Session,
};
use leptos::{
    either::EitherOf3,
    html::{Dialog, Input},
    lazy,
    prelude::*,
};

/// The dialog. Rendered closed; opens when a change waits for it.
#[component]
pub fn ConfirmItsYou() -> impl IntoView {
    let session = Session::get();
    let step_up = session.step_up();
    step_up.shown_here();
    let dialog = NodeRef::<Dialog>::new();
    let password = Field::empty(|password| {
        if password.is_empty() {
            Err("Enter your password.".into())
        } else {
            Ok(())
        }
    });
    let code = Field::empty(|code| {
        if code.trim().is_empty() {
            Err("Enter the code from your authenticator app, or a recovery code.".into())
        } else {
            Ok(())
        }
    });
    let (password_input, code_input) = (NodeRef::<Input>::new(), NodeRef::<Input>::new());
    let message = RwSignal::new(None::<String>);
    // How this session can confirm, read when the dialog opens.
    let options = LocalResource::new(move || async move {
        if !step_up.is_open() {
            return None;
        }
        let read = session
            .authorized(|token| async move { client::reauthentication_options(&token).await })
            .await;
        Some(read.map_err(|failure| failure.to_string()))
    });
    let close = move |token: Option<String>| {
        password.clear();
        code.clear();
        message.set(None);
        step_up.finish(token);
    };
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        if step_up.is_open() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });
    let confirm = Action::new_local(move |(password, code): &(String, Option<String>)| {
        let (password, code) = (password.clone(), code.clone());
        session.authorized(move |token| {
            let (password, code) = (password.clone(), code.clone());
            async move { client::reauthenticate(&token, &password, code.as_deref()).await }
        })
    });
    Effect::new(move |_| match confirm.value().get() {
        Some(Ok(body)) => {
            let token = body.token.into_inner();
            session.keep_token(token.clone(), body.duration);
            close(Some(token));
        }
        Some(Err(failure)) => {
            message.set(Some(failure.to_string()));
            if let Some(node) = password_input.get_untracked() {
                let _ = node.focus();
            }
        }
        None => {}
    });
    let with_passkey = Action::new_local(move |_: &()| reauthenticate_with_passkey(session));
    Effect::new(move |_| match with_passkey.value().get() {
        Some(Ok(token)) => close(Some(token)),
        Some(Err(Some(failure))) => message.set(Some(failure)),
        _ => {}
    });
    let pending = move || confirm.pending().get() || with_passkey.pending().get();
    let code_required = move || {
        options
            .get()
            .flatten()
            .is_some_and(|options| options.is_ok_and(|options| options.code_required))
    };
    let submit = move || {
        message.set(None);
        let fields = if code_required() {
            vec![(password, password_input), (code, code_input)]
        } else {
            vec![(password, password_input)]
        };
        if !confirm.pending().get_untracked() && all_pass(&fields) {
            let code = code_required().then(|| code.value_untracked().trim().to_owned());
            confirm.dispatch_local((password.value_untracked(), code));
        }
    };
    let form = move |options: ReauthenticationOptions| {
        let ReauthenticationOptions {
            code_required,
            passkeys,
            ..
        } = options;
        // The form replaces "Loading…": the focus comes to its first field.
        request_animation_frame(move || {
            if let Some(node) = password_input.get_untracked() {
                let _ = node.focus();
            }
        });
        let asks = if code_required {
            "enter your password and the code from your authenticator app (or a recovery code)"
        } else {
            "enter your password"
        };
        view! {
            <p>
                "This change needs you to confirm it is you: " {asks}
                {passkeys.then_some(", or use one of your passkeys")} "."
            </p>
            <CheckedForm on_submit=submit>
                <CheckedInput
                    id="step-up-password"
                    label="Password"
                    field=password
                    input_type="password"
                    autocomplete="current-password"
                    input_ref=password_input
                />
                {code_required
                    .then(|| {
                        view! {
                            <CheckedInput
                                id="step-up-code"
                                label="Code from your authenticator app, or a recovery code"
                                field=code
                                input_type="text"
                                autocomplete="one-time-code"
                                inputmode="numeric"
                                input_ref=code_input
                            />
                        }
                    })}
                <p class="error" role="alert">{move || message.get()}</p>
                <div class="actions">
                    <button type="submit" disabled=pending>"Confirm"</button>
                    {passkeys
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="secondary"
                                    disabled=pending
                                    on:click=move |_| {
                                        message.set(None);
                                        with_passkey.dispatch_local(());
                                    }
                                >
                                    "Use a passkey"
                                </button>
                            }
                        })}
                    <CancelButton on_cancel=move || close(None)/>
                </div>
            </CheckedForm>
        }
    };
    view! {
        <dialog
            class="step-up"
            aria-labelledby="step-up-heading"
            node_ref=dialog
            // Escape: the browser closes it; the change waiting is not confirmed.
            on:cancel=move |_: web_sys::Event| close(None)
        >
            <h2 id="step-up-heading">"Confirm it's you"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match options.await {
                        Some(Ok(options)) => EitherOf3::A(form(options)),
                        Some(Err(failure)) => {
                            EitherOf3::B(view! {
                                <p class="error" role="alert">{failure}</p>
                                <CancelButton on_cancel=move || close(None)/>
                            })
                        }
                        None => EitherOf3::C(()),
                    }
                })}
            </Transition>
        </dialog>
    }
}

/// Re-authenticates the session with a passkey the person picks: the session's new token.
/// `Err(None)`: nothing to say (cancelled). The ceremony's code is a chunk of its own
/// (`#[lazy]`), fetched on first use, as the log-in page's is.
#[lazy]
async fn reauthenticate_with_passkey(session: Session) -> Result<String, Option<String>> {
    let begun = session
        .authorized(|token| async move { client::begin_passkey_reauthentication(&token).await })
        .await
        .map_err(|failure| Some(failure.to_string()))?;
    let credential = match passkey::get(begun.options, None).await {
        Ok(credential) => credential,
        Err(PasskeyFailure::Cancelled) => return Err(None),
        Err(failure) => return Err(Some(failure.message())),
    };
    let body =
        session
            .authorized(move |token| {
                let (ceremony, credential) = (begun.ceremony.clone(), credential.clone());
                async move {
                    client::finish_passkey_reauthentication(&token, ceremony, credential).await
                }
            })
            .await
            .map_err(|failure| Some(failure.to_string()))?;
    let token = body.token.into_inner();
    session.keep_token(token.clone(), body.duration);
    Ok(token)
}
