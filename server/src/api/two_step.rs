//! Two-step verification of the caller's account: its state, the setup (begin with a secret,
//! confirm with a first code), turning it off, and new recovery codes.

use super::{
    auth_user::{AuthUser, FreshUser},
    json::ApiJson,
    responses::{AuthFailures, BodyFailures, StepUpFailures},
};
use crate::{error::ApiError, two_step::TwoStep};
use app::api::{ErrorBody, RecoveryCodesBody, Secret, TotpConfirmation, TotpSetup, TwoStepStatus};
use axum::{extract::State, http::StatusCode, Json};

/// `GET /api/users/me/totp`: whether two-step verification is on, and how many recovery codes
/// are left.
#[utoipa::path(
    get,
    path = "/api/users/me/totp",
    tag = "two-step",
    security(("bearer" = []), ("basic" = [])),
    responses((status = 200, description = "The account's two-step state", body = TwoStepStatus), AuthFailures)
)]
pub async fn status(
    State(two_step): State<TwoStep>,
    AuthUser(caller): AuthUser,
) -> Result<Json<TwoStepStatus>, ApiError> {
    let status = two_step.status(&caller).await?;
    Ok(Json(TwoStepStatus {
        enabled: status.enabled,
        recovery_codes_left: u32::try_from(status.recovery_codes_left).unwrap_or(u32::MAX),
    }))
}

/// `POST /api/users/me/totp`: begins the setup with a new secret for the authenticator app (the
/// setup key, the `otpauth://` URL, its QR code). Nothing changes for the account until a code
/// confirms it (`PUT`); a second begin replaces the first. 409 while it is on. Takes a recent
/// full authentication (step-up).
#[utoipa::path(
    post,
    path = "/api/users/me/totp",
    tag = "two-step",
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "A new secret, shown this once", body = TotpSetup),
        (status = 409, description = "Two-step verification is already on", body = ErrorBody),
        StepUpFailures,
    )
)]
pub async fn begin(
    State(two_step): State<TwoStep>,
    FreshUser(caller, fresh): FreshUser,
) -> Result<Json<TotpSetup>, ApiError> {
    let setup = two_step.begin(&caller, &fresh).await?;
    Ok(Json(TotpSetup {
        secret: setup.secret,
        otpauth_url: setup.otpauth_url,
        qr_svg: setup.qr_svg,
    }))
}

/// `PUT /api/users/me/totp` with `{"code"}`: a current code of the secret begun, which turns
/// two-step verification on: 200 with the recovery codes, shown this once. A wrong code is 403
/// and counts against the brute-force limits; 409 when nothing was begun. Takes a recent full
/// authentication (step-up); the code then counts as one, with both factors.
#[utoipa::path(
    put,
    path = "/api/users/me/totp",
    tag = "two-step",
    request_body = TotpConfirmation,
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "On; the recovery codes, shown this once", body = RecoveryCodesBody),
        (status = 403, description = "The code is wrong", body = ErrorBody),
        (status = 409, description = "No setup begun, or already on", body = ErrorBody),
        StepUpFailures,
        BodyFailures,
    )
)]
pub async fn confirm(
    State(two_step): State<TwoStep>,
    FreshUser(caller, fresh): FreshUser,
    ApiJson(confirmation): ApiJson<TotpConfirmation>,
) -> Result<Json<RecoveryCodesBody>, ApiError> {
    let codes = two_step
        .confirm(&caller, &fresh, confirmation.code.expose())
        .await?;
    Ok(recovery_codes_body(codes))
}

/// `DELETE /api/users/me/totp`: turns two-step verification off (the secret and the recovery
/// codes go), after a recent full authentication (step-up: on a two-step account, the password
/// and a code, or a passkey). 204; 409 when it was not on.
#[utoipa::path(
    delete,
    path = "/api/users/me/totp",
    tag = "two-step",
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 204, description = "Off"),
        (status = 409, description = "It was not on", body = ErrorBody),
        StepUpFailures,
    )
)]
pub async fn turn_off(
    State(two_step): State<TwoStep>,
    FreshUser(caller, fresh): FreshUser,
) -> Result<StatusCode, ApiError> {
    two_step.turn_off(&caller, &fresh).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/users/me/recovery-codes`: a new set of recovery codes, after a recent full
/// authentication (step-up); the old set no longer works. 409 when two-step verification is
/// off.
#[utoipa::path(
    post,
    path = "/api/users/me/recovery-codes",
    tag = "two-step",
    security(("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The new recovery codes, shown this once", body = RecoveryCodesBody),
        (status = 409, description = "Two-step verification is off", body = ErrorBody),
        StepUpFailures,
    )
)]
pub async fn renew_recovery_codes(
    State(two_step): State<TwoStep>,
    FreshUser(caller, fresh): FreshUser,
) -> Result<Json<RecoveryCodesBody>, ApiError> {
    let codes = two_step.renew_recovery_codes(&caller, &fresh).await?;
    Ok(recovery_codes_body(codes))
}

fn recovery_codes_body(codes: Vec<String>) -> Json<RecoveryCodesBody> {
    Json(RecoveryCodesBody {
        recovery_codes: codes.into_iter().map(Secret::new).collect(),
    })
}
