use super::{
    credentials_form::CredentialsForm,
    field::{all_pass, CheckedForm, CheckedInput, Field},
    next_path,
    posted::{PostedForm, PostedFormCarrier},
    query_param,
};
use crate::preload::PreloadIsland;
use crate::{
    api::{
        client::{self, ApiFailure, PasswordStep},
        validate_username,
    },
    passkey::{self, PasskeyFailure},
    session::{go_to, Session, SESSION_ENDED},
};
use leptos::{either::Either, html::Input, lazy, prelude::*, task::spawn_local};
use leptos_meta::Title;
use send_wrapper::SendWrapper;
use web_sys::AbortController;

/// The log-in page: the password form, or, in answer to a password the browser posted itself
/// for an account with two-step verification, the code step (server/src/http/forms.rs).
#[component]
pub fn LoginPage() -> impl IntoView {
    let code_step = PostedForm::current().is_some_and(|posted| posted.ticket.is_some());
    view! {
        <Title text="Log in · rest-auth"/>
        <PreloadIsland island=if code_step { "code_step_form" } else { "login_form" }/>
        <h1>"Log in"</h1>
        <PostedFormCarrier/>
        {if code_step { view! { <CodeStepForm/> }.into_any() } else { view! { <LoginForm/> }.into_any() }}
        <p>"No account yet? " <a href="/register">"Create one"</a> "."</p>
    }
}

