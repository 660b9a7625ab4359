use super::{
    auth_user::FreshUser,
    json::ApiJson,
    responses::{BodyFailures, StepUpFailures},
    sign_in::signed_in_body,
    user_agent,
};
use crate::{accounts::Accounts, error::ApiError, sign_in::SignIn, state::PublicUrl, store::Store};
use app::api::{ErrorBody, NewUser, PasswordChange, SignedInBody, UserBody};
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

/// `POST /api/users`: 201 with `Location: <PUBLIC_URL>/api/users/<id>` and `{"username"}`.
/// 400 for a missing or invalid field, 409 for a taken name.
///
/// The 409 tells whether a name is taken, as the Flask original does: a sign-up form has to
/// say so, and the name is public anyway (`GET /api/users/{id}`). Logins never tell.
#[utoipa::path(
    post,
    path = "/api/users",
    tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, description = "Account created", body = UserBody,
            headers(("Location" = String, description = "URL of the new user"))),
        (status = 409, description = "Username taken", body = ErrorBody),
        BodyFailures,
    )
)]
pub async fn register(
    State(accounts): State<Accounts>,
    State(public_url): State<PublicUrl>,
    ApiJson(new_user): ApiJson<NewUser>,
) -> Result<impl IntoResponse, ApiError> {
    let id = accounts
        .register(&new_user.username, new_user.password)
        .await?;

    // Absolute, as Flask's url_for(_external=True) makes it, but from PUBLIC_URL rather than
    // the Host header: right behind a TLS proxy, and not whatever a client claims.
    let location = public_url.join(&format!("/api/users/{id}"));

    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(UserBody {
            username: new_user.username,
        }),
    ))
}

/// `GET /api/users/{id}`: public, as in the Flask original. 404 when there is no such user (or
/// the id is not an integer, as Flask's `<int:id>` route would).
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
    State(store): State<Store>,
    Path(id): Path<String>,
) -> Result<Json<UserBody>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let user = store.find_user(id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(UserBody {
        username: user.username,
    }))
}

/// `PUT /api/users/me/password`: changes the caller's password, given the current one (ASVS
/// 5.0 6.2.3), after a recent full authentication (step-up), and ends every session of the
/// account. With a token, the caller gets a new session in place of its own, as strong and no
/// longer-lived than the one it replaces: 200 with its tokens, as a sign-in gives them (7.2.4);
/// the old token is refused from now on. With a password there was no session to replace: 204.
#[utoipa::path(
    put,
    path = "/api/users/me/password",
    tag = "users",
    request_body = PasswordChange,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "Password changed (with a token): every session has \
            ended, and these are the tokens of the new one that replaces the caller's", body = SignedInBody),
        (status = 204, description = "Password changed (with a password): every session has ended"),
        (status = 403, description = "The current password is wrong", body = ErrorBody),
        StepUpFailures,
        BodyFailures,
    )
)]
pub async fn change_password(
    State(accounts): State<Accounts>,
    State(sign_in): State<SignIn>,
    FreshUser(caller, fresh): FreshUser,
    headers: HeaderMap,
    ApiJson(change): ApiJson<PasswordChange>,
) -> Result<Response, ApiError> {
    let replacement = accounts
        .change_password(
            &caller,
            &fresh,
            (change.current_password, change.new_password),
            user_agent(&headers),
        )
        .await?;
    match replacement {
        Some(session) => {
            let begun = sign_in.with_refresh_token(session).await?;
            Ok(signed_in_body(&sign_in, begun)?.into_response())
        }
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `DELETE /api/users/me`: deletes the caller's account, after a recent full authentication
/// (step-up). Every session ends; `GET /api/users/<id>` is 404 from now on; the name may be
/// registered again (as a new account: ids are never reused). 204.
#[utoipa::path(
    delete,
    path = "/api/users/me",
    tag = "users",
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 204, description = "The account is gone and every session has ended"),
        StepUpFailures,
    )
)]
pub async fn delete_me(
    State(accounts): State<Accounts>,
    FreshUser(caller, fresh): FreshUser,
) -> Result<StatusCode, ApiError> {
    accounts.delete(&caller, &fresh).await?;
    Ok(StatusCode::NO_CONTENT)
}
