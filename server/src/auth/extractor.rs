use super::{
    header::{parse_authorization, Credentials},
    token::unix_now,
};
use crate::{
    audit::{self, LoginOutcome},
    client_addr::client_ip,
    error::ApiError,
    state::AppState,
    store::User,
    user_cache::TokenHolder,
};
use app::api::{MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS};
use axum::{extract::FromRequestParts, http::header::AUTHORIZATION, http::request::Parts};
use std::net::IpAddr;

/// The caller of a protected endpoint, authenticated by any of:
/// `Authorization: Bearer <token>`, Basic `<username>:<password>`, or Basic `<token>:<anything>`
/// (the original's way of sending a token through curl's `-u`). Anything else is a 401 with
/// the Basic challenge; a password attempt while the username or address is locked is a 429.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i64,
    pub username: String,
    /// The user's token version when the request was authenticated.
    pub token_version: i64,
    pub method: AuthMethod,
    pub address: IpAddr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Password,
    /// A token, from a chain of refreshes begun by a password login at `auth_time`.
    Token {
        auth_time: u64,
    },
}

impl AuthUser {
    /// When the password login behind this request happened: now, or the token chain's start.
    pub fn auth_time(&self) -> u64 {
        match self.method {
            AuthMethod::Password => unix_now(),
            AuthMethod::Token { auth_time } => auth_time,
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let address = client_ip(parts, state.client_ip_header.as_ref());
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::Unauthorized)?;
        let credentials =
            parse_authorization(header.as_bytes()).map_err(|_| ApiError::Unauthorized)?;
        let (user, method) = match credentials {
            Credentials::Bearer(token) => holder_of_token(state, &token).await?,
            // A username has at most 32 characters and every token is longer (its header alone
            // is 36), so the user-id is one or the other, never ambiguous, and a failed token
            // check never falls through to an argon2 run.
            Credentials::Basic { username, .. }
                if username.chars().count() > MAX_USERNAME_CHARS =>
            {
                holder_of_token(state, &username).await?
            }
            Credentials::Basic { username, password } => (
                check_password(state, &username, password, address)
                    .await?
                    .into(),
                AuthMethod::Password,
            ),
        };
        Ok(AuthUser {
            id: user.id,
            username: user.username,
            token_version: user.token_version,
            method,
            address,
        })
    }
}

async fn holder_of_token(
    state: &AppState,
    token: &str,
) -> Result<(TokenHolder, AuthMethod), ApiError> {
    let verified = state
        .tokens
        .verify(token)
        .map_err(|_| ApiError::Unauthorized)?;
    // The account may have been deleted, and the token may have been revoked (logout,
    // password change) since it was issued. (Usually answered from memory: see user_cache.)
    let user = state
        .users
        .token_holder(verified.user_id)
        .await?
        .filter(|user| user.token_version == verified.token_version)
        .ok_or(ApiError::Unauthorized)?;
    Ok((
        user,
        AuthMethod::Token {
            auth_time: verified.auth_time,
        },
    ))
}

/// Checks `password` for `username`, within the brute-force limits. Every check of a password
/// goes through here (logins and password changes alike). An unknown username costs the same
/// hash as a wrong password and counts as a failure in the same way, so neither the answer,
/// its timing nor the lock tells whether an account exists.
pub async fn check_password(
    state: &AppState,
    username: &str,
    password: String,
    address: IpAddr,
) -> Result<User, ApiError> {
    if let Err(lock) = state.throttle.check(username, address) {
        let retry_after = lock.retry_after_secs();
        record_login(
            state,
            LoginOutcome::RefusedLocked { retry_after },
            username,
            address,
        );
        return Err(ApiError::TooManyAttempts { retry_after });
    }
    // No account can have such a password, and hashing a megabyte would be a cheap way to
    // make the server work hard; it still counts as a failed attempt.
    let user = if password.chars().count() > MAX_PASSWORD_CHARS {
        None
    } else {
        let user = state.users.find_by_username(username).await?;
        let stored = user.as_ref().map(|user| user.password_hash.clone());
        let matches = state.hashing.verify(password, stored).await?;
        user.filter(|_| matches)
    };
    match user {
        Some(user) => {
            record_login(state, LoginOutcome::Success, username, address);
            Ok(user)
        }
        None => {
            record_login(state, LoginOutcome::Failure, username, address);
            if let Some(lock) = state.throttle.record_failure(username, address) {
                let retry_after = lock.retry_after_secs();
                record_login(
                    state,
                    LoginOutcome::LockStarted { retry_after },
                    username,
                    address,
                );
            }
            Err(ApiError::Unauthorized)
        }
    }
}

/// The audit line and the `/metrics` counter of one password check.
fn record_login(state: &AppState, outcome: LoginOutcome, username: &str, address: IpAddr) {
    audit::login(outcome, username, address);
    state.metrics.login(outcome);
}
