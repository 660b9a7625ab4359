//! The applications the user allowed to sign them in here (OpenID Connect clients), each with
//! what it was allowed, when, and a button to remove it: its sessions end (its tokens stop
//! working) and it must ask again next time.

use super::authorized_resource;
use crate::{
    api::{client, ApplicationBody, ApplicationsBody},
    session::Session,
    time,
};
use leptos::{either::EitherOf3, prelude::*};

#[component]
pub fn Applications() -> impl IntoView {
    let session = Session::get();
    let allowed = authorized_resource(session, |token| async move {
        client::applications(&token).await
    });
    let remove = Action::new_local(move |client_id: &String| {
        let client_id = client_id.clone();
        session.authorized(move |token| {
            let client_id = client_id.clone();
            async move { client::remove_application(&token, &client_id).await }
        })
    });
    Effect::new(move |_| {
        if remove.value().get().is_some() {
            allowed.refetch();
        }
    });
    let failure = move || match remove.value().get() {
        Some(Err(failure)) if !failure.is_signed_out() => Some(failure.to_string()),
        _ => None,
    };
    let list = move |body: ApplicationsBody| {
        if body.applications.is_empty() {
            return EitherOf3::A(view! {
                <p class="muted">"No application signs you in with this account."</p>
            });
        }
        let now = time::now();
        let items = body
            .applications
            .into_iter()
            .map(|application| application_item(application, now, remove))
            .collect_view();
        EitherOf3::B(view! {
            <ul class="devices">{items}</ul>
            <p class="error" role="alert">{failure}</p>
        })
    };
    view! {
        <section aria-labelledby="applications-heading">
            <h2 id="applications-heading">"Applications"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading your applications…"</p> }>
                {move || Suspend::new(async move {
                    match allowed.await {
                        Some(Ok(body)) => list(body),
                        Some(Err(message)) => EitherOf3::C(Some(view! { <p class="error">{message}</p> })),
                        None => EitherOf3::C(None),
                    }
                })}
            </Transition>
        </section>
    }
}

/// What a scope lets an application do, in the words of the consent page.
pub(crate) fn scope_words(scope: &str) -> Option<&'static str> {
    match scope {
        "openid" => Some("Know who you are (an identifier of your account, nothing else)"),
        "profile" => Some("See your username"),
        "offline_access" => Some("Stay signed in while you are away, until you remove it here"),
        _ => None,
    }
}

fn application_item(
    application: ApplicationBody,
    now: i64,
    remove: Action<String, Result<(), client::ApiFailure>>,
) -> impl IntoView {
    let allowed: Vec<&'static str> = application
        .scopes
        .iter()
        .filter_map(|scope| scope_words(scope))
        .collect();
    let button_name = format!("Remove {}", application.name);
    let client_id = application.client_id.clone();
    view! {
        <li class="device">
            <p class="device-name"><strong>{application.name.clone()}</strong></p>
            <p class="muted">
                "Allowed "
                <time datetime=time::iso(application.allowed_at) title=time::local(application.allowed_at)>
                    {time::ago(application.allowed_at, now)}
                </time>
                ": " {allowed.join("; ")} "."
            </p>
            <button
                type="button"
                class="secondary"
                aria-label=button_name
                disabled=move || remove.pending().get()
                on:click=move |_| {
                    remove.dispatch_local(client_id.clone());
                }
            >
                "Remove"
            </button>
        </li>
    }
}
