//! Request and response bodies of `/api`. On the server they also describe themselves for the
//! OpenAPI document (`/api/openapi.json`), so the published schema is the code's.

use serde::{Deserialize, Serialize};
use std::fmt;

/// `POST /api/users` request body.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewUser {
    /// 1 to 32 of `A-Z a-z 0-9 . _ -`, unique without regard to case.
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = r"^[A-Za-z0-9._-]{1,32}$", example = "miguel")
    )]
    pub username: String,
    /// 6 (the server's `MIN_PASSWORD_LENGTH`) to 256 characters.
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 6, max_length = 256, example = "python")
    )]
    pub password: String,
}

// Written by hand so a password can never reach a log line through `{:?}`.
impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// `PUT /api/users/me/password` request body.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    #[cfg_attr(feature = "ssr", schema(max_length = 256))]
    pub current_password: String,
    /// The same rules as a new account's password.
    #[cfg_attr(feature = "ssr", schema(min_length = 6, max_length = 256))]
    pub new_password: String,
}

impl fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordChange(<redacted>)")
    }
}

/// `POST /api/users` (201) and `GET /api/users/{id}` response body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserBody {
    pub username: String,
}

/// `GET /api/token` response body. Field order follows the original (`duration`, then `token`).
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenBody {
    /// Seconds until the token expires (less than the usual lifetime when the session's
    /// absolute limit comes first).
    #[cfg_attr(feature = "ssr", schema(minimum = 0))]
    pub duration: u64,
    pub token: String,
}

impl fmt::Debug for TokenBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBody")
            .field("duration", &self.duration)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// `GET /api/resource` response body: `{"data": "Hello, <username>!"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ResourceBody {
    pub data: String,
}

/// Every 4xx/5xx answer of `/api`: `{"error": "<what went wrong, in plain words>"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
}
