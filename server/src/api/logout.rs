use super::{auth_user::AuthUser, responses::AuthFailures};
use crate::{audit, error::ApiError, store::Store};
use axum::{extract::State, http::StatusCode};

/// `POST /api/logout`: revokes every token of the caller issued up to now ("log out
/// everywhere"). 204; later requests with those tokens get 401.
#[utoipa::path(
    post,
    path = "/api/logout",
    tag = "tokens",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 204, description = "Every token issued so far is revoked"), AuthFailures)
)]
pub async fn logout(
    State(store): State<Store>,
    AuthUser(caller): AuthUser,
) -> Result<StatusCode, ApiError> {
    store.revoke_tokens(caller.id).await?;
    audit::tokens_revoked("logout", caller.id, &caller.username, caller.address);
    Ok(StatusCode::NO_CONTENT)
}
