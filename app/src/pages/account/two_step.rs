//! Two-step verification: set it up (a QR code and the setup key for the authenticator app,
//! then a first code turns it on), the recovery codes (shown once, with a copy button), and,
//! once it is on, "New recovery codes" and "Turn off", each asking "are you sure?". Every one of
//! these changes how the account signs in: a session that signed in a while ago confirms it is
//! its owner's first ("Confirm it's you").

use super::{authorized_resource, Authorized};
use crate::{
    api::{client, TotpSetup, TwoStepStatus},
    pages::{
        cancel::CancelButton,
        field::{all_pass, CheckedForm, CheckedInput, Field},
    },
    session::Session,
};
use leptos::{
    either::{Either, EitherOf3, EitherOf4},
    html::Input,
    prelude::*,
};

/// What the section shows besides the account's state.
#[derive(Clone, PartialEq)]
enum Showing {
    Nothing,
    /// A setup begun: the QR code, the key, the field for the first code.
    Setup(TotpSetup),
    /// Recovery codes, just made: shown this once.
    Codes(Vec<String>),
    /// "Are you sure?" of "New recovery codes".
    ConfirmingNewCodes,
    /// "Are you sure?" of "Turn off".
    ConfirmingTurnOff,
}

#[component]
pub fn TwoStep() -> impl IntoView {
    let session = Session::get();
    let showing = RwSignal::new(Showing::Nothing);
    let message = RwSignal::new(None::<String>);
    let status = authorized_resource(session, |token| async move {
        client::two_step_status(&token).await
    });
    let begin = Action::new_local(move |_: &()| {
        session.authorized(|token| async move { client::begin_two_step(&token).await })
    });
    Effect::new(move |_| match begin.value().get() {
        Some(Ok(setup)) => showing.set(Showing::Setup(setup)),
        Some(Err(failure)) if !failure.is_signed_out() => message.set(Some(failure.to_string())),
        _ => {}
    });
    let codes_made = move |codes: Vec<String>| {
        showing.set(Showing::Codes(codes));
        status.refetch();
    };
    let open = move |what: Showing| {
        message.set(None);
        showing.set(what);
    };

    let state = move |enabled: bool, left: u32| {
        if enabled {
            let left = match left {
                1 => "1 recovery code left".to_owned(),
                n => format!("{n} recovery codes left"),
            };
            Either::Left(view! {
                <p>
                    <strong>"Two-step verification is on."</strong>
                    " Logging in with your password also asks for a code from your "
                    "authenticator app. " {left} "."
                </p>
                <div class="actions" hidden=move || showing.get() != Showing::Nothing>
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| open(Showing::ConfirmingNewCodes)
                    >
                        "New recovery codes"
                    </button>
                    <button
                        type="button"
                        class="secondary"
                        on:click=move |_| open(Showing::ConfirmingTurnOff)
                    >
                        "Turn off"
                    </button>
                </div>
            })
        } else {
            Either::Right(view! {
                <p>
                    "Two-step verification is off. With it on, logging in with your password "
                    "also asks for a code from an authenticator app on your phone, so a stolen "
                    "password alone is not enough. Passkeys need no code."
                </p>
                <button
                    type="button"
                    hidden=move || matches!(showing.get(), Showing::Setup(_))
                    disabled=move || begin.pending().get()
                    on:click=move |_| {
                        message.set(None);
                        begin.dispatch_local(());
                    }
                >
                    "Set up two-step verification"
                </button>
            })
        }
    };

    view! {
        <section aria-labelledby="two-step-heading">
            <h2 id="two-step-heading">"Two-step verification"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Some(Ok(status)) => {
                            EitherOf3::A(state(status.enabled, status.recovery_codes_left))
                        }
                        Some(Err(message)) => EitherOf3::B(view! { <p class="error">{message}</p> }),
                        None => EitherOf3::C(()),
                    }
                })}
            </Transition>
            <p class="error" role="alert">{move || message.get()}</p>
            {move || match showing.get() {
                Showing::Nothing => EitherOf4::A(()),
                Showing::Setup(setup) => {
                    EitherOf4::B(view! { <SetupForm setup showing on_codes=codes_made/> })
                }
                Showing::Codes(codes) => EitherOf4::C(view! { <RecoveryCodes codes showing/> }),
                asking @ (Showing::ConfirmingNewCodes | Showing::ConfirmingTurnOff) => {
                    let new_codes = asking == Showing::ConfirmingNewCodes;
                    EitherOf4::D(view! { <Confirmation new_codes showing on_codes=codes_made status/> })
                }
            }}
        </section>
    }
}

