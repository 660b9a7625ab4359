//! Delete the account: says what will happen, asks "for good?", then does it (confirming it is
//! the owner first if the session signed in a while ago) and leaves the browser signed out on
//! the home page with a word about it.

use crate::{api::client, session::Session};
use leptos::{either::Either, prelude::*};

#[component]
pub fn DeleteAccount() -> impl IntoView {
    let session = Session::get();
    let asking = RwSignal::new(false);
    let delete = Action::new_local(move |_: &()| {
        session.authorized(|token| async move { client::delete_account(&token).await })
    });
    let message = RwSignal::new(None::<String>);
    Effect::new(move |_| match delete.value().get() {
        // Every session has ended: signed out, to the home page, which says why.
        Some(Ok(())) => session.sign_out_and_go("/", "Your account has been deleted."),
        Some(Err(failure)) if !failure.is_signed_out() => message.set(Some(failure.to_string())),
        _ => {}
    });

    view! {
        <section aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete account"</h2>
            <p>
                "Deleting your account signs you out on every device and removes your username "
                "and password for good; the username becomes free for anyone to register. "
                "This cannot be undone."
            </p>
            <p class="error" role="alert">{move || message.get()}</p>
            // `Either` rather than `<Show>`, whose fallback is a boxed `AnyView`
            // (docs/performance.md).
            {move || {
                if !asking.get() {
                    return Either::Left(view! {
                        <button
                            type="button"
                            class="danger"
                            on:click=move |_| {
                                message.set(None);
                                asking.set(true);
                            }
                        >
                            "Delete my account…"
                        </button>
                    });
                }
                Either::Right(view! {
                    <p class="question">"Delete your account for good?"</p>
                    <div class="actions">
                        <button
                            type="button"
                            class="danger"
                            disabled=move || delete.pending().get()
                            on:click=move |_| {
                                delete.dispatch_local(());
                            }
                        >
                            "Delete my account for good"
                        </button>
                        <button type="button" class="secondary" on:click=move |_| asking.set(false)>
                            "Keep my account"
                        </button>
                    </div>
                })
            }}
        </section>
    }
}
