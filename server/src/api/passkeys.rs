//! `/api/passkeys`: add a passkey (begin, then finish with the browser's answer), list, rename
//! and remove the caller's, and sign in with one (begin, then finish: a token, as
//! `GET /api/token` gives for a password).

use super::{
    auth_user::{AuthUser, FreshUser},
    client_addr::ClientAddr,
    json::ApiJson,
    responses::{AuthFailures, BodyFailures, StepUpFailures},
    sign_in::signed_in_body,
    user_agent,
};
use crate::{error::ApiError, passkeys::Passkeys, sign_in::SignIn, store::PasskeyRecord};
use app::api::{
    ErrorBody, PasskeyBody, PasskeyRegistration, PasskeyRegistrationOptions, PasskeyRename,
    PasskeySignIn, PasskeySignInOptions, PasskeysBody, SignedInBody,
};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    Json,
};

/// `POST /api/passkeys/register/begin`: the options for `navigator.credentials.create()`. A
/// change to how the account signs in: it takes a recent full authentication (step-up).
#[utoipa::path(
    post,
    path = "/api/passkeys/register/begin",
    tag = "passkeys",
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "A registration ceremony, to finish within five minutes",
            body = PasskeyRegistrationOptions),
        StepUpFailures,
    )
)]
pub async fn begin_registration(
    State(passkeys): State<Passkeys>,
    FreshUser(caller, fresh): FreshUser,
) -> Result<Json<PasskeyRegistrationOptions>, ApiError> {
    let begun = passkeys.begin_registration(&caller, &fresh).await?;
    Ok(Json(PasskeyRegistrationOptions {
        ceremony: begun.ceremony,
        options: begun.options,
    }))
}

/// `POST /api/passkeys/register/finish`: stores the passkey the browser made. 404 when the
/// ceremony is unknown, expired or finished; 400 when the answer does not check out; 409 when
/// this credential is registered already (to any account).
#[utoipa::path(
    post,
    path = "/api/passkeys/register/finish",
    tag = "passkeys",
    security(("bearer" = []), ("basic" = [])),
    request_body = PasskeyRegistration,
    responses(
        (status = 201, description = "The passkey is added", body = PasskeyBody),
        (status = 404, description = "No such ceremony of the caller's: unknown, expired (after \
            five minutes) or finished", body = ErrorBody),
        (status = 409, description = "This passkey is registered already", body = ErrorBody),
        AuthFailures,
        BodyFailures,
    )
)]
pub async fn finish_registration(
    State(passkeys): State<Passkeys>,
    AuthUser(caller): AuthUser,
    headers: HeaderMap,
    ApiJson(registration): ApiJson<PasskeyRegistration>,
) -> Result<(StatusCode, Json<PasskeyBody>), ApiError> {
    let added = passkeys
        .finish_registration(
            &caller,
            &registration.ceremony,
            &registration.credential,
            registration.name.as_deref(),
            user_agent(&headers),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(body(added))))
}

/// `GET /api/passkeys`: the caller's passkeys, oldest first.
#[utoipa::path(
    get,
    path = "/api/passkeys",
    tag = "passkeys",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, description = "The passkeys", body = PasskeysBody), AuthFailures)
)]
pub async fn list(
    State(passkeys): State<Passkeys>,
    AuthUser(caller): AuthUser,
) -> Result<Json<PasskeysBody>, ApiError> {
    let passkeys = passkeys
        .list(&caller)
        .await?
        .into_iter()
        .map(body)
        .collect();
    Ok(Json(PasskeysBody { passkeys }))
}

/// `PATCH /api/passkeys/{id}` `{"name"}`: renames one of the caller's passkeys.
#[utoipa::path(
    patch,
    path = "/api/passkeys/{id}",
    tag = "passkeys",
    security(("bearer" = []), ("basic" = [])),
    params(("id" = String, Path, description = "The passkey's id, from `GET /api/passkeys`")),
    request_body = PasskeyRename,
    responses(
        (status = 200, description = "Renamed", body = PasskeyBody),
        (status = 404, description = "The caller has no passkey with this id", body = ErrorBody),
        AuthFailures,
        BodyFailures,
    )
)]
pub async fn rename(
    State(passkeys): State<Passkeys>,
    AuthUser(caller): AuthUser,
    Path(id): Path<String>,
    ApiJson(rename): ApiJson<PasskeyRename>,
) -> Result<Json<PasskeyBody>, ApiError> {
    let id = id.parse().map_err(|_| ApiError::NotFound)?;
    let renamed = passkeys.rename(&caller, id, &rename.name).await?;
    Ok(Json(body(renamed)))
}

/// `DELETE /api/passkeys/{id}`: removes one of the caller's passkeys, after a recent full
/// authentication (step-up; ASVS 5.0 7.5.1).
#[utoipa::path(
    delete,
    path = "/api/passkeys/{id}",
    tag = "passkeys",
    security(("bearer" = []), ("basic" = [])),
    params(("id" = String, Path, description = "The passkey's id, from `GET /api/passkeys`")),
    responses(
        (status = 204, description = "The passkey is removed: it signs nobody in from now on"),
        (status = 404, description = "The caller has no passkey with this id", body = ErrorBody),
        StepUpFailures,
    )
)]
pub async fn remove(
    State(passkeys): State<Passkeys>,
    FreshUser(caller, fresh): FreshUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = id.parse().map_err(|_| ApiError::NotFound)?;
    passkeys.remove(&caller, &fresh, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/passkeys/sign-in/begin`: the options for `navigator.credentials.get()`. No
/// credentials: whoever holds a passkey of this site may finish it.
#[utoipa::path(
    post,
    path = "/api/passkeys/sign-in/begin",
    tag = "passkeys",
    responses(
        (status = 200, description = "A sign-in ceremony, to finish within five minutes",
            body = PasskeySignInOptions),
    )
)]
pub async fn begin_sign_in(
    State(passkeys): State<Passkeys>,
) -> Result<Json<PasskeySignInOptions>, ApiError> {
    let begun = passkeys.begin_sign_in().await?;
    Ok(Json(PasskeySignInOptions {
        ceremony: begun.ceremony,
        options: begun.options,
    }))
}

/// `POST /api/passkeys/sign-in/finish`: checks the browser's answer and begins a session, as a
/// password sign-in does: `{"duration", "token", "refresh_token", "username"}`, as
/// `POST /api/sign-in` answers. Every failure (an unknown or removed passkey, a bad signature,
/// an expired or finished ceremony) is the same 401.
#[utoipa::path(
    post,
    path = "/api/passkeys/sign-in/finish",
    tag = "passkeys",
    request_body = PasskeySignIn,
    responses(
        (status = 200, description = "Signed in: a new session's tokens", body = SignedInBody),
        (status = 401, description = "The passkey sign-in is refused", body = ErrorBody,
            headers(("WWW-Authenticate" = String))),
        BodyFailures,
    )
)]
pub async fn finish_sign_in(
    State(passkeys): State<Passkeys>,
    State(sign_in): State<SignIn>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    ApiJson(answer): ApiJson<PasskeySignIn>,
) -> Result<Json<SignedInBody>, ApiError> {
    let session = passkeys
        .finish_sign_in(
            &answer.ceremony,
            &answer.credential,
            address,
            user_agent(&headers),
        )
        .await?;
    let begun = sign_in.with_refresh_token(session).await?;
    signed_in_body(&sign_in, begun)
}

fn body(record: PasskeyRecord) -> PasskeyBody {
    PasskeyBody {
        id: record.id,
        name: record.name,
        created_at: record.created_at,
        last_used_at: record.last_used_at,
    }
}
