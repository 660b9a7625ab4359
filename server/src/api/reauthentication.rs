//! `/api/sessions/current/reauthenticate`: a session confirms it is its owner's, with the
//! password (and a code where two-step verification is on) or a passkey, and may then make the
//! changes that need a recent full authentication (step-up, auth/step_up.rs) for the next
//! `REAUTH_MAX_AGE_SECONDS`. Wrong passwords and codes count against the brute-force limits.

use super::{
    auth_user::AuthUser,
    json::ApiJson,
    responses::{AuthFailures, BodyFailures},
    token::token_body,
};
use crate::{
    auth::{second_factor::MAX_ONE_TIME_CODE_CHARS, AuthError, Authenticator},
    error::ApiError,
    passkeys::Passkeys,
    store::Store,
};
use app::api::{
    ErrorBody, PasskeySignIn, PasskeySignInOptions, Reauthentication, ReauthenticationOptions,
    TokenBody,
};
use axum::{extract::State, Json};

/// `GET /api/sessions/current/reauthenticate`: how this session can confirm it is its owner's
/// (whether a code must come with the password, whether a passkey can do instead).
#[utoipa::path(
    get,
    path = "/api/sessions/current/reauthenticate",
    tag = "sessions",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ways to re-authenticate", body = ReauthenticationOptions),
        (status = 404, description = "The request came with a password, not a session's token", body = ErrorBody),
        AuthFailures,
    )
)]
pub async fn options(
    State(store): State<Store>,
    State(auth): State<Authenticator>,
    AuthUser(caller): AuthUser,
) -> Result<Json<ReauthenticationOptions>, ApiError> {
    caller.session().ok_or(ApiError::NoSession)?;
    let code_required = store
        .two_step(caller.id)
        .await?
        .is_some_and(|record| record.secret.is_some());
    let passkeys = !store.list_passkeys(caller.id).await?.is_empty();
    Ok(Json(ReauthenticationOptions {
        code_required,
        passkeys,
        max_age: auth.reauth_max_age().as_secs(),
    }))
}

/// `POST /api/sessions/current/reauthenticate` with `{"password", "code"}` (`code` only where
/// two-step verification is on; a recovery code also does): 200 with a token of the same
/// session, which may now make sensitive changes for `REAUTH_MAX_AGE_SECONDS`. A wrong password
/// or code is 403; no code where one is needed, 400.
#[utoipa::path(
    post,
    path = "/api/sessions/current/reauthenticate",
    tag = "sessions",
    security(("bearer" = [])),
    request_body = Reauthentication,
    responses(
        (status = 200, description = "Re-authenticated: a fresh token of the same session", body = TokenBody),
        (status = 403, description = "The password or the code is wrong (counted against the \
            brute-force limits)", body = ErrorBody),
        (status = 404, description = "The request came with a password, not a session's token", body = ErrorBody),
        AuthFailures,
        BodyFailures,
    )
)]
pub async fn with_password(
    State(auth): State<Authenticator>,
    AuthUser(caller): AuthUser,
    ApiJson(request): ApiJson<Reauthentication>,
) -> Result<Json<TokenBody>, ApiError> {
    let session = caller.session().ok_or(ApiError::NoSession)?;
    let code = request.code.as_ref().map(|code| code.expose().trim());
    if code.is_some_and(|code| code.len() > MAX_ONE_TIME_CODE_CHARS) {
        return Err(ApiError::BadRequest(format!(
            "A code has at most {MAX_ONE_TIME_CODE_CHARS} characters."
        )));
    }
    let verified = auth
        .check_reauthentication(&caller, request.password.into_inner(), code)
        .await
        .map_err(|error| match error {
            AuthError::Unauthorized => ApiError::WrongPassword,
            AuthError::WrongCode => ApiError::WrongConfirmationCode,
            AuthError::CodeRequired => ApiError::CodeMissing,
            other => other.into(),
        })?;
    let proof = (verified.method, verified.user.credential_generation);
    auth.record_reauthentication(&caller, session, proof)
        .await?;
    token_body(&auth, session)
}

/// `POST /api/sessions/current/reauthenticate/passkey/begin`: the options for
/// `navigator.credentials.get()`, listing the caller's passkeys (user verification required).
/// 409 when the account has none.
#[utoipa::path(
    post,
    path = "/api/sessions/current/reauthenticate/passkey/begin",
    tag = "sessions",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A ceremony, to finish within five minutes", body = PasskeySignInOptions),
        (status = 404, description = "The request came with a password, not a session's token", body = ErrorBody),
        (status = 409, description = "The account has no passkeys", body = ErrorBody),
        AuthFailures,
    )
)]
pub async fn begin_with_passkey(
    State(passkeys): State<Passkeys>,
    AuthUser(caller): AuthUser,
) -> Result<Json<PasskeySignInOptions>, ApiError> {
    caller.session().ok_or(ApiError::NoSession)?;
    let begun = passkeys.begin_reauthentication(&caller).await?;
    Ok(Json(PasskeySignInOptions {
        ceremony: begun.ceremony,
        options: begun.options,
    }))
}

/// `POST /api/sessions/current/reauthenticate/passkey/finish` with `{"ceremony",
/// "credential"}`: 200 with a token of the same session, now fresh. Every refusal (another
/// account's passkey, a bad signature, an expired or finished ceremony) is the same 403.
#[utoipa::path(
    post,
    path = "/api/sessions/current/reauthenticate/passkey/finish",
    tag = "sessions",
    security(("bearer" = [])),
    request_body = PasskeySignIn,
    responses(
        (status = 200, description = "Re-authenticated: a fresh token of the same session", body = TokenBody),
        (status = 403, description = "The passkey did not confirm it is the owner", body = ErrorBody),
        (status = 404, description = "The request came with a password, not a session's token", body = ErrorBody),
        AuthFailures,
        BodyFailures,
    )
)]
pub async fn finish_with_passkey(
    State(passkeys): State<Passkeys>,
    State(auth): State<Authenticator>,
    AuthUser(caller): AuthUser,
    ApiJson(answer): ApiJson<PasskeySignIn>,
) -> Result<Json<TokenBody>, ApiError> {
    let session = caller.session().ok_or(ApiError::NoSession)?;
    passkeys
        .finish_reauthentication(&caller, session, &answer.ceremony, &answer.credential)
        .await?;
    token_body(&auth, session)
}