/// The setup key in groups of four, for typing.
fn grouped(key: &str) -> String {
    key.as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code and the key of a setup begun, and the first code, which turns it on.
#[component]
fn SetupForm(
    setup: TotpSetup,
    showing: RwSignal<Showing>,
    on_codes: impl Fn(Vec<String>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let session = Session::get();
    let code = Field::empty(|code| {
        if code.trim().is_empty() {
            Err("Enter the code your authenticator app shows.".into())
        } else {
            Ok(())
        }
    });
    let code_input = NodeRef::<Input>::new();
    let message = RwSignal::new(None::<String>);
    let confirm = Action::new_local(move |code: &String| {
        let code = code.clone();
        session.authorized(move |token| {
            let code = code.clone();
            async move { client::confirm_two_step(&token, &code).await }
        })
    });
    Effect::new(move |_| match confirm.value().get() {
        Some(Ok(body)) => on_codes(
            body.recovery_codes
                .into_iter()
                .map(|code| code.into_inner())
                .collect(),
        ),
        Some(Err(failure)) if failure.status() == Some(403) => {
            code.reject("That code is not correct. Enter the code your app shows now.".into());
            if let Some(node) = code_input.get_untracked() {
                let _ = node.focus();
            }
        }
        Some(Err(failure)) if !failure.is_signed_out() => message.set(Some(failure.to_string())),
        _ => {}
    });
    let submit = move || {
        message.set(None);
        if !confirm.pending().get_untracked() && all_pass(&[(code, code_input)]) {
            confirm.dispatch_local(code.value_untracked().trim().to_owned());
        }
    };
    let image = format!(
        "data:image/svg+xml;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(&setup.qr_svg))
    );
    let key = grouped(setup.secret.expose());
    view! {
        <div class="setup">
            <p>
                "1. Scan this QR code with an authenticator app (Google Authenticator, "
                "Microsoft Authenticator, 1Password, Aegis, FreeOTP…)."
            </p>
            <img
                class="qr"
                src=image
                width="200"
                height="200"
                alt="QR code to add rest-auth to your authenticator app (the setup key below holds the same)"
            />
            <p>"Or, if you cannot scan it, type this setup key into the app:"</p>
            <p><code class="setup-key" aria-label="Setup key">{key}</code></p>
            <CheckedForm on_submit=submit>
                <CheckedInput
                    id="totp-code"
                    label="2. Code from your authenticator app"
                    field=code
                    input_type="text"
                    autocomplete="one-time-code"
                    inputmode="numeric"
                    input_ref=code_input
                />
                <p class="error" role="alert">{move || message.get()}</p>
                <div class="actions">
                    <button type="submit" disabled=move || confirm.pending().get()>
                        "Turn on"
                    </button>
                    <CancelButton on_cancel=move || showing.set(Showing::Nothing)/>
                </div>
            </CheckedForm>
        </div>
    }
}

/// Recovery codes, shown once, with a copy button.
#[component]
fn RecoveryCodes(codes: Vec<String>, showing: RwSignal<Showing>) -> impl IntoView {
    let copied = RwSignal::new(None::<&'static str>);
    let text = codes.join("\n");
    let copy = move |_| {
        let promise = window().navigator().clipboard().write_text(&text);
        leptos::task::spawn_local(async move {
            let done = wasm_bindgen_futures::JsFuture::from(promise).await;
            copied.set(Some(match done {
                Ok(_) => "Copied.",
                Err(_) => "This browser did not allow copying: select the codes and copy them.",
            }));
        });
    };
    let items = codes
        .into_iter()
        .map(|code| view! { <li><code>{code}</code></li> })
        .collect_view();
    view! {
        <div class="recovery">
            <h3>"Your recovery codes"</h3>
            <p>
                "Keep these somewhere safe, apart from your phone: each one logs you in once in "
                "place of a code from the app. They are shown only now."
            </p>
            <ol class="recovery-codes">{items}</ol>
            <div class="actions">
                <button type="button" on:click=copy>"Copy codes"</button>
                <button
                    type="button"
                    class="secondary"
                    on:click=move |_| showing.set(Showing::Nothing)
                >
                    "I have saved them"
                </button>
            </div>
            <p class="done" role="status">{move || copied.get()}</p>
        </div>
    }
}

/// "Are you sure?": for new recovery codes (`new_codes`), or to turn it off.
#[component]
fn Confirmation(
    new_codes: bool,
    showing: RwSignal<Showing>,
    on_codes: impl Fn(Vec<String>) + Copy + Send + Sync + 'static,
    /// The section's state, read again once two-step is off.
    status: Authorized<TwoStepStatus>,
) -> impl IntoView {
    let session = Session::get();
    let message = RwSignal::new(None::<String>);
    let send = Action::new_local(move |_: &()| {
        session.authorized(move |token| async move {
            if new_codes {
                client::renew_recovery_codes(&token)
                    .await
                    .map(|body| Some(body.recovery_codes))
            } else {
                client::turn_off_two_step(&token).await.map(|()| None)
            }
        })
    });
    Effect::new(move |_| match send.value().get() {
        Some(Ok(Some(codes))) => on_codes(codes.into_iter().map(|c| c.into_inner()).collect()),
        Some(Ok(None)) => {
            showing.set(Showing::Nothing);
            status.refetch();
        }
        Some(Err(failure)) if !failure.is_signed_out() => message.set(Some(failure.to_string())),
        _ => {}
    });
    let (question, action, class) = if new_codes {
        (
            "Make a new set of recovery codes? The ones you have now stop working.",
            "Make new codes",
            "",
        )
    } else {
        (
            "Turn two-step verification off? Logging in will need only your password.",
            "Turn off two-step verification",
            "danger",
        )
    };
    view! {
        <div class="confirmation">
            <p class="question">{question}</p>
            <p class="error" role="alert">{move || message.get()}</p>
            <div class="actions">
                <button
                    type="button"
                    class=class
                    disabled=move || send.pending().get()
                    on:click=move |_| {
                        message.set(None);
                        send.dispatch_local(());
                    }
                >
                    {action}
                </button>
                <CancelButton on_cancel=move || showing.set(Showing::Nothing)/>
            </div>
        </div>
    }
}
