//! The API's whole error vocabulary. Every handler returns `Result<_, ApiError>`, so every
//! failure leaves as a status code plus `{"error": "..."}`.

use crate::{
    accounts::AccountError,
    auth::{
        password::HashError,
        second_factor::{ONE_TIME_CODE_HEADER, ONE_TIME_CODE_REQUIRED},
        AuthError,
    },
    passkeys::PasskeyError,
    provider::authorization::AnswerError,
    sign_in::SignInError,
    store::StoreError,
    two_step::TwoStepError,
};
use app::api::ErrorBody;
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

/// The challenge curl users expect on a 401, word for word as the Flask original sends it.
pub const BASIC_CHALLENGE: &str = r#"Basic realm="Authentication Required""#;

/// `Retry-After` of a 503: about one connection attempt's wait.
const SERVICE_UNAVAILABLE_RETRY_SECS: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing, malformed or wrong credentials. One message for every cause, so a caller
    /// cannot tell an unknown user from a wrong password.
    #[error("Unauthorized Access")]
    Unauthorized,
    /// The password was right; the account uses two-step verification and no code came.
    #[error(
        "This account uses two-step verification: send the code from its authenticator app, \
         or a recovery code, in the X-OTP header."
    )]
    OneTimeCodeRequired,
    /// The password was right; the code was not, or was used already.
    #[error(
        "The code is not correct, or was used already. Send the current code from the \
         authenticator app, or an unused recovery code, in the X-OTP header."
    )]
    WrongOneTimeCode,
    /// The code step of a sign-in: the code was not right, or was used already; the ticket
    /// still waits for the right one.
    #[error(
        "The code is not correct, or was used already. Enter the code the authenticator app \
         shows now, or an unused recovery code."
    )]
    WrongSignInCode,
    /// The code step of a sign-in whose ticket is unknown, expired or used.
    #[error(
        "This sign-in has expired or was already used. Please start again with your password."
    )]
    SignInExpired,
    /// A change that needs a recent full authentication (step-up, RFC 9470).
    #[error(
        "Please confirm it is you first: re-authenticate this session (POST \
         /api/sessions/current/reauthenticate with the password, and a code where two-step \
         verification is on, or with a passkey), then send this request again."
    )]
    ReauthenticationRequired { max_age: u64 },
    /// Input that breaks a rule; the message says which.
    #[error("{0}")]
    BadRequest(String),
    #[error("That username is already taken.")]
    UsernameTaken,
    #[error("This passkey is already registered.")]
    PasskeyTaken,
    /// The caller is known, but the password it gave to confirm it is them (or to change it) is
    /// wrong.
    #[error("The password is not correct.")]
    WrongPassword,
    /// A re-authentication's code is wrong, or was used already.
    #[error(
        "The code is not correct, or was used already. Enter the code your authenticator app \
         shows now, or an unused recovery code."
    )]
    WrongConfirmationCode,
    /// A re-authentication of a two-step account without its code.
    #[error(
        "This account uses two-step verification: send the code from its authenticator app, \
         or a recovery code, with the password."
    )]
    CodeMissing,
    /// A re-authentication with a passkey that did not check out (the audit line says why).
    #[error("The passkey did not confirm it is you. Try again, or use your password.")]
    PasskeyNotConfirmed,
    /// A re-authentication with a passkey, for an account that has none.
    #[error("This account has no passkeys: confirm it is you with your password.")]
    NoPasskeys,
    /// The first code of a two-step setup is wrong.
    #[error("That code is not correct. Enter the code your authenticator app shows now.")]
    WrongSetupCode,
    /// A two-step change that the account's state does not allow; the message says why.
    #[error("{0}")]
    TwoStepConflict(&'static str),
    /// Too many failed password or code checks for this username or address (see
    /// `auth::throttle`).
    #[error("Too many attempts, try again in {retry_after} seconds.")]
    TooManyAttempts { retry_after: u64 },
    #[error("Not found.")]
    NotFound,
    /// A passkey ceremony to finish that is unknown, expired or finished already.
    #[error("This passkey request has expired or was already used. Please start again.")]
    CeremonyOver,
    /// An application's authorization request that is unknown, expired or answered already.
    #[error(
        "This sign-in request from the application has expired or was answered already. Go \
         back to the application and sign in again."
    )]
    AuthorizationOver,
    /// A session operation on a request that came with a password rather than a token.
    #[error("This request has no session: it was authenticated with a password, not a token.")]
    NoSession,
    #[error("Method not allowed.")]
    MethodNotAllowed,
    #[error("Request body is too large.")]
    PayloadTooLarge,
    #[error("Expected a JSON body (Content-Type: application/json).")]
    UnsupportedMediaType,
    /// The database cannot be reached; worth retrying shortly.
    #[error("The service is temporarily unavailable, try again shortly.")]
    ServiceUnavailable,
    /// Anything else. The cause is logged; the caller learns nothing about internals.
    #[error("Internal server error.")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(error.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized
            | ApiError::OneTimeCodeRequired
            | ApiError::WrongOneTimeCode
            | ApiError::WrongSignInCode
            | ApiError::SignInExpired
            | ApiError::ReauthenticationRequired { .. } => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) | ApiError::CodeMissing => StatusCode::BAD_REQUEST,
            ApiError::UsernameTaken
            | ApiError::PasskeyTaken
            | ApiError::TwoStepConflict(_)
            | ApiError::NoPasskeys => StatusCode::CONFLICT,
            ApiError::WrongPassword
            | ApiError::WrongConfirmationCode
            | ApiError::PasskeyNotConfirmed
            | ApiError::WrongSetupCode => StatusCode::FORBIDDEN,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound
            | ApiError::NoSession
            | ApiError::CeremonyOver
            | ApiError::AuthorizationOver => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::UsernameTaken => ApiError::UsernameTaken,
            StoreError::PasskeyTaken => ApiError::PasskeyTaken,
            StoreError::Unavailable(error) => {
                tracing::warn!(%error, "database unavailable");
                ApiError::ServiceUnavailable
            }
            StoreError::Other(error) => ApiError::internal(error),
        }
    }
}

