use super::json::ApiJson;
use crate::{auth::password, error::ApiError, state::AppState};
use app::api::{validate_password, validate_username, NewUser, UserBody};
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::IntoResponse,
    Json,
};

/// `POST /api/users`: 201 with `Location: http://<host>/api/users/<id>` and `{"username"}`.
/// 400 for a missing or invalid field, 409 for a taken name.
pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(new_user): ApiJson<NewUser>,
) -> Result<impl IntoResponse, ApiError> {
    validate_username(&new_user.username).map_err(ApiError::BadRequest)?;
    validate_password(&new_user.password, state.min_password_chars)
        .map_err(ApiError::BadRequest)?;

    let hash = password::hash_off_runtime(new_user.password).await?;
    let id = state.users.create(&new_user.username, &hash).await?;
    tracing::info!(user_id = id, username = %new_user.username, "user registered");

    // Absolute, as Flask's url_for(_external=True) makes it: the address the client used.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| state.leptos.site_addr.to_string());
    let location = format!("http://{host}/api/users/{id}");

    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(UserBody {
            username: new_user.username,
        }),
    ))
}

/// `GET /api/users/{id}`: public, as in the original. 404 when there is no such user (or the
/// id is not an integer, as Flask's `<int:id>` route would).
pub async fn get_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<UserBody>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let user = state
        .users
        .find_by_id(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(UserBody {
        username: user.username,
    }))
}
