use super::{auth_user::AuthUser, responses::AuthFailures};
use crate::{
    auth::{AuthMethod, Authenticator},
    error::ApiError,
};
use app::api::{Secret, TokenBody};
use axum::{
    extract::State,
    http::{header::USER_AGENT, HeaderMap},
    Json,
};

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
    let session = match &caller.method {
        AuthMethod::Session(session) => session.clone(),
        AuthMethod::Password => {
            let user_agent = headers
                .get(USER_AGENT)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            auth.start_session(&caller, user_agent).await?
        }
    };
    let issued = auth.issue_token(&session)?;
    Ok(Json(TokenBody {
        duration: issued.expires_in,
        token: Secret::new(issued.token),
    }))
}
