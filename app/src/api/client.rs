//! The browser's client for `/api`: the same endpoints, bodies and auth schemes curl uses.
//!
//! Every request is sent with `credentials: "omit"`. The API answers 401 with
//! `WWW-Authenticate: Basic` for curl's sake; on a request whose credentials mode is "include" or
//! "same-origin" a browser may treat that challenge as its own and hold the request behind a
//! native login prompt. With "omit" the 401 reaches our code at once and the page shows its
//! own message. (No cookies are involved anywhere, so nothing is lost.)
//!
//! Bodies go through the browser's own JSON (`JSON.parse`, `JSON.stringify`) and
//! serde-wasm-bindgen rather than serde_json, whose parser and printer the log-in page would
//! otherwise download (see docs/performance.md); the bodies are the same shared types either
//! way.

use super::{
    ApplicationsBody, AuthorizationAnswer, BrowserAnswer, CodeStepBody, CodeStepRequest,
    ConsentRequest, ErrorBody, LogoutBody, NewUser, PasskeyBody, PasskeyRegistration,
    PasskeyRegistrationOptions, PasskeyRename, PasskeySignIn, PasskeySignInOptions, PasskeysBody,
    PasswordChange, Reauthentication, ReauthenticationOptions, RecoveryCodesBody, RefreshRequest,
    ResourceBody, Secret, SessionsBody, SignInRequest, SignedInBody, TokenBody, TotpConfirmation,
    TotpSetup, TwoStepStatus, UserBody,
};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::{de::DeserializeOwned, Serialize};
use std::fmt;
use web_sys::RequestCredentials;
use webauthn_rs_proto::{PublicKeyCredential, RegisterPublicKeyCredential};

/// Why an API call did not produce the expected body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiFailure {
    /// The API answered with an error status; `message` is its `{"error": ...}` text.
    Status { status: u16, message: String },
    /// No usable answer: the network failed or the body was not what the contract says.
    Transport(String),
    /// Nothing was sent: this browser holds no token (see `Session::authorized`).
    SignedOut,
    /// A 401 with `X-OTP: required` from the code step of a sign-in: the code was wrong or
    /// used; the ticket waits for another. The API's message.
    WrongCode(String),
    /// A 401 with `WWW-Authenticate: Bearer error="insufficient_user_authentication"`: the
    /// token is good, but this change needs the session to confirm it is its owner's first
    /// (step-up). The API's message.
    ReauthenticationRequired(String),
}

impl ApiFailure {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiFailure::Status { status, .. } => Some(*status),
            ApiFailure::WrongCode(_) | ApiFailure::ReauthenticationRequired(_) => Some(401),
            ApiFailure::Transport(_) | ApiFailure::SignedOut => None,
        }
    }

    /// The API refused the token (a plain 401), or there was none to send: either way this
    /// browser is not signed in.
    pub fn is_signed_out(&self) -> bool {
        matches!(
            self,
            ApiFailure::SignedOut | ApiFailure::Status { status: 401, .. }
        )
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiFailure::Status { message, .. } | ApiFailure::WrongCode(message) => {
                f.write_str(message)
            }
            ApiFailure::ReauthenticationRequired(_) => {
                f.write_str("Nothing was changed: this needs you to confirm it is you first.")
            }
            ApiFailure::Transport(_) => {
                f.write_str("The server could not be reached. Please try again.")
            }
            ApiFailure::SignedOut => f.write_str("You are not signed in."),
        }
    }
}

/// `POST /api/users`.
pub async fn register(username: &str, password: &str) -> Result<UserBody, ApiFailure> {
    let body = NewUser {
        username: username.to_owned(),
        password: Secret::new(password),
    };
    read(with_json(
        omit_credentials(Request::post("/api/users")),
        &body,
    )?)
    .await
}

/// What the password step of a sign-in gave.
pub enum PasswordStep {
    SignedIn(SignedInBody),
    /// The account uses two-step verification: the ticket for the code step.
    CodeRequired(CodeStepBody),
}