/// The form, an island. From the URL: where to go once signed in (`next`), and whether the
/// code step sent the person back because its sign-in expired (`expired`); from the page: the
/// outcome of a form the browser posted itself.
#[island(lazy)]
fn LoginForm() -> impl IntoView {
    let session = Session::provide();
    let next = StoredValue::new(next_path());
    let posted = PostedForm::current().unwrap_or_default();
    let posted_message = posted.message;
    // The passkey request the autofill holds open, stopped before any other request: a browser
    // runs one at a time.
    let autofill = StoredValue::new_local(None::<AbortController>);
    let stop_autofill = move || {
        if let Some(controller) = autofill.get_value() {
            controller.abort();
        }
    };
    // The last passkey attempt's failure, shown in the form's message line.
    let passkey_failure = RwSignal::new(None::<String>);
    // A right password whose account wants a code too: the name, and the server's ticket for
    // the code step (never the password, which this page forgets once sent).
    let second_step = RwSignal::new(None::<(String, String)>);
    // Why the code step gave way to the password again ("your sign-in expired").
    let restarted = RwSignal::new(query_param("expired").map(|_| SIGN_IN_EXPIRED.to_owned()));
    // Sends the password (which signs the user in, or asks for the code).
    let log_in = Action::new_local(move |(username, password): &(String, String)| {
        let (username, password) = (username.clone(), password.clone());
        passkey_failure.set(None);
        restarted.set(None);
        async move {
            let result = sign_in_with_password(session, &username, &password).await;
            if let Err(NotSignedIn::CodeStep(ticket)) = &result {
                second_step.set(Some((username, ticket.clone())));
            }
            result
        }
    });
    // Asks for a passkey at once (the button).
    let with_passkey = Action::new_local(move |_: &()| {
        stop_autofill();
        passkey_failure.set(None);
        sign_in_with_passkey(session, None)
    });
    // Passkeys offered in the username field's autofill, where the browser supports it: from
    // hydration on, and again after the button's request (which stopped it) came to nothing.
    // A pick signs in as the button does.
    let start_autofill = move || {
        spawn_local(async move {
            if !passkey::autofill_supported().await {
                return;
            }
            let Ok(controller) = AbortController::new() else {
                return;
            };
            autofill.set_value(Some(controller.clone()));
            match sign_in_with_passkey(session, Some(controller)).await {
                Ok(()) => go_to(&next.get_value()),
                Err(Some(message)) => passkey_failure.set(Some(message)),
                // Stopped (by the button) or dismissed: nothing to say, nothing to undo.
                Err(None) => {}
            }
        });
    };
    Effect::new(move |_| start_autofill());
    // Signed in: back where the user was sent from (`/login?next=/hello`), or the greeting.
    Effect::new(move |_| {
        match log_in.value().get() {
            Some(Ok(())) => {
                stop_autofill();
                go_to(&next.get_value());
            }
            // The form gives way to the code's: no passkey is offered in a field that is gone.
            Some(Err(NotSignedIn::CodeStep(_))) => stop_autofill(),
            _ => {}
        }
    });
    Effect::new(move |_| match with_passkey.value().get() {
        Some(Ok(())) => go_to(&next.get_value()),
        Some(Err(message)) => {
            passkey_failure.set(message);
            start_autofill();
        }
        None => {}
    });
    // The last attempt's failure; before any, why the user is here if their session ended or
    // the form came back from the server.
    let message = Signal::derive(move || {
        if log_in.pending().get() || with_passkey.pending().get() {
            return None;
        }
        if let Some(message) = passkey_failure.get() {
            return Some(message);
        }
        if let Some(message) = restarted.get() {
            return Some(message);
        }
        match log_in.value().get() {
            Some(Err(NotSignedIn::CodeStep(_))) => None,
            Some(Err(refusal)) => Some(refusal.message()),
            Some(Ok(())) => None,
            None if posted_message.is_some() => posted_message.clone(),
            None if session.ended_for().is_some() => Some(SESSION_ENDED.to_owned()),
            None => None,
        }
    });

    let start_over = Callback::new(move |why: Option<String>| {
        second_step.set(None);
        log_in.value().set(None);
        restarted.set(why);
        start_autofill();
    });

    let initial_username = posted.username;
    let password_step = move || {
        view! {
            <CredentialsForm
                initial_username=initial_username.clone()
                prefill_username=Signal::derive(move || session.ended_for())
                submit_label="Log in"
                username_autocomplete="username webauthn"
                password_autocomplete="current-password"
                pending=Signal::derive(move || log_in.pending().get() || with_passkey.pending().get())
                message
                check_username=check_login_username
                // Only presence: an account may predate a higher minimum length.
                check_password=|password| {
                    if password.is_empty() { Err("Enter your password.".into()) } else { Ok(()) }
                }
                on_submit=move |username, password| {
                    log_in.dispatch_local((username, password));
                }
            />
            <div class="alternative">
                <p class="muted">"Or, without a password:"</p>
                <button
                    type="button"
                    class="secondary"
                    disabled=move || log_in.pending().get() || with_passkey.pending().get()
                    on:click=move |_| {
                        with_passkey.dispatch_local(());
                    }
                >
                    "Sign in with a passkey"
                </button>
            </div>
        }
    };
    let code_step_shown = Memo::new(move |_| second_step.with(Option::is_some));
    // `Either` rather than `<Show>`, whose fallback is a boxed `AnyView` (docs/performance.md).
    move || {
        if !code_step_shown.get() {
            return Either::Left(password_step());
        }
        let (username, ticket) = second_step.get_untracked().unwrap_or_default();
        let next = next.get_value();
        let step = SecondStep {
            session,
            username,
            ticket,
            next,
            start_over,
        };
        // Nothing shows until its WebAssembly has come, a round trip after the password was
        // accepted: the form it replaces has nothing left to do meanwhile.
        Either::Right(Suspend::new(SendWrapper::new(code_step(step))))
    }
}

/// What the second step says when the API refused the code.
pub const WRONG_CODE: &str = "That code is not correct, or was used already. Enter the code \
    your authenticator app shows now, or an unused recovery code.";

/// What the password form says when the code step's ticket is over (five minutes passed).
pub const SIGN_IN_EXPIRED: &str =
    "Your sign-in expired before the code came. Please enter your password again.";

/// What the second step of a sign-in needs from the first.
struct SecondStep {
    session: Session,
    username: String,
    /// The server's ticket for this sign-in: it stands for the right password.
    ticket: String,
    next: String,
    /// Back to the password, with why.
    start_over: Callback<Option<String>>,
}

/// The second step's form. Only accounts with two-step verification ever see it, so its code
/// is fetched when the server first asks for a code rather than with the page (`#[lazy]`: a
/// chunk of its own in the split build).
#[lazy]
fn code_step(step: SecondStep) -> AnyView {
    let SecondStep {
        session,
        username,
        ticket,
        next,
        start_over,
    } = step;
    view! { <CodeStep session username ticket next start_over message=None/> }.into_any()
}

