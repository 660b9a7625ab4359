use super::json::ApiJson;
use crate::{
    audit,
    auth::{check_password, AuthUser},
    error::ApiError,
    state::AppState,
};
use app::api::{
    validate_password, validate_username, ErrorBody, NewUser, PasswordChange, UserBody,
};
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::IntoResponse,
    Json,
};

/// `POST /api/users`: 201 with `Location: http://<host>/api/users/<id>` and `{"username"}`.
/// 400 for a missing or invalid field, 409 for a taken name.
///
/// The 409 tells whether a name is taken, as the original does: a sign-up form has to say so,
/// and the name is public anyway (`GET /api/users/{id}`). Logins never tell (see the README).
#[utoipa::path(
    post,
    path = "/api/users",
    tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, description = "Account created", body = UserBody,
            headers(("Location" = String, description = "URL of the new user"))),
        (status = 400, description = "Missing or invalid field, or a body that is not JSON", body = ErrorBody),
        (status = 409, description = "Username taken", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Body is not declared as JSON", body = ErrorBody),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(new_user): ApiJson<NewUser>,
) -> Result<impl IntoResponse, ApiError> {
    validate_username(&new_user.username).map_err(ApiError::BadRequest)?;
    validate_password(&new_user.password, state.min_password_chars)
        .map_err(ApiError::BadRequest)?;

    let hash = state.hashing.hash(new_user.password).await?;
    let id = state.users.create(&new_user.username, &hash).await?;
    tracing::info!(user_id = id, username = ?new_user.username, "user registered");

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
#[utoipa::path(
    get,
    path = "/api/users/{id}",
    tag = "users",
    params(("id" = String, Path, description = "The user's numeric id", example = "1")),
    responses(
        (status = 200, description = "The user", body = UserBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
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

/// `PUT /api/users/me/password`: changes the caller's password, given the current one (so a
/// stolen token alone cannot take the account over). Revokes every token; 204.
#[utoipa::path(
    put,
    path = "/api/users/me/password",
    tag = "users",
    request_body = PasswordChange,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 204, description = "Password changed; every earlier token is revoked"),
        (status = 400, description = "The new password breaks a rule, or the body is not JSON", body = ErrorBody),
        (status = 401, description = "Missing or wrong credentials", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        (status = 403, description = "The current password is wrong", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 415, description = "Body is not declared as JSON", body = ErrorBody),
        (status = 429, description = "Too many failed password checks", body = ErrorBody,
            headers(("Retry-After" = u64))),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(change): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    validate_password(&change.new_password, state.min_password_chars)
        .map_err(ApiError::BadRequest)?;
    match check_password(
        &state,
        &user.username,
        change.current_password,
        user.address,
    )
    .await
    {
        Ok(_) => {}
        Err(ApiError::Unauthorized) => return Err(ApiError::WrongCurrentPassword),
        Err(other) => return Err(other),
    }
    let hash = state.hashing.hash(change.new_password).await?;
    state.users.set_password(user.id, &hash).await?;
    audit::tokens_revoked("password_change", user.id, &user.username, user.address);
    Ok(StatusCode::NO_CONTENT)
}
