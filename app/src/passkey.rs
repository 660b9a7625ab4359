//! The browser's side of passkeys: `navigator.credentials.create()` and `.get()` with the
//! options the server sent, and the answers turned back into the API's types. webauthn-rs-proto
//! does the conversions (they `unwrap()`, so they are only ever fed what the server sent).
//! Like the API client, these are bindings: they compile on the server and only run in event
//! handlers and effects.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, CredentialCreationOptions, CredentialRequestOptions};
use webauthn_rs_proto::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

/// Why the browser produced no passkey answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasskeyFailure {
    /// This browser has no WebAuthn.
    Unsupported,
    /// The person cancelled, or did not verify in time (`NotAllowedError`).
    Cancelled,
    /// The page stopped the request itself (a conditional request, before a button's).
    Aborted,
    /// Creating: this authenticator holds a passkey of this account already.
    AlreadyRegistered,
    /// The page is not at the address passkeys belong to (`SecurityError`): opened by IP
    /// address, say, rather than by the site's name.
    WrongAddress,
    /// Anything else the browser said.
    Other(String),
}

impl PasskeyFailure {
    /// What to tell the person.
    pub fn message(&self) -> String {
        match self {
            PasskeyFailure::Unsupported => {
                "This browser cannot use passkeys. Log in with your password instead.".into()
            }
            PasskeyFailure::Cancelled => "The passkey request was cancelled or timed out.".into(),
            PasskeyFailure::Aborted => "The passkey request was stopped.".into(),
            PasskeyFailure::AlreadyRegistered => {
                "This device already holds a passkey for your account.".into()
            }
            PasskeyFailure::WrongAddress => "Passkeys work only at this site's own address: open \
                it by its name (such as http://localhost:3000), not by an IP address."
                .into(),
            PasskeyFailure::Other(message) => format!("The passkey did not work: {message}"),
        }
    }
}

/// Whether this browser has WebAuthn (`window.PublicKeyCredential`).
pub fn supported() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &"PublicKeyCredential".into()).unwrap_or(false)
}

/// Whether this browser can offer passkeys in a field's autofill (conditional mediation).
pub async fn autofill_supported() -> bool {
    if !supported() {
        return false;
    }
    let class = js_sys::Reflect::get(&js_sys::global(), &"PublicKeyCredential".into());
    let Ok(check) = class.and_then(|class| {
        let check = js_sys::Reflect::get(&class, &"isConditionalMediationAvailable".into())?;
        check
            .dyn_into::<js_sys::Function>()
            .and_then(|check| check.call0(&class))
    }) else {
        return false;
    };
    match check.dyn_into::<js_sys::Promise>() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|available| available.as_bool())
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// Makes a new passkey with the options of `POST /api/passkeys/register/begin`.
pub async fn create(
    options: CreationChallengeResponse,
) -> Result<RegisterPublicKeyCredential, PasskeyFailure> {
    let container = credentials()?;
    let options = CredentialCreationOptions::from(options);
    let promise = container.create_with_options(&options).map_err(failure)?;
    let credential = JsFuture::from(promise).await.map_err(failure)?;
    let credential = credential
        .dyn_into::<web_sys::PublicKeyCredential>()
        .map_err(|_| PasskeyFailure::Other("no credential".into()))?;
    Ok(RegisterPublicKeyCredential::from(credential))
}

/// Signs the challenge of `POST /api/passkeys/sign-in/begin` with a passkey the person picks.
/// `autofill`: offered in the username field's autofill, until `abort` stops it; otherwise
/// asked for at once (a button).
pub async fn get(
    mut options: RequestChallengeResponse,
    autofill: Option<&AbortController>,
) -> Result<PublicKeyCredential, PasskeyFailure> {
    let container = credentials()?;
    if autofill.is_none() {
        options.mediation = None;
    }
    let request = CredentialRequestOptions::from(options);
    if let Some(controller) = autofill {
        request.set_signal(&controller.signal());
    }
    let promise = container.get_with_options(&request).map_err(failure)?;
    let credential = JsFuture::from(promise).await.map_err(failure)?;
    let credential = credential
        .dyn_into::<web_sys::PublicKeyCredential>()
        .map_err(|_| PasskeyFailure::Other("no credential".into()))?;
    Ok(PublicKeyCredential::from(credential))
}

fn credentials() -> Result<web_sys::CredentialsContainer, PasskeyFailure> {
    if !supported() {
        return Err(PasskeyFailure::Unsupported);
    }
    Ok(leptos::prelude::window().navigator().credentials())
}

/// The browser's `DOMException`, in our words.
fn failure(error: JsValue) -> PasskeyFailure {
    match error.dyn_ref::<web_sys::DomException>() {
        Some(exception) => match exception.name().as_str() {
            "NotAllowedError" => PasskeyFailure::Cancelled,
            "AbortError" => PasskeyFailure::Aborted,
            "InvalidStateError" => PasskeyFailure::AlreadyRegistered,
            "SecurityError" => PasskeyFailure::WrongAddress,
            _ => PasskeyFailure::Other(exception.message()),
        },
        None => PasskeyFailure::Other(format!("{error:?}")),
    }
}
