use super::{auth_user::AuthUser, responses::AuthFailures};
use crate::{auth::Authenticator, error::ApiError};
use app::api::{Secret, TokenBody};
use axum::{extract::State, Json};

/// `GET /api/token`: a fresh token for the caller, authenticated by password or by a still
/// valid token (which is how a client renews before expiry). A renewed token never lives past
/// the absolute session lifetime counted from the password login that began the chain.
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
) -> Result<Json<TokenBody>, ApiError> {
    let issued = auth.issue_token(&caller)?;
    Ok(Json(TokenBody {
        duration: issued.expires_in,
        token: Secret::new(issued.token),
    }))
}
