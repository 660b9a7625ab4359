//! Where the user is signed in: their live sessions, newest first, a page at a time ("Show more
//! devices"), this one marked, each other one with a button to sign it out, and a button for
//! all the others at once.

use super::authorized_resource;
use crate::{
    api::{client, SessionBody, SessionsBody},
    session::Session,
    time,
};
use leptos::{either::EitherOf3, prelude::*};

/// Sessions the page reads at a time.
const PAGE: u32 = 20;

/// Which sessions a sign-out is for.
#[derive(Clone)]
enum Whom {
    One(String),
    AllOthers,
}

#[component]
pub fn Devices() -> impl IntoView {
    let session = Session::get();
    let first_page = authorized_resource(session, |token| async move {
        client::sessions(&token, None, PAGE).await
    });
    // The pages after the first that "Show more devices" read, and the cursor after the last
    // of them (`None`: none read yet); cleared whenever the first page is read again.
    let later = RwSignal::new(Vec::<SessionBody>::new());
    let later_next = RwSignal::new(None::<Option<String>>);
    let show_more = Action::new_local(move |after: &String| {
        let after = after.clone();
        session.authorized(move |token| {
            let after = after.clone();
            async move { client::sessions(&token, Some(&after), PAGE).await }
        })
    });
    Effect::new(move |_| {
        if let Some(Ok(page)) = show_more.value().get() {
            later.update(|sessions| sessions.extend(page.sessions));
            later_next.set(Some(page.next));
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
    // After every sign-out, the list is read again from the start.
    Effect::new(move |_| {
        if sign_out.value().get().is_some() {
            later.set(Vec::new());
            later_next.set(None);
            first_page.refetch();
        }
    });
    let failure = move || match (sign_out.value().get(), show_more.value().get()) {
        (Some(Err(failure)), _) | (_, Some(Err(failure))) if !failure.is_signed_out() => {
            Some(failure.to_string())
        }
        _ => None,
    };

    let list = move |first: SessionsBody| {
        let next = later_next.get().unwrap_or(first.next);
        let mut sessions = first.sessions;
        sessions.extend(later.get());
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
            {next
                .map(|after| {
                    view! {
                        <button
                            type="button"
                            class="secondary"
                            disabled=move || show_more.pending().get()
                            on:click=move |_| {
                                show_more.dispatch_local(after.clone());
                            }
                        >
                            "Show more devices"
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
                    match first_page.await {
                        Some(Ok(first)) => EitherOf3::A(move || list(first.clone())),
                        Some(Err(message)) => EitherOf3::B(view! { <p class="error">{message}</p> }),
                        None => EitherOf3::C(()),
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
}
