use crate::{auth::AuthUser, error::ApiError, state::AppState};
use app::api::TokenBody;
use axum::{extract::State, Json};

/// `GET /api/token`: a fresh token for the caller, authenticated by password or by a still
/// valid token (which is how a client renews before expiry). A renewed token never lives past
/// the absolute session lifetime counted from the password login that began the chain.
#[utoipa::path(
    get,
    path = "/api/token",
    tag = "tokens",
    security(("basic" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "A new token", body = TokenBody),
        (status = 401, description = "Missing or wrong credentials", body = app::api::ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 429, description = "Too many failed password checks", body = app::api::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the next attempt may run"))),
    )
)]
pub async fn issue_token(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<TokenBody>, ApiError> {
    let issued = state
        .tokens
        .issue(user.id, user.token_version, user.auth_time())
        .map_err(|_| ApiError::Unauthorized)?;
    Ok(Json(TokenBody {
        duration: issued.expires_in,
        token: issued.token,
    }))
}
