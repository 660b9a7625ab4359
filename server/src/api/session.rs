use crate::{audit, auth::AuthUser, error::ApiError, state::AppState};
use axum::{extract::State, http::StatusCode};

/// `POST /api/logout`: revokes every token of the caller issued up to now ("log out
/// everywhere"). 204; later requests with those tokens get 401.
#[utoipa::path(
    post,
    path = "/api/logout",
    tag = "tokens",
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 204, description = "Every token issued so far is revoked"),
        (status = 401, description = "Missing or wrong credentials", body = app::api::ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 429, description = "Too many failed password checks", body = app::api::ErrorBody,
            headers(("Retry-After" = u64))),
    )
)]
pub async fn logout(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode, ApiError> {
    state.users.revoke_tokens(user.id).await?;
    audit::tokens_revoked("logout", user.id, &user.username, user.address);
    Ok(StatusCode::NO_CONTENT)
}
