use crate::auth::AuthUser;
use app::api::ResourceBody;
use axum::Json;

/// `GET /api/resource`: the protected resource, `{"data": "Hello, <username>!"}`.
pub async fn get_resource(user: AuthUser) -> Json<ResourceBody> {
    Json(ResourceBody {
        data: format!("Hello, {}!", user.username),
    })
}
