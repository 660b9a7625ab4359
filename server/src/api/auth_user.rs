//! The `AuthUser` extractor: a handler that takes one only runs for an authenticated caller.

use super::client_addr::client_ip;
use crate::{
    auth::{
        header::parse_authorization,
        second_factor::{MAX_ONE_TIME_CODE_CHARS, ONE_TIME_CODE_HEADER},
        Caller, Fresh,
    },
    error::ApiError,
    state::AppState,
};
use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::{header::AUTHORIZATION, request::Parts},
};

/// The caller of a protected endpoint, authenticated by `Authorization: Bearer <token>`, Basic
/// `<username>:<password>`, or Basic `<token>:<anything>`. Anything else is a 401 with the
/// Basic challenge; a password attempt while the username or address is locked is a 429. A
/// password of an account with two-step verification also needs `X-OTP: <code>`: without a
/// valid one the answer is 401 with `X-OTP: required` (only ever after a right password).
#[derive(Debug, Clone)]
pub struct AuthUser(pub Caller);

/// Takes the whole state, not `Authenticator: FromRef`: the parts are borrowed, not cloned, on
/// every protected request.
impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let address = client_ip(parts, &state.client_ip_header);
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::Unauthorized)?;
        let credentials =
            parse_authorization(header.as_bytes()).map_err(|_| ApiError::Unauthorized)?;
        // A value that is not text is no code (and counts as a wrong one). No code or recovery
        // code is longer than the documented limit: a longer value is refused as malformed,
        // whoever sends it.
        let code = parts
            .headers
            .get(ONE_TIME_CODE_HEADER)
            .map(|value| value.to_str().unwrap_or("?"));
        if code.is_some_and(|code| code.len() > MAX_ONE_TIME_CODE_CHARS) {
            return Err(ApiError::BadRequest(format!(
                "The X-OTP header holds at most {MAX_ONE_TIME_CODE_CHARS} characters: a \
                 six-digit code or a recovery code."
            )));
        }
        let caller = state.auth.authenticate(credentials, code, address).await?;
        Ok(AuthUser(caller))
    }
}

/// `Option<AuthUser>`: the caller, if the request came with credentials; without any, nobody
/// (a signed-out browser). Wrong credentials are still a 401.
impl OptionalFromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        if !parts.headers.contains_key(AUTHORIZATION) {
            return Ok(None);
        }
        let user =
            <AuthUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        Ok(Some(user))
    }
}

/// The caller of an endpoint that changes how the account signs in or who is signed in: an
/// [`AuthUser`] who authenticated fully and recently (step-up, auth/step_up.rs). A token whose
/// session's last full authentication is too old, or was a password alone on a two-step
/// account, gets 401 with `WWW-Authenticate: Bearer error="insufficient_user_authentication"`.
#[derive(Debug, Clone)]
pub struct FreshUser(pub Caller, pub Fresh);

impl FromRequestParts<AppState> for FreshUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AuthUser(caller) =
            <AuthUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        let fresh = state.auth.require_recent_authentication(&caller).await?;
        Ok(FreshUser(caller, fresh))
    }
}