/// The code step as the server renders it in answer to a password the browser posted itself
/// (the ticket and any message from the page), an island of its own: the log-in form's code
/// never loads on this page, nor this one's on the password's.
#[island(lazy)]
fn CodeStepForm() -> impl IntoView {
    let session = Session::provide();
    let posted = PostedForm::current().unwrap_or_default();
    let next = next_path();
    let login = login_url(&next);
    let start_over = Callback::new(move |why: Option<String>| {
        let expired = if why.is_some() { "&expired" } else { "" };
        go_to(&format!("{login}{expired}"));
    });
    view! {
        <CodeStep
            session
            username=posted.username
            ticket=posted.ticket.unwrap_or_default()
            next
            start_over
            message=posted.message
        />
    }
}

/// `/login`, keeping where to go once signed in.
fn login_url(next: &str) -> String {
    format!("/login?next={}", crate::redirect::query_value(next))
}

/// The second step of a sign-in for an account with two-step verification: the code from the
/// authenticator app, or a recovery code, sent with the ticket the password step gave. A wrong
/// code keeps this step; "Start over" goes back to the password. Sent before its island has
/// hydrated, the form posts the code with the ticket (a hidden field) to the page, whose
/// server completes it.
#[component]
fn CodeStep(
    session: Session,
    username: String,
    ticket: String,
    next: String,
    start_over: Callback<Option<String>>,
    /// What the server said of a code the browser posted itself.
    message: Option<String>,
) -> impl IntoView {
    let code = Field::empty(|code| {
        if code.trim().is_empty() {
            Err("Enter the code from your authenticator app, or a recovery code.".into())
        } else {
            Ok(())
        }
    });
    // A wrong code is said at the field, as when the island sends it; anything else (too
    // many attempts) in the form's message line.
    let posted_message = match message {
        Some(message) if message == WRONG_CODE => {
            code.reject(message);
            None
        }
        other => other,
    };
    let code_input = NodeRef::<Input>::new();
    let (hidden_ticket, hidden_username) = (ticket.clone(), username.clone());
    let verify = Action::new_local(move |code: &String| {
        let (ticket, code) = (ticket.clone(), code.clone());
        async move {
            let body = client::sign_in_code(&ticket, &code).await?;
            session.sign_in(body);
            Ok::<_, ApiFailure>(())
        }
    });
    // The step replaces the password form: the focus comes here, where the next key goes.
    // (An effect: the server renders this step too, and has no frames.)
    Effect::new(move |_| {
        request_animation_frame(move || {
            if let Some(node) = code_input.get_untracked() {
                let _ = node.focus();
            }
        })
    });
    let login = login_url(&next);
    Effect::new(move |_| match verify.value().get() {
        Some(Ok(())) => go_to(&next),
        Some(Err(ApiFailure::WrongCode(_))) => {
            code.reject(WRONG_CODE.to_owned());
            if let Some(node) = code_input.get_untracked() {
                let _ = node.focus();
            }
        }
        // The ticket is over: the password again.
        Some(Err(failure)) if failure.is_signed_out() => {
            start_over.run(Some(SIGN_IN_EXPIRED.to_owned()))
        }
        _ => {}
    });
    let message = move || match verify.value().get() {
        Some(Err(failure)) if !verify.pending().get() && !failure.is_signed_out() => {
            match failure {
                ApiFailure::WrongCode(_) => None,
                other => Some(other.to_string()),
            }
        }
        None => posted_message.clone(),
        _ => None,
    };
    let submit = move || {
        if !verify.pending().get_untracked() && all_pass(&[(code, code_input)]) {
            verify.dispatch_local(code.value_untracked().trim().to_owned());
        }
    };
    view! {
        <CheckedForm on_submit=submit>
            <p>
                "Two-step verification is on for " <strong>{username}</strong> ". "
                "Open your authenticator app for the code, or use one of your recovery codes."
            </p>
            <input type="hidden" name="ticket" value=hidden_ticket/>
            <input type="hidden" name="username" value=hidden_username/>
            <CheckedInput
                id="code"
                label="Code from your authenticator app, or a recovery code"
                field=code
                input_type="text"
                autocomplete="one-time-code"
                inputmode="numeric"
                input_ref=code_input
            />
            <p class="error" role="alert">{message}</p>
            <div class="actions">
                <button type="submit" disabled=move || verify.pending().get()>"Verify"</button>
                // A link, so it works before the island has hydrated too.
                <a
                    class="button secondary"
                    href=login
                    on:click=move |ev| {
                        ev.prevent_default();
                        start_over.run(None);
                    }
                >
                    "Start over"
                </a>
            </div>
        </CheckedForm>
    }
}

