use super::{
    header::{parse_authorization, Credentials},
    password,
};
use crate::{error::ApiError, state::AppState, store::User};
use app::api::{MAX_PASSWORD_BYTES, MAX_USERNAME_CHARS};
use axum::{extract::FromRequestParts, http::header::AUTHORIZATION, http::request::Parts};

/// The caller of a protected endpoint, authenticated by any of:
/// `Authorization: Bearer <token>`, Basic `<username>:<password>`, or Basic `<token>:<anything>`
/// (the original's way of sending a token through curl's `-u`). Anything else is a 401 with
/// the Basic challenge.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i64,
    pub username: String,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::Unauthorized)?;
        let credentials =
            parse_authorization(header.as_bytes()).map_err(|_| ApiError::Unauthorized)?;
        let user = match credentials {
            Credentials::Bearer(token) => user_for_token(state, &token).await?,
            // A username has at most 32 characters and every token is longer (its header alone
            // is 36), so the user-id is one or the other, never ambiguous, and a failed token
            // check never falls through to an argon2 run.
            Credentials::Basic { username, .. }
                if username.chars().count() > MAX_USERNAME_CHARS =>
            {
                user_for_token(state, &username).await?
            }
            Credentials::Basic { username, password } => {
                user_for_password(state, &username, password).await?
            }
        };
        Ok(AuthUser {
            id: user.id,
            username: user.username,
        })
    }
}

async fn user_for_token(state: &AppState, token: &str) -> Result<User, ApiError> {
    let id = state
        .tokens
        .verify(token)
        .map_err(|_| ApiError::Unauthorized)?;
    // The account may have been deleted since the token was issued.
    state
        .users
        .find_by_id(id)
        .await?
        .ok_or(ApiError::Unauthorized)
}

async fn user_for_password(
    state: &AppState,
    username: &str,
    password: String,
) -> Result<User, ApiError> {
    // No account can have such a password, and hashing a megabyte would be a cheap way to
    // make the server work hard.
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::Unauthorized);
    }
    let user = state
        .users
        .find_by_username(username)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if password::verify_off_runtime(password, user.password_hash.clone()).await? {
        Ok(user)
    } else {
        Err(ApiError::Unauthorized)
    }
}
