use crate::error::ApiError;
use axum::{
    extract::{rejection::JsonRejection, FromRequest, Request},
    http::StatusCode,
    Json,
};
use serde::de::DeserializeOwned;

/// A JSON request body whose every rejection is an `ApiError` (axum's own are plain text, and
/// a wrong shape would be a 422 where the Flask original answers 400). Bodies must be JSON
/// objects: serde would otherwise also accept a struct written as an array
/// (`["miguel","python"]`).
pub struct ApiJson<T>(pub T);

/// Describes the expected body for the 400 message. The message is fixed rather than serde's,
/// which can quote the offending value, and that value may be a password.
pub trait JsonBody: DeserializeOwned {
    const EXPECTED: &'static str;
}

impl JsonBody for app::api::NewUser {
    const EXPECTED: &'static str =
        r#"Expected a JSON object with string fields "username" and "password"."#;
}

impl JsonBody for app::api::PasswordChange {
    const EXPECTED: &'static str =
        r#"Expected a JSON object with string fields "current_password" and "new_password"."#;
}

impl JsonBody for app::api::PasskeyRegistration {
    const EXPECTED: &'static str = r#"Expected a JSON object with a string field "ceremony", the browser's "credential", and optionally a string "name"."#;
}

impl JsonBody for app::api::PasskeySignIn {
    const EXPECTED: &'static str =
        r#"Expected a JSON object with a string field "ceremony" and the browser's "credential"."#;
}

impl JsonBody for app::api::PasskeyRename {
    const EXPECTED: &'static str = r#"Expected a JSON object with a string field "name"."#;
}

impl JsonBody for app::api::SignInRequest {
    const EXPECTED: &'static str =
        r#"Expected a JSON object with string fields "username" and "password"."#;
}

impl JsonBody for app::api::CodeStepRequest {
    const EXPECTED: &'static str =
        r#"Expected a JSON object with string fields "ticket" and "code"."#;
}

impl JsonBody for app::api::RefreshRequest {
    const EXPECTED: &'static str = r#"Expected a JSON object with a string field "refresh_token"."#;
}

impl JsonBody for app::api::Reauthentication {
    const EXPECTED: &'static str = r#"Expected a JSON object with a string field "password", and a string "code" where two-step verification is on."#;
}

impl JsonBody for app::api::TotpConfirmation {
    const EXPECTED: &'static str = r#"Expected a JSON object with a string field "code"."#;
}

impl JsonBody for app::api::ConsentRequest {
    const EXPECTED: &'static str = r#"Expected a JSON object with a boolean field "allow"."#;
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: JsonBody,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<serde_json::Value>::from_request(req, state).await {
            Ok(Json(value)) if value.is_object() => serde_json::from_value(value)
                .map(ApiJson)
                .map_err(|_| ApiError::BadRequest(T::EXPECTED.into())),
            Ok(Json(_)) => Err(ApiError::BadRequest(T::EXPECTED.into())),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge)
            }
            Err(JsonRejection::JsonSyntaxError(_)) => Err(ApiError::BadRequest(
                "Request body is not valid JSON.".into(),
            )),
            Err(JsonRejection::JsonDataError(_)) => Err(ApiError::BadRequest(T::EXPECTED.into())),
            Err(other) => Err(ApiError::BadRequest(other.body_text())),
        }
    }
}
