use super::{auth_user::AuthUser, responses::AuthFailures, user_agent};
use crate::{auth::Authenticator, error::ApiError, store::ActiveSession};
use app::api::{Secret, TokenBody};
use axum::{extract::State, http::HeaderMap, Json};

/// `GET /api/token`: a token for the caller. With a password, a new session begins (the
/// sign-in); with a still valid token, the fresh one stays in that token's session (which is
/// how a client renews before expiry), and never lives past the session's absolute lifetime.
#[utoipa::path(
    get,
    path = "/api/token",
    tag = "tokens",
    security(("basic" = []), ("bearer" = [])),
    responses((status = 200, description = "A new token", body = TokenBody), AuthFailures)
)]
pub async fn issue_token(
    State(auth): State<Authenticator>,
    AuthUser(caller): AuthUser,
    headers: HeaderMap,
) -> Result<Json<TokenBody>, ApiError> {
    let session = auth.start_session(&caller, user_agent(&headers)).await?;
    token_body(&auth, &session)
}

/// `{"duration", "token"}` with a fresh token of `session`.
pub(super) fn token_body(
    auth: &Authenticator,
    session: &ActiveSession,
) -> Result<Json<TokenBody>, ApiError> {
    let issued = auth.issue_token(session)?;
    Ok(Json(TokenBody {
        duration: issued.expires_in,
        token: Secret::new(issued.token),
    }))
}