/// `POST /api/sign-in`: the password step. The password is sent once; a two-step account's
/// code step goes with the ticket that comes back, never the password again.
pub async fn sign_in(username: &str, password: &str) -> Result<PasswordStep, ApiFailure> {
    let body = SignInRequest {
        username: username.to_owned(),
        password: Secret::new(password),
    };
    let request = with_json(omit_credentials(Request::post("/api/sign-in")), &body)?;
    let response = request.send().await.map_err(transport)?;
    match response.status() {
        200 => parse(&response).await.map(PasswordStep::SignedIn),
        202 => parse(&response).await.map(PasswordStep::CodeRequired),
        _ => Err(failure(response).await),
    }
}

/// `POST /api/sign-in/code`: the code for the sign-in `ticket` holds. A wrong code is
/// [`ApiFailure::WrongCode`]; a ticket that is over, a plain 401.
pub async fn sign_in_code(ticket: &str, code: &str) -> Result<SignedInBody, ApiFailure> {
    let body = CodeStepRequest {
        ticket: Secret::new(ticket),
        code: Secret::new(code),
    };
    read(with_json(
        omit_credentials(Request::post("/api/sign-in/code")),
        &body,
    )?)
    .await
}

/// `POST /api/token/refresh`: a new access token, and the refresh token that replaces
/// `refresh_token` (which is spent).
pub async fn refresh(refresh_token: &str) -> Result<SignedInBody, ApiFailure> {
    let body = RefreshRequest {
        refresh_token: Secret::new(refresh_token),
    };
    read(with_json(
        omit_credentials(Request::post("/api/token/refresh")),
        &body,
    )?)
    .await
}

/// `GET /api/resource` with `Authorization: Bearer <token>`.
pub async fn resource(token: &str) -> Result<ResourceBody, ApiFailure> {
    read(bearer(Request::get("/api/resource"), token)?).await
}

/// `GET /api/sessions`: a page of `limit` of the user's live sessions, newest first, after the
/// cursor `after` (a page's `next`).
pub async fn sessions(
    token: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<SessionsBody, ApiFailure> {
    // A cursor is digits, a dot and hex: nothing to escape.
    let url = match after {
        Some(after) => format!("/api/sessions?limit={limit}&after={after}"),
        None => format!("/api/sessions?limit={limit}"),
    };
    read(bearer(Request::get(&url), token)?).await
}

/// `DELETE /api/sessions/current`: ends this session (log out). The request is under way when
/// this returns and, sent with `keepalive`, outlives the page: a person who leaves right after
/// "Log out" still ends the session. Its answer is not waited for.
pub fn end_session(token: &str) {
    let init = web_sys::RequestInit::new();
    init.set_method("DELETE");
    init.set_credentials(RequestCredentials::Omit);
    // (web-sys has no setter for `keepalive`.)
    let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &true.into());
    if let Ok(headers) = web_sys::Headers::new() {
        let _ = headers.set("Authorization", &format!("Bearer {token}"));
        init.set_headers(&headers);
    }
    let _ = leptos::prelude::window().fetch_with_str_and_init("/api/sessions/current", &init);
}

/// `DELETE /api/sessions/{id}`: signs that device out.
pub async fn end_session_by_id(token: &str, id: &str) -> Result<(), ApiFailure> {
    let path = format!("/api/sessions/{id}");
    no_content(bearer(Request::delete(&path), token)?).await
}

/// `DELETE /api/sessions/others`: signs every other device out.
pub async fn end_other_sessions(token: &str) -> Result<(), ApiFailure> {
    no_content(bearer(Request::delete("/api/sessions/others"), token)?).await
}

/// `POST /api/logout`: ends every session of the user, on every device.
pub async fn log_out_everywhere(token: &str) -> Result<(), ApiFailure> {
    no_content(bearer(Request::post("/api/logout"), token)?).await
}