impl From<HashError> for ApiError {
    fn from(error: HashError) -> Self {
        ApiError::internal(error)
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Unauthorized => ApiError::Unauthorized,
            AuthError::CodeRequired => ApiError::OneTimeCodeRequired,
            AuthError::WrongCode => ApiError::WrongOneTimeCode,
            AuthError::Sealing(error) => ApiError::internal(error),
            AuthError::Locked { retry_after } => ApiError::TooManyAttempts { retry_after },
            AuthError::StaleAuthentication { max_age } => {
                ApiError::ReauthenticationRequired { max_age }
            }
            AuthError::Store(error) => error.into(),
            AuthError::Hashing(error) => error.into(),
            AuthError::Signing(error) => ApiError::internal(error),
            AuthError::Stopped => ApiError::internal(AuthError::Stopped),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid(message) => ApiError::BadRequest(message),
            AccountError::WrongPassword => ApiError::WrongPassword,
            AccountError::Auth(error) => error.into(),
        }
    }
}

impl From<PasskeyError> for ApiError {
    fn from(error: PasskeyError) -> Self {
        match error {
            PasskeyError::Invalid(message) => ApiError::BadRequest(message),
            PasskeyError::CeremonyOver => ApiError::CeremonyOver,
            PasskeyError::NotAdded => ApiError::BadRequest(
                "The passkey could not be added: the authenticator's answer did not check out."
                    .into(),
            ),
            PasskeyError::Taken => ApiError::PasskeyTaken,
            PasskeyError::SignInRefused => ApiError::Unauthorized,
            PasskeyError::NotFound => ApiError::NotFound,
            PasskeyError::NoPasskeys => ApiError::NoPasskeys,
            PasskeyError::ReauthenticationRefused => ApiError::PasskeyNotConfirmed,
            PasskeyError::Auth(error) => error.into(),
            PasskeyError::Internal(_) => ApiError::internal(error),
        }
    }
}

impl From<TwoStepError> for ApiError {
    fn from(error: TwoStepError) -> Self {
        match error {
            TwoStepError::AlreadyOn => ApiError::TwoStepConflict(
                "Two-step verification is already on. Turn it off first to set it up again.",
            ),
            TwoStepError::NotOn => ApiError::TwoStepConflict("Two-step verification is not on."),
            TwoStepError::NothingToConfirm => ApiError::TwoStepConflict(
                "There is no two-step setup to confirm: begin it with POST /api/users/me/totp.",
            ),
            TwoStepError::WrongCode => ApiError::WrongSetupCode,
            TwoStepError::Auth(error) => error.into(),
        }
    }
}

impl From<AnswerError> for ApiError {
    fn from(error: AnswerError) -> Self {
        match error {
            AnswerError::RequestOver => ApiError::AuthorizationOver,
            AnswerError::SignInRequired => ApiError::Unauthorized,
            AnswerError::StaleAuthentication { max_age } => {
                ApiError::ReauthenticationRequired { max_age }
            }
            AnswerError::Store(error) => error.into(),
        }
    }
}

impl From<SignInError> for ApiError {
    fn from(error: SignInError) -> Self {
        match error {
            SignInError::TicketOver => ApiError::SignInExpired,
            SignInError::Auth(AuthError::WrongCode) => ApiError::WrongSignInCode,
            SignInError::Auth(error) => error.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = %cause, "request failed");
        }
        let status = self.status();
        let wants_code = matches!(
            self,
            ApiError::OneTimeCodeRequired | ApiError::WrongOneTimeCode | ApiError::WrongSignInCode
        );
        let step_up = match self {
            ApiError::ReauthenticationRequired { max_age } => Some(step_up_challenge(max_age)),
            _ => None,
        };
        let retry_after = match self {
            ApiError::TooManyAttempts { retry_after } => Some(retry_after),
            ApiError::ServiceUnavailable => Some(SERVICE_UNAVAILABLE_RETRY_SECS),
            _ => None,
        };
        let body = Json(ErrorBody {
            error: self.to_string(),
        });
        let mut response = (status, body).into_response();
        if let Some(retry_after) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        if let Some(challenge) = step_up {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        } else if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(BASIC_CHALLENGE),
            );
        }
        if wants_code {
            response.headers_mut().insert(
                ONE_TIME_CODE_HEADER,
                HeaderValue::from_static(ONE_TIME_CODE_REQUIRED),
            );
        }
        response
    }
}

/// The challenge of a step-up (RFC 9470 section 3): the token is good, but the authentication
/// behind it is too old, or was not with every factor.
fn step_up_challenge(max_age: u64) -> HeaderValue {
    let challenge = format!(
        "Bearer error=\"insufficient_user_authentication\", error_description=\"A recent \
         authentication with every factor of the account is required\", max_age={max_age}"
    );
    HeaderValue::from_str(&challenge).expect("the challenge is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwt::TokenError;

    #[test]
    fn a_token_the_server_cannot_sign_is_a_500() {
        let cause = TokenError::Signing(jsonwebtoken::errors::ErrorKind::InvalidAlgorithm.into());
        let error = ApiError::from(AuthError::Signing(cause));
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
