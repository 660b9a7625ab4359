use super::{auth_user::AuthUser, responses::AuthFailures};
use app::api::ResourceBody;
use axum::Json;

/// `GET /api/resource`: the protected resource, `{"data": "Hello, <username>!"}`.
#[utoipa::path(
    get,
    path = "/api/resource",
    tag = "resource",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, description = "The greeting", body = ResourceBody), AuthFailures)
)]
pub async fn get_resource(AuthUser(caller): AuthUser) -> Json<ResourceBody> {
    Json(ResourceBody {
        data: format!("Hello, {}!", caller.username),
    })
}
