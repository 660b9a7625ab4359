//! Failure responses that several endpoints share, described once for the OpenAPI document.
//! (The types only describe; handlers answer with `ApiError`.)

#![allow(dead_code)]

use app::api::ErrorBody;
use std::collections::BTreeMap;
use utoipa::{
    openapi::{response::Response, RefOr},
    IntoResponses,
};

/// What an endpoint that takes credentials may answer besides its own responses.
#[derive(IntoResponses)]
pub enum AuthFailures {
    /// Missing or wrong credentials; with `X-OTP: required`, a right password that needs a
    /// (valid) one-time code in the `X-OTP` header
    #[response(
        status = 401,
        headers(
            ("WWW-Authenticate" = String),
            ("X-OTP" = String, description = "`required`: the password was right; send a code")
        )
    )]
    Unauthorized(ErrorBody),
    /// Too many failed password checks
    #[response(
        status = 429,
        headers(("Retry-After" = u64, description = "Seconds until the next attempt may run"))
    )]
    TooManyAttempts(ErrorBody),
    /// An `X-OTP` header longer than 64 characters (or a malformed body, where there is one)
    #[response(status = 400)]
    MalformedCode(ErrorBody),
}

/// What an endpoint that needs a recent full authentication (step-up) may answer besides its
/// own responses: `AuthFailures`, whose 401 also means a token too old for the change.
pub struct StepUpFailures;

impl IntoResponses for StepUpFailures {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = AuthFailures::responses();
        if let Some(RefOr::T(unauthorized)) = responses.get_mut("401") {
            unauthorized.description = "Missing or wrong credentials (with `WWW-Authenticate: \
                Basic`; with `X-OTP: required`, a right password that needs a valid one-time \
                code); or a token whose session's last full authentication is older than \
                `REAUTH_MAX_AGE_SECONDS`, or was a password alone on a two-step account: \
                `WWW-Authenticate: Bearer error=\"insufficient_user_authentication\", \
                max_age=<seconds>` (RFC 9470). Re-authenticate (`POST \
                /api/sessions/current/reauthenticate`) and send the request again."
                .to_owned();
        }
        responses
    }
}

/// What an endpoint that reads a JSON body may answer besides its own responses.
#[derive(IntoResponses)]
pub enum BodyFailures {
    /// A field is missing or breaks a rule (the message says which), or the body is not JSON
    #[response(status = 400)]
    Invalid(ErrorBody),
    /// Body over 16 KiB
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// Body is not declared as JSON
    #[response(status = 415)]
    NotJson(ErrorBody),
}
