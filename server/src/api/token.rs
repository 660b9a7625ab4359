use crate::{auth::AuthUser, error::ApiError, state::AppState};
use app::api::TokenBody;
use axum::{extract::State, Json};

/// `GET /api/token`: a fresh token for the caller, authenticated by password or by a still
/// valid token (which is how a client renews before expiry).
pub async fn issue_token(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<TokenBody>, ApiError> {
    let token = state.tokens.issue(user.id).map_err(ApiError::internal)?;
    Ok(Json(TokenBody {
        duration: state.tokens.ttl().as_secs(),
        token,
    }))
}
