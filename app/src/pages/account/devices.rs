//! Where the user is signed in: their live sessions, newest first, this one marked, each other
//! one with a button to sign it out, and a button for all the others at once.

use crate::{
    api::{client, SessionBody},
    session::Session,
    time,
};
use leptos::prelude::*;

/// Which sessions a sign-out is for.
#[derive(Clone)]
enum Whom {
    One(String),
    AllOthers,
}

#[component]
pub fn Devices() -> impl IntoView {
    let session = Session::get();
    // Bumped after every sign-out, so the list is read again.
    let signed_out = RwSignal::new(0u32);
    let sessions = LocalResource::new(move || {
        signed_out.track();
        // Read again when the token changes (a renewal, a sign-out).
        session.token();
        async move {
            match session
                .authorized(|token| async move { client::sessions(&token).await })
                .await
            {
                Ok(body) => Some(Ok(body.sessions)),
                Err(failure) if failure.is_signed_out() => None,
                Err(failure) => Some(Err(failure.to_string())),
            }
        }
    });
    let sign_out = Action::new_local(move |whom: &Whom| {
        let whom = whom.clone();
        session.authorized(move |token| {
            let whom = whom.clone();
            async move {
                match whom {
                    Whom::One(id) => client::end_session_by_id(&token, &id).await,
                    Whom::AllOthers => client::end_other_sessions(&token).await,
                }
            }
        })
    });
    Effect::new(move |_| {
        if sign_out.value().get().is_some() {
            signed_out.update(|n| *n += 1);
        }
    });
    let failure = move || match sign_out.value().get() {
        Some(Err(failure)) if !failure.is_signed_out() => Some(failure.to_string()),
        _ => None,
    };

    let list = move |sessions: Vec<SessionBody>| {
        let now = time::now();
        let others = sessions.iter().filter(|s| !s.current).count();
        let items = sessions
            .into_iter()
            .map(|device| device_item(device, now, sign_out))
            .collect_view();
        view! {
            <ul class="devices">{items}</ul>
            <p class="error" role="alert">{failure}</p>
            {(others > 0)
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="secondary"
                            disabled=move || sign_out.pending().get()
                            on:click=move |_| {
                                sign_out.dispatch_local(Whom::AllOthers);
                            }
                        >
                            "Sign out every other device"
                        </button>
                    }
                })}
        }
    };

    view! {
        <section aria-labelledby="devices-heading">
            <h2 id="devices-heading">"Signed-in devices"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading your devices…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Some(Ok(sessions)) => list(sessions).into_any(),
                        Some(Err(message)) => view! { <p class="error">{message}</p> }.into_any(),
                        None => ().into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// How a session began, in the words of "Signed in ... 2 hours ago".
fn signed_in_with(method: &str) -> &'static str {
    match method {
        "passkey" => "with a passkey ",
        "password_and_code" => "with password and code ",
        "recovery_code" => "with password and a recovery code ",
        _ => "with password ",
    }
}

fn device_item(
    device: SessionBody,
    now: i64,
    sign_out: Action<Whom, Result<(), client::ApiFailure>>,
) -> impl IntoView {
    let when = |at: i64| {
        view! {
            <time datetime=time::iso(at) title=time::local(at)>{time::ago(at, now)}</time>
        }
    };
    let button_name = format!(
        "Sign out {}, signed in {}",
        device.user_agent,
        time::ago(device.started_at, now)
    );
    let id = device.id.clone();
    view! {
        <li class="device">
            <p class="device-name">
                <strong>{device.user_agent.clone()}</strong>
                {device.current.then(|| view! { " " <span class="badge">"This device"</span> })}
            </p>
            <p class="muted">
                "From " {device.address} ". Signed in "
                {signed_in_with(&device.signed_in_with)}
                {when(device.started_at)}
                " (" {time::local(device.started_at)} "), last used " {when(device.last_used_at)}
                "."
            </p>
            {(!device.current)
                .then(move || {
                    view! {
                        <button
                            type="button"
                            class="secondary"
                            aria-label=button_name
                            disabled=move || sign_out.pending().get()
                            on:click=move |_| {
                                sign_out.dispatch_local(Whom::One(id.clone()));
                            }
                        >
                            "Sign out"
                        </button>
                    }
                })}
        </li>
    }
    .into_any()
}
