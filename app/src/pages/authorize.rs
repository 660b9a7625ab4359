//! The pages of an application that signs its users in here (OpenID Connect): `/authorize`,
//! where the authorization endpoint hands the browser (`?request=<id>`), and `/signed-out`,
//! where an application's sign-out lands (`?logout=<id>`).
//!
//! `/authorize` asks the API what comes next for the request and this browser's session: back
//! to the application at once (allowed before, or an error), the question "Allow"/"Deny", the
//! log-in page (`/login?next=` this page: the same forms, password, code, passkey), or "Confirm
//! it's you" where the application asked for a recent sign-in (`prompt=login`, `max_age`).

use super::{account::scope_words, confirm_its_you::ConfirmItsYou, query_param};
use crate::preload::PreloadIsland;
use crate::{
    api::{
        client::{self, ApiFailure},
        AuthorizationAnswer,
    },
    redirect::query_value,
    session::{go_to, Session},
};
use leptos::{either::EitherOf4, prelude::*, task::spawn_local};
use leptos_meta::Title;

#[component]
pub fn AuthorizePage() -> impl IntoView {
    view! {
        <Title text="Sign in to an application · rest-auth"/>
        <PreloadIsland island="authorize_panel"/>
        <h1>"Sign in to an application"</h1>
        <AuthorizePanel/>
    }
}

/// What the API said of the request.
type Answer = Option<Result<AuthorizationAnswer, ApiFailure>>;

/// The request's question or outcome, an island: only the browser knows who is signed in.
#[island(lazy)]
fn AuthorizePanel() -> impl IntoView {
    let session = Session::provide();
    let id = StoredValue::new(query_param("request").unwrap_or_default());
    // Asked once the stored session is known (not again at its renewals).
    let asked = LocalResource::new(move || {
        let loaded = session.is_loaded();
        async move {
            if !loaded {
                return None;
            }
            let id = id.get_value();
            let with_session = session
                .authorized(|token| {
                    let id = id.clone();
                    async move { client::answer_authorization(Some(&token), &id).await }
                })
                .await;
            Some(match with_session {
                // Nobody is signed in here: the API answers `prompt=none` itself, else 401.
                Err(failure) if failure.is_signed_out() => {
                    client::answer_authorization(None, &id).await
                }
                other => other,
            })
        }
    });
    let consent = Action::new_local(move |allow: &bool| {
        let allow = *allow;
        session.authorized(move |token| async move {
            client::consent(&token, &id.get_value(), allow).await
        })
    });
    let answer: Signal<Answer> =
        Signal::derive(move || consent.value().get().or_else(|| asked.get().flatten()));
    // Back to the application, or to the log-in page and here again.
    Effect::new(move |_| match answer.get() {
        Some(Ok(AuthorizationAnswer::Redirect { redirect_to })) => go_to(&redirect_to),
        Some(Err(failure)) if failure.is_signed_out() => {
            let back = format!("/authorize?request={}", id.get_value());
            go_to(&format!("/login?next={}", query_value(&back)));
        }
        _ => {}
    });
    view! {
        <ConfirmItsYou/>
        {move || match answer.get() {
            Some(Ok(AuthorizationAnswer::Consent { application, scopes })) => {
                EitherOf4::A(question(session, application, scopes, consent))
            }
            Some(Err(ApiFailure::ReauthenticationRequired(_))) => EitherOf4::B(view! {
                <p>"The application asks you to confirm it is you."</p>
                <button
                    type="button"
                    on:click=move |_| {
                        consent.clear();
                        asked.refetch();
                    }
                >
                    "Confirm it's you"
                </button>
            }),
            Some(Err(failure)) if !failure.is_signed_out() => EitherOf4::C(view! {
                <p class="error" role="alert">{failure.to_string()}</p>
            }),
            _ => EitherOf4::D(view! {
                <p class="muted" role="status">"Checking the request…"</p>
            }),
        }}
    }
}

/// "<Application> wants to sign you in": what it will get, "Allow" and "Deny".
fn question(
    session: Session,
    application: String,
    scopes: Vec<String>,
    consent: Action<bool, Result<AuthorizationAnswer, ApiFailure>>,
) -> impl IntoView {
    let allowed = scopes
        .iter()
        .filter_map(|scope| scope_words(scope))
        .map(|words| view! { <li>{words}</li> })
        .collect_view();
    let busy = move || consent.pending().get();
    view! {
        <p>
            <strong>{application}</strong> " wants to sign you in with your account "
            <strong>{move || session.username()}</strong> ". It will be able to:"
        </p>
        <ul>{allowed}</ul>
        <p class="muted">"You can remove it later from your account page."</p>
        <p class="actions">
            <button type="button" disabled=busy on:click=move |_| { consent.dispatch_local(true); }>
                "Allow"
            </button>
            " "
            <button
                type="button"
                class="secondary"
                disabled=busy
                on:click=move |_| { consent.dispatch_local(false); }
            >
                "Deny"
            </button>
        </p>
    }
}

#[component]
pub fn SignedOutPage() -> impl IntoView {
    view! {
        <Title text="Sign out · rest-auth"/>
        <PreloadIsland island="signed_out_panel"/>
        <h1>"Sign out"</h1>
        <SignedOutPanel/>
    }
}

/// Where an application's sign-out ends: this browser's session ends too (asked first when
/// the sign-out came without an ID token: anyone can link here), then back to the application
/// if it registered where.
#[island(lazy)]
fn SignedOutPanel() -> impl IntoView {
    let session = Session::provide();
    let logout = query_param("logout");
    // `None` until the API answered; then where to go next, and whether to ask first.
    let plan = RwSignal::new(None::<(Option<String>, bool)>);
    let done = RwSignal::new(false);
    let sign_out = move |next: Option<String>| {
        if let Some(token) = session.token() {
            client::end_session(&token);
        }
        session.sign_out();
        done.set(true);
        if let Some(next) = next {
            go_to(&next);
        }
    };
    Effect::new(move |_| {
        let logout = logout.clone();
        spawn_local(async move {
            let answer = match logout {
                Some(id) => client::finish_logout(&id).await.ok(),
                None => None,
            };
            let next = match answer {
                Some(body) => (body.redirect_to, body.ask),
                // Unknown or expired: nowhere to go, and ask.
                None => (None, true),
            };
            if next.1 {
                plan.set(Some(next));
            } else {
                sign_out(next.0);
            }
        });
    });
    view! {
        {move || match (done.get(), plan.get()) {
            (true, _) => EitherOf4::A(view! {
                <p role="status">"You have signed out of rest-auth."</p>
                <p><a href="/login">"Log in again"</a></p>
            }),
            (false, Some((next, true))) => EitherOf4::B(view! {
                <p>"An application asked to sign you out of rest-auth in this browser."</p>
                <p class="actions">
                    <button type="button" on:click=move |_| sign_out(next.clone())>
                        "Sign out"
                    </button>
                    " "
                    <a href="/hello">"Stay signed in"</a>
                </p>
            }),
            (false, Some(_)) => EitherOf4::C(view! { <p role="status">"Signing you out…"</p> }),
            (false, None) => EitherOf4::D(view! {
                <p class="muted" role="status">"Signing you out…"</p>
            }),
        }}
    }
}
