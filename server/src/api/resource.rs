use crate::auth::AuthUser;
use app::api::{ErrorBody, ResourceBody};
use axum::Json;

/// `GET /api/resource`: the protected resource, `{"data": "Hello, <username>!"}`.
#[utoipa::path(
    get,
    path = "/api/resource",
    tag = "resource",
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The greeting", body = ResourceBody),
        (status = 401, description = "Missing or wrong credentials", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 429, description = "Too many failed password checks", body = ErrorBody,
            headers(("Retry-After" = u64))),
    )
)]
pub async fn get_resource(user: AuthUser) -> Json<ResourceBody> {
    Json(ResourceBody {
        data: format!("Hello, {}!", user.username),
    })
}