/// `PUT /api/users/me/password`: every session ends, and this one is replaced by a new one,
/// whose tokens come back.
pub async fn change_password(
    token: &str,
    current: &str,
    new: &str,
) -> Result<SignedInBody, ApiFailure> {
    let body = PasswordChange {
        current_password: Secret::new(current),
        new_password: Secret::new(new),
    };
    read(with_json(
        with_bearer(Request::put("/api/users/me/password"), token),
        &body,
    )?)
    .await
}

/// `DELETE /api/users/me`.
pub async fn delete_account(token: &str) -> Result<(), ApiFailure> {
    no_content(bearer(Request::delete("/api/users/me"), token)?).await
}

/// `GET /api/sessions/current/reauthenticate`: how this session can confirm it is the owner's.
pub async fn reauthentication_options(token: &str) -> Result<ReauthenticationOptions, ApiFailure> {
    read(bearer(
        Request::get("/api/sessions/current/reauthenticate"),
        token,
    )?)
    .await
}

/// `POST /api/sessions/current/reauthenticate` with the password, and the code where needed: a
/// fresh token of the same session.
pub async fn reauthenticate(
    token: &str,
    password: &str,
    code: Option<&str>,
) -> Result<TokenBody, ApiFailure> {
    let body = Reauthentication {
        password: Secret::new(password),
        code: code.map(Secret::new),
    };
    read(with_json(
        with_bearer(Request::post("/api/sessions/current/reauthenticate"), token),
        &body,
    )?)
    .await
}

/// `POST /api/sessions/current/reauthenticate/passkey/begin`.
pub async fn begin_passkey_reauthentication(
    token: &str,
) -> Result<PasskeySignInOptions, ApiFailure> {
    read(bearer(
        Request::post("/api/sessions/current/reauthenticate/passkey/begin"),
        token,
    )?)
    .await
}

/// `POST /api/sessions/current/reauthenticate/passkey/finish` with the browser's signature.
pub async fn finish_passkey_reauthentication(
    token: &str,
    ceremony: String,
    credential: PublicKeyCredential,
) -> Result<TokenBody, ApiFailure> {
    let body = PasskeySignIn {
        ceremony,
        credential: BrowserAnswer::Parsed(credential),
    };
    read(with_json(
        with_bearer(
            Request::post("/api/sessions/current/reauthenticate/passkey/finish"),
            token,
        ),
        &body,
    )?)
    .await
}

/// `POST /api/passkeys/register/begin`: the options for `navigator.credentials.create()`.
pub async fn begin_passkey_registration(
    token: &str,
) -> Result<PasskeyRegistrationOptions, ApiFailure> {
    read(bearer(
        Request::post("/api/passkeys/register/begin"),
        token,
    )?)
    .await
}

/// `POST /api/passkeys/register/finish` with the browser's new credential; the server names it
/// after the browser.
pub async fn finish_passkey_registration(
    token: &str,
    ceremony: String,
    credential: RegisterPublicKeyCredential,
) -> Result<PasskeyBody, ApiFailure> {
    let body = PasskeyRegistration {
        ceremony,
        credential: BrowserAnswer::Parsed(credential),
        name: None,
    };
    read(with_json(
        with_bearer(Request::post("/api/passkeys/register/finish"), token),
        &body,
    )?)
    .await
}

/// `GET /api/passkeys`.
pub async fn passkeys(token: &str) -> Result<PasskeysBody, ApiFailure> {
    read(bearer(Request::get("/api/passkeys"), token)?).await
}

/// `PATCH /api/passkeys/{id}`.
pub async fn rename_passkey(token: &str, id: i64, name: &str) -> Result<PasskeyBody, ApiFailure> {
    let body = PasskeyRename {
        name: name.to_owned(),
    };
    let path = format!("/api/passkeys/{id}");
    read(with_json(with_bearer(Request::patch(&path), token), &body)?).await
}

