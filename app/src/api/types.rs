//! Request and response bodies of `/api`. On the server they also describe themselves for the
//! OpenAPI document (`/api/openapi.json`), so the published schema is the code's.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A password or token: sent and received as a plain JSON string, but its `Debug` never shows
/// it, so it cannot reach a log line through `{:?}`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `POST /api/users` request body.
#[derive(Clone, Debug, Serialize, Deserialize)]
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
        schema(value_type = String, min_length = 6, max_length = 256, example = "python")
    )]
    pub password: Secret,
}

/// `PUT /api/users/me/password` request body.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    #[cfg_attr(feature = "ssr", schema(value_type = String, max_length = 256))]
    pub current_password: Secret,
    /// The same rules as a new account's password.
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = String, min_length = 6, max_length = 256)
    )]
    pub new_password: Secret,
}

/// `DELETE /api/users/me` request body: the password, asked for again.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountDeletion {
    #[cfg_attr(feature = "ssr", schema(value_type = String, max_length = 256))]
    pub password: Secret,
}

/// `POST /api/users` (201) and `GET /api/users/{id}` response body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserBody {
    pub username: String,
}

/// `GET /api/token` response body. Field order follows the Flask original (`duration`, then
/// `token`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenBody {
    /// Seconds until the token expires (less than the usual lifetime when the session's
    /// absolute limit comes first).
    #[cfg_attr(feature = "ssr", schema(minimum = 0))]
    pub duration: u64,
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub token: Secret,
}

/// `GET /api/resource` response body: `{"data": "Hello, <username>!"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ResourceBody {
    pub data: String,
}

/// One of the user's live sessions: a password sign-in and the tokens renewed from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionBody {
    /// Names the session in `DELETE /api/sessions/{id}`. Authenticates nothing by itself.
    #[cfg_attr(feature = "ssr", schema(example = "3f2a9c0e4b1d8a7f6e5d4c3b2a190817"))]
    pub id: String,
    /// Unix seconds of the password sign-in that began it.
    pub started_at: i64,
    /// Unix seconds of its last use, recorded at most about once a minute.
    pub last_used_at: i64,
    /// The client address it began from.
    pub address: String,
    /// The client, from its `User-Agent` ("Firefox on Linux").
    pub user_agent: String,
    /// Whether this is the session of the token making the request.
    pub current: bool,
}

/// `GET /api/sessions` response body: the caller's live sessions, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionsBody {
    pub sessions: Vec<SessionBody>,
}

/// Every 4xx/5xx answer of `/api`: `{"error": "<what went wrong, in plain words>"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
}
