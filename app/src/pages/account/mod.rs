//! `/account`: the signed-in user's password, passkeys, two-step verification, devices, the
//! applications they allowed, and the way out. Each section
//! is a module of its own; this page only lays them out.

mod applications;
mod delete;
mod devices;
mod passkeys;
mod password;
mod two_step;

pub(crate) use applications::scope_words;

use super::{confirm_its_you::ConfirmItsYou, field::Field};
use crate::preload::PreloadIsland;
use crate::{
    api::client::ApiFailure,
    session::{Session, SESSION_ENDED},
};
use leptos::{either::Either, html::Input, prelude::*};
use leptos_meta::Title;
use std::future::Future;

/// What a section reads with the session's token: `None` while signed out (the page follows
/// the session), or the value, or what went wrong, to show. Read again when the token changes
/// (a renewal, a sign-out) and when the section calls `.refetch()` after a change of its own.
type Authorized<T> = LocalResource<Option<Result<T, String>>>;

fn authorized_resource<T, Fut>(session: Session, read: fn(String) -> Fut) -> Authorized<T>
where
    T: 'static,
    Fut: Future<Output = Result<T, ApiFailure>> + 'static,
{
    LocalResource::new(move || {
        session.token();
        async move {
            match session.authorized(read).await {
                Ok(value) => Some(Ok(value)),
                Err(failure) if failure.is_signed_out() => None,
                Err(failure) => Some(Err(failure.to_string())),
            }
        }
    })
}

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Account · rest-auth"/>
        <PreloadIsland island="account_panel"/>
        <h1>"Account"</h1>
        <AccountPanel/>
    }
}

/// Everything on the page but its title, an island: only the browser knows who is signed in.
/// Signed-out visitors are sent to log in and back.
#[island(lazy)]
fn AccountPanel() -> impl IntoView {
    let session = Session::provide();
    session.require_sign_in("/account");
    // `Either` rather than `<Show>`, whose fallback is a boxed `AnyView` (docs/performance.md);
    // `Memo` so that the sections are built again only when signing in or out, not on renewals.
    let signed_in = Memo::new(move |_| session.is_signed_in());
    view! {
        {move || {
            if !signed_in.get() {
                let known = move || session.is_loaded();
                return Either::Left(view! {
                    <p class="error" role="alert">{move || session.ended_for().map(|_| SESSION_ENDED)}</p>
                    <p class="muted" hidden=known>"Checking your session…"</p>
                    <p hidden=move || !known()>
                        "You are not signed in. " <a href="/login?next=/account">"Log in"</a> "."
                    </p>
                });
            }
            Either::Right(view! {
                <p class="muted">"Signed in as " <strong>{move || session.username()}</strong> "."</p>
                <password::ChangePassword/>
                <passkeys::Passkeys/>
                <two_step::TwoStep/>
                <devices::Devices/>
                <applications::Applications/>
                <delete::DeleteAccount/>
            })
        }}
        <ConfirmItsYou/>
    }
}

/// What the password change does with the API's refusal: a wrong current password (403) is
/// said at its field, which takes the focus; a refused token has already ended the session
/// (`Session::authorized`), and the page shows it; anything else (a lock, an unreachable
/// server, a change not confirmed) goes to the form's message line.
fn show_refusal(
    failure: ApiFailure,
    password: (Field, NodeRef<Input>),
    wrong: &str,
    message: RwSignal<Option<String>>,
) {
    match failure.status() {
        Some(403) => {
            password.0.reject(wrong.to_owned());
            if let Some(node) = password.1.get_untracked() {
                let _ = node.focus();
            }
        }
        _ if failure.is_signed_out() => {}
        _ => message.set(Some(failure.to_string())),
    }
}
