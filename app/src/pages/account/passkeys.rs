//! Passkeys: add one (the browser makes it; the server names it after the browser, and it can
//! be renamed), the list (name, when added, when last used), and, per passkey, rename and
//! remove (which asks "are you sure?"). Adding and removing change how the account signs in: a
//! session that signed in a while ago confirms it is its owner's first ("Confirm it's you"). A
//! browser without WebAuthn is told so instead of being offered a button that cannot work; it
//! may still rename and remove.

use super::{authorized_resource, Authorized};
use crate::{
    api::{client, validate_passkey_name, PasskeyBody},
    pages::{
        cancel::CancelButton,
        field::{all_pass, CheckedForm, CheckedInput, Field},
    },
    passkey,
    session::Session,
    time,
};
use leptos::{
    either::{Either, EitherOf3},
    html::Input,
    prelude::*,
};

#[component]
pub fn Passkeys() -> impl IntoView {
    let session = Session::get();
    // Known only in the browser; the server renders the button, hydration corrects it.
    let supported = RwSignal::new(true);
    Effect::new(move |_| supported.set(passkey::supported()));
    let passkeys = authorized_resource(session, |token| async move {
        client::passkeys(&token).await.map(|body| body.passkeys)
    });
    // Begin on the server, make the passkey in the browser, finish on the server: its name.
    let add = Action::new_local(move |_: &()| async move {
        let begun = session
            .authorized(|token| async move { client::begin_passkey_registration(&token).await })
            .await
            .map_err(|failure| failure.to_string())?;
        let credential = passkey::create(begun.options)
            .await
            .map_err(|failure| failure.message())?;
        let added =
            session
                .authorized(move |token| {
                    let (ceremony, credential) = (begun.ceremony.clone(), credential.clone());
                    async move {
                        client::finish_passkey_registration(&token, ceremony, credential).await
                    }
                })
                .await
                .map_err(|failure| failure.to_string())?;
        Ok::<_, String>(added.name)
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            passkeys.refetch();
        }
    });
    let added = move || match add.value().get() {
        Some(Ok(name)) if !add.pending().get() => Some(format!(
            "Passkey added as “{name}”. You can rename it below."
        )),
        _ => None,
    };
    // Removing lives here rather than in each row: a row is made again whenever the list is
    // read again (a new token after "Confirm it's you" reads it again), and a removal waiting
    // for that confirmation must outlive its row.
    let remove = Action::new_local(move |id: &i64| {
        let id = *id;
        session.authorized(move |token| async move { client::remove_passkey(&token, id).await })
    });
    let removal_failure = RwSignal::new(None::<String>);
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => {
            removal_failure.set(None);
            passkeys.refetch();
        }
        Some(Err(failure)) if !failure.is_signed_out() => {
            removal_failure.set(Some(failure.to_string()))
        }
        _ => {}
    });
    let failure = move || match add.value().get() {
        Some(Err(message)) if !add.pending().get() => Some(message),
        _ => removal_failure.get(),
    };

    let list = move |held: Vec<PasskeyBody>| {
        if held.is_empty() {
            return Either::Left(view! { <p class="muted">"No passkeys yet."</p> });
        }
        let now = time::now();
        let items = held
            .into_iter()
            .map(|passkey| view! { <PasskeyItem passkey now list=passkeys remove/> })
            .collect_view();
        Either::Right(view! { <ul class="devices">{items}</ul> })
    };

    view! {
        <section aria-labelledby="passkeys-heading">
            <h2 id="passkeys-heading">"Passkeys"</h2>
            <p>
                "A passkey signs you in with your screen lock, fingerprint or face, or a security "
                "key, instead of your password. It cannot be phished or reused elsewhere."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading your passkeys…"</p> }>
                {move || Suspend::new(async move {
                    match passkeys.await {
                        Some(Ok(passkeys)) => EitherOf3::A(list(passkeys)),
                        Some(Err(message)) => EitherOf3::B(view! { <p class="error">{message}</p> }),
                        None => EitherOf3::C(()),
                    }
                })}
            </Transition>
            <p class="error" role="alert">{failure}</p>
            <p class="done" role="status">{added}</p>
            // `Either` rather than `<Show>`, whose fallback is a boxed `AnyView`
            // (docs/performance.md).
            {move || {
                if supported.get() {
                    Either::Left(view! {
                        <button
                            type="button"
                            disabled=move || add.pending().get()
                            on:click=move |_| {
                                add.dispatch_local(());
                            }
                        >
                            "Add a passkey"
                        </button>
                    })
                } else {
                    Either::Right(view! {
                        <p class="notice">
                            "This browser cannot make passkeys. Open this page in a browser that "
                            "supports them (current Chrome, Edge, Firefox and Safari all do) to add one."
                        </p>
                    })
                }
            }}
        </section>
    }
}

