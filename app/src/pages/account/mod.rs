//! `/account`: the signed-in user's password, devices, and the way out. Each section is a
//! module of its own; this page only lays them out.

mod delete;
mod devices;
mod password;

use super::field::Field;
use crate::{
    api::client::ApiFailure,
    session::{Session, SESSION_ENDED},
};
use leptos::{html::Input, prelude::*};
use leptos_meta::Title;

/// What the page shows until the session is known; all the server can render.
pub fn checking_account() -> impl IntoView {
    view! {
        <Title text="Account · rest-auth"/>
        <h1>"Account"</h1>
        <p class="muted">"Checking your session…"</p>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = Session::get();
    view! {
        <Title text="Account · rest-auth"/>
        <h1>"Account"</h1>
        <Show
            when=move || session.is_signed_in()
            fallback=move || {
                view! {
                    <p class="error" role="alert">{move || session.ended_for().map(|_| SESSION_ENDED)}</p>
                    <p>"You are not signed in. " <a href="/login?next=/account">"Log in"</a> "."</p>
                }
            }
        >
            <p class="muted">"Signed in as " <strong>{move || session.username()}</strong> "."</p>
            <password::ChangePassword/>
            <devices::Devices/>
            <delete::DeleteAccount/>
        </Show>
    }
}

/// What a form that asks for the password again does with the API's refusal: a wrong password
/// (403) is said at the password's field, which takes the focus; a refused token ends the
/// session; anything else (a lock, an unreachable server) goes to the form's message line.
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
        Some(401) => Session::get().end(),
        _ => message.set(Some(failure.to_string())),
    }
}
