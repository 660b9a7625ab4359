//! Signing in as a flow, for clients that keep a session (the pages): the password step
//! (`POST /api/sign-in`), the code step with its ticket (`POST /api/sign-in/code`), and the
//! refresh of an expired access token (`POST /api/token/refresh`). curl's `GET /api/token` with
//! `-u user:password` (and `X-OTP`) stays as it is.

use super::{client_addr::ClientAddr, json::ApiJson, responses::BodyFailures, user_agent};
use crate::{
    auth::second_factor::{presented_code, MAX_ONE_TIME_CODE_CHARS},
    error::ApiError,
    sign_in::{Begun, PasswordStep, SignIn},
};
use app::api::{
    CodeStepBody, CodeStepRequest, ErrorBody, RefreshRequest, Secret, SignInRequest, SignedInBody,
};
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

/// `POST /api/sign-in` with `{"username", "password"}`: 200 with the session's tokens; or, for
/// an account with two-step verification, 202 with a ticket for the code step. The password
/// is hashed once and never kept.
#[utoipa::path(
    post,
    path = "/api/sign-in",
    tag = "tokens",
    request_body = SignInRequest,
    responses(
        (status = 200, description = "Signed in: a new session's tokens", body = SignedInBody),
        (status = 202, description = "The password is right and the account uses two-step \
            verification: send the code with this ticket to `POST /api/sign-in/code`", body = CodeStepBody),
        (status = 401, description = "Wrong username or password", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 429, description = "Too many failed attempts for this username or address", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the next attempt may run"))),
        BodyFailures,
    )
)]
pub async fn with_password(
    State(sign_in): State<SignIn>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SignInRequest>,
) -> Result<Response, ApiError> {
    let step = sign_in
        .with_password(
            &request.username,
            request.password.into_inner(),
            address,
            user_agent(&headers),
        )
        .await?;
    Ok(match step {
        PasswordStep::SignedIn(begun) => signed_in_body(&sign_in, begun)?.into_response(),
        PasswordStep::CodeRequired { ticket, expires_in } => (
            StatusCode::ACCEPTED,
            Json(CodeStepBody {
                ticket: Secret::new(ticket),
                expires_in: expires_in.as_secs(),
            }),
        )
            .into_response(),
    })
}

/// `POST /api/sign-in/code` with `{"ticket", "code"}`: the code from the authenticator app (or
/// a recovery code) for the sign-in the ticket holds. A wrong code is 401 with `X-OTP:
/// required`, and the ticket waits for the next one (wrong codes count against the brute-force
/// limits); a ticket unknown, expired (5 minutes) or used is 401 without it.
#[utoipa::path(
    post,
    path = "/api/sign-in/code",
    tag = "tokens",
    request_body = CodeStepRequest,
    responses(
        (status = 200, description = "Signed in: a new session's tokens", body = SignedInBody),
        (status = 401, description = "With `X-OTP: required`: the code is wrong or used, and \
            the ticket waits for another. Without it: the ticket is unknown, expired or used; \
            start again with the password", body = ErrorBody,
            headers(("WWW-Authenticate" = String), ("X-OTP" = String))),
        (status = 429, description = "Too many failed attempts for this username or address", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the next attempt may run"))),
        BodyFailures,
    )
)]
pub async fn with_code(
    State(sign_in): State<SignIn>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    ApiJson(request): ApiJson<CodeStepRequest>,
) -> Result<Json<SignedInBody>, ApiError> {
    let Some(code) = presented_code(request.code.expose()) else {
        return Err(ApiError::BadRequest(format!(
            "Send the code from the authenticator app, or a recovery code: 1 to \
             {MAX_ONE_TIME_CODE_CHARS} characters."
        )));
    };
    let begun = sign_in
        .with_code(request.ticket.expose(), code, address, user_agent(&headers))
        .await?;
    signed_in_body(&sign_in, begun)
}

/// `POST /api/token/refresh` with `{"refresh_token"}`: a new access token for the session the
/// refresh token belongs to, even after the access token expired (within the session's
/// lifetime), and a new refresh token in place of the one used, which is spent. Within 30
/// seconds of its first use a spent one is accepted again, with a successor of its own (an
/// answer lost on the way, several tabs at once); later, it ends the session (one of its
/// holders is not the owner) and is 401.
#[utoipa::path(
    post,
    path = "/api/token/refresh",
    tag = "tokens",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new access token and the refresh token that replaces \
            the one sent", body = SignedInBody),
        (status = 401, description = "Not a refresh token of a live session (or one spent more \
            than 30 s ago, whose session has now ended)", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        BodyFailures,
    )
)]
pub async fn refresh(
    State(sign_in): State<SignIn>,
    ClientAddr(address): ClientAddr,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> Result<Json<SignedInBody>, ApiError> {
    let begun = sign_in
        .refresh(request.refresh_token.expose(), address)
        .await?;
    signed_in_body(&sign_in, begun)
}

/// `{"duration", "token", "refresh_token", "username"}` of a session begun or renewed.
pub(crate) fn signed_in_body(
    sign_in: &SignIn,
    begun: Begun,
) -> Result<Json<SignedInBody>, ApiError> {
    let issued = sign_in.auth().issue_token(&begun.session)?;
    Ok(Json(SignedInBody {
        duration: issued.expires_in,
        token: Secret::new(issued.token),
        refresh_token: Secret::new(begun.refresh_token),
        username: begun.session.username,
    }))
}