/// What a passkey's row is showing besides its name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Editing {
    Nothing,
    Name,
    Removal,
}

fn name_rule(name: &str) -> Result<(), String> {
    validate_passkey_name(name).map(|_| ())
}

/// One passkey: its name and dates, and its rename and remove forms, one at a time.
#[component]
fn PasskeyItem(
    passkey: PasskeyBody,
    now: i64,
    /// The section's list, read again after a rename.
    list: Authorized<Vec<PasskeyBody>>,
    /// Removes a passkey of the account, by id (the section's, see [`Passkeys`]).
    remove: Action<i64, Result<(), client::ApiFailure>>,
) -> impl IntoView {
    let session = Session::get();
    let id = passkey.id;
    let name = passkey.name.clone();
    let editing = RwSignal::new(Editing::Nothing);
    let new_name = Field::new(RwSignal::new(name.clone()), name_rule);
    let name_input = NodeRef::<Input>::new();
    let message = RwSignal::new(None::<String>);

    let rename = Action::new_local(move |name: &String| {
        let name = name.clone();
        session.authorized(move |token| {
            let name = name.clone();
            async move { client::rename_passkey(&token, id, &name).await }
        })
    });
    Effect::new(move |_| match rename.value().get() {
        Some(Ok(_)) => {
            editing.set(Editing::Nothing);
            list.refetch();
        }
        Some(Err(failure)) if !failure.is_signed_out() => message.set(Some(failure.to_string())),
        _ => {}
    });
    let open = move |what: Editing| {
        message.set(None);
        editing.set(what);
        if what == Editing::Name {
            // The field appears with the next render; the focus follows it there.
            request_animation_frame(move || {
                if let Some(node) = name_input.get_untracked() {
                    let _ = node.focus();
                }
            });
        }
    };
    let save_name = move || {
        message.set(None);
        if !rename.pending().get_untracked() && all_pass(&[(new_name, name_input)]) {
            rename.dispatch_local(new_name.value_untracked());
        }
    };

    let used = match passkey.last_used_at {
        Some(at) => Either::Left(view! {
            "Last used " <time datetime=time::iso(at) title=time::local(at)>{time::ago(at, now)}</time>
        }),
        None => Either::Right("Not used yet"),
    };
    let added = passkey.created_at;
    let rename_label = format!("Rename passkey {name}");
    let remove_label = format!("Remove passkey {name}");
    let new_name_label = format!("New name for {name}");
    let question = format!("Remove {name}? It will no longer sign you in.");
    view! {
        <li class="passkey">
            <p class="device-name"><strong>{name.clone()}</strong></p>
            <p class="muted">
                "Added " <time datetime=time::iso(added) title=time::local(added)>
                    {time::ago(added, now)}
                </time> ". " {used} "."
            </p>
            <div class="actions" hidden=move || editing.get() != Editing::Nothing>
                <button
                    type="button"
                    class="secondary"
                    aria-label=rename_label
                    on:click=move |_| open(Editing::Name)
                >
                    "Rename"
                </button>
                <button
                    type="button"
                    class="secondary"
                    aria-label=remove_label
                    on:click=move |_| open(Editing::Removal)
                >
                    "Remove"
                </button>
            </div>
            <div hidden=move || editing.get() != Editing::Name>
                <CheckedForm on_submit=save_name>
                    <CheckedInput
                        id=format!("passkey-{id}-name")
                        label=new_name_label
                        field=new_name
                        input_type="text"
                        autocomplete="off"
                        input_ref=name_input
                    />
                    <div class="actions">
                        <button type="submit" disabled=move || rename.pending().get()>
                            "Save name"
                        </button>
                        <CancelButton on_cancel=move || editing.set(Editing::Nothing)/>
                    </div>
                </CheckedForm>
            </div>
            <div class="confirmation" hidden=move || editing.get() != Editing::Removal>
                <p class="question">{question}</p>
                <div class="actions">
                    <button
                        type="button"
                        class="danger"
                        disabled=move || remove.pending().get()
                        on:click=move |_| {
                            message.set(None);
                            remove.dispatch_local(id);
                        }
                    >
                        "Remove passkey"
                    </button>
                    <CancelButton on_cancel=move || editing.set(Editing::Nothing)/>
                </div>
            </div>
            <p class="error" role="alert">{move || message.get()}</p>
        </li>
    }
}