/// Every account's name follows the registration rules, so a name that breaks them is a typo
/// worth pointing out before the server says "wrong username or password".
fn check_login_username(username: &str) -> Result<(), String> {
    if username.is_empty() {
        return Err("Enter your username.".into());
    }
    validate_username(username)
}

/// Why the password step did not end signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum NotSignedIn {
    /// The password was right; the account needs a code too: the ticket for the code step.
    CodeStep(String),
    /// Refused (a wrong password, a limit, the network), as the message to show.
    Refused(String),
}

impl NotSignedIn {
    pub(super) fn message(&self) -> String {
        match self {
            NotSignedIn::CodeStep(_) => {
                "This account uses two-step verification: log in to enter its code.".to_owned()
            }
            NotSignedIn::Refused(message) => message.clone(),
        }
    }
}

/// The password step of a sign-in (`POST /api/sign-in`): signed in, the tokens kept; or, for an
/// account with two-step verification, the ticket for the code step. The password is sent once.
pub(super) async fn sign_in_with_password(
    session: Session,
    username: &str,
    password: &str,
) -> Result<(), NotSignedIn> {
    let step = client::sign_in(username, password)
        .await
        .map_err(|failure| NotSignedIn::Refused(login_failure_message(&failure)))?;
    match step {
        PasswordStep::SignedIn(body) => {
            session.sign_in(body);
            Ok(())
        }
        PasswordStep::CodeRequired(body) => Err(NotSignedIn::CodeStep(body.ticket.into_inner())),
    }
}

/// Signs in with a passkey the person picks, asked for at once, or, with `autofill`, offered in
/// the username field until that controller stops it. `Err(None)`: nothing to say (the request
/// was stopped, or the autofill was dismissed); `Err(Some(message))`: what to show.
///
/// The ceremony's code (webauthn-rs-proto's types and their conversions) is a chunk of its own
/// (`#[lazy]`), fetched on the first call: the autofill makes that call right after
/// hydration, so the form is ready before the passkey code has arrived rather than after.
#[lazy]
async fn sign_in_with_passkey(
    session: Session,
    autofill: Option<AbortController>,
) -> Result<(), Option<String>> {
    let autofill = autofill.as_ref();
    let begun = client::begin_passkey_sign_in()
        .await
        .map_err(|failure| Some(failure.to_string()))?;
    let credential = match passkey::get(begun.options, autofill).await {
        Ok(credential) => credential,
        Err(PasskeyFailure::Aborted) => return Err(None),
        Err(PasskeyFailure::Cancelled) if autofill.is_some() => return Err(None),
        Err(failure) => return Err(Some(failure.message())),
    };
    let body = client::finish_passkey_sign_in(begun.ceremony, credential)
        .await
        .map_err(|failure| match failure.status() {
            Some(401) => Some(PASSKEY_REFUSED.to_owned()),
            _ => Some(failure.to_string()),
        })?;
    session.sign_in(body);
    Ok(())
}

/// A passkey the server refused: unknown to it, removed, or its answer did not check out.
pub const PASSKEY_REFUSED: &str = "This passkey is not registered here. It may have been removed \
    from your account; log in with your password.";

/// The API's 401 says "Unauthorized Access" (the Flask original's words, meant for curl); a person
/// at a log-in form needs to hear which thing to retry. The server says the same of a form the
/// browser posted itself.
pub fn login_failure_message(failure: &ApiFailure) -> String {
    match failure.status() {
        Some(401) => "Wrong username or password.".into(),
        _ => failure.to_string(),
    }
}