/// `DELETE /api/passkeys/{id}`.
pub async fn remove_passkey(token: &str, id: i64) -> Result<(), ApiFailure> {
    let path = format!("/api/passkeys/{id}");
    no_content(bearer(Request::delete(&path), token)?).await
}

/// `GET /api/users/me/totp`: whether two-step verification is on.
pub async fn two_step_status(token: &str) -> Result<TwoStepStatus, ApiFailure> {
    read(bearer(Request::get("/api/users/me/totp"), token)?).await
}

/// `POST /api/users/me/totp`: a new secret for the authenticator app.
pub async fn begin_two_step(token: &str) -> Result<TotpSetup, ApiFailure> {
    read(bearer(Request::post("/api/users/me/totp"), token)?).await
}

/// `PUT /api/users/me/totp` with a first code: on, and the recovery codes.
pub async fn confirm_two_step(token: &str, code: &str) -> Result<RecoveryCodesBody, ApiFailure> {
    let body = TotpConfirmation {
        code: Secret::new(code),
    };
    read(with_json(
        with_bearer(Request::put("/api/users/me/totp"), token),
        &body,
    )?)
    .await
}

/// `DELETE /api/users/me/totp`.
pub async fn turn_off_two_step(token: &str) -> Result<(), ApiFailure> {
    no_content(bearer(Request::delete("/api/users/me/totp"), token)?).await
}

/// `POST /api/users/me/recovery-codes`: a new set in place of the old.
pub async fn renew_recovery_codes(token: &str) -> Result<RecoveryCodesBody, ApiFailure> {
    read(bearer(
        Request::post("/api/users/me/recovery-codes"),
        token,
    )?)
    .await
}

/// `POST /api/passkeys/sign-in/begin`: the options for `navigator.credentials.get()`.
pub async fn begin_passkey_sign_in() -> Result<PasskeySignInOptions, ApiFailure> {
    read(
        omit_credentials(Request::post("/api/passkeys/sign-in/begin"))
            .build()
            .map_err(transport)?,
    )
    .await
}

/// `POST /api/passkeys/sign-in/finish` with the browser's signature: the session's tokens, as
/// for a password, and whose they are.
pub async fn finish_passkey_sign_in(
    ceremony: String,
    credential: PublicKeyCredential,
) -> Result<SignedInBody, ApiFailure> {
    let body = PasskeySignIn {
        ceremony,
        credential: BrowserAnswer::Parsed(credential),
    };
    read(with_json(
        omit_credentials(Request::post("/api/passkeys/sign-in/finish")),
        &body,
    )?)
    .await
}

/// `POST /api/authorizations/{id}`: what comes next for an application's authorization
/// request, for this browser's session (`token`), or for nobody signed in.
pub async fn answer_authorization(
    token: Option<&str>,
    id: &str,
) -> Result<AuthorizationAnswer, ApiFailure> {
    let path = format!("/api/authorizations/{}", hex_segment(id)?);
    let request = match token {
        Some(token) => bearer(Request::post(&path), token)?,
        None => omit_credentials(Request::post(&path))
            .build()
            .map_err(transport)?,
    };
    read(request).await
}

/// `POST /api/authorizations/{id}/consent`: "Allow" or "Deny".
pub async fn consent(
    token: &str,
    id: &str,
    allow: bool,
) -> Result<AuthorizationAnswer, ApiFailure> {
    let path = format!("/api/authorizations/{}/consent", hex_segment(id)?);
    read(with_json(
        with_bearer(Request::post(&path), token),
        &ConsentRequest { allow },
    )?)
    .await
}

/// `GET /api/applications`: the applications the user allowed.
pub async fn applications(token: &str) -> Result<ApplicationsBody, ApiFailure> {
    read(bearer(Request::get("/api/applications"), token)?).await
}

