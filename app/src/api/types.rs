use serde::{Deserialize, Serialize};
use std::fmt;

/// `POST /api/users` request body.
#[derive(Clone, Serialize, Deserialize)]
pub struct NewUser {
    pub username: String,
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

/// `POST /api/users` (201) and `GET /api/users/{id}` response body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserBody {
    pub username: String,
}

/// `GET /api/token` response body. Field order follows the original (`duration`, then `token`).
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenBody {
    /// Seconds until the token expires.
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
pub struct ResourceBody {
    pub data: String,
}

/// Every 4xx/5xx answer of `/api`: `{"error": "<what went wrong, in plain words>"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}