/// `DELETE /api/applications/{client_id}`: its sessions end, and it must ask again.
pub async fn remove_application(token: &str, client_id: &str) -> Result<(), ApiFailure> {
    let path = format!("/api/applications/{}", hex_segment(client_id)?);
    no_content(bearer(Request::delete(&path), token)?).await
}

/// `POST /api/logouts/{id}`: where to go once this browser has signed out for an
/// application's sign-out.
pub async fn finish_logout(id: &str) -> Result<LogoutBody, ApiFailure> {
    let path = format!("/api/logouts/{}", hex_segment(id)?);
    read(
        omit_credentials(Request::post(&path))
            .build()
            .map_err(transport)?,
    )
    .await
}

/// An id from the page's URL as a path segment: the server's ids are hex, and anything else
/// (`..`, `/`, their percent-encodings) could point the request, with the token, at another
/// endpoint. Refused as the server would refuse an unknown id.
fn hex_segment(id: &str) -> Result<&str, ApiFailure> {
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id)
    } else {
        Err(ApiFailure::Status {
            status: 404,
            message: "Not found.".into(),
        })
    }
}

fn with_bearer(request: RequestBuilder, token: &str) -> RequestBuilder {
    omit_credentials(request).header("Authorization", &format!("Bearer {token}"))
}

fn bearer(request: RequestBuilder, token: &str) -> Result<Request, ApiFailure> {
    with_bearer(request, token).build().map_err(transport)
}

fn omit_credentials(request: RequestBuilder) -> RequestBuilder {
    request.credentials(RequestCredentials::Omit)
}

/// Sends `request`; the body of a 2xx answer.
async fn read<T: DeserializeOwned>(request: Request) -> Result<T, ApiFailure> {
    let response = request.send().await.map_err(transport)?;
    if response.ok() {
        return parse(&response).await;
    }
    Err(failure(response).await)
}

/// A body of the API: `JSON.parse`, then serde over the JavaScript value.
async fn parse<T: DeserializeOwned>(response: &Response) -> Result<T, ApiFailure> {
    let text = response.text().await.map_err(transport)?;
    let value = js_sys::JSON::parse(&text)
        .map_err(|_| ApiFailure::Transport("the answer is not JSON".into()))?;
    serde_wasm_bindgen::from_value(value).map_err(|error| ApiFailure::Transport(error.to_string()))
}

/// `request` with `body` as JSON: serde to a JavaScript value (plain objects), then
/// `JSON.stringify`.
fn with_json<T: Serialize>(request: RequestBuilder, body: &T) -> Result<Request, ApiFailure> {
    let value = body
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|error| ApiFailure::Transport(error.to_string()))?;
    let text = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| ApiFailure::Transport("the request could not be written".into()))?;
    request
        .header("Content-Type", "application/json")
        .body(text)
        .map_err(transport)
}

/// Sends `request`; `Ok` for a 2xx answer (which has no body).
async fn no_content(request: Request) -> Result<(), ApiFailure> {
    let response = request.send().await.map_err(transport)?;
    if response.ok() {
        return Ok(());
    }
    Err(failure(response).await)
}

/// The API's error answer as an `ApiFailure`, with its `{"error"}` message (for a 429 that is
/// "Too many attempts, try again in N seconds.").
async fn failure(response: Response) -> ApiFailure {
    let status = response.status();
    let headers = response.headers();
    let wants_code = status == 401 && headers.get("x-otp").as_deref() == Some("required");
    let step_up = status == 401
        && headers
            .get("www-authenticate")
            .is_some_and(|challenge| challenge.contains("insufficient_user_authentication"));
    let message = match parse::<ErrorBody>(&response).await {
        Ok(body) => body.error,
        Err(_) => format!("The server answered {status}."),
    };
    if step_up {
        return ApiFailure::ReauthenticationRequired(message);
    }
    if wants_code {
        return ApiFailure::WrongCode(message);
    }
    ApiFailure::Status { status, message }
}

fn transport(error: gloo_net::Error) -> ApiFailure {
    ApiFailure::Transport(error.to_string())
}
